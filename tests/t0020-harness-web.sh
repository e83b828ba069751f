#!/bin/bash
# The static web server harness: nginx serves generated chart repositories and
# a provider registry tree, with the content types the protocols need.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
plan 5

mkdir -p "$TRASH/www"
ok "chart archive and index written" "$TOP/scripts/mkchart.sh" "$TRASH/www/charts" demo 1.2.3 nginx:1.27 busybox:1.36
ok "chart archive is a real gzip tar with Chart.yaml" sh -c "tar -tzf '$TRASH/www/charts/demo-1.2.3.tgz' | grep -qx 'demo/Chart.yaml'"
ok "provider registry tree written" python3 "$TOP/scripts/mkprovider.py" "$TRASH/www/reg" hashicorp null 3.2.1,3.2.2 linux_amd64,linux_arm64
web_start www "$TRASH/www"
ok "index.yaml served" sh -c "curl -fsS '$WEB_URL/charts/index.yaml' | grep -q 'demo-1.2.3.tgz'"
ok "provider versions served as JSON" sh -c "curl -fsSi '$WEB_URL/reg/v1/providers/hashicorp/null/versions' | grep -qi '^content-type: application/json'"
done_testing
