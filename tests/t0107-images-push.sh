#!/bin/bash
# lading image push into a TLS + htpasswd docker-registry: digests unchanged
# (skopeo reads them back), shared layers mounted across repositories, big
# blobs in PATCH chunks, a second push sends no blob, relative Location works.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 21

registry_start src
SRC=127.0.0.1:$REGISTRY_PORT
registry_client_config "$TRASH/src.yaml"
L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" a:1 --layer 300k:shared --layer 100k:only-a >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" b:1 --layer 300k:shared --layer 100k:only-b >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" m:1 --layer 64k:mbase --platforms linux/amd64,linux/arm64 >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" big:1 --layer 3m:big-$$ >/dev/null
for i in a b m big; do push_layout "$L" "$i:1" "$SRC/src/$i:1"; done
S=$TRASH/store
"$LADING" image pull --json -s "$S" -r "$TRASH/src.yaml" "$SRC/src/a:1" "$SRC/src/b:1" "$SRC/src/big:1" >"$TRASH/pulled"
"$LADING" image pull --json -s "$S" -r "$TRASH/src.yaml" -p linux/amd64,linux/arm64 "$SRC/src/m:1" >>"$TRASH/pulled"
D() { jq -r "select(.ref == \"$SRC/src/$1:1\") | .digest" "$TRASH/pulled"; }
DA=$(D a) DB=$(D b) DM=$(D m) DBIG=$(D big)

PASS='push-S3cret'
registry_start_tls_basic dst admin "$PASS"
DST=127.0.0.1:$REGISTRY_PORT
DLOG=$REGISTRY_LOG
printf 'registries:\n  - host: %s\n    ca_file: %s\n' "$DST" "$REGISTRY_CA" >"$TRASH/dst.yaml"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$DST" "$(printf '%s' "admin:$PASS" | base64)" >"$TRASH/auth.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$DST" "$(printf '%s' "admin:nope" | base64)" >"$TRASH/bad.json"
push() { "$LADING" image push -s "$S" -r "$TRASH/dst.yaml" "$@"; }

ok "push of four images (one multi-platform) succeeds" push -a "$TRASH/auth.json" --chunk-size 1m \
	"$DST/copy/a:1@$DA" "$DST/other/b:1@$DB" "$DST/copy/m:1@$DM" "$DST/copy/big:1@$DBIG"
raw_digest() { skopeo inspect --raw --tls-verify=false --creds "admin:$PASS" "docker://$DST/$1" | sha256sum | cut -c1-64; }
is "a: the registry serves the same digest" "sha256:$(raw_digest copy/a:1)" "$DA"
is "b: the registry serves the same digest" "sha256:$(raw_digest other/b:1)" "$DB"
is "m: the index keeps its digest" "sha256:$(raw_digest copy/m:1)" "$DM"
is "big: the chunked image keeps its digest" "sha256:$(raw_digest copy/big:1)" "$DBIG"
skopeo copy --quiet --all --src-tls-verify=false --src-creds "admin:$PASS" "docker://$DST/copy/m:1" "oci:$TRASH/back-m:m"
skopeo copy --quiet --all --src-tls-verify=false "docker://$SRC/src/m:1" "oci:$TRASH/src-m:m"
is "skopeo copies every platform of m back, blob for blob" "$(oci_blob_set "$TRASH/back-m")" "$(oci_blob_set "$TRASH/src-m")"
ok "what skopeo copied back is sound" store_verify "$TRASH/back-m"
shared=$(jq -r '.layers[0].digest' "$S/blobs/sha256/${DB#sha256:}")
ok "the shared layer was mounted from the other repository" \
	grep -q "\"POST /v2/other/b/blobs/uploads/?mount=$shared&from=copy/a HTTP/[0-9.]*\" 201" "$DLOG"
biglayer=$(jq -r '.layers[0].digest' "$S/blobs/sha256/${DBIG#sha256:}")
patches=$(grep -c '"PATCH /v2/copy/big/blobs/uploads/' "$DLOG")
ok "the 3 MiB layer went up in 1 MiB PATCH chunks ($patches)" test "$patches" -ge 3
ok "small blobs went up in one PUT" grep -q '"PUT /v2/copy/a/blobs/uploads/[^ ]*digest=sha256:[0-9a-f]* HTTP/[0-9.]*" 201' "$DLOG"

uploads_before=$(grep -Ec '"(PUT|PATCH|POST) /v2/[^ ]*/blobs/uploads/' "$DLOG")
out=$(push -a "$TRASH/auth.json" --json "$DST/copy/a:1@$DA" "$DST/other/b:1@$DB" "$DST/copy/m:1@$DM" "$DST/copy/big:1@$DBIG")
is "second push: no blob sent" "$(printf '%s' "$out" | jq -c '[.blobs_sent, .bytes_sent, .images]')" "[0,0,4]"
is "second push: the registry saw no upload at all" "$(grep -Ec '"(PUT|PATCH|POST) /v2/[^ ]*/blobs/uploads/' "$DLOG")" "$uploads_before"

ok "a destination without a tag is pushed by digest" push -a "$TRASH/auth.json" "$DST/copy/untagged@$DA"
is "and is pullable by that digest" "sha256:$(raw_digest "copy/untagged@$DA")" "$DA"
fails_one_line "wrong password: one line, exit 1" 1 "$DST/copy/a: HEAD blob .*credentials refused" \
	push -a "$TRASH/bad.json" "$DST/copy/a:2@$DA"
fails_with "an image not in the store: exit 1 naming it" 1 "sha256:0{64} is not in the store" \
	push -a "$TRASH/auth.json" "$DST/copy/x:1@sha256:$(printf '%064d' 0)"
fails_with "a destination without a digest is a usage error" 2 "want DEST\\[:TAG\\]@sha256:DIGEST" \
	push "$DST/copy/x:1"

printf '  relativeurls: true\n' >"$TRASH/relative.yml"
registry_start rel "$TRASH/relative.yml"
REL=127.0.0.1:$REGISTRY_PORT
registry_client_config "$TRASH/rel.yaml"
loc=$(curl -s -o /dev/null -D - -X POST "http://$REL/v2/probe/x/blobs/uploads/" | tr -d '\r' | sed -n 's/^Location: //Ip')
ok "this registry answers with relative Location headers ($loc)" test "${loc#/v2/}" != "$loc"
ok "push follows relative Location (monolithic and chunked)" "$LADING" image push -s "$S" -r "$TRASH/rel.yaml" \
	--chunk-size 1m "$REL/r/a:1@$DA" "$REL/r/big:1@$DBIG"
is "relative registry serves a's digest" \
	"sha256:$(skopeo inspect --raw --tls-verify=false "docker://$REL/r/a:1" | sha256sum | cut -c1-64)" "$DA"
is "relative registry serves big's digest" \
	"sha256:$(skopeo inspect --raw --tls-verify=false "docker://$REL/r/big:1" | sha256sum | cut -c1-64)" "$DBIG"
done_testing
