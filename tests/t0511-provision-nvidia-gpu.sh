#!/bin/bash
# The nvidia-gpu role on SIMULATED GPU hosts (tests/lib-gpu-sim.sh): no real GPU is involved.
# The hosts' PCI tree, firmware and module directories are fakes bind-mounted in their own
# mount namespaces, and the NVIDIA packages are stand-ins with the real names
# (scripts/mkgpuapt.sh: nvidia-smi and nvidia-ctk print the documented formats). Everything
# else is real: the packages travel in a signed lading bundle, `lading serve` serves them, the
# hosts' apt installs them (apt-repo role), containerd 1.6 reads the config the role writes.
#   h1  2 GPUs + NVSwitch, Secure Boot on, nouveau loaded: check mode, the reboot that nouveau
#       needs (refused, then allowed: sshd goes away and comes back with a new boot id), the
#       unsigned-module refusal, then the whole role; a second run changes nothing
#   h2  no GPU: every step skipped, exit 0
#   h3  2 GPUs + NVSwitch, its own archive: no kernel headers, Fabric Manager 535.183.01 for
#       driver 535.216.03; then the containerd 2.x layout, and a GPU that falls off the bus
# Last, scripts/gpu-check --pack, run inside h1, compares lading's facts with nvidia-smi's.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
. "$TOP/tests/lib-gpu-sim.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces and overlay mounts"
for tool in apt-ftparchive dpkg-deb gpg gpgv containerd python3; do
	command -v "$tool" >/dev/null || skip_all "needs $tool"
done
plan 52
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"
ARCH=$(dpkg --print-architecture)
KVER=$(uname -r)
D=535.216.03

"$TOP/scripts/mkgpuapt.sh" "$TRASH/gpu" || { echo "# cannot build the stand-in archive"; exit 1; }
MKGPUAPT_NO_HEADERS=1 "$TOP/scripts/mkgpuapt.sh" "$TRASH/gpu2" 535.183.01 ||
	{ echo "# cannot build the skewed archive"; exit 1; }
ALL="nvidia-tesla-535-kernel-dkms, nvidia-tesla-535-smi, libnvidia-tesla-535-cuda1, nvidia-persistenced,
      nvidia-fabricmanager-535, nvidia-container-toolkit"
mkdir -p "$TRASH/bundle"
cat >"$TRASH/bundle/lading.yaml" <<YAML
name: gpu-site
packages:
  - apt: file://$TRASH/gpu/archive
    name: gpu
    suite: gpu
    components: [main]
    architectures: [$ARCH]
    keyring: $TRASH/gpu/gpu.gpg
    install: [$ALL, linux-headers-$KVER]
  - apt: file://$TRASH/gpu2/archive
    name: gpu2
    suite: gpu
    components: [main]
    architectures: [$ARCH]
    keyring: $TRASH/gpu2/gpu.gpg
    install: [$ALL]
YAML
"$LADING" key generate --unencrypted -o "$TRASH/k" >/dev/null
LADING_CACHE=$TRASH/cache "$LADING" bundle create -q -f "$TRASH/bundle/lading.yaml" -o "$TRASH/gpu.tar.zst" \
	--sign "$TRASH/k.key" 2>"$TRASH/create.err" || { sed 's/^/# /' "$TRASH/create.err"; exit 1; }

HOSTS_OVERLAY=1
hosts_start 3 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
SERVE_PORT=$(free_port)
"$LADING" serve --plain-http --pubkey "$TRASH/k.pub" --listen "$HOSTS_BRIDGE_IP:$SERVE_PORT" \
	"$TRASH/gpu.tar.zst" >"$TRASH/serve.out" 2>"$TRASH/serve.log" &
at_exit "kill_pid $!"
wait_for_port "$SERVE_PORT" "$HOSTS_BRIDGE_IP" 20 || { sed 's/^/# /' "$TRASH/serve.log"; exit 1; }
URL=http://$HOSTS_BRIDGE_IP:$SERVE_PORT/apt

gpu_sim_host 1 --secure-boot on --nouveau --nvswitch || exit 1
gpu_sim_host 3 --nvswitch || exit 1
MIRROR='version = 2

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"'
for i in 1 2 3; do
	host_exec $i "rm -f /etc/apt/apt.conf.d/99artifact-registry; printf '%s\n' '$MIRROR' >/etc/containerd/config.toml" ||
		exit 1
