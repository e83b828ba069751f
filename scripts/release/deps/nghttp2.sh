# nghttp2 for libcurl's HTTP/2 (registries and mirrors that offer it over TLS,
# as a distribution's curl uses it): the library only, static; no server,
# client or proxy tools, no docs, no Python, jemalloc or libxml2.
needs=""
build() {
	cmake -S . -B _b -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_FLAGS_RELEASE="$CFLAGS -DNDEBUG" -DENABLE_LIB_ONLY=ON -DENABLE_STATIC_LIB=ON \
		-DENABLE_SHARED_LIB=OFF -DENABLE_DOC=OFF -DWITH_JEMALLOC=OFF -DWITH_LIBXML2=OFF \
		-DCMAKE_INSTALL_PREFIX="$P" -DCMAKE_INSTALL_LIBDIR=lib
	$MAKE -C _b
	cmake --install _b
}
