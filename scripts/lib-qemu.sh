# Sourced by bare-metal tests after test-lib.sh: small QEMU machines (TCG, no
# KVM, SeaBIOS, no disk) that stand in for servers, each with a cdrom drive and
# a QMP socket, and the Redfish BMC (scripts/redfish-bmc.py) that drives them.
# A machine starts powered off: QEMU is started with -S (stopped before the
# first instruction) and -no-shutdown (a guest power-off stops it, the process
# stays); "on" is system_reset + cont, "off" is stop. Paused TCG costs no CPU.
#
# live_require [iso] [containerd] [TOOL...]: skip_all unless root with QEMU, cpio, zstd,
#   depmod, ssh, ssh-keygen, busybox-static and the kernel tree KTREE (set here:
#   $LADING_KERNEL_TREE or scripts/deps' extraction); iso: isolinux too, containerd:
#   containerd, ctr and runc; TOOL...: more commands.
# qemu_net_start: a bridge lqb<pid> in the root namespace, 198.18.X.1/24 with X
#   picked by lib-hosts.sh's _hosts_pick_net under its lock (lib-hosts.sh is sourced
#   here when it is not yet), so it collides with no lib-hosts bridge of this or a parallel test;
#   sets QNET_BRIDGE QNET_IP (198.18.X.1) QNET_NET (198.18.X). The bridge and the tap
#   devices of the machines are deleted by name at exit.
# qemu_start NAME [MAC]: sets QEMU_QMP_<NAME> (the QMP socket) and QEMU_PID_<NAME>;
#   killed at exit. Memory ${QEMU_MEM:-128} MiB; the serial console (ttyS0) is logged to
#   $TRASH/qemu-NAME.console (QEMU_CONSOLE_<NAME>). With QNET_BRIDGE set and a MAC,
#   the machine has an e1000 NIC with that MAC on a tap device (lq<pid>t<N>) on the bridge.
# qemu_qmp SOCKET COMMAND [JSON-ARGS]: runs one QMP command, prints its "return" as JSON
#   (scripts/qmp.py).
# qemu_power SOCKET: "on" when the machine runs, else "off" (QMP query-status).
# qemu_cdrom SOCKET: the file in the cdrom drive, or "" (QMP query-block).
# bmc_start NAME USER PASSWORD SYSTEM=SOCKET...: a Redfish BMC on https://127.0.0.1
#   with a fresh test CA; sets BMC_URL_<NAME>, BMC_CA (the CA of the last one
#   started), BMC_LOG_<NAME> (one line per request: METHOD PATH STATUS).
#   $BMC_OPTS adds options of scripts/redfish-bmc.py (--no-sessions, --async-tasks).

# The network is picked by lib-hosts.sh's own _hosts_pick_net, under its lock.
command -v _hosts_pick_net >/dev/null 2>&1 || . "$TOP/scripts/lib-hosts.sh"

# live_require [iso] [containerd] [TOOL...]: what booting the live system needs, else skip_all.
live_require() {
	KTREE=${LADING_KERNEL_TREE:-/var/cache/lading/deb/linux-image-amd64}
	_lr_iso=0
	_lr_containerd=0
	[ "$(id -u)" = 0 ] || skip_all "needs root (bridge, tap devices)"
	for _lr_tool in qemu-system-x86_64 cpio zstd depmod ssh ssh-keygen "$@"; do
		case $_lr_tool in
		iso) _lr_iso=1 ;;
		containerd) _lr_containerd=1 ;;
		*) command -v "$_lr_tool" >/dev/null || skip_all "$_lr_tool is not installed (scripts/deps)" ;;
		esac
	done
	[ -x /bin/busybox ] || skip_all "busybox-static is not installed (scripts/deps)"
	[ $_lr_iso = 0 ] || { [ -f /usr/lib/ISOLINUX/isolinux.bin ] && [ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ]; } ||
		skip_all "isolinux or syslinux-common is not installed (scripts/deps)"
	[ -d "$KTREE/lib/modules" ] || skip_all "no kernel tree in $KTREE (scripts/deps extracts linux-image-amd64)"
	[ $_lr_containerd = 0 ] && return 0
	for _lr_bin in /usr/bin/containerd /usr/bin/ctr /usr/sbin/runc; do
		[ -x $_lr_bin ] || skip_all "$_lr_bin is missing (scripts/deps)"
	done
}

# Deletes the links this test made (or an earlier run with our PID left), by name.
qemu_net_stop() {
	for _qs_link in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^lq$$t[0-9]*\$"); do
		ip link del "$_qs_link" 2>/dev/null
	done
	ip link del "lqb$$" 2>/dev/null
	return 0
}

