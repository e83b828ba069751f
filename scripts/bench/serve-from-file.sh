#!/bin/bash
# Benchmark (issue 16): `lading serve site.tar.zst` straight from the compressed
# file, side by side in one run with docker-registry and with --verify-all.
#  1. Start-up: seconds from launch to the first answered GET /v2/, for a
#     bundle of BENCH_IMAGES images (one BENCH_LAYER random layer each plus a
#     shared 64 MiB base, about 1.1 GiB) and for the same images plus
#     BENCH_BIG_GIB GiB of plain files (the >= 8 GiB run); the goal is <= 1 s and
#     the same for both. --verify-all (check everything, extract, then serve)
#     is timed on the small bundle for contrast. Extra disk: what the server
#     wrote under its cache directory.
#  2. Pulls: `skopeo copy` of every image from `lading serve` (from the file)
#     and from docker-registry holding the same images, BENCH_ROUNDS rounds
#     alternating, the best of each; goal: ratio registry/lading >= 1.0.
#  3. serve's peak RSS (VmHWM) after the pulls, small and big bundle; goal
#     <= 64 MiB and flat.
# Not in `make check`.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LADING=${LADING:-$TOP/lading}
COUNT=${BENCH_IMAGES:-4}
SIZE=${BENCH_LAYER:-256m}
BIG_GIB=${BENCH_BIG_GIB:-7}
ROUNDS=${BENCH_ROUNDS:-3}
. "$TOP/tests/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
set +u
. "$TOP/scripts/lib-bench.sh"
export LADING_CACHE=$TRASH/cache

L=$TRASH/layout
echo "generating $COUNT images of one $SIZE random layer and a shared 64 MiB base"
for i in $(seq 1 "$COUNT"); do
	python3 "$TOP/scripts/mkimage.py" "$L" "img$i:1" --layer "$SIZE:bench-$$-$i" --layer 64m:base-$$ >/dev/null
done
registry_start src
SRC=127.0.0.1:$REGISTRY_PORT
for i in $(seq 1 "$COUNT"); do push_layout "$L" "img$i:1" "$SRC/bench/img$i:1"; done
{
	echo "name: bench-serve"
	echo "images:"
	for i in $(seq 1 "$COUNT"); do echo "  - $SRC/bench/img$i:1"; done
	echo "registries:"
	echo "  - host: $SRC"
	echo "    plain_http: true"
} >"$TRASH/small.yaml"
"$LADING" bundle create -q -f "$TRASH/small.yaml" -o "$TRASH/small.tar.zst" >/dev/null
cp "$TRASH/small.yaml" "$TRASH/big.yaml"
echo "files:" >>"$TRASH/big.yaml"
for i in $(seq 1 "$BIG_GIB"); do
	openssl rand -out "$TRASH/fill$i.bin" $((1024 * 1048576))
	echo "  - url: file://$TRASH/fill$i.bin" >>"$TRASH/big.yaml"
	echo "    sha256: $(sha256sum "$TRASH/fill$i.bin" | cut -d' ' -f1)" >>"$TRASH/big.yaml"
done
"$LADING" bundle create -q -f "$TRASH/big.yaml" -o "$TRASH/big.tar.zst" >/dev/null
rm -f "$TRASH"/fill*.bin
echo "bundles: $(du -h "$TRASH/small.tar.zst" | cut -f1) and $(du -h "$TRASH/big.tar.zst" | cut -f1)"
cat "$TRASH/small.tar.zst" "$TRASH/big.tar.zst" >/dev/null # the page cache holds both when it can

SERVE_PID=""
# serve_up BUNDLE [ARGS]: starts lading serve, waits for GET /v2/; sets SERVE_PID, SERVE_URL, UP_SECS
serve_up() {
	local port t0 t1 n=0
	port=$(free_port)
	t0=$(now)
	"$LADING" serve "$1" --insecure-skip-signature --plain-http --listen "127.0.0.1:$port" \
		--cache-dir "$TRASH/serve-cache" "${@:2}" 2>"$TRASH/serve.log" >/dev/null &
	SERVE_PID=$!
	until curl -sf -o /dev/null "http://127.0.0.1:$port/v2/"; do
		n=$((n + 1))
		[ $n -lt 60000 ] || { echo "bench: serve did not answer" >&2; exit 1; }
		kill -0 "$SERVE_PID" 2>/dev/null || { cat "$TRASH/serve.log" >&2; exit 1; }
		sleep 0.01
	done
	t1=$(now)
	UP_SECS=$(secs "$t0" "$t1")
	SERVE_URL=127.0.0.1:$port
}
serve_down() {
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null || true
	SERVE_PID=""
}
at_exit '[ -n "$SERVE_PID" ] && kill_pid "$SERVE_PID"'
# pull_all HOST: skopeo copies every image into a fresh layout; prints the seconds
pull_all() {
	local t0 t1
	rm -rf "$TRASH/pulled"
	t0=$(now)
	for i in $(seq 1 "$COUNT"); do
		skopeo copy --quiet --src-tls-verify=false "docker://$1/bench/img$i:1" "oci:$TRASH/pulled:img$i" ||
			{ echo "bench: pull of img$i from $1 failed" >&2; exit 1; }
	done
	t1=$(now)
	secs "$t0" "$t1"
}
best() { xargs -n 1 | sort -n | head -n 1; }
hwm() { awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

serve_up "$TRASH/small.tar.zst"
up_small=$UP_SECS
rss_idle=$(hwm "$SERVE_PID")
lading_times="" registry_times=""
for r in $(seq 1 "$ROUNDS"); do
	lading_times="$lading_times $(pull_all "$SERVE_URL")"
	registry_times="$registry_times $(pull_all "$SRC")"
done
rss_small=$(hwm "$SERVE_PID")
serve_down
disk=$(du -sk "$TRASH/serve-cache" 2>/dev/null | cut -f1)
serve_up "$TRASH/big.tar.zst"
up_big=$UP_SECS
big_pull=$(pull_all "$SERVE_URL")
rss_big=$(hwm "$SERVE_PID")
serve_down
serve_up "$TRASH/small.tar.zst" --verify-all
up_all=$UP_SECS
serve_down

l=$(echo "$lading_times" | best)
g=$(echo "$registry_times" | best)
echo "start-up to first GET /v2/ answered: ${up_small} s ($(du -h "$TRASH/small.tar.zst" | cut -f1) bundle)," \
	"${up_big} s ($(du -h "$TRASH/big.tar.zst" | cut -f1) bundle); with --verify-all: ${up_all} s"
echo "extra disk written by serve from the file: ${disk:-0} KiB"
echo "skopeo pull of $COUNT images: lading serve ${l} s, docker-registry ${g} s (best of $ROUNDS; rounds:$lading_times /$registry_times)"
echo "ratio registry/lading: $(ratio "$g" "$l") (goal >= 1.0); pull from the big bundle: ${big_pull} s"
echo "serve peak RSS after the pulls: ${rss_small} MiB (small bundle), ${rss_big} MiB (big bundle); ${rss_idle} MiB before any pull"
