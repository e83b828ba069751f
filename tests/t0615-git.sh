#!/bin/bash
# Git repositories (issue 20, the git half). git: entries of lading.yaml are
# read and checked at spec load, before git ever runs: only https://, http://
# and file:// URLs (ext:: remote helpers, option-looking values and ssh are
# refused in one line naming file:line:col), refs are plain branch/tag names,
# two entries with one name are refused naming both; the name defaults to the
# URL's last component. create carries each as git/NAME.bundle (a verified git
# bundle of exactly the carried refs) with the refs and ids in lading.lock;
# --locked refuses a ref that moved upstream and rebuilds byte-identically;
# inspect, --dry-run and `fetch git` show them.
. "$(dirname "$0")/test-lib.sh"
command -v git >/dev/null || skip_all "git is not installed"
plan 63

# Our own git, with no user or system config (the tests make the upstreams).
export HOME="$TRASH/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LADING_CACHE="$TRASH/cache"
mkdir -p "$HOME"
g() { git -c user.name=t -c user.email=t@example.org -c init.defaultBranch=main "$@"; }

spec() { # NAME BODY: a spec file with a git: section
	mkdir -p "$TRASH/$1"
	printf 'name: g\ngit:\n%s\n' "$2" >"$TRASH/$1/lading.yaml"
}
create() { "$LADING" bundle create -f "$TRASH/$1/lading.yaml" -o "$TRASH/$1.tar.zst"; }

spec ext '  - url: "ext::sh -c x"'
fails_one_line "an ext:: URL is refused at spec load" 2 \
	"lading\.yaml:3:[0-9]+: git url 'ext::sh -c x' must be an https://, http:// or file:// URL" create ext
ok "nothing was written for it" test ! -e "$TRASH/ext.tar.zst"

spec opt '  - url: "--upload-pack=x"'
fails_one_line "an option-looking URL is refused at spec load" 2 \
	"git url '--upload-pack=x' must be an https://, http:// or file:// URL" create opt

spec ssh '  - url: "git@example.org:org/r.git"'
fails_one_line "an scp-like ssh URL is refused" 2 "git url 'git@example\.org:org/r\.git' must be" create ssh

spec ref '  - url: https://example.org/org/r.git
    refs: ["--upload-pack=x"]'
fails_one_line "an option-looking ref is refused" 2 \
	"lading\.yaml:4:[0-9]+: git ref '--upload-pack=x' is not a branch or tag name" create ref

spec dup '  - url: https://example.org/a/infra.git
  - url: file:///srv/b/infra'
fails_one_line "two entries with one name are refused naming both" 2 \
	"lading\.yaml:4:5: git repository name 'infra' of file:///srv/b/infra is also the name of https://example\.org/a/infra\.git \(.*lading\.yaml:3:5\)" \
	create dup

# An upstream with two branches, a lightweight and an annotated tag, and a few commits.
up="$TRASH/upstream/infra.git"
g init -q "$TRASH/work" && for i in 1 2 3; do
	echo "replicas: $i" >"$TRASH/work/app.yaml" && g -C "$TRASH/work" add app.yaml && g -C "$TRASH/work" commit -qm "c$i"
done
g -C "$TRASH/work" tag v1 && g -C "$TRASH/work" tag -a -m "release 2" v2 && g -C "$TRASH/work" branch staging HEAD~1
g clone -q --bare "$TRASH/work" "$up"
main_id=$(g -C "$up" rev-parse refs/heads/main)
v2_id=$(g -C "$up" rev-parse refs/tags/v2)

