#!/bin/bash
# GPU preflight facts on a SIMULATED GPU host: no real GPU is involved. Host 1
# is a netns test host whose own mount namespace (and only it) shows, by bind
# mounts made from inside it:
#   /sys/bus/pci/devices  a fake PCI tree: 2 NVIDIA GPUs (0x030200), 1 NVSwitch
#                         (0x068000), the GPUs' audio function and an Intel NIC
#   /sys/firmware         efi/efivars/SecureBoot-<guid> with the 5th byte 1 (on)
#   /sys/module           nouveau/ and nvidia/version (535.216.03)
#   /usr/local/bin        a stand-in nvidia-smi printing the --query-gpu CSV of
#                         SPECS-2 §4 for the two fake GPUs (bus ids in its own
#                         upper-case 8-digit-domain form, in the other order)
# `lading provision facts --json` must report both GPUs with nvidia-smi's UUIDs
# merged by PCI address, one NVSwitch, Secure Boot on and nouveau loaded. Host 2
# is untouched: no GPUs, Secure Boot as this machine has it. The machine's own
# /sys and /usr/local/bin must show none of it.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
plan 13
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

SIM=$TRASH/simulated-gpu-host
UUID0=GPU-4101de38-535a-4255-ac14-a63e072d7a10
UUID1=GPU-9c2e1a9b-6d1f-4b6e-9a51-0c3e1d2f7b88
pci_fn() { # ADDRESS VENDOR DEVICE CLASS
	mkdir -p "$SIM/pci/$1"
	echo "$2" >"$SIM/pci/$1/vendor"
	echo "$3" >"$SIM/pci/$1/device"
	echo "$4" >"$SIM/pci/$1/class"
}
pci_fn 0000:3b:00.0 0x10de 0x2330 0x030200
pci_fn 0000:3b:00.1 0x10de 0x22a3 0x040300
pci_fn 0000:5e:00.0 0x10de 0x2330 0x030200
pci_fn 0000:c4:00.0 0x10de 0x22a3 0x068000
pci_fn 0000:02:00.0 0x8086 0x1572 0x020000
mkdir -p "$SIM/firmware/efi/efivars" "$SIM/module/nouveau" "$SIM/module/nvidia" "$SIM/bin"
printf '\007\000\000\000\001' >"$SIM/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
echo 535.216.03 >"$SIM/module/nvidia/version"
cat >"$SIM/bin/nvidia-smi" <<EOF
#!/bin/sh
# Stand-in nvidia-smi of the SIMULATED GPU host (t0510): --query-gpu with the
# fields SPECS-2 §4 names, --format=csv,noheader,nounits; exit 2 otherwise.
echo "\$*" >>"$SIM/nvidia-smi.calls"
query= format=
for arg; do
	case \$arg in
	--query-gpu=*) query=\${arg#*=} ;;
	--format=*) format=\${arg#*=} ;;
	*) echo "Invalid combination of input arguments." >&2; exit 2 ;;
	esac
done
[ -n "\$query" ] && [ "\$format" = csv,noheader,nounits ] || exit 2
gpu() { # index uuid name memory bus
	line= sep=
	for field in \$(echo "\$query" | tr , ' '); do
		case \$field in
		index) value=\$1 ;; uuid) value=\$2 ;; name) value=\$3 ;; memory.total) value=\$4 ;;
		driver_version) value=535.216.03 ;; pci.bus_id) value=\$5 ;; mig.mode.current) value=Disabled ;;
		*) echo "Field \"\$field\" is not a valid field to query." >&2; exit 2 ;;
		esac
		line="\$line\$sep\$value" sep=", "
	done
	echo "\$line"
}
gpu 1 $UUID1 "NVIDIA H100 80GB HBM3" 81559 00000000:5E:00.0
gpu 0 $UUID0 "NVIDIA H100 80GB HBM3" 81559 00000000:3B:00.0
EOF
chmod 755 "$SIM/bin/nvidia-smi"

# What the machine itself shows, to prove afterwards that nothing leaked.
machine_view() {
	ls /sys/bus/pci/devices
	for dir in /sys/bus/pci/devices /sys/firmware /sys/module /usr/local/bin; do
		echo "$dir: $(findmnt -n --mountpoint "$dir" -o SOURCE,FSROOT)"
	done
	grep -ls "SIMULATED GPU host" /usr/local/bin/nvidia-smi
}
machine_view >"$TRASH/machine.before"

