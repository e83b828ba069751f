#!/bin/bash
# mkgpuapt.sh DIR [FABRICMANAGER_VERSION]: a small signed apt archive of STAND-IN
# NVIDIA packages for the SIMULATED GPU host of lading's tests (tests/lib-gpu-sim.sh).
# The .debs carry the real Debian/NVIDIA package names but are built here; every
# file they ship says it is a stand-in, not NVIDIA software. Their programs read
# the simulated host's state (fake sysfs bind-mounted inside one test host) and
# print what SPECS-2 §4 documents for the real ones.
#
#   DIR/archive/dists/gpu/{Release,InRelease}            signed by a throwaway ed25519 key
#   DIR/archive/dists/gpu/main/binary-amd64/Packages{,.gz}
#   DIR/archive/pool/main/*.deb
#   DIR/gpu.gpg                                          the signing key (binary keyring)
#
# Packages (D = 535.216.03, the driver; FM = FABRICMANAGER_VERSION, default D):
#   nvidia-tesla-535-kernel-dkms D-1      postinst: fails without /lib/modules/$(uname -r)/build
#                                         (DKMS's message), else "loads" the module: creates
#                                         /sys/module/nvidia/version = D unless a module is loaded
#   nvidia-tesla-535-kernel-support D-1   /etc/nvidia/tesla-535/nvidia-blacklists-nouveau.conf
#   nvidia-tesla-535-smi D-1              /usr/bin/nvidia-smi (-L, --query-gpu, -q)
#   libnvidia-tesla-535-ml1, libnvidia-tesla-535-cuda1, firmware-nvidia-tesla-535-gsp D-1
#   nvidia-persistenced 535.171.04-1      /usr/bin/nvidia-persistenced (background daemon)
#   nvidia-fabricmanager-535 FM-1         /usr/bin/nv-fabricmanager (daemon; refuses to start
#                                         when the loaded module's version is not FM)
#   nvidia-container-toolkit-base 1.17.8-1   /usr/bin/nvidia-ctk (--version, cdi generate, cdi list)
#   nvidia-container-toolkit 1.17.8-1     /usr/bin/nvidia-container-runtime (refuses to run)
#   libnvidia-container-tools, libnvidia-container1 1.17.8-1
#   linux-headers-$(uname -r) 1.0-1       /usr/src/linux-headers-KVER/Makefile and
#                                         /usr/lib/modules/KVER/build -> it; its .deb is built
#                                         but left out of the archive with MKGPUAPT_NO_HEADERS=1
# Simulated state the programs read (besides sysfs): /etc/nvidia-sim/uuids
# ("PCI_ADDRESS UUID" lines), /etc/nvidia-sim/lost (addresses of GPUs that fell
# off the bus), the daemons' pid files under /run. Prints nothing on success.
set -eu
dir=${1:?usage: mkgpuapt.sh DIR [FABRICMANAGER_VERSION]}
D=535.216.03
FM=${2:-$D}
PERSISTENCED=535.171.04
CTK=1.17.8
KVER=$(uname -r)
STANDIN="stand-in for the SIMULATED GPU host of lading's tests; not NVIDIA software"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
arc=$dir/archive
work=$dir/.mkgpuapt
rm -rf "$arc" "$work"
mkdir -p "$arc/pool/main" "$arc/dists/gpu/main/binary-amd64" "$work"
cleanup() {
	if [ -d "$work/gnupg" ]; then GNUPGHOME=$work/gnupg gpgconf --kill all 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# stage NAME: the staging root of package NAME (with its doc file).
stage() {
	mkdir -p "$work/$1/DEBIAN" "$work/$1/usr/share/doc/$1"
	printf '%s: %s.\n' "$1" "$STANDIN" >"$work/$1/usr/share/doc/$1/README"
	echo "$work/$1"
}

# put_script NAME PATH: installs stdin, with @D@ @FM@ @PERSISTENCED@ @CTK@ @STANDIN@
# replaced, as executable PATH of package NAME.
put_script() {
	mkdir -p "$(dirname "$work/$1$2")"
	sed -e "s|@D@|$D|g" -e "s|@FM@|$FM|g" -e "s|@PERSISTENCED@|$PERSISTENCED|g" \
		-e "s|@CTK@|$CTK|g" -e "s|@STANDIN@|$STANDIN|g" >"$work/$1$2"
	chmod 0755 "$work/$1$2"
}

# mkdeb NAME VERSION [FIELD: VALUE]...: builds the staged package NAME.
mkdeb() {
	name=$1 version=$2
	shift 2
	root=$work/$name
	[ -d "$root" ] || stage "$name" >/dev/null
	{
		echo "Package: $name"
		echo "Version: $version"
		echo "Architecture: amd64"
		echo "Maintainer: lading tests <t@example.org>"
		echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
		echo "Section: non-free/misc"
		echo "Priority: optional"
		for field in "$@"; do echo "$field"; done
		echo "Description: $name ($STANDIN)"
		echo " Built by lading's scripts/mkgpuapt.sh for its SIMULATED GPU host tests."
	} >"$root/DEBIAN/control"
	if [ -d "$root/etc" ]; then
		(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"
	fi
	dpkg-deb --root-owner-group -Zgzip -b "$root" "$arc/pool/main/${name}_${version}_amd64.deb" >/dev/null
}

# --- the kernel module (DKMS) and its support files
stage nvidia-tesla-535-kernel-dkms >/dev/null
put_script nvidia-tesla-535-kernel-dkms /DEBIAN/postinst <<'EOF'
#!/bin/sh
# postinst of nvidia-tesla-535-kernel-dkms: @STANDIN@.
# Like DKMS it needs the running kernel's headers; then it "loads" the module the
# way the simulated host shows one (/sys/module there is a writable directory).
# A module already loaded (another version) stays until reboot, as in reality.
set -e
[ "${1:-}" = configure ] || exit 0
k=$(uname -r)
if [ ! -e "/lib/modules/$k/build" ]; then
	echo "Error! Your kernel headers for kernel $k cannot be found." >&2
	exit 1
fi
if [ ! -e /sys/module/nvidia ]; then
	if ! { mkdir /sys/module/nvidia && echo @D@ >/sys/module/nvidia/version; } 2>/dev/null; then
		echo "nvidia-tesla-535-kernel-dkms (stand-in): not a SIMULATED GPU host, module not loaded" >&2
	fi
fi
exit 0
EOF
mkdeb nvidia-tesla-535-kernel-dkms "$D-1" "Depends: nvidia-tesla-535-kernel-support (= $D-1)"

r=$(stage nvidia-tesla-535-kernel-support)
mkdir -p "$r/etc/nvidia/tesla-535"
printf '# %s\nblacklist nouveau\n' "$STANDIN" >"$r/etc/nvidia/tesla-535/nvidia-blacklists-nouveau.conf"
mkdeb nvidia-tesla-535-kernel-support "$D-1"

# --- nvidia-smi
stage nvidia-tesla-535-smi >/dev/null
put_script nvidia-tesla-535-smi /usr/bin/nvidia-smi <<'EOF'
#!/bin/sh
# nvidia-smi: @STANDIN@.
# Reads the simulated host: GPUs are /sys/bus/pci/devices/* with vendor 0x10de and
# class 0x0300xx/0x0302xx, in PCI address order, minus those listed in
# /etc/nvidia-sim/lost; UUIDs from /etc/nvidia-sim/uuids; the driver version from
# /sys/module/nvidia/version. Formats and exit codes: SPECS-2 §4.
# Supports -L, --query-gpu=FIELDS --format=csv,noheader[,nounits] and -q.
LC_ALL=C
export LC_ALL
invalid() {
	echo "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help."
	exit 2
}
mode='' query='' format=''
for arg; do
	case $arg in
	-L) [ -z "$mode" ] || invalid; mode=list ;;
	-q) [ -z "$mode" ] || invalid; mode=report ;;
	--query-gpu=*) [ -z "$mode" ] || invalid; mode=query query=${arg#*=} ;;
	--format=*) [ -z "$format" ] || invalid; format=${arg#*=} ;;
	*) invalid ;;
	esac
