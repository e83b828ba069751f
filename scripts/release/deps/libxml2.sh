# libxml2: the parser only (RPM repodata); no ICU, iconv, lzma, zlib, python,
# HTTP/FTP, threads' extras or the xmllint tools.
needs=""
build() {
	# Debian's patches touch Makefile.am (tests, HTML docs): keep the shipped autotools
	# output rather than need automake.
	find . \( -name aclocal.m4 -o -name configure -o -name Makefile.in -o -name config.h.in \) -exec touch {} +
	./configure ${CROSS_HOST:+--host=$CROSS_HOST} --prefix="$P" --disable-shared --enable-static --without-python \
		--without-icu --without-lzma --without-zlib --without-iconv --without-http \
		--without-ftp --without-debug --without-docbook --without-catalog --without-modules \
		--without-readline --without-history
	$MAKE libxml2.la
	make install-libLTLIBRARIES install-pkgconfigDATA
	make -C include install
}
