#!/bin/bash
# lading bundle push into a registry with distribution's `auth: token` (the
# Bearer flow of Harbor, Docker Hub, ghcr.io) behind the tests' own token
# server: push scopes per repository, the cross-repository mount of a shared
# layer, digests unchanged, and no secret in -vv output.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 7

PASS='token-pass-31'
L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" docker.io/library/one:1 --layer 300k:shared-$$ --layer 10k:one-$$ >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" docker.io/library/two:1 --layer 300k:shared-$$ --layer 10k:two-$$ >/dev/null
B=$TRASH/site.tar.zst
python3 "$TOP/scripts/mkbundle.py" "$B" --oci "$L"

token_server_start strict --user "alice:$PASS" --require-auth
registry_start_token strict
REG=127.0.0.1:$REGISTRY_PORT
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf '%s' "alice:$PASS" | base64)" >"$TRASH/auth.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf '%s' "alice:nope" | base64)" >"$TRASH/bad.json"

fails_one_line "wrong credentials are refused by the token server: one line, exit 1" 1 "$REG.*credentials refused" \
	env LADING_REGISTRY_AUTH_FILE="$TRASH/bad.json" "$LADING" bundle push --insecure-skip-signature "$B" --registry "$REG" --plain-http
LADING_REGISTRY_AUTH_FILE=$TRASH/auth.json "$LADING" bundle push --insecure-skip-signature "$B" --registry "$REG" --plain-http -vv --json \
	>"$TRASH/push.json" 2>"$TRASH/vv.err"
is "the push with a token succeeds" "$?" "0"
is "both images pushed, the shared layer mounted once" "$(jq -c '[.images_pushed, .blobs_mounted]' "$TRASH/push.json")" "[2,1]"
ok "the token server granted push on both repositories" sh -c \
	"grep -q 'scope=repository%3Alibrary%2Fone%3A[a-z,%2C]*push.* user=alice status=200' '$TOKEN_LOG' &&
	 grep -q 'scope=repository%3Alibrary%2Ftwo%3A[a-z,%2C]*push.* user=alice status=200' '$TOKEN_LOG'"
for name in one two; do
	want=$(jq -r --arg r "docker.io/library/$name:1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r) | .digest' "$L/index.json")
	is "$name keeps its digest" "sha256:$(skopeo inspect --raw --tls-verify=false --creds "alice:$PASS" \
		"docker://$REG/library/$name:1" | sha256sum | cut -c1-64)" "$want"
done
leaked=$(grep -c -- "$PASS" "$TRASH/vv.err")
while read -r token; do
	grep -qF -- "${token##*.}" "$TRASH/vv.err" && leaked=$((leaked + 1))
done <"$TOKEN_ISSUED"
is "-vv shows neither the password nor a token" "$leaked" "0"
done_testing
