#!/bin/bash
# The libFuzzer targets (tests/fuzz/) build with clang and run a few seconds each on
# their seed corpus without a crash, leak, sanitizer report or timeout: one test per
# target. `make fuzz FUZZ_SECONDS=600` is the long run (tests/fuzz/README).
. "$(dirname "$0")/test-lib.sh"

command -v clang >/dev/null || skip_all "clang is not installed (Debian: clang)"
# libFuzzer's runtime ships in Debian's libclang-rt-NN-dev
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$TRASH/probe.c"
clang -fsanitize=fuzzer,address,undefined -o "$TRASH/probe" "$TRASH/probe.c" 2>/dev/null ||
	skip_all "clang cannot link -fsanitize=fuzzer,address,undefined (Debian: libclang-rt-14-dev)"

names=$(cd "$TOP/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
plan $(($(echo "$names" | wc -w) + 1))
seconds=${FUZZ_SMOKE_SECONDS:-3}

# a fresh make: not the jobserver or variables of a `make check` this runs under
ok "fuzz targets build (make fuzz-build)" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -C "$TOP" -j2 --no-print-directory fuzz-build
for name in $names; do
	mkdir -p "$TRASH/tmp-$name"
	# a crash, leak, sanitizer report or timeout fails it; so does a temp file left behind
	ok "fuzz_$name runs ${seconds}s on tests/fuzz/$name/: no crash, nothing left in TMPDIR" \
		sh -c 'env TMPDIR="$1/tmp-$3" FUZZ_BUILD="$2/build-fuzz" FUZZ_WORK="$1" "$2/tests/fuzz/run" "$4" "$3" &&
			[ -z "$(ls -A "$1/tmp-$3")" ]' sh "$TRASH" "$TOP" "$name" "$seconds"
done
done_testing
