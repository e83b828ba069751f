#!/bin/bash
# Pre-signed redirect targets keep their secrets (issue 15): a download redirected to a URL
# whose query string carries a signature and credential (as S3, GCS and registries' blob
# stores do) is followed, but -v/-vv logs, --json and errors show that URL with its query
# string redacted; userinfo never appears.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
plan 7

mkdir -p "$TRASH/www/real"
head -c 100000 /dev/urandom >"$TRASH/www/real/driver.run"
sum=$(sha256sum "$TRASH/www/real/driver.run" | cut -d' ' -f1)
SECRET="X-Amz-Signature=5ecre7deadbeef&X-Amz-Credential=AKIAEXAMPLE"
WEB_EXTRA="location = /signed/driver.run { return 302 /real/driver.run?$SECRET; }
location = /signed/gone.run { return 302 /real/gone.run?$SECRET; }
location = /signed/loop.run { return 302 /signed/loop.run?$SECRET; }"
web_start plain "$TRASH/www"
fetch() { "$LADING" fetch file -s "$TRASH/store" "$@"; }

fetch -vv "$WEB_URL/signed/driver.run" "$sum" >"$TRASH/out" 2>"$TRASH/err"
st=$?
is "the redirected download succeeds" "$st" 0
ok "and the stored file is the target's" cmp "$TRASH/store/blobs/sha256/$sum" "$TRASH/www/real/driver.run"
ok "nginx saw the signed query (the redirect was really followed)" grep -q "GET /real/driver.run?$SECRET" "$TRASH/web-plain-access.log"
ok "-vv shows the redirect target redacted" grep -q "http: GET http://127.0.0.1:$WEB_PORT/real/driver.run?\[redacted\]" "$TRASH/err"
ok "the signature and credential appear nowhere in the output" sh -c "! grep -q '5ecre7deadbeef\|AKIAEXAMPLE' '$TRASH/out' '$TRASH/err'"
fetch -vv -s "$TRASH/store2" "$WEB_URL/signed/gone.run" "$sum" >"$TRASH/out2" 2>"$TRASH/err2"
ok "a failing redirect target (404) keeps the secret out of the error too" \
	sh -c "grep -q 404 '$TRASH/err2' && ! grep -q '5ecre7deadbeef\|AKIAEXAMPLE' '$TRASH/out2' '$TRASH/err2'"
fetch -vv -s "$TRASH/store3" "$WEB_URL/signed/loop.run" "$sum" >"$TRASH/out3" 2>"$TRASH/err3"
ok "so does a redirect loop" sh -c "! grep -q '5ecre7deadbeef\|AKIAEXAMPLE' '$TRASH/out3' '$TRASH/err3'"
done_testing
