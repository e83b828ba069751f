#!/bin/bash
# The bare-metal live system, booted for real: a base initramfs from
# scripts/live-rootfs (busybox, sshd, containerd, NIC modules of the Debian kernel
# extracted by scripts/deps), an overlay cpio made here by hand after the contract
# lading baremetal image follows (provision/baremetal/live-init.sh as /init, the
# node's host key, authorized_keys, address, registry CA), and an El Torito ISO
# (isolinux) written by bsdtar with the libarchive options lading uses. One QEMU
# machine (TCG) on a test bridge boots it from its cdrom; the node must answer SSH
# with exactly its host key, with its hostname, containerd up and the CA in the bundle.
# LIVE_ADDRESS=dhcp: the node takes its address from busybox udhcpd on the bridge
# (a static lease for its MAC) instead of a static LADING_ADDRESS.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-qemu.sh"
. "$TOP/scripts/lib-registry.sh"

live_require iso containerd bsdtar skopeo "$REGISTRY_BIN"
plan 13

show_console() {
	echo "# --- console of n1 (last 40 lines)"
	tail -n 40 "$TRASH/qemu-n1.console" | tr -d '\r' | sed 's/^/# /'
}

# --- the base, as a site builds it (a low zstd level: the test's time, not the size)
start=$(date +%s)
ok "live-rootfs builds the base with containerd" \
	nice "$TOP/scripts/live-rootfs" --kernel-tree "$KTREE" --with-containerd --level 3 \
	-o "$TRASH/base.img" --kernel-out "$TRASH/vmlinuz"
echo "# base initramfs: $(wc -c <"$TRASH/base.img") bytes ($(zstd -dc "$TRASH/base.img" 2>/dev/null | wc -c) unpacked), built in $(($(date +%s) - start)) s"
ok "the base is padded to 4 bytes (the overlay must start aligned)" test $(($(wc -c <"$TRASH/base.img") % 4)) = 0
ok "the base has no /init (lading adds it)" sh -c "[ -s '$TRASH/base.img' ] && ! zstd -dc '$TRASH/base.img' 2>/dev/null | cpio -t --quiet | grep -qx init"

# --- the overlay, after the contract in provision/baremetal/live-init.sh
qemu_net_start || { echo "Bail out! no test bridge"; exit 1; }
ADDR=$QNET_NET.21
MAC=52:54:00:12:34:01
ov=$TRASH/overlay
mkdir -p "$ov/etc/lading" "$ov/etc/ssh" "$ov/root/.ssh" "$ov/usr/local/share/ca-certificates"
install -m 0755 "$TOP/provision/baremetal/live-init.sh" "$ov/init"
cat >"$ov/etc/lading/node.env" <<EOF
LADING_NODE='n1'
LADING_MAC='$MAC'
LADING_ADDRESS='$([ "${LIVE_ADDRESS:-}" = dhcp ] && echo dhcp || echo "$ADDR/24")'
LADING_GATEWAY=''
LADING_DNS='$QNET_IP'
EOF
ssh-keygen -q -t ed25519 -N '' -C n1 -f "$ov/etc/ssh/ssh_host_ed25519_key"
ssh-keygen -q -t ed25519 -N '' -C lading-test -f "$TRASH/id_ed25519"
install -m 0600 "$TRASH/id_ed25519.pub" "$ov/root/.ssh/authorized_keys"
chmod 700 "$ov/root" "$ov/root/.ssh"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=lading-test-registry-ca \
	-keyout "$TRASH/ca.key" -out "$ov/usr/local/share/ca-certificates/lading-registry.crt" 2>/dev/null
# Files only: the directories must come from the base (the kernel makes no parents).
(cd "$ov" && find . -mindepth 1 ! -type d | sed 's|^\./||' | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --reproducible --quiet) >"$TRASH/overlay.cpio"

if [ "${LIVE_ADDRESS:-}" = dhcp ]; then
	printf 'start %s\nend %s\ninterface %s\nlease_file %s\npidfile %s\noption subnet 255.255.255.0\noption dns %s\nstatic_lease %s %s\n' \
		"$ADDR" "$ADDR" "$QNET_BRIDGE" "$TRASH/udhcpd.leases" "$TRASH/udhcpd.pid" "$QNET_IP" "$MAC" "$ADDR" >"$TRASH/udhcpd.conf"
	: >"$TRASH/udhcpd.leases"
	busybox udhcpd -f "$TRASH/udhcpd.conf" >"$TRASH/udhcpd.log" 2>&1 &
	at_exit "kill_pid $!"
fi

# --- the ISO: isolinux, El Torito no-emulation, written by libarchive (bsdtar)
iso=$TRASH/iso
mkdir -p "$iso/isolinux" "$iso/boot"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
cp "$TRASH/vmlinuz" "$iso/boot/vmlinuz"
cat "$TRASH/base.img" "$TRASH/overlay.cpio" >"$iso/boot/initrd.img"
cat >"$iso/isolinux/isolinux.cfg" <<'EOF'
SERIAL 0 115200
DEFAULT live
PROMPT 0
TIMEOUT 0
LABEL live
  KERNEL /boot/vmlinuz
  APPEND initrd=/boot/initrd.img console=ttyS0,115200 quiet
