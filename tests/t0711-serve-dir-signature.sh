#!/bin/bash
# `lading serve DIR` checks the directory as `serve BUNDLE` checks a bundle
# (issue 15): an extracted bundle's lading.json.minisig must verify with a
# trusted key, and then every served file must be the one lading.json lists
# (size and sha256), none missing and none added. An unsigned directory is
# refused like an unsigned bundle unless --insecure-skip-signature, which
# still hashes every blob.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 13

serve_make_site "$TRASH/site" || exit 1
"$LADING" key generate -o "$TRASH/k" --unencrypted >/dev/null 2>&1 || exit 1
"$LADING" key generate -o "$TRASH/other" --unencrypted >/dev/null 2>&1 || exit 1
serve_make_bundle "$TRASH/site" "$TRASH/b.tar.zst" || exit 1
"$LADING" bundle sign -q --key "$TRASH/k.key" "$TRASH/b.tar.zst" >/dev/null || exit 1
"$LADING" bundle extract -q --pubkey "$TRASH/k.pub" -C "$TRASH/signed" "$TRASH/b.tar.zst" >/dev/null || exit 1

serve_start "$TRASH/signed" --pubkey "$TRASH/k.pub" || exit 1
is "a signed directory is served" "$(curl -s "http://$SERVE_HOST/files/readme.txt")" "hello from the bundle"
is "with the layout's digests" "$(curl -s -o /dev/null -w '%{http_code}' \
	"http://$SERVE_HOST/v2/team/multi/manifests/$MULTI_DIGEST")" 200
serve_stop

# Refusals exit 1 before listening; timeout bounds a binary that would serve anyway.
refused() { # NAME PATTERN DIR ARGS...
	name=$1; pattern=$2; dir=$3; shift 3
	fails_with "$name" 1 "$pattern" timeout 20 "$LADING" serve "$dir" --plain-http --listen 127.0.0.1:0 "$@"
}
refused "an unsigned directory is refused, naming the way out" \
	"site': the directory is not signed \(no lading.json.minisig\); serve the signed bundle file, or pass --insecure-skip-signature" \
	"$TRASH/site" --pubkey "$TRASH/k.pub"
refused "a directory signed by an untrusted key is refused" \
	"signed': lading.json.minisig: signed by key [0-9A-F]{16}, but the trusted public key" \
	"$TRASH/signed" --pubkey "$TRASH/other.pub"

copy() { rm -rf "$TRASH/alt" && cp -r "$TRASH/signed" "$TRASH/alt"; }
copy && echo "changed" >"$TRASH/alt/files/readme.txt"
refused "a served file changed after signing is refused" \
	"alt/files/readme.txt': 8 bytes with sha256:[0-9a-f]{64}, but the signed lading.json says 22 bytes" \
	"$TRASH/alt" --pubkey "$TRASH/k.pub"
copy && layer=$(jq -r '.layers[0].digest' "$(layout_blob "$TRASH/alt/oci" "$DEMO_DIGEST")") &&
	flip_byte "$(layout_blob "$TRASH/alt/oci" "$layer")" 100
refused "a layer altered in place (same size) is refused" \
	"alt/oci/blobs/sha256/${layer#sha256:}': [0-9]+ bytes with sha256:[0-9a-f]{64}, but the signed lading.json" \
	"$TRASH/alt" --pubkey "$TRASH/k.pub"
copy && echo "extra" >"$TRASH/alt/files/added.txt"
refused "a file added after signing is refused" \
	"alt/files/added.txt': not listed in the signed lading.json" "$TRASH/alt" --pubkey "$TRASH/k.pub"
copy && python3 "$TOP/scripts/mkimage.py" "$TRASH/alt/oci" docker.io/evil/img:1 --layer 1k:evil >/dev/null
refused "an image added after signing is refused" "alt/oci/.*: not listed in the signed lading.json|alt/oci/index.json': [0-9]+ bytes" \
	"$TRASH/alt" --pubkey "$TRASH/k.pub"
copy && rm "$TRASH/alt/files/tools/random.bin"
refused "a listed file removed after signing is refused" \
	"alt/files/tools/random.bin': listed in the signed lading.json but missing" "$TRASH/alt" --pubkey "$TRASH/k.pub"
copy && sed -i 's/"serve-test"/"serve-tesT"/' "$TRASH/alt/lading.json"
refused "lading.json changed after signing is refused" "alt': lading.json.minisig" "$TRASH/alt" --pubkey "$TRASH/k.pub"
copy && rm "$TRASH/alt/lading.json.minisig"
refused "a signed directory whose signature was removed is refused" "alt': the directory is not signed" \
	"$TRASH/alt" --pubkey "$TRASH/k.pub"

# --insecure-skip-signature: served with a warning, blobs still hashed
serve_start "$TRASH/site" --insecure-skip-signature || exit 1
ok "--insecure-skip-signature serves an unsigned directory, warning" \
	grep -q "site': the directory is not signed (no lading.json.minisig) (--insecure-skip-signature: serving it anyway" "$SERVE_LOG"
serve_stop
copy && flip_byte "$(layout_blob "$TRASH/alt/oci" "$layer")" 100
refused "--insecure-skip-signature with an untrusted key still refuses an altered blob" \
	"blob $layer in .*: content has digest sha256:" "$TRASH/alt" --pubkey "$TRASH/other.pub" --insecure-skip-signature
done_testing
