#!/bin/bash
# End to end: a bundle made by `lading bundle create` from a registry is pushed
# by `lading bundle push` into a second registry; every image (including the
# filtered multi-platform index) is there under its mapped name with the
# digest lading.json records, and `skopeo copy` reads each one back.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
plan 8

bundle_fixture
B=$TRASH/site.tar.zst
"$LADING" bundle create -f "$SPEC" -o "$B" >/dev/null 2>"$TRASH/create.err" || cat "$TRASH/create.err"
registry_start dst
DST=127.0.0.1:$REGISTRY_PORT
"$LADING" bundle push --insecure-skip-signature "$B" --registry "$DST" --plain-http --prefix mirror --dry-run >"$TRASH/dry" 2>"$TRASH/dry.err"
ok "--dry-run maps the source host away and adds the prefix" grep -qx "$SRC/test/a:1 -> $DST/mirror/test/a:1" "$TRASH/dry"
"$LADING" bundle push --insecure-skip-signature "$B" --registry "$DST" --plain-http --prefix mirror >"$TRASH/out" 2>"$TRASH/err"
is "the push succeeds" "$?" "0"
ok "the summary line counts three images pushed" grep -q '^3 images pushed, 0 already present' "$TRASH/out"
zstd -dc "$B" | tar -xO lading.json >"$TRASH/lading.json"
for name in a b multi; do
	want=$(jq -r --arg r "$SRC/test/$name:1" '.images[] | select(.ref == $r) | .digest' "$TRASH/lading.json")
	rm -rf "$TRASH/copy"
	skopeo copy --quiet --all --preserve-digests --src-tls-verify=false "docker://$DST/mirror/test/$name:1" \
		"oci:$TRASH/copy:x" >/dev/null 2>&1
	is "test/$name:1 has the digest lading.json records" "$(jq -r '.manifests[0].digest' "$TRASH/copy/index.json" 2>/dev/null)" "$want"
done
multi=$(jq -r --arg r "$SRC/test/multi:1" '.images[] | select(.ref == $r) | .digest' "$TRASH/lading.json")
is "the multi-platform index keeps both platforms" \
	"$(skopeo inspect --raw --tls-verify=false "docker://$DST/mirror/test/multi:1" | jq -r '[.manifests[].platform.architecture] | sort | join(",")')" "amd64,arm64"
ok "each platform of it is pullable by digest" sh -c "for d in \$(skopeo inspect --raw --tls-verify=false docker://$DST/mirror/test/multi@$multi | jq -r '.manifests[].digest'); do skopeo inspect --raw --tls-verify=false docker://$DST/mirror/test/multi@\$d >/dev/null || exit 1; done"
done_testing
