# libfreeipmi for `lading baremetal` with protocol ipmi (IPMI 2.0 LAN, RMCP+):
# the library and its headers only; no tools, daemons, init scripts, man
# pages or the SDR cache folders.
needs="libgcrypt libgpg-error"
build() {
	# Debian's patch touches configure.ac (man page dates): keep the shipped
	# autotools output rather than need automake.
	find . \( -name aclocal.m4 -o -name configure -o -name Makefile.in -o -name config.h.in \) -exec touch {} +
	# RMCP+ session ids and AES IVs come from /dev/urandom, which configure looks
	# for on the build machine (and cannot, cross-compiling): every Linux has it.
	# musl has no argp, and FreeIPMI's own copy (for its tools) does not compile
	# against musl's headers: the library needs none, so configure is told argp
	# is there and leaves that copy out.
	./configure ${CROSS_HOST:+--host=$CROSS_HOST} --prefix="$P" --disable-shared --enable-static \
		--disable-init-scripts --disable-ipmisdrcachedir \
		--with-pkgconfig-dir="$P/lib/pkgconfig" ac_cv_file__dev_urandom=yes ac_cv_file__dev_random=yes \
		ac_cv_func_argp_parse=yes ac_cv_header_argp_h=yes \
		CPPFLAGS="$CPPFLAGS -I$P/include" LDFLAGS="-L$P/lib"
	$MAKE -C libfreeipmi libfreeipmi.la
	make -C libfreeipmi install-libLTLIBRARIES install-pkgconfigDATA
	make -C libfreeipmi/include install
	# libfreeipmi.pc names no libgcrypt: a static link needs it (and, through
	# libgcrypt.pc, libgpg-error).
	printf 'Requires.private: libgcrypt\n' >>"$P/lib/pkgconfig/libfreeipmi.pc"
}
