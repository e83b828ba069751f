#!/bin/bash
# bundle create against registries that misbehave (the tests' fake registry):
# a blob whose bytes do not match its digest, wrong credentials. Each: exit 1,
# one line naming the problem, no bundle under the output name, a sound cache.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
plan 10

export HOME=$TRASH/home LADING_CACHE=$TRASH/cache
mkdir -p "$HOME" "$TRASH/out"
L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" bad:1 --layer 200k:bad-layer --layer 4k:good-layer >/dev/null
TOPD=$(jq -r '.manifests[0].digest' "$L/index.json" | cut -c8-)
LAYER=$(jq -r '.layers[0].digest' "$L/blobs/sha256/$TOPD" | cut -c8-)
spec() { printf 'name: bad\nimages: [127.0.0.1:%s/x/bad:1]\nregistries: [{host: "127.0.0.1:%s", plain_http: true}]\n' \
	"$FAKE_PORT" "$FAKE_PORT" >"$TRASH/$1.yaml"; }

fake_registry_start corrupt "$L" --corrupt "$LAYER"
spec corrupt
fails_one_line "a blob whose bytes do not match its digest: exit 1 naming it" 1 "sha256:$LAYER" \
	"$LADING" bundle create -f "$TRASH/corrupt.yaml" -o "$TRASH/out/bad.tar.zst"
ok "no bundle and no temporary under the output name" sh -c "! ls '$TRASH/out' | grep -q ."
ok "the bad blob is not in the cache under its name" test ! -e "$LADING_CACHE/blobs/sha256/$LAYER"
ok "the cache is consistent" cache_consistent "$LADING_CACHE"

fake_registry_start auth "$L" --basic admin:hunter2
spec auth
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$FAKE_PORT" "$(printf admin:wrong | base64)" >"$TRASH/wrong.json"
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$FAKE_PORT" "$(printf admin:hunter2 | base64)" >"$TRASH/right.json"
LADING_REGISTRY_AUTH_FILE=$TRASH/wrong.json fails_one_line "wrong credentials: exit 1 naming the registry" 1 \
	"127.0.0.1:$FAKE_PORT" "$LADING" bundle create -f "$TRASH/auth.yaml" -o "$TRASH/out/bad.tar.zst"
ok "no bundle left after refused credentials" sh -c "! ls '$TRASH/out' | grep -q ."
ok "the error does not show the password" \
	sh -c "! LADING_REGISTRY_AUTH_FILE='$TRASH/wrong.json' '$LADING' bundle create -f '$TRASH/auth.yaml' -o '$TRASH/out/bad.tar.zst' 2>&1 | grep -q wrong"
LADING_REGISTRY_AUTH_FILE=$TRASH/right.json ok "the right credentials give a bundle" \
	"$LADING" bundle create -f "$TRASH/auth.yaml" -o "$TRASH/out/good.tar.zst"
ok "which verifies" "$LADING" bundle verify --insecure-skip-signature "$TRASH/out/good.tar.zst"
ok "and the cache is consistent" cache_consistent "$LADING_CACHE"
done_testing
