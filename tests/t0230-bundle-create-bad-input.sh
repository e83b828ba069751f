#!/bin/bash
# Bad input to bundle create: each a one-line error with exit 1 or 2, no file
# under the output name, the cache left consistent.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
plan 21

bundle_fixture || { echo "Bail out! registry fixture"; exit 1; }
OUT=$TRASH/out/site.tar.zst
mkdir -p "$TRASH/out"
nothing_left() { ok "$1: no file under the output name, no temporary" sh -c "! ls '$TRASH/out' | grep -q ."; }

# spec errors: exit 2, file:line:column
printf 'name: x\nimages: []\nbogus: 1\n' >"$TRASH/unknown.yaml"
fails_one_line "unknown key names file:line:col (exit 2)" 2 "unknown.yaml:3:1: unknown key 'bogus'" \
	"$LADING" bundle create -f "$TRASH/unknown.yaml" -o "$OUT"
printf 'name: x\nimages:\n  - ref: a\n    platforms: linux/amd64\n' >"$TRASH/type.yaml"
fails_one_line "wrong type names file:line:col (exit 2)" 2 "type.yaml:4:16: platforms: expected a sequence" \
	"$LADING" bundle create -f "$TRASH/type.yaml" -o "$OUT"
printf 'name: x\nimages: [a\n' >"$TRASH/syntax.yaml"
fails_one_line "YAML syntax error names the file (exit 2)" 2 "syntax.yaml:[0-9]+:[0-9]+:" \
	"$LADING" bundle create -f "$TRASH/syntax.yaml" -o "$OUT"
fails_one_line "missing spec file (exit 2)" 2 "cannot open '$TRASH/none.yaml'" \
	"$LADING" bundle create -f "$TRASH/none.yaml" -o "$OUT"
fails_one_line "--locked without a lock (exit 2)" 2 "lading.lock" \
	"$LADING" bundle create --locked -f "$SPEC" -o "$OUT"
fails_one_line "--level out of range (exit 2)" 2 "--level must be a number from 1 to 19" \
	"$LADING" bundle create --level 40 -f "$SPEC" -o "$OUT"
nothing_left "spec errors"

# an image or tag that does not exist
cp "$SPEC" "$TRASH/notag.yaml"
sed -i "s|test/b:1|test/b:nope|" "$TRASH/notag.yaml"
fails_one_line "a tag that does not exist names the image and tag (exit 1)" 1 "test/b.*nope" \
	"$LADING" bundle create -f "$TRASH/notag.yaml" -o "$OUT"
nothing_left "missing tag"
cp "$SPEC" "$TRASH/noimage.yaml"
sed -i "s|test/b:1|test/nothere:1|" "$TRASH/noimage.yaml"
fails_one_line "an image that does not exist names it (exit 1)" 1 "test/nothere" \
	"$LADING" bundle create -f "$TRASH/noimage.yaml" -o "$OUT"
ok "the cache is consistent after failed fetches" cache_consistent "$LADING_CACHE"

# a registry nobody listens on
dead=127.0.0.1:$(free_port)
printf 'name: x\nimages: [%s/test/a:1]\nregistries: [{host: "%s", plain_http: true}]\n' "$dead" "$dead" >"$TRASH/dead.yaml"
fails_one_line "an unreachable registry is named (exit 1)" 1 "$dead" \
	"$LADING" bundle create -f "$TRASH/dead.yaml" -o "$OUT"
nothing_left "unreachable registry"

# output into a directory that does not exist
fails_one_line "output in a missing directory (exit 2)" 2 "directory '$TRASH/nodir' does not exist" \
	"$LADING" bundle create -f "$SPEC" -o "$TRASH/nodir/site.tar.zst"
ok "the missing directory was not created" test ! -e "$TRASH/nodir"

# disk full: a 1 MiB tmpfs for a bundle of about 3 MiB
python3 "$TOP/scripts/mkimage.py" "$LAYOUT" big:1 --layer 3m:big >/dev/null && push_layout "$LAYOUT" big:1 "$SRC/test/big:1"
printf 'name: big\nimages: [%s/test/big:1]\nregistries: [{host: "%s", plain_http: true}]\n' "$SRC" "$SRC" >"$TRASH/big.yaml"
mkdir -p "$TRASH/small"
if mount -t tmpfs -o size=1m lading-test "$TRASH/small" 2>/dev/null; then
	at_exit "umount '$TRASH/small'"
	fails_one_line "disk full is a one-line error (exit 1)" 1 "No space left on device" \
		"$LADING" bundle create -f "$TRASH/big.yaml" -o "$TRASH/small/big.tar.zst"
	ok "disk full: nothing left on the full disk" sh -c "! ls '$TRASH/small' | grep -q ."
	ok "disk full: the cache is consistent" cache_consistent "$LADING_CACHE"
	ok "the same spec works with room to write" "$LADING" bundle create -f "$TRASH/big.yaml" -o "$TRASH/big.tar.zst"
else
	skip_n 4 "cannot mount a tmpfs (needs root)"
fi
ok "a good create still works after all that" "$LADING" bundle create -f "$SPEC" -o "$OUT"
ok "the cache is consistent at the end" cache_consistent "$LADING_CACHE"
done_testing
