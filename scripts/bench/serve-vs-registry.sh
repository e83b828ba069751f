#!/bin/sh
# Pull throughput: `lading serve` against Debian's docker-registry holding the
# same images. Generates fresh images (>= 256 MiB in total) per run, pulls each
# image with `skopeo copy` from both servers on 127.0.0.1 (ROUNDS times,
# alternating, the best round of each counts) and prints both rates and the ratio.
# TLS=1: both serve HTTPS with one test certificate (lading through its OpenSSL
# front end, the registry through Go's TLS) and the clients check it.
#
#   usage: scripts/bench/serve-vs-registry.sh    (env: LADING, IMAGES=4, LAYER_MIB=32, ROUNDS=3, TLS=0)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
LADING=${LADING:-$top/lading}
IMAGES=${IMAGES:-4}
LAYER_MIB=${LAYER_MIB:-32}
ROUNDS=${ROUNDS:-3}
TLS=${TLS:-0}
work=$(mktemp -d "${TMPDIR:-/tmp}/lading-bench-serve.XXXXXX")
serve_pid=""
registry_pid=""
cleanup() {
	for p in $serve_pid $registry_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
	n=0
	until python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$1" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 100 ] || { echo "bench: nothing listens on port $1" >&2; exit 1; }; sleep 0.1
	done
}
now() { date +%s.%N; }

echo "generating $IMAGES images of 2 x $LAYER_MIB MiB random layers"
i=1
while [ $i -le "$IMAGES" ]; do
	python3 "$top/scripts/mkimage.py" "$work/site/oci" "docker.io/bench/img$i:1" \
		--layer "${LAYER_MIB}m:a$i$$" --layer "${LAYER_MIB}m:b$i$$" >/dev/null
	i=$((i + 1))
done
total=$(du -sb "$work/site/oci/blobs" | cut -f1)

scheme=http
serve_tls=--plain-http
registry_tls=""
src_tls=--src-tls-verify=false
curl_tls=""
if [ "$TLS" = 1 ]; then
	. "$top/scripts/lib-registry.sh"
	tls_make_certs "$work/tls" || { echo "bench: cannot make the test certificate" >&2; exit 1; }
	mkdir -p "$work/tls/certs.d" && cp "$work/tls/ca.pem" "$work/tls/certs.d/ca.crt"
	scheme=https
	serve_tls="--tls-cert $work/tls/server.pem --tls-key $work/tls/server.key"
	registry_tls=", tls: {certificate: $work/tls/server.pem, key: $work/tls/server.key}"
	src_tls="--src-cert-dir $work/tls/certs.d"
	curl_tls="--cacert $work/tls/ca.pem"
fi
sport=$(port)
# shellcheck disable=SC2086
"$LADING" serve "$work/site" --insecure-skip-signature $serve_tls --listen "127.0.0.1:$sport" >/dev/null 2>"$work/serve.log" &
serve_pid=$!
rport=$(port)
mkdir -p "$work/registry"
printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: "127.0.0.1:%s"%s}\n' \
	"$work/registry" "$rport" "$registry_tls" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
wait_port "$sport"
wait_port "$rport"
i=1
while [ $i -le "$IMAGES" ]; do
	skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$work/site/oci:docker.io/bench/img$i:1" \
		"docker://127.0.0.1:$rport/bench/img$i:1"
	i=$((i + 1))
done

# pull_all PORT: copies every image into a fresh dir: layout; prints the seconds taken
pull_all() {
	rm -rf "$work/pull" && mkdir -p "$work/pull"
	start=$(now)
	i=1
	while [ $i -le "$IMAGES" ]; do
		# shellcheck disable=SC2086
		skopeo copy --quiet $src_tls "docker://127.0.0.1:$1/bench/img$i:1" "dir:$work/pull/img$i"
		i=$((i + 1))
	done
	end=$(now)
	echo "$start $end" | awk '{printf "%.3f", $2 - $1}'
}
# curl_all PORT: GETs every blob of every image to /dev/null (the server alone, no client hashing)
curl_all() {
	start=$(now)
	i=1
	while [ $i -le "$IMAGES" ]; do
		m=$(jq -r ".manifests[$((i - 1))].digest" "$work/site/oci/index.json" | cut -c8-)
		for d in $(jq -r '.config.digest, .layers[].digest' "$work/site/oci/blobs/sha256/$m"); do
			# shellcheck disable=SC2086
			curl -sf $curl_tls -o /dev/null "$scheme://127.0.0.1:$1/v2/bench/img$i/blobs/$d"
		done
		i=$((i + 1))
	done
	end=$(now)
	echo "$start $end" | awk '{printf "%.3f", $2 - $1}'
}
best_serve=""
best_registry=""
curl_serve=""
curl_registry=""
r=1
while [ $r -le "$ROUNDS" ]; do
	t=$(pull_all "$sport")
	best_serve=$(echo "$t ${best_serve:-$t}" | awk '{print ($1 < $2) ? $1 : $2}')
	t=$(pull_all "$rport")
	best_registry=$(echo "$t ${best_registry:-$t}" | awk '{print ($1 < $2) ? $1 : $2}')
	t=$(curl_all "$sport")
	curl_serve=$(echo "$t ${curl_serve:-$t}" | awk '{print ($1 < $2) ? $1 : $2}')
	t=$(curl_all "$rport")
	curl_registry=$(echo "$t ${curl_registry:-$t}" | awk '{print ($1 < $2) ? $1 : $2}')
	r=$((r + 1))
done
awk -v scheme="$scheme" -v bytes="$total" -v s="$best_serve" -v g="$best_registry" -v n="$IMAGES" -v cs="$curl_serve" -v cg="$curl_registry" 'BEGIN {
	mib = bytes / 1048576
	printf "pulled %d images, %.1f MiB, with skopeo copy over %s (best of rounds)\n", n, mib, scheme
	printf "lading serve:    %6.3f s  %8.1f MiB/s\n", s, mib / s
	printf "docker-registry: %6.3f s  %8.1f MiB/s\n", g, mib / g
	printf "ratio lading serve / docker-registry: %.2f\n", g / s
	printf "raw blob GETs with curl to /dev/null (server side only):\n"
	printf "lading serve:    %6.3f s  %8.1f MiB/s\n", cs, mib / cs
	printf "docker-registry: %6.3f s  %8.1f MiB/s\n", cg, mib / cg
	printf "ratio (curl) lading serve / docker-registry: %.2f\n", cg / cs
}'