spec carry "  - url: file://$up"
ok "create carries a git: repository" create carry
ok "the bundle has git/infra.bundle" sh -c "tar --zstd -tf '$TRASH/carry.tar.zst' | grep -qx 'git/infra.bundle'"
mkdir -p "$TRASH/x" && tar --zstd -xf "$TRASH/carry.tar.zst" -C "$TRASH/x" git/infra.bundle
g init -q --bare "$TRASH/verify.git"
ok "git bundle verify passes on it" g -C "$TRASH/verify.git" bundle verify -q "$TRASH/x/git/infra.bundle"
g clone -q "$TRASH/x/git/infra.bundle" "$TRASH/from-bundle" 2>/dev/null
is "a clone of it has upstream's main" "$(g -C "$TRASH/from-bundle" rev-parse HEAD 2>&1)" "$main_id"
is "every branch and tag is carried by default" \
	"$(g -C "$TRASH/verify.git" bundle list-heads "$TRASH/x/git/infra.bundle" | cut -d' ' -f2 | tr '\n' ' ')" \
	"refs/heads/main refs/heads/staging refs/tags/v1 refs/tags/v2 HEAD "
is "lading.lock records the refs and their ids" \
	"$(jq -r '.git[0] | .name + " " + .refs["refs/heads/main"] + " " + .refs["refs/tags/v2"]' "$TRASH/carry/lading.lock")" \
	"infra $main_id $v2_id"
ok "inspect lists the repository with its refs" \
	sh -c "'$LADING' bundle inspect '$TRASH/carry.tar.zst' | grep -q '^  refs/heads/main  *$main_id (HEAD)'"
is "inspect --json lists it too" \
	"$("$LADING" bundle inspect --json "$TRASH/carry.tar.zst" | jq -r '.git[0] | .name + " " + .refs["refs/tags/v2"]')" \
	"infra $v2_id"
ok "create --dry-run lists it without running git" \
	sh -c "PATH=/nonexistent '$LADING' bundle create --dry-run -f '$TRASH/carry/lading.yaml' | grep -q 'git infra file://$up'"

# A rebuild from the lock with an empty cache gives the same bytes.
cp "$TRASH/carry.tar.zst" "$TRASH/first.tar.zst"
rm -rf "$LADING_CACHE"
ok "create --locked with an empty cache succeeds" "$LADING" bundle create --locked -f "$TRASH/carry/lading.yaml" -o "$TRASH/again.tar.zst"
tar --zstd -xOf "$TRASH/first.tar.zst" git/infra.bundle >"$TRASH/first.bundle" 2>/dev/null
tar --zstd -xOf "$TRASH/again.tar.zst" git/infra.bundle >"$TRASH/again.bundle" 2>/dev/null
ok "and its bundle is byte-identical" sh -c "test -s '$TRASH/first.bundle' && cmp '$TRASH/first.bundle' '$TRASH/again.bundle'"

# main moves upstream after the lock: --locked refuses it, naming the ref and both ids.
g -C "$TRASH/work" commit -qm c4 --allow-empty && g -C "$TRASH/work" push -q "$up" main
new_id=$(g -C "$up" rev-parse refs/heads/main)
fails_one_line "--locked refuses a ref that moved upstream" 2 \
	"git repository 'infra' \(file://$up\): ref refs/heads/main: locked $main_id, upstream $new_id" \
	"$LADING" bundle create --locked -f "$TRASH/carry/lading.yaml" -o "$TRASH/moved.tar.zst"
ok "nothing was written for it" test ! -e "$TRASH/moved.tar.zst"

spec some "  - url: file://$up
    name: apps
    refs: [staging, v1]"
create some >/dev/null
is "refs: carries only the named ones, as full refs" \
	"$("$LADING" bundle inspect --json "$TRASH/some.tar.zst" | jq -r '.git[0] | .name + " " + (.refs | keys | join(","))')" \
	"apps refs/heads/staging,refs/tags/v1"
ok "create --locked takes the same refs" "$LADING" bundle create --locked -f "$TRASH/some/lading.yaml" -o "$TRASH/some2.tar.zst"
sed -i 's/refs: \[staging, v1\]/refs: [staging]/' "$TRASH/some/lading.yaml"
fails_one_line "--locked refuses a lock with a ref lading.yaml no longer names" 2 \
	"lading\.yaml:3:5: git repository 'apps': refs/tags/v1 is in lading\.lock but not in refs:" \
	"$LADING" bundle create --locked -f "$TRASH/some/lading.yaml" -o "$TRASH/some3.tar.zst"
