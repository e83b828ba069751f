#!/bin/bash
# Delta bundles (issue 17): `bundle create --since OLD` after one layer of one
# image changed carries that layer and metadata only, and names its base;
# tar --zstd and zstd read it; verify checks what it carries and says what it
# leaves to the base; extract and serve need the base (--base) and then give
# exactly what the full bundle gives (same files, skopeo gets the same
# digests, from the file); a wrong or missing base is refused in one line
# naming the base; inspect shows the base; bundle sign keeps it a delta.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
. "$TOP/scripts/lib-serve.sh"
plan 33
export SOURCE_DATE_EPOCH=1795338000

bundle_fixture 4m || { echo "Bail out! registry fixture"; exit 1; }
"$LADING" key generate -o "$TRASH/site" --unencrypted >/dev/null 2>&1 || exit 1
ok "old bundle" "$LADING" bundle create -q -f "$SPEC" -o "$TRASH/old.tar.zst" --sign "$TRASH/site.key"
# The update: test/b:1 gets a new 2 MiB layer; everything else stays.
python3 "$TOP/scripts/mkimage.py" "$LAYOUT" b:1 --layer 64k:shared --layer 2m:b-update >/dev/null
push_layout "$LAYOUT" b:1 "$SRC/test/b:1" || { echo "Bail out! update"; exit 1; }
ok "full new bundle" "$LADING" bundle create -q -f "$SPEC" -o "$TRASH/full.tar.zst" --sign "$TRASH/site.key"
ok "delta --since the old bundle" "$LADING" bundle create -q -f "$SPEC" -o "$TRASH/delta.tar.zst" \
	--since "$TRASH/old.tar.zst" --sign "$TRASH/site.key"

full=$(stat -c %s "$TRASH/full.tar.zst") delta=$(stat -c %s "$TRASH/delta.tar.zst")
echo "# full bundle $full bytes, delta $delta bytes"
ok "the delta is the new layer plus metadata (< 2 MiB + 64 KiB)" test "$delta" -lt $((2 * 1048576 + 65536))
"$LADING" bundle diff --json "$TRASH/old.tar.zst" "$TRASH/full.tar.zst" >"$TRASH/diff.json"
stored=$(tar --zstd -tf "$TRASH/delta.tar.zst" | grep -c '^oci/blobs/sha256/.')
is "tar --zstd reads it: it stores exactly the blobs the old bundle lacks" "$stored" \
	"$(jq .blobs.added.count "$TRASH/diff.json")"
ok "zstd -t reads it" zstd -q -t "$TRASH/delta.tar.zst"
ok "verify checks what it carries and names what it leaves to the base" \
	sh -c '"$1" bundle verify --pubkey "$2" "$3" | grep -q "a delta: [0-9]* more entries .* live in its base"' sh \
	"$LADING" "$TRASH/site.pub" "$TRASH/delta.tar.zst"
ok "inspect shows the base" sh -c '"$1" bundle inspect "$2" | grep -q "^delta    on .test-bundle. (lading.json sha256:"' \
	sh "$LADING" "$TRASH/delta.tar.zst"

fails_one_line "extract without --base is refused, naming the base" 2 "give that bundle with --base" \
	"$LADING" bundle extract --pubkey "$TRASH/site.pub" -C "$TRASH/x0" "$TRASH/delta.tar.zst"
ok "... and leaves no directory" test ! -e "$TRASH/x0"
fails_one_line "extract with the wrong base is refused" 2 "is not the base of this delta" \
	"$LADING" bundle extract --pubkey "$TRASH/site.pub" -C "$TRASH/x1" --base "$TRASH/full.tar.zst" \
	"$TRASH/delta.tar.zst"
ok "extract --base old" "$LADING" bundle extract -q --pubkey "$TRASH/site.pub" -C "$TRASH/xd" \
	--base "$TRASH/old.tar.zst" "$TRASH/delta.tar.zst"
ok "extract of the full bundle" "$LADING" bundle extract -q --pubkey "$TRASH/site.pub" -C "$TRASH/xf" \
	"$TRASH/full.tar.zst"
sums() { (cd "$1" && find . -type f ! -name 'lading.json*' -print0 | sort -z | xargs -0 sha256sum); }
is "the delta with its base extracts to the same files as the full bundle" "$(sums "$TRASH/xd")" "$(sums "$TRASH/xf")"

fails_one_line "serve without --base is refused" 2 "give that bundle with --base" "$LADING" serve \
	"$TRASH/delta.tar.zst" --plain-http --listen 127.0.0.1:0 --pubkey "$TRASH/site.pub" --cache-dir "$TRASH/sc"
serve_start "$TRASH/delta.tar.zst" --pubkey "$TRASH/site.pub" --base "$TRASH/old.tar.zst" \
	--cache-dir "$TRASH/sc" -v || exit 1
