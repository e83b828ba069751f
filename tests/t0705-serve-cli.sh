#!/bin/bash
# The `lading serve` command: usage errors, refusals of a damaged directory,
# --json logs, and graceful shutdown on SIGTERM/SIGINT (exit 0, port closed,
# a download in flight completes).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 25

serve_make_site "$TRASH/site" || exit 1
S="$LADING serve --insecure-skip-signature"
fails_with "no argument: usage error" 2 "expected one DIR or BUNDLE" $S
ok "--help prints the usage" sh -c "$S --help | grep -q 'usage: lading serve'"
fails_with "neither TLS nor --plain-http: usage error" 2 "give --tls-cert FILE and --tls-key FILE, or --plain-http" \
	$S "$TRASH/site"
fails_with "--plain-http with --tls-cert: usage error" 2 "exclude each other" \
	$S "$TRASH/site" --plain-http --tls-cert x --tls-key y
fails_with "missing directory: usage error" 2 "'$TRASH/nope' is not a directory or a bundle file" \
	$S "$TRASH/nope" --plain-http
mkdir "$TRASH/empty"
fails_with "empty directory: nothing to serve" 2 "holds none of oci/, charts/, providers/, files/" \
	$S "$TRASH/empty" --plain-http
fails_with "invalid --prefix: usage error" 2 "prefix 'Bad/' is not a repository path" \
	$S "$TRASH/site" --plain-http --prefix Bad/
fails_with "invalid --listen: usage error" 2 "--listen 'nonsense': expected HOST:PORT" \
	$S "$TRASH/site" --plain-http --listen nonsense
busy=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(30)' \
	"$busy" &
holder=$!
at_exit "kill_pid $holder"
wait_for_port "$busy"
fails_with "port in use: operation failed" 1 "--listen '127.0.0.1:$busy': cannot listen: Address already in use" \
	$S "$TRASH/site" --plain-http --listen "127.0.0.1:$busy"
kill_pid $holder

# damaged layouts are refused at start, naming what is wrong
cp -r "$TRASH/site" "$TRASH/damaged"
m=$(layout_blob "$TRASH/damaged/oci" "$DEMO_DIGEST")
sed -i 's/schemaVersion/schemaVersiom/' "$m"
fails_with "a manifest whose bytes changed is refused" 1 "manifest $DEMO_DIGEST .*content has digest" \
	$S "$TRASH/damaged" --plain-http --listen 127.0.0.1:0
rm -rf "$TRASH/damaged" && cp -r "$TRASH/site" "$TRASH/damaged"
layer=$(jq -r '.layers[1].digest' "$(layout_blob "$TRASH/site/oci" "$DEMO_DIGEST")")
rm "$(layout_blob "$TRASH/damaged/oci" "$layer")"
fails_with "a missing layer is refused" 1 "blob $layer: not in" $S "$TRASH/damaged" --plain-http --listen 127.0.0.1:0
rm -rf "$TRASH/damaged" && cp -r "$TRASH/site" "$TRASH/damaged"
truncate -s 100 "$(layout_blob "$TRASH/damaged/oci" "$layer")"
fails_with "a truncated layer is refused" 1 "blob $layer: 100 bytes on disk" \
	$S "$TRASH/damaged" --plain-http --listen 127.0.0.1:0
rm -rf "$TRASH/damaged" && cp -r "$TRASH/site" "$TRASH/damaged"
flip_byte "$(layout_blob "$TRASH/damaged/oci" "$layer")" 50
fails_with "a layer altered in place (same size) is refused: a directory's blobs are hashed at start" 1 \
	"blob $layer in .*: content has digest sha256:.*the layout is damaged or was altered" \
	$S "$TRASH/damaged" --plain-http --listen 127.0.0.1:0
rm -rf "$TRASH/damaged" && cp -r "$TRASH/site" "$TRASH/damaged"
rm "$TRASH/damaged/charts/demo-0.1.0.tgz"
fails_with "a Helm index naming a missing chart is refused" 1 "index.yaml:9:7: chart url .* names no served file" \
	$S "$TRASH/damaged" --plain-http --listen 127.0.0.1:0
python3 "$TOP/scripts/mkimage.py" "$TRASH/site/oci" ghcr.io/library/demo:1 --layer 1k:clash >/dev/null
fails_with "two sources mapping to one name are refused" 2 "library/demo:1 is already taken .*--keep-host" \
	$S "$TRASH/site" --plain-http --listen 127.0.0.1:0

# a running server: --json logs, SIGTERM and SIGINT
serve_start "$TRASH/site" --keep-host --json || exit 1
ok "--json: the first stdout line announces the listening url" \
	sh -c "head -n 1 '$SERVE_LOG.out' | jq -e '.event == \"listening\" and .url == \"http://$SERVE_HOST\" and .images == 4'"
curl -s -o /dev/null "http://$SERVE_HOST/v2/ghcr.io/library/demo/manifests/1"
curl -s -o /dev/null "http://$SERVE_HOST/v2/docker.io/library/demo/manifests/nope"
ok "--json: one access log object per request" sh -c "tail -n 2 '$SERVE_LOG.out' | jq -se '
	.[0].status == 200 and .[0].path == \"/v2/ghcr.io/library/demo/manifests/1\" and .[0].method == \"GET\" and
	.[1].status == 404 and (.[0].bytes > 0) and length == 2'"
serve_stop
is "SIGTERM: exit 0" "$SERVE_STATUS" 0
ok "SIGTERM: the port is closed" sh -c "! (exec 3<>/dev/tcp/127.0.0.1/$SERVE_PORT) 2>/dev/null"
serve_start "$TRASH/site" --keep-host || exit 1
kill -INT "$SERVE_PID"; wait "$SERVE_PID"
is "SIGINT: exit 0" "$?" 0
ok "SIGINT: the port is closed" sh -c "! (exec 3<>/dev/tcp/127.0.0.1/$SERVE_PORT) 2>/dev/null"

# a download in flight when SIGTERM arrives still completes
python3 "$TOP/scripts/mkimage.py" "$TRASH/big/oci" docker.io/library/big:1 --layer 24m:big >/dev/null
serve_start "$TRASH/big" || exit 1
bl=$(jq -r '.layers[0].digest' "$(layout_blob "$TRASH/big/oci" "$(jq -r '.manifests[0].digest' "$TRASH/big/oci/index.json")")")
curl -s --limit-rate 8M --max-time 30 -o "$TRASH/big.out" "http://$SERVE_HOST/v2/library/big/blobs/$bl" &
dl=$!
n=0
while ! grep -q . "$TRASH/big.out" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
kill -TERM "$SERVE_PID"
wait $dl
is "in-flight download completed across SIGTERM" "sha256:$(sha256sum <"$TRASH/big.out" | cut -d' ' -f1)" "$bl"
wait "$SERVE_PID"
is "and the server then exited 0" "$?" 0
ok "the interrupted-or-not request was logged" grep -q "/v2/library/big/blobs/$bl\" 200" "$SERVE_LOG"
ok "--listen 127.0.0.1:0 reports the port the kernel chose" sh -c "
	$S '$TRASH/site' --keep-host --plain-http --listen 127.0.0.1:0 2>'$TRASH/zero.log' & p=\$!
	n=0; while ! grep -q serving '$TRASH/zero.log' && [ \$n -lt 50 ]; do sleep 0.1; n=\$((n+1)); done
	kill \$p; wait \$p
	grep -Eq 'on http://127.0.0.1:[1-9][0-9]*: 4 images' '$TRASH/zero.log'"
done_testing
