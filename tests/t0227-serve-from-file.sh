#!/bin/bash
# `lading serve site.tar.zst` on a signed format 2 bundle serves straight from
# the compressed file: nothing is extracted, skopeo pulls, a Range across a
# 4 MiB chunk boundary is right, and a byte flipped inside one blob's frame
# fails only the requests for that blob (logged naming the entry) while the
# others succeed. --verify-all keeps the full check at start.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
. "$TOP/scripts/lib-serve.sh"
plan 17

bundle_fixture 10m || { echo "Bail out! registry fixture"; exit 1; }
"$LADING" key generate -o "$TRASH/site" --unencrypted >/dev/null 2>&1 || exit 1
ok "bundle create --sign" "$LADING" bundle create -q -f "$SPEC" -o "$TRASH/site.tar.zst" --sign "$TRASH/site.key"
# The 10 MiB layer (the bundle's largest blob) as the bundle holds it.
zstd -q -dc "$TRASH/site.tar.zst" | tar -tv | grep ' oci/blobs/sha256/[0-9a-f]' | sort -k3 -n >"$TRASH/blobs"
big=$(tail -n 1 "$TRASH/blobs" | sed 's|.*/||')
mkdir -p "$TRASH/want"
zstd -q -dc "$TRASH/site.tar.zst" | tar -x -C "$TRASH/want" "oci/blobs/sha256/$big"
want=$TRASH/want/oci/blobs/sha256

serve_start "$TRASH/site.tar.zst" --pubkey "$TRASH/site.pub" --cache-dir "$TRASH/serve-cache" -v || exit 1
ok "the log says it serves from the file" grep -q "served from the file" "$SERVE_LOG"
ok "skopeo copies test/a:1 (with the 10 MiB layer)" skopeo copy --quiet --preserve-digests --src-tls-verify=false \
	"docker://$SERVE_HOST/test/a:1" "oci:$TRASH/copy:a"
ok "the copied layer is the bundle's" cmp "$TRASH/copy/blobs/sha256/$big" "$want/$big"
url=http://$SERVE_HOST/v2/test/a/blobs/sha256:$big
curl -sf -r 4194000-4194999 "$url" >"$TRASH/range" 2>/dev/null
tail -c +4194001 "$want/$big" | head -c 1000 >"$TRASH/range.want"
ok "a Range across the 4 MiB boundary returns the right bytes" cmp "$TRASH/range" "$TRASH/range.want"
ok "no extraction: the cache directory was never made" test ! -e "$TRASH/serve-cache"
ok "nothing under \$LADING_CACHE/serve" test ! -e "$LADING_CACHE/serve"
# 24 slow downloads of the layer at once, 8 of them from the middle: each used to
# hold a verified chunk of its own (4 MiB and more); now they share the chunk cache.
pids=()
for i in $(seq 1 24); do
	range=()
	[ "$i" -gt 16 ] && range=(-r "$((i * 300000))-")
	curl -sf --limit-rate 3M "${range[@]}" -o "$TRASH/slow.$i" "$url" 2>/dev/null &
	pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
is "24 concurrent slow downloads all succeed" "$failed" 0
ok "... with the right bytes" bash -c 'cmp -s "$1/slow.1" "$2" && cmp -s "$1/slow.16" "$2" &&
	cmp -s "$1/slow.20" <(tail -c +6000001 "$2")' sh "$TRASH" "$want/$big"
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVE_PID/status")
echo "# serve's peak RSS after 24 concurrent downloads: ${hwm} KiB"
ok "serve's peak RSS stayed under 64 MiB (${hwm} KiB)" test "$hwm" -lt 65536
serve_stop
is "stopped with exit 0" "$SERVE_STATUS" 0

# Flip a byte in the middle of the frame holding byte 5 MiB of the big layer (its chunk 1).
cp "$TRASH/site.tar.zst" "$TRASH/damaged.tar.zst"
python3 - "$TRASH/damaged.tar.zst" "oci/blobs/sha256/$big" <<'PY' || { echo "Bail out! damage"; exit 1; }
import io, struct, subprocess, sys, tarfile
path, name = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
count = struct.unpack("<I", data[-9:-5])[0]
row = 12 if data[-5] & 0x80 else 8
table = data[-9 - count * row:-9]
frames = [struct.unpack("<II", table[i * row:i * row + 8]) for i in range(count)]
tar = subprocess.run(["zstd", "-q", "-dc", path], capture_output=True, check=True).stdout
want = tarfile.open(fileobj=io.BytesIO(tar)).getmember(name).offset_data + 5 * 1048576
comp = dec = 0
for c, d in frames:
    if dec + d > want:
        break
    comp += c
    dec += d
at = comp + c // 2
with open(path, "r+b") as f:
    f.seek(at)
    b = f.read(1)
    f.seek(at)
    f.write(bytes([b[0] ^ 0x55]))
PY
serve_start "$TRASH/damaged.tar.zst" --pubkey "$TRASH/site.pub" --cache-dir "$TRASH/serve-cache" || exit 1
url=http://$SERVE_HOST/v2/test/a/blobs/sha256:$big
curl -sf "$url" >"$TRASH/got" 2>/dev/null
got_status=$?
ok "the damaged blob's GET fails (curl exit $got_status)" test "$got_status" -ne 0
ok "... after sending only verified bytes (at most chunk 0)" \
	bash -c 'test "$(stat -c %s "$1")" -le 4194304 && cmp -s "$1" <(head -c "$(stat -c %s "$1")" "$2")' sh \
	"$TRASH/got" "$want/$big"
ok "a Range inside the undamaged chunk 2 still succeeds" sh -c 'curl -sf -r 9000000-9000099 "$1" >/dev/null' sh "$url"
config=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$SERVE_HOST/v2/test/a/manifests/1" | jq -r .config.digest)
ok "another blob (test/a:1's config) still succeeds" sh -c 'curl -sf "$1" | sha256sum | grep -q "^$2 "' sh \
	"http://$SERVE_HOST/v2/test/a/blobs/$config" "${config#sha256:}"
ok "the log names the entry and the chunk" \
	grep -q "oci/blobs/sha256/$big: sha256 mismatch in chunk 1" "$SERVE_LOG"
serve_stop
fails_one_line "--verify-all checks every entry at start and refuses the damaged bundle" 1 \
	"oci/blobs/sha256/$big" "$LADING" serve "$TRASH/damaged.tar.zst" --verify-all --plain-http --listen 127.0.0.1:0 \
	--pubkey "$TRASH/site.pub" --cache-dir "$TRASH/serve-cache"
done_testing
