#!/bin/bash
# A fleet with faults (issue 15): 64 test hosts, one site run that copies a file and runs a
# command everywhere, while four hosts fail in four ways: sshd down, a changed host key, a full
# disk where the file goes, and a command that hangs past --timeout. The other 60 finish; the
# recap names each failure with its cause; lading stops waiting for the hung command at
# --timeout, so the run ends in about that time, not the slowest host's (the command itself keeps
# running on its host: libssh2 1.10 cannot send a signal request). The wall time is printed, not
# asserted. 256 KiB copies, a 30 s timeout and a 30 s connect timeout (64 handshakes at once
# take over 5 s under ASan on a loaded 2-core machine) leave room for it.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
plan 9
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"
N=${FLEET_HOSTS:-64}

hosts_start "$N" || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
INV=$TRASH/inv.yml
hosts_inventory "$INV"
head -c $((256 * 1024)) /dev/urandom >"$TRASH/payload.bin"
want=$(sha256sum <"$TRASH/payload.bin" | cut -d' ' -f1)
cat >"$TRASH/site.yaml" <<YAML
apply:
  - hosts: all
    roles: [fleet]
roles:
  fleet:
    - copy: {src: payload.bin, dest: /var/lib/containerd/fleet/payload.bin}
    - shell: {cmd: "if [ \$(hostname) = $(host_name 6) ]; then echo \$\$ > /run/hang.pid; exec sleep 600; fi; echo done > /etc/containerd/fleet"}
YAML

host_sshd_stop 3                                   # down: connection refused
host_rekey 4                                       # a changed host key
host_exec 5 "mkdir -p /var/lib/containerd/fleet && mount -t tmpfs -o size=64k tmpfs /var/lib/containerd/fleet" # full disk
start=$(date +%s)
"$LADING" provision -i "$INV" -s "$TRASH/site.yaml" --known-hosts "$KH" --forks "$N" --connect-timeout 30 \
	--timeout 30 --json -v >"$TRASH/run.json" 2>"$TRASH/run.err"
st=$?
took=$(($(date +%s) - start))
echo "# $N hosts, 4 faults, --timeout 30: the run took $took s"
is "the run exits 1 (some hosts failed)" "$st" 1
ok "the recap has every host" sh -c "jq -e -s '[.[] | select(.recap) | .recap | keys | length] == [$N]' '$TRASH/run.json' >/dev/null"
is "$((N - 4)) hosts finished with both steps changed" \
	"$(jq -s '[.[] | select(.recap) | .recap[] | select(.changed == 2 and .failed == 0 and .unreachable == 0)] | length' "$TRASH/run.json")" \
	"$((N - 4))"
ok "and every one of them has the file, whole" sh -c "for i in \$(seq 7 $N) 1 2; do [ \"\$(sha256sum <'$HOSTS_DIR'/h\$i/root/var/lib/containerd/fleet/payload.bin 2>/dev/null | cut -d' ' -f1)\" = $want ] || exit 1; done"
ev() { jq -r "select(.host == \"h$1\" and (.status == \"failed\" or .status == \"unreachable\")) | .status + \": \" + (.msg // \"\")" "$TRASH/run.json" | head -1; }
ok "h3 (sshd down) is unreachable, refused" sh -c "echo '$(ev 3)' | grep -Eq '^unreachable: .*(refused|Connection refused)'"
ok "h4 (changed key) is refused at connect, naming the key" sh -c "echo '$(ev 4)' | grep -Eiq 'host key'"
ok "h5 (full disk) fails its copy naming the system error" sh -c "echo '$(ev 5)' | grep -Eiq 'no space left on device'"
ok "h6 (hung command) fails with the timeout" sh -c "echo '$(ev 6)' | grep -q 'timed out after 30 s'"
# 62 hosts reach the copy (h3 and h4 fail at connect): the source is hashed once, not per host.
ok "the copied file was hashed once for all hosts" grep -q "sources hashed: 1, reused for other hosts: $((N - 3))" "$TRASH/run.err"
done_testing
