#!/bin/bash
# become where sudo asks for a password: the user ladingpw on a test host gets
# a real password (sudo with PAM). A step runs as root with the password from
# LADING_BECOME_PASSWORD, from ansible_become_password in the inventory and
# from --ask-become-pass (asked once on a terminal, not echoed); uploads through
# sudo still carry the file intact (the password never lands in a command's
# input); --ask-become-pass without a terminal is refused; a wrong password
# fails in one line naming the host; ansible_become_user runs as another user.
# The password never shows in lading's output, --json, run logs, the process
# list sampled during the runs, or any file of the host.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
command -v sudo >/dev/null || skip_all "needs sudo"
plan 20
unset SSH_AUTH_SOCK LADING_BECOME_PASSWORD
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start 1 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"

PW="Lp$$-s3cret-Become-pw"
HASH=$(openssl passwd -6 "$PW") || exit 1
# /etc/shadow is the host's private copy (a bind mount): rewrite it in place.
printf 's|^ladingpw:[^:]*:|ladingpw:%s:|\n' "$HASH" >"$TRASH/shadow.sed"
host_exec 1 "sed -f '$TRASH/shadow.sed' /etc/shadow >'$TRASH/shadow.new' && cat '$TRASH/shadow.new' >/etc/shadow" ||
	exit 1
rm -f "$TRASH/shadow.new"

inventory() { # FILE EXTRA-HOST-VARS
	cat >"$1" <<YAML
all:
  vars: {ansible_user: ladingpw, ansible_ssh_private_key_file: $HOSTS_KEY, ansible_become: true}
  hosts:
    h1: {ansible_host: $(host_ip 1)$2}
YAML
}
inventory "$TRASH/inv.yml" ""
inventory "$TRASH/inv-pw.yml" ", ansible_become_password: '$PW'"
inventory "$TRASH/inv-user.yml" ", ansible_become_user: lading"

head -c 300000 /dev/urandom >"$TRASH/payload.bin"
cat >"$TRASH/site.yaml" <<'YAML'
apply:
  - hosts: all
    roles: [root-work]
roles:
  root-work:
    - copy: {src: payload.bin, dest: /var/lib/containerd/become/payload.bin}
    - shell: {cmd: "id -u > /etc/containerd/become-uid"}
    - shell: {cmd: "id -un > /etc/containerd/become-user"}
YAML

# The process list, sampled all through the runs (bounded), for the password.
(
	n=0
	while [ $n -lt 6000 ] && [ ! -e "$TRASH/ps.stop" ]; do
		ps -eo args >>"$TRASH/ps.log" 2>/dev/null
		n=$((n + 1))
		sleep 0.02
	done
) &
PS_PID=$!
at_exit "kill_pid $PS_PID"

shell() { "$LADING" provision shell --known-hosts "$KH" --connect-timeout 10 "$@"; }
apply() { "$LADING" provision apply --known-hosts "$KH" --connect-timeout 10 -s "$TRASH/site.yaml" --log-dir "$TRASH/runs" "$@"; }

# No password: sudo -n refuses, as before, and says where a password can come from.
shell -i "$TRASH/inv.yml" 'id -u' >"$TRASH/nopw.out" 2>"$TRASH/nopw.err"; st=$?
ok "without a password: fails naming the ways to give one" \
	test "$st" = 1 -a "$(grep -c "^h1: failed: sudo wants a password for user 'ladingpw'.*--ask-become-pass, LADING_BECOME_PASSWORD, ansible_become_password" "$TRASH/nopw.out")" = 1

# 1. LADING_BECOME_PASSWORD
LADING_BECOME_PASSWORD=$PW shell -i "$TRASH/inv.yml" --json 'id -u' >"$TRASH/env.json" 2>"$TRASH/env.err"; st=$?
is "LADING_BECOME_PASSWORD: the command ran as root" "$st:$(jq -r 'select(.host) | .stdout' "$TRASH/env.json")" "0:0"

# 2. ansible_become_password in the inventory: a whole role, an upload among its steps.
apply -i "$TRASH/inv-pw.yml" --json >"$TRASH/inv.json" 2>"$TRASH/inv.err"; st=$?
is "ansible_become_password: apply exit 0, every step changed" \
	"$st $(jq -c 'select(.recap) | .recap.h1' "$TRASH/inv.json")" \
	'0 {"ok":0,"changed":3,"skipped":0,"failed":0,"unreachable":0}'
ok "the upload through sudo arrived intact (no password in its input)" \
	cmp "$TRASH/payload.bin" "$(host_path 1 /var/lib/containerd/become/payload.bin)"
is "... and the steps ran as root" "$(cat "$(host_path 1 /etc/containerd/become-uid)")" 0

