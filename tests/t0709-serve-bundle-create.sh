#!/bin/bash
# End to end: `lading bundle create --sign` from a real registry, then
# `lading serve site.tar.zst --pubkey`: skopeo pulls every image (every
# platform) under the push names with the source registry's digests.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
. "$TOP/scripts/lib-serve.sh"
plan 8

bundle_fixture || { echo "Bail out! registry fixture"; exit 1; }
"$LADING" key generate -o "$TRASH/site" --unencrypted >/dev/null 2>&1 || exit 1
ok "bundle create --sign" "$LADING" bundle create -f "$SPEC" -o "$TRASH/site.tar.zst" --sign "$TRASH/site.key"
serve_start "$TRASH/site.tar.zst" --pubkey "$TRASH/site.pub" --cache-dir "$TRASH/serve-cache" || exit 1
raw_digest() { skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | cut -d' ' -f1; }
for img in a:1 b:1 multi:1; do
	is "test/$img: served digest equals the source registry's" "$(raw_digest "$SERVE_HOST/test/$img")" \
		"$(raw_digest "$SRC/test/$img")"
done
for arch in amd64 arm64; do
	ok "test/multi:1 linux/$arch copies from the served bundle" skopeo --override-os linux --override-arch $arch \
		copy --quiet --preserve-digests --src-tls-verify=false "docker://$SERVE_HOST/test/multi:1" "oci:$TRASH/copy-$arch:x"
done
is "catalog: the source host is dropped" "$(curl -s "http://$SERVE_HOST/v2/_catalog" | jq -c .repositories)" \
	'["test/a","test/b","test/multi"]'
serve_stop
is "stopped with exit 0" "$SERVE_STATUS" 0
done_testing
