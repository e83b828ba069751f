#!/bin/bash
# Plain files pinned by sha256 from http:// (nginx), https:// (nginx with a
# test CA, trusted through `registries:` ca_file) and file://; a mismatch,
# a missing hash, an unsafe name, 404 and an untrusted certificate each a
# one-line error with nothing stored.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
. "$TOP/scripts/lib-registry.sh"
plan 14

mkdir -p "$TRASH/www/drivers"
head -c 300000 /dev/urandom >"$TRASH/www/drivers/driver.run"
sum=$(sha256sum "$TRASH/www/drivers/driver.run" | cut -d' ' -f1)
web_start plain "$TRASH/www"
plain=$WEB_URL
tls_make_certs "$TRASH/tls"
web_start tls "$TRASH/www" "$TRASH/tls/server.pem" "$TRASH/tls/server.key"
tls=$WEB_URL
printf 'registries:\n  - host: "127.0.0.1:%s"\n    ca_file: %s\n' "$WEB_PORT" "$TRASH/tls/ca.pem" >"$TRASH/registries.yaml"
fetch() { "$LADING" fetch file -s "$TRASH/store" "$@"; }

is "http: fetched and named after the URL" "$(fetch "$plain/drivers/driver.run" "$sum")" "file driver.run $sum 300000"
ok "the file is in the store under its sha256" cmp "$TRASH/store/blobs/sha256/$sum" "$TRASH/www/drivers/driver.run"
is "https with the CA from registries:, name given, laid out with --out" \
	"$(fetch -r "$TRASH/registries.yaml" -n nvidia/driver.run -o "$TRASH/files" "$tls/drivers/driver.run" "$sum")" \
	"file nvidia/driver.run $sum 300000"
ok "--out has files/NAME" cmp "$TRASH/files/nvidia/driver.run" "$TRASH/www/drivers/driver.run"
is "file:// URLs" "$(fetch -s "$TRASH/store2" "file://$TRASH/www/drivers/driver.run" "$sum" | cut -d' ' -f3)" "$sum"
is "--update-hashes fetches an unpinned file and reports its hash" \
	"$(fetch -s "$TRASH/store3" --update-hashes --json "$plain/drivers/driver.run" | jq -r .sha256)" "$sum"

bad=$TRASH/bad
wrong=$(printf '%064d' 1)
fails_one_line "hash mismatch names the file" 1 "file driver\.run: sha256 mismatch .*expected $wrong, got $sum" \
	"$LADING" fetch file -s "$bad" -o "$TRASH/badout" "$plain/drivers/driver.run" "$wrong"
is "nothing stored or laid out after the mismatch" "$(find "$bad" "$TRASH/badout" -type f 2>/dev/null | wc -l)" 0
fails_one_line "a missing sha256 is a usage error" 2 "sha256 is required \(bundle create --update-hashes" \
	"$LADING" fetch file -s "$bad" "$plain/drivers/driver.run"
fails_one_line "a name escaping files/ is refused" 2 "name '\.\./etc/x' is not a safe relative path" \
	"$LADING" fetch file -s "$bad" -n ../etc/x "$plain/drivers/driver.run" "$sum"
fails_one_line "HTTP 404" 1 "file nope\.run: .*answered HTTP 404" "$LADING" fetch file -s "$bad" "$plain/nope.run" "$sum"
fails_one_line "https without the CA is refused" 1 "certificate|verif" "$LADING" fetch file -s "$bad" "$tls/drivers/driver.run" "$sum"
fails_with "a missing local file" 1 "cannot open" "$LADING" fetch file -s "$bad" "file://$TRASH/none" "$sum"
fails_with "an unsupported scheme" 2 "unsupported URL 'ftp://" "$LADING" fetch file -s "$bad" "ftp://x/y" "$sum"
done_testing
