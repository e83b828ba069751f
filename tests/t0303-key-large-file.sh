#!/bin/bash
# Big files are hashed as a stream (BLAKE2b-512, "ED"): memory stays small. A legacy "Ed"
# signature needs the whole file, so past 64 MiB lading refuses it with a clear line.
. "$(dirname "$0")/test-lib.sh"
plan 5
cd "$TRASH" || exit 1
unset LADING_KEY_PASSWORD LADING_TRUST_DIR

"$LADING" key generate -o k --unencrypted >/dev/null
truncate -s 200M big.img
printf 'tail' >>big.img

# Peak RSS (KiB) of a command, from getrusage of the finished child.
peak_kib() {
	python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)' "$@"
}

kib=$(peak_kib "$LADING" key sign big.img --key k.key)
ok "signing a 200 MiB file stays under 32 MiB of memory (peak ${kib} KiB)" test "$kib" -gt 0 -a "$kib" -lt 32768
ok "minisign -V accepts the signature of the big file" minisign -Vm big.img -p k.pub -q
kib=$(peak_kib "$LADING" key verify big.img --pubkey k.pub)
ok "verifying it stays under 32 MiB too (peak ${kib} KiB)" test "$kib" -gt 0 -a "$kib" -lt 32768

truncate -s 65M legacy.img
minisign -S -l -s k.key -m legacy.img >/dev/null 2>&1
fails_with "legacy Ed signature over more than 64 MiB is refused, saying why" 1 \
	"'legacy.img.minisig': legacy 'Ed' signature over a file larger than 64 MiB; only prehashed 'ED' signatures are verified streaming" \
	"$LADING" key verify legacy.img --pubkey k.pub
truncate -s 1M small.img
minisign -S -l -s k.key -m small.img >/dev/null 2>&1
ok "a small file with a legacy signature is fine" "$LADING" key verify small.img --pubkey k.pub -q
done_testing
