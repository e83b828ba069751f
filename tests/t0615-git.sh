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
plan 33

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
ok "and its bundle is byte-identical" bash -c "cmp <(tar --zstd -xOf '$TRASH/first.tar.zst' git/infra.bundle) \
	<(tar --zstd -xOf '$TRASH/again.tar.zst' git/infra.bundle)"

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
serve_start "$TRASH/first.tar.zst" --insecure-skip-signature || exit 1
base="http://$SERVE_HOST/git"
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
