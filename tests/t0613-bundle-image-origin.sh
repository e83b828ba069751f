#!/bin/bash
# bundle inspect shows where the spec named each image (lading.json's
# optional images[].origin): its lading.yaml line, the chart, file and key
# path, or the images_from file and line; a bundle without origins (older
# lading) still inspects.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
. "$TOP/scripts/lib-registry.sh"
plan 5

registry_start oci
reg=127.0.0.1:$REGISTRY_PORT
for n in a b c; do
	python3 "$TOP/scripts/mkimage.py" "$TRASH/images" $n:1 --layer 8k:$n >/dev/null
	push_layout "$TRASH/images" $n:1 "$reg/test/$n:1"
done
"$TOP/scripts/mkchart.sh" "$TRASH/www/charts" web 1.0.0 "$reg/test/b:1" >/dev/null
web_start www "$TRASH/www"
site=$TRASH/site
mkdir -p "$site"
echo "$reg/test/c:1" >"$site/list.txt"
cat >"$site/lading.yaml" <<YAML
name: origin
images:
  - ref: $reg/test/a:1
images_from:
  - list.txt
registries:
  - host: "$reg"
    plain_http: true
charts:
  - repo: $WEB_URL/charts
    name: web
    images_from_charts: true
YAML
ok "bundle create" "$LADING" bundle create -f "$site/lading.yaml" -o "$TRASH/o.tar.zst"
json=$("$LADING" bundle inspect --json "$TRASH/o.tar.zst")
is "a listed image: its lading.yaml line" "$(echo "$json" | jq -r ".images[] | select(.ref == \"$reg/test/a:1\") | .origin")" "$site/lading.yaml:3:5"
is "a chart image: chart, file and key path" "$(echo "$json" | jq -r ".images[] | select(.ref == \"$reg/test/b:1\") | .origin")" "chart web 1.0.0 web/values.yaml:image"
is "an images_from image: file and line" "$(echo "$json" | jq -r ".images[] | select(.ref == \"$reg/test/c:1\") | .origin")" "$site/list.txt:1"
ok "the text form has an IMAGE ORIGIN table" sh -c "'$LADING' bundle inspect '$TRASH/o.tar.zst' | grep -q '^$reg/test/b:1 .* chart web 1.0.0 web/values.yaml:image$'"
done_testing
