#!/bin/bash
# 50 blob downloads at once from `lading serve` (loopback): all complete, every
# body has the digest it was asked for, and the server keeps serving.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 5

for i in 1 2 3 4 5; do
	python3 "$TOP/scripts/mkimage.py" "$TRASH/site/oci" "docker.io/load/img$i:1" \
		--layer 512k:shared --layer 768k:own$i >/dev/null || exit 1
done
serve_start "$TRASH/site" --threads 4 || exit 1

# 50 jobs cycling over every (repository, blob) pair the images reference
jobs=$TRASH/jobs
: >"$jobs"
n=0
while [ $n -lt 50 ]; do
	for i in 1 2 3 4 5; do
		m=$(layout_blob "$TRASH/site/oci" "$(jq -r ".manifests[$((i - 1))].digest" "$TRASH/site/oci/index.json")")
		for d in $(jq -r '.config.digest, .layers[].digest' "$m"); do
			[ $n -lt 50 ] && echo "$n load/img$i $d" >>"$jobs"
			n=$((n + 1))
		done
	done
done
mkdir -p "$TRASH/out"
fetch() { # N REPO DIGEST
	curl -s --max-time 60 -o "$TRASH/out/$1" -w '%{http_code}\n' "http://$SERVE_HOST/v2/$2/blobs/$3" >"$TRASH/out/$1.code"
}
export -f fetch
export TRASH SERVE_HOST
is "50 jobs prepared" "$(wc -l <"$jobs")" 50
xargs -P 50 -L 1 bash -c 'fetch "$0" "$1" "$2"' <"$jobs"
is "all 50 answered 200" "$(cat "$TRASH"/out/*.code | grep -c '^200$')" 50
bad=""
while read -r i repo d; do
	[ "sha256:$(sha256sum <"$TRASH/out/$i" | cut -d' ' -f1)" = "$d" ] || bad="$bad $i"
done <"$jobs"
is "every body has the digest it was asked for" "${bad:-none}" none
is "the access log has all 50" "$(grep -c '/blobs/sha256:.* 200 ' "$SERVE_LOG")" 50
ok "the server still answers" sh -c "curl -s 'http://$SERVE_HOST/v2/_catalog' | grep -q load/img5"
done_testing
