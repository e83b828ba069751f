# Sourced by scripts/release/build once the libraries are in $P: builds
# lading itself with the project's Makefile into $A/obj (outside the tree),
# then a stripped copy in $DIST. Make rebuilds only what changed.

build_lading() {
	cflags="-O2 -ffunction-sections -fdata-sections $REPRO -ffile-prefix-map=$top=. -idirafter $KH${ARCH_CFLAGS:+ $ARCH_CFLAGS}"
	# One object folder per checkout and flags: make compares times, not flags, so
	# two trees (or an IPMI=0 build's objects) must not share one.
	obj=$A/obj-$(printf '%s\n%s IPMI=1' "$top" "$cflags" | sha256sum | cut -c1-12)
	mkdir -p "$A/bin" "$DIST" "$obj"
	# The Makefile asks pkg-config for each library; --static adds what those link in turn.
	printf '#!/bin/sh\nexec /usr/bin/pkg-config --static "$@"\n' >"$A/bin/pkg-config"
	chmod 755 "$A/bin/pkg-config"
	version=$(sed -n 's/^#define LADING_VERSION "\(.*\)"/\1/p' "$top/lib/version.h")
	[ -n "$version" ] || die "no LADING_VERSION in $top/lib/version.h"
	# IPMI=1: libfreeipmi.pc asks (Requires.private) for libgcrypt and libgpg-error.
	# musl gives a thread 128 KiB of stack unless the executable's PT_GNU_STACK
	# asks for more (-z stack-size); glibc gives 8 MiB. libgcrypt's AES key
	# set-up (RMCP+ in a worker thread) jumped past the guard page of 128 KiB
	# and wrote into the heap: the same 8 MiB as a distribution build.
	PATH="$A/bin:$PATH" make -C "$top" --no-print-directory -j"$JOBS" BUILD="$obj" CC="$CC" IPMI=1 \
		CFLAGS="$cflags" LDFLAGS="-static -Wl,--gc-sections -Wl,--build-id=sha1 -Wl,-z,stack-size=8388608" "$obj/lading" >"$LOGS/lading.log" 2>&1 ||
		{
			grep -E 'error|undefined' "$LOGS/lading.log" | head -n 20 >&2
			die "building lading failed; full log: $LOGS/lading.log"
		}
	out=$DIST/lading-$version-linux-$ARCH
	"$STRIP" --strip-all -o "$out.tmp" "$obj/lading"
	touch -d "@$SOURCE_DATE_EPOCH" "$out.tmp"
	mv -f "$out.tmp" "$out"
	say "$out: $(wc -c <"$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1)"
}
