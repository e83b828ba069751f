#!/bin/bash
# The SIMULATED GPU host fixture itself (tests/lib-gpu-sim.sh and the stand-in
# NVIDIA archive of scripts/mkgpuapt.sh), without lading: host 1 (HOSTS_OVERLAY=1)
# becomes a simulated GPU host with 2 GPUs, an NVSwitch, nouveau loaded and
# Secure Boot on; its own apt installs the stand-in packages from the signed
# archive (a file: source with Signed-By). nvidia-smi fails with exit 9 until
# the DKMS package is configured, which needs linux-headers-$(uname -r); then
# nvidia-smi, nvidia-ctk and nv-fabricmanager show what SPECS-2 §4 documents.
# The machine's own /sys, /usr/bin and dpkg database are the same at the end.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
. "$TESTS_DIR/lib-gpu-sim.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces and overlay mounts"
for tool in dpkg-deb apt-ftparchive gpg; do
	command -v "$tool" >/dev/null || skip_all "needs $tool"
done
[ "$(dpkg --print-architecture)" = amd64 ] || skip_all "the stand-in archive is amd64"
plan 24
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"
D=535.216.03
KVER=$(uname -r)
UUID0=GPU-4101de38-535a-4255-ac14-a63e072d7a10
UUID1=GPU-9c2e1a9b-6d1f-4b6e-9a51-0c3e1d2f7b88

# What the machine itself shows, to prove afterwards that nothing leaked.
machine_view() {
	ls /sys/bus/pci/devices /sys/firmware
	for dir in /sys/bus/pci/devices /sys/firmware /sys/module; do
		echo "$dir: $(findmnt -n --mountpoint "$dir" -o SOURCE,FSROOT)"
	done
	ls -d /sys/module/nvidia /usr/bin/nvidia-smi /usr/bin/nvidia-ctk /etc/nvidia-sim 2>&1
	md5sum </var/lib/dpkg/status
}
machine_view >"$TRASH/machine.before"

is "mkgpuapt.sh: exit 0, prints nothing" "$("$TOP/scripts/mkgpuapt.sh" "$TRASH/gpuapt" 2>&1; echo "rc=$?")" "rc=0"
ARCHIVE=$TRASH/gpuapt/archive
ok "the InRelease is signed by gpu.gpg" gpgv --keyring "$TRASH/gpuapt/gpu.gpg" "$ARCHIVE/dists/gpu/InRelease"

HOSTS_OVERLAY=1
hosts_start 1 || exit 1
out=$(gpu_sim_host 1 --nvswitch --nouveau --secure-boot on 2>&1 && echo "GPU_SIM_UUIDS=$GPU_SIM_UUIDS")
is "gpu_sim_host: silent, sets GPU_SIM_UUIDS" "$out" "GPU_SIM_UUIDS=$UUID0 $UUID1"
GPU_SIM_UUIDS="$UUID0 $UUID1"
is "host 1 sees the fake PCI tree, Secure Boot on, nouveau, no nvidia module" \
	"$(host_exec 1 'ls /sys/bus/pci/devices | tr "\n" " "; od -An -tu1 -j4 -N1 /sys/firmware/efi/efivars/SecureBoot-*; ls /sys/module')" \
	"0000:02:00.0 0000:3b:00.0 0000:3b:00.1 0000:5e:00.0 0000:c4:00.0    1
nouveau"

# The host's apt reads the signed archive only (its Debian sources set aside),
# through a file: source; apt's sandbox user _apt must be able to reach it.
chmod 0711 "$TRASH"
hx() { host_exec 1 "export DEBIAN_FRONTEND=noninteractive; $1"; }
apt_install() { hx "apt-get install -y -q --no-install-recommends $*" >>"$TRASH/apt.log" 2>&1; }
hx "mkdir -p /etc/apt/keyrings && cp '$TRASH/gpuapt/gpu.gpg' /etc/apt/keyrings/lading-gpu.gpg &&
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ ! -e \"\$f\" ] || { mkdir -p /etc/apt/set-aside && mv \"\$f\" /etc/apt/set-aside/; }; done &&
	printf 'Types: deb\nURIs: file:%s\nSuites: gpu\nComponents: main\nSigned-By: /etc/apt/keyrings/lading-gpu.gpg\n' \
		'$ARCHIVE' >/etc/apt/sources.list.d/lading-gpu.sources &&
	apt-get update -q" >"$TRASH/update.log" 2>&1