# A password given where sudo asks for none (NOPASSWD user lading): it goes nowhere, the upload is intact.
rm -f "$(host_path 1 /var/lib/containerd/become/payload.bin)"
sed 's/ansible_user: ladingpw/ansible_user: lading/' "$TRASH/inv-pw.yml" >"$TRASH/inv-nopasswd.yml"
apply -i "$TRASH/inv-nopasswd.yml" --json >"$TRASH/nopasswd.json" 2>"$TRASH/nopasswd.err"; st=$?
is "NOPASSWD user with a password given: exit 0" "$st" 0
ok "... the upload is intact (the unasked password did not reach the command's input)" \
	cmp "$TRASH/payload.bin" "$(host_path 1 /var/lib/containerd/become/payload.bin)"

# 3. --ask-become-pass on a terminal: asked once for the whole run, nothing echoed.
rm -f "$(host_path 1 /var/lib/containerd/become/payload.bin)" "$(host_path 1 /etc/containerd/become-uid)"
cat >"$TRASH/ask-tty.py" <<'PY'
import os, pty, select, sys, time
pw = os.environ["PW"].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out, sent, deadline = b"", False, time.time() + 120
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 1)
    if fd not in ready:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not sent and b"BECOME password: " in out:
        os.write(fd, pw + b"\n")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128)
PY
PW=$PW python3 "$TRASH/ask-tty.py" "$LADING" provision apply --known-hosts "$KH" -s "$TRASH/site.yaml" \
	--log-dir "$TRASH/runs" -i "$TRASH/inv.yml" --ask-become-pass >"$TRASH/ask.out" 2>&1; st=$?
is "--ask-become-pass: exit 0" "$st" 0
is "... asked exactly once" "$(grep -o 'BECOME password: ' "$TRASH/ask.out" | wc -l)" 1
ok "... and the role ran: upload intact" cmp "$TRASH/payload.bin" "$(host_path 1 /var/lib/containerd/become/payload.bin)"

setsid -w "$LADING" provision shell --known-hosts "$KH" -i "$TRASH/inv.yml" --ask-become-pass 'id -u' \
	</dev/null >"$TRASH/notty.out" 2>"$TRASH/notty.err"; st=$?
is "--ask-become-pass without a terminal: refused in one line, nothing run" \
	"$st $(wc -l <"$TRASH/notty.err") $(grep -c 'needs a terminal.*LADING_BECOME_PASSWORD or ansible_become_password' "$TRASH/notty.err")" "2 1 1"

# A wrong password: one line naming the host, bounded.
LADING_BECOME_PASSWORD=wrong-$PW-x timeout 120 "$LADING" provision shell --known-hosts "$KH" \
	-i "$TRASH/inv.yml" 'id -u' >"$TRASH/wrong.out" 2>"$TRASH/wrong.err"; st=$?
is "a wrong password fails (exit 1, no hang)" "$st" 1
is "... in one line naming the host" "$(cat "$TRASH/wrong.out")" \
	"h1: failed: sudo refused the become password for user 'ladingpw' (wrong password?)"
LADING_BECOME_PASSWORD=wrong-pw apply -i "$TRASH/inv.yml" >"$TRASH/wrong-apply.out" 2>"$TRASH/wrong-apply.err"; st=$?
ok "... and in apply the first step fails with the same words" \
	test "$st" = 1 -a "$(grep -c "failed.*h1.*sudo refused the become password for user 'ladingpw'" "$TRASH/wrong-apply.out")" = 1

# become_user: another user than root.
LADING_BECOME_PASSWORD=$PW shell -i "$TRASH/inv-user.yml" 'id -un' >"$TRASH/user.out" 2>"$TRASH/user.err"; st=$?
is "ansible_become_user lading: the command ran as lading" "$st $(tail -n 1 "$TRASH/user.out")" "0 lading"
sed 's/ansible_user: ladingpw/ansible_user: root/' "$TRASH/inv-user.yml" >"$TRASH/inv-root-user.yml"
shell -i "$TRASH/inv-root-user.yml" 'id -un' >"$TRASH/rootuser.out" 2>"$TRASH/rootuser.err"; st=$?
is "root with ansible_become_user lading: sudo -n -u lading" "$st $(tail -n 1 "$TRASH/rootuser.out")" "0 lading"

: >"$TRASH/ps.stop"
wait "$PS_PID" 2>/dev/null
echo "# process list samples: $(grep -c '^COMMAND' "$TRASH/ps.log")"
secret_in() { grep -rlF -- "$PW" "$@" 2>/dev/null; }
is "the password is in no output of lading (stdout, stderr, --json)" \
	"$(cd "$TRASH" && secret_in ./*.out ./*.err ./*.json)" ""
is "... nor in the run logs" "$(secret_in "$TRASH/runs")" ""
is "... nor in the process list sampled during the runs" "$(secret_in "$TRASH/ps.log")" ""
is "... nor in any file of the host (its private directories, /run, sudo's state)" \
	"$(secret_in "$HOSTS_DIR/h1" "$(host_root 1)/run" "$(host_root 1)/var/lib/sudo")" ""
done_testing
