# OpenSSL: static libcrypto and libssl only. No engines, DSO loading, kernel
# crypto or compression; no tests or docs. OPENSSLDIR=/etc/ssl so the default
# verify paths are where most distributions keep them (lib/cafind.c probes more).
needs=""
build() {
	# shellcheck disable=SC2086
	./Configure "$OPENSSL_TARGET" no-shared no-tests no-engine no-dso no-afalgeng no-comp \
		no-ssl3 no-weak-ssl-ciphers $CPPFLAGS $CFLAGS \
		--prefix="$P" --libdir=lib --openssldir=/etc/ssl
	$MAKE build_libs
	make install_dev
}
