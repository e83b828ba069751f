#!/bin/bash
# End to end over IPMI, which has no virtual media: a blank QEMU machine behind
# OpenIPMI's ipmi_sim boots from the network. The site's DHCP (busybox udhcpd on
# the test bridge) hands the machine's iPXE ROM the URL of lading's boot.ipxe;
# `lading baremetal up` serves it, the script of the node's MAC, and the node's
# kernel and initrd from its media server, powers the chassis off, sets the
# one-time PXE boot, powers it on and waits for SSH with the host key it put
# into the initrd. A second up changes nothing.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-qemu.sh"
. "$TOP/scripts/lib-ipmi.sh"

live_require ipmi_sim ipmitool jq
"$LADING" --version | grep -q '^libfreeipmi [0-9]' || skip_all "lading was built without IPMI (make IPMI=0)"
[ -f /usr/lib/ipxe/qemu/efi-e1000.rom ] || skip_all "QEMU's iPXE ROM is missing (ipxe-qemu)"
plan 11
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

live=$TRASH/live
mkdir -p "$live"
ok "live-rootfs builds a base without containerd" \
	nice "$TOP/scripts/live-rootfs" --kernel-tree "$KTREE" --level 3 -o "$live/base.img" --kernel-out "$live/vmlinuz"

qemu_net_start || { echo "Bail out! no test bridge"; exit 1; }
MAC=52:54:00:81:40:01
ADDR=$QNET_NET.31
MPORT=$(free_port)
QEMU_MEM=512 qemu_start p1 "$MAC" || { echo "Bail out! qemu p1 did not start"; exit 1; }
PASS=ipmi-$$
ipmi_bmc_start i admin "$PASS" "$QEMU_QMP_p1" || { echo "Bail out! ipmi_sim did not start"; exit 1; }
printf '%s\n' "$PASS" >"$TRASH/bmc.pass"
ssh-keygen -q -t ed25519 -N '' -C t0814 -f "$TRASH/id_ed25519"

# The site's DHCP: a static lease for the node and, for its iPXE, lading's boot.ipxe.
printf '%s\n' "start $ADDR" "end $ADDR" "interface $QNET_BRIDGE" "lease_file $TRASH/udhcpd.leases" \
	"pidfile $TRASH/udhcpd.pid" "option subnet 255.255.255.0" "siaddr $QNET_IP" \
	"boot_file http://$QNET_IP:$MPORT/boot.ipxe" "static_lease $MAC $ADDR" >"$TRASH/udhcpd.conf"
: >"$TRASH/udhcpd.leases"
busybox udhcpd -f "$TRASH/udhcpd.conf" >"$TRASH/udhcpd.log" 2>&1 &
at_exit "kill_pid $!"

cat >"$TRASH/site.yaml" <<YAML
baremetal:
  protocol: ipmi
  user: admin
  password_file: bmc.pass
  kernel: live/vmlinuz
  initrd: live/base.img
  authorized_key: id_ed25519.pub
  nodes:
    - {name: p1, bmc: "$IPMI_HOST_i", address: $ADDR, mac: "$MAC",
       vars: {ansible_user: root, ansible_ssh_private_key_file: "$TRASH/id_ed25519"}}
YAML
KH=$TRASH/known_hosts
up() { "$LADING" baremetal up -s "$TRASH/site.yaml" --media-listen "$QNET_IP:$MPORT" --known-hosts "$KH" \
	-o "$TRASH/inventory.yml" "$@"; }

start=$(date +%s)
up -t 240 --json -v >"$TRASH/up1.json" 2>"$TRASH/up1.err"
rc=$?
echo "# IPMI + PXE up: $(($(date +%s) - start)) s"
is "up over IPMI exits 0" "$rc" 0
is "p1 is up and was booted" "$(jq -r '"\(.status) \(.changed)"' "$TRASH/up1.json")" "up true"
if [ "$rc" != 0 ]; then
	sed 's/^/# /' "$TRASH/up1.err"
	tail -n 30 "$QEMU_CONSOLE_p1" | tr -d '\r' | sed 's/^/# console: /'
fi
is "the chassis's boot flags ask for PXE" \
	"$(ipmi_tool i chassis bootparam get 5 2>/dev/null | grep -c 'Force PXE')" 1
is "the chassis is on (ipmitool, QMP)" "$(ipmi_tool i chassis power status 2>/dev/null)/$(qemu_power "$QEMU_QMP_p1")" \
	"Chassis Power is on/on"
is "the node fetched boot.ipxe, its MAC's script, its kernel and initrd from lading" \
	"$(grep -Eo "media: GET /(boot\.ipxe|pxe-52-54-00-81-40-01\.ipxe|p1-[0-9a-f]+-vmlinuz|p1-[0-9a-f]+-initrd\.img) 200 from $ADDR" \
		"$TRASH/up1.err" | sed -E 's/p1-[0-9a-f]+-/p1-X-/' | sort -u | awk '{print $3}' | tr '\n' ' ')" \
	"/boot.ipxe /p1-X-initrd.img /p1-X-vmlinuz /pxe-52-54-00-81-40-01.ipxe "
node_ssh() {
	ssh -n -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KH" -o ConnectTimeout=5 \
		-i "$TRASH/id_ed25519" "root@$ADDR" "$@"
}
is "the node answers strict SSH as p1" "$(node_ssh hostname 2>&1)" p1
ok "its host key is the one in lading's images" sh -c \
	"ssh-keygen -lf '$KH' | grep -qF \"\$(ssh-keygen -lf '$TRASH/baremetal-images/p1/ssh_host_ed25519_key.pub' | awk '{print \$2}')\""
ok "the node loaded the kernel its PXE script names" grep -q "^kernel http://$QNET_IP:$MPORT/p1-[0-9a-f]*-vmlinuz " \
	"$TRASH/baremetal-images/p1/pxe.ipxe"

up -t 30 --json >"$TRASH/up2.json" 2>"$TRASH/up2.err"
is "a second up exits 0 and changes nothing" "$?/$(jq -r '"\(.status) \(.changed)"' "$TRASH/up2.json")" \
	"0/already-up false"
ok "the inventory has p1" grep -q "ansible_host: \"$ADDR\"" "$TRASH/inventory.yml"
done_testing