done
host_exec 1 "echo 'KUBELET_EXTRA_ARGS=\"--max-pods=50\"' >/etc/default/kubelet" || exit 1

cat >"$TRASH/inv.yml" <<YAML
all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: $HOSTS_KEY
    apt_repo_name: gpu
    apt_repo_url: $URL/gpu
    apt_repo_keyring: $TRASH/gpu/gpu.gpg
  hosts:
    h1: {ansible_host: $(host_ip 1)}
    h2: {ansible_host: $(host_ip 2)}
    h3:
      ansible_host: $(host_ip 3)
      apt_repo_name: gpu2
      apt_repo_url: $URL/gpu2
      apt_repo_keyring: $TRASH/gpu2/gpu.gpg
YAML
# no systemd in the test hosts: containerd's restart is recorded, nvidia-persistenced and
# nv-fabricmanager run from their pidfiles; a reboot is asked of the test (below)
cat >"$TRASH/site.yaml" <<YAML
vars:
  apt_repo_suites: gpu
  nvidia_containerd_config: lading
  nvidia_k8s_labels: true
  lading_service_containerd_restart: echo restarted >>/var/tmp/containerd-restarts
  reboot_command: touch /run/lading-test-reboot
  reboot_timeout: "60"
apply:
  - hosts: all
    roles: [apt-repo, nvidia-gpu]
YAML
prov() { "$LADING" provision -i "$TRASH/inv.yml" -s "$TRASH/site.yaml" --known-hosts "$KH" --log-dir "$TRASH/runs" "$@"; }
ev() { jq -r "select(.host == \"$2\" and .step == \"$3\") | $4" "$1"; }
recap() { jq -c "select(.recap) | .recap.$2" "$1"; }

# --- check mode on all three; h2 has no GPU -----------------------------------------------
prov --check --json >"$TRASH/check.json" 2>"$TRASH/check.err"
is "--check: exit 0" "$?" 0
is "h1 --check before apt-repo ran: the driver would come once the archive is in apt's sources" \
	"$(ev "$TRASH/check.json" h1 driver '.status + ": " + .msg')" \
	"changed: would install nvidia-tesla-535-kernel-dkms nvidia-tesla-535-smi libnvidia-tesla-535-cuda1 once the site's archive is in apt's sources (apt knows no nvidia-tesla-535-kernel-dkms yet)"
is "h2 (no GPU): every nvidia-gpu step skipped, 'no NVIDIA GPU' or an unset when" \
	"$(jq -r 'select(.host == "h2" and .role == "nvidia-gpu") | .status' "$TRASH/check.json" | sort | uniq -c | tr -s ' ')" \
	" 12 skipped"
is "h2: the driver step says why" "$(ev "$TRASH/check.json" h2 driver .msg)" "no NVIDIA GPU"
is "h1 preflight: GPUs, NVSwitch, Secure Boot, nouveau" "$(ev "$TRASH/check.json" h1 preflight .msg)" \
	"2 GPUs (0000:3b:00.0 0000:5e:00.0), 1 NVSwitches, kernel $KVER, Secure Boot on, nouveau loaded"
is "h1 --check: nouveau would be blacklisted" "$(ev "$TRASH/check.json" h1 'nouveau blacklisted' .status)" changed
ok "h1 --check wrote no blacklist" test ! -e "$(host_root 1)/etc/modprobe.d/lading-blacklist-nouveau.conf"

# --- h1: nouveau needs a reboot ---------------------------------------------------------------
prov --limit h1 --json >"$TRASH/run1.json" 2>"$TRASH/run1.err"
is "h1 without reboot: allowed: exit 1" "$?" 1
like_msg=$(ev "$TRASH/run1.json" h1 'nouveau blacklisted' .msg)
is "h1: the nouveau step fails saying a reboot is needed and how" "$like_msg" \
	"nouveau blacklisted in /etc/modprobe.d/lading-blacklist-nouveau.conf, no initramfs tool (update-initramfs, dracut) to rebuild; reboot needed (nouveau is loaded): reboot h1 and run again, or set reboot: allowed"
is "h1: the blacklist is written" "$(grep -v '^#' "$(host_root 1)/etc/modprobe.d/lading-blacklist-nouveau.conf" | tr '\n' '|')" \
	"blacklist nouveau|options nouveau modeset=0|"

