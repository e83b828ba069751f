#!/bin/bash
# Bad requests to `lading serve`: unknown names answer 404 with an OCI error
# body, malformed digests 400, and no path trick (../, %2e%2e, encoded slashes,
# absolute paths, symlinks, raw request lines) reads anything outside the dir.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 21

serve_make_site "$TRASH/site" || exit 1
echo TOPSECRET-outside >"$TRASH/secret.txt"
ln -s ../../secret.txt "$TRASH/site/files/link.txt"
ln -s "$TRASH" "$TRASH/site/files/linkdir"
# A blob present in the store that no image references.
stray=$(echo stray | sha256sum | cut -d' ' -f1)
echo stray >"$TRASH/site/oci/blobs/sha256/$stray"
serve_start "$TRASH/site" -v || exit 1
U=http://$SERVE_HOST

# answer PATH: "STATUS BODY" (path sent as is, no client-side normalisation)
answer() { curl -s --max-time 20 --path-as-is -w ' %{http_code}' "$U$1"; }
oci_error() { # NAME PATH STATUS CODE
	got=$(answer "$2")
	status=${got##* }
	errcode=$(printf '%s' "${got% *}" | jq -r '.errors[0].code' 2>/dev/null)
	is "$1" "$status $errcode" "$3 $4"
}
other_layer=$(jq -r '.layers[0].digest' "$(layout_blob "$TRASH/site/oci" "$OTHER_DIGEST")")
oci_error "unknown repository: 404 NAME_UNKNOWN" /v2/library/nope/manifests/1 404 NAME_UNKNOWN
oci_error "unknown tag: 404 MANIFEST_UNKNOWN" /v2/library/demo/manifests/2 404 MANIFEST_UNKNOWN
oci_error "unknown manifest digest: 404 MANIFEST_UNKNOWN" /v2/library/demo/manifests/sha256:$stray 404 MANIFEST_UNKNOWN
oci_error "unreferenced blob in the store: 404 BLOB_UNKNOWN" /v2/library/demo/blobs/sha256:$stray 404 BLOB_UNKNOWN
oci_error "another repository's blob: 404 BLOB_UNKNOWN" /v2/library/demo/blobs/$other_layer 404 BLOB_UNKNOWN
oci_error "a layer asked for as a manifest: 404 MANIFEST_UNKNOWN" /v2/apps/other/manifests/$other_layer 404 MANIFEST_UNKNOWN
oci_error "malformed digest: 400 DIGEST_INVALID" /v2/library/demo/blobs/sha256:1234 400 DIGEST_INVALID
oci_error "uppercase hex is not a digest: 400" "/v2/library/demo/blobs/sha256:$(echo "$stray" | tr a-f A-F)" 400 DIGEST_INVALID
oci_error "other algorithm: 400 DIGEST_INVALID" /v2/library/demo/manifests/md5:d41d8cd98f00b204e9800998ecf8427e 400 DIGEST_INVALID
oci_error "invalid tag: 400 TAG_INVALID" /v2/library/demo/manifests/-bad 400 TAG_INVALID
oci_error "traversal in a name: 400 NAME_INVALID" "/v2/%2e%2e/%2e%2e/blobs/sha256:$stray" 400 NAME_INVALID
oci_error "traversal as a digest: no endpoint matches, 404" "/v2/library/demo/blobs/sha256:..%2f..%2f..%2fsecret.txt" 404 NAME_UNKNOWN
oci_error "tags of an unknown repository: 404" /v2/a/b/tags/list 404 NAME_UNKNOWN

# Every trick at every prefix: never 200, never the secret or /etc/passwd.
leaks=""
for p in /files/../../secret.txt /files/%2e%2e/%2e%2e/secret.txt /files/..%2f..%2fsecret.txt \
	/files/%2E%2E%2F%2E%2E%2Fsecret.txt /files//etc/passwd /files/%2fetc%2fpasswd /files/link.txt \
	/files/linkdir/secret.txt /charts/../../secret.txt /charts/%2e%2e/%2e%2e/secret.txt \
	/providers/%2e%2e%2f%2e%2e%2fsecret.txt /providers/../oci/index.json /../../secret.txt \
	/v2/../../secret.txt /v2/library/demo/manifests/..%2f..%2findex.json /files/readme.txt%00.png \
	/files/./readme.txt /files/tools/../readme.txt /files/%2e/readme.txt; do
	got=$(answer "$p")
	case "$got" in
	*TOPSECRET* | *root:x:0* | *imageLayoutVersion* | *manifests* | *" 200") leaks="$leaks $p" ;;
	esac
done
is "no traversal, encoding or symlink trick reads anything outside" "${leaks:-none}" none
raw() { exec 3<>"/dev/tcp/127.0.0.1/$SERVE_PORT" && printf '%s\r\nHost: x\r\nConnection: close\r\n\r\n' "$1" >&3 &&
	timeout 5 cat <&3; exec 3<&-; }
out=$(raw 'GET ../../secret.txt HTTP/1.1')
ok "raw relative request: no secret, not 200" sh -c "! printf '%s' '$out' | grep -qE 'TOPSECRET|^HTTP/1.1 200'"
out=$(raw "GET http://127.0.0.1/files/../../secret.txt HTTP/1.1")
ok "raw absolute-form request: no secret, not 200" sh -c "! printf '%s' '$out' | grep -qE 'TOPSECRET|^HTTP/1.1 200'"
ok "symlinks were skipped at start with a warning" grep -q "files/link.txt': not a regular file" "$SERVE_LOG"
# A directory swapped for a link to the outside after start is not followed.
mkdir -p "$TRASH/outside" && echo TOPSECRET-swapped >"$TRASH/outside/random.bin"
mv "$TRASH/site/files/tools" "$TRASH/site/files/tools.moved"
ln -s "$TRASH/outside" "$TRASH/site/files/tools"
got=$(answer /files/tools/random.bin)
is "a directory swapped for a symlink after start is not followed" "$(printf '%s' "$got" | grep -c TOPSECRET) ${got##* }" "0 404"
oci_error "a valid request still works after all that" /v2/library/demo/manifests/nope 404 MANIFEST_UNKNOWN
is "and a real file is served" "$(curl -s "$U/files/readme.txt")" "hello from the bundle"
ok "server still running" kill -0 "$SERVE_PID"
done_testing