sed -i 's/refs: \[staging\]/refs: [staging, v1, main]/' "$TRASH/some/lading.yaml"
fails_one_line "and a ref lading.yaml names that is not locked" 2 \
	"lading\.yaml:3:5: git ref 'main' is not in lading\.lock" \
	"$LADING" bundle create --locked -f "$TRASH/some/lading.yaml" -o "$TRASH/some3.tar.zst"

printf 'kept\n' >"$TRASH/kept.txt"
spec gone "  - url: file://$up
files:
  - url: file://$TRASH/kept.txt
    sha256: $(sha256sum "$TRASH/kept.txt" | cut -d' ' -f1)"
create gone >/dev/null
printf 'name: g\nfiles:\n  - url: file://%s\n    sha256: %s\n' "$TRASH/kept.txt" \
	"$(sha256sum "$TRASH/kept.txt" | cut -d' ' -f1)" >"$TRASH/gone/lading.yaml"
create gone >/dev/null
is "a lock loses its git: section when lading.yaml has none left" "$(jq -c 'has("git")' "$TRASH/gone/lading.lock")" false

ok "fetch git --ref writes one bundle" "$LADING" fetch git "file://$up" --ref main -o "$TRASH/fetched"
is "with only that ref" "$(g -C "$TRASH/verify.git" bundle list-heads "$TRASH/fetched/infra.bundle")" \
	"$new_id refs/heads/main
$new_id HEAD"
fails_one_line "a ref that is not upstream is refused naming it" 1 \
	"git repository 'infra' \(file://$up\): no branch or tag 'nope' upstream" \
	"$LADING" fetch git "file://$up" --ref nope
fails_one_line "an upstream that is not there fails in one line with git's reason" 1 \
	"git repository 'gone' \(file://$TRASH/gone\): git ls-remote failed: fatal: .*does not appear to be a git repository" \
	"$LADING" fetch git "file://$TRASH/gone"

# --- lading serve: /git/NAME.git/ read-only smart HTTP (v0 and v2) from the bundle file.
. "$TOP/scripts/lib-serve.sh"
serve_start "$TRASH/first.tar.zst" --insecure-skip-signature --cache-dir "$TRASH/serve-cache" || exit 1
base="http://$SERVE_HOST/git"
ok "serve's start line counts the git repositories" grep -q ', 1 git repositories$' "$SERVE_LOG"
ok "--cache-dir holds serve's copy of the repository" sh -c "find '$TRASH/serve-cache' -name HEAD | grep -q ."
g -c protocol.version=0 clone -q "$base/infra.git" "$TRASH/clone-v0" 2>"$TRASH/clone-v0.err"
is "git clone (protocol v0) from serve gives upstream's main" "$(g -C "$TRASH/clone-v0" rev-parse HEAD 2>&1)" "$main_id"
g -c protocol.version=2 clone -q "$base/infra.git" "$TRASH/clone-v2" 2>"$TRASH/clone-v2.err"
is "git clone (protocol v2) gives the same branches and tags" \
	"$(g -C "$TRASH/clone-v2" for-each-ref --format='%(objectname) %(refname)' refs/remotes/origin/staging refs/tags 2>&1)" \
	"$(g -C "$up" rev-parse staging) refs/remotes/origin/staging
$(g -C "$up" rev-parse v1) refs/tags/v1
$v2_id refs/tags/v2"
is "receive-pack is refused (403)" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$base/infra.git/info/refs?service=git-receive-pack")" 403
g -C "$TRASH/clone-v2" commit -q --allow-empty -m local
fails_with "a git push into serve fails" 128 "403" g -C "$TRASH/clone-v2" push -q origin main
is "a repository that is not carried is 404" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$base/other.git/info/refs?service=git-upload-pack")" 404
is "nothing else of the repository is served" "$(curl -s -o /dev/null -w '%{http_code}' "$base/infra.git/config")" 404
serve_stop

