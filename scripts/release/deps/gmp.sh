# GMP for GnuTLS's public-key code (through nettle's hogweed). Configured for
# generic x86-64, not the build machine's CPU, so the binary runs on any
# x86-64 and two build machines give the same bytes. No C++.
needs=""
build() {
	./configure --prefix="$P" --libdir="$P/lib" --disable-shared --enable-static --disable-cxx \
		--build="$GMP_TRIPLET" --host="$GMP_TRIPLET"
	$MAKE
	make install-libLTLIBRARIES install-includeexecHEADERS install-nodist_includeexecHEADERS
}
