#!/bin/bash
# Registries that misbehave (a server of the tests' own): wrong bytes, too many
# bytes, 429/503 answers, a dropped connection, redirects to another host.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 20

L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" bad:1 --layer 200k:bad-layer >/dev/null
TOPD=$(jq -r '.manifests[0].digest' "$L/index.json" | cut -c8-)
LAYER=$(jq -r '.layers[0].digest' "$L/blobs/sha256/$TOPD" | cut -c8-)
conf() { printf 'registries:\n  - host: 127.0.0.1:%s\n    plain_http: true\n' "$FAKE_PORT" >"$TRASH/$1.yaml"; }

fake_registry_start corrupt "$L" --corrupt "$LAYER"
conf corrupt
S=$TRASH/s-corrupt
fails_with "a blob whose bytes do not match is exit 1 naming its digest" 1 \
	"blob sha256:$LAYER: digest mismatch|sha256:$LAYER: digest mismatch" \
	"$LADING" image pull --store "$S" -r "$TRASH/corrupt.yaml" "127.0.0.1:$FAKE_PORT/x/bad:1"
ok "nothing is left under the blob's final name" test ! -e "$S/blobs/sha256/$LAYER"
ok "no partial file is kept for bad bytes" test ! -e "$S/blobs/sha256/$LAYER.partial"
ok "the good blobs before it are stored and sound" store_verify "$S"

fake_registry_start long "$L" --too-long "$LAYER"
conf long
fails_with "a blob longer than its descriptor is exit 1 naming it" 1 "sha256:$LAYER: the registry sent more" \
	"$LADING" image pull --store "$TRASH/s-long" -r "$TRASH/long.yaml" "127.0.0.1:$FAKE_PORT/x/bad:1"
ok "nothing is left under its final name nor as partial" \
	test ! -e "$TRASH/s-long/blobs/sha256/$LAYER" -a ! -e "$TRASH/s-long/blobs/sha256/$LAYER.partial"

fake_registry_start busy "$L" --fail-first 1:429
conf busy
ok "a 429 answer is retried" "$LADING" image pull --store "$TRASH/s-busy" -r "$TRASH/busy.yaml" "127.0.0.1:$FAKE_PORT/x/bad:1"
is "the manifest was asked twice (429, then 200)" "$(grep -c 'GET /v2/x/bad/manifests/1 ' "$FAKE_LOG")" "2"
ok "the pulled store is sound" store_verify "$TRASH/s-busy"

fake_registry_start flaky "$L" --fail-first 2:503
conf flaky
ok "503 answers are retried with backoff" \
	"$LADING" image pull --store "$TRASH/s-flaky" -r "$TRASH/flaky.yaml" "127.0.0.1:$FAKE_PORT/x/bad:1"
is "three manifest requests (503, 503, 200)" "$(grep -c 'GET /v2/x/bad/manifests/1 ' "$FAKE_LOG")" "3"

fake_registry_start down "$L" --fail-first 100:503
conf down
fails_with "a registry answering 503 for good gives up with exit 1" 1 "x/bad: manifest 1: registry answered status 503" \
	"$LADING" image pull --store "$TRASH/s-down" -r "$TRASH/down.yaml" "127.0.0.1:$FAKE_PORT/x/bad:1"
is "it gave up after 4 attempts" "$(grep -c 'GET /v2/x/bad/manifests/1 ' "$FAKE_LOG")" "4"

fake_registry_start drop "$L" --drop-after "$LAYER:50000"
conf drop
ok "a connection dropped mid-blob is resumed" \
	"$LADING" image pull --store "$TRASH/s-drop" -r "$TRASH/drop.yaml" "127.0.0.1:$FAKE_PORT/x/bad:1"
ok "the resume asked for the rest with Range" grep -q "GET /v2/x/bad/blobs/sha256:$LAYER .*range=bytes=50000- status=206" "$FAKE_LOG"
ok "the resumed blob is sound" store_verify "$TRASH/s-drop"

fake_registry_start redirect "$L" --basic admin:hunter2 --redirect-blobs
conf redirect
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$FAKE_PORT" "$(printf admin:hunter2 | base64)" >"$TRASH/auth.json"
ok "basic auth and blobs redirected to another host" \
	"$LADING" image pull --store "$TRASH/s-redir" -r "$TRASH/redirect.yaml" -a "$TRASH/auth.json" \
	"127.0.0.1:$FAKE_PORT/x/bad:1"
ok "the storage host got blob requests" grep -q "host=127.0.0.2:$FAKE_PORT auth=no" "$FAKE_LOG"
is "Authorization never went to the other host" "$(grep -c "host=127.0.0.2:$FAKE_PORT auth=yes" "$FAKE_LOG")" "0"
fails_with "without credentials the basic registry refuses with exit 1" 1 "127.0.0.1:$FAKE_PORT/x/bad: registry requires credentials" \
	env HOME="$TRASH" LADING_REGISTRY_AUTH_FILE= "$LADING" image pull --store "$TRASH/s-redir2" \
	-r "$TRASH/redirect.yaml" "127.0.0.1:$FAKE_PORT/x/bad:1"
done_testing
