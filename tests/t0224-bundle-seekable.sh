#!/bin/bash
# Bundle format 2 (issue 16): the tar stream is compressed as independent zstd
# frames cut at entry boundaries (and every 4 MiB inside a large entry), then a
# seek table in a skippable frame (zstd seekable format). The file stays a
# plain .tar.zst for zstd, GNU tar and libarchive; every frame decompresses
# alone and matches the table; rebuilds are byte-identical; verify and extract
# refuse a table that is corrupted, truncated, lies about sizes or offsets, or
# is followed by anything, with one line naming the offset. A format 1 bundle
# (one zstd stream, no table) still verifies, and still refuses trailing bytes;
# bundle sign keeps each bundle's format.
. "$(dirname "$0")/test-lib.sh"
plan 45
unset LADING_KEY_PASSWORD LADING_TRUST_DIR
cd "$TRASH" || exit 1
export LADING_CACHE=$TRASH/cache SOURCE_DATE_EPOCH=1795338000
SEEK="python3 $TOP/tests/t0224-seektable.py"

"$LADING" key generate -o k --unencrypted >/dev/null
head -c $((10 * 1048576 + 100)) /dev/urandom >big.bin
head -c 3000000 /dev/urandom >mid.bin
printf 'hello\n' >small.txt
seq 1 200000 >seq.txt
{
	echo "name: seekable"
	echo "files:"
	for f in big.bin mid.bin small.txt seq.txt; do
		echo "  - url: file://$TRASH/$f"
		echo "    sha256: $(sha256sum $f | cut -d' ' -f1)"
	done
} >lading.yaml
"$LADING" bundle create -q -f lading.yaml -o site.tar.zst --sign k.key >/dev/null ||
	{ echo "Bail out! bundle create --sign"; exit 1; }
size=$(stat -c %s site.tar.zst)

ok "zstd -d reads it" sh -c 'zstd -q -d -c site.tar.zst >site.tar'
ok "GNU tar lists it" sh -c 'tar --zstd -tf site.tar.zst | grep -qx files/big.bin'
ok "libarchive (bsdtar) lists it" sh -c 'bsdtar -tf site.tar.zst | grep -qx files/seq.txt'
ok "lading.json records format 2" sh -c 'tar -xOf site.tar lading.json | grep -q "\"format\": 2"'
frames=$($SEEK check site.tar.zst 2>&1)
ok "every frame decompresses alone, matches its table row and starts at an entry boundary ($frames)" \
	sh -c "echo '$frames' | grep -qx '[0-9]*'"
# head, big.bin in 3 (cut every 4 MiB of its data), mid.bin, small.txt, seq.txt
is "the frames: head, 3 for a 10 MiB entry, one per MiB-sized entry, the small one" "$frames" 7
zframes=$(zstd -lv site.tar.zst 2>&1 | sed -n 's/^# Zstandard Frames: //p')
is "zstd -lv counts as many zstd frames as the seek table lists" "$zframes" "$frames"
is "zstd -lv sees one skippable frame (the table)" \
	"$(zstd -lv site.tar.zst 2>&1 | sed -n 's/^# Skippable Frames: //p')" 1
first=$($SEEK frames site.tar.zst | head -1)
ok "the head (lading.json, its signature, the files/ directory) is a frame of its own" \
	sh -c "test \$(echo '$first' | cut -d' ' -f4) -lt 65536"

"$LADING" bundle create -q --locked -f lading.yaml -o again.tar.zst --sign k.key >/dev/null
ok "a rebuild from the same lock is byte-identical" cmp site.tar.zst again.tar.zst
ok "the signed bundle verifies" "$LADING" bundle verify --pubkey k.pub site.tar.zst
ok "and extracts" sh -c "'$LADING' bundle extract --pubkey k.pub -C out-good site.tar.zst >/dev/null &&
	cmp out-good/files/big.bin big.bin"