is "apt-get update on host 1: exit 0" "$?" 0
ok "... with no warning (signature checked)" sh -c "! grep -E '^(W|E):' '$TRASH/update.log'"

ok "nvidia-tesla-535-smi installs (with libnvidia-tesla-535-ml1)" apt_install nvidia-tesla-535-smi
out=$(hx 'nvidia-smi -L' 2>&1)
is "nvidia-smi before the driver: exit 9, the real message" "$? $out" \
	"9 NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."

apt_install nvidia-tesla-535-kernel-dkms
is "nvidia-tesla-535-kernel-dkms without kernel headers: apt-get fails" "$?" 100
ok "... with DKMS's message" grep -qF "Error! Your kernel headers for kernel $KVER cannot be found." "$TRASH/apt.log"
ok "... and no module loaded" test ! -e "$(gpu_sim_module_dir 1)/nvidia"

ok "linux-headers-$KVER installs (apt configures the DKMS package too)" apt_install "linux-headers-$KVER"
is "the DKMS package is installed now, its nouveau blacklist too" \
	"$(hx "dpkg-query -W -f='\${Status} \${Version}' nvidia-tesla-535-kernel-dkms; echo; cat /etc/nvidia/tesla-535/nvidia-blacklists-nouveau.conf | grep -v '^#'")" \
	"install ok installed $D-1
blacklist nouveau"
is "the module is \"loaded\": /sys/module/nvidia/version" "$(cat "$(gpu_sim_module_dir 1)/nvidia/version")" "$D"

is "nvidia-smi -L: both GPUs, fixed UUIDs" "$(hx 'nvidia-smi -L')" \
	"GPU 0: NVIDIA H100 80GB HBM3 (UUID: $UUID0)
GPU 1: NVIDIA H100 80GB HBM3 (UUID: $UUID1)"
is "nvidia-smi --query-gpu=index,uuid,driver_version" \
	"$(hx 'nvidia-smi --query-gpu=index,uuid,driver_version --format=csv,noheader')" \
	"0, $UUID0, $D
1, $UUID1, $D"
is "nvidia-smi --query-gpu with bus ids, memory, nounits" \
	"$(hx 'nvidia-smi --query-gpu=pci.bus_id,memory.total,mig.mode.current --format=csv,noheader,nounits')" \
	"00000000:3B:00.0, 81559, Disabled
00000000:5E:00.0, 81559, Disabled"
hx 'nvidia-smi -q; nvidia-smi -x; echo "rc=$?"' >"$TRASH/q.out" 2>&1
is "nvidia-smi -q: driver version, fabric In Progress on both GPUs (NVSwitch, no fabric manager)" \
	"$(grep -c "^Driver Version  *: $D\$" "$TRASH/q.out") $(grep -c '^        State  *: In Progress$' "$TRASH/q.out")" "1 2"
is "nvidia-smi -x (not implemented): exit 2, the real message" "$(tail -n 2 "$TRASH/q.out")" \
	"Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.
rc=2"

apt_install nvidia-fabricmanager-535 && hx 'nv-fabricmanager -c /usr/share/nvidia/nvswitch/fabricmanager.cfg' >>"$TRASH/apt.log" 2>&1
is "nv-fabricmanager started: nvidia-smi -q shows the fabric Completed" \
	"$(hx 'nvidia-smi -q' | grep -c '^        State  *: Completed$')" 2

ok "nvidia-container-toolkit installs (with -base, libnvidia-container-tools, libnvidia-container1)" \
	apt_install nvidia-container-toolkit
hx 'nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml' >"$TRASH/ctk.out" 2>"$TRASH/ctk.err"
is "nvidia-ctk cdi generate: exit 0, logs to stderr" "$? $(cat "$TRASH/ctk.out" "$TRASH/ctk.err")" \
	"0 INFO[0000] Generated CDI spec with version 0.5.0"
is "nvidia-ctk cdi list: the index names, the UUID names, all" \
	"$(hx 'nvidia-ctk cdi list' 2>&1)" \
	"INFO[0000] Found 5 CDI devices
nvidia.com/gpu=0
nvidia.com/gpu=1
nvidia.com/gpu=$UUID0
nvidia.com/gpu=$UUID1
nvidia.com/gpu=all"

hosts_stop
machine_view >"$TRASH/machine.after"
ok "the machine itself: same PCI tree, firmware, no mounts, no packages, same dpkg status" \
	diff "$TRASH/machine.before" "$TRASH/machine.after"
done_testing
