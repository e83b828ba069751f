#!/bin/bash
# HTTPS with a test CA made here: curl and skopeo trust it only when given the
# CA, pull through TLS with equal digests; bad key material is a usage error.
# serve's TLS is OpenSSL in front of libmicrohttpd (serve/tls_front.c): the
# chain is sent, the access log names the client, handshakes that never end
# are closed at --header-timeout and count against the per-client limit.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 22

serve_make_site "$TRASH/site" || exit 1
pki=$TRASH/pki
mkdir -p "$pki/certs.d"
# A root CA, an intermediate it signed, and the server's certificate from the
# intermediate: the clients trust only the root, so the server must send the chain.
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 2 \
		-subj "/CN=lading test CA" &&
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/mid.key" -out "$pki/mid.csr" -subj "/CN=lading test sub-CA" &&
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$pki/mid.ext" &&
	openssl x509 -req -in "$pki/mid.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-out "$pki/mid.crt" -days 2 -extfile "$pki/mid.ext" &&
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/server.key" -out "$pki/server.csr" -subj "/CN=127.0.0.1" &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$pki/ext" &&
	openssl x509 -req -in "$pki/server.csr" -CA "$pki/mid.crt" -CAkey "$pki/mid.key" -CAcreateserial \
		-out "$pki/leaf.crt" -days 2 -extfile "$pki/ext" &&
	cat "$pki/leaf.crt" "$pki/mid.crt" >"$pki/server.crt" &&
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/other.key" -out /dev/null -subj "/CN=other" &&
	openssl pkey -in "$pki/server.key" -aes256 -passout pass:secret -out "$pki/locked.key"
} >"$TRASH/openssl.log" 2>&1 || { echo "# openssl failed"; cat "$TRASH/openssl.log"; exit 1; }
cp "$pki/ca.crt" "$pki/certs.d/ca.crt"

serve_start "$TRASH/site" --tls-cert "$pki/server.crt" --tls-key "$pki/server.key" || exit 1
U=https://$SERVE_HOST
ok "summary line shows https" grep -q "on https://$SERVE_HOST" "$SERVE_LOG"
is "the server sends its certificate and the intermediate" "$(openssl s_client -connect "$SERVE_HOST" \
	-CAfile "$pki/ca.crt" -showcerts </dev/null 2>/dev/null | grep -c 'BEGIN CERTIFICATE')" 2
is "curl with the test CA: /v2/ answers 200" "$(curl -s --cacert "$pki/ca.crt" -o /dev/null -w '%{http_code}' "$U/v2/")" 200
ok "curl without the CA refuses the certificate" sh -c "! curl -s -o /dev/null '$U/v2/'"
ok "plain HTTP to the TLS port gets no answer" sh -c "! curl -s --max-time 5 -o /dev/null 'http://$SERVE_HOST/v2/'"
is "skopeo with --cert-dir: digest equals the layout" \
	"$(skopeo inspect --cert-dir "$pki/certs.d" --format '{{.Digest}}' "docker://$SERVE_HOST/library/demo:1")" "$DEMO_DIGEST"
ok "skopeo without the CA refuses" sh -c "! skopeo inspect --retry-times 0 'docker://$SERVE_HOST/library/demo:1' 2>/dev/null"
ok "skopeo copy --all over TLS" skopeo copy --quiet --all --preserve-digests --src-cert-dir "$pki/certs.d" \
	"docker://$SERVE_HOST/team/multi:2" "oci:$TRASH/copy:x"
is "copied index digest equals the layout" "$(jq -r '.manifests[0].digest' "$TRASH/copy/index.json")" "$MULTI_DIGEST"
ok "helm index over TLS points at https" sh -c \
	"curl -s --cacert '$pki/ca.crt' '$U/charts/index.yaml' | grep -q '$U/charts/demo-0.1.0.tgz'"
