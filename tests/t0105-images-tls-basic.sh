#!/bin/bash
# A registry on TLS with a CA made by the test and htpasswd Basic auth: the
# right password works, a wrong one or none fails in one line, an untrusted CA
# fails unless ca_file names it, and no secret shows in -vv output.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 12

PASS='S3cret-pw-9f2'
registry_start_tls_basic tls admin "$PASS"
REG=127.0.0.1:$REGISTRY_PORT
python3 "$TOP/scripts/mkimage.py" "$TRASH/layout" s:1 --layer 100k:tls >/dev/null
push_layout "$TRASH/layout" s:1 "$REG/secure/s:1" --dest-creds "admin:$PASS"
skopeo copy --quiet --src-tls-verify=false --src-creds "admin:$PASS" "docker://$REG/secure/s:1" "oci:$TRASH/sk:s"

printf 'registries:\n  - host: %s\n    ca_file: %s\n' "$REG" "$REGISTRY_CA" >"$TRASH/ca.yaml"
printf 'registries:\n  - host: %s\n    insecure_skip_verify: true\n' "$REG" >"$TRASH/insecure.yaml"
: >"$TRASH/none.yaml"
auth_json() { printf '{"auths":{"https://%s":{"auth":"%s"}}}\n' "$REG" "$(printf '%s' "$1" | base64)"; }
auth_json "admin:$PASS" >"$TRASH/good.json"
auth_json "admin:wrong-password" >"$TRASH/bad.json"
pull() { "$LADING" image pull --store "$TRASH/$1" --registry-config "$TRASH/$2.yaml" "${@:3}" "$REG/secure/s:1"; }

ok "right password and the CA in ca_file: pull works" pull s-good ca -a "$TRASH/good.json"
is "the store equals skopeo's copy" "$(oci_blob_set "$TRASH/s-good")" "$(oci_blob_set "$TRASH/sk")"
ok "every stored blob is sound" store_verify "$TRASH/s-good"
fails_one_line "wrong password: one line, exit 1" 1 "^lading: $REG/secure/s: manifest 1: credentials refused" \
	pull s-bad ca -a "$TRASH/bad.json"
fails_one_line "no credentials: exit 1 asking for them" 1 "$REG/secure/s: registry requires credentials" \
	env HOME="$TRASH" LADING_REGISTRY_AUTH_FILE= "$LADING" image pull --store "$TRASH/s-none" \
	--registry-config "$TRASH/ca.yaml" "$REG/secure/s:1"
fails_with "untrusted CA without ca_file: exit 1 naming TLS" 1 "$REG: tls verification failed.*ca_file" \
	pull s-untrusted none -a "$TRASH/good.json"
ok "nothing was stored without trust" test ! -d "$TRASH/s-untrusted/blobs/sha256" -o -z "$(ls "$TRASH/s-untrusted/blobs/sha256" 2>/dev/null)"
ok "insecure_skip_verify pulls without the CA" pull s-insecure insecure -a "$TRASH/good.json"
LADING_REGISTRY_AUTH_FILE=$TRASH/good.json pull s-env ca -vv >"$TRASH/vv.out" 2>&1
ok "credentials from LADING_REGISTRY_AUTH_FILE work (-vv)" test -s "$TRASH/s-env/blobs/sha256/$(ls "$TRASH/sk/blobs/sha256" | head -n 1)"
ok "-vv shows the requests" grep -q "GET https://$REG/v2/secure/s/manifests/1" "$TRASH/vv.out"
is "-vv never shows the password" "$(grep -c -- "$PASS" "$TRASH/vv.out")" "0"
is "-vv never shows the Basic credentials" "$(grep -c -- "$(printf '%s' "admin:$PASS" | base64)" "$TRASH/vv.out")" "0"
done_testing
