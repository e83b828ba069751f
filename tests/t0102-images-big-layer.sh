#!/bin/bash
# A 64 MiB random layer streams through a flat amount of memory: the peak RSS
# of the pull (GNU time's %M) stays below the layer size.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 4

registry_start plain
REG=127.0.0.1:$REGISTRY_PORT
CONF=$TRASH/registries.yaml
registry_client_config "$CONF"
python3 "$TOP/scripts/mkimage.py" "$TRASH/layout" big:1 --layer 64m:big-$$ >/dev/null
push_layout "$TRASH/layout" big:1 "$REG/test/big:1"

ok "a 64 MiB layer pulls" /usr/bin/time -f %M -o "$TRASH/rss" \
	"$LADING" image pull --store "$TRASH/store" --registry-config "$CONF" "$REG/test/big:1"
rss=$(tail -n 1 "$TRASH/rss")
echo "# peak RSS of the pull: $rss KiB"
ok "peak RSS stays under 64 MiB" test "$rss" -lt 65536
ok "every stored blob matches its name" store_verify "$TRASH/store"
big=$(find "$TRASH/store/blobs/sha256" -size +60M | wc -l)
is "the big layer is stored" "$big" "1"
done_testing