ok "the access log names the client's address" grep -q '127\.0\.0\.1.*GET /charts/index.yaml' "$SERVE_LOG"
pids=
for i in $(seq 1 24); do
	curl -s --max-time 20 --cacert "$pki/ca.crt" -o /dev/null -w '%{http_code}\n' "$U/files/readme.txt" \
		>"$TRASH/parallel.$i" &
	pids="$pids $!"
done
wait $pids
cat "$TRASH"/parallel.* >"$TRASH/parallel.txt"
is "24 requests at once over TLS: all 200" "$(sort "$TRASH/parallel.txt" | uniq -c | tr -s ' ')" " 24 200"
is "TLS 1.3 is spoken" "$(curl -s --cacert "$pki/ca.crt" --tlsv1.3 -o /dev/null -w '%{http_code}' "$U/v2/")" 200
serve_stop
is "serve stops cleanly on SIGTERM" "$SERVE_STATUS" 0

echo "not a key" >"$TRASH/bad.key"
fails_with "a key file that is not PEM is a usage error" 2 "tls-key '.*bad.key': not a PEM file" \
	"$LADING" serve "$TRASH/site" --insecure-skip-signature --listen 127.0.0.1:0 --tls-cert "$pki/server.crt" --tls-key "$TRASH/bad.key"
fails_with "another certificate's key is refused" 2 "tls-key is not the key of the certificate" \
	"$LADING" serve "$TRASH/site" --insecure-skip-signature --listen 127.0.0.1:0 --tls-cert "$pki/server.crt" --tls-key "$pki/other.key"
fails_with "a key with a passphrase is refused, never prompted for" 2 "tls-key has a passphrase" \
	"$LADING" serve "$TRASH/site" --insecure-skip-signature --listen 127.0.0.1:0 --tls-cert "$pki/server.crt" --tls-key "$pki/locked.key"

# -- handshakes that never end (a ClientHello one byte a second), from 10 addresses
SLOW="python3 $TOP/tests/t0710-slow-clients.py"
serve_start "$TRASH/site" --tls-cert "$pki/server.crt" --tls-key "$pki/server.key" --header-timeout 8 || exit 1
U=https://$SERVE_HOST
$SLOW --tls --port "$SERVE_PORT" --count 200 --source 127.0.4.1 --sources 10 --dribble 1 --max-seconds 40 \
	--ready "$TRASH/ready" --done "$TRASH/done" >"$TRASH/slow.json" 2>"$TRASH/slow.log" </dev/null &
slow=$!
at_exit "kill_pid $slow"
for _ in $(seq 1 300); do [ -s "$TRASH/ready" ] && break; sleep 0.1; done
ok "meanwhile curl gets a file over TLS" sh -c \
	"curl -sf --max-time 10 --cacert '$pki/ca.crt' '$U/files/readme.txt' | grep -q hello"
touch "$TRASH/done"
wait "$slow"
ok "the slow handshakes were still open when curl was done" jq -e '.open_at_done >= 150' "$TRASH/slow.json"
ok "the server closed every one at --header-timeout, none before" \
	jq -e '.closed == 200 and .open_at_end == 0 and .closed_at_once == 0 and .max_lifetime >= 7' "$TRASH/slow.json"
serve_stop

# -- one address holding --max-conns-per-client handshakes gets no more
serve_start "$TRASH/site" --tls-cert "$pki/server.crt" --tls-key "$pki/server.key" --max-conns-per-client 8 || exit 1
U=https://$SERVE_HOST
$SLOW --tls --port "$SERVE_PORT" --count 40 --source 127.0.5.1 --dribble 1 --max-seconds 4 >"$TRASH/one.json"
ok "40 handshakes from one address: 8 stay open, 32 are closed by the server" \
	jq -e '.open_at_end == 8 and .closed + .connect_failed == 32' "$TRASH/one.json"
ok "another address is served meanwhile" sh -c \
	"curl -sf --max-time 10 --cacert '$pki/ca.crt' '$U/files/readme.txt' | grep -q hello"
serve_stop
done_testing
