#!/bin/bash
# lading bundle push into a TLS registry with htpasswd Basic auth (test CA made
# here): every image and every platform of the multi-platform image keeps its
# digest (checked with skopeo, a peer), the shared layer is uploaded once and
# mounted into the second repository, a Helm chart stored in oci/ is pushed as
# an OCI artifact, files land in --files-dir, the staged
# bytes never exceed the largest blob, and a second push sends no blob bytes.
# The bundle is signed: unsigned or untrusted bundles are refused before any
# request reaches the registry, unless --insecure-skip-signature.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 26

L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" docker.io/library/nginx:1.27 --layer 300k:a-$$ --layer 2m:shared-$$ >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" ghcr.io/team/app:v1 --layer 2m:shared-$$ --layer 3m:b-$$ >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" quay.io/multi/img:2 --layer 1m:c-$$ --platforms linux/amd64,linux/arm64 >/dev/null
"$TOP/scripts/mkchart.sh" "$TRASH/charts" ray-cluster 1.1.0 >/dev/null
D_CHART=$(python3 "$TOP/scripts/mkchart-oci.py" "$L" "$TRASH/charts/ray-cluster-1.1.0.tgz" charts.example.org/charts/ray-cluster:1.1.0)
mkdir -p "$TRASH/files/nvidia" "$TRASH/providers/registry.terraform.io/hashicorp/null"
head -c 100000 /dev/urandom >"$TRASH/files/nvidia/driver.run"
echo '{"versions":{}}' >"$TRASH/providers/registry.terraform.io/hashicorp/null/index.json"
B=$TRASH/site.tar.zst
python3 "$TOP/scripts/mkbundle.py" "$B" --oci "$L" --files "$TRASH/files" --providers "$TRASH/providers"
cp "$B" "$TRASH/unsigned.tar.zst"
"$LADING" key generate --unencrypted -o "$TRASH/site" >/dev/null 2>&1
"$LADING" key generate --unencrypted -o "$TRASH/other" >/dev/null 2>&1
"$LADING" bundle sign --key "$TRASH/site.key" "$B" >/dev/null
export LADING_TRUST_DIR=$TRASH/no-trust-dir
digest_of() { jq -r --arg r "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r) | .digest' "$L/index.json"; }
D_NGINX=$(digest_of docker.io/library/nginx:1.27)
D_APP=$(digest_of ghcr.io/team/app:v1)
D_MULTI=$(digest_of quay.io/multi/img:2)

registry_start_tls_basic dst alice 's3cret pass'
DST=127.0.0.1:$REGISTRY_PORT
printf '{"auths":{"%s":{"auth":"%s"}}}' "$DST" "$(printf 'alice:s3cret pass' | base64)" >"$TRASH/auth.json"
export LADING_REGISTRY_AUTH_FILE=$TRASH/auth.json
mkdir -p "$TRASH/certs" && cp "$REGISTRY_CA" "$TRASH/certs/ca.crt"
SK="--creds alice:s3cret pass"
raw_digest() { echo "sha256:$(skopeo inspect --raw --cert-dir "$TRASH/certs" --creds 'alice:s3cret pass' "docker://$1" | sha256sum | cut -c1-64)"; }

# The key ids, from the comment lading writes on each public key.
site_id=$(sed -n '1s/.* //p' "$TRASH/site.pub")
other_id=$(sed -n '1s/.* //p' "$TRASH/other.pub")
fails_with "an unsigned bundle is refused, exit 1" 1 "unsigned\.tar\.zst': the bundle is not signed" \
	"$LADING" bundle push "$TRASH/unsigned.tar.zst" --registry "$DST" --ca-file "$REGISTRY_CA"
fails_with "a bundle signed by a key not trusted here is refused naming both keys, exit 1" 1 \
	"site\.tar\.zst': lading\.json\.minisig: signed by key $site_id, but the trusted public key is $other_id" \
	"$LADING" bundle push "$B" --registry "$DST" --ca-file "$REGISTRY_CA" --pubkey "$TRASH/other.pub"
is "neither sent a request to the registry" "$(grep -c '"[A-Z]* /v2/' "$REGISTRY_LOG")" "0"
"$LADING" bundle push "$B" --pubkey "$TRASH/site.pub" --registry "$DST" --dry-run >"$TRASH/dry" 2>&1
ok "--dry-run prints the mapping" grep -qx "docker.io/library/nginx:1.27 -> $DST/library/nginx:1.27" "$TRASH/dry"
is "--dry-run sends nothing to the registry" "$(grep -c '"[A-Z]* /v2/' "$REGISTRY_LOG")" "0"

"$LADING" bundle push "$B" --pubkey "$TRASH/site.pub" --registry "$DST" --ca-file "$REGISTRY_CA" --json --jobs 3 \
	--files-dir "$TRASH/out-files" --providers-dir "$TRASH/out-providers" >"$TRASH/push1.json" 2>"$TRASH/push1.err"
is "the push succeeds" "$?" "0"
is "three images and one chart pushed" "$(jq .images_pushed "$TRASH/push1.json")" "4"
is "nginx keeps its digest" "$(raw_digest "$DST/library/nginx:1.27")" "$D_NGINX"
is "app keeps its digest" "$(raw_digest "$DST/team/app:v1")" "$D_APP"
is "the multi-platform index keeps its digest" "$(raw_digest "$DST/multi/img:2")" "$D_MULTI"
is "the Helm chart (an OCI artifact in oci/) keeps its digest" "$(raw_digest "$DST/charts/ray-cluster:1.1.0")" "$D_CHART"
for child in $(jq -r '.manifests[].digest' "$L/blobs/sha256/${D_MULTI#sha256:}"); do
	plat=$(jq -r --arg d "$child" '.manifests[] | select(.digest == $d) | .platform.architecture' "$L/blobs/sha256/${D_MULTI#sha256:}")
	is "the $plat child is pullable by its digest" "$(raw_digest "$DST/multi/img@$child")" "$child"
done
for pair in "library/nginx:1.27 $D_NGINX" "team/app:v1 $D_APP" "multi/img:2 $D_MULTI"; do
	set -- $pair
	rm -rf "$TRASH/copy"
	skopeo copy --quiet --all --preserve-digests --src-cert-dir "$TRASH/certs" --src-creds 'alice:s3cret pass' \
		"docker://$DST/$1" "oci:$TRASH/copy:x" >/dev/null 2>"$TRASH/skopeo.err"
	is "skopeo copy of $1 gives the bundle's digest" "$(jq -r '.manifests[0].digest' "$TRASH/copy/index.json" 2>/dev/null)" "$2"
done
ok "the shared layer was mounted, not uploaded again" grep -q '"POST /v2/team/app/blobs/uploads/?mount=sha256:[0-9a-f]*&from=library/nginx HTTP/[0-9.]*" 201' "$REGISTRY_LOG"
ok "files/ is copied into --files-dir" cmp "$TRASH/files/nvidia/driver.run" "$TRASH/out-files/nvidia/driver.run"
ok "providers/ is copied into --providers-dir" cmp "$TRASH/providers/registry.terraform.io/hashicorp/null/index.json" \
	"$TRASH/out-providers/registry.terraform.io/hashicorp/null/index.json"
is "at most the largest blob was staged at once" \
	"$(jq '.stage_peak_bytes > 0 and .stage_peak_bytes <= .largest_blob_bytes' "$TRASH/push1.json")" "true"

uploads_before=$(grep -cE '"(PUT|PATCH) /v2/[^ ]*/blobs/uploads/' "$REGISTRY_LOG")
"$LADING" bundle push "$B" --pubkey "$TRASH/site.pub" --registry "$DST" --ca-file "$REGISTRY_CA" --json >"$TRASH/push2.json" 2>"$TRASH/push2.err"
is "the second push succeeds" "$?" "0"
is "the second push reports zero blob bytes sent" "$(jq '.bytes_sent, .blobs_sent, .images_present' "$TRASH/push2.json" | tr '\n' ' ')" "0 0 4 "
is "the registry log shows no blob upload in the second push" \
	"$(grep -cE '"(PUT|PATCH) /v2/[^ ]*/blobs/uploads/' "$REGISTRY_LOG")" "$uploads_before"
is "the second push staged nothing" "$(jq .stage_peak_bytes "$TRASH/push2.json")" "0"

"$LADING" bundle push "$TRASH/unsigned.tar.zst" --insecure-skip-signature --registry "$DST" --ca-file "$REGISTRY_CA" \
	--prefix mirror --keep-host >/dev/null 2>"$TRASH/insecure.err"
ok "--insecure-skip-signature pushes an unsigned bundle with a warning" grep -q "warning: --insecure-skip-signature" "$TRASH/insecure.err"
is "--prefix --keep-host: nginx under mirror/docker.io/ keeps its digest" \
	"$(raw_digest "$DST/mirror/docker.io/library/nginx:1.27")" "$D_NGINX"
done_testing