# The reboot, simulated: once the role has run reboot_command, sshd stops, nouveau is gone
# (the blacklist took effect), the boot id changes and sshd comes back.
BOOT_ID_BEFORE=$(host_exec 1 "cat /proc/sys/kernel/random/boot_id")
sed -i 's/^vars:$/vars:\n  reboot: allowed/' "$TRASH/site.yaml"
(
	prov --limit h1 --json >"$TRASH/run2.json" 2>"$TRASH/run2.err"
	echo $? >"$TRASH/run2.rc"
) &
prov_pid=$!
at_exit "kill_pid $prov_pid"
rebooted=no
for _ in $(seq 1 300); do
	if [ -e "$(host_root 1)/run/lading-test-reboot" ]; then
		host_sshd_stop 1
		rm -rf "$(gpu_sim_module_dir 1)/nouveau"
		cat /proc/sys/kernel/random/uuid >"$TRASH/boot_id"
		host_exec 1 "rm /run/lading-test-reboot && mount --bind '$TRASH/boot_id' /proc/sys/kernel/random/boot_id"
		sleep 2
		host_sshd_start 1
		rebooted=yes
		break
	fi
	kill -0 $prov_pid 2>/dev/null || break
	sleep 0.2
done
wait $prov_pid
run2_rc=$(cat "$TRASH/run2.rc")
is "h1 with reboot: allowed: the role asked for the reboot" "$rebooted" yes
isnt_boot=$(host_exec 1 "cat /proc/sys/kernel/random/boot_id")
ok "h1 came back with another boot id" test -n "$BOOT_ID_BEFORE" -a "$isnt_boot" != "$BOOT_ID_BEFORE"
is "h1: the nouveau step reports the reboot and what it found after it" \
	"$(ev "$TRASH/run2.json" h1 'nouveau blacklisted' '.status + ": " + .msg')" "changed: rebooted; nouveau is not loaded"
is "h1: Secure Boot on and no MOK: the driver step refuses to build an unsigned module (exit 1)" \
	"$run2_rc $(ev "$TRASH/run2.json" h1 driver '.status + ": " + .msg')" \
	"1 failed: Secure Boot is on and the DKMS-built nvidia module would be unsigned: enroll a MOK (/var/lib/dkms/mok.pub, mokutil --import) or turn Secure Boot off in the firmware"
ok "h1: nothing of the driver installed" test -z "$(host_exec 1 "dpkg-query -W -f='\${Status}' nvidia-tesla-535-kernel-dkms 2>/dev/null | grep ' installed'")"

# --- h1: the whole role ------------------------------------------------------------------------
# a MOK enrolled (the stand-in for `mokutil --import` and the firmware's confirmation)
host_exec 1 "mkdir -p /var/lib/dkms && echo stand-in >/var/lib/dkms/mok.pub" || exit 1
prov --limit h1 --json >"$TRASH/run3.json" 2>"$TRASH/run3.err"
is "h1: the role converges: exit 0" "$?" 0
is "h1: steps in order, each with its status" \
	"$(jq -r 'select(.host == "h1" and .role == "nvidia-gpu") | .step + "=" + .status' "$TRASH/run3.json" | tr '\n' ' ')" \
	"preflight=ok nouveau blacklisted=ok runfile installer on the node=skipped driver=changed nvidia-persistenced=changed fabric manager=changed container toolkit=changed containerd nvidia runtime=changed restart containerd=changed CDI spec=changed smoke test=skipped kubernetes labels and taint=changed "
is "h1: the headers came with the driver, which is loaded" "$(ev "$TRASH/run3.json" h1 driver .msg)" \
	"driver $D installed and loaded; nvidia-smi lists the 2 GPUs"
is "h1: linux-headers-$KVER installed by the driver step" \
	"$(host_exec 1 "dpkg-query -W -f='\${Status}' linux-headers-$KVER")" "install ok installed"
is "h1: fabric manager at the driver's version, fabric Completed" "$(ev "$TRASH/run3.json" h1 'fabric manager' .msg)" \
	"installed nvidia-fabricmanager-535 $D-1, started, fabric state Completed on 2 GPUs"
is "h1: the toolkit's four packages at one version" \
	"$(host_exec 1 "dpkg-query -W -f='\${Version} ' nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools libnvidia-container1")" \
	"1.17.8-1 1.17.8-1 1.17.8-1 1.17.8-1 "
