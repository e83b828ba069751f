# Sourced by tests after test-lib.sh: N SSH test hosts, each a network namespace
# with Debian's own `sshd -D`, its own host key, users, hostname and private
# copies of the directories the roles touch. Needs root. Everything is torn
# down by PID at exit (hosts_stop is registered with at_exit).
#
# Layout (per test run, unique by the test's PID, collisions checked under a lock):
#   bridge ldb<pid> in the root namespace, address 198.18.X.1/24 (X unique per run):
#     a registry the hosts must reach listens on $HOSTS_BRIDGE_IP (127.0.0.1 inside
#     a host is the host's own loopback)
#   host I (1..N): netns ld<pid>h<I>, eth0 = 198.18.X.(10+I), veth peer ld<pid>h<I>
#     on the bridge; no default route (nothing leaves the machine)
#   each host runs as `nsenter --net=/run/netns/NAME unshare --mount --uts
#     --propagation private sh -c SETUP` (not `ip netns exec`, which remounts /sys):
#     SETUP mounts a tmpfs /run (with /run/sshd), bind-mounts private copies of
#     /etc/containerd /etc/containers /etc/docker /etc/ssl/certs /usr/local/share/ca-certificates
#     /var/lib/containerd and of /etc/passwd /etc/group /etc/shadow /etc/hosts
#     /etc/sudoers.d, sets the hostname, then stays as the anchor process (a sleep)
#     whose namespaces host_exec and the host's sshd enter. No systemd.
#   HOSTS_OVERLAY=1 (set before hosts_start): each host also gets an overlayfs over
#     $HOSTS_OVERLAY_DIRS (/usr /etc /var /opt: what dpkg and apt write, /bin /lib /sbin
#     being symlinks into /usr on Debian 12; /var holds dpkg's and apt's state, caches,
#     debconf and the logs), mounted before the private copies above, which stay on top.
#     The lower layer is the machine's own tree, read-only through the overlay; the
#     upper and work directories live on a tmpfs at $HOSTS_DIR/hI/overlay that only
#     the host's mount namespace sees (overlayfs over the root ext4 works here as a
#     lower layer, and a tmpfs upper needs no cleanup: it goes with the namespace).
#     So `apt-get install` inside a host lands in that host's layer only, and the
#     machine's /var/lib/dpkg/status is untouched. host_root I shows the host's tree
#     from outside (/proc/<anchor>/root). Off by default: the mounts cost time.
#   users on every host: root, lading (sudo NOPASSWD), ladingpw (sudo wants a
#     password); all accept $HOSTS_KEY (a per-test ed25519 key, no passphrase);
#     homes (root's too) under the host's private /run/home
#   sshd listens on ports 22 and 2222 (2222 for "[host]:port" known_hosts tests);
#     its log is $TRASH/sshd-hI.log (shown by test-lib when a test fails)
#
# Functions (I is a host index 1..N or its netns name):
#   hosts_start N             start hosts 1..N; sets HOSTS_COUNT HOSTS_NET (198.18.X)
#                             HOSTS_BRIDGE HOSTS_BRIDGE_IP HOSTS_KEY HOSTS_DIR
#   hosts_stop                kill every process of every host by PID, delete
#                             namespaces, links, routes (done at exit too)
#   host_name I / host_ip I   netns name / address of host I
#   host_exec I CMD           run `sh -c CMD` inside host I (net, mount, uts namespaces)
#   host_path I PATH          where host I's private PATH lives, seen from outside
#                             (PATH under one of the private directories above)
#   host_root I               host I's whole tree as its mount namespace sees it
#                             (overlays included), seen from outside
#   host_spawn I LOG CMD...   start a daemon inside host I (output to LOG); its PID
#                             is in HOST_SPAWN_PID and it is killed by hosts_stop
#   host_sshd_stop I          stop sshd: the host becomes unreachable (refused)
#   host_sshd_start I         start it again (after sshd_config changes)
#   host_rekey I              give host I a new host key (known_hosts files written
#                             before hold the old one) and restart its sshd
#   host_sshd_option I LINE   prepend an sshd_config line and restart sshd
#   host_hide I               host I is unreachable from the root namespace (an
#                             "unreachable" /32 route) but still reachable from the
#                             other hosts: reach it through one of them as jump host
#   hosts_add_key PUBFILE     authorize another client key for every user on every host
#   hosts_known_hosts FILE [I...]  write known_hosts lines (addr and [addr]:2222) for
#                             the given hosts (default all)
#   hosts_inventory FILE [I...]    write an Ansible YAML inventory: hosts h<I>,
#                             ansible_host = address, user root, key $HOSTS_KEY

