# jansson: static, no docs, tests or examples.
needs=""
build() {
	cmake -S . -B _b -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_FLAGS_RELEASE="$CFLAGS -DNDEBUG" -DJANSSON_BUILD_DOCS=OFF \
		-DJANSSON_WITHOUT_TESTS=ON -DJANSSON_EXAMPLES=OFF -DJANSSON_BUILD_SHARED_LIBS=OFF \
		-DCMAKE_INSTALL_PREFIX="$P" -DCMAKE_INSTALL_LIBDIR=lib
	$MAKE -C _b jansson
	cmake --install _b
}
