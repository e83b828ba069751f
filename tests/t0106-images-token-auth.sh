#!/bin/bash
# distribution's `auth: token` behind the tests' own token server (JWTs signed
# by a test key, validated by the registry): anonymous tokens where allowed,
# credentials from LADING_REGISTRY_AUTH_FILE where required, no secret in -vv.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 19

PASS='wonder-land-77'
python3 "$TOP/scripts/mkimage.py" "$TRASH/layout" t:1 --layer 100k:token >/dev/null

RT=rt-secret-4711
token_server_start strict --user "alice:$PASS" --refresh-token "$RT:alice" --require-auth
registry_start_token strict
REG=127.0.0.1:$REGISTRY_PORT
push_layout "$TRASH/layout" t:1 "$REG/team/t:1" --dest-creds "alice:$PASS"
registry_client_config "$TRASH/reg.yaml"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf '%s' "alice:$PASS" | base64)" >"$TRASH/auth.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf '%s' "alice:nope" | base64)" >"$TRASH/bad.json"
nohome() { env HOME="$TRASH" LADING_REGISTRY_AUTH_FILE= "$@"; }

fails_with "anonymous pull refused where the token server wants credentials" 1 \
	"$REG/team/t: anonymous access refused by the token server" \
	nohome "$LADING" image pull --store "$TRASH/s-anon" -r "$TRASH/reg.yaml" "$REG/team/t:1"
fails_with "wrong credentials refused by the token server, exit 1" 1 "$REG/team/t: credentials refused by the token server" \
	env LADING_REGISTRY_AUTH_FILE="$TRASH/bad.json" "$LADING" image pull --store "$TRASH/s-bad" \
	-r "$TRASH/reg.yaml" "$REG/team/t:1"
env LADING_REGISTRY_AUTH_FILE="$TRASH/auth.json" "$LADING" image pull -vv --store "$TRASH/s-ok" \
	-r "$TRASH/reg.yaml" "$REG/team/t:1" >"$TRASH/vv.out" 2>&1
ok "credentials from LADING_REGISTRY_AUTH_FILE get a token and pull" grep -q "^$REG/team/t:1" "$TRASH/vv.out"
ok "every stored blob is sound" store_verify "$TRASH/s-ok"
ok "the token server saw alice" grep -q "scope=repository%3Ateam%2Ft%3Apull user=alice status=200" "$TOKEN_LOG"
ok "the registry accepted the token" grep -q '"GET /v2/team/t/manifests/1 HTTP/1.1" 200 .*lading/' "$REGISTRY_LOG"
is "-vv never shows the password" "$(grep -c -- "$PASS" "$TRASH/vv.out")" "0"
is "-vv never shows the Basic credentials" "$(grep -c -- "$(printf '%s' "alice:$PASS" | base64)" "$TRASH/vv.out")" "0"
leaked=0
while read -r token; do
	grep -qF -- "${token##*.}" "$TRASH/vv.out" && leaked=$((leaked + 1))
done <"$TOKEN_ISSUED"
is "-vv never shows an issued token" "$leaked" "0"

printf '{"auths":{"%s":{"identitytoken":"%s"}}}\n' "$REG" "$RT" >"$TRASH/identity.json"
printf '{"auths":{"%s":{"identitytoken":"rt-wrong"}}}\n' "$REG" >"$TRASH/identity-bad.json"
"$LADING" image pull -vv --store "$TRASH/s-id" -r "$TRASH/reg.yaml" -a "$TRASH/identity.json" "$REG/team/t:1" \
	>"$TRASH/vv-id.out" 2>&1
ok "an identity token (OAuth2 refresh_token POST) gets a token and pulls" grep -q "^$REG/team/t:1" "$TRASH/vv-id.out"
ok "the token server saw the POST grant for alice" grep -q "^POST /token user=alice status=200" "$TOKEN_LOG"
is "-vv never shows the identity token" "$(grep -c -- "$RT" "$TRASH/vv-id.out")" "0"
fails_with "a refused identity token is exit 1" 1 "$REG/team/t: identity token refused by the token server" \
	"$LADING" image pull --store "$TRASH/s-id2" -r "$TRASH/reg.yaml" -a "$TRASH/identity-bad.json" "$REG/team/t:1"

D=$(grep "^$REG/team/t:1" "$TRASH/vv.out" | cut -f2)
ok "push with a token: two repositories, the second mounts from the first" \
	env LADING_REGISTRY_AUTH_FILE="$TRASH/auth.json" "$LADING" image push --store "$TRASH/s-ok" \
	-r "$TRASH/reg.yaml" "$REG/copy/one:1@$D" "$REG/copy/two:1@$D"
ok "the mount was allowed by a token for both repositories" \
	grep -q '"POST /v2/copy/two/blobs/uploads/?mount=sha256:[0-9a-f]*&from=copy/one HTTP/1.1" 201' "$REGISTRY_LOG"
is "the pushed image keeps its digest" \
	"sha256:$(skopeo inspect --raw --tls-verify=false --creds "alice:$PASS" "docker://$REG/copy/two:1" | sha256sum | cut -c1-64)" "$D"

token_server_start open --user "alice:$PASS"
registry_start_token open
REG2=127.0.0.1:$REGISTRY_PORT
push_layout "$TRASH/layout" t:1 "$REG2/pub/t:1" --dest-creds "alice:$PASS"
registry_client_config "$TRASH/reg.yaml"
ok "anonymous token where the server allows it" \
	nohome "$LADING" image pull --store "$TRASH/s-open" -r "$TRASH/reg.yaml" "$REG2/pub/t:1"
ok "the token was anonymous" grep -q "scope=repository%3Apub%2Ft%3Apull user=anonymous status=200" "$TOKEN_LOG"
ok "the anonymous pull stored sound blobs" store_verify "$TRASH/s-open"
done_testing
