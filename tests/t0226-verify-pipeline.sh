#!/bin/bash
# verify and extract decompress on a thread of their own, a few blocks ahead of
# the tar parse and hashing (issue 16). What they report must not change: a
# stop the decoder meets far ahead (bytes that are not a zstd frame, a
# skippable frame, a truncated file, a damaged frame) comes out as the same
# one line naming the same offset once the tar parse gets there, after the
# entries before it; a sha256 mismatch early in a large bundle stops at once
# (the decoder, waiting ahead, is stopped, nothing hangs); a format 1 bundle
# read through a pipe still accounts for its last byte; memory stays flat.
. "$(dirname "$0")/test-lib.sh"
plan 21
cd "$TRASH" || exit 1
export LADING_CACHE=$TRASH/cache SOURCE_DATE_EPOCH=1795338000
SEEK="python3 $TOP/tests/t0224-seektable.py"
# Every run is bounded: a decoder that is never stopped would hang, and that must fail, not wait.
V="timeout 120 $LADING bundle verify --insecure-skip-signature"
again='; get the bundle again$'

head -c $((24 * 1048576 + 100)) /dev/urandom >big.bin
seq 1 900000 >seq.txt
printf 'hello\n' >small.txt
{
	echo "name: pipeline"
	echo "files:"
	for f in big.bin seq.txt small.txt; do
		echo "  - url: file://$TRASH/$f"
		echo "    sha256: $(sha256sum $f | cut -d' ' -f1)"
	done
} >lading.yaml
"$LADING" bundle create -q -f lading.yaml -o site.tar.zst >/dev/null || { echo "Bail out! bundle create"; exit 1; }
size=$(stat -c %s site.tar.zst)

ok "a 30 MiB bundle verifies" $V site.tar.zst
ok "and extracts, every byte right" sh -c "$LADING bundle extract --insecure-skip-signature -C out site.tar.zst \
	>/dev/null 2>&1 && cmp out/files/big.bin big.bin && cmp out/files/seq.txt seq.txt"

# The last full 4 MiB frame of big.bin: far past what the decoder holds ahead when the head is read.
read -r at len _ < <($SEEK frames site.tar.zst | awk '$4 == 4194304' | tail -1)
ok "big.bin's last full frame found ($at, $len bytes)" test -n "$at"

# refused NAME FILE PATTERN: verify and extract fail with exit 1 and one line, extract leaves nothing.
refused() {
	fails_one_line "$1: verify fails (exit 1, one line)" 1 "$3" $V "$2"
	fails_one_line "$1: extract fails (exit 1, one line)" 1 "$3" \
		timeout 120 "$LADING" bundle extract --insecure-skip-signature -C "out-$2" "$2"
	ok "$1: nothing left under the extract directory, no staging directory" \
		sh -c "! test -e 'out-$2' && ! ls -a . | grep -q lading-staging"
}

# Its magic number overwritten: the stream stops there, seen when the parse reaches it.
cp site.tar.zst notzstd.tar.zst
printf 'ABCD' | dd of=notzstd.tar.zst bs=1 seek="$at" conv=notrunc status=none
refused "a late frame that is not zstd" notzstd.tar.zst \
	"^lading: notzstd.tar.zst: the bytes at offset $at are not a zstd frame: the file was altered or damaged$again"

# A skippable frame put in front of it.
python3 - site.tar.zst skip.tar.zst "$at" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
at = int(sys.argv[3])
open(sys.argv[2], "wb").write(d[:at] + struct.pack("<II", 0x184D2A50, 4) + b"abcd" + d[at:])
PY
refused "a late skippable frame" skip.tar.zst \
	"^lading: skip.tar.zst: a skippable zstd frame at offset $at is not part of the signed archive: the file was altered$again"

cut=$((at + len / 2))
head -c "$cut" site.tar.zst >cut.tar.zst
refused "a file cut inside a late frame" cut.tar.zst \
	"^lading: cut.tar.zst: the file ends inside a zstd frame at offset $cut: it is truncated$again"

