#!/bin/bash
# The target registry is killed in the middle of a push; after it comes back
# on the same storage, the re-run completes and sends only the blobs it lacks.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 8

registry_start src
SRC=127.0.0.1:$REGISTRY_PORT
registry_client_config "$TRASH/src.yaml"
L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" small:1 --layer 100k:small-$$ >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" big:1 --layer 12m:big-$$ >/dev/null
push_layout "$L" small:1 "$SRC/src/small:1"
push_layout "$L" big:1 "$SRC/src/big:1"
S=$TRASH/store
"$LADING" image pull --json -s "$S" -r "$TRASH/src.yaml" "$SRC/src/small:1" "$SRC/src/big:1" >"$TRASH/pulled"
DS=$(jq -r 'select(.ref | endswith("small:1")) | .digest' "$TRASH/pulled")
DB=$(jq -r 'select(.ref | endswith("big:1")) | .digest' "$TRASH/pulled")
small_layer=$(jq -r '.layers[0].digest' "$S/blobs/sha256/${DS#sha256:}")

registry_start dst
DST=127.0.0.1:$REGISTRY_PORT
DLOG=$REGISTRY_LOG
registry_client_config "$TRASH/dst.yaml"
"$LADING" image push -s "$S" -r "$TRASH/dst.yaml" --jobs 2 --chunk-size 2m --limit-rate 2m \
	"$DST/copy/small:1@$DS" "$DST/copy/big:1@$DB" >/dev/null 2>"$TRASH/push1.err" &
push_pid=$!
at_exit "kill_pid $push_pid"
for _ in $(seq 1 100); do
	grep -q '"PATCH /v2/copy/big/blobs/uploads/[^ ]* HTTP/1.1" 202' "$DLOG" &&
		grep -q "\"PUT /v2/copy/small/blobs/uploads/[^ ]*digest=$small_layer HTTP/1.1\" 201" "$DLOG" && break
	sleep 0.1
done
ok "the push was in the middle of the big layer" grep -q '"PATCH /v2/copy/big/blobs/uploads/' "$DLOG"
{ kill -9 "$REGISTRY_PID"; wait "$REGISTRY_PID"; } 2>/dev/null
wait "$push_pid"
is "the push failed when the registry died (exit 1)" "$?" "1"
one_line_file "its error is one line naming the registry" "$DST" "$TRASH/push1.err"

registry_restart dst
rerun=$("$LADING" image push --json -s "$S" -r "$TRASH/dst.yaml" "$DST/copy/small:1@$DS" "$DST/copy/big:1@$DB")
echo "# re-run: $rerun"
ok "the re-run completes" test -n "$rerun"
is "blobs that had arrived are not sent again" "$(printf '%s' "$rerun" | jq '.blobs_present >= 2')" "true"
is "the small layer was uploaded once in all" \
	"$(grep -c "\"PUT /v2/copy/small/blobs/uploads/[^ ]*digest=$small_layer HTTP/1.1\" 201" "$DLOG")" "1"
is "small keeps its digest" \
	"sha256:$(skopeo inspect --raw --tls-verify=false "docker://$DST/copy/small:1" | sha256sum | cut -c1-64)" "$DS"
is "big keeps its digest" \
	"sha256:$(skopeo inspect --raw --tls-verify=false "docker://$DST/copy/big:1" | sha256sum | cut -c1-64)" "$DB"
done_testing
