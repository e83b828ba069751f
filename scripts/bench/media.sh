#!/bin/bash
# Issue 17's figures at 1 GiB: a delta after one layer of one image changed
# (its size, and the blob bytes its push sends to a registry holding the
# base), and volumes (their overhead, and verify of one volume against verify
# of the whole bundle). Sizes and bytes are exact; times are one run each.
# BENCH_IMAGES (4) images of one BENCH_LAYER (256m) random layer each.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LADING=${LADING:-$TOP/lading}
COUNT=${BENCH_IMAGES:-4}
SIZE=${BENCH_LAYER:-256m}
VOLUME=${BENCH_VOLUME:-300M}
. "$TOP/tests/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
set +u
. "$TOP/scripts/lib-bench.sh"
export LADING_CACHE=$TRASH/cache SOURCE_DATE_EPOCH=1795338000

L=$TRASH/layout
registry_start src
SRC=127.0.0.1:$REGISTRY_PORT
{
	echo "name: site"
	echo "images:"
	for i in $(seq 1 "$COUNT"); do
		python3 "$TOP/scripts/mkimage.py" "$L" "img$i:1" --layer "$SIZE:media-$$-$i" --layer 4k:base-$$ >/dev/null
		push_layout "$L" "img$i:1" "$SRC/bench/img$i:1"
		echo "  - $SRC/bench/img$i:1"
	done
	echo "registries: [{host: \"$SRC\", plain_http: true}]"
} >"$TRASH/lading.yaml"
"$LADING" bundle create -q -f "$TRASH/lading.yaml" -o "$TRASH/old.tar.zst" >/dev/null
# The update: img1 gets a new 32 MiB layer in place of nothing else changing.
python3 "$TOP/scripts/mkimage.py" "$L" img1:1 --layer "$SIZE:media-$$-1" --layer 4k:base-$$ \
	--layer 32m:update-$$ >/dev/null
push_layout "$L" img1:1 "$SRC/bench/img1:1"
"$LADING" bundle create -q -f "$TRASH/lading.yaml" -o "$TRASH/new.tar.zst" >/dev/null
"$LADING" bundle create -q --locked -f "$TRASH/lading.yaml" -o "$TRASH/delta.tar.zst" --since "$TRASH/old.tar.zst" \
	>/dev/null
new=$(stat -c %s "$TRASH/new.tar.zst") delta=$(stat -c %s "$TRASH/delta.tar.zst")
added=$("$LADING" bundle diff --json "$TRASH/old.tar.zst" "$TRASH/new.tar.zst" | jq .blobs.added.bytes)
echo "delta: full bundle $new bytes, delta $delta bytes, blobs added $added bytes (the 32 MiB layer and its" \
	"config and manifest): delta - added = $((delta - added)) bytes of metadata and framing"
registry_start dst
DST=127.0.0.1:$REGISTRY_PORT
"$LADING" bundle push -q --insecure-skip-signature --registry "$DST" --plain-http "$TRASH/old.tar.zst" >/dev/null
"$LADING" bundle push --json --insecure-skip-signature --registry "$DST" --plain-http "$TRASH/delta.tar.zst" \
	>"$TRASH/push.json" 2>/dev/null
echo "delta push onto a registry holding the base: $(jq .bytes_sent "$TRASH/push.json") bytes of blobs sent" \
	"(blobs added: $added)"

mkdir -p "$TRASH/vol"
"$LADING" bundle split -q --volume-size "$VOLUME" -C "$TRASH/vol" "$TRASH/new.tar.zst"
n=$(ls "$TRASH"/vol/*.tar.zst | wc -l) total=$(cat "$TRASH"/vol/*.tar.zst | wc -c)
echo "volumes: $n of at most $VOLUME, $total bytes against $new: $((total - new)) bytes more," \
	"$(awk -v d=$((total - new)) -v w="$new" -v n="$n" 'BEGIN { printf "%.5f", 100 * d / w / n }') % per volume"
cat "$TRASH/new.tar.zst" "$TRASH"/vol/*.tar.zst >/dev/null
t0=$(now)
"$LADING" bundle verify -q --insecure-skip-signature "$TRASH/new.tar.zst" >/dev/null 2>&1
t1=$(now)
"$LADING" bundle verify -q --insecure-skip-signature "$TRASH/vol/new.002.tar.zst" >/dev/null 2>&1
t2=$(now)
v2=$(stat -c %s "$TRASH/vol/new.002.tar.zst")
echo "verify: whole bundle $(secs "$t0" "$t1") s, volume 2 alone ($v2 bytes) $(secs "$t1" "$t2") s;" \
	"time ratio $(ratio "$(secs "$t1" "$t2")" "$(secs "$t0" "$t1")"), size ratio $(ratio "$v2" "$new")"