ok "inspect reads it" sh -c "'$LADING' bundle inspect site.tar.zst | grep -q '^bundle   seekable'"

# inspect reads only the head frame: a byte flipped in the middle of big.bin's frames leaves it
# working (verify catches it), so inspecting a huge bundle costs its head, not its size.
cp site.tar.zst damaged.tar.zst
flip_byte damaged.tar.zst $((size / 2))
ok "inspect of a bundle damaged past its head still reads the head" \
	sh -c "'$LADING' bundle inspect damaged.tar.zst | grep -q '^bundle   seekable'"
fails_one_line "while verify refuses it in one line" 1 "^lading: damaged.tar.zst: " \
	"$LADING" bundle verify --pubkey k.pub damaged.tar.zst

# refused NAME FILE PATTERN: verify and extract fail with exit 1 and one line, extract leaves nothing.
refused() {
	fails_one_line "$1: verify fails (exit 1, one line)" 1 "$3" "$LADING" bundle verify --pubkey k.pub "$2"
	fails_one_line "$1: extract fails (exit 1, one line)" 1 "$3" \
		"$LADING" bundle extract --pubkey k.pub -C "out-$2" "$2"
	ok "$1: nothing left under the extract directory, no staging directory" \
		sh -c "! test -e 'out-$2' && ! ls -a . | grep -q lading-staging"
}
altered() { printf 'the file was altered( or appended to)?; get the bundle again$'; }
table_at=$((size - (frames * 12 + 17)))

# edit IN OUT PYTHON: OUT is IN as bytes d, changed by PYTHON (t = where the table starts).
edit() {
	python3 - "$1" "$2" "$table_at" "$3" <<-'PY'
	import struct, sys
	d = bytearray(open(sys.argv[1], "rb").read())
	t = int(sys.argv[3])
	exec(sys.argv[4])
	open(sys.argv[2], "wb").write(d)
	PY
}

edit site.tar.zst checksum.tar.zst 'd[t + 8 + 12 + 8] ^= 1'
refused "a seek table checksum changed" checksum.tar.zst \
	"^lading: checksum.tar.zst: the seek table at offset $table_at says frame 1 at offset [0-9]+ holds .*\(checksum differs\): $(altered)"

# The sizes of frames 1 and 2 swapped: the sum still fits, every offset after frame 0 lies.
edit site.tar.zst offsets.tar.zst 'a = d[t + 20:t + 28]; d[t + 20:t + 28] = d[t + 32:t + 40]; d[t + 32:t + 40] = a'
refused "a seek table lying about offsets" offsets.tar.zst \
	"^lading: offsets.tar.zst: the seek table at offset $table_at says frame 1 at offset [0-9]+ holds [0-9]+ bytes in [0-9]+, the file has [0-9]+ in [0-9]+: $(altered)"

# One row fewer, its size and footer count made consistent: a well-formed table of the wrong frames.
edit site.tar.zst fewer.tar.zst 'n = (len(d) - t - 17) // 12; del d[t + 8 + 12 * (n - 1):t + 8 + 12 * n]; d[t + 4:t + 8] = struct.pack("<I", 12 * (n - 1) + 9); d[-9:-5] = struct.pack("<I", n - 1)'
refused "a seek table listing one frame fewer" fewer.tar.zst \
	"^lading: fewer.tar.zst: the seek table at offset $table_at lists $((frames - 1)) frames, the archive has $frames: $(altered)"

