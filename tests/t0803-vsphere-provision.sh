#!/bin/bash
# End to end: lading vsphere create clones three VMs whose fixed IPs are the
# addresses of three netns SSH test hosts (the clones "are" those hosts), and
# lading provision then works on the generated inventory over real SSH: ping,
# shell and copy, and `lading provision -i <inventory> -s site.yaml` applies a
# role from the same site file that holds the vsphere section (each parser
# reads its own keys and accepts the other's), a second apply changes nothing.
. "$(dirname "$0")/test-lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
. "$TOP/scripts/lib-hosts.sh"
. "$TOP/scripts/lib-vcsim.sh"
plan 14
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start 3 || exit 1
vcsim_start || { echo "Bail out! vcsim did not start"; exit 1; }
export LADING_VSPHERE_PASSWORD=$VCSIM_PASSWORD
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
# host_ip I is $HOSTS_NET.(10+I): the clones get exactly those addresses.
vcsim_site "$TRASH/site.yaml" 'vm-[1:3]' "$HOSTS_NET.[11:13]/24"
printf '      vars: {ansible_user: root, ansible_ssh_private_key_file: "%s"}\n' "$HOSTS_KEY" >>"$TRASH/site.yaml"
# The runner's part of the same file: vsphere create must accept it as well.
# Paths under /etc/containerd: the hosts have private copies of it.
cat >>"$TRASH/site.yaml" <<'SITE'
apply:
  - hosts: vsphere_workers
    roles: [vm-role]
roles:
  vm-role:
    - template:
        content: "{{ inventory_hostname }}\n"
        dest: /etc/containerd/lading-role
        mode: "0644"
    - shell:
        cmd: "hostname > /etc/containerd/lading-hostname"
        creates: /etc/containerd/lading-hostname
SITE

ok "vsphere create clones three VMs onto the test hosts' addresses" \
	"$LADING" vsphere create --timeout 20 -s "$TRASH/site.yaml" -o "$TRASH/inventory.yml"
is "the inventory points at the hosts" "$(grep -c "ansible_host: \"$HOSTS_NET.1[123]\"" "$TRASH/inventory.yml")" 3
prov() { "$LADING" provision "$@" -i "$TRASH/inventory.yml" --known-hosts "$KH"; }
prov ping >"$TRASH/ping.out" 2>&1
is "provision ping reaches all three over SSH" "$?" 0
prov shell hostname >"$TRASH/shell.out" 2>&1
# Each host's result line is followed by the command's output.
got=""
for i in 1 2 3; do got="$got vm-$i=$(grep -A1 "^vm-$i: ok" "$TRASH/shell.out" | sed -n 2p)"; done
is "each VM name lands on its own host" "$got" " vm-1=$(host_name 1) vm-2=$(host_name 2) vm-3=$(host_name 3)"
echo "mirror = 198.18.0.1:5000" >"$TRASH/mirror.conf"
ok "provision copy puts a file on the group" \
	"$LADING" provision copy -i "$TRASH/inventory.yml" --known-hosts "$KH" --limit vsphere_workers \
	"$TRASH/mirror.conf" /etc/containerd/lading-mirror.conf
is "the file arrived on host 2" "$(cat "$(host_path 2 /etc/containerd/lading-mirror.conf)" 2>&1)" "mirror = 198.18.0.1:5000"

apply() {
	"$LADING" provision -i "$TRASH/inventory.yml" -s "$TRASH/site.yaml" --known-hosts "$KH" \
		--log-dir "$TRASH/runs" --json
}
recap() { jq -c "select(.recap) | .recap | [to_entries[] | \"\(.key)=\(.value.ok)/\(.value.changed)/\(.value.failed)\"] | sort"; }
apply >"$TRASH/apply1.json" 2>"$TRASH/apply1.err"
is "provision -s site.yaml applies the role on the generated inventory" "$?" 0
is "first apply: both steps changed on each VM" "$(recap <"$TRASH/apply1.json")" \
	'["vm-1=0/2/0","vm-2=0/2/0","vm-3=0/2/0"]'
got="" want=""
for i in 1 2 3; do
	got="$got $(cat "$(host_path "$i" /etc/containerd/lading-role)" 2>&1)"
	want="$want vm-$i"
done
is "the template wrote each VM's inventory name on its own host" "$got" "$want"
got="" want=""
for i in 1 2 3; do
	got="$got $(cat "$(host_path "$i" /etc/containerd/lading-hostname)" 2>&1)"
	want="$want $(host_name "$i")"
done
is "the shell step ran on each host" "$got" "$want"
apply >"$TRASH/apply2.json" 2>"$TRASH/apply2.err"
is "second apply succeeds" "$?" 0
is "second apply: everything ok, nothing changed" "$(recap <"$TRASH/apply2.json")" \
	'["vm-1=2/0/0","vm-2=2/0/0","vm-3=2/0/0"]'
is "second apply: total changed is 0" "$(jq -s '[.[] | select(.recap) | .recap[] | .changed] | add' "$TRASH/apply2.json")" 0
ok "vsphere destroy removes the clones" "$LADING" vsphere destroy -s "$TRASH/site.yaml"
done_testing
