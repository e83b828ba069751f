#!/bin/bash
# End to end: lading vsphere create clones three VMs whose fixed IPs are the
# addresses of three netns SSH test hosts (the clones "are" those hosts), and
# lading provision then works on the generated inventory over real SSH.
. "$(dirname "$0")/test-lib.sh"
[ -f "$TOP/scripts/lib-hosts.sh" ] ||
	skip_all "scripts/lib-hosts.sh (netns SSH test hosts) is not in this tree yet"
"$LADING" provision shell --help >/dev/null 2>&1 || skip_all "lading provision is not in this build yet"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
. "$TOP/scripts/lib-hosts.sh"
. "$TOP/scripts/lib-vcsim.sh"
plan 7
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
ok "vsphere destroy removes the clones" "$LADING" vsphere destroy -s "$TRASH/site.yaml"
done_testing
