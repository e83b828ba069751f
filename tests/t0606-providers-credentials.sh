#!/bin/bash
# Provider registries that need a token (issue 14): lading finds it where Terraform does, a
# credentials block of the CLI configuration ($TF_CLI_CONFIG_FILE or ~/.terraformrc) or
# ~/.terraform.d/credentials.tfrc.json, and sends it as a bearer token to that host only;
# nginx refuses every request without it. The token never appears in the output.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
command -v gpg >/dev/null && command -v gpgv >/dev/null || skip_all "gpg/gpgv not installed (scripts/deps)"
plan 7

export GNUPGHOME=$TRASH/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'lading test <test@example.invalid>' ed25519 sign never >/dev/null 2>&1
reg=$TRASH/reg
python3 "$TOP/scripts/mkprovider.py" "$reg" hashicorp null 3.2.2 linux_amd64 --gnupg-home "$GNUPGHOME" >/dev/null
TOKEN=s3cr3t-registry-token
WEB_EXTRA="if (\$http_authorization != \"Bearer $TOKEN\") { return 401; }"
web_start reg "$reg"
host=127.0.0.1:$WEB_PORT
printf 'registries:\n  - host: "%s"\n    plain_http: true\n' "$host" >"$TRASH/registries.yaml"
export HOME=$TRASH/home
mkdir -p "$HOME"
unset TF_CLI_CONFIG_FILE TERRAFORM_CONFIG
fetch() { "$LADING" fetch provider -r "$TRASH/registries.yaml" -s "$TRASH/store-$1" -p linux_amd64 "$host/hashicorp/null" 3.2.2; }

fails_with "without a token the registry's 401 is reported" 1 "401" fetch none
cat >"$TRASH/cli.tfrc" <<EOF2
plugin_cache_dir = "/tmp/unused"
credentials "$host" {
  token = "$TOKEN"
}
EOF2
TF_CLI_CONFIG_FILE=$TRASH/cli.tfrc fetch cli -vv >"$TRASH/out" 2>"$TRASH/err"
st=$?
is "a credentials block in \$TF_CLI_CONFIG_FILE opens it" "$st" 0
ok "the token appears nowhere in the output, -vv included" sh -c "! grep -q '$TOKEN' '$TRASH/out' '$TRASH/err'"
ok "nginx saw only authorized requests after that" sh -c "grep -c ' 401 ' '$TRASH/web-reg-access.log' | grep -qx 1"
cp "$TRASH/cli.tfrc" "$HOME/.terraformrc"
ok "~/.terraformrc is read when the variable is unset" fetch rc
rm "$HOME/.terraformrc"
mkdir -p "$HOME/.terraform.d"
printf '{"credentials": {"%s": {"token": "%s"}}}\n' "$host" "$TOKEN" >"$HOME/.terraform.d/credentials.tfrc.json"
ok "so is terraform login's credentials.tfrc.json" fetch json
printf 'credentials "%s" {\n  token = \n}\n' "$host" >"$TRASH/bad.tfrc"
fails_with "a broken CLI configuration is named with its line" 2 "'$TRASH/bad.tfrc':3: want NAME = \"VALUE\" in a credentials block" \
	env TF_CLI_CONFIG_FILE="$TRASH/bad.tfrc" "$LADING" fetch provider -r "$TRASH/registries.yaml" -s "$TRASH/store-bad" -p linux_amd64 "$host/hashicorp/null" 3.2.2
done_testing