HOSTS_SSH_PORTS="22 2222"
HOSTS_OVERLAY_DIRS=${HOSTS_OVERLAY_DIRS:-/usr /etc /var /opt}

# A leak inside libssh2 1.10 itself (ECDSA key files) must not fail check-asan runs:
# suppressed by a libssh2 frame, which only the slow unwinder sees through libcrypto.
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)/tests/lsan-libssh2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

_host_idx() {
	case $1 in
	*[!0-9]*) echo "${1##*h}" ;;
	*) echo "$1" ;;
	esac
}

host_name() { echo "ld$$h$(_host_idx "$1")"; }
host_ip() { echo "$HOSTS_NET.$((10 + $(_host_idx "$1")))"; }
_host_dir() { echo "$HOSTS_DIR/h$(_host_idx "$1")"; }
_host_anchor() { cat "$(_host_dir "$1")/anchor.pid"; }

host_path() { echo "$(_host_dir "$1")/root$2"; }
host_root() { echo "/proc/$(_host_anchor "$1")/root"; }

host_exec() {
	_he_anchor=$(_host_anchor "$1")
	nsenter --target "$_he_anchor" --net --mount --uts sh -c "$2"
}

host_spawn() {
	_hs_anchor=$(_host_anchor "$1")
	_hs_dir=$(_host_dir "$1")
	_hs_log=$2
	shift 2
	nsenter --target "$_hs_anchor" --net --mount --uts "$@" >>"$_hs_log" 2>&1 </dev/null &
	HOST_SPAWN_PID=$!
	echo "$HOST_SPAWN_PID" >>"$_hs_dir/spawned.pids"
}

# Picks X so that 198.18.X.0/24 is used by no address or route here; call under the lock.
_hosts_pick_net() {
	_hp_x=$(($$ % 250 + 2))
	_hp_tries=0
	while [ $_hp_tries -lt 250 ]; do
		if ! ip -4 -o addr show | grep -q " 198\.18\.$_hp_x\." &&
			! ip -4 route show table all | grep -q "198\.18\.$_hp_x\."; then
			echo "$_hp_x"
			return 0
		fi
		_hp_x=$((_hp_x % 250 + 2))
		_hp_tries=$((_hp_tries + 1))
	done
	return 1
}

# Removes leftovers of an earlier run that had our PID (killed with SIGKILL).
_hosts_clean_stale() {
	for _hc_ns in $(ip netns list | awk '{print $1}' | grep "^ld$$h[0-9]*\$"); do
		for _hc_pid in $(ip netns pids "$_hc_ns" 2>/dev/null); do kill -9 "$_hc_pid" 2>/dev/null; done
		ip netns del "$_hc_ns" 2>/dev/null
	done
	for _hc_link in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^ld$$h[0-9]*\$"); do
		ip link del "$_hc_link" 2>/dev/null
	done
	ip link del "ldb$$" 2>/dev/null
	return 0
}

_hosts_write_sshd_config() {
	_hw_dir=$1
	{
		cat "$_hw_dir/sshd_extra" 2>/dev/null
		for _hw_port in $HOSTS_SSH_PORTS; do echo "Port $_hw_port"; done
		cat <<EOF
ListenAddress 0.0.0.0
HostKey $_hw_dir/ssh_host_ed25519_key
PidFile /run/sshd.pid
AuthorizedKeysFile /run/lading/keys/%u
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
MaxStartups 200
MaxSessions 50
LogLevel VERBOSE
EOF
	} >"$_hw_dir/sshd_config"
}

