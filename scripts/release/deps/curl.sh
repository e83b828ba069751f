# libcurl with the static OpenSSL, HTTP(S) only, HTTP/1.1 and HTTP/2 (nghttp2):
# no LDAP, RTMP, Kerberos/GSS, IDN, PSL, brotli, zstd, zlib, ssh or other protocols. No CA path is built in:
# OpenSSL's defaults are the fallback and lib/cafind.c probes each distribution's
# bundle at run time.
needs="openssl nghttp2"
build() {
	./configure ${CROSS_HOST:+--host=$CROSS_HOST} --prefix="$P" --disable-shared --enable-static --with-openssl="$P" \
		--without-zlib --without-brotli --without-zstd --without-libidn2 --without-libpsl \
		--without-librtmp --with-nghttp2="$P" --without-libssh2 --without-libssh \
		--without-gssapi --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
		--disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb \
		--disable-smtp --disable-gopher --disable-mqtt --disable-ftp --disable-manual \
		--disable-docs --without-ca-bundle --without-ca-path --with-ca-fallback \
		LDFLAGS="-L$P/lib"
	$MAKE -C lib
	make -C lib install
	make -C include install
	make install-pkgconfigDATA install-binSCRIPTS
}