qemu_net_start() {
	QNET_BRIDGE=lqb$$
	QNET_TAPS=0
	qemu_net_stop
	at_exit qemu_net_stop
	exec 9>"${TMPDIR:-/tmp}/lading-hosts.lock"
	flock -w 30 9 || { echo "# cannot lock the test network allocation" >&2; return 1; }
	if ! _qn_x=$(_hosts_pick_net); then
		exec 9>&-
		echo "# no free 198.18.X.0/24 network" >&2
		return 1
	fi
	QNET_NET=198.18.$_qn_x
	QNET_IP=$QNET_NET.1
	ip link add "$QNET_BRIDGE" type bridge &&
		ip addr add "$QNET_IP/24" dev "$QNET_BRIDGE" &&
		ip link set "$QNET_BRIDGE" up
	_qn_rc=$?
	exec 9>&-
	return $_qn_rc
}

qemu_start() {
	_qname=$1
	_qmac=${2:-}
	_qsock=$TRASH/qemu-$_qname.qmp
	_qnet=""
	if [ -n "${QNET_BRIDGE:-}" ] && [ -n "$_qmac" ]; then
		QNET_TAPS=$((${QNET_TAPS:-0} + 1))
		_qtap=lq$$t$QNET_TAPS
		ip tuntap add dev "$_qtap" mode tap &&
			ip link set "$_qtap" master "$QNET_BRIDGE" &&
			ip link set "$_qtap" up || { echo "# qemu $_qname: cannot make tap $_qtap" >&2; return 1; }
		_qnet="-netdev tap,id=net0,ifname=$_qtap,script=no,downscript=no -device e1000,netdev=net0,mac=$_qmac"
	fi
	: >"$TRASH/qemu-$_qname.console"
	# shellcheck disable=SC2086
	qemu-system-x86_64 -machine pc,accel=tcg -nodefaults -display none -S -no-shutdown -m "${QEMU_MEM:-128}" \
		-name "$_qname" -drive if=none,id=cd0,media=cdrom,readonly=on \
		-device ide-cd,drive=cd0,id=cd0dev,bootindex=1 $_qnet \
		-serial "file:$TRASH/qemu-$_qname.console" \
		-qmp "unix:$_qsock,server=on,wait=off" >"$TRASH/qemu-$_qname.log" 2>&1 &
	_qpid=$!
	at_exit "kill_pid $_qpid"
	eval "QEMU_PID_$_qname=$_qpid QEMU_QMP_$_qname=$_qsock QEMU_CONSOLE_$_qname=$TRASH/qemu-$_qname.console"
	_n=300
	while [ ! -S "$_qsock" ] && [ $_n -gt 0 ]; do
		kill -0 "$_qpid" 2>/dev/null || { echo "# qemu $_qname exited: $(tail -n 2 "$TRASH/qemu-$_qname.log")" >&2; return 1; }
		sleep 0.1; _n=$((_n - 1))
	done
	[ -S "$_qsock" ] || { echo "# qemu $_qname: no QMP socket after 30 s" >&2; return 1; }
}

qemu_qmp() {
	python3 "$TOP/scripts/qmp.py" "$@"
}

qemu_power() {
	python3 "$TOP/scripts/qmp.py" "$1" power
}

qemu_cdrom() {
	python3 "$TOP/scripts/qmp.py" "$1" cdrom
}

bmc_start() {
	_bname=$1; _buser=$2; _bpass=$3; shift 3
	_bdir=$TRASH/bmc-$_bname
	tls_make_certs "$_bdir" || return 1
	printf '%s' "$_bpass" >"$_bdir/password"
	_bargs=""
	for _s in "$@"; do _bargs="$_bargs --system $_s"; done
	# shellcheck disable=SC2086
	python3 "$TOP/scripts/redfish-bmc.py" --cert "$_bdir/server.pem" --key "$_bdir/server.key" \
		--user "$_buser" --password-file "$_bdir/password" --port-file "$_bdir/port" \
		--state-dir "$_bdir" --log "$TRASH/bmc-$_bname.log" ${BMC_OPTS:-} $_bargs 2>"$TRASH/bmc-$_bname.err" &
	_bpid=$!
	at_exit "kill_pid $_bpid"
	_n=300
	while [ ! -s "$_bdir/port" ] && [ $_n -gt 0 ]; do
		kill -0 "$_bpid" 2>/dev/null || { echo "# bmc $_bname exited: $(tail -n 3 "$TRASH/bmc-$_bname.err")" >&2; return 1; }
		sleep 0.1; _n=$((_n - 1))
	done
	[ -s "$_bdir/port" ] || { echo "# bmc $_bname did not start" >&2; return 1; }
	BMC_CA=$_bdir/ca.pem
	eval "BMC_URL_$_bname=https://127.0.0.1:$(cat "$_bdir/port") BMC_LOG_$_bname=$TRASH/bmc-$_bname.log BMC_PID_$_bname=$_bpid"
}
