#!/bin/bash
# Crash leftovers (issue 15): extract, create and serve remove, at their start,
# the staging directories / temp files of their own kind that earlier runs
# killed with SIGKILL left behind, but only when the run is provably dead (its
# pid is gone AND nobody holds the lock on it) and the name matches exactly;
# -v logs one line per removal with its size. A new bundle never sits beside
# the old bundle's detached signature.
. "$(dirname "$0")/test-lib.sh"
plan 24
unset LADING_KEY_PASSWORD LADING_TRUST_DIR
cd "$TRASH" || exit 1
export LADING_CACHE=$TRASH/cache

dead_pid() { sh -c 'echo $$'; } # a pid that has just exited
sleep 300 >/dev/null 2>&1 &
live=$!
at_exit "kill_pid $live"
# hold_lock PATH: a process that holds flock(LOCK_EX) on PATH until killed; sets HOLDER.
hold_lock() {
	flock -x "$1" sleep 300 >/dev/null 2>&1 &
	HOLDER=$!
	at_exit "kill_pid $HOLDER"
	for _i in $(seq 50); do flock -n -x "$1" true 2>/dev/null || return 0; sleep 0.1; done
	return 1
}

"$LADING" key generate -o k --unencrypted >/dev/null
head -c 200000 /dev/urandom >big.bin
cat >lading.yaml <<-YAML
name: leftovers
files:
  - url: file://$TRASH/big.bin
    sha256: $(sha256sum big.bin | cut -d' ' -f1)
YAML
"$LADING" bundle create -q -f lading.yaml -o site.tar.zst --sign k.key >/dev/null ||
	{ echo "Bail out! bundle create --sign"; exit 1; }

# extract: four candidates next to the target.
d1=$(dead_pid); d2=$(dead_pid)
mkdir -p ".out.lading-staging.$d1/files" ".out.lading-staging.$live" ".out.lading-staging.$d2" \
	".out.lading-staging.${d1}x" ".other.lading-staging.$d1"
head -c 12345 /dev/zero >".out.lading-staging.$d1/files/part"
hold_lock ".out.lading-staging.$d2" || echo "# could not take the lock"
"$LADING" bundle extract -v --pubkey k.pub -C out site.tar.zst 2>extract.err
ok "extract succeeds with leftovers beside it" test -f out/files/big.bin
ok "the dead run's staging directory is removed" test ! -e ".out.lading-staging.$d1"
ok "-v names it with its size" grep -q "extract: removed leftover '.*/.out.lading-staging.$d1' of dead run $d1 (12345 bytes)" extract.err
ok "a live pid's staging directory is kept" test -d ".out.lading-staging.$live"
ok "a locked one with a dead pid is kept" test -d ".out.lading-staging.$d2"
ok "a name that does not match exactly is kept" test -d ".out.lading-staging.${d1}x"
ok "another target's staging is not extract-into-out's business" test -d ".other.lading-staging.$d1"
kill_pid "$HOLDER"
wait "$HOLDER" 2>/dev/null

# extract fsyncs every file and directory before the rename, and the parent after.
if strace -V >/dev/null 2>&1; then
	strace -f -qq -e trace=fsync,rename,renameat,renameat2 -o trace.txt \
		"$LADING" bundle extract -q --pubkey k.pub -C out2 site.tar.zst
	nfiles=$(find out2 -type f | wc -l); ndirs=$(find out2 -type d | wc -l)
	before=$(awk '/rename/ {exit} /fsync\(/ {n++} END {print n+0}' trace.txt)
	after=$(awk '/rename/ {seen=1; next} seen && /fsync\(/ {n++} END {print n+0}' trace.txt)
	ok "extract fsyncs every file and directory ($nfiles + $ndirs) before its rename (saw $before)" \
		test "$before" -ge $((nfiles + ndirs))
	ok "and the parent directory after it (saw $after)" test "$after" -ge 1
else
	skip_n 2 "no strace"
fi