# The inside of a host: runs in its own mount and uts namespaces, then becomes the anchor.
_hosts_setup_script() {
	cat <<'EOF'
set -e
D=$1; NAME=$2; KEY=$3; OVERLAY_DIRS=$4
R=$D/root
hostname "$NAME"
# Overlays first: the private copies below are bind-mounted on top of them.
if [ -n "$OVERLAY_DIRS" ]; then
	mkdir -p "$D/overlay"
	mount -t tmpfs -o mode=0755,size=2g tmpfs "$D/overlay"
	for d in $OVERLAY_DIRS; do
		n=$(echo "$d" | tr / _)
		mkdir -p "$D/overlay/$n.upper" "$D/overlay/$n.work"
		mount -t overlay overlay -o "lowerdir=$d,upperdir=$D/overlay/$n.upper,workdir=$D/overlay/$n.work" "$d"
	done
fi
for d in /etc/containerd /etc/containers /etc/docker /etc/ssl/certs /usr/local/share/ca-certificates /var/lib/containerd; do
	mkdir -p "$R$d" "$d"
	cp -a "$d/." "$R$d/"
	mount --bind "$R$d" "$d"
done
mount -t tmpfs -o mode=0755,size=64m tmpfs /run
mkdir -p /run/sshd /run/lading/keys /run/home/root /run/home/lading /run/home/ladingpw /run/lock
chmod 0700 /run/home/root
chmod 0755 /run/sshd
mkdir -p "$D/etc/sudoers.d"
cp /etc/passwd /etc/group /etc/shadow "$D/etc/"
# root gets a private home too: the machine's /root (its .bashrc, which sshd's bash
# reads even for `ssh host cmd`) must not run inside every test host.
sed -i 's#^\(root:[^:]*:0:0:[^:]*:\)[^:]*:#\1/run/home/root:#' "$D/etc/passwd"
echo "lading:x:4711:4711:lading test user:/run/home/lading:/bin/sh" >>"$D/etc/passwd"
echo "ladingpw:x:4712:4712:lading test user (sudo with password):/run/home/ladingpw:/bin/sh" >>"$D/etc/passwd"
echo "lading:x:4711:" >>"$D/etc/group"
echo "ladingpw:x:4712:" >>"$D/etc/group"
echo "lading:*:19000:0:99999:7:::" >>"$D/etc/shadow"
echo "ladingpw:*:19000:0:99999:7:::" >>"$D/etc/shadow"
printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$NAME" >"$D/etc/hosts"
echo "lading ALL=(ALL) NOPASSWD: ALL" >"$D/etc/sudoers.d/lading"
echo "ladingpw ALL=(ALL) ALL" >"$D/etc/sudoers.d/ladingpw"
chmod 0440 "$D/etc/sudoers.d/lading" "$D/etc/sudoers.d/ladingpw"
echo "$NAME" >"$D/etc/hostname"
for f in passwd group shadow hosts hostname; do mount --bind "$D/etc/$f" "/etc/$f"; done
mount --bind "$D/etc/sudoers.d" /etc/sudoers.d
chown 4711:4711 /run/home/lading
chown 4712:4712 /run/home/ladingpw
for u in root lading ladingpw; do cp "$KEY.pub" "/run/lading/keys/$u"; done
chmod 0644 /run/lading/keys/*
echo ready >"$D/ready"
exec sleep 2147483647
EOF
}

_host_sshd_spawn() {
	_hs_dir=$(_host_dir "$1")
	_hs_idx=$(_host_idx "$1")
	_hosts_write_sshd_config "$_hs_dir"
	nsenter --target "$(_host_anchor "$1")" --net --mount --uts \
		/usr/sbin/sshd -D -e -f "$_hs_dir/sshd_config" >>"$TRASH/sshd-h$_hs_idx.log" 2>&1 </dev/null &
	echo $! >"$_hs_dir/sshd.pid"
}

_host_sshd_wait() {
	[ -e "$(_host_dir "$1")/hidden" ] && return 0
	if ! wait_for_port 22 "$(host_ip "$1")" 10; then
		echo "# sshd of host $1 did not start" >&2
		return 1
	fi
}

host_sshd_start() {
	_host_sshd_spawn "$1" && _host_sshd_wait "$1"
}

host_sshd_stop() {
	_hs_dir=$(_host_dir "$1")
	[ -s "$_hs_dir/sshd.pid" ] || return 0
	kill_pid "$(cat "$_hs_dir/sshd.pid")"
	: >"$_hs_dir/sshd.pid"
}

host_sshd_option() {
	_ho_dir=$(_host_dir "$1")
	echo "$2" >>"$_ho_dir/sshd_extra"
	host_sshd_stop "$1"
	host_sshd_start "$1"
}

host_rekey() {
	_hr_dir=$(_host_dir "$1")
	host_sshd_stop "$1"
	rm -f "$_hr_dir/ssh_host_ed25519_key" "$_hr_dir/ssh_host_ed25519_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C "$(host_name "$1")-rekeyed" -f "$_hr_dir/ssh_host_ed25519_key"
	host_sshd_start "$1"
}

host_hide() {
	_hh_ip=$(host_ip "$1")
	ip route add unreachable "$_hh_ip/32" || return 1
	echo "$_hh_ip" >>"$HOSTS_DIR/hidden.routes"
	: >"$(_host_dir "$1")/hidden"
}

hosts_add_key() {
	_ha_i=1
	while [ $_ha_i -le "$HOSTS_COUNT" ]; do
		host_exec "$_ha_i" "for u in root lading ladingpw; do cat '$1' >>/run/lading/keys/\$u; done" || return 1
		_ha_i=$((_ha_i + 1))
	done
}

_hosts_list() {
	if [ $# -gt 0 ]; then echo "$@"; else seq 1 "$HOSTS_COUNT"; fi
}

hosts_known_hosts() {
	_hk_file=$1
	shift
	for _hk_i in $(_hosts_list "$@"); do
		_hk_key=$(cut -d' ' -f1,2 "$(_host_dir "$_hk_i")/ssh_host_ed25519_key.pub")
		echo "$(host_ip "$_hk_i") $_hk_key"
		echo "[$(host_ip "$_hk_i")]:2222 $_hk_key"
	done >>"$_hk_file"
}

hosts_inventory() {
	_hi_file=$1
	shift
	{
		echo "all:"
		echo "  vars:"
		echo "    ansible_user: root"
		echo "    ansible_ssh_private_key_file: $HOSTS_KEY"
		echo "  hosts:"
		for _hi_i in $(_hosts_list "$@"); do
			echo "    h$_hi_i: {ansible_host: $(host_ip "$_hi_i")}"
		done
	} >"$_hi_file"
}

hosts_start() {
	_hs_n=$1
	HOSTS_DIR=$TRASH/hosts
	HOSTS_COUNT=0
	HOSTS_BRIDGE=ldb$$
	mkdir -p "$HOSTS_DIR"
	at_exit hosts_stop
	_hosts_clean_stale
	exec 9>"${TMPDIR:-/tmp}/lading-hosts.lock"
	flock -w 30 9 || { echo "# cannot lock the test network allocation" >&2; return 1; }
	if ! _hs_x=$(_hosts_pick_net); then
		exec 9>&-
		echo "# no free 198.18.X.0/24 network" >&2
		return 1
	fi
	HOSTS_NET=198.18.$_hs_x
	HOSTS_BRIDGE_IP=$HOSTS_NET.1
	ip link add "$HOSTS_BRIDGE" type bridge &&
		ip addr add "$HOSTS_BRIDGE_IP/24" dev "$HOSTS_BRIDGE" &&
		ip link set "$HOSTS_BRIDGE" up
	_hs_rc=$?
	exec 9>&-
	[ $_hs_rc -eq 0 ] || return 1
	if [ "${HOSTS_OVERLAY:-0}" = 1 ]; then
		# The host's own files must not sit under a directory its overlay hides.
		for _hs_d in $HOSTS_OVERLAY_DIRS; do
			case "$(cd "$HOSTS_DIR" && pwd -P)/" in "$_hs_d"/*)
				echo "# HOSTS_OVERLAY: $HOSTS_DIR is under $_hs_d; set TMPDIR elsewhere" >&2
				return 1
				;;
			esac
		done
	fi
	HOSTS_KEY=$HOSTS_DIR/id_ed25519
	ssh-keygen -q -t ed25519 -N '' -C lading-test -f "$HOSTS_KEY" || return 1
	_hosts_setup_script >"$HOSTS_DIR/setup.sh"
	# Each phase for all hosts before the next: the waits overlap.
	for _hs_i in $(seq 1 "$_hs_n"); do
		_hosts_start_one "$_hs_i" || return 1
		HOSTS_COUNT=$_hs_i
	done
	for _hs_i in $(seq 1 "$_hs_n"); do _hosts_wait_ready "$_hs_i" || return 1; done
	for _hs_i in $(seq 1 "$_hs_n"); do _host_sshd_spawn "$_hs_i"; done
	for _hs_i in $(seq 1 "$_hs_n"); do _host_sshd_wait "$_hs_i" || return 1; done
}

# Creates the namespace, the link and the anchor of host I (see _hosts_wait_ready).
_hosts_start_one() {
	_ho_name=$(host_name "$1")
	_ho_dir=$(_host_dir "$1")
	mkdir -p "$_ho_dir/etc"
	: >"$_ho_dir/spawned.pids"
	ssh-keygen -q -t ed25519 -N '' -C "$_ho_name" -f "$_ho_dir/ssh_host_ed25519_key" || return 1
	ip netns add "$_ho_name" &&
		ip link add "$_ho_name" type veth peer name eth0 netns "$_ho_name" &&
		ip link set "$_ho_name" master "$HOSTS_BRIDGE" up &&
		ip -n "$_ho_name" addr add "$(host_ip "$1")/24" dev eth0 &&
		ip -n "$_ho_name" link set eth0 up &&
		ip -n "$_ho_name" link set lo up || return 1
	nsenter --net="/run/netns/$_ho_name" unshare --mount --uts --propagation private \
		sh "$HOSTS_DIR/setup.sh" "$_ho_dir" "$_ho_name" "$HOSTS_KEY" \
		"$([ "${HOSTS_OVERLAY:-0}" = 1 ] && echo "$HOSTS_OVERLAY_DIRS")" \
		>>"$TRASH/sshd-h$1.log" 2>&1 </dev/null &
	echo $! >"$_ho_dir/anchor.pid"
}

# Waits until host I's setup script has made its mounts (or died).
_hosts_wait_ready() {
	_ho_dir=$(_host_dir "$1")
	_ho_tries=200
	while [ ! -e "$_ho_dir/ready" ] && [ $_ho_tries -gt 0 ]; do
		kill -0 "$(cat "$_ho_dir/anchor.pid")" 2>/dev/null || break
		sleep 0.05
		_ho_tries=$((_ho_tries - 1))
	done
	if [ ! -e "$_ho_dir/ready" ]; then
		echo "# host $1 did not come up; log:" >&2
		sed 's/^/# /' "$TRASH/sshd-h$1.log" >&2
		return 1
	fi
}

hosts_stop() {
	[ -n "${HOSTS_DIR:-}" ] && [ -d "$HOSTS_DIR" ] || return 0
	for _hx_dir in "$HOSTS_DIR"/h*; do
		[ -d "$_hx_dir" ] || continue
		for _hx_pid in $(cat "$_hx_dir/sshd.pid" "$_hx_dir/spawned.pids" 2>/dev/null); do
			kill "$_hx_pid" 2>/dev/null
		done
	done
	for _hx_dir in "$HOSTS_DIR"/h*; do
		[ -d "$_hx_dir" ] || continue
		_hx_name=ld$$h${_hx_dir##*/h}
		# Whatever still runs in the namespace (sessions, commands) belongs to this test.
		for _hx_pid in $(ip netns pids "$_hx_name" 2>/dev/null) $(cat "$_hx_dir/anchor.pid" 2>/dev/null); do
			kill_pid "$_hx_pid"
		done
		ip netns del "$_hx_name" 2>/dev/null
		ip link del "$_hx_name" 2>/dev/null
	done
	for _hx_ip in $(cat "$HOSTS_DIR/hidden.routes" 2>/dev/null); do
		ip route del unreachable "$_hx_ip/32" 2>/dev/null
	done
	rm -f "$HOSTS_DIR/hidden.routes"
	ip link del "$HOSTS_BRIDGE" 2>/dev/null
	rm -rf "$HOSTS_DIR"
	HOSTS_DIR=
	return 0
}