done
case $mode in
query) case $format in csv,noheader | csv,noheader,nounits) ;; *) invalid ;; esac
	[ -n "$query" ] || invalid
	for field in $(echo "$query" | tr , ' '); do
		case $field in
		index | uuid | name | memory.total | driver_version | pci.bus_id | mig.mode.current) ;;
		*) echo "Field \"$field\" is not a valid field to query."; exit 2 ;;
		esac
	done ;;
list | report) [ -z "$format" ] || invalid ;;
*) invalid ;;
esac
if [ ! -r /sys/module/nvidia/version ]; then
	echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."
	exit 9
fi
driver=$(cat /sys/module/nvidia/version)
NAME="NVIDIA H100 80GB HBM3"
MEMORY=81559

gpus='' nvswitches=0 count=0
for d in /sys/bus/pci/devices/*; do
	if [ ! -r "$d/vendor" ] || [ ! -r "$d/class" ]; then continue; fi
	[ "$(cat "$d/vendor")" = 0x10de ] || continue
	case $(cat "$d/class") in
	0x0300* | 0x0302*) ;;
	0x0680*) nvswitches=$((nvswitches + 1)); continue ;;
	*) continue ;;
	esac
	a=${d##*/}
	[ -r /etc/nvidia-sim/lost ] && grep -qxF "$a" /etc/nvidia-sim/lost && continue
	gpus="$gpus $a" count=$((count + 1))
