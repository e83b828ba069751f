#!/bin/bash
# Slow clients cannot take `lading serve` down (issue 15): 1100 connections that
# dribble a request head one byte a second (so an inactivity timeout never
# fires) from 40 loopback addresses are all held open while curl and skopeo
# pull a manifest and its blobs, and the server closes every one of them at the
# absolute --header-timeout. One address gets --max-conns-per-client
# connections and no more; an answer not complete within --request-timeout is
# cut off; the open file limit is checked against --max-connections at start.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 13

SLOW="python3 $TOP/tests/t0710-slow-clients.py"
mkdir -p "$TRASH/site/files"
echo "hello" >"$TRASH/site/files/readme.txt"
DIGEST=$(python3 "$TOP/scripts/mkimage.py" "$TRASH/site/oci" docker.io/library/demo:1 \
	--layer 300k:base --layer 40k:demo) || exit 1
BIG=$(python3 "$TOP/scripts/mkimage.py" "$TRASH/site/oci" docker.io/library/big:1 --layer 16m:big) || exit 1
BIG_LAYER=$(jq -r '.layers[0].digest' "$(layout_blob "$TRASH/site/oci" "$BIG")")
LAYER=$(jq -r '.layers[1].digest' "$(layout_blob "$TRASH/site/oci" "$DIGEST")")

# -- 1100 slow heads from 40 addresses (27 or 28 each, under the per-client limit)
serve_start "$TRASH/site" --insecure-skip-signature --header-timeout 15 --max-conns-per-client 32 || exit 1
$SLOW --port "$SERVE_PORT" --count 1100 --source 127.0.2.1 --sources 40 --dribble 1 --max-seconds 45 \
	--ready "$TRASH/ready" --done "$TRASH/done" >"$TRASH/slow.json" 2>"$TRASH/slow.log" &
slow=$!
at_exit "kill_pid $slow"
for _ in $(seq 1 300); do [ -s "$TRASH/ready" ] && break; sleep 0.1; done
is "1100 slow connections are open" "$(cat "$TRASH/ready" 2>/dev/null)" 1100
ok "meanwhile curl gets the manifest" sh -c "curl -sf --max-time 10 \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	'http://$SERVE_HOST/v2/library/demo/manifests/1' | sha256sum | grep -q '^${DIGEST#sha256:} '"
ok "meanwhile curl gets a layer with its digest" sh -c "curl -sf --max-time 10 \
	'http://$SERVE_HOST/v2/library/demo/blobs/$LAYER' | sha256sum | grep -q '^${LAYER#sha256:} '"
if command -v skopeo >/dev/null; then
	ok "meanwhile skopeo copies the image" timeout 30 skopeo copy --quiet --preserve-digests \
		--src-tls-verify=false "docker://$SERVE_HOST/library/demo:1" "oci:$TRASH/copy:x"
else
	skip "skopeo is not installed"
fi
touch "$TRASH/done"
wait "$slow"
ok "the slow connections were still open when the pulls were done" \
	jq -e '.open_at_done >= 1000' "$TRASH/slow.json"
ok "the server closed every slow connection (none left at the end)" \
	jq -e '.closed == 1100 and .open_at_end == 0' "$TRASH/slow.json"
ok "none was closed before the header timeout" jq -e '.closed_at_once == 0' "$TRASH/slow.json"
ok "the server still answers" sh -c "curl -sf --max-time 10 'http://$SERVE_HOST/files/readme.txt' | grep -q hello"
serve_stop

# -- one address: at most --max-conns-per-client connections, the rest closed at once
serve_start "$TRASH/site" --insecure-skip-signature --max-conns-per-client 8 || exit 1
$SLOW --port "$SERVE_PORT" --count 40 --source 127.0.3.1 --dribble 1 --max-seconds 4 >"$TRASH/one.json"
ok "40 from one address: 8 stay open, 32 are closed by the server" \
	jq -e '.open_at_end == 8 and .closed + .connect_failed == 32' "$TRASH/one.json"
ok "another address is served meanwhile" sh -c "curl -sf --max-time 10 'http://$SERVE_HOST/files/readme.txt' | grep -q hello"
serve_stop

# -- an answer read too slowly is cut off at --request-timeout
serve_start "$TRASH/site" --insecure-skip-signature --request-timeout 2 || exit 1
python3 - "$SERVE_PORT" "$BIG_LAYER" >"$TRASH/slowread.json" <<-'PY'
import json, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(("GET /v2/library/big/blobs/%s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2]).encode())
got, start = 0, time.monotonic()
s.settimeout(5)
while time.monotonic() - start < 60:
    try:
        data = s.recv(65536)
    except OSError:
        break
    if not data:
        break
    got += len(data)
    time.sleep(0.05)  # at most 1.3 MB/s: bytes keep flowing, the whole answer would take 12 s
print(json.dumps({"received": got, "eof": not data if got else True}))
PY
ok "a 16 MiB answer read slowly is cut off (the client got less than all of it)" \
	jq -e '.received < 16 * 1048576 and .received > 0' "$TRASH/slowread.json"
serve_stop
ok "the access log says it was interrupted" grep -q "/blobs/$BIG_LAYER\" 200 .*(interrupted)" "$SERVE_LOG"

# -- the open file limit must fit the connection limit
fails_with "an open file limit too low for --max-connections is refused at start" 2 \
	"--max-connections 4096 needs [0-9]+ open files, but the limit is 1000 .*raise it" \
	sh -c "ulimit -n 1000 && exec '$LADING' serve '$TRASH/site' --insecure-skip-signature --plain-http \
		--listen 127.0.0.1:0"
done_testing
