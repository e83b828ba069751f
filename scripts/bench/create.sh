#!/bin/bash
# Benchmark (issue 16, "create no slower than today"): `lading bundle create`
# of plain files, side by side with another lading binary on the same input:
# BENCH_FILES files of BENCH_FILE_SIZE MiB of random bytes (incompressible,
# like image layers) and the shared libraries of /usr/lib/x86_64-linux-gnu up
# to BENCH_LIB_MIB MiB (compressible). Each binary creates each bundle
# BENCH_ROUNDS times, alternating; prints the medians, the ratio and both
# bundles' sizes. usage: LADING_BASE=path/to/old/lading scripts/bench/create.sh
# Not in `make check`.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LADING=${LADING:-$TOP/lading}
BASE=${LADING_BASE:?set LADING_BASE to the lading binary to compare with}
COUNT=${BENCH_FILES:-4}
SIZE=${BENCH_FILE_SIZE:-112} # MiB
LIB_MIB=${BENCH_LIB_MIB:-450}
ROUNDS=${BENCH_ROUNDS:-5}
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/lading-bench-create.XXXXXX")
trap 'rm -rf "$TRASH"' EXIT INT TERM
. "$TOP/scripts/lib-bench.sh"
cd "$TRASH"
export SOURCE_DATE_EPOCH=1795338000

spec() { # NAME FILE...: a spec of files: entries
	echo "name: $1"
	echo "files:"
	shift
	for f in "$@"; do
		echo "  - url: file://$f"
		echo "    sha256: $(sha256sum "$f" | cut -d' ' -f1)"
	done
}
mkdir -p rand libs
for i in $(seq 1 "$COUNT"); do openssl rand -out "rand/data$i.bin" $((SIZE * 1048576)); done
spec random "$TRASH"/rand/*.bin >random.yaml
total=0
find /usr/lib/x86_64-linux-gnu -maxdepth 1 -type f -name '*.so*' -size +64k | sort | while read -r f; do
	[ "$total" -ge $((LIB_MIB * 1048576)) ] && break
	cp "$f" libs/
	total=$((total + $(stat -c %s "$f")))
done
spec libs "$TRASH"/libs/* >libs.yaml
echo "inputs: $(du -sh rand | cut -f1) random in $COUNT files, $(du -sh libs | cut -f1) of libraries in $(ls libs | wc -l) files"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# run BIN SPEC OUT: one create, prints seconds (the cache is warm: create only reads and writes)
run() {
	local t0 t1
	t0=$(now)
	LADING_CACHE=$TRASH/cache "$1" bundle create -q -f "$2" -o "$3" >/dev/null
	t1=$(now)
	secs "$t0" "$t1"
}
for s in random libs; do
	run "$LADING" "$s.yaml" "$s.new.tar.zst" >/dev/null # fills the cache, warms the page cache
	new="" old=""
	for r in $(seq 1 "$ROUNDS"); do
		new="$new $(run "$LADING" "$s.yaml" "$s.new.tar.zst")"
		old="$old $(run "$BASE" "$s.yaml" "$s.old.tar.zst")"
	done
	n=$(echo "$new" | xargs -n 1 | median)
	o=$(echo "$old" | xargs -n 1 | median)
	echo "$s: lading ${n} s, $BASE ${o} s (median of $ROUNDS; rounds:$new /$old); ratio $(ratio "$n" "$o") (goal <= 1.00);" \
		"sizes $(stat -c %s "$s.new.tar.zst") vs $(stat -c %s "$s.old.tar.zst") bytes"
done
