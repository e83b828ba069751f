#!/bin/bash
# The test harness itself: a real docker-registry starts, takes a generated
# image through skopeo, serves it back, and is gone after the test.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 4

registry_start plain
ok "generated multi-platform image written" \
	python3 "$TOP/scripts/mkimage.py" "$TRASH/layout" multi:1 --layer 4k:base --platforms linux/amd64,linux/arm64
ok "skopeo pushes it to the registry" push_layout "$TRASH/layout" multi:1 "127.0.0.1:$REGISTRY_PORT/test/multi:1"
ok "skopeo reads the index back" sh -c "skopeo inspect --raw --tls-verify=false docker://127.0.0.1:$REGISTRY_PORT/test/multi:1 | grep -q 'image.index.v1'"
registry_stop plain
ok "registry stopped by PID" sh -c "! kill -0 $REGISTRY_PID 2>/dev/null"
done_testing
