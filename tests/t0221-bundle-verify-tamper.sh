#!/bin/bash
# One flipped byte makes verify fail naming the entry; a truncated bundle still
# inspects (inspect reads only the head) while verify fails.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
plan 9

bundle_fixture 4m || { echo "Bail out! registry fixture"; exit 1; }
OUT=$TRASH/site.tar.zst
ok "create a bundle with a 4 MiB random layer" "$LADING" bundle create -f "$SPEC" -o "$OUT"
big=$(tar --zstd -tvf "$OUT" | awk '$3 > 4000000 { print $6 }')
ok "the big layer is in the bundle" test -n "$big"

# Random data compresses to raw zstd blocks, so a byte in the middle of the file
# is a byte of the big layer's content.
size=$(stat -c %s "$OUT")
cp "$OUT" "$TRASH/flipped.tar.zst"
python3 - "$TRASH/flipped.tar.zst" $((size / 2)) <<'PY'
import sys
path, offset = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(offset); b = f.read(1); f.seek(offset); f.write(bytes([b[0] ^ 0x01]))
PY
fails_with "verify fails on one flipped byte, naming the entry (exit 1)" 1 "flipped.tar.zst: $big: sha256 mismatch" \
	"$LADING" bundle verify --insecure-skip-signature "$TRASH/flipped.tar.zst"
fails_with "extract fails on it too and creates nothing" 1 "$big" \
	"$LADING" bundle extract --insecure-skip-signature -C "$TRASH/x" "$TRASH/flipped.tar.zst"
ok "no directory left by the failed extract" sh -c "! test -e '$TRASH/x' && ! ls -a '$TRASH' | grep -q staging"

# Flip a byte in the uncompressed tar and recompress: the same check, any codec.
zstd -q -d -c "$OUT" >"$TRASH/plain.tar"
python3 - "$TRASH/plain.tar" "$big" <<'PY'
import sys
path, name = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, "rb").read())
offset = data.index(name) + 512 + 100000  # inside the entry's data, past its header
data[offset] ^= 0x01
open(path, "wb").write(data)
PY
zstd -q -c "$TRASH/plain.tar" >"$TRASH/recompressed.tar.zst"
fails_with "verify names the altered entry after recompression" 1 "$big: sha256 mismatch" \
	"$LADING" bundle verify --insecure-skip-signature "$TRASH/recompressed.tar.zst"

head -c 262144 "$OUT" >"$TRASH/truncated.tar.zst"
ok "inspect works on the first 256 KiB of a $((size / 1024)) KiB bundle" \
	sh -c "'$LADING' bundle inspect '$TRASH/truncated.tar.zst' | grep -q 'test/a:1'"
fails_with "verify fails on the truncated bundle (exit 1)" 1 "truncated.tar.zst" \
	"$LADING" bundle verify --insecure-skip-signature "$TRASH/truncated.tar.zst"
ok "inspect --json works on it too" sh -c "'$LADING' bundle inspect --json '$TRASH/truncated.tar.zst' | jq -e '.images | length == 3'"
done_testing