# From an extracted directory too.
mkdir -p "$TRASH/extracted" && tar --zstd -xf "$TRASH/first.tar.zst" -C "$TRASH/extracted"
serve_start "$TRASH/extracted" || exit 1
g clone -q "http://$SERVE_HOST/git/infra.git" "$TRASH/clone-dir" 2>"$TRASH/clone-dir.err"
is "git clone from serve of an extracted directory" "$(g -C "$TRASH/clone-dir" rev-parse HEAD 2>&1)" "$main_id"
serve_stop
is "serve removed its private repositories at exit" "$(find "$LADING_CACHE/serve" -mindepth 1 -maxdepth 1 | wc -l)" 0

# Without git on the serving host: one line at start, the other parts are served.
printf 'carried\n' >"$TRASH/notes.txt"
spec mixed "  - url: file://$up
files:
  - url: file://$TRASH/notes.txt
    sha256: $(sha256sum "$TRASH/notes.txt" | cut -d' ' -f1)"
create mixed >/dev/null
printf '#!/bin/sh\nPATH=/nonexistent exec "%s" "$@"\n' "$LADING" >"$TRASH/lading-nogit" && chmod +x "$TRASH/lading-nogit"
LADING="$TRASH/lading-nogit" serve_start "$TRASH/mixed.tar.zst" --insecure-skip-signature || exit 1
is "without git, /git/ answers 503" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://$SERVE_HOST/git/infra.git/info/refs?service=git-upload-pack")" 503
is "and the files are still served" "$(curl -s "http://$SERVE_HOST/files/notes.txt")" carried
serve_stop
is "serve said so in one line" "$(grep -c 'git is not installed' "$SERVE_LOG")" 1

# A git http-backend that never answers: the request fails after the idle time, the CGI is ended.
mkdir -p "$TRASH/stuck-bin"
printf '#!/bin/sh\n[ "$1" = http-backend ] && exec sleep 6017\nexec %s "$@"\n' "$(command -v git)" >"$TRASH/stuck-bin/git"
chmod +x "$TRASH/stuck-bin/git"
PATH="$TRASH/stuck-bin:$PATH" LADING_SERVE_GIT_IDLE_S=2 serve_start "$TRASH/mixed.tar.zst" --insecure-skip-signature || exit 1
is "a stuck git http-backend: 502 after the idle time" \
	"$(curl -s -m 30 -o /dev/null -w '%{http_code}' "http://$SERVE_HOST/git/infra.git/info/refs?service=git-upload-pack")" 502
is "... and serve ended it" "$(ps -eo args | grep -c '^sleep 6017$')" 0
serve_stop

# --- Git over HTTP served by git itself: git http-backend behind nginx + fcgiwrap (SPECS-2 §8).
# /up/ serves the upstream (no auth); /site/ is the site's Git server with basic auth, so
# REMOTE_USER is set and pushes are allowed there.
. "$TOP/scripts/lib-web.sh"
if ! command -v fcgiwrap >/dev/null || [ ! -x /usr/lib/git-core/git-http-backend ] || [ ! -x "$NGINX_BIN" ]; then
	skip_n 20 "fcgiwrap, nginx or git-http-backend is not installed"
	exit 0
