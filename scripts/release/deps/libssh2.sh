# libssh2 on the static OpenSSL (provision's ssh transport). No zlib, no examples.
needs="openssl"
build() {
	./configure ${CROSS_HOST:+--host=$CROSS_HOST} --prefix="$P" --disable-shared --enable-static --with-crypto=openssl \
		--with-libssl-prefix="$P" --without-libz --disable-examples-build --disable-debug \
		LDFLAGS="-L$P/lib" LIBS="-lssl -lcrypto -lpthread"
	$MAKE -C src
	make -C src install
	make install-pkgconfigDATA install-includeHEADERS
	# Debian's packaging adds libgcrypt's -lgpg-error, which the OpenSSL backend never needs.
	sed -i 's/ -lgpg-error//' "$P/lib/pkgconfig/libssh2.pc"
}
