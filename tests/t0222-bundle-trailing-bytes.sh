#!/bin/bash
# The signature covers lading.json, not the file: a signed bundle verifies and
# extracts only if every byte of it is accounted for. Bytes appended after the
# zstd frame that ends the tar (another frame, a skippable frame, garbage), a
# non-zero byte in the padding after the tar's end-of-archive, or more padding
# than one tar record make verify and extract fail with one line naming the
# offset, and extract leaves nothing. inspect reads only the head, as before.
. "$(dirname "$0")/test-lib.sh"
plan 23
unset LADING_KEY_PASSWORD LADING_TRUST_DIR
cd "$TRASH" || exit 1
export LADING_CACHE=$TRASH/cache

"$LADING" key generate -o k --unencrypted >/dev/null
head -c 300000 /dev/urandom >big.bin
printf 'hello\n' >small.txt
cat >lading.yaml <<-YAML
name: trailing
files:
  - url: file://$TRASH/big.bin
    sha256: $(sha256sum big.bin | cut -d' ' -f1)
  - url: file://$TRASH/small.txt
    sha256: $(sha256sum small.txt | cut -d' ' -f1)
YAML
"$LADING" bundle create -q -f lading.yaml -o site.tar.zst --sign k.key >/dev/null ||
	{ echo "Bail out! bundle create --sign"; exit 1; }
size=$(stat -c %s site.tar.zst)
zstd -q -d -c site.tar.zst >site.tar
tar_size=$(stat -c %s site.tar)
record_end=$(((tar_size + 10239) / 10240 * 10240))

ok "the untouched signed bundle verifies" "$LADING" bundle verify --pubkey k.pub site.tar.zst
ok "and extracts" "$LADING" bundle extract --pubkey k.pub -C out-good site.tar.zst
ok "lading's writer pads nothing: the tar ends at a 512-byte block" test $((tar_size % 512)) -eq 0

# Zeros up to the next 10240-byte record, as GNU tar and Python's tarfile write, are fine.
{ cat site.tar; head -c $((record_end - tar_size)) /dev/zero; } | zstd -q -c >padded.tar.zst
ok "zero padding up to one tar record still verifies" "$LADING" bundle verify --pubkey k.pub padded.tar.zst

# refused NAME FILE PATTERN: verify and extract fail with exit 1 and one line, extract leaves nothing.
refused() {
	fails_one_line "$1: verify fails (exit 1, one line)" 1 "$3" "$LADING" bundle verify --pubkey k.pub "$2"
	fails_one_line "$1: extract fails (exit 1, one line)" 1 "$3" \
		"$LADING" bundle extract --pubkey k.pub -C "out-$2" "$2"
	ok "$1: nothing left under the extract directory, no staging directory" \
		sh -c "! test -e 'out-$2' && ! ls -a . | grep -q lading-staging"
}
altered() { printf 'the file was altered( or appended to)?; get the bundle again$'; }

cp site.tar.zst frame.tar.zst
printf x | zstd -q -c >>frame.tar.zst
refused "an appended zstd frame" frame.tar.zst \
	"^lading: frame.tar.zst: $(($(stat -c %s frame.tar.zst) - size)) bytes after the end of the signed archive at offset $size: $(altered)"

cp site.tar.zst skippable.tar.zst
printf '\x50\x2a\x4d\x18\x04\x00\x00\x00abcd' >>skippable.tar.zst
refused "an appended skippable frame" skippable.tar.zst \
	"^lading: skippable.tar.zst: 12 bytes after the end of the signed archive at offset $size: $(altered)"

cp site.tar.zst garbage.tar.zst
printf 'garbage' >>garbage.tar.zst
refused "appended raw bytes" garbage.tar.zst \
	"^lading: garbage.tar.zst: 7 bytes after the end of the signed archive at offset $size: $(altered)"

cp site.tar.zst zeros.tar.zst
head -c 1024 /dev/zero | zstd -q -c >>zeros.tar.zst
refused "an appended frame of zeros" zeros.tar.zst \
	"^lading: zeros.tar.zst: [0-9]+ bytes after the end of the signed archive at offset $size: $(altered)"

# The same tar, still signed (the signature covers lading.json), with a byte
# hidden in the zero padding after its end-of-archive, recompressed as one frame.
python3 - site.tar nonzero.tar "$record_end" <<'PY'
import sys
src, dst, record_end = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = bytearray(open(src, "rb").read())
data += bytes(record_end - len(data))
data[-100] = 0x41
open(dst, "wb").write(data)
PY
zstd -q -c nonzero.tar >nonzero.tar.zst
refused "a non-zero byte in the padding after the tar's end" nonzero.tar.zst \
	"^lading: nonzero.tar.zst: a non-zero byte at decompressed offset $((record_end - 100)), after the end of the signed archive at $tar_size: $(altered)"

{ cat site.tar; head -c $((record_end - tar_size + 512)) /dev/zero; } | zstd -q -c >longpad.tar.zst
refused "more zero padding than one tar record" longpad.tar.zst \
	"^lading: longpad.tar.zst: padding after the end of the signed archive runs past its 10240-byte tar record at decompressed offset $record_end: $(altered)"

ok "inspect still describes an appended bundle (it reads only the head)" \
	sh -c "'$LADING' bundle inspect frame.tar.zst | grep -q '^bundle   trailing'"
done_testing
