#!/bin/bash
# An upload cut short never lands under the final name (issue 15: "never a partial file under
# the final name"). The link to a test host is slowed with tc so that lading can be killed in
# the middle of a copy: the host's `cat` then sees end of input as if the file were whole, and
# only the size and sha256 checked on the host before the rename keep the half file out. A source
# that grows while it is sent is refused the same way, naming the sizes; a rerun puts the file
# in place whole, and no temporary file is left behind.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
command -v tc >/dev/null || skip_all "needs tc (iproute2)"
plan 9
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start 1 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
INV=$TRASH/inv.yml
hosts_inventory "$INV"
DEST=/var/lib/containerd/up/payload.bin
head -c $((4 * 1024 * 1024)) /dev/urandom >"$TRASH/payload.bin"
cat >"$TRASH/site.yaml" <<YAML
apply:
  - hosts: all
    roles: [up]
roles:
  up:
    - copy: {src: payload.bin, dest: $DEST}
YAML
LINK=$(host_name 1)
slow() { tc qdisc replace dev "$LINK" root tbf rate "$1" burst 32kb latency 2s; }
fast() { tc qdisc del dev "$LINK" root 2>/dev/null; }
at_exit fast
temps() { ls "$(host_path 1 /var/lib/containerd/up)" 2>/dev/null | grep -c 'lading-tmp'; }
temp_bytes() { cat "$(host_path 1 /var/lib/containerd/up)"/*.lading-tmp.* 2>/dev/null | wc -c; }
# Waits (at most ~30 s) until a temporary file on the host holds more than $1 bytes.
wait_temp() {
	for _ in $(seq 300); do
		[ "$(temp_bytes)" -gt "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# Waits (at most ~20 s) until the host removed its temporary files.
wait_no_temp() {
	for _ in $(seq 200); do
		[ "$(temps)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
apply() { "$LADING" provision -i "$INV" -s "$TRASH/site.yaml" --known-hosts "$KH" "$@"; }

# 4 MiB at 2 Mbit/s takes about 16 s: kill lading when a quarter has arrived.
slow 2mbit
"$LADING" provision -i "$INV" -s "$TRASH/site.yaml" --known-hosts "$KH" >"$TRASH/killed.out" 2>&1 &
pid=$!
at_exit "kill -9 $pid"
ok "the upload is under way (a temporary file grows on the host)" wait_temp $((1024 * 1024))
kill -9 "$pid"
wait "$pid" 2>/dev/null
ok "after lading is killed the host removes its temporary file" wait_no_temp
ok "and the half file never lands under the final name" test ! -e "$(host_path 1 "$DEST")"

# A source that grows while it is sent: the host gets more than was hashed. 32 MiB at 16 Mbit/s,
# grown once 1 MiB arrived, so lading has not read to its end yet.
head -c $((32 * 1024 * 1024)) /dev/urandom >"$TRASH/growing.bin"
sed -i "s|src: payload.bin|src: growing.bin|" "$TRASH/site.yaml"
wait_no_temp
slow 16mbit
"$LADING" provision -i "$INV" -s "$TRASH/site.yaml" --known-hosts "$KH" --json >"$TRASH/grow.json" 2>"$TRASH/grow.err" &
pid=$!
at_exit "kill -9 $pid"
wait_temp $((1024 * 1024))
head -c 1000 /dev/urandom >>"$TRASH/growing.bin"
fast
wait "$pid"
is "a source that changed during the copy fails the run" "$?" 1
ok "naming the bytes received and expected" grep -q "received $((32 * 1024 * 1024 + 1000)) of $((32 * 1024 * 1024)) bytes" "$TRASH/grow.json"
ok "and nothing lands under the final name, no temporary file left" \
	sh -c "test ! -e '$(host_path 1 "$DEST")' && test $(temps) = 0"

sed -i "s|src: growing.bin|src: payload.bin|" "$TRASH/site.yaml"
apply >"$TRASH/rerun.out" 2>&1
is "a rerun completes" "$?" 0
is "the file arrives whole" "$(sha256sum <"$(host_path 1 "$DEST")" | cut -d' ' -f1)" \
	"$(sha256sum <"$TRASH/payload.bin" | cut -d' ' -f1)"
is "with no temporary file left" "$(temps)" 0