done
uuid_of() {
	u=$(awk -v a="$1" '$1 == a { print $2; exit }' /etc/nvidia-sim/uuids 2>/dev/null)
	[ -n "$u" ] || u=GPU-00000000-0000-0000-0000-$(echo "$1" | tr -d ':.' | cut -c1-12)
	echo "$u"
}
bus_id_of() { # 0000:3b:00.0 -> 00000000:3B:00.0
	rest=${1#*:}
	printf '%08X:%02X:%02X.0' "0x${1%%:*}" "0x${rest%%:*}" "0x$(echo "$rest" | cut -d: -f2 | cut -d. -f1)"
}
alive() { # PIDFILE: its process runs (a killed one not yet reaped is a zombie: dead)
	[ -s "$1" ] || return 1
	pid=$(cat "$1")
	kill -0 "$pid" 2>/dev/null || return 1
	state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)
	[ -n "$state" ] && [ "$state" != Z ]
}

i=0
case $mode in
list)
	for a in $gpus; do
		printf 'GPU %u: %s (UUID: %s)\n' "$i" "$NAME" "$(uuid_of "$a")"
		i=$((i + 1))
	done ;;
query)
	case $format in *nounits) mem=$MEMORY ;; *) mem="$MEMORY MiB" ;; esac
	for a in $gpus; do
		line='' sep=''
		for field in $(echo "$query" | tr , ' '); do
			case $field in
			index) value=$i ;;
			uuid) value=$(uuid_of "$a") ;;
			name) value=$NAME ;;
			memory.total) value=$mem ;;
			driver_version) value=$driver ;;
			pci.bus_id) value=$(bus_id_of "$a") ;;
			mig.mode.current) value=Disabled ;;
			esac
			line="$line$sep$value" sep=", "
		done
		echo "$line"
		i=$((i + 1))
	done ;;
report)
	kv() { printf '%-42s: %s\n' "$1" "$2"; }
	if alive /run/nvidia-persistenced/nvidia-persistenced.pid; then persistence=Enabled; else persistence=Disabled; fi
	if [ "$nvswitches" -eq 0 ]; then
		fabric_state=N/A fabric_status=N/A
	elif alive /run/nvidia-fabricmanager/nv-fabricmanager.pid; then
		fabric_state=Completed fabric_status=Success
	else
		fabric_state="In Progress" fabric_status=N/A
	fi
	echo
	echo "==============NVSMI LOG=============="
	echo
	kv "Timestamp" "$(date '+%a %b %e %H:%M:%S %Y')"
	kv "Driver Version" "$driver"
	kv "CUDA Version" "12.2"
	echo
	kv "Attached GPUs" "$count"
	for a in $gpus; do
		echo "GPU $(bus_id_of "$a")"
		kv "    Product Name" "$NAME"
		kv "    Product Architecture" "Hopper"
		kv "    Persistence Mode" "$persistence"
		echo "    MIG Mode"
		kv "        Current" "Disabled"
		kv "        Pending" "Disabled"
		kv "    GPU UUID" "$(uuid_of "$a")"
		kv "    Minor Number" "$i"
		echo "    Fabric"
		kv "        State" "$fabric_state"
		kv "        Status" "$fabric_status"
		echo "    FB Memory Usage"
		kv "        Total" "$MEMORY MiB"
		echo
		i=$((i + 1))
	done ;;
