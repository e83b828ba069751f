# libmicrohttpd for `lading serve`. Its TLS needs GnuTLS (not OpenSSL), which
# this build does not carry yet: --disable-https, so `serve --tls-*` reports
# that the release binary serves plain HTTP only (README "Release binary").
needs=""
build() {
	./configure ${CROSS_HOST:+--host=$CROSS_HOST} --prefix="$P" --disable-shared --enable-static --disable-https \
		--without-gnutls --disable-doc --disable-examples --disable-curl \
		--enable-epoll
	$MAKE -C src/microhttpd
	make -C src/microhttpd install
	make -C src/include install
	make install-pkgconfigDATA
}
