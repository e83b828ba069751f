#!/bin/bash
# Helm HTTP repositories and file servers behind Basic auth (issue 14): the `registries:` entry
# of the host names a username and takes the password from a file or an environment variable,
# never inline (lading.yaml travels inside the bundle); nginx's auth_basic checks it. The
# credentials go to that host only and never appear in the output or the bundle.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
plan 9

www=$TRASH/www
"$TOP/scripts/mkchart.sh" "$www/charts" demo 1.2.3 nginx:1.27 >/dev/null
mkdir -p "$www/files"
head -c 5000 /dev/urandom >"$www/files/tool.bin"
sum=$(sha256sum "$www/files/tool.bin" | cut -d' ' -f1)
PASS='Ch4rt-repo-pw'
printf 'reader:%s\n' "$(openssl passwd -apr1 "$PASS")" >"$TRASH/htpasswd"
WEB_EXTRA="auth_basic \"charts\"; auth_basic_user_file $TRASH/htpasswd;" web_start www "$www"
host=127.0.0.1:$WEB_PORT
printf '%s\n' "$PASS" >"$TRASH/repo.pass"
chmod 600 "$TRASH/repo.pass"
printf 'registries:\n  - host: "%s"\n    plain_http: true\n    username: reader\n    password_file: repo.pass\n' "$host" >"$TRASH/file.yaml"
printf 'registries:\n  - host: "%s"\n    plain_http: true\n    username: reader\n    password_env: REPO_PASS\n' "$host" >"$TRASH/env.yaml"
printf 'registries:\n  - host: "%s"\n    plain_http: true\n    username: reader\n    password: "%s"\n' "$host" "$PASS" >"$TRASH/inline.yaml"
printf 'registries:\n  - host: "%s"\n    plain_http: true\n    username: reader\n' "$host" >"$TRASH/nopass.yaml"
chart() { "$LADING" fetch chart -r "$TRASH/$1.yaml" -s "$TRASH/store-$1" "${@:2}" "$WEB_URL/charts" demo 1.2.3; }

fails_with "without credentials the repository's 401 is reported" 1 "401" \
	"$LADING" fetch chart -s "$TRASH/store-none" "$WEB_URL/charts" demo 1.2.3
chart file -vv >"$TRASH/out" 2>"$TRASH/err"
st=$?
is "username and password_file open it" "$st" 0
ok "the password and the Basic value appear nowhere, -vv included" \
	sh -c "! grep -q -e '$PASS' -e '$(printf 'reader:%s' "$PASS" | base64)' '$TRASH/out' '$TRASH/err'"
ok "password_env works too" env REPO_PASS="$PASS" "$LADING" fetch chart -r "$TRASH/env.yaml" -s "$TRASH/store-env" "$WEB_URL/charts" demo 1.2.3
fails_with "an inline password is refused (the spec travels in the bundle)" 2 "unknown key 'password'|password" \
	chart inline
fails_with "a username without a password source names what to add" 2 "username needs password_file or password_env" \
	chart nopass
fails_with "an unset password_env is named" 2 "password_env: \\\$REPO_PASS is not set" \
	env -u REPO_PASS "$LADING" fetch chart -r "$TRASH/env.yaml" -s "$TRASH/store-unset" "$WEB_URL/charts" demo 1.2.3
ok "plain files from the same server use the same entry" \
	"$LADING" fetch file -r "$TRASH/file.yaml" -s "$TRASH/store-files" "$WEB_URL/files/tool.bin" "$sum"
printf 'wrong-password\n' >"$TRASH/repo.pass"
fails_with "a wrong password is the server's 401, one line" 1 "401" chart file
done_testing
