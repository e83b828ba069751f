#!/bin/bash
# A pull killed in the middle of a layer leaves <hex>.partial (never a file under
# the final name); the next pull asks the registry only for the rest (Range).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 10

registry_start plain
REG=127.0.0.1:$REGISTRY_PORT
CONF=$TRASH/registries.yaml
registry_client_config "$CONF"
python3 "$TOP/scripts/mkimage.py" "$TRASH/layout" r:1 --layer 24m:resume-$$ >/dev/null
push_layout "$TRASH/layout" r:1 "$REG/test/r:1"
S=$TRASH/store

"$LADING" image pull --store "$S" --registry-config "$CONF" --jobs 1 --limit-rate 4m "$REG/test/r:1" \
	>/dev/null 2>&1 &
pid=$!
at_exit "kill_pid $pid"
partial=
for _ in $(seq 1 100); do
	partial=$(find "$S/blobs/sha256" -name '*.partial' -size +2M 2>/dev/null | head -n 1)
	[ -n "$partial" ] && break
	sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
ok "the killed pull left a partial layer" test -n "$partial" -a -f "$partial"
layer=$(basename "${partial:-none}" .partial)
kept=$(stat -c %s "$partial" 2>/dev/null || echo 0)
echo "# killed with $kept bytes of sha256:$layer"
ok "nothing under the final name" test ! -e "$S/blobs/sha256/$layer"

ok "the next pull completes" "$LADING" image pull --store "$S" --registry-config "$CONF" "$REG/test/r:1"
ok "the registry served a Range request for the rest (206)" \
	grep -Eq "\"GET /v2/test/r/blobs/sha256:$layer HTTP/1.1\" 206 [0-9]+ .*lading/" "$REGISTRY_LOG"
sent=$(grep -E "\"GET /v2/test/r/blobs/sha256:$layer HTTP/1.1\" 206 [0-9]+ .*lading/" "$REGISTRY_LOG" | tail -n 1 |
	sed -E 's/.*" 206 ([0-9]+) .*/\1/')
size=$(stat -c %s "$S/blobs/sha256/$layer" 2>/dev/null || echo 0)
echo "# resumed: $sent bytes sent of $size"
ok "only the missing bytes were sent" test "${sent:-0}" -gt 0 -a "$((${sent:-0} + kept))" -ge "$size" -a "${sent:-0}" -lt "$size"
ok "the resumed layer is sound" store_verify "$S"
is "no partial file is left" "$(find "$S/blobs/sha256" -name '*.partial' | wc -l)" "0"

# Two pulls into one store at once: the partial file's lock lets one write it.
S2=$TRASH/store2
"$LADING" image pull --store "$S2" --registry-config "$CONF" "$REG/test/r:1" >/dev/null 2>"$TRASH/p1.err" &
p1=$!
"$LADING" image pull --store "$S2" --registry-config "$CONF" "$REG/test/r:1" >/dev/null 2>"$TRASH/p2.err" &
p2=$!
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
is "two concurrent pulls into one store both succeed" "$rc1 $rc2" "0 0"
ok "the shared store is sound" store_verify "$S2"
is "no partial file is left by either" "$(find "$S2/blobs/sha256" -name '*.partial' | wc -l)" "0"
done_testing
