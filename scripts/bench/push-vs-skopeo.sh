#!/bin/bash
# Benchmark: push a bundle of several images (>= 1 GiB in total, fresh random
# data per run since skopeo caches blob info) into a loopback registry with
# `lading bundle push`, and the same images into a second loopback registry
# with `skopeo copy`, one image at a time from the extracted oci/ layout (the
# way users script it; --preserve-digests so skopeo sends the same bytes).
# The bundle is made by `lading bundle create` from a third loopback registry
# (format 2: pushed straight from the file, one pass); the same images as a
# format 1 bundle (scripts/mkbundle.py) are pushed too, for the two-pass path.
# Prints the wall times, the ratios, lading's peak RSS and its peak staged
# bytes, and checks the registries hold the same digests. Not in `make check`.
#   BENCH_IMAGES (default 5) images, each with one BENCH_LAYER (default 208m)
#   random layer plus a shared 4k base layer.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LADING=${LADING:-$TOP/lading}
COUNT=${BENCH_IMAGES:-5}
SIZE=${BENCH_LAYER:-208m}
. "$TOP/tests/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
set +u

. "$TOP/scripts/lib-bench.sh"

L=$TRASH/layout
for i in $(seq 1 "$COUNT"); do
	python3 "$TOP/scripts/mkimage.py" "$L" "docker.io/bench/img$i:1" --layer "$SIZE:bench-$$-$i" \
		--layer 4k:bench-base-$$ >/dev/null
done
B1=$TRASH/v1.tar.zst
python3 "$TOP/scripts/mkbundle.py" "$B1" --oci "$L"
registry_start src
SRC=127.0.0.1:$REGISTRY_PORT
{
	echo "name: bench-push"
	echo "images:"
	for i in $(seq 1 "$COUNT"); do
		push_layout "$L" "docker.io/bench/img$i:1" "$SRC/bench/img$i:1"
		echo "  - $SRC/bench/img$i:1"
	done
	echo "registries: [{host: \"$SRC\", plain_http: true}]"
} >"$TRASH/lading.yaml"
B=$TRASH/site.tar.zst
LADING_CACHE=$TRASH/cache "$LADING" bundle create -q -f "$TRASH/lading.yaml" -o "$B" >/dev/null
rm -rf "$TRASH/cache"
echo "bundle: $COUNT images x $SIZE random layer, $(du -sh "$L/blobs" | cut -f1) of blobs, $(du -sh "$B" | cut -f1) compressed"

registry_start lading
D1=127.0.0.1:$REGISTRY_PORT
registry_start skopeo
D2=127.0.0.1:$REGISTRY_PORT
registry_start v1
D3=127.0.0.1:$REGISTRY_PORT
cat "$B" "$B1" >/dev/null

t0=$(now)
/usr/bin/time -f %M -o "$TRASH/push.rss" "$LADING" bundle push "$B" --insecure-skip-signature --registry "$D1" --plain-http --jobs 4 --json \
	>"$TRASH/push.json"
t1=$(now)
"$LADING" bundle extract --insecure-skip-signature -C "$TRASH/extracted" "$B" >/dev/null
t2=$(now)
for i in $(seq 1 "$COUNT"); do
	skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$TRASH/extracted/oci:$SRC/bench/img$i:1" \
		"docker://$D2/bench/img$i:1"
done
t3=$(now)
/usr/bin/time -f %M -o "$TRASH/push1.rss" "$LADING" bundle push "$B1" --insecure-skip-signature --registry "$D3" \
	--plain-http --jobs 4 --json >"$TRASH/push1.json"
t4=$(now)
lading_push=$(secs "$t0" "$t1"); extract=$(secs "$t1" "$t2"); skopeo_push=$(secs "$t2" "$t3")
v1_push=$(secs "$t3" "$t4")
for i in $(seq 1 "$COUNT"); do
	a=$(skopeo inspect --raw --tls-verify=false "docker://$D1/bench/img$i:1" | sha256sum)
	b=$(skopeo inspect --raw --tls-verify=false "docker://$D2/bench/img$i:1" | sha256sum)
	# The format 1 bundle holds the layout as mkimage wrote it, not as create fetched it: not compared.
	[ "$a" = "$b" ] || { echo "img$i: digests differ between the two registries" >&2; exit 1; }
done
echo "lading bundle push (format 2, from the file): $lading_push s (verify + push, peak RSS" \
	"$(tail -n 1 "$TRASH/push.rss") KiB, peak staged $(jq '.stage_peak_bytes // 0' "$TRASH/push.json") bytes)"
echo "lading bundle push (format 1, two passes): $v1_push s (peak RSS $(tail -n 1 "$TRASH/push1.rss") KiB," \
	"peak staged $(jq '.stage_peak_bytes // 0' "$TRASH/push1.json") bytes of largest blob" \
	"$(jq '.largest_blob_bytes // 0' "$TRASH/push1.json"))"
echo "skopeo copy x $COUNT: $skopeo_push s (plus $extract s for lading bundle extract first)"
echo "ratio lading/skopeo: $(ratio "$lading_push" "$skopeo_push") (goal <= 0.5); format 1: $(ratio "$v1_push" "$skopeo_push")"
echo "ratio skopeo/lading: $(ratio "$skopeo_push" "$lading_push")" \
	"(with the extraction: $(ratio "$(awk -v a="$skopeo_push" -v b="$extract" 'BEGIN { print a + b }')" "$lading_push"))"