# An empty zstd frame after the head, listed in a table made consistent with it: lading writes no such frame.
edit site.tar.zst empty.tar.zst 'e = bytes.fromhex("28b52ffd2000010000"); c0 = struct.unpack("<I", d[t + 8:t + 12])[0]; n = (len(d) - t - 17) // 12; tab = d[t:]; rows = tab[8:8 + 12 * n]; rows[12:12] = struct.pack("<III", 9, 0, 0x51D8E999); d[:] = d[:c0] + e + d[c0:t] + struct.pack("<II", 0x184D2A5E, 12 * (n + 1) + 9) + rows + struct.pack("<IBI", n + 1, 0x80, 0x8F92EAB1)'
refused "an empty frame, listed in the table" empty.tar.zst \
	"^lading: empty.tar.zst: the seek table at offset $((table_at + 9)) lists frame 1, which lading never writes \(empty, over 1 GiB, or past [0-9]+ frames\): $(altered)"

head -c $((size - 1)) site.tar.zst >truncated.tar.zst
refused "a truncated seek table" truncated.tar.zst \
	"^lading: truncated.tar.zst: the seek table at offset $table_at says it is $((frames * 12 + 17)) bytes, the file has $((frames * 12 + 16)) from there: truncated"

edit site.tar.zst count.tar.zst 'd[-9:-5] = struct.pack("<I", 0xffffffff)'
refused "a footer counting 2^32-1 frames" count.tar.zst \
	"^lading: count.tar.zst: seek table footer at offset $((size - 9)): 4294967295 frames, more than the format allows"

edit site.tar.zst reserved.tar.zst 'd[-5] |= 0x04'
refused "a reserved descriptor bit set" reserved.tar.zst \
	"^lading: reserved.tar.zst: seek table footer at offset $((size - 9)): reserved descriptor bits set \(0x84\)"

cp site.tar.zst extra.tar.zst
printf 'garbage' >>extra.tar.zst
refused "bytes after the seek table" extra.tar.zst \
	"^lading: extra.tar.zst: 7 bytes after the end of the signed archive at offset $size: $(altered)"

# Format 1: one zstd stream, no seek table (an unsigned bundle whose lading.json says 1).
"$LADING" bundle create -q -f lading.yaml -o plain.tar.zst >/dev/null
zstd -q -d -c plain.tar.zst >plain.tar
python3 - plain.tar v1.tar <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b'"format": 2')
d[i:i + 11] = b'"format": 1'
open(sys.argv[2], "wb").write(d)
PY
zstd -q -c v1.tar >v1.tar.zst
ok "a format 1 bundle (one zstd frame, no seek table) verifies" \
	"$LADING" bundle verify --insecure-skip-signature v1.tar.zst
ok "and extracts" sh -c "'$LADING' bundle extract --insecure-skip-signature -C out-v1 v1.tar.zst 2>/dev/null &&
	cmp out-v1/files/mid.bin mid.bin"
cp v1.tar.zst v1-extra.tar.zst
printf 'garbage' >>v1-extra.tar.zst
fails_one_line "a format 1 bundle with bytes appended is refused, naming the offset" 1 \
	"^lading: v1-extra.tar.zst: 7 bytes after the end of the signed archive at offset $(stat -c %s v1.tar.zst): $(altered)" \
	"$LADING" bundle verify --insecure-skip-signature v1-extra.tar.zst
ok "bundle sign rewrites a format 1 bundle as format 1 (one zstd frame) that verifies" \
	sh -c "'$LADING' bundle sign -k k.key v1.tar.zst >/dev/null && '$LADING' bundle verify --pubkey k.pub v1.tar.zst >/dev/null &&
		zstd -lv v1.tar.zst 2>&1 | grep -qx '# Zstandard Frames: 1'"
ok "bundle sign rewrites a format 2 bundle seekable, and it verifies" \
	sh -c "'$LADING' bundle sign -k k.key plain.tar.zst >/dev/null && $SEEK check plain.tar.zst >/dev/null &&
		'$LADING' bundle verify --pubkey k.pub plain.tar.zst >/dev/null"
zstd -q -c plain.tar >recompressed.tar.zst
ok "a format 2 bundle recompressed as one stream (no table) still verifies" \
	"$LADING" bundle verify --insecure-skip-signature recompressed.tar.zst
done_testing
