# libmicrohttpd for `lading serve`, plain HTTP only: its TLS would be GnuTLS,
# and serve's HTTPS is lading's OpenSSL front end (serve/tls_front.c) handing
# decrypted connections to it, so --disable-https.
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
