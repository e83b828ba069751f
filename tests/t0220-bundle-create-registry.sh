#!/bin/bash
# bundle create against a real docker-registry: skopeo reads every image out of
# the extracted layout and copies it back with the same digests; the shared
# layer is stored once; same lock gives the same bytes; a second create fetches nothing.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
plan 25

bundle_fixture || { echo "Bail out! registry fixture"; exit 1; }
export SOURCE_DATE_EPOCH=1795338000
OUT=$TRASH/site.tar.zst

ok "create writes the bundle" "$LADING" bundle create -f "$SPEC" -o "$OUT"
ok "lading.lock written next to the spec with three digests" \
	sh -c "test \$(jq '.images | length' '$SPEC_DIR/lading.lock') = 3"
ok "tar --zstd lists it, lading.json first" sh -c "tar --zstd -tf '$OUT' | head -1 | grep -qx lading.json"
ok "zstd -t accepts it" zstd -q -t "$OUT"
ok "verify passes" "$LADING" bundle verify --insecure-skip-signature "$OUT"

# skopeo may recompress layers on push: take the digests the registry serves.
layer0() { skopeo inspect --raw --tls-verify=false "docker://$SRC/test/$1" | jq -r '.layers[0].digest'; }
shared=$(layer0 a:1)
is "a:1 and b:1 share their first layer upstream" "$(layer0 b:1)" "$shared"
is "the shared layer is stored once" "$(tar --zstd -tf "$OUT" | grep -c "${shared#sha256:}")" 1

ok "inspect lists the three images with platforms" \
	sh -c "'$LADING' bundle inspect '$OUT' | grep -q 'test/multi:1 *linux/amd64,linux/arm64'"
is "inspect --json counts three images" "$("$LADING" bundle inspect --json "$OUT" | jq '.images | length')" 3

ok "extract into a new directory" "$LADING" bundle extract --insecure-skip-signature -C "$TRASH/x" "$OUT"
registry_start dst || { echo "Bail out! second registry"; exit 1; }
DST=127.0.0.1:$REGISTRY_PORT
for img in a:1 b:1; do
	ref=$SRC/test/$img
	ok "skopeo inspect oci: reads $img" skopeo inspect "oci:$TRASH/x/oci:$ref"
	ok "skopeo copy $img to another registry" skopeo copy --quiet --dest-tls-verify=false \
		"oci:$TRASH/x/oci:$ref" "docker://$DST/copy/$img"
	src_digest=$(skopeo inspect --raw --tls-verify=false "docker://$SRC/test/$img" | sha256sum | cut -d' ' -f1)
	dst_digest=$(skopeo inspect --raw --tls-verify=false "docker://$DST/copy/$img" | sha256sum | cut -d' ' -f1)
	is "copied $img has the source's manifest digest" "$dst_digest" "$src_digest"
done
ref=$SRC/test/multi:1
ok "skopeo copy --all the multi-platform image" skopeo copy --quiet --all --dest-tls-verify=false \
	"oci:$TRASH/x/oci:$ref" "docker://$DST/copy/multi:1"
children() { skopeo inspect --raw --tls-verify=false "docker://$1" | jq -r '[.manifests[] | .platform.architecture + "=" + .digest] | sort | join(" ")'; }
is "copied index has the source's platform manifests" "$(children "$DST/copy/multi:1")" "$(children "$SRC/test/multi:1")"

gets=$(blob_gets "$SRC_LOG")
ok "second create (same lock, --locked) succeeds" "$LADING" bundle create --locked -f "$SPEC" -o "$TRASH/again.tar.zst"
is "second create downloaded no blob" "$(blob_gets "$SRC_LOG")" "$gets"
ok "the two bundles are byte-identical" cmp "$OUT" "$TRASH/again.tar.zst"
ok "a create that resolves tags again succeeds" "$LADING" bundle create -f "$SPEC" -o "$TRASH/third.tar.zst"
is "and downloads no blob either (only manifests)" "$(blob_gets "$SRC_LOG")" "$gets"
ok "and gives the same bytes (tags unchanged)" cmp "$OUT" "$TRASH/third.tar.zst"
ok "the cache holds only blobs that match their names" cache_consistent "$LADING_CACHE"
done_testing
