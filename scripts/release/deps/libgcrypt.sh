# libgcrypt for FreeIPMI's RMCP+ sessions: only the algorithms libfreeipmi
# asks for (AES-CBC; MD5, SHA-1, SHA-256 and their HMACs) and what the
# library itself needs (SHA-512 for its DRBG, ChaCha20 for its always-built
# Poly1305 mode). The static library, gcrypt.h
# and libgcrypt.pc; no tools, docs or tests.
needs="libgpg-error"
build() {
	./configure ${CROSS_HOST:+--host=$CROSS_HOST} --prefix="$P" --disable-shared --enable-static \
		--disable-doc --with-libgpg-error-prefix="$P" --enable-ciphers=aes,chacha20 \
		--enable-digests=md5,sha1,sha256,sha512 --enable-pubkey-ciphers=rsa \
		--disable-jent-support
	for d in compat mpi cipher random; do $MAKE -C "$d"; done
	$MAKE -C src libgcrypt.la
	make -C src install-libLTLIBRARIES install-nodist_includeHEADERS install-pkgconfigDATA
}
