#!/bin/bash
# Kill test for `bundle push` (issue 15): a push killed with SIGKILL while it
# stages blobs in TMPDIR/lading-push.<pid>.* leaves that directory; the rerun
# completes, removes it (logged at -v with its size), and leaves none of its own.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
MOMENTS=${KILL_MOMENTS:-3}
[ "$MOMENTS" -gt 20 ] && MOMENTS=20
SEED=${KILL_SEED:-15}
plan $((MOMENTS * 4))

L=$TRASH/layout
python3 "$TOP/scripts/mkimage.py" "$L" docker.io/library/big:1 --layer 6m:big-$$ >/dev/null
B=$TRASH/site.tar.zst
python3 "$TOP/scripts/mkbundle.py" "$B" --oci "$L"
export TMPDIR=$TRASH/tmp
mkdir -p "$TMPDIR"
registry_start dst
DST=127.0.0.1:$REGISTRY_PORT
RANDOM=$SEED
for m in $(seq "$MOMENTS"); do
	thr=$(((RANDOM * 32768 + RANDOM) % 6000000))
	# Each moment pushes to a new repository, so the blobs are staged again.
	"$LADING" bundle push --insecure-skip-signature "$B" --registry "$DST" --plain-http --prefix "m$m" \
		--limit-rate 4m >/dev/null 2>&1 &
	pid=$!
	killed=0
	for _ in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || break
		size=$(du -sb --apparent-size "$TMPDIR"/lading-push."$pid".* 2>/dev/null | awk '{n += $1} END {print n + 0}')
		if [ "$size" -ge "$thr" ] && [ "$size" -gt 0 ]; then
			kill -KILL "$pid"
			killed=1
			break
		fi
		sleep 0.02
	done
	wait "$pid" 2>/dev/null
	ok "push ($m) killed once $thr bytes were staged" test "$killed" -eq 1
	"$LADING" bundle push -v --insecure-skip-signature "$B" --registry "$DST" --plain-http --prefix "m$m" \
		>/dev/null 2>"$TRASH/rerun$m.err"
	is "push rerun ($m) completes" "$?" 0
	ok "it removes the killed push's staging directory, logged with its size" \
		grep -q "push: removed leftover '.*/lading-push\.$pid\.[^']*' of dead run $pid ([0-9]* bytes)" "$TRASH/rerun$m.err"
	is "no push staging directory is left ($m)" "$(ls -A "$TMPDIR" | wc -l)" 0
done
