#!/bin/bash
# `lading serve --prefix` and `--keep-host` serve images under the names
# `bundle push` gives them (images/naming.h), and only under those names.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 8

serve_make_site "$TRASH/site" || exit 1
digest() { skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$SERVE_HOST/$1" 2>/dev/null; }
catalog() { curl -s "http://$SERVE_HOST/v2/_catalog" | jq -c .repositories; }

serve_start "$TRASH/site" --prefix mirror/ || exit 1
is "--prefix: catalog" "$(catalog)" '["mirror/apps/other","mirror/library/demo","mirror/team/multi"]'
is "--prefix: pull mirror/library/demo:1" "$(digest mirror/library/demo:1)" "$DEMO_DIGEST"
is "--prefix: the unprefixed name is unknown" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://$SERVE_HOST/v2/library/demo/manifests/1")" 404
serve_stop

serve_start "$TRASH/site" --keep-host || exit 1
is "--keep-host: catalog (a port becomes -PORT)" "$(catalog)" \
	'["docker.io/library/demo","quay.io/team/multi","registry.example.org-5000/apps/other"]'
is "--keep-host: pull quay.io/team/multi:2" "$(digest quay.io/team/multi:2)" "$MULTI_DIGEST"
is "--keep-host: pull the image whose source had a port" "$(digest registry.example.org-5000/apps/other:v3)" "$OTHER_DIGEST"
serve_stop

serve_start "$TRASH/site" --keep-host --prefix a/b || exit 1
is "--prefix and --keep-host together" "$(digest a/b/docker.io/library/demo:1)" "$DEMO_DIGEST"
serve_stop
is "every run stopped with exit 0" "$SERVE_STATUS" 0
done_testing
