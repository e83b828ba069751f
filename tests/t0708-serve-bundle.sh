#!/bin/bash
# `lading serve BUNDLE`: a signed bundle is verified (signature over lading.json,
# then every entry) and extracted once into a cache directory, served, and the
# extraction removed at shutdown. Unsigned, untrusted or altered bundles are
# refused before anything listens, and leave nothing in the cache.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 17

serve_make_site "$TRASH/site" || exit 1
"$LADING" key generate -o "$TRASH/site" --unencrypted >/dev/null 2>&1 || exit 1
"$LADING" key generate -o "$TRASH/other" --unencrypted >/dev/null 2>&1 || exit 1
serve_make_bundle "$TRASH/site" "$TRASH/site.tar.zst" "$TRASH/site.key" || exit 1
ok "the test bundle passes lading bundle verify" "$LADING" bundle verify --pubkey "$TRASH/site.pub" "$TRASH/site.tar.zst"
cache=$TRASH/cache

serve_start "$TRASH/site.tar.zst" --pubkey "$TRASH/site.pub" --cache-dir "$cache" || exit 1
is "skopeo pulls from the served bundle: digest equals the layout" \
	"$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$SERVE_HOST/team/multi:2")" "$MULTI_DIGEST"
ok "skopeo copy --all from the bundle" skopeo copy --quiet --all --preserve-digests --src-tls-verify=false \
	"docker://$SERVE_HOST/team/multi:2" "oci:$TRASH/copy:x"
is "files come from the bundle" "$(curl -s "http://$SERVE_HOST/files/readme.txt")" "hello from the bundle"
ok "the Helm index is rewritten" sh -c "curl -s 'http://$SERVE_HOST/charts/index.yaml' | grep -q 'http://$SERVE_HOST/charts/demo-0.1.0.tgz'"
is "one extraction in the cache while serving" "$(ls "$cache" | wc -l)" 1
serve_stop
is "SIGTERM: exit 0" "$SERVE_STATUS" 0
is "the extraction is removed at shutdown" "$(ls -A "$cache" | wc -l)" 0

start_fails() { # NAME PATTERN BUNDLE ARGS...: exits 1 naming PATTERN, nothing left in the cache
	name=$1; pattern=$2; shift 2
	fails_with "$name" 1 "$pattern" "$LADING" serve "$@" --plain-http --listen 127.0.0.1:0 --cache-dir "$cache"
}
serve_make_bundle "$TRASH/site" "$TRASH/unsigned.tar.zst" || exit 1
start_fails "an unsigned bundle is refused" "bundle is not signed" "$TRASH/unsigned.tar.zst" --pubkey "$TRASH/site.pub"
start_fails "a bundle signed by an untrusted key is refused" "site.tar.zst.: lading.json.minisig: signed by key [0-9A-F]{16}, but the trusted public key is" \
	"$TRASH/site.tar.zst" --pubkey "$TRASH/other.pub"
# Same lading.json and signature, one blob altered after signing.
cp -r "$TRASH/site" "$TRASH/altered"
layer=$(jq -r '.layers[0].digest' "$(layout_blob "$TRASH/site/oci" "$DEMO_DIGEST")")
serve_make_bundle "$TRASH/site" "$TRASH/altered.tar.zst" "$TRASH/site.key" || exit 1
stage=$TRASH/stage-altered.tar.zst
flip_byte "$(layout_blob "$stage/oci" "$layer")" 700
tar --zstd --owner=0 --group=0 -cf "$TRASH/altered.tar.zst" -C "$stage" lading.json lading.json.minisig oci charts providers files
start_fails "a blob altered after signing is refused" "oci/blobs/sha256/${layer#sha256:}" \
	"$TRASH/altered.tar.zst" --pubkey "$TRASH/site.pub"
# lading.json edited after signing (the blob's new digest written in): the signature fails.
python3 -c 'import hashlib,json,sys
p=sys.argv[1]; m=json.load(open(p))
for e in m["entries"]:
    if e["path"] == sys.argv[2]:
        d=open(sys.argv[3],"rb").read(); e["sha256"]=hashlib.sha256(d).hexdigest()
json.dump(m, open(p,"w"), indent=1, sort_keys=True)' "$stage/lading.json" "oci/blobs/sha256/${layer#sha256:}" \
	"$(layout_blob "$stage/oci" "$layer")"
tar --zstd --owner=0 --group=0 -cf "$TRASH/edited.tar.zst" -C "$stage" lading.json lading.json.minisig oci charts providers files
start_fails "a lading.json edited after signing is refused" "signature" "$TRASH/edited.tar.zst" --pubkey "$TRASH/site.pub"
start_fails "--insecure-skip-signature still checks every digest" "oci/blobs/sha256/${layer#sha256:}" \
	"$TRASH/altered.tar.zst" --insecure-skip-signature
is "refused bundles left nothing in the cache" "$(ls -A "$cache" | wc -l)" 0
serve_start "$TRASH/unsigned.tar.zst" --insecure-skip-signature --cache-dir "$cache" || exit 1
is "--insecure-skip-signature serves an unsigned bundle" \
	"$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$SERVE_HOST/library/demo:1")" "$DEMO_DIGEST"
ok "... with a warning naming the problem" grep -q "warning: .*not signed.*--insecure-skip-signature: serving it anyway" \
	"$SERVE_LOG"
serve_stop
fails_with "a file that is not a bundle is refused" 1 "readme.txt" \
	"$LADING" serve "$TRASH/site/files/readme.txt" --plain-http --listen 127.0.0.1:0 --cache-dir "$cache" \
	--pubkey "$TRASH/site.pub"
done_testing
