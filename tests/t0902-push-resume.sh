#!/bin/bash
# The target registry is killed (by PID) in the middle of a bundle push; once
# it is back on the same storage, re-running the push completes and sends only
# what was missing: the blobs that had arrived are found by HEAD and skipped
# (the registry's log says which had arrived).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 9

L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" docker.io/library/small:1 --layer 100k:small-$$ >/dev/null
python3 "$TOP/scripts/mkimage.py" "$L" docker.io/library/big:1 --layer 12m:big-$$ >/dev/null
big_layer=$(find "$L/blobs/sha256" -size +4M -printf '%f\n')
B=$TRASH/site.tar.zst
python3 "$TOP/scripts/mkbundle.py" "$B" --oci "$L"
# "digest size" of every config and layer (what is uploaded as a blob).
for m in $(jq -r '.manifests[].digest' "$L/index.json"); do
	jq -r '(.config, .layers[]) | .digest + " " + (.size | tostring)' "$L/blobs/sha256/${m#sha256:}"
done | sort -u >"$TRASH/blobs"

registry_start dst
DST=127.0.0.1:$REGISTRY_PORT
LOG=$REGISTRY_LOG
"$LADING" bundle push --insecure-skip-signature "$B" --registry "$DST" --plain-http --jobs 2 --chunk-size 1m --limit-rate 2m \
	>/dev/null 2>"$TRASH/push1.err" &
push_pid=$!
at_exit "kill_pid $push_pid"
for _ in $(seq 1 300); do
	grep -q "\"PATCH /v2/library/big/blobs/uploads/[^ ]* HTTP/1.1\" 202" "$LOG" && break
	sleep 0.1
done
ok "the push was in the middle of the big layer" grep -q '"PATCH /v2/library/big/blobs/uploads/' "$LOG"
{ kill -9 "$REGISTRY_PID"; wait "$REGISTRY_PID"; } 2>/dev/null
wait "$push_pid"
rc=$?
sed "s/^/# first push: /" "$TRASH/push1.err"
is "the push failed when the registry died (exit 1)" "$rc" "1"
one_line_file "its error is one line naming the registry" "$DST" "$TRASH/push1.err"
grep -o '"PUT /v2/[^ ]*/blobs/uploads/[^ ]*digest=sha256:[0-9a-f]* HTTP/1.1" 201' "$LOG" |
	grep -o 'sha256:[0-9a-f]*' | sort -u >"$TRASH/arrived"
missing_bytes=$(grep -v -F -f "$TRASH/arrived" "$TRASH/blobs" | awk '{ n += $2 } END { print n + 0 }')
missing_count=$(grep -v -F -f "$TRASH/arrived" "$TRASH/blobs" | wc -l)
ok "the big layer had not arrived" sh -c "! grep -q '$big_layer' '$TRASH/arrived'"

registry_restart dst
"$LADING" bundle push --insecure-skip-signature "$B" --registry "$DST" --plain-http --json >"$TRASH/rerun.json" 2>"$TRASH/rerun.err"
is "the re-run completes" "$?" "0"
is "the re-run sends exactly the blobs that had not arrived" "$(jq -c '[.blobs_sent, .bytes_sent]' "$TRASH/rerun.json")" \
	"[$missing_count,$missing_bytes]"
is "no blob was uploaded twice" \
	"$(grep -o '"PUT /v2/[^ ]*/blobs/uploads/[^ ]*digest=sha256:[0-9a-f]* HTTP/1.1" 201' "$LOG" | grep -o 'sha256:[0-9a-f]*' | sort | uniq -d | wc -l)" "0"
for name in small big; do
	want=$(jq -r --arg r "docker.io/library/$name:1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r) | .digest' "$L/index.json")
	is "$name keeps its digest" \
		"sha256:$(skopeo inspect --raw --tls-verify=false "docker://$DST/library/$name:1" | sha256sum | cut -c1-64)" "$want"
done
done_testing
