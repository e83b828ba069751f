#!/bin/sh
# /init of lading's bare-metal live system (PID 1, busybox sh). lading baremetal
# image embeds this file verbatim in each node's overlay cpio, next to the node's
# identity, and appends that overlay to the site's base initramfs
# (scripts/live-rootfs). The overlay holds:
#   /etc/lading/node.env       LADING_NODE LADING_MAC ('' = first NIC) LADING_ADDRESS
#                              (CIDR or 'dhcp') LADING_GATEWAY LADING_DNS (single-quoted)
#   /etc/ssh/ssh_host_ed25519_key(.pub), /root/.ssh/authorized_keys
#   /usr/local/share/ca-certificates/lading-registry.crt (optional)
# It mounts the kernel file systems, loads the NIC's module, configures the NIC
# chosen by MAC, starts sshd and containerd (PID in /run/containerd.pid, so that
# lading's service step can restart it without systemd) and prints one line per
# step on the console, ending with "lading-live: ready". PID 1 never exits: on a
# failure it says why and stays, so the console shows it.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

say() { echo "lading-live: $*"; }
fail() {
	say "FAILED: $*"
	failed=1
}
failed=0

mkdir -p /proc /sys /dev /run /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs -o mode=0755 devtmpfs /dev 2>/dev/null || mount -t tmpfs -o mode=0755 tmpfs /dev
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
say "kernel $(uname -r), file systems mounted"

LADING_NODE="" LADING_MAC="" LADING_ADDRESS="" LADING_GATEWAY="" LADING_DNS=""
if [ -f /etc/lading/node.env ]; then
	# shellcheck disable=SC1091 # the node's, from the overlay
	. /etc/lading/node.env
else
	fail "/etc/lading/node.env is missing: the overlay was not appended to the initrd"
fi

hostname "${LADING_NODE:-lading-live}"
echo "${LADING_NODE:-lading-live}" >/etc/hostname
printf '127.0.1.1\t%s\n' "${LADING_NODE:-lading-live}" >>/etc/hosts

# The NIC's module by the PCI devices' modaliases; when that finds none, every
# module of the base (a NIC that modules.alias does not name).
nic_of_mac() {
	for _d in /sys/class/net/*; do
		[ -e "$_d/address" ] || continue
		[ "${_d##*/}" = lo ] && continue
		if [ -z "$1" ] || [ "$(cat "$_d/address")" = "$1" ]; then
			echo "${_d##*/}"
			return 0
		fi
	done
	return 1
}
mac=$(echo "$LADING_MAC" | tr 'A-F' 'a-f')
for a in $(cat /sys/bus/pci/devices/*/modalias 2>/dev/null | sort -u); do
	modprobe -q "$a" 2>/dev/null
done
nic=""
i=0
while [ $i -lt 50 ]; do
	nic=$(nic_of_mac "$mac") && break
	if [ $i -eq 10 ]; then
		for m in $(sed 's/:.*//; s|.*/||; s/\.ko.*//' "/lib/modules/$(uname -r)/modules.dep" 2>/dev/null); do
			modprobe -q "$m" 2>/dev/null
		done
	fi
	sleep 0.2
	i=$((i + 1))
done
ip link set lo up
if [ -z "$nic" ]; then
	fail "no network interface${mac:+ with MAC $mac} (interfaces: $(ls /sys/class/net | tr '\n' ' ')); PCI devices: $(cat /sys/bus/pci/devices/*/uevent 2>/dev/null | sed -n 's/^PCI_ID=//p' | tr '\n' ' ')"
else
	say "interface $nic ($(cat "/sys/class/net/$nic/address")), driver $(basename "$(readlink "/sys/class/net/$nic/device/driver")" 2>/dev/null)"
	ip link set "$nic" up
	if [ "$LADING_ADDRESS" = dhcp ]; then
		cat >/run/udhcpc.script <<'EOF'
#!/bin/sh
# busybox udhcpc: $interface $ip $mask (prefix length) $router $dns
case $1 in
deconfig) ip -4 addr flush dev "$interface" ;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	if [ -z "$LADING_GATEWAY" ] && [ -n "$router" ]; then
		ip route replace default via "${router%% *}" dev "$interface"
	fi
	if [ -z "$LADING_DNS" ] && [ -n "$dns" ]; then
		: >/etc/resolv.conf
		for s in $dns; do echo "nameserver $s" >>/etc/resolv.conf; done
	fi
	echo "lading-live: dhcp lease $ip/$mask on $interface" >/dev/console
	;;
