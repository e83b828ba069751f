#!/bin/bash
# `lading cache prune` (issue 15) removes every dead leftover it can find, of
# every kind, and prints a summary per kind; nothing alive, locked or not
# matching a pattern exactly is touched.
. "$(dirname "$0")/test-lib.sh"
plan 16
cd "$TRASH" || exit 1
export LADING_CACHE=$TRASH/cache TMPDIR=$TRASH/tmp
mkdir -p "$TMPDIR" "$LADING_CACHE/serve" "$LADING_CACHE/blobs/sha256"

dead_pid() { sh -c 'echo $$'; }
sleep 300 >/dev/null 2>&1 &
live=$!
at_exit "kill_pid $live"
d=$(dead_pid)
hex=$(printf x | sha256sum | cut -d' ' -f1)
hex2=$(printf y | sha256sum | cut -d' ' -f1)

mkdir -p "$LADING_CACHE/serve/0123456789abcdef-$d" "$LADING_CACHE/serve/.0123456789abcdef-$d.lading-staging.$d"
head -c 100 /dev/zero >"$LADING_CACHE/serve/0123456789abcdef-$d/blob"
mkdir -p "$LADING_CACHE/serve/0123456789abcdef-$live"
head -c 200 /dev/zero >"$LADING_CACHE/blobs/sha256/$hex.partial"
head -c 300 /dev/zero >"$LADING_CACHE/blobs/sha256/$hex2.partial"
flock -x "$LADING_CACHE/blobs/sha256/$hex2.partial" sleep 300 >/dev/null 2>&1 &
holder=$!
at_exit "kill_pid $holder"
mkdir -p "$TMPDIR/lading-push.$d.AbC123/blobs/sha256" "$TMPDIR/lading-push.$live.XyZ789" "$TMPDIR/lading-push.Qw12er"
head -c 400 /dev/zero >"$TMPDIR/lading-push.$d.AbC123/blobs/sha256/x"
mkdir -p site ".site.lading-staging.$d" ".other.lading-staging.$d" ".site.lading-staging.$live" notes
head -c 500 /dev/zero >".site.lading-staging.$d/f"
for _i in $(seq 50); do flock -n -x "$LADING_CACHE/blobs/sha256/$hex2.partial" true || break; sleep 0.1; done

"$LADING" cache prune --json -v -C site >prune.json 2>prune.err
ok "cache prune exits 0" test $? -eq 0
is "serve: 2 removed, 100 bytes" "$(jq -c "[.serve.count,.serve.bytes]" prune.json)" '[2,100]'
is "partial: the unlocked one, 200 bytes" "$(jq -c "[.partial.count,.partial.bytes]" prune.json)" '[1,200]'
is "push: 1 removed, 400 bytes" "$(jq -c "[.push.count,.push.bytes]" prune.json)" '[1,400]'
is "extract: 2 removed next to site, 500 bytes" "$(jq -c "[.extract.count,.extract.bytes]" prune.json)" '[2,500]'
is "totals" "$(jq -c '[.count,.bytes]' prune.json)" '[6,1200]'
is "-v logs one line per removal" "$(grep -c 'removed leftover' prune.err)" 6
ok "a live serve extraction is kept" test -d "$LADING_CACHE/serve/0123456789abcdef-$live"
ok "a locked partial download is kept" test -f "$LADING_CACHE/blobs/sha256/$hex2.partial"
ok "a live push staging directory is kept" test -d "$TMPDIR/lading-push.$live.XyZ789"
ok "an old-style push directory without a pid is kept" test -d "$TMPDIR/lading-push.Qw12er"
ok "a live extraction staging is kept" test -d ".site.lading-staging.$live"
ok "the target and its neighbours are kept" test -d site -a -d notes

"$LADING" cache prune >prune.txt 2>&1
ok "a second prune finds nothing" grep -q "^total *0 removed, 0 bytes" prune.txt
fails_one_line "an operand is a usage error" 2 "unexpected argument" "$LADING" cache prune extra
ok "--help exits 0" "$LADING" cache prune --help
