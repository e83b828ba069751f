#!/bin/bash
# Benchmark: pull and push 1 GiB of images (4 images x 256 MiB of random
# layers) on loopback registries, with lading (parallel, --jobs 4) and with
# skopeo one image at a time (the way users script it). Prints wall times,
# lading's peak RSS and the ratios. Fresh random data per run (skopeo's
# blob-info cache would otherwise skip work). Not part of `make check`.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LADING=${LADING:-$TOP/lading}
COUNT=${BENCH_IMAGES:-4}
SIZE=${BENCH_LAYER:-256m}
. "$TOP/tests/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
set +u

. "$TOP/scripts/lib-bench.sh"

L=$TRASH/layout
for i in $(seq 1 "$COUNT"); do
	python3 "$TOP/scripts/mkimage.py" "$L" "img$i:1" --layer "$SIZE:bench-$$-$i" --layer 4k:bench-base-$$ >/dev/null
done
registry_start src
SRC=127.0.0.1:$REGISTRY_PORT
registry_client_config "$TRASH/src.yaml"
for i in $(seq 1 "$COUNT"); do push_layout "$L" "img$i:1" "$SRC/bench/img$i:1"; done
refs=$(for i in $(seq 1 "$COUNT"); do printf '%s ' "$SRC/bench/img$i:1"; done)
echo "images: $COUNT x $SIZE random layer ($(du -sh "$L/blobs" | cut -f1) in the layout)"

t0=$(now)
/usr/bin/time -f %M -o "$TRASH/pull.rss" "$LADING" image pull --json -s "$TRASH/store" -r "$TRASH/src.yaml" \
	--jobs 4 $refs >"$TRASH/pulled"
t1=$(now)
for i in $(seq 1 "$COUNT"); do
	skopeo copy --quiet --src-tls-verify=false "docker://$SRC/bench/img$i:1" "oci:$TRASH/skopeo-oci:img$i"
done
t2=$(now)
lading_pull=$(secs "$t0" "$t1"); skopeo_pull=$(secs "$t1" "$t2")
echo "pull:  lading $lading_pull s (peak RSS $(tail -n 1 "$TRASH/pull.rss") KiB), skopeo $skopeo_pull s," \
	"ratio skopeo/lading $(ratio "$skopeo_pull" "$lading_pull")"

registry_start dst1
D1=127.0.0.1:$REGISTRY_PORT
registry_client_config "$TRASH/dst.yaml"
registry_start dst2
D2=127.0.0.1:$REGISTRY_PORT
dests=$(jq -r '.ref + " " + .digest' "$TRASH/pulled" | while read -r ref digest; do
	printf '%s ' "$D1/mirror/${ref#*/bench/}@$digest"; done)
t0=$(now)
/usr/bin/time -f %M -o "$TRASH/push.rss" "$LADING" image push -s "$TRASH/store" -r "$TRASH/dst.yaml" --jobs 4 $dests
t1=$(now)
for i in $(seq 1 "$COUNT"); do
	skopeo copy --quiet --dest-tls-verify=false "oci:$TRASH/skopeo-oci:img$i" "docker://$D2/mirror/img$i:1"
done
t2=$(now)
lading_push=$(secs "$t0" "$t1"); skopeo_push=$(secs "$t1" "$t2")
echo "push:  lading $lading_push s (peak RSS $(tail -n 1 "$TRASH/push.rss") KiB), skopeo $skopeo_push s," \
	"ratio skopeo/lading $(ratio "$skopeo_push" "$lading_push")"