EOF
ok "bsdtar writes the El Torito ISO" \
	bsdtar -C "$iso" -cf "$TRASH/n1.iso" --format iso9660 \
	--options 'boot=isolinux/isolinux.bin,boot-catalog=isolinux/boot.cat,boot-load-size=4,boot-info-table,boot-type=no-emulation,volume-id=LADING' \
	isolinux boot

# --- boot it: the cdrom by QMP, as the BMC does on InsertMedia, then power on
QEMU_MEM=${LIVE_MEM:-768} qemu_start n1 "$MAC" || { echo "Bail out! qemu n1 did not start"; exit 1; }
ok "the ISO is in the cdrom" qemu_qmp "$QEMU_QMP_n1" blockdev-change-medium \
	"{\"id\": \"cd0dev\", \"filename\": \"$TRASH/n1.iso\", \"format\": \"raw\", \"read-only-mode\": \"read-only\"}"
boot=$(date +%s)
qemu_qmp "$QEMU_QMP_n1" system_reset >/dev/null && qemu_qmp "$QEMU_QMP_n1" cont >/dev/null

printf '%s %s\n' "$ADDR" "$(cut -d' ' -f1,2 "$ov/etc/ssh/ssh_host_ed25519_key.pub")" >"$TRASH/known_hosts"
node_ssh() {
	ssh -n -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$TRASH/known_hosts" \
		-o ConnectTimeout=5 -i "$TRASH/id_ed25519" "root@$ADDR" "$@"
}
up=1
deadline=$((boot + ${LIVE_BOOT_TIMEOUT:-240}))
while [ "$(date +%s)" -lt "$deadline" ]; do
	if node_ssh true 2>/dev/null; then
		up=0
		break
	fi
	grep -qE 'lading-live: not ready|Kernel panic' "$TRASH/qemu-n1.console" && break
	sleep 2
done
ok "the node answers SSH with its own host key (strict)" test $up = 0
[ $up = 0 ] && echo "# boot to SSH: $(($(date +%s) - boot)) s (TCG), ready line: $(grep -c 'lading-live: ready' "$TRASH/qemu-n1.console")"
is "the hostname is the node's" "$(node_ssh hostname 2>&1)" "n1"
ok "containerd answers ctr version" node_ssh 'ctr version'
ok "the registry CA is in the system bundle" node_ssh \
	"grep -qF '$(sed -n 2p "$ov/usr/local/share/ca-certificates/lading-registry.crt")' /etc/ssl/certs/ca-certificates.crt"

# --- containerd pulls (and unpacks: overlayfs on the tmpfs) from a registry on the bridge
REG_PORT=$(free_port)
mkdir -p "$TRASH/reg/storage"
printf 'version: 0.1\nlog: {level: info}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp:\n  addr: %s:%s\n  secret: t0812\n' \
	"$TRASH/reg/storage" "$QNET_IP" "$REG_PORT" >"$TRASH/reg/config.yml"
"$REGISTRY_BIN" serve "$TRASH/reg/config.yml" >"$TRASH/registry.log" 2>&1 &
at_exit "kill_pid $!"
wait_for_port "$REG_PORT" "$QNET_IP" 20 || { echo "Bail out! registry on $QNET_IP did not start"; exit 1; }
python3 "$TOP/scripts/mkimage.py" "$TRASH/layout" tiny:1 --layer 64k:live --gzip >/dev/null
skopeo copy --quiet --dest-tls-verify=false "oci:$TRASH/layout:tiny:1" "docker://$QNET_IP:$REG_PORT/test/tiny:1"
ok "ctr pulls and unpacks an image from the bridge" node_ssh "ctr images pull --plain-http $QNET_IP:$REG_PORT/test/tiny:1"
ok "the image is unpacked in a snapshot" node_ssh "ctr images ls | grep -q test/tiny && ctr snapshots ls | grep -q Committed"
# lading's service step without systemd (provision/steps_service.c): TERM the PID in
# /run/containerd.pid, start the argv of /proc/PID/cmdline again, detached; with busybox.
ok "containerd restarts from its pidfile, as lading's service step does" node_ssh '
	p=/run/containerd.pid; pid=$(cat $p); argv=$(mktemp) && cp /proc/$pid/cmdline $argv && dir=$(readlink /proc/$pid/cwd) || exit 4
	kill -TERM $pid; i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	cd "${dir:-/}" && xargs -0 sh -c "p=\$1; shift; setsid \"\$@\" </dev/null >>\"\$0\" 2>&1 & echo \$! >\"\$p\"" /var/log/containerd.log $p <$argv
	rm -f $argv; i=0; while ! ctr version >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	[ "$(cat $p)" != "$pid" ] && ctr images ls | grep -q test/tiny'
ok "the console says ready" grep -q 'lading-live: ready: n1' "$TRASH/qemu-n1.console"
[ "$test_failed" = 0 ] || show_console
done_testing