fi
site="$TRASH/site-git"
g init -q --bare "$site/infra.git"
g -C "$TRASH/work" push -q "$site/infra.git" staging:refs/heads/site-only
other_id=$(g -C "$site/infra.git" rev-parse refs/heads/site-only)
printf 'site:%s\n' "$(openssl passwd -apr1 s3cret-pw)" >"$TRASH/htpasswd"
fcgiwrap -s "unix:$TRASH/fcgiwrap.sock" 2>"$TRASH/fcgiwrap.log" &
FCGI_PID=$!
at_exit "kill_pid $FCGI_PID"
n=50; while [ ! -S "$TRASH/fcgiwrap.sock" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
# The socket is 0755 when made by root: an nginx worker of another user would get 502 (SPECS-2 §8).
chmod 666 "$TRASH/fcgiwrap.sock"
cgi() { # ROOT: the fastcgi part of a git location
	echo "include /etc/nginx/fastcgi_params;
		fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
		fastcgi_param GIT_PROJECT_ROOT $1; fastcgi_param GIT_HTTP_EXPORT_ALL \"\";
		fastcgi_param PATH_INFO \$1; fastcgi_param REMOTE_USER \$remote_user;
		fastcgi_param GIT_PROTOCOL \$http_git_protocol; client_max_body_size 0;
		fastcgi_pass unix:$TRASH/fcgiwrap.sock;"
}
mkdir -p "$TRASH/www"
WEB_EXTRA="location ~ ^/up(/.*/(HEAD|info/refs|objects/info/.*|git-upload-pack))\$ { $(cgi "$TRASH/upstream") }
	location ~ ^/site(/.*/(HEAD|info/refs|objects/info/.*|git-(upload|receive)-pack))\$ {
		auth_basic site; auth_basic_user_file $TRASH/htpasswd; $(cgi "$site") }" \
	web_start git "$TRASH/www" || exit 1
git_url=$WEB_URL

spec http "  - url: $git_url/up/infra.git
    refs: [main]"
ok "create carries a repository from an http:// upstream (smart HTTP)" create http
is "with upstream's current main" \
	"$(jq -r '.git[0].refs["refs/heads/main"]' "$TRASH/http/lading.lock")" "$new_id"

# An upstream behind basic auth: the registries: entry of its host gives git the credentials.
mkdir -p "$TRASH/private"
printf 'name: g\nregistries:\n  - host: %s\n    username: site\n    password_env: SITE_PW\ngit:\n  - url: %s/site/infra.git\n' \
	"${git_url#http://}" "$git_url" >"$TRASH/private/lading.yaml"
ok "create carries a repository behind basic auth (registries: username, password_env)" \
	env SITE_PW=s3cret-pw "$LADING" bundle create -f "$TRASH/private/lading.yaml" -o "$TRASH/private.tar.zst"
is "with the site's branch" "$(jq -r '.git[0].refs["refs/heads/site-only"]' "$TRASH/private/lading.lock")" "$other_id"
SITE_PW=not-it-42 "$LADING" bundle create -f "$TRASH/private/lading.yaml" -o "$TRASH/private2.tar.zst" \
	>"$TRASH/private.out" 2>"$TRASH/private.err"
one_line_file "a wrong password fails in one line naming the repository" \
	"git repository 'infra' \\($git_url/site/infra\\.git\\): git ls-remote failed: fatal: Authentication failed" \
	"$TRASH/private.err"
is "without the password in it" "$(grep -c 'not-it-42' "$TRASH/private.out" "$TRASH/private.err" | grep -vc ':0$')" 0

export LADING_GIT_USERNAME=site LADING_GIT_PASSWORD=s3cret-pw
is "push --dry-run lists each repository and where it goes" \
	"$("$LADING" bundle push --dry-run --insecure-skip-signature --git-url "$git_url/site/" "$TRASH/first.tar.zst")" \
	"git/infra.bundle -> $git_url/site/infra.git (4 refs)"
ok "and pushes nothing" sh -c "! git -C '$site/infra.git' rev-parse -q --verify refs/heads/main"
ok "bundle push --git-url pushes the carried repositories" \
	"$LADING" bundle push --insecure-skip-signature --git-url "$git_url/site" "$TRASH/first.tar.zst"
is "the site has the carried ids" \
	"$(g -C "$site/infra.git" for-each-ref --format='%(objectname) %(refname)' refs/heads/main refs/tags/v2)" \
	"$main_id refs/heads/main
$v2_id refs/tags/v2"
is "and its other branch is untouched" "$(g -C "$site/infra.git" rev-parse refs/heads/site-only)" "$other_id"

LADING_GIT_PASSWORD=wrong-pw-123 "$LADING" bundle push --insecure-skip-signature --git-url "$git_url/site" \
	"$TRASH/http.tar.zst" >"$TRASH/wrong.out" 2>"$TRASH/wrong.err"
is "wrong credentials fail" "$?" 1
one_line_file "in one line naming the repository" \
	"git repository 'infra' -> $git_url/site/infra\\.git: git push failed: fatal: Authentication failed" "$TRASH/wrong.err"
is "with no password in the output" "$(cat "$TRASH/wrong.out" "$TRASH/wrong.err" | grep -c 'wrong-pw-123\|s3cret-pw')" 0

# The site's main moved elsewhere: a push that is not a fast-forward is refused naming the ref, not forced.
g -C "$TRASH/work" commit -qm site-change --allow-empty
g -C "$TRASH/work" push -q -f "$site/infra.git" HEAD:refs/heads/main
site_main=$(g -C "$site/infra.git" rev-parse refs/heads/main)
fails_one_line "a non-fast-forward is refused naming the ref" 1 \
	"git repository 'infra' -> .*: ref refs/heads/main was refused: not a fast-forward of the site's .*never forces" \
	"$LADING" bundle push --insecure-skip-signature --git-url "$git_url/site" "$TRASH/first.tar.zst"
is "and the site's main was not forced" "$(g -C "$site/infra.git" rev-parse refs/heads/main)" "$site_main"

# The site's Git server over TLS with its own CA: --ca-file reaches git as http.sslCAInfo.
pki=$TRASH/pki
mkdir -p "$pki"
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 2 \
		-subj "/CN=lading test CA" &&
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/server.key" -out "$pki/server.csr" -subj "/CN=127.0.0.1" &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$pki/ext" &&
	openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-out "$pki/server.crt" -days 2 -extfile "$pki/ext"
} >"$TRASH/openssl.log" 2>&1 || { echo "# openssl failed"; cat "$TRASH/openssl.log"; exit 1; }
g init -q --bare "$site/tls.git"
WEB_EXTRA="location ~ ^/site(/.*/(HEAD|info/refs|objects/info/.*|git-(upload|receive)-pack))\$ {
		auth_basic site; auth_basic_user_file $TRASH/htpasswd; $(cgi "$site") }" \
	web_start gits "$TRASH/www" "$pki/server.crt" "$pki/server.key" || exit 1
