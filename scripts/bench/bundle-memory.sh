#!/bin/sh
# Peak RSS of `lading bundle create` for a 1 GiB image: memory must stay flat
# (blobs are streamed in chunks), well under 64 MiB. Prints the figure.
# Run from the top of the tree after `make` (make bench does both). POSIX sh: make bench runs it with sh.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LADING=${LADING:-$TOP/lading}
SIZE=${BENCH_LAYER_SIZE:-1024m}
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/lading-bench.XXXXXX")
PID=""
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		n=50
		while kill -0 "$PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
		kill -9 "$PID" 2>/dev/null || true
	fi
	rm -rf "$TRASH"
}
trap cleanup EXIT INT TERM

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
mkdir -p "$TRASH/storage"
cat >"$TRASH/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $TRASH/storage}}
http: {addr: 127.0.0.1:$PORT, secret: bench}
YAML
/usr/bin/docker-registry serve "$TRASH/config.yml" >"$TRASH/registry.log" 2>&1 &
PID=$!
n=100
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/v2/"; do
	n=$((n - 1)); [ $n -gt 0 ] || { echo "registry did not start" >&2; exit 1; }; sleep 0.1
done

echo "generating a $SIZE random layer (fresh data each run)"
python3 "$TOP/scripts/mkimage.py" "$TRASH/layout" big:1 --layer "$SIZE:bench-$$-$(date +%s)" >/dev/null
skopeo copy --quiet --dest-tls-verify=false "oci:$TRASH/layout:big:1" "docker://127.0.0.1:$PORT/bench/big:1"
rm -rf "$TRASH/layout"
printf 'name: bench\nimages: [127.0.0.1:%s/bench/big:1]\nregistries: [{host: "127.0.0.1:%s", plain_http: true}]\n' \
	"$PORT" "$PORT" >"$TRASH/lading.yaml"

export LADING_CACHE="$TRASH/cache"
/usr/bin/time -f '%M %e' -o "$TRASH/fetch.time" "$LADING" bundle create -f "$TRASH/lading.yaml" -o "$TRASH/b1.tar.zst"
rm -f "$TRASH/b1.tar.zst"
/usr/bin/time -f '%M %e' -o "$TRASH/write.time" "$LADING" bundle create --locked -f "$TRASH/lading.yaml" -o "$TRASH/b2.tar.zst"
read -r fetch_kb fetch_s <"$TRASH/fetch.time"
read -r write_kb write_s <"$TRASH/write.time"
echo "bundle create, $SIZE image, cold cache (fetch + write): peak RSS $((fetch_kb / 1024)) MiB, ${fetch_s}s"
echo "bundle create, $SIZE image, warm cache (write only):    peak RSS $((write_kb / 1024)) MiB, ${write_s}s"
/usr/bin/time -f '%M %e' -o "$TRASH/verify.time" "$LADING" bundle verify "$TRASH/b2.tar.zst" >/dev/null
read -r verify_kb verify_s <"$TRASH/verify.time"
echo "bundle verify:                                            peak RSS $((verify_kb / 1024)) MiB, ${verify_s}s"
limit=$((64 * 1024))
[ "$fetch_kb" -lt $limit ] && [ "$write_kb" -lt $limit ] && [ "$verify_kb" -lt $limit ] ||
	{ echo "FAIL: peak RSS above 64 MiB" >&2; exit 1; }
