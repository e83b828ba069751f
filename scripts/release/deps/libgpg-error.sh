# libgpg-error for libgcrypt (FreeIPMI's RMCP+ crypto): the static library,
# its headers, gpg-error.pc and gpgrt-config (libgcrypt's configure asks it);
# not the gpg-error tool, NLS, docs, tests or language bindings. Cross-built, its
# configure reads the lock object's size with $CROSS_HOST-objdump (musl's
# pthread_mutex_t differs from glibc's, so the shipped syscfg files would not do).
needs=""
build() {
	./configure ${CROSS_HOST:+--host=$CROSS_HOST} --prefix="$P" --disable-shared --enable-static \
		--disable-nls --disable-doc --disable-tests --disable-languages
	# all: the generated headers (BUILT_SOURCES) come first; the small gpg-error
	# tool is built but not installed.
	$MAKE -C src all
	make -C src install-libLTLIBRARIES install-nodist_includeHEADERS install-pkgconfigDATA \
		install-binSCRIPTS
}