# A byte flipped inside it (random data: a raw zstd block, so the digest catches it, naming the
# entry and its 4 MiB chunk).
cp site.tar.zst flip.tar.zst
flip_byte flip.tar.zst "$cut"
refused "a byte flipped in a late frame" flip.tar.zst \
	"^lading: flip.tar.zst: files/big.bin: sha256 mismatch in chunk [0-9]+ \(bytes [0-9]+ to [0-9]+\) against lading.json: the bundle is damaged or altered$"

# Format 1 (one zstd stream) with a flipped first entry and 40 MiB after it: the mismatch stops
# verify while the decoder waits ahead; it must end promptly, not hang or read on.
mkdir tree
head -c $((8 * 1048576)) /dev/urandom >tree/a.bin
head -c $((40 * 1048576)) /dev/urandom >tree/b.bin
python3 "$TOP/scripts/mkbundle.py" early.tar.zst --files tree --flip files/a.bin
fails_one_line "an early sha256 mismatch with 40 MiB after it stops verify at once" 1 \
	"^lading: early.tar.zst: files/a.bin: sha256 mismatch" $V early.tar.zst

# A damaged tar header 300 KiB before the end of a format 1 stream followed by junk: the decoder
# has usually met the junk already, but the parse fails first, and that is what is reported.
mkdir hdr
head -c $((3 * 1048576)) /dev/urandom >hdr/a.bin
head -c $((300 * 1024)) /dev/urandom >hdr/z.bin
python3 "$TOP/scripts/mkbundle.py" hdr.tar.zst --files hdr
zstd -q -d -c hdr.tar.zst | python3 -c '
import sys, tarfile, io
d = bytearray(sys.stdin.buffer.read())
off = [m.offset for m in tarfile.open(fileobj=io.BytesIO(bytes(d))) if m.name == "files/z.bin"][0]
d[off + 148] = ord("9")  # its checksum field
sys.stdout.buffer.write(d)' | zstd -q -c >hdr-bad.tar.zst
printf 'garbage' >>hdr-bad.tar.zst
fails_one_line "a damaged tar header is reported, not the junk the decoder met after it" 1 \
	"^lading: hdr-bad.tar.zst: after 'files/a.bin': Damaged tar archive$" $V hdr-bad.tar.zst

# Format 1 read through a pipe: the end is found by reading on, not from the file's size.
python3 "$TOP/scripts/mkbundle.py" v1.tar.zst --files tree
v1size=$(stat -c %s v1.tar.zst)
ok "a format 1 bundle verifies through a pipe" bash -c "$V /dev/fd/3 3< <(cat v1.tar.zst)"
fails_one_line "and 7 bytes after it are still refused, at the right offset" 1 \
	"^lading: /dev/fd/3: 7 bytes after the end of the signed archive at offset $v1size: the file was altered or appended to$again" \
	bash -c "$V /dev/fd/3 3< <(cat v1.tar.zst; printf garbage)"

# Peak RSS: the decoder's blocks are a fixed few, so a bundle 40 MiB larger costs no more memory.
if [ -x /usr/bin/time ]; then
	head -c $((1048576)) /dev/urandom >tree/b.bin
	python3 "$TOP/scripts/mkbundle.py" small.tar.zst --files tree
	/usr/bin/time -f %M -o big.rss $V v1.tar.zst >/dev/null 2>&1
	/usr/bin/time -f %M -o small.rss $V small.tar.zst >/dev/null 2>&1
	big_kib=$(tail -1 big.rss) small_kib=$(tail -1 small.rss)
	ok "verify of a 48 MiB bundle stays under 64 MiB of RSS ($big_kib KiB)" test "$big_kib" -lt $((64 * 1024))
	ok "and within 4 MiB of a 9 MiB one ($small_kib KiB)" test $((big_kib - small_kib)) -lt 4096
else
	skip_n 2 "no /usr/bin/time"
fi
done_testing