host_exec 1 "containerd config dump" >"$TRASH/dump1.toml" 2>"$TRASH/dump1.err"
is "h1: containerd 1.6 itself reads the nvidia runtime" \
	"$(python3 -c 'import sys, tomllib; r = tomllib.load(open(sys.argv[1], "rb"))["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["nvidia"]; print(r["runtime_type"], r["options"]["BinaryName"])' "$TRASH/dump1.toml")" \
	"io.containerd.runc.v2 /usr/bin/nvidia-container-runtime"
is "h1: ... and keeps the registry mirror's config_path" \
	"$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["plugins"]["io.containerd.grpc.v1.cri"]["registry"]["config_path"])' "$TRASH/dump1.toml")" \
	/etc/containerd/certs.d
is "h1: containerd restarted once" "$(cat "$(host_root 1)/var/tmp/containerd-restarts")" restarted
is "h1: the CDI spec names every GPU and all" \
	"$(host_exec 1 'nvidia-ctk cdi list 2>/dev/null' | tr '\n' ' ')" \
	"nvidia.com/gpu=0 nvidia.com/gpu=1 nvidia.com/gpu=$(echo "$GPU_SIM_UUIDS" | cut -d' ' -f1) nvidia.com/gpu=$(echo "$GPU_SIM_UUIDS" | cut -d' ' -f2) nvidia.com/gpu=all "
ok "h1: the CDI spec is /etc/cdi/nvidia.yaml" test -s "$(host_root 1)/etc/cdi/nvidia.yaml"
is "h1: kubelet's extra args keep the site's own and add the labels and taint" \
	"$(cat "$(host_root 1)/etc/default/kubelet")" \
	'KUBELET_EXTRA_ARGS="--max-pods=50 --node-labels=nvidia.com/gpu.present=true,nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3,nvidia.com/gpu.count=2 --register-with-taints=nvidia.com/gpu=present:NoSchedule"'
ok "h1: nvidia-persistenced and nv-fabricmanager run" host_exec 1 \
	'kill -0 $(cat /run/nvidia-persistenced/nvidia-persistenced.pid) && kill -0 $(cat /run/nvidia-fabricmanager/nv-fabricmanager.pid)'

prov --limit h1 --json >"$TRASH/run4.json" 2>"$TRASH/run4.err"
is "h1 second run: exit 0" "$?" 0
is "h1 second run: nothing changed" "$(recap "$TRASH/run4.json" h1)" \
	'{"ok":13,"changed":0,"skipped":5,"failed":0,"unreachable":0}'
is "h1 second run: containerd not restarted again" "$(wc -l <"$(host_root 1)/var/tmp/containerd-restarts")" 1
prov --limit h1 --check --json >"$TRASH/check2.json" 2>"$TRASH/check2.err"
is "h1 --check after converging: nothing would change" "$(recap "$TRASH/check2.json" h1)" \
	'{"ok":13,"changed":0,"skipped":5,"failed":0,"unreachable":0}'
"$LADING" provision facts -i "$TRASH/inv.yml" --known-hosts "$KH" --limit h1 --json >"$TRASH/facts.json" 2>"$TRASH/facts.err"
is "h1 facts: the installed driver seen through nvidia-smi, UUIDs by PCI address" \
	"$(jq -c '[.facts.gpus[] | [.pci_address, .uuid, .driver_version]]' "$TRASH/facts.json")" \
	"[[\"0000:3b:00.0\",\"$(echo "$GPU_SIM_UUIDS" | cut -d' ' -f1)\",\"$D\"],[\"0000:5e:00.0\",\"$(echo "$GPU_SIM_UUIDS" | cut -d' ' -f2)\",\"$D\"]]"

# --- h3: failure paths --------------------------------------------------------------------
prov --limit h3 --json >"$TRASH/h3a.json" 2>"$TRASH/h3a.err"
is "h3: no headers for the running kernel anywhere: the driver step names the package (exit 1)" \
	"$? $(ev "$TRASH/h3a.json" h3 driver .msg)" \
	"1 the driver's DKMS build needs linux-headers-$KVER, which is neither installed nor in this host's package sources: add linux-headers-$KVER to the bundle's packages"