esac
exit 0
EOF
mkdeb nvidia-tesla-535-smi "$D-1" "Depends: libnvidia-tesla-535-ml1 (= $D-1)"
for p in libnvidia-tesla-535-ml1 libnvidia-tesla-535-cuda1 firmware-nvidia-tesla-535-gsp; do
	mkdeb "$p" "$D-1"
done

# --- the daemons: daemon NAME PIDFILE VERSION-LINE [CHECK]
daemon() {
	cat <<EOF
#!/bin/sh
# $1: @STANDIN@.
# With no arguments it starts a background process (its own session, stdio on
# /dev/null) that writes its pid to $2 and sleeps until killed,
# then exits 0 once that pid file is written.
pidfile=$2
case "\${1:-}" in
--version) echo "$3"; exit 0 ;;
EOF
	cat
	cat <<'EOF'
*) echo "$0: this stand-in does not implement: $*" >&2; exit 1 ;;
esac
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null &&
	[ "$(sed 's/.*) //' "/proc/$(cat "$pidfile")/stat" 2>/dev/null | cut -c1)" != Z ]; then
	echo "$0: already running (pid $(cat "$pidfile"))" >&2
	exit 1
fi
mkdir -p "${pidfile%/*}"
rm -f "$pidfile"
# shellcheck disable=SC2016 # expanded by the daemon's shell
setsid sh -c 'echo $$ >"$1.tmp" && mv "$1.tmp" "$1" && exec sleep 2147483647' sh "$pidfile" \
	</dev/null >/dev/null 2>&1 &
n=100
while [ ! -s "$pidfile" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
[ -s "$pidfile" ] || { echo "$0: the daemon did not start" >&2; exit 1; }
exit 0
EOF
}
stage nvidia-persistenced >/dev/null
daemon nvidia-persistenced /run/nvidia-persistenced/nvidia-persistenced.pid \
	"nvidia-persistenced:  version @PERSISTENCED@" <<'EOF' | put_script nvidia-persistenced /usr/bin/nvidia-persistenced
"") ;;
EOF
mkdeb nvidia-persistenced "$PERSISTENCED-1"

r=$(stage nvidia-fabricmanager-535)
mkdir -p "$r/usr/share/nvidia/nvswitch"
printf '# fabricmanager.cfg: %s\n' "$STANDIN" >"$r/usr/share/nvidia/nvswitch/fabricmanager.cfg"
# Like the real one it refuses a driver whose version is not its own (SPECS-2 §4).
daemon nv-fabricmanager /run/nvidia-fabricmanager/nv-fabricmanager.pid \
	"Fabric Manager version is : @FM@" <<'EOF' | put_script nvidia-fabricmanager-535 /usr/bin/nv-fabricmanager
"" | -c | --config)
	if [ ! -r /sys/module/nvidia/version ]; then
		echo "request to query NVIDIA driver information failed with error: the NVIDIA driver is not loaded" >&2
		exit 1
	fi
	if [ "$(cat /sys/module/nvidia/version)" != @FM@ ]; then
		echo "fabric manager NVIDIA GPU driver interface version @FM@ don't match with driver version $(cat /sys/module/nvidia/version). Please update with matching NVIDIA driver package." >&2
		exit 1
	fi ;;
EOF
mkdeb nvidia-fabricmanager-535 "$FM-1"

