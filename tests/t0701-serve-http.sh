#!/bin/bash
# curl against `lading serve`: the Helm index with rewritten URLs, the provider
# network mirror, files, Range reads, HEAD, pagination and read-only refusals.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 27

serve_make_site "$TRASH/site" || exit 1
serve_start "$TRASH/site" || exit 1
U=http://$SERVE_HOST
C="curl -s --max-time 20"
code() { curl -s --max-time 20 -o /dev/null -w '%{http_code}' "$@"; }

# Helm repository
$C "$U/charts/index.yaml" >"$TRASH/index.yaml"
ok "helm index: chart url points at this server" grep -qx "    - $U/charts/demo-0.1.0.tgz" "$TRASH/index.yaml"
ok "helm index: the old host is gone" sh -c "! grep -q charts.example.org '$TRASH/index.yaml'"
ok "helm index: other fields pass through" grep -q 'created: "2026-11-23T00:00:00Z"' "$TRASH/index.yaml"
ok "helm index: --advertise-url is not needed, Host is used" grep -q "127.0.0.1:$SERVE_PORT" "$TRASH/index.yaml"
$C -o "$TRASH/chart.tgz" "$(awk '/- http/ {print $2}' "$TRASH/index.yaml")"
is "chart downloaded through the rewritten url has the index digest" \
	"$(sha256sum <"$TRASH/chart.tgz" | cut -d' ' -f1)" "$(awk '/digest:/ {print $2}' "$TRASH/index.yaml")"
ok "chart tarball is a real chart" sh -c "tar -xzOf '$TRASH/chart.tgz' demo/Chart.yaml | grep -q 'name: demo'"

# Terraform provider network mirror (the protocol's index.json and <version>.json)
P=$U/providers/registry.terraform.io/hashicorp/null
is "provider mirror index.json lists the version" "$($C "$P/index.json" | jq -c .versions)" '{"3.2.1":{}}'
url=$($C "$P/3.2.1.json" | jq -r .archives.linux_amd64.url)
hash=$($C "$P/3.2.1.json" | jq -r '.archives.linux_amd64.hashes[0]')
is "provider zip (relative url) has the advertised zh: hash" "zh:$($C "$P/$url" | sha256sum | cut -d' ' -f1)" "$hash"
is "provider JSON is served as application/json" \
	"$(curl -s -o /dev/null -w '%{content_type}' "$P/index.json")" "application/json"

# files and ranges
ok "files: nested name served byte for byte" sh -c "$C '$U/files/tools/random.bin' | cmp - '$TRASH/site/files/tools/random.bin'"
blob=$(layout_blob "$TRASH/site/oci" "$(jq -r '.layers[0].digest' "$(layout_blob "$TRASH/site/oci" "$DEMO_DIGEST")")")
dg=sha256:$(basename "$blob")
size=$(stat -c %s "$blob")
hdr=$($C -D - -o "$TRASH/part" -H 'Range: bytes=1000-70999' "$U/v2/library/demo/blobs/$dg")
ok "ranged blob read answers 206 with Content-Range" sh -c "printf '%s' '$hdr' | grep -q '^HTTP/1.1 206' &&
	printf '%s' '$hdr' | grep -qi '^Content-Range: bytes 1000-70999/$size'"
ok "ranged bytes equal dd of the blob" sh -c "dd if='$blob' bs=1000 skip=1 count=70 status=none | cmp - '$TRASH/part'"
ok "suffix range: the last 100 bytes" bash -c "$C -H 'Range: bytes=-100' '$U/v2/library/demo/blobs/$dg' | cmp - <(tail -c 100 '$blob')"
is "range past the end: 416" "$(code -H "Range: bytes=$size-" "$U/v2/library/demo/blobs/$dg")" 416
ok "range on a file under /files/" sh -c "$C -r 11-20 '$U/files/readme.txt' | grep -qx 'the bundle'"
hdr=$(curl -s -I "$U/v2/library/demo/manifests/1")
ok "HEAD manifest: digest, media type and length, no body" sh -c "
	printf '%s' '$hdr' | grep -qi '^Docker-Content-Digest: $DEMO_DIGEST' &&
	printf '%s' '$hdr' | grep -qi '^Content-Type: application/vnd.oci.image.manifest.v1+json' &&
	printf '%s' '$hdr' | grep -qi '^Content-Length: $(stat -c %s "$(layout_blob "$TRASH/site/oci" "$DEMO_DIGEST")")'"
is "index media type for the multi-platform tag" \
	"$(curl -s -o /dev/null -w '%{content_type}' "$U/v2/team/multi/manifests/2")" "application/vnd.oci.image.index.v1+json"

# listing
is "catalog lists the mapped names" "$($C "$U/v2/_catalog" | jq -c .repositories)" '["apps/other","library/demo","team/multi"]'
$C -D "$TRASH/h" "$U/v2/_catalog?n=2" >"$TRASH/page1"
ok "catalog paginates with a Link to the next page" sh -c "jq -e '.repositories == [\"apps/other\",\"library/demo\"]' '$TRASH/page1' &&
	grep -qi '^Link: </v2/_catalog?last=library/demo&n=2>; rel=\"next\"' '$TRASH/h'"
is "catalog second page" "$($C "$U/v2/_catalog?n=2&last=library/demo" | jq -c .repositories)" '["team/multi"]'
is "tags list" "$($C "$U/v2/team/multi/tags/list")" '{"name":"team/multi","tags":["2"]}'
is "GET /v2/ answers 200 with the API version header" \
	"$(curl -s -D - -o /dev/null "$U/v2/" | tr -d '\r' | grep -i '^Docker-Distribution-API-Version')" \
	"Docker-Distribution-API-Version: registry/2.0"

# read-only: every write answers 405 with an OCI error body
for m in PUT POST PATCH DELETE; do
	body=$(curl -s -X $m -w ' %{http_code}' -d 'x' "$U/v2/library/demo/blobs/uploads/")
	[ "$body" = '{"errors":[{"code":"UNSUPPORTED","message":"the operation is unsupported: this registry is read-only"}]} 405' ] ||
		{ echo "# $m: $body"; bad=1; }
done
ok "PUT, POST, PATCH, DELETE answer 405 UNSUPPORTED" test -z "${bad:-}"
ok "a write outside /v2 is 405 too" sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d x '$U/files/readme.txt')\" = 405"
is "the file is unchanged after the refused write" "$(cat "$TRASH/site/files/readme.txt")" "hello from the bundle"
is "access log has one line per request" "$(grep -c '"GET /v2/_catalog' "$SERVE_LOG")" 3
serve_stop
is "SIGTERM: exit status 0" "$SERVE_STATUS" 0
done_testing