host_exec 3 "dpkg -i $TRASH/gpu/archive/pool/main/linux-headers-${KVER}_1.0-1_*.deb >/dev/null" || exit 1
prov --limit h3 --json >"$TRASH/h3b.json" 2>"$TRASH/h3b.err"
is "h3: headers installed: the driver goes in" "$(ev "$TRASH/h3b.json" h3 driver .status)" changed
is "h3: Fabric Manager 535.183.01 against driver $D: refused, both versions named" \
	"$(ev "$TRASH/h3b.json" h3 'fabric manager' .msg)" \
	"nvidia-fabricmanager-535 must be exactly the driver's version $D; installed: none, in this host's package sources: 535.183.01-1: add nvidia-fabricmanager-535 $D to the bundle's packages"
ok "h3: no Fabric Manager installed" test -z "$(host_exec 3 "dpkg-query -W -f='\${Status}' nvidia-fabricmanager-535 2>/dev/null | grep ' installed'")"

# the containerd 2.x layout (a config prepared for containerd 2 while 1.6 is installed)
host_exec 3 "dpkg -i $TRASH/gpu/archive/pool/main/nvidia-fabricmanager-535_${D}-1_*.deb >/dev/null" || exit 1
sed -i 's/^      apt_repo_keyring: .*gpu2.*/&\n      nvidia_containerd_version: 2.0.5/' "$TRASH/inv.yml"
prov --limit h3 --json >"$TRASH/h3c.json" 2>"$TRASH/h3c.err"
is "h3: containerd 2.x layout written; proof needs containerd 2 (exit 0)" \
	"$? $(ev "$TRASH/h3c.json" h3 'containerd nvidia runtime' '.status + ": " + .msg')" \
	"0 changed: runtimes.nvidia configured (lading, containerd 2); not proven: this host runs containerd 1, containerd config dump cannot read version 3"
