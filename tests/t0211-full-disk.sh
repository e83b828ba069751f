#!/bin/bash
# A full disk (issue 15): extract and create name the system's reason, "No space left on
# device", in one line, and leave nothing under the final name or in staging.
. "$(dirname "$0")/test-lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root to mount a small tmpfs"
plan 6
cd "$TRASH" || exit 1
mkdir -p small src/files
mount -t tmpfs -o size=200k tmpfs small || { echo "Bail out! cannot mount a tmpfs"; exit 1; }
at_exit "umount '$TRASH/small'"
head -c 400000 /dev/urandom >src/files/a
python3 "$TOP/scripts/mkbundle.py" big.tar.zst --files src/files
fails_one_line "extract onto a full disk names the system error" 1 \
	"cannot extract 'files/a' into '.*small/\.x\.lading-staging\.[0-9]+': Write failed: No space left on device" \
	"$LADING" bundle extract --insecure-skip-signature -C small/x big.tar.zst
is "and leaves nothing behind" "$(ls -A small | wc -l)" 0
sum=$(sha256sum src/files/a | cut -d' ' -f1)
printf 'name: full\nfiles:\n  - url: file://%s/src/files/a\n    sha256: %s\n' "$TRASH" "$sum" >spec.yaml
fails_one_line "create onto a full disk names the system error" 1 "cannot write '.*small/out\.tar\.zst.*': No space left on device" \
	env LADING_CACHE="$TRASH/cache" "$LADING" bundle create -f spec.yaml -o small/out.tar.zst --level 1
is "and leaves nothing behind" "$(ls -A small | wc -l)" 0
ok "with room, the same create works" env LADING_CACHE="$TRASH/cache" "$LADING" bundle create -f spec.yaml -o out.tar.zst --level 1
ok "and the same extract too" "$LADING" bundle extract --insecure-skip-signature -C x big.tar.zst
done_testing
