#!/bin/bash
# lading provision ping on 9 real sshd hosts: host keys checked strictly
# (unknown refused with its fingerprint, accept-new records hashed entries and
# never a changed key, [host]:port entries), a changed key and an unreachable
# host fail only themselves (listed last, exit 1), a host behind a jump host.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
plan 22
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start 9 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
host_rekey 7          # known_hosts holds h7's old key
host_sshd_stop 8      # h8 unreachable
host_hide 9           # h9 only through h1

inventory() { # inventory FILE [extra yaml lines for all.hosts]
	{
		echo "all:"
		echo "  vars: {ansible_user: root, ansible_ssh_private_key_file: $HOSTS_KEY}"
		echo "  hosts:"
		for i in 1 2 3 4 5 6 7 8; do echo "    h$i: {ansible_host: $(host_ip $i)}"; done
		echo "    h9: {ansible_host: $(host_ip 9), lading_jump: 'root@$(host_ip 1):22'}"
		shift
		for line in "$@"; do echo "    $line"; done
	} >"$1"
}
INV=$TRASH/inv.yml
inventory "$INV"
ping() { "$LADING" provision ping -i "$INV" --connect-timeout 5 "$@"; }

res=$(ping --known-hosts "$KH" 2>"$TRASH/err"); rc=$?
is "one changed and one unreachable host: exit 1" "$rc" 1
is "the seven good hosts (h9 through the jump host) are ok" \
	"$(printf '%s\n' "$res" | grep -c ': ok: root@')" 7
ok "h9 went through h1" grep -q "^h9: ok: root@$(host_ip 9):22 via root@$(host_ip 1):22" <<<"$res"
is "failed hosts are listed last" "$(printf '%s\n' "$res" | tail -n 2 | cut -d: -f1 | tr '\n' ' ')" "h7 h8 "
ok "the changed key is a loud failure naming the host" \
	grep -q "^h7: failed: HOST KEY CHANGED for $(host_ip 7): now ssh-ed25519 SHA256:" <<<"$res"
ok "the unreachable host says so" grep -Eq "^h8: unreachable: cannot connect to $(host_ip 8) port 22: Connection refused" <<<"$res"
one_line_file "stderr names the failed hosts in one line" "^lading: 2 of 9 hosts failed: h7 h8$" "$TRASH/err"

ok "--limit the good hosts: exit 0" ping --known-hosts "$KH" --limit 'all:!h7:!h8'

# Strict: an unknown host is refused with its fingerprint.
: >"$TRASH/empty"
fp2=$(ssh-keygen -lf "$HOSTS_DIR/h2/ssh_host_ed25519_key.pub" | awk '{print $2}')
res=$(ping --known-hosts "$TRASH/empty" --limit h2 2>/dev/null)
ok "strict refuses an unknown host, naming it and its SHA256 fingerprint" \
	grep -qF "h2: failed: unknown host key for $(host_ip 2): ssh-ed25519 $fp2;" <<<"$res"
is "strict mode wrote nothing" "$(wc -c <"$TRASH/empty")" 0

# accept-new records hashed entries; a second strict run reads them back.
NEW=$TRASH/new_known_hosts
ping --known-hosts "$NEW" --host-key-policy accept-new --limit 'all:!h7:!h8:!h9' >/dev/null
is "accept-new recorded six hashed entries" "$(grep -c '^|1|' "$NEW")" 6
ok "openssh finds the recorded key of h3 (same hashing)" \
	sh -c "ssh-keygen -F '$(host_ip 3)' -f '$NEW' | grep -q ssh-ed25519"
ok "strict run accepts hosts recorded by accept-new" ping --known-hosts "$NEW" --limit 'all:!h7:!h8:!h9'
cp "$KH" "$TRASH/kh-before"
res=$(ping --known-hosts "$KH" --host-key-policy accept-new --limit h7 2>/dev/null)
ok "accept-new still refuses a changed key" grep -q "^h7: failed: HOST KEY CHANGED" <<<"$res"
ok "and does not record it" cmp -s "$KH" "$TRASH/kh-before"

# Hashed known_hosts made by ssh-keygen -H, and [host]:port entries.
cp "$KH" "$TRASH/hashed"
ssh-keygen -H -f "$TRASH/hashed" >/dev/null 2>&1
ok "hashed known_hosts (ssh-keygen -H) is read" \
	sh -c "! grep -q '^198' '$TRASH/hashed' && '$LADING' provision ping -i '$INV' --known-hosts '$TRASH/hashed' --limit 'h1:h2:h9'"
inventory "$INV.port" "p4: {ansible_host: $(host_ip 4), ansible_port: 2222}"
grep -F "[$(host_ip 4)]:2222" "$KH" >"$TRASH/port-only"
ok "port 2222 is checked against its [host]:2222 entry" \
	"$LADING" provision ping -i "$INV.port" --known-hosts "$TRASH/port-only" --limit p4
grep -v -F "[$(host_ip 4)]:2222" "$KH" >"$TRASH/no-port"
res=$("$LADING" provision ping -i "$INV.port" --known-hosts "$TRASH/no-port" --limit p4 2>/dev/null)
ok "a port-22 entry does not vouch for port 2222" grep -qF "unknown host key for [$(host_ip 4)]:2222" <<<"$res"

# The bastion's own host key is checked too.
grep -v -F "$(host_ip 1) " "$KH" >"$TRASH/no-bastion"
res=$(ping --known-hosts "$TRASH/no-bastion" --limit h9 2>/dev/null)
ok "an unknown bastion key fails the host behind it" \
	grep -qF "h9: failed: jump host $(host_ip 1): unknown host key for $(host_ip 1):" <<<"$res"
inventory "$INV.direct" "h9direct: {ansible_host: $(host_ip 9)}"
res=$("$LADING" provision ping -i "$INV.direct" --known-hosts "$KH" --limit h9direct 2>/dev/null)
ok "h9 is not reachable without the jump host" grep -q "^h9direct: unreachable: " <<<"$res"

res=$("$LADING" provision ping -i "$INV" --known-hosts "$KH" --limit h1 --json 2>/dev/null)
ok "--json: one object per host and a summary" \
	sh -c "printf '%s\n' '$res' | jq -e -s '.[0].host == \"h1\" and .[0].status == \"ok\" and .[1].summary.ok == 1' >/dev/null"
fails_with "no inventory is a usage error" 2 "inventory is required" "$LADING" provision ping
done_testing