hosts_start 2 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
INV=$TRASH/inv.yml
cat >"$INV" <<EOF2
all:
  vars: {ansible_user: root, ansible_ssh_private_key_file: $HOSTS_KEY}
  hosts:
    h1: {ansible_host: $(host_ip 1)}
    h2: {ansible_host: $(host_ip 2)}
EOF2
prov() { "$LADING" provision "$@" -i "$INV" --known-hosts "$KH"; }

ok "simulated GPU host: bind mounts inside host 1's mount namespace only" host_exec 1 "
	mount --bind '$SIM/pci' /sys/bus/pci/devices &&
	mount --bind '$SIM/firmware' /sys/firmware &&
	mount --bind '$SIM/module' /sys/module &&
	mount --bind '$SIM/bin' /usr/local/bin &&
	test -x /usr/local/bin/nvidia-smi && test -d /sys/bus/pci/devices/0000:c4:00.0"

prov facts --json >"$TRASH/facts.json" 2>"$TRASH/facts.err"
is "facts exit 0" "$?" 0
h1() { jq -c -s ".[] | select(.host == \"h1\") | .facts | $1" "$TRASH/facts.json"; }
h2() { jq -c -s ".[] | select(.host == \"h2\") | .facts | $1" "$TRASH/facts.json"; }
is "h1: the two GPUs from sysfs (audio function, NVSwitch and NIC are not GPUs)" \
	"$(h1 '[.gpus[] | [.pci_address, .vendor_id, .device_id, .class]]')" \
	'[["0000:3b:00.0","0x10de","0x2330","0x030200"],["0000:5e:00.0","0x10de","0x2330","0x030200"]]'
is "h1: nvidia-smi's UUIDs and indexes merged by PCI address" \
	"$(h1 '[.gpus[] | [.index, .uuid]]')" "[[0,\"$UUID0\"],[1,\"$UUID1\"]]"
is "h1: name, memory, driver version and MIG mode from nvidia-smi" \
	"$(h1 '[.gpus[] | [.name, .memory_mib, .driver_version, .mig_mode]] | unique')" \
	'[["NVIDIA H100 80GB HBM3",81559,"535.216.03","Disabled"]]'
is "h1: one NVSwitch" "$(h1 .nvswitches)" 1
is "h1: EFI with Secure Boot on" "$(h1 '[.efi, .secure_boot]')" '[true,true]'
is "h1: nouveau loaded, nvidia module 535.216.03" "$(h1 '[.nouveau_loaded, .nvidia_module]')" \
	'[true,{"loaded":true,"version":"535.216.03"}]'
is "h1: nvidia-smi ran once and exited 0" "$(h1 .nvidia_smi_exit) $(wc -l <"$SIM/nvidia-smi.calls")" "0 1"

if [ -d /sys/firmware/efi ]; then
	machine_efi=true
	sb=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
	case $(od -An -tu1 -j4 -N1 "$sb" 2>/dev/null | tr -d ' ') in
	1) machine_sb=true ;; 0) machine_sb=false ;; *) machine_sb=null ;;
	esac
else
	machine_efi=false machine_sb=null
fi
is "h2 (not simulated): no GPUs, no NVSwitch, no nvidia-smi result" \
	"$(h2 '[.gpus, .nvswitches, .nvidia_smi_exit]')" '[[],0,null]'
is "h2: EFI and Secure Boot as this machine has them" "$(h2 '[.efi, .secure_boot]')" "[$machine_efi,$machine_sb]"

prov facts --limit h1 >"$TRASH/facts.txt" 2>&1
is "text output: one line per GPU with its UUID" \
	"$(grep -c "^  gpu 0000:\(3b\|5e\):00.0 0x2330 NVIDIA H100 80GB HBM3 GPU-.* 81559 MiB driver 535.216.03 mig Disabled\$" "$TRASH/facts.txt")" 2

machine_view >"$TRASH/machine.after"
ok "the machine itself: no bind mount, the same PCI tree and /usr/local/bin as before" \
	diff "$TRASH/machine.before" "$TRASH/machine.after"
done_testing
