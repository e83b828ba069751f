# libarchive: tar (pax), zip and raw formats with zstd, gzip, xz and bzip2;
# no ACL, xattr, lz4, lzo, crypto, XML (xar) or the bsdtar/bsdcpio/bsdcat tools.
needs="zstd zlib xz bzip2"
build() {
	# Debian's patches touch Makefile.am (new tests) and configure.ac (iconv, disabled
	# here): keep the shipped autotools output rather than need automake.
	find . \( -name aclocal.m4 -o -name configure -o -name Makefile.in -o -name config.h.in \) -exec touch {} +
	./configure ${CROSS_HOST:+--host=$CROSS_HOST} --prefix="$P" --disable-shared --enable-static --disable-bsdtar \
		--disable-bsdcat --disable-bsdcpio --disable-acl --disable-xattr --without-lz4 \
		--without-lzo2 --without-cng --without-openssl --without-mbedtls --without-nettle \
		--without-xml2 --without-expat --without-iconv --with-zstd --with-zlib --with-lzma \
		--with-bz2lib CPPFLAGS="$CPPFLAGS -I$P/include" LDFLAGS="-L$P/lib"
	$MAKE libarchive.la
	make install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA
}
