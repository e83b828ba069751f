#!/bin/bash
# Multi-platform images: one platform stores that child as the top level, all
# of them keep the upstream index, a subset writes a filtered index naming its
# source, and a missing platform is an error naming the image and what it has.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 16

registry_start plain
REG=127.0.0.1:$REGISTRY_PORT
CONF=$TRASH/registries.yaml
registry_client_config "$CONF"
L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" m:1 --layer 64k:base --platforms linux/amd64,linux/arm64 >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" t:1 --layer 64k:base --platforms linux/amd64,linux/arm64,linux/arm/v7 >/dev/null
push_layout "$L" m:1 "$REG/test/m:1"
push_layout "$L" t:1 "$REG/test/t:1"
pull() { "$LADING" image pull --registry-config "$CONF" --json "$@"; }
INDEX=sha256:$(skopeo inspect --raw --tls-verify=false "docker://$REG/test/m:1" | sha256sum | cut -d' ' -f1)

skopeo copy --quiet --src-tls-verify=false --override-arch arm64 "docker://$REG/test/m:1" "oci:$TRASH/sk-arm:x"
out=$(pull --store "$TRASH/s1" --platform linux/arm64 "$REG/test/m:1")
is "one platform: the top level is that child manifest" "$(printf '%s' "$out" | jq -r .media_type)" \
	"application/vnd.oci.image.manifest.v1+json"
is "one platform: the tag resolved to the index" "$(printf '%s' "$out" | jq -r .resolved_digest)" "$INDEX"
is "one platform: the store equals skopeo's copy of that platform plus the upstream index" \
	"$(oci_blob_set "$TRASH/s1")" "$({ oci_blob_set "$TRASH/sk-arm"; echo "${INDEX#sha256:}"; } | sort)"
is "one platform: stored config is arm64" \
	"$(jq -r .architecture "$TRASH/s1/blobs/sha256/$(jq -r .config.digest "$TRASH/s1/blobs/sha256/$(printf '%s' "$out" | jq -r .digest | cut -c8-)" | cut -c8-)")" \
	"arm64"
out=$(pull --store "$TRASH/s0" "$REG/test/m:1")
is "no platform given: linux/amd64" "$(printf '%s' "$out" | jq -c .platforms)" '["linux/amd64"]'

skopeo copy --quiet --all --src-tls-verify=false "docker://$REG/test/m:1" "oci:$TRASH/sk-all:x"
out=$(pull --store "$TRASH/s2" --platform linux/amd64,linux/arm64 "$REG/test/m:1")
is "all platforms: the top level is the upstream index" "$(printf '%s' "$out" | jq -r .digest)" "$INDEX"
is "all platforms: no source index recorded" "$(printf '%s' "$out" | jq -r .source_index_digest)" "null"
is "all platforms: the store equals skopeo --all" "$(oci_blob_set "$TRASH/s2")" "$(oci_blob_set "$TRASH/sk-all")"
ok "all platforms: every blob matches its name" store_verify "$TRASH/s2"

TINDEX=sha256:$(skopeo inspect --raw --tls-verify=false "docker://$REG/test/t:1" | sha256sum | cut -d' ' -f1)
out=$(pull --store "$TRASH/s3" -p linux/arm/v7 -p linux/amd64 "$REG/test/t:1")
top=$(printf '%s' "$out" | jq -r .digest | cut -c8-)
is "subset: a filtered index is written" "$(jq -r '.manifests | length' "$TRASH/s3/blobs/sha256/$top")" "2"
is "subset: it names the upstream index" \
	"$(jq -r '.annotations["io.lading.source-index"]' "$TRASH/s3/blobs/sha256/$top")" "$TINDEX"
is "subset: the result names the source index" "$(printf '%s' "$out" | jq -r .source_index_digest)" "$TINDEX"
is "subset: no ref.name annotation" \
	"$(jq -r '.annotations["org.opencontainers.image.ref.name"]' "$TRASH/s3/blobs/sha256/$top")" "null"
is "subset: children in the order asked" \
	"$(jq -r '[.manifests[].platform | .os + "/" + .architecture + (if .variant then "/" + .variant else "" end)] | join(",")' "$TRASH/s3/blobs/sha256/$top")" \
	"linux/arm/v7,linux/amd64"
ok "subset: every blob the result lists is stored and sound" sh -c \
	"printf '%s' '$out' | jq -r '.blobs[]' | cut -c8- | while read -r h; do test \"\$(sha256sum '$TRASH/s3/blobs/sha256/'\$h | cut -c1-64)\" = \"\$h\" || exit 1; done"

fails_with "missing platform names the image and the platforms it has" 1 \
	"$REG/test/m:1: no platform linux/s390x in the image index \\(it has linux/amd64, linux/arm64\\)" \
	"$LADING" image pull --store "$TRASH/s4" --registry-config "$CONF" -p linux/amd64,linux/s390x "$REG/test/m:1"
done_testing
