#!/bin/bash
# extract and verify refuse hand-made bundles with entries that escape, links,
# devices, unlisted, missing or altered entries; nothing is left in -C DIR.
. "$(dirname "$0")/test-lib.sh"
plan 24

mk() { python3 "$TOP/scripts/mkbundle.py" "$@"; }
# refused NAME PATTERN ENTRY...: extract fails with exit 1 naming the problem, leaves nothing.
refused() {
	name=$1; pattern=$2; shift 2
	n=$((${n:-0} + 1))
	mk "$TRASH/b$n.tar.zst" "$@"
	fails_with "extract refuses $name" 1 "$pattern" "$LADING" bundle extract --insecure-skip-signature -C "$TRASH/out$n" "$TRASH/b$n.tar.zst"
	ok "$name: nothing left (no -C dir, no staging dir, no escaped file)" \
		sh -c "! test -e '$TRASH/out$n' && ! ls -a '$TRASH' | grep -q lading-staging && ! test -e '$TRASH/x'"
}

mk "$TRASH/good.tar.zst" file:files/a=alpha file:files/sub/b=beta
ok "a well-formed hand-made bundle verifies" "$LADING" bundle verify --insecure-skip-signature "$TRASH/good.tar.zst"
ok "and extracts" "$LADING" bundle extract --insecure-skip-signature -C "$TRASH/good" "$TRASH/good.tar.zst"
is "extracted content" "$(cat "$TRASH/good/files/sub/b")" "beta"

refused "a ../ path" "entry '../x': unsafe path" file:files/a=alpha raw:../x=evil
refused "an absolute path" "entry '/.*x': unsafe path" file:files/a=alpha "raw:$TRASH/x=evil"
refused "a symlink that escapes" "entry 'files/link' is a symbolic link" file:files/a=alpha "symlink:files/link=../../x"
refused "a hard link" "entry 'files/hard' is a hard link" file:files/a=alpha hardlink:files/hard=files/a
refused "a device file" "entry 'files/null' is a device file" file:files/a=alpha chardev:files/null
refused "an entry not in lading.json" "entry 'files/extra' is not in lading.json" file:files/a=alpha unlisted:files/extra=x
refused "an altered entry" "files/b: sha256 mismatch" file:files/a=alpha wrong:files/b=bravo
refused "a missing entry" "entry 'files/gone' listed in lading.json is missing" file:files/a=alpha listed:files/gone=x
refused "lading.json not first" "first entry is not lading.json" before:files/a=alpha

mk "$TRASH/v.tar.zst" file:files/a=alpha wrong:files/b=bravo
fails_with "verify names the altered entry (exit 1)" 1 "v.tar.zst: files/b: sha256 mismatch" \
	"$LADING" bundle verify --insecure-skip-signature "$TRASH/v.tar.zst"
mkdir -p "$TRASH/full" && touch "$TRASH/full/keep"
fails_with "extract into a non-empty directory is refused (exit 2)" 2 "is not empty" \
	"$LADING" bundle extract --insecure-skip-signature -C "$TRASH/full" "$TRASH/good.tar.zst"
printf 'not a bundle' >"$TRASH/junk"
fails_with "a file that is not a bundle fails (exit 1)" 1 "junk" "$LADING" bundle verify --insecure-skip-signature "$TRASH/junk"
done_testing