# create: "<out>.tmp.<pid>" of a dead run goes, a live one stays.
d3=$(dead_pid)
head -c 5000 /dev/zero >"site.tar.zst.tmp.$d3"
head -c 10 /dev/zero >"site.tar.zst.tmp.$live"
head -c 10 /dev/zero >"site.tar.zst.tmp.0$d3"
"$LADING" bundle create -v -f lading.yaml -o site.tar.zst --sign k.key >/dev/null 2>create.err
ok "create succeeds" "$LADING" bundle verify --pubkey k.pub site.tar.zst
ok "the dead create's temp file is removed" test ! -e "site.tar.zst.tmp.$d3"
ok "-v names it with its size" grep -q "create: removed leftover '.*site.tar.zst.tmp.$d3' of dead run $d3 (5000 bytes)" create.err
ok "a live pid's temp file is kept" test -e "site.tar.zst.tmp.$live"
ok "a name that does not match exactly is kept" test -e "site.tar.zst.tmp.0$d3"

# The detached signature: a new (unsigned) bundle never sits beside the old bundle's .minisig.
ok "the signed bundle has its detached signature" test -s site.tar.zst.minisig
"$LADING" bundle create -q -f lading.yaml -o site.tar.zst >/dev/null 2>&1
ok "an unsigned bundle written over it leaves no stale .minisig" test ! -e site.tar.zst.minisig
"$LADING" bundle create -q -f lading.yaml -o site.tar.zst --sign k.key >/dev/null 2>&1
ok "signed again: the new pair verifies with minisign's file signature" \
	"$LADING" key verify --pubkey k.pub site.tar.zst
cp site.tar.zst.minisig old.minisig
echo "different" >extra.txt
cat >>lading.yaml <<-YAML
  - url: file://$TRASH/extra.txt
    sha256: $(sha256sum extra.txt | cut -d' ' -f1)
YAML
"$LADING" bundle create -q -f lading.yaml -o site2.tar.zst >/dev/null 2>&1
cp old.minisig site2.tar.zst.minisig
"$LADING" bundle create -q -f lading.yaml -o site2.tar.zst >/dev/null 2>&1
ok "a bundle rewritten unsigned drops a .minisig over other bytes" test ! -e site2.tar.zst.minisig

# serve: "<16 hex>-<pid>" copies and their staging directories of dead runs go at start.
cache=$TRASH/serve-cache
d4=$(dead_pid)
mkdir -p "$cache/0123456789abcdef-$d4/oci" "$cache/.0123456789abcdef-$d4.lading-staging.$d4" \
	"$cache/0123456789abcdef-$live" "$cache/0123456789abcdef-$d4.keep"
head -c 777 /dev/zero >"$cache/0123456789abcdef-$d4/oci/blob"
port=$(free_port)
"$LADING" serve -v site.tar.zst --verify-all --pubkey k.pub --plain-http --listen "127.0.0.1:$port" --cache-dir "$cache" \
	>serve.out 2>serve.err &
spid=$!
at_exit "kill_pid $spid"
wait_for_port "$port" 127.0.0.1 20
ok "serve removes a dead run's extraction" test ! -e "$cache/0123456789abcdef-$d4"
ok "and a dead run's extraction staging" test ! -e "$cache/.0123456789abcdef-$d4.lading-staging.$d4"
ok "-v names it with its size" grep -q "serve: removed leftover '.*0123456789abcdef-$d4' of dead run $d4 (777 bytes)" serve.err
ok "a live pid's copy and a non-matching name are kept" \
	test -d "$cache/0123456789abcdef-$live" -a -d "$cache/0123456789abcdef-$d4.keep"
# A second serve while the first runs must not touch the first's live extraction.
mine=$(ls "$cache" | grep -E "^[0-9a-f]{16}-$spid\$")
port2=$(free_port)
"$LADING" serve site.tar.zst --verify-all --pubkey k.pub --plain-http --listen "127.0.0.1:$port2" --cache-dir "$cache" \
	>serve2.out 2>serve2.err &
spid2=$!
at_exit "kill_pid $spid2"
wait_for_port "$port2" 127.0.0.1 20
ok "a second serve keeps the first one's live extraction" test -n "$mine" -a -d "$cache/$mine"
kill -KILL "$spid"
wait "$spid" 2>/dev/null
kill_pid "$spid2"
wait "$spid2" 2>/dev/null
"$LADING" serve site.tar.zst --verify-all --pubkey k.pub --plain-http --listen "127.0.0.1:$port" --cache-dir "$cache" \
	>serve3.out 2>serve3.err &
spid3=$!
at_exit "kill_pid $spid3"
wait_for_port "$port" 127.0.0.1 20
ok "after SIGKILL, the next serve removes the killed one's extraction" test ! -e "$cache/$mine"
kill_pid "$spid3"