esac
EOF
		chmod 755 /run/udhcpc.script
		export LADING_GATEWAY LADING_DNS
		if udhcpc -i "$nic" -s /run/udhcpc.script -p /run/udhcpc.pid -t 10 -T 3 -b; then
			say "address by dhcp on $nic"
		else
			fail "udhcpc on $nic"
		fi
	elif [ -n "$LADING_ADDRESS" ]; then
		if ip addr add "$LADING_ADDRESS" dev "$nic"; then
			say "address $LADING_ADDRESS on $nic"
		else
			fail "ip addr add $LADING_ADDRESS dev $nic"
		fi
	else
		fail "LADING_ADDRESS is empty in /etc/lading/node.env"
	fi
	if [ -n "$LADING_GATEWAY" ]; then
		if ip route add default via "$LADING_GATEWAY" dev "$nic"; then
			say "default route via $LADING_GATEWAY"
		else
			fail "ip route add default via $LADING_GATEWAY"
		fi
	fi
fi
if [ -n "$LADING_DNS" ]; then
	: >/etc/resolv.conf
	for s in $LADING_DNS; do echo "nameserver $s" >>/etc/resolv.conf; done
fi

ca=/usr/local/share/ca-certificates/lading-registry.crt
if [ -f "$ca" ]; then
	mkdir -p /etc/ssl/certs
	bundle=/etc/ssl/certs/ca-certificates.crt
	# a bundle whose last line has no newline must not glue the CA onto it
	[ -s "$bundle" ] && [ "$(tail -c 1 "$bundle" | od -An -c | tr -d ' ')" != '\n' ] && echo >>"$bundle"
	cat "$ca" >>"$bundle"
	say "registry CA added to $bundle"
fi

mkdir -p /run/sshd /var/log /var/empty
chmod 755 /run/sshd
[ -f /etc/ssh/ssh_host_ed25519_key ] && chmod 600 /etc/ssh/ssh_host_ed25519_key
if [ -d /root/.ssh ]; then
	chmod 700 /root /root/.ssh
	chmod 600 /root/.ssh/authorized_keys 2>/dev/null
fi
if [ ! -f /etc/ssh/ssh_host_ed25519_key ]; then
	fail "no host key /etc/ssh/ssh_host_ed25519_key in the overlay: sshd not started"
elif /usr/sbin/sshd -E /run/sshd.log; then
	say "sshd started"
else
	fail "sshd did not start: $(tail -n 3 /run/sshd.log 2>/dev/null | tr '\n' ' ')"
fi

if [ -x /usr/bin/containerd ]; then
	# the overlayfs snapshotter wants a file system that takes its xattrs: a tmpfs
	modprobe -q overlay 2>/dev/null
	mkdir -p /var/lib/containerd /run/containerd
	mount -t tmpfs -o mode=0711 tmpfs /var/lib/containerd
	setsid /usr/bin/containerd </dev/null >>/run/containerd.log 2>&1 &
	echo $! >/run/containerd.pid
	i=0
	while [ ! -S /run/containerd/containerd.sock ] && [ $i -lt 150 ]; do
		kill -0 "$(cat /run/containerd.pid)" 2>/dev/null || break
		sleep 0.2
		i=$((i + 1))
	done
	if [ -S /run/containerd/containerd.sock ]; then
		say "containerd started (pid $(cat /run/containerd.pid))"
	else
		fail "containerd did not start: $(tail -n 3 /run/containerd.log 2>/dev/null | tr '\n' ' ')"
	fi
fi

if [ $failed = 0 ]; then
	say "ready: $LADING_NODE ${LADING_ADDRESS:-} on ${nic:-?}"
else
	say "not ready: see the FAILED lines above"
fi

# PID 1 reaps orphans while it waits for its foreground sleep (ash waits for any child).
while :; do
	sleep 3600
done
