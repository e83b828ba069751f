# nettle and hogweed for GnuTLS. --enable-fat picks AES-NI, SHA-NI, ... at run
# time, so the binary needs no particular CPU. Libraries and headers only.
needs="gmp"
build() {
	./configure --prefix="$P" --libdir="$P/lib" --disable-shared --enable-static \
		--disable-documentation --disable-openssl --enable-fat \
		--with-include-path="$P/include" --with-lib-path="$P/lib"
	$MAKE libnettle.a libhogweed.a
	make install-static install-headers install-pkgconfig
}
