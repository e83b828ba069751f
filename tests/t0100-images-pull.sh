#!/bin/bash
# lading image pull against a real docker-registry: by tag and by digest, the
# store holds exactly what skopeo copies, shared layers once, nothing refetched.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 18

registry_start plain
REG=127.0.0.1:$REGISTRY_PORT
CONF=$TRASH/registries.yaml
registry_client_config "$CONF"
L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" a:1 --layer 300k:shared --layer 200k:only-a >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" b:1 --layer 300k:shared --layer 100k:only-b --gzip >/dev/null
push_layout "$L" a:1 "$REG/test/a:1"
push_layout "$L" b:1 "$REG/test/b:1"
skopeo copy --quiet --src-tls-verify=false "docker://$REG/test/a:1" "oci:$TRASH/sk-a:a"
skopeo copy --quiet --src-tls-verify=false "docker://$REG/test/b:1" "oci:$TRASH/sk-b:b"

S1=$TRASH/store1
ok "pull by tag succeeds" "$LADING" image pull --store "$S1" --registry-config "$CONF" "$REG/test/a:1"
is "store holds exactly the blobs skopeo copies" "$(oci_blob_set "$S1")" "$(oci_blob_set "$TRASH/sk-a")"
ok "every stored blob matches its sha256 name" store_verify "$S1"
is "no temporary or partial files are left" "$(ls -A "$S1/blobs/sha256" | grep -Evc '^[0-9a-f]{64}$')" "0"

DIGEST=$(skopeo inspect --raw --tls-verify=false "docker://$REG/test/a:1" | sha256sum | cut -d' ' -f1)
out=$("$LADING" image pull --store "$TRASH/store2" --registry-config "$CONF" --json "$REG/test/a@sha256:$DIGEST")
is "pull by digest reports that digest" "$(printf '%s' "$out" | jq -r .digest)" "sha256:$DIGEST"
is "pull by digest gives the same store" "$(oci_blob_set "$TRASH/store2")" "$(oci_blob_set "$TRASH/sk-a")"
is "json names the normalised ref" "$(printf '%s' "$out" | jq -r .ref)" "$REG/test/a@sha256:$DIGEST"
is "json lists the platform" "$(printf '%s' "$out" | jq -c .platforms)" '["linux/amd64"]'

S3=$TRASH/store3
# Only lading's own requests in the access log count (not skopeo's, nor earlier pulls).
lading_blob_gets() { grep -c "\"GET /v2/test/[ab]/blobs/$1[^ ]* HTTP/1.1\" 200 .*lading/" "$REGISTRY_LOG"; }
shared=$(jq -r '.layers[0].digest' "$S1/blobs/sha256/$DIGEST")
shared_before=$(lading_blob_gets "$shared")
ok "two images sharing a layer pull together" \
	"$LADING" image pull --store "$S3" --registry-config "$CONF" --jobs 3 "$REG/test/a:1" "$REG/test/b:1"
is "store is the union of both images" "$(oci_blob_set "$S3")" \
	"$(cat <(oci_blob_set "$TRASH/sk-a") <(oci_blob_set "$TRASH/sk-b") | sort -u)"
is "the shared layer was downloaded once" "$(lading_blob_gets "$shared")" "$((shared_before + 1))"
before=$(lading_blob_gets sha256)
ok "a second pull of the same images succeeds" \
	"$LADING" image pull --store "$S3" --registry-config "$CONF" "$REG/test/a:1" "$REG/test/b:1"
is "the second pull downloads no blob" "$(lading_blob_gets sha256)" "$before"

fails_with "unknown image is exit 1 naming it" 1 "$REG/test/nosuch.*not found" \
	"$LADING" image pull --store "$S1" --registry-config "$CONF" "$REG/test/nosuch:1"
fails_with "unknown tag is exit 1 naming it" 1 "$REG/test/a: manifest nosuchtag not found" \
	"$LADING" image pull --store "$S1" --registry-config "$CONF" "$REG/test/a:nosuchtag"
closed=$(free_port)
fails_with "unreachable registry is exit 1 naming the host" 1 "127.0.0.1:$closed: .*(onnect|refused)" \
	"$LADING" image pull --store "$S1" --registry-config "$CONF" "127.0.0.1:$closed/test/a:1"
fails_with "a plain-HTTP registry not configured as such: exit 1 with a hint" 1 "$REG: tls handshake failed.*plain_http" \
	"$LADING" image pull --store "$S1" "$REG/test/a:1"
fails_with "a malformed reference is a usage error" 2 "'Test/A': not an image reference" \
	"$LADING" image pull --store "$S1" Test/A
done_testing
