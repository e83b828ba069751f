#!/bin/bash
# HTTPS with a test CA made here: curl and skopeo trust it only when given the
# CA, pull through TLS with equal digests; bad key material is a usage error.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 10

serve_make_site "$TRASH/site" || exit 1
pki=$TRASH/pki
mkdir -p "$pki/certs.d"
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 2 \
		-subj "/CN=lading test CA" &&
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/server.key" -out "$pki/server.csr" -subj "/CN=127.0.0.1" &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$pki/ext" &&
	openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-out "$pki/server.crt" -days 2 -extfile "$pki/ext"
} >"$TRASH/openssl.log" 2>&1 || { echo "# openssl failed"; cat "$TRASH/openssl.log"; exit 1; }
cp "$pki/ca.crt" "$pki/certs.d/ca.crt"

serve_start "$TRASH/site" --tls-cert "$pki/server.crt" --tls-key "$pki/server.key" || exit 1
U=https://$SERVE_HOST
ok "summary line shows https" grep -q "on https://$SERVE_HOST" "$SERVE_LOG"
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
echo "not a key" >"$TRASH/bad.key"
fails_with "a key file that is not PEM is a usage error" 2 "tls-key '.*bad.key': not a PEM file" \
	"$LADING" serve "$TRASH/site" --insecure-skip-signature --listen 127.0.0.1:0 --tls-cert "$pki/server.crt" --tls-key "$TRASH/bad.key"
done_testing