ok "serve --base serves the delta from the file" grep -q "served from the file" "$SERVE_LOG"
for img in a b; do
	skopeo copy --quiet --preserve-digests --src-tls-verify=false "docker://$SERVE_HOST/test/$img:1" \
		"oci:$TRASH/pulled:$img" 2>"$TRASH/skopeo.err" || sed 's/^/# /' "$TRASH/skopeo.err"
done
want_a=$(jq -r '.images[] | select(.ref | endswith("/test/a:1")) | .digest' "$TRASH/xf/lading.json")
want_b=$(jq -r '.images[] | select(.ref | endswith("/test/b:1")) | .digest' "$TRASH/xf/lading.json")
is "skopeo gets test/a:1 (all in the base) with the full bundle's digest" \
	"$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "a") | .digest' \
		"$TRASH/pulled/index.json")" "$want_a"
is "skopeo gets test/b:1 (new layer in the delta) with the full bundle's digest" \
	"$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "b") | .digest' \
		"$TRASH/pulled/index.json")" "$want_b"
ok "the pulled layers are whole (every blob matches its digest)" cache_consistent "$TRASH/pulled"
ok "nothing was extracted" test ! -e "$TRASH/sc"
serve_stop

# push: onto a registry without the base, onto one holding it, and with --base.
registry_start dst
DST=127.0.0.1:$REGISTRY_PORT
fails_one_line "push of the delta to a registry without the base names what it needs" 1 \
	"lives in the base, and $DST/test/[a-z]* cannot give it \(push the base first, or give it with --base\)" \
	"$LADING" bundle push --pubkey "$TRASH/site.pub" --registry "$DST" --plain-http "$TRASH/delta.tar.zst"
is "... and nothing was sent (the registry's catalog is empty)" \
	"$(curl -sf "http://$DST/v2/_catalog" | jq -c .repositories)" "[]"
ok "push of the base" "$LADING" bundle push -q --pubkey "$TRASH/site.pub" --registry "$DST" --plain-http \
	"$TRASH/old.tar.zst"
# The registry loses test/a's 4 MiB layer: the delta relies on it.
big=$(jq -r '.entries[] | select(.size > 4000000 and .size < 5000000) | .sha256' "$TRASH/xf/lading.json")
curl -sf -X DELETE "http://$DST/v2/test/a/blobs/sha256:$big" >/dev/null
fails_one_line "push of the delta names the base blob the registry lacks, and stops" 2 \
	"and $DST lacks 1 blob of that base: sha256:$big in test/a; nothing was pushed" \
	"$LADING" bundle push --pubkey "$TRASH/site.pub" --registry "$DST" --plain-http "$TRASH/delta.tar.zst"
registry_digest() { skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | cut -d' ' -f1; }
isnt_b=$(registry_digest "$DST/test/b:1")
ok "... test/b:1 there is still the old one" test "sha256:$isnt_b" != "$want_b"
ok "push of the base again" "$LADING" bundle push -q --pubkey "$TRASH/site.pub" --registry "$DST" --plain-http \
	"$TRASH/old.tar.zst"
ok "push of the delta onto the registry holding the base" sh -c '"$1" bundle push --json --pubkey "$2" \
	--registry "$3" --plain-http "$4" >"$5"' sh "$LADING" "$TRASH/site.pub" "$DST" "$TRASH/delta.tar.zst" \
	"$TRASH/push.json"
sent=$(jq .bytes_sent "$TRASH/push.json")
echo "# delta push sent $sent bytes of blobs; the new blobs are $(jq .blobs.added.bytes "$TRASH/diff.json") bytes"
ok "it sent only the new 2 MiB layer and config (not the base's 4 MiB layer)" \
	test "$sent" -ge 2097152 -a "$sent" -le "$(jq .blobs.added.bytes "$TRASH/diff.json")"
is "test/b:1 in the registry has the full bundle's digest" "sha256:$(registry_digest "$DST/test/b:1")" "$want_b"
registry_start dst2
DST2=127.0.0.1:$REGISTRY_PORT
ok "push --base of the delta into an empty registry" "$LADING" bundle push -q --pubkey "$TRASH/site.pub" \
	--registry "$DST2" --plain-http --base "$TRASH/old.tar.zst" "$TRASH/delta.tar.zst"
is "test/a:1 there has the full bundle's digest" "sha256:$(registry_digest "$DST2/test/a:1")" "$want_a"

"$LADING" key generate -o "$TRASH/other" --unencrypted >/dev/null 2>&1
ok "bundle sign re-signs the delta" "$LADING" bundle sign -q -k "$TRASH/other.key" "$TRASH/delta.tar.zst"
ok "... which stays a delta and verifies with the new key" \
	sh -c '"$1" bundle verify --pubkey "$2" "$3" | grep -q "a delta:"' sh "$LADING" "$TRASH/other.pub" \
	"$TRASH/delta.tar.zst"
done_testing
