#!/bin/bash
# The same work with `lading provision`, with `ansible-playbook` (Debian's ansible-core)
# and with parallel-scp + parallel-ssh (Debian's pssh) on 16 netns test hosts
# (scripts/lib-hosts.sh), same hosts: copy a 100 MiB file and run 3 commands on every
# host, 16 hosts at once. Each tool starts from hosts without the file; prints the wall
# times and lading's ratio to each.
#
#   usage: scripts/bench/provision-vs-ansible.sh   (env: LADING, HOSTS=16, FILE_MIB=100; needs root)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# test-lib gives the per-run trash directory and cleanup by PID; lib-hosts the hosts.
export LADING=${LADING:-$TOP/lading}
. "$TOP/tests/test-lib.sh"
. "$TOP/scripts/lib-bench.sh"
. "$TOP/scripts/lib-hosts.sh"
HOSTS=${HOSTS:-16}
FILE_MIB=${FILE_MIB:-100}
[ "$(id -u)" = 0 ] || { echo "bench: needs root for network namespaces" >&2; exit 1; }
command -v ansible-playbook >/dev/null || { echo "bench: ansible-playbook missing (scripts/deps)" >&2; exit 1; }
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start "$HOSTS" >/dev/null || exit 1
# ansible's copy wants SFTP (else it falls back to slower transfers); lading needs none
for i in $(seq 1 "$HOSTS"); do host_sshd_option "$i" "Subsystem sftp internal-sftp" >/dev/null || exit 1; done
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
head -c $((FILE_MIB * 1024 * 1024)) /dev/urandom >"$TRASH/big.bin"
DEST=/var/lib/containerd/bench

INV=$TRASH/inv.yml
{
	echo "all:"
	echo "  vars:"
	echo "    ansible_user: root"
	echo "    ansible_ssh_private_key_file: $HOSTS_KEY"
	echo "    ansible_ssh_common_args: '-o UserKnownHostsFile=$KH -o StrictHostKeyChecking=yes'"
	echo "    ansible_python_interpreter: /usr/bin/python3"
	# root's home is on the host's small /run tmpfs; ansible stages the copy in its remote tmp
	echo "    ansible_remote_tmp: /var/lib/containerd/.ansible-tmp"
	echo "  hosts:"
	for i in $(seq 1 "$HOSTS"); do echo "    h$i: {ansible_host: $(host_ip "$i")}"; done
} >"$INV"

cat >"$TRASH/site.yaml" <<YAML
apply:
  - hosts: all
    roles: [bench]
roles:
  bench:
    - copy: {src: big.bin, dest: $DEST/big.bin, mode: "0644"}
    - shell: "uname -a > $DEST/uname"
    - shell: "sha256sum $DEST/big.bin > $DEST/big.sha256"
    - shell: "df -k $DEST > $DEST/df"
YAML
cat >"$TRASH/play.yml" <<YAML
- hosts: all
  gather_facts: false
  tasks:
    - copy: {src: $TRASH/big.bin, dest: $DEST/big.bin, mode: "0644"}
    - shell: "uname -a > $DEST/uname"
    - shell: "sha256sum $DEST/big.bin > $DEST/big.sha256"
    - shell: "df -k $DEST > $DEST/df"
YAML

clean_hosts() { # an empty destination directory (ansible's copy does not create it)
	for i in $(seq 1 "$HOSTS"); do rm -rf "$(host_path "$i" "$DEST")" && mkdir -p "$(host_path "$i" "$DEST")"; done
}
check_hosts() { # every host got the file and ran the three commands
	want=$(sha256sum <"$TRASH/big.bin" | cut -c1-64)
	for i in $(seq 1 "$HOSTS"); do
		[ "$(cut -c1-64 "$(host_path "$i" "$DEST/big.sha256")" 2>/dev/null)" = "$want" ] &&
			[ -s "$(host_path "$i" "$DEST/uname")" ] && [ -s "$(host_path "$i" "$DEST/df")" ] ||
			{ echo "bench: h$i did not get the work done" >&2; return 1; }
	done
}
clean_hosts
t0=$(now)
"$LADING" provision -i "$INV" -s "$TRASH/site.yaml" --known-hosts "$KH" --forks "$HOSTS" \
	--log-dir "$TRASH/runs" >"$TRASH/lading.out" 2>&1 || { tail -n 20 "$TRASH/lading.out" >&2; exit 1; }
t1=$(now)
check_hosts || exit 1

clean_hosts
t2=$(now)
ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_LOCAL_TEMP=$TRASH/ansible-tmp ANSIBLE_NOCOLOR=1 \
	ansible-playbook -i "$INV" -f "$HOSTS" "$TRASH/play.yml" >"$TRASH/ansible.out" 2>&1 ||
	{ tail -n 20 "$TRASH/ansible.out" >&2; exit 1; }
t3=$(now)
check_hosts || exit 1

# parallel-scp + parallel-ssh (Debian's pssh, OpenSSH underneath): the plain-ssh floor
PSSH_OPTS=(-p "$HOSTS" -t 0 -l root -x "-i $HOSTS_KEY -o UserKnownHostsFile=$KH -o StrictHostKeyChecking=yes -o BatchMode=yes")
for i in $(seq 1 "$HOSTS"); do host_ip "$i"; done >"$TRASH/pssh.hosts"
clean_hosts
t4=$(now)
{ parallel-scp -h "$TRASH/pssh.hosts" "${PSSH_OPTS[@]}" "$TRASH/big.bin" "$DEST/big.bin" &&
	parallel-ssh -h "$TRASH/pssh.hosts" "${PSSH_OPTS[@]}" "uname -a > $DEST/uname" &&
	parallel-ssh -h "$TRASH/pssh.hosts" "${PSSH_OPTS[@]}" "sha256sum $DEST/big.bin > $DEST/big.sha256" &&
	parallel-ssh -h "$TRASH/pssh.hosts" "${PSSH_OPTS[@]}" "df -k $DEST > $DEST/df"; } >"$TRASH/pssh.out" 2>&1 ||
	{ tail -n 20 "$TRASH/pssh.out" >&2; exit 1; }
t5=$(now)
check_hosts || exit 1

awk -v l="$t1 - $t0" -v a="$t3 - $t2" -v p="$t5 - $t4" -v n="$HOSTS" -v m="$FILE_MIB" 'BEGIN {
	split(l, x, " - "); l = x[1] - x[2]; split(a, y, " - "); a = y[1] - y[2]; split(p, z, " - "); p = z[1] - z[2]
	printf "provision %d hosts (copy %d MiB + 3 commands each):\n", n, m
	printf "  lading provision          %7.2f s\n", l
	printf "  ansible-playbook          %7.2f s   lading/ansible %5.2f (goal <= 0.10)\n", a, l / a
	printf "  parallel-scp + -ssh (x3)  %7.2f s   lading/pssh    %5.2f (goal <= 1.20)\n", p, l / p
}'
