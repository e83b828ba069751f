# shellcheck shell=bash
# Sourced by tests after test-lib.sh and scripts/lib-hosts.sh: turns a test host
# (started with HOSTS_OVERLAY=1) into a SIMULATED GPU host. No real GPU is
# involved: fake sysfs trees under $TRASH/gpu-sim/hI are bind-mounted inside
# that host's mount namespace only (the machine and the other hosts never see
# them), and the mounts go with the namespace when hosts_stop ends the host.
# The stand-in NVIDIA packages of scripts/mkgpuapt.sh read this state.
#
#   gpu_sim_host I [--secure-boot on|off|none] [--nouveau] [--nvswitch] [--gpus N]
#       host I shows, over its /sys/bus/pci/devices, /sys/firmware and /sys/module:
#         PCI: N NVIDIA GPUs (default 2; 1..8; vendor 0x10de, device 0x2330, class
#              0x030200) at 0000:3b:00.0 0000:5e:00.0 0000:86:00.0 0000:af:00.0
#              0000:d8:00.0 0000:e0:00.0 0000:e8:00.0 0000:f0:00.0, the first GPU's
#              audio function 0000:3b:00.1 (0x040300), an Intel NIC 0000:02:00.0
#              (0x8086 0x1572 0x020000) and with --nvswitch one NVSwitch
#              0000:c4:00.0 (0x10de 0x22a3 0x068000)
#         firmware: efi/efivars/SecureBoot-8be4df61-...: 5th byte 1 (on) or 0 (off,
#              the default); none: no efi directory (BIOS boot)
#         module: a writable directory, nouveau/ with --nouveau, never nvidia/
#              (the stand-in DKMS package "loads" it by creating nvidia/version)
#       and writes /etc/nvidia-sim/uuids ("PCI_ADDRESS UUID" lines) in the host's
#       overlay. Sets GPU_SIM_UUIDS (space-separated, PCI order): the first two
#       are GPU-4101de38-535a-4255-ac14-a63e072d7a10 and
#       GPU-9c2e1a9b-6d1f-4b6e-9a51-0c3e1d2f7b88, GPU K>2 is
#       GPU-0000000K-0000-4000-8000-00000000000K. Removes
#       /usr/lib/modules/$(uname -r)/build in the host (if the machine has one), so
#       DKMS finds no headers until linux-headers-$(uname -r) is installed.
#       Prints nothing on success; on failure returns 1 with a '# ' diagnostic.
#       Call it in the test's own shell (not inside `ok`, a subshell): it sets
#       GPU_SIM_UUIDS.
#   gpu_sim_module_dir I
#       prints the path, seen from outside, of host I's simulated /sys/module: write
#       there to "unload nouveau" (rm -r .../nouveau) or fake a loaded module
#       (mkdir .../nvidia; echo 530.30.02 >.../nvidia/version).
#   gpu_sim_dir I
#       prints host I's simulation directory (pci/ firmware/ module/ under it).
#
# To make a GPU fall off the bus: host_exec I "echo 0000:5e:00.0 >>/etc/nvidia-sim/lost".

GPU_SIM_UUIDS=
GPU_SIM_BUSES="3b 5e 86 af d8 e0 e8 f0"

gpu_sim_dir() { echo "$TRASH/gpu-sim/h$(_host_idx "$1")"; }
gpu_sim_module_dir() { echo "$(gpu_sim_dir "$1")/module"; }

_gpu_sim_fail() {
	echo "# gpu_sim_host: $*" >&2
	return 1
}

_gpu_sim_pci() { # DIR ADDRESS VENDOR DEVICE CLASS
	mkdir -p "$1/$2" &&
		echo "$3" >"$1/$2/vendor" &&
		echo "$4" >"$1/$2/device" &&
		echo "$5" >"$1/$2/class"
}

