#!/bin/bash
# Benchmark (issue 16): `lading bundle verify` of a ~1 GiB bundle of
# incompressible data (BENCH_FILES files of BENCH_FILE_SIZE random bytes,
# like the random image layers of the other benches), side by side in one run
# with `zstd -dc BUNDLE | sha256sum` and with what OpenSSL's SHA-256 alone needs
# for the same uncompressed bytes: measured by `openssl dgst -sha256` over the
# source files (in the page cache), and computed from `openssl speed -evp
# sha256 -bytes 16384`. Goals: verify <= 1.3 x OpenSSL's SHA-256 time,
# <= 0.25 x zstd -dc | sha256sum, peak RSS <= 64 MiB. Prints wall, user and
# sys times, the ratios and lading's peak RSS. LADING_BASE=path/to/old/lading
# also times another binary on the same bundle. Not in `make check`.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LADING=${LADING:-$TOP/lading}
COUNT=${BENCH_FILES:-4}
SIZE=${BENCH_FILE_SIZE:-256} # MiB
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/lading-bench.XXXXXX")
trap 'rm -rf "$TRASH"' EXIT INT TERM
. "$TOP/scripts/lib-bench.sh"
cd "$TRASH"

echo "generating $COUNT x $SIZE MiB of random data (fresh each run)"
{
	echo "name: bench-verify"
	echo "files:"
	for i in $(seq 1 "$COUNT"); do
		openssl rand -out "data$i.bin" $((SIZE * 1048576))
		echo "  - url: file://$TRASH/data$i.bin"
		echo "    sha256: $(sha256sum "data$i.bin" | cut -d' ' -f1)"
	done
} >lading.yaml
export LADING_CACHE=$TRASH/cache
"$LADING" bundle create -q -f lading.yaml -o site.tar.zst >/dev/null
rm -rf "$LADING_CACHE"
bytes=$((COUNT * SIZE * 1048576))
echo "bundle: $(stat -c %s site.tar.zst) bytes compressed, $bytes bytes of file data"
cat site.tar.zst data*.bin >/dev/null # all in the page cache: no run pays for the disk

# One timed command: prints "wall user sys peak_kib".
timed() {
	local t0 t1
	t0=$(now)
	/usr/bin/time -f '%U %S %M' -o "$TRASH/time.out" "$@" >/dev/null
	t1=$(now)
	echo "$(secs "$t0" "$t1") $(cat "$TRASH/time.out")"
}

read -r v_wall v_user v_sys v_kib < <(timed "$LADING" bundle verify --insecure-skip-signature site.tar.zst)
read -r z_wall z_user z_sys _ < <(timed sh -c 'zstd -dcq site.tar.zst | sha256sum')
read -r o_wall o_user o_sys _ < <(timed openssl dgst -sha256 data*.bin)
speed=$(openssl speed -evp sha256 -bytes 16384 -seconds 3 2>/dev/null | awk '/^sha256/ { print $NF }' | tr -d k)
o_speed=$(awk -v b="$bytes" -v k="$speed" 'BEGIN { printf "%.2f", b / (k * 1000) }')
if [ -n "${LADING_BASE:-}" ]; then
	read -r b_wall b_user b_sys b_kib < <(timed "$LADING_BASE" bundle verify --insecure-skip-signature site.tar.zst)
fi

echo "lading bundle verify:          ${v_wall} s wall (user $v_user s, sys $v_sys s), peak RSS $((v_kib / 1024)) MiB"
[ -n "${LADING_BASE:-}" ] &&
	echo "  $LADING_BASE: ${b_wall} s wall (user $b_user s, sys $b_sys s), peak RSS $((b_kib / 1024)) MiB;" \
		"ratio old/new $(ratio "$b_wall" "$v_wall")"
echo "zstd -dc | sha256sum:          ${z_wall} s wall (user $z_user s, sys $z_sys s)"
echo "openssl dgst -sha256 (files):  ${o_wall} s wall (user $o_user s, sys $o_sys s)"
echo "openssl speed -evp sha256:     ${speed} kB/s at 16 KiB blocks -> ${o_speed} s for $bytes bytes"
echo "ratio verify / openssl dgst:   $(ratio "$v_wall" "$o_wall") (goal <= 1.3)"
echo "ratio verify / openssl speed:  $(ratio "$v_wall" "$o_speed") (goal <= 1.3)"
echo "ratio verify / zstd|sha256sum: $(ratio "$v_wall" "$z_wall") (goal <= 0.25)"
[ "$v_kib" -lt $((64 * 1024)) ] || { echo "FAIL: peak RSS above 64 MiB" >&2; exit 1; }