# --- the container toolkit
stage nvidia-container-toolkit-base >/dev/null
put_script nvidia-container-toolkit-base /usr/bin/nvidia-ctk <<'EOF'
#!/bin/sh
# nvidia-ctk: @STANDIN@.
# --version; cdi generate [--output=PATH] (from nvidia-smi's GPUs: devices named by
# index, by UUID and "all"); cdi list (every device in /etc/cdi and /var/run/cdi).
LC_ALL=C
export LC_ALL
unimplemented() { echo "ERRO[0000] this stand-in does not implement: $*" >&2; exit 1; }

generate() {
	output=
	while [ $# -gt 0 ]; do
		case $1 in
		--output=*) output=${1#*=} ;;
		--output) [ $# -ge 2 ] || unimplemented cdi generate "$@"; output=$2; shift ;;
		--device-name-strategy=index | --device-name-strategy=uuid | --format=yaml) ;;
		*) unimplemented cdi generate "$@" ;;
		esac
		shift
	done
	if ! gpus=$(nvidia-smi --query-gpu=index,uuid --format=csv,noheader 2>&1); then
		echo "ERRO[0000] failed to generate CDI spec: failed to initialize NVML: nvidia-smi: $(echo "$gpus" | head -n 1)" >&2
		exit 1
	fi
	spec() {
		echo "# CDI spec written by nvidia-ctk, @STANDIN@."
		echo "cdiVersion: 0.5.0"
		echo "kind: nvidia.com/gpu"
		echo "devices:"
		echo "$gpus" | while IFS=', ' read -r index uuid; do
			[ -n "$index" ] || continue
			printf -- '- name: "%s"\n  containerEdits:\n    deviceNodes:\n    - path: /dev/nvidia%s\n' "$index" "$index"
		done
		echo "$gpus" | while IFS=', ' read -r index uuid; do
			[ -n "$index" ] || continue
			printf -- '- name: %s\n  containerEdits:\n    deviceNodes:\n    - path: /dev/nvidia%s\n' "$uuid" "$index"
		done
		printf -- '- name: all\n  containerEdits:\n    deviceNodes:\n'
		echo "$gpus" | while IFS=', ' read -r index uuid; do
			[ -n "$index" ] && printf '    - path: /dev/nvidia%s\n' "$index"
		done
		printf 'containerEdits:\n  deviceNodes:\n  - path: /dev/nvidiactl\n'
	}
	if [ -z "$output" ]; then
		spec
	else
		dir=$(dirname "$output")
		mkdir -p "$dir" || exit 1
		tmp=$(mktemp "$dir/.nvidia-ctk.XXXXXX") || exit 1
		if ! spec >"$tmp" || ! chmod 0644 "$tmp" || ! mv -f "$tmp" "$output"; then
			rm -f "$tmp"
			echo "ERRO[0000] failed to write CDI spec to $output" >&2
			exit 1
		fi
	fi
	echo "INFO[0000] Generated CDI spec with version 0.5.0" >&2
}

