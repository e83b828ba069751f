# Sourced by bare-metal tests after test-lib.sh: small QEMU machines (TCG, no
# KVM, SeaBIOS, no disk) that stand in for servers, each with a cdrom drive and
# a QMP socket, and the Redfish BMC (scripts/redfish-bmc.py) that drives them.
# A machine starts powered off: QEMU is started with -S (stopped before the
# first instruction) and -no-shutdown (a guest power-off stops it, the process
# stays); "on" is system_reset + cont, "off" is stop. Paused TCG costs no CPU.
#
# qemu_start NAME: sets QEMU_QMP_<NAME> (the QMP socket) and QEMU_PID_<NAME>;
#   killed at exit.
# qemu_qmp SOCKET COMMAND [JSON-ARGS]: runs one QMP command, prints its "return" as JSON
#   (scripts/qmp.py).
# qemu_power SOCKET: "on" when the machine runs, else "off" (QMP query-status).
# qemu_cdrom SOCKET: the file in the cdrom drive, or "" (QMP query-block).
# bmc_start NAME USER PASSWORD SYSTEM=SOCKET...: a Redfish BMC on https://127.0.0.1
#   with a fresh test CA; sets BMC_URL_<NAME>, BMC_CA (the CA of the last one
#   started), BMC_LOG_<NAME> (one line per request: METHOD PATH STATUS).
#   $BMC_OPTS adds options of scripts/redfish-bmc.py (--no-sessions, --async-tasks).

qemu_start() {
	_qname=$1
	_qsock=$TRASH/qemu-$_qname.qmp
	qemu-system-x86_64 -machine pc,accel=tcg -nodefaults -display none -S -no-shutdown -m 128 \
		-name "$_qname" -drive if=none,id=cd0,media=cdrom,readonly=on \
		-device ide-cd,drive=cd0,id=cd0dev,bootindex=1 \
		-qmp "unix:$_qsock,server=on,wait=off" >"$TRASH/qemu-$_qname.log" 2>&1 &
	_qpid=$!
	at_exit "kill_pid $_qpid"
	eval "QEMU_PID_$_qname=$_qpid QEMU_QMP_$_qname=$_qsock"
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
