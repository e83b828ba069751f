# GnuTLS for libmicrohttpd's TLS (`lading serve --tls-cert`): server side only,
# so no trust store, p11-kit, TPM, IDN, DANE, compression, tools, docs or C++;
# libunistring and libtasn1 come from GnuTLS's own copies.
needs="gmp nettle"
build() {
	./configure --prefix="$P" --libdir="$P/lib" --disable-shared --enable-static \
		--with-included-unistring --with-included-libtasn1 --without-p11-kit --without-idn \
		--without-tpm --without-tpm2 --without-zlib --without-brotli --without-zstd \
		--disable-doc --disable-tools --disable-cxx --disable-tests --disable-guile \
		--disable-nls --disable-libdane --disable-openssl-compatibility \
		--disable-valgrind-tests --disable-full-test-suite --with-default-trust-store-file= \
		--with-default-trust-store-dir= --disable-ktls \
		CPPFLAGS="$CPPFLAGS -I$P/include" LDFLAGS="-L$P/lib"
	$MAKE -C gl
	$MAKE -C lib
	make -C lib install
}
