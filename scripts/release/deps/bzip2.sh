# libbz2: bzip2 for libarchive (Packages.bz2 of older repositories). The
# upstream Makefile installs tools too: copy the library and header only.
needs=""
build() {
	$MAKE libbz2.a CC="$CC" CFLAGS="$CFLAGS -D_FILE_OFFSET_BITS=64"
	install -m 0644 libbz2.a "$P/lib/libbz2.a"
	install -m 0644 bzlib.h "$P/include/bzlib.h"
}
