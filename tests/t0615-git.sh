#!/bin/bash
# Git repositories (issue 20, the git half), step 1 so far: git: entries of
# lading.yaml are read and checked at spec load, before git ever runs: only
# https://, http:// and file:// URLs (ext:: remote helpers, option-looking
# values and ssh are refused in one line naming file:line:col), refs are plain
# branch/tag names, two entries with one name are refused naming both; the
# name defaults to the URL's last component. Carrying them is not built yet,
# and create says so in one line rather than writing a bundle without them.
. "$(dirname "$0")/test-lib.sh"
plan 7

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

spec todo '  - url: file:///srv/b/infra.git'
fails_one_line "a valid entry is refused at create until carrying is built" 2 \
	"lading\.yaml:3:5: git repository 'infra': carrying git: repositories is not built yet" create todo