python3 - "$(host_root 3)/etc/containerd" >"$TRASH/v3.txt" 2>&1 <<'PY'
import sys, tomllib
d = sys.argv[1]
main = tomllib.load(open(d + "/config.toml", "rb"))
drop = tomllib.load(open(d + "/conf.d/99-nvidia.toml", "rb"))
r = drop["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["nvidia"]
print(main["version"], main["imports"], main["plugins"]["io.containerd.grpc.v1.cri"]["registry"]["config_path"])
print(drop["version"], r["runtime_type"], r["options"]["BinaryName"])
PY
is "h3: main config imports conf.d and keeps config_path; the drop-in is version 3 with the runtime" \
	"$(cat "$TRASH/v3.txt")" \
	"2 ['/etc/containerd/conf.d/*.toml'] /etc/containerd/certs.d
3 io.containerd.runc.v2 /usr/bin/nvidia-container-runtime"
prov --limit h3 --json >"$TRASH/h3d.json" 2>"$TRASH/h3d.err"
is "h3: second run: the 2.x layout changes nothing" "$(ev "$TRASH/h3d.json" h3 'containerd nvidia runtime' .status)" ok

host_exec 3 "echo 0000:5e:00.0 >>/etc/nvidia-sim/lost" || exit 1
prov --limit h3 --json >"$TRASH/h3e.json" 2>"$TRASH/h3e.err"
is "h3: a GPU fell off the bus: the driver step fails on the count (exit 1)" \
	"$? $(ev "$TRASH/h3e.json" h3 driver .msg)" \
	"1 nvidia-smi -L lists 1 GPUs but the PCI bus has 2 (0000:3b:00.0 0000:5e:00.0): a GPU is not initialised or fell off the bus; see dmesg and nvidia-smi -q"

# --- scripts/gpu-check inside h1 -------------------------------------------------------------
"$TOP/scripts/gpu-check" --pack "$TRASH/pack" "$LADING" >"$TRASH/pack.out" 2>&1
is "gpu-check --pack: exit 0" "$?" 0
host_exec 1 "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $TRASH/pack/gpu-check" >"$TRASH/gpu-check.out" 2>&1
is "gpu-check inside h1 (the packed binary): PASS" "$? $(tail -n 1 "$TRASH/gpu-check.out")" "0 gpu-check: PASS (2 GPUs, driver $D)"
is "gpu-check compared both GPUs with nvidia-smi" "$(grep -c '^ok: GPU [01] GPU-.*: 81559 MiB, driver '"$D"' (as nvidia-smi says)$' "$TRASH/gpu-check.out")" 2
host_exec 2 "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $TRASH/pack/gpu-check" >"$TRASH/gpu-check2.out" 2>&1
is "gpu-check on h2 (no GPU): SKIP, exit 77" "$? $(tail -n 1 "$TRASH/gpu-check2.out")" \
	"77 gpu-check: SKIP no NVIDIA GPU or no nvidia-smi on $(host_name 2) (PCI GPUs: 0)"

# --- h2 becomes a GPU host: a .run installer while an older driver is loaded ---------------
gpu_sim_host 2 || exit 1
mkdir "$(gpu_sim_module_dir 2)/nvidia" && echo 530.30.02 >"$(gpu_sim_module_dir 2)/nvidia/version" || exit 1
RUN=$TRASH/NVIDIA-Linux-x86_64-$D.run
{
	echo '#!/bin/sh'
	echo '# stand-in NVIDIA .run installer for the SIMULATED GPU host of t0511; not NVIDIA software'
	echo 'echo "$*" >/var/tmp/nvidia-installer.args'
	echo '[ -e "/lib/modules/$(uname -r)/build" ] || { echo "ERROR: no kernel headers for $(uname -r)" >&2; exit 1; }'
	echo "cat >/usr/bin/nvidia-smi <<'STANDIN_SMI'"
	dpkg-deb --fsys-tarfile "$(ls "$TRASH"/gpu/archive/pool/main/nvidia-tesla-535-smi_*.deb)" | tar -xO ./usr/bin/nvidia-smi
	echo 'STANDIN_SMI'
	echo 'chmod 755 /usr/bin/nvidia-smi'
	echo "[ -d /sys/module/nvidia ] || { mkdir /sys/module/nvidia && echo $D >/sys/module/nvidia/version; }"
} >"$RUN"
sed -i "s|^    h2: {ansible_host: \(.*\)}\$|    h2: {ansible_host: \1, nvidia_driver_runfile: '$RUN', reboot: 'no'}|" "$TRASH/inv.yml"
prov --limit h2 --json >"$TRASH/h2a.json" 2>"$TRASH/h2a.err"
is "h2: the .run installer ran, but 530.30.02 stays loaded: reboot needed (exit 1)" \
	"$? $(ev "$TRASH/h2a.json" h2 driver .msg)" \
	"1 driver $D installed; reboot needed (driver $D installed, 530.30.02 still loaded (in use)): reboot h2 and run again, or set reboot: allowed"
is "h2: the installer ran silently with DKMS" "$(cat "$(host_root 2)/var/tmp/nvidia-installer.args")" \
	"--silent --dkms --no-questions --ui=none"
is "h2: the running kernel's headers were installed before it" \
	"$(host_exec 2 "dpkg-query -W -f='\${Status}' linux-headers-$KVER")" "install ok installed"
echo "$D" >"$(gpu_sim_module_dir 2)/nvidia/version" # the reboot
prov --limit h2 --json >"$TRASH/h2b.json" 2>"$TRASH/h2b.err"
is "h2 after the reboot: the role converges (exit 0), the driver step ok" \
	"$? $(ev "$TRASH/h2b.json" h2 driver '.status + ": " + .msg')" \
	"0 ok: driver $D loaded; nvidia-smi lists the 2 GPUs"
is "h2: no NVSwitch, no Fabric Manager; no kubelet, no labels" \
	"$(ev "$TRASH/h2b.json" h2 'fabric manager' .msg) / $(ev "$TRASH/h2b.json" h2 'kubernetes labels and taint' .msg)" \
	"no NVSwitch: Fabric Manager is not needed / no kubelet on this node"

# --- h1: the smoke test needs a running containerd ------------------------------------------
sed -i "s|^    h1: {ansible_host: \(.*\)}\$|    h1: {ansible_host: \1, nvidia_smoke_image: 'nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04'}|" "$TRASH/inv.yml"
prov --limit h1 --json >"$TRASH/smoke.json" 2>"$TRASH/smoke.err"
is "h1: smoke test without a running containerd fails saying so (exit 1)" \
	"$? $(ev "$TRASH/smoke.json" h1 'smoke test' .msg)" \
	"1 containerd is not running (no /run/containerd/containerd.sock): start it, then run again"
prov --limit h1 --check --json >"$TRASH/smoke-check.json" 2>"$TRASH/smoke-check.err"
is "h1 --check: the smoke test says what it would do" "$(ev "$TRASH/smoke-check.json" h1 'smoke test' .msg)" \
	"would pull nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04 through the internal registry and run nvidia-smi -L in it"
done_testing