# Prints "KIND=NAME" for every device of one spec file, in file order.
devices_of() {
	case $1 in
	*.json)
		kind=$(grep -o '"kind" *: *"[^"]*"' "$1" | head -n 1 | sed 's/.*: *"\(.*\)"/\1/')
		grep -o '"name" *: *"[^"]*"' "$1" | sed "s|.*: *\"\\(.*\\)\"|$kind=\\1|" ;;
	*)
		awk -v sq="'" '
		function unq(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+(#.*)?$/, "", s); gsub("^[\"" sq "]|[\"" sq "]$", "", s); return s }
		/^kind:/ { kind = $0; sub(/^kind:/, "", kind); kind = unq(kind) }
		/^devices:/ { in_dev = 1; indent = -1; next }
		/^[^ \t#-]/ { in_dev = 0 }
		in_dev && match($0, /^ *- /) {
			n = RLENGTH - 2
			if (indent < 0) indent = n
			if (n == indent) {
				rest = substr($0, RLENGTH + 1)
				if (rest ~ /^name:/) { sub(/^name:/, "", rest); names[++count] = unq(rest) }
				next
			}
		}
		in_dev && indent >= 0 && match($0, /^ *name:/) && RLENGTH - 5 == indent + 2 {
			rest = substr($0, RLENGTH + 1); names[++count] = unq(rest)
		}
		END { for (i = 1; i <= count; i++) print kind "=" names[i] }' "$1" ;;
	esac
}

list() {
	[ $# -eq 0 ] || unimplemented cdi list "$@"
	out=
	for f in /etc/cdi/*.yaml /etc/cdi/*.json /var/run/cdi/*.yaml /var/run/cdi/*.json; do
		[ -f "$f" ] || continue
		out="$out$(devices_of "$f")
"
	done
	out=$(printf '%s' "$out" | grep -v '^$')
	if [ -n "$out" ]; then n=$(printf '%s\n' "$out" | wc -l); else n=0; fi
	echo "INFO[0000] Found $n CDI devices" >&2
	[ -z "$out" ] || printf '%s\n' "$out"
}

case "${1:-}" in
--version)
	[ $# -eq 1 ] || unimplemented "$@"
	echo "NVIDIA Container Toolkit CLI version @CTK@"
	echo "commit: stand-in" ;;
cdi)
	case "${2:-}" in
	generate) shift 2; generate "$@" ;;
	list) shift 2; list "$@" ;;
	*) unimplemented "$@" ;;
	esac ;;
*) unimplemented "$@" ;;
esac
EOF
mkdeb nvidia-container-toolkit-base "$CTK-1"

stage nvidia-container-toolkit >/dev/null
put_script nvidia-container-toolkit /usr/bin/nvidia-container-runtime <<'EOF'
#!/bin/sh
# nvidia-container-runtime: @STANDIN@.
echo "nvidia-container-runtime: @STANDIN@; it runs no containers" >&2
exit 1
EOF
mkdeb nvidia-container-toolkit "$CTK-1" \
	"Depends: nvidia-container-toolkit-base (= $CTK-1), libnvidia-container-tools (= $CTK-1)"
mkdeb libnvidia-container-tools "$CTK-1" "Depends: libnvidia-container1 (= $CTK-1)"
mkdeb libnvidia-container1 "$CTK-1"

# --- the running kernel's headers (what DKMS looks for)
r=$(stage "linux-headers-$KVER")
mkdir -p "$r/usr/src/linux-headers-$KVER" "$r/usr/lib/modules/$KVER"
printf '# Makefile of linux-headers-%s: %s\n' "$KVER" "$STANDIN" >"$r/usr/src/linux-headers-$KVER/Makefile"
ln -s "/usr/src/linux-headers-$KVER" "$r/usr/lib/modules/$KVER/build"
mkdeb "linux-headers-$KVER" 1.0-1
if [ -n "${MKGPUAPT_NO_HEADERS:-}" ]; then
	mkdir -p "$dir/extra"
	mv "$arc"/pool/main/linux-headers-*.deb "$dir/extra/"
fi

# --- indexes, Release, signature
idx=dists/gpu/main/binary-amd64
(cd "$arc" && apt-ftparchive packages pool >"$idx/Packages")
gzip -9kn "$arc/$idx/Packages"
# Written outside the scanned tree, or it lists a half-written copy of itself.
(cd "$arc/dists/gpu" && apt-ftparchive \
	-o APT::FTPArchive::Release::Origin=lading-gpu-stand-in -o APT::FTPArchive::Release::Label=gpu \
	-o APT::FTPArchive::Release::Suite=gpu -o APT::FTPArchive::Release::Codename=gpu \
	-o APT::FTPArchive::Release::Architectures=amd64 -o APT::FTPArchive::Release::Components=main \
	release . >"$work/Release")
mv "$work/Release" "$arc/dists/gpu/Release"

export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg() { command gpg --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }
gpg --quick-gen-key 'lading gpu stand-in <gpu@example.org>' ed25519 sign never 2>/dev/null
gpg --export gpu@example.org >"$dir/gpu.gpg"
gpg --local-user gpu@example.org --clearsign -o "$arc/dists/gpu/InRelease" "$arc/dists/gpu/Release"