spec tls "  - url: file://$up
    name: tls
    refs: [v1]"
create tls >/dev/null
fails_one_line "push to an https site without its CA fails on the certificate" 1 \
	"git repository 'tls' -> $WEB_URL/site/tls\\.git: git push failed: fatal: unable to access .*certificate" \
	"$LADING" bundle push --insecure-skip-signature --git-url "$WEB_URL/site" "$TRASH/tls.tar.zst"
ok "with --ca-file it pushes" \
	"$LADING" bundle push --insecure-skip-signature --git-url "$WEB_URL/site" --ca-file "$pki/ca.crt" "$TRASH/tls.tar.zst"
is "the carried tag is there" "$(g -C "$site/tls.git" rev-parse refs/tags/v1)" "$(g -C "$up" rev-parse v1)"

# An incremental fetch from serve: the client has history of its own, so upload-pack negotiates
# over several POSTs (haves) before it sends what is new.
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40; do
	echo "$i" >"$TRASH/clone-v0/local.txt" && g -C "$TRASH/clone-v0" add local.txt && g -C "$TRASH/clone-v0" commit -qm "local $i"
done
serve_start "$TRASH/http.tar.zst" --insecure-skip-signature || exit 1
g -C "$TRASH/clone-v0" -c protocol.version=0 fetch -q "http://$SERVE_HOST/git/infra.git" main 2>"$TRASH/fetch.err"
is "git fetch from serve with local history gets the carried main" \
	"$(g -C "$TRASH/clone-v0" rev-parse FETCH_HEAD 2>&1)" "$new_id"
serve_stop
