#!/bin/bash
# Kill test for `bundle create` from a registry (issue 17, "create resumes"):
# killed with SIGKILL at KILL_MOMENTS moments chosen by bytes written (cache
# and output together, so kills land while blobs download and while the
# bundle is written), each rerun with --locked completes and:
#  - downloads no blob the killed run had completely in the cache (the
#    registry's access log shows no GET for them);
#  - leaves no partial file under the final name, and no leftover;
#  - writes a file byte-identical to an uninterrupted run from the same lock.
# `make check` runs 6 moments; KILL_MOMENTS=20 runs the issue's full count.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
. "$TOP/tests/lib-bundle.sh"
. "$TOP/tests/lib-kill.sh"
MOMENTS=${KILL_MOMENTS:-6}
SEED=${KILL_SEED:-17}
plan $((MOMENTS * 5 + 2))
export SOURCE_DATE_EPOCH=1795338000
cd "$TRASH" || exit 1

bundle_fixture 12m || { echo "Bail out! registry fixture"; exit 1; }
export LADING_CACHE=$TRASH/refcache
ok "uninterrupted create (writes lading.lock)" "$LADING" bundle create -q -f "$SPEC" -o ref.tar.zst
ok "uninterrupted create --locked gives the same bytes" \
	sh -c '"$1" bundle create -q --locked -f "$2" -o again.tar.zst && cmp -s ref.tar.zst again.tar.zst' sh \
	"$LADING" "$SPEC"
total=$(($(size_of "$TRASH/refcache") + $(stat -c %s ref.tar.zst)))
RANDOM=$SEED
kill_setup

# cached_blobs DIR: the digests whose whole blob is in the cache DIR (name = sha256 of content)
cached_blobs() {
	find "$1" -type f -path '*/blobs/sha256/*' 2>/dev/null | while read -r f; do
		n=$(basename "$f")
		case $n in *[!0-9a-f]*) continue ;; esac
		[ "${#n}" -eq 64 ] && [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$n" ] && echo "$n"
	done | sort -u
}

killed=0
for m in $(seq "$MOMENTS"); do
	run=$TRASH/run$m
	mkdir -p "$run"
	export LADING_CACHE=$run/cache
	thr=$(threshold "$total")
	kill_at "$thr" "$run" "$LADING" bundle create --locked -f "$SPEC" -o "$run/site.tar.zst"
	killed=$((killed + KILLED))
	ok "killed at $thr bytes ($m): any site.tar.zst is complete" \
		sh -c '[ ! -e "$1" ] || cmp -s "$1" ref.tar.zst' sh "$run/site.tar.zst"
	cached_blobs "$LADING_CACHE" >"$TRASH/had"
	lines=$(wc -l <"$SRC_LOG")
	ok "rerun ($m) completes" "$LADING" bundle create -q --locked -f "$SPEC" -o "$run/site.tar.zst"
	tail -n +"$((lines + 1))" "$SRC_LOG" | grep -o '"GET /v2/[^"]*/blobs/sha256:[0-9a-f]*' |
		sed 's/.*sha256://' | sort -u >"$TRASH/got"
	is "rerun ($m) fetched none of the $(wc -l <"$TRASH/had") blobs already in the cache" \
		"$(comm -12 "$TRASH/had" "$TRASH/got" | wc -l)" 0
	ok "rerun ($m) is byte-identical to the uninterrupted run" cmp -s "$run/site.tar.zst" ref.tar.zst
	left=$(ls -A "$run" | grep -v '^cache$\|^site\.tar\.zst$' | tr '\n' ' ')
	is "no leftover in the output directory ($m)${left:+: $left}" "$left" ""
	rm -rf "$run"
done
echo "# killed before finishing: $killed of $MOMENTS moments (seed $SEED)"
done_testing
