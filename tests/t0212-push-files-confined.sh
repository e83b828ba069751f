#!/bin/bash
# bundle push --files-dir (and --providers-dir) stays inside the directory (issue 15): a
# symbolic link already in the target tree that leads outside, on the way or at the final
# name, absolute or through "..", is a one-line error naming it and nothing is written
# outside; a link that stays inside is followed; fresh and existing directories, and
# overwriting a file, still work. No registry is contacted: the bundle has no images.
. "$(dirname "$0")/test-lib.sh"
plan 17
cd "$TRASH" || exit 1
mkdir -p src/files/sub src/files/in src/providers/reg outside
echo x-data >src/files/sub/x
echo top-data >src/files/top
echo in-data >src/files/in/y
echo prov-data >src/providers/reg/p
python3 "$TOP/scripts/mkbundle.py" b.tar.zst --files src/files --providers src/providers >/dev/null || exit 1
"$LADING" key generate --unencrypted -o site >/dev/null 2>&1 || exit 1
"$LADING" bundle sign --key site.key b.tar.zst >/dev/null || exit 1
push() { "$LADING" bundle push -q --pubkey site.pub --registry 127.0.0.1:1 --plain-http "$@" b.tar.zst; }
outside_empty() { [ -z "$(ls -A outside)" ]; }

ok "a push into a fresh directory works" push --files-dir fresh --providers-dir prov
ok "and copies every file" sh -c 'cmp src/files/sub/x fresh/sub/x && cmp src/files/top fresh/top && cmp src/providers/reg/p prov/reg/p'
echo old >fresh/top
ok "a push into an existing directory overwrites a file" push --files-dir fresh
is "with the bundle's bytes" "$(cat fresh/top)" "top-data"
is "and leaves no temporary behind" "$(find fresh -name '*.tmp.*' | wc -l)" 0

mkdir -p t1 && ln -s "$TRASH/outside" t1/sub
fails_one_line "an absolute link to a directory outside is refused naming it" 1 \
	"'t1/sub' goes through a symbolic link leading outside 't1': remove the link" push --files-dir t1
ok "nothing was written outside" outside_empty

mkdir -p t2 && ln -s ../outside t2/sub
fails_one_line "a relative link through .. to outside is refused naming it" 1 \
	"'t2/sub' goes through a symbolic link leading outside 't2'" push --files-dir t2
ok "nothing was written outside" outside_empty

mkdir -p t3 && ln -s .. t3/sub
fails_one_line "a link to .. (the directory's parent) is refused" 1 "'t3/sub' goes through a symbolic link leading outside" \
	push --files-dir t3
ok "nothing was written into the parent" test ! -e x

echo keep >outside/top
mkdir -p t4 && ln -s "$TRASH/outside/top" t4/top
fails_one_line "an absolute link at the final name is refused naming it" 1 \
	"'t4/top' goes through a symbolic link leading outside 't4'" push --files-dir t4
is "the file outside keeps its bytes" "$(cat outside/top)" "keep"
ln -s ../outside/top t4/top2 && rm t4/top && mv t4/top2 t4/top
fails_one_line "a relative link at the final name leading outside is refused" 1 "'t4/top' goes through a symbolic link" \
	push --files-dir t4

mkdir -p t5/real && ln -s real t5/in
ok "a link that stays inside the directory is followed" push --files-dir t5
is "the file lands through it" "$(cat t5/real/y 2>/dev/null)" "in-data"

mkdir -p t6 && ln -s "$TRASH/outside" t6/reg
fails_one_line "--providers-dir is confined too" 1 "'t6/reg' goes through a symbolic link leading outside 't6'" \
	push --providers-dir t6
done_testing