gpu_sim_host() {
	_gs_host=$1
	shift
	_gs_sb=off _gs_nouveau=0 _gs_nvswitch=0 _gs_gpus=2
	while [ $# -gt 0 ]; do
		case $1 in
		--secure-boot)
			case ${2:-} in on | off | none) _gs_sb=$2 ;; *) _gpu_sim_fail "--secure-boot wants on, off or none" || return 1 ;; esac
			shift ;;
		--nouveau) _gs_nouveau=1 ;;
		--nvswitch) _gs_nvswitch=1 ;;
		--gpus)
			case ${2:-} in [1-8]) _gs_gpus=$2 ;; *) _gpu_sim_fail "--gpus wants 1..8" || return 1 ;; esac
			shift ;;
		*) _gpu_sim_fail "unknown option '$1'" || return 1 ;;
		esac
		shift
	done
	_gs_dir=$(gpu_sim_dir "$_gs_host")
	[ ! -e "$_gs_dir" ] || _gpu_sim_fail "host $_gs_host is already simulated" || return 1
	# Everything below writes into the host's /etc and /usr: only through its overlay.
	for _gs_d in /usr /etc; do
		[ "$(host_exec "$_gs_host" "findmnt -n -o FSTYPE --mountpoint $_gs_d" 2>/dev/null)" = overlay ] ||
			_gpu_sim_fail "host $_gs_host has no overlay on $_gs_d (start the hosts with HOSTS_OVERLAY=1)" ||
			return 1
	done

	mkdir -p "$_gs_dir/pci" "$_gs_dir/firmware" "$_gs_dir/module" || return 1
	_gs_uuids="" _gs_lines="" _gs_k=0
	for _gs_bus in $GPU_SIM_BUSES; do
		[ "$_gs_k" -lt "$_gs_gpus" ] || break
		_gs_k=$((_gs_k + 1))
		case $_gs_k in
		1) _gs_uuid=GPU-4101de38-535a-4255-ac14-a63e072d7a10 ;;
		2) _gs_uuid=GPU-9c2e1a9b-6d1f-4b6e-9a51-0c3e1d2f7b88 ;;
		*) _gs_uuid=GPU-0000000$_gs_k-0000-4000-8000-00000000000$_gs_k ;;
		esac
		_gpu_sim_pci "$_gs_dir/pci" "0000:$_gs_bus:00.0" 0x10de 0x2330 0x030200 || return 1
		_gs_uuids="$_gs_uuids${_gs_uuids:+ }$_gs_uuid"
		_gs_lines="${_gs_lines}0000:$_gs_bus:00.0 $_gs_uuid
"
	done
	_gpu_sim_pci "$_gs_dir/pci" 0000:3b:00.1 0x10de 0x22a3 0x040300 &&
		_gpu_sim_pci "$_gs_dir/pci" 0000:02:00.0 0x8086 0x1572 0x020000 || return 1
	if [ "$_gs_nvswitch" = 1 ]; then
		_gpu_sim_pci "$_gs_dir/pci" 0000:c4:00.0 0x10de 0x22a3 0x068000 || return 1
	fi
	if [ "$_gs_sb" != none ]; then
		mkdir -p "$_gs_dir/firmware/efi/efivars" || return 1
		if [ "$_gs_sb" = on ]; then _gs_byte='\001'; else _gs_byte='\000'; fi
		# shellcheck disable=SC2059 # the format is the 4 attribute bytes and the value
		printf "\\007\\000\\000\\000$_gs_byte" \
			>"$_gs_dir/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c" || return 1
	fi
	if [ "$_gs_nouveau" = 1 ]; then
		mkdir -p "$_gs_dir/module/nouveau" && echo live >"$_gs_dir/module/nouveau/initstate" || return 1
	fi
	printf '%s' "$_gs_lines" >"$_gs_dir/uuids" || return 1

	_gs_kver=$(uname -r)
	if ! _gs_out=$(host_exec "$_gs_host" "
		set -e
		mount --bind '$_gs_dir/pci' /sys/bus/pci/devices
		mount --bind '$_gs_dir/firmware' /sys/firmware
		mount --bind '$_gs_dir/module' /sys/module
		mkdir -p /etc/nvidia-sim
		cp '$_gs_dir/uuids' /etc/nvidia-sim/uuids
		rm -f /etc/nvidia-sim/lost
		if [ -e '/usr/lib/modules/$_gs_kver/build' ] || [ -L '/usr/lib/modules/$_gs_kver/build' ]; then
			rm -rf '/usr/lib/modules/$_gs_kver/build'
		fi
		test -d /sys/bus/pci/devices/0000:3b:00.0" 2>&1); then
		_gpu_sim_fail "cannot set up host $_gs_host: $(echo "$_gs_out" | tr '\n' ' ')"
		return 1
	fi
	# shellcheck disable=SC2034 # read by the tests that source this file
	GPU_SIM_UUIDS=$_gs_uuids
}
