#!/bin/bash
# Kill tests (issue 15): `bundle create`, `bundle extract` and `serve BUNDLE`
# (while it extracts) are killed with SIGKILL at KILL_MOMENTS moments each,
# chosen by bytes written (a threshold drawn from a PRNG seeded with
# KILL_SEED, so the moments are the same on every run). The process is
# stopped between polls (SIGSTOP/SIGCONT every 10 ms), so the kill lands at
# most one slice past the threshold. After each kill: nothing corrupt under a
# final name (a bundle that exists verifies, with its detached signature if
# any; an extracted directory that exists is complete); the rerun completes;
# no leftover remains after the rerun. `make check` runs 6 moments per
# command; KILL_MOMENTS=20 runs the issue's full count.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
. "$TOP/tests/lib-kill.sh"
MOMENTS=${KILL_MOMENTS:-6}
SEED=${KILL_SEED:-15}
plan $((MOMENTS * 9 + 3))
unset LADING_KEY_PASSWORD LADING_TRUST_DIR
cd "$TRASH" || exit 1
export LADING_CACHE=$TRASH/cache

"$LADING" key generate -o k --unencrypted >/dev/null
{
	echo "name: kill"
	echo "files:"
	for i in 1 2 3 4; do
		head -c 2000000 /dev/urandom >"part$i.bin"
		echo "  - url: file://$TRASH/part$i.bin"
		echo "    sha256: $(sha256sum "part$i.bin" | cut -d' ' -f1)"
	done
} >lading.yaml
# The killed creates make a bundle of another name: a newer 'kill' would make ref.tar.zst a downgrade.
mkdir -p c && sed 's/^name: kill$/name: kill-create/' lading.yaml >c/lading.yaml
"$LADING" bundle create -q -f lading.yaml -o ref.tar.zst --sign k.key >/dev/null ||
	{ echo "Bail out! bundle create"; exit 1; }
"$LADING" bundle extract -q --pubkey k.pub -C ref ref.tar.zst || { echo "Bail out! bundle extract"; exit 1; }
ref_sums=$(cd ref && find . -type f -print0 | sort -z | xargs -0 sha256sum)
bundle_size=$(stat -c %s ref.tar.zst)
tree_size=$(du -sb --apparent-size ref | cut -f1)
RANDOM=$SEED
kill_setup
leftovers() { ls -A "$1" | grep -cE "$2" || true; }

killed_create=0 killed_extract=0 killed_serve=0
for m in $(seq "$MOMENTS"); do
	thr=$(threshold "$bundle_size")
	kill_at "$thr" "site.tar.zst.tmp.PID" "$LADING" bundle create -f c/lading.yaml -o site.tar.zst --sign k.key
	killed_create=$((killed_create + KILLED))
	ok "create killed at $thr bytes: any site.tar.zst verifies, with any .minisig" sh -c '
		{ ! test -e site.tar.zst || "$0" bundle verify -q --pubkey k.pub site.tar.zst; } &&
		{ ! test -e site.tar.zst.minisig || "$0" key verify -q --pubkey k.pub site.tar.zst; }' "$LADING"
	ok "create rerun ($m) completes and verifies" sh -c '"$0" bundle create -q -f c/lading.yaml -o site.tar.zst \
		--sign k.key >/dev/null && "$0" key verify -q --pubkey k.pub site.tar.zst' "$LADING"
	is "no create leftover after the rerun ($m)" "$(leftovers . '^site\.tar\.zst\.tmp\.')" 0

	thr=$(threshold "$tree_size")
	rm -rf out
	kill_at "$thr" ".out.lading-staging.PID" "$LADING" bundle extract --pubkey k.pub -C out ref.tar.zst
	killed_extract=$((killed_extract + KILLED))
	ok "extract killed at $thr bytes: out is absent or complete" sh -c \
		'! test -e out || [ "$(cd out && find . -type f -print0 | sort -z | xargs -0 sha256sum)" = "$0" ]' "$ref_sums"
	rm -rf out
	ok "extract rerun ($m) completes" sh -c '"$0" bundle extract -q --pubkey k.pub -C out ref.tar.zst 2>extract.err ||
		{ sed "s/^/# /" extract.err >&2; exit 1; }' "$LADING"
	is "no extract leftover after the rerun ($m)" "$(leftovers . 'lading-staging')" 0

	thr=$(threshold "$tree_size")
	# serve's staging name holds its hash: poll the cache as a whole.
	kill_at "$thr" "$TRASH/sc" "$LADING" serve ref.tar.zst --verify-all --pubkey k.pub --plain-http \
		--listen 127.0.0.1:0 --cache-dir "$TRASH/sc"
	killed_serve=$((killed_serve + KILLED))
	port=$(free_port)
	"$LADING" serve ref.tar.zst --verify-all --pubkey k.pub --plain-http --listen "127.0.0.1:$port" --cache-dir "$TRASH/sc" \
		>/dev/null 2>&1 &
	spid=$!
	ok "serve rerun ($m) after a kill at $thr bytes starts" wait_for_port "$port" 127.0.0.1 30
	is "serve rerun ($m): only its own extraction in the cache" "$(ls -A "$TRASH/sc" | grep -vc -- "-$spid\$" || true)" 0
	is "serve rerun ($m): it serves the bundle's bytes" \
		"$(curl -s "http://127.0.0.1:$port/files/part1.bin" | sha256sum | cut -d' ' -f1)" \
		"$(sha256sum part1.bin | cut -d' ' -f1)"
	kill_pid "$spid"
	wait "$spid" 2>/dev/null
done
echo "# killed: create $killed_create, extract $killed_extract, serve $killed_serve of $MOMENTS moments each (seed $SEED)"
ok "create was killed at least once before it finished" test "$killed_create" -ge 1
ok "extract was killed at least once before it finished" test "$killed_extract" -ge 1
ok "serve was killed at least once" test "$killed_serve" -ge 1
