# Sourced by bare-metal tests after test-lib.sh and lib-qemu.sh: IPMI BMCs
# made of OpenIPMI's ipmi_sim (Debian `openipmi`), each on 127.0.0.1 with its
# own UDP port, one admin user, RMCP+ (lanplus), and a chassis that drives a
# QEMU machine of lib-qemu.sh through scripts/ipmi-chassis-qmp (socat).
#
# ipmi_bmc_start NAME USER PASSWORD QMP-SOCKET: sets IPMI_HOST_<NAME>
#   (127.0.0.1:PORT) and IPMI_BOOT_<NAME> (the file the chassis keeps the boot
#   device in); killed at exit. Waits (bounded) until ipmitool gets an answer.
# ipmi_tool NAME ARGS...: ipmitool -I lanplus against that BMC as its user.

ipmi_bmc_start() {
	_iname=$1; _iuser=$2; _ipass=$3; _isock=$4
	_idir=$TRASH/ipmi-$_iname
	mkdir -p "$_idir/state"
	_iport=$(free_port)
	cat >"$_idir/lan.conf" <<CONF
name "$_iname"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $_iport
    priv_limit admin
    allowed_auths_callback md5
    allowed_auths_user md5
    allowed_auths_operator md5
    allowed_auths_admin md5
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "$TOP/scripts/ipmi-chassis-qmp $_isock $_idir/boot"
  user 2 true "$_iuser" "$_ipass" admin 10 md5
CONF
	printf 'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n' \
		>"$_idir/emu.cmds"
	ipmi_sim -n -c "$_idir/lan.conf" -f "$_idir/emu.cmds" -s "$_idir/state" >"$TRASH/ipmi-$_iname.log" 2>&1 &
	_ipid=$!
	at_exit "kill_pid $_ipid"
	eval "IPMI_HOST_$_iname=127.0.0.1:$_iport IPMI_BOOT_$_iname=$_idir/boot IPMI_USER_$_iname=$_iuser IPMI_PASS_$_iname=$_ipass"
	_n=50
	while [ $_n -gt 0 ]; do
		kill -0 "$_ipid" 2>/dev/null || { echo "# ipmi_sim $_iname exited: $(tail -n 3 "$TRASH/ipmi-$_iname.log")" >&2; return 1; }
		ipmi_tool "$_iname" chassis power status >/dev/null 2>&1 && return 0
		sleep 0.2; _n=$((_n - 1))
	done
	echo "# ipmi_sim $_iname: no answer on UDP $_iport after 10 s" >&2
	return 1
}

ipmi_tool() {
	_itn=$1; shift
	eval "_ith=\$IPMI_HOST_$_itn _itu=\$IPMI_USER_$_itn _itp=\$IPMI_PASS_$_itn"
	IPMI_PASSWORD=$_itp timeout 20 ipmitool -I lanplus -H "${_ith%:*}" -p "${_ith##*:}" -U "$_itu" -E -C 3 -N 1 -R 2 "$@"
}
