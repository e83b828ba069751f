#!/bin/bash
# Authentication and become against real sshd hosts: ecdsa key with a
# passphrase, ssh-agent, the RSA SHA-1 limit of libssh2 1.10 (one line, and
# gone once the target allows ssh-rsa), sudo -n with and without NOPASSWD.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
plan 16
unset SSH_AUTH_SOCK LADING_SSH_PASSPHRASE
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start 3 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
ssh-keygen -q -t ecdsa -N 'correct horse' -C ecdsa-test -f "$TRASH/id_ecdsa"
ssh-keygen -q -t rsa -b 2048 -N '' -C rsa-test -f "$TRASH/id_rsa"
ssh-keygen -q -t ed25519 -N '' -C agent-test -f "$TRASH/id_agent"
for k in id_ecdsa id_rsa id_agent; do hosts_add_key "$TRASH/$k.pub"; done

inventory() { # inventory FILE VARS (flow-map entries for all.vars)
	{
		echo "all:"
		echo "  vars: {$2}"
		echo "  hosts:"
		for i in 1 2 3; do echo "    h$i: {ansible_host: $(host_ip $i)}"; done
	} >"$1"
}
run() { # run INVENTORY_VARS [lading args...]: ping all hosts; output in $res, status in $rc
	inventory "$TRASH/inv.yml" "$1"
	shift
	res=$(setsid -w "$LADING" provision ping -i "$TRASH/inv.yml" --known-hosts "$KH" "$@" 2>/dev/null </dev/null)
	st=$?
}

export LADING_SSH_PASSPHRASE='correct horse'
run "ansible_user: root, ansible_ssh_private_key_file: $TRASH/id_ecdsa"
is "ecdsa key with the passphrase from LADING_SSH_PASSPHRASE: all ok" "$st:$(grep -c ': ok: ' <<<"$res")" "0:3"
LADING_SSH_PASSPHRASE=wrong run "ansible_user: root, ansible_ssh_private_key_file: $TRASH/id_ecdsa"
ok "a wrong passphrase is named as such" grep -q "^h1: failed: cannot use key '$TRASH/id_ecdsa': wrong passphrase" <<<"$res"
unset LADING_SSH_PASSPHRASE
run "ansible_user: root, ansible_ssh_private_key_file: $TRASH/id_ecdsa"
ok "no passphrase and no terminal: says how to give one" \
	grep -q "^h2: failed: key '$TRASH/id_ecdsa' is encrypted: set LADING_SSH_PASSPHRASE or run on a terminal" <<<"$res"

# On a terminal (script(1) gives one): asked once, used for every host.
inventory "$TRASH/inv.yml" "ansible_user: root, ansible_ssh_private_key_file: $TRASH/id_ecdsa"
(sleep 1; printf 'correct horse\n') | script -qec "'$LADING' provision ping -i '$TRASH/inv.yml' --known-hosts '$KH'" \
	/dev/null >"$TRASH/tty.out" 2>&1
is "the passphrase is asked once on the terminal for three hosts" "$(grep -c "Enter passphrase for key '$TRASH/id_ecdsa'" "$TRASH/tty.out")" 1
is "and every host logs in with it" "$(grep -c ': ok: root@' "$TRASH/tty.out")" 3

run "ansible_user: root, ansible_ssh_private_key_file: $TRASH/id_rsa"
is "rsa key: every host fails" "$st:$(grep -c ': failed: ' <<<"$res")" "1:3"
is "each host's result is the one-line known limit, and there is nothing else" \
	"$(wc -l <<<"$res"):$(grep -c "^h[1-3]: failed: rsa key refused for user 'root': libssh2 1.10 signs rsa user keys only with sha-1 'ssh-rsa', which openssh >= 8.8 refuses; use an ed25519 or ecdsa key, or allow ssh-rsa on the target (PubkeyAcceptedAlgorithms +ssh-rsa)$" <<<"$res")" "3:3"
host_sshd_option 3 "PubkeyAcceptedAlgorithms +ssh-rsa"
run "ansible_user: root, ansible_ssh_private_key_file: $TRASH/id_rsa"
ok "the same rsa key works where the target allows ssh-rsa" grep -q "^h3: ok: root@" <<<"$res"

# ssh-agent: no key file in the inventory and none in ~/.ssh.
ssh-agent -a "$TRASH/agent.sock" >"$TRASH/agent.env"
AGENT_PID=$(sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p' "$TRASH/agent.env")
at_exit "kill_pid $AGENT_PID"
SSH_AUTH_SOCK=$TRASH/agent.sock ssh-add -q "$TRASH/id_agent" 2>/dev/null
SSH_AUTH_SOCK=$TRASH/agent.sock run "ansible_user: root"
is "ssh-agent identities log in" "$st:$(grep -c ': ok: ' <<<"$res")" "0:3"
run "ansible_user: root"
ok "without agent or key, the failure says what was tried" \
	grep -q "^h1: failed: authentication failed for user 'root' (tried: no key: set ansible_ssh_private_key_file)" <<<"$res"
mkdir -p "$HOME/.ssh" && cp "$HOSTS_KEY" "$HOME/.ssh/id_ed25519"
run "ansible_user: root"
is "~/.ssh/id_ed25519 is a default key" "$st" 0

# become: sudo -n as a NOPASSWD user, and as a user whose sudo wants a password.
run "ansible_user: lading, ansible_ssh_private_key_file: $HOSTS_KEY, ansible_become: true"
is "become with NOPASSWD sudo works" "$st:$(grep -c ': ok: lading@.*(become)' <<<"$res")" "0:3"
inventory "$TRASH/inv.yml" "ansible_user: lading, ansible_ssh_private_key_file: $HOSTS_KEY"
is "the command really ran as root through sudo" \
	"$("$LADING" provision shell -i "$TRASH/inv.yml" --known-hosts "$KH" --become --limit h1 'id -u' 2>/dev/null)" \
	"h1: ok: rc 0
0"
run "ansible_user: ladingpw, ansible_ssh_private_key_file: $HOSTS_KEY, ansible_become: yes"
ok "sudo that wants a password is a clear error" \
	grep -q "^h2: failed: sudo wants a password for user 'ladingpw' (become runs sudo -n): allow NOPASSWD for this user in sudoers, or connect as root, or give it (--ask-become-pass, LADING_BECOME_PASSWORD, ansible_become_password)$" <<<"$res"
is "and fails every host (exit 1)" "$st:$(grep -c ': failed: sudo wants a password' <<<"$res")" "1:3"
run "ansible_user: ladingpw, ansible_ssh_private_key_file: $HOSTS_KEY"
is "the same user without become is fine" "$st" 0
done_testing
