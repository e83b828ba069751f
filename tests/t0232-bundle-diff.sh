#!/bin/bash
# `lading bundle diff OLD NEW` (issue 17): between two bundles made from a
# registry before and after an update, it names the image whose digest
# changed, the image retagged, the image added, the plain file changed, added
# and removed, and counts new blobs (and their bytes) against the old bundle;
# --json says the same for scripts; a bundle against its own lading.json is
# identical (--exit-code 0); bad operands get one line naming the file.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
plan 17

bundle_fixture || { echo "Bail out! registry fixture"; exit 1; }
mkdir -p "$TRASH/files"
echo one >"$TRASH/files/kept.txt"
echo old >"$TRASH/files/changed.txt"
echo gone >"$TRASH/files/removed.txt"
files_spec() {
	cp "$SPEC" "$1"
	echo "files:" >>"$1"
	for f in "${@:2}"; do
		echo "  - url: file://$TRASH/files/$f" >>"$1"
		echo "    sha256: $(sha256sum "$TRASH/files/$f" | cut -d' ' -f1)" >>"$1"
	done
}
files_spec "$TRASH/old.yaml" kept.txt changed.txt removed.txt
ok "old bundle" "$LADING" bundle create -q -f "$TRASH/old.yaml" -o "$TRASH/old.tar.zst"

# The update: test/b:1 gets a new 1 MiB layer, test/a:1 is also tagged test/a:2, test/c:1 is new.
python3 "$TOP/scripts/mkimage.py" "$LAYOUT" b:1 --layer 64k:shared --layer 1m:b-update >/dev/null
python3 "$TOP/scripts/mkimage.py" "$LAYOUT" c:1 --layer 8k:only-c >/dev/null
push_layout "$LAYOUT" b:1 "$SRC/test/b:1" && push_layout "$LAYOUT" c:1 "$SRC/test/c:1" &&
	push_layout "$LAYOUT" a:1 "$SRC/test/a:2" || { echo "Bail out! update"; exit 1; }
echo new >"$TRASH/files/changed.txt"
echo extra >"$TRASH/files/added.txt"
files_spec "$TRASH/new.yaml" kept.txt changed.txt added.txt
sed -i "s|^images:|images:\n  - $SRC/test/a:2\n  - $SRC/test/c:1|" "$TRASH/new.yaml"
ok "new bundle" "$LADING" bundle create -q -f "$TRASH/new.yaml" -o "$TRASH/new.tar.zst"

"$LADING" bundle diff "$TRASH/old.tar.zst" "$TRASH/new.tar.zst" >"$TRASH/diff.txt" 2>"$TRASH/diff.err"
is "diff exits 0 without --exit-code" "$?" 0
sed 's/^/# /' "$TRASH/diff.txt"
ok "names the updated image" grep -q "^~ image $SRC/test/b:1: sha256:" "$TRASH/diff.txt"
ok "names the retagged image" grep -q "^> image $SRC/test/a:2: retagged from $SRC/test/a:1" "$TRASH/diff.txt"
ok "names the added image" grep -q "^+ image $SRC/test/c:1 " "$TRASH/diff.txt"
ok "lists the changed, added and removed files" bash -c 'grep -q "^~ files/changed.txt " "$1" &&
	grep -q "^+ files/added.txt " "$1" && grep -q "^- files/removed.txt " "$1" && ! grep -q "kept.txt" "$1"' sh \
	"$TRASH/diff.txt"

"$LADING" bundle diff --json "$TRASH/old.tar.zst" "$TRASH/new.tar.zst" >"$TRASH/diff.json"
# New blobs: b's new layer, manifest and config; c's layer, manifest and config. The b's old
# layer, manifest and config are dropped; the shared layer stays.
is "--json: 6 new blobs" "$(jq '.blobs.added.count' "$TRASH/diff.json")" 6
ok "--json: the new blobs' bytes include the 1 MiB layer" \
	test "$(jq '.blobs.added.bytes' "$TRASH/diff.json")" -gt 1048576
is "--json: 3 blobs dropped" "$(jq '.blobs.removed.count' "$TRASH/diff.json")" 3
is "--json: updated, retagged, added, unchanged" \
	"$(jq -c '[.images.updated[0].ref, .images.retagged[0].from, .images.added[0].ref, .images.unchanged]' \
		"$TRASH/diff.json")" "[\"$SRC/test/b:1\",\"$SRC/test/a:1\",\"$SRC/test/c:1\",2]"
is "--json: entries changed/added/removed" \
	"$(jq -c '[.entries.changed[].path, .entries.added[].path, .entries.removed[].path, .identical]' \
		"$TRASH/diff.json")" '["files/changed.txt","files/added.txt","files/removed.txt",false]'
fails_with "--exit-code: 1 when they differ" 1 "" "$LADING" bundle diff --exit-code -q "$TRASH/old.tar.zst" \
	"$TRASH/new.tar.zst"

zstd -q -dc "$TRASH/new.tar.zst" | tar -x -C "$TRASH" lading.json
ok "a bundle against its own lading.json: no differences, --exit-code 0" \
	sh -c '"$1" bundle diff --exit-code "$2" "$3" | grep -q "^no differences"' sh "$LADING" "$TRASH/new.tar.zst" \
	"$TRASH/lading.json"
fails_one_line "a missing bundle is named" 1 "$TRASH/nothere.tar.zst" "$LADING" bundle diff \
	"$TRASH/old.tar.zst" "$TRASH/nothere.tar.zst"
echo '{"format": 2, "name": ' >"$TRASH/broken.json"
fails_one_line "a broken lading.json is named" 1 "$TRASH/broken.json" "$LADING" bundle diff "$TRASH/broken.json" \
	"$TRASH/new.tar.zst"
fails_with "one operand is a usage error" 2 "two bundles" "$LADING" bundle diff "$TRASH/old.tar.zst"
done_testing
