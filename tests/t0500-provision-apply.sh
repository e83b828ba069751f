#!/bin/bash
# lading provision apply on 9 real sshd hosts: one unreachable, one with a
# changed host key, one only through a jump host. --check changes nothing (as
# seen on the hosts), the first run changes every step, the second reports
# every step ok (--json recap), failed hosts come last, an undefined template
# variable fails naming it, and every host has its log.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
plan 19
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start 9 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
host_rekey 7      # known_hosts holds h7's old key
host_sshd_stop 8  # h8 refuses connections
host_hide 9       # h9 only through h1

INV=$TRASH/inv.yml
{
	echo "all:"
	echo "  vars: {ansible_user: root, ansible_ssh_private_key_file: $HOSTS_KEY}"
	echo "  hosts:"
	for i in 1 2 3 4 5 6 7 8; do echo "    h$i: {ansible_host: $(host_ip $i)}"; done
	echo "    h9: {ansible_host: $(host_ip 9), lading_jump: 'root@$(host_ip 1):22'}"
	echo "  children:"
	echo "    web: {hosts: {h2: {greeting: hello}, h3: {}}}"
} >"$INV"

head -c 1048576 /dev/urandom >"$TRASH/payload.bin"
SITE=$TRASH/site.yaml
cat >"$SITE" <<'YAML'
vars:
  greeting: welcome
  lading_service_web_restart: "echo restarted >> /etc/containerd/restarts"
apply:
  - hosts: all
    roles: [base]
  - hosts: web
    roles: [web]
roles:
  base:
    - facts: {}
    - template: {content: "{{ greeting }} to {{ inventory_hostname }} ({{ lading_facts_arch }})\n", dest: /etc/containerd/motd, mode: "0640"}
    - copy: {src: payload.bin, dest: /var/lib/containerd/lading/payload.bin}
    - shell: {cmd: "echo {{ inventory_hostname }} > /etc/containerd/hello", creates: /etc/containerd/hello}
    - shell: {cmd: "echo configured >> /etc/containerd/state", unless: "grep -q configured /etc/containerd/state"}
  web:
    - shell: {cmd: "touch /etc/containerd/web.conf", creates: /etc/containerd/web.conf}
    - service: {name: web}
YAML
apply() { "$LADING" provision -i "$INV" -s "$SITE" --known-hosts "$KH" --connect-timeout 5 --log-dir "$TRASH/runs" "$@"; }
recap() { jq -c "select(.recap) | .recap$1"; }
recap_r() { jq -r "select(.recap) | .recap$1"; }

# --check first: what would change, and nothing changes on the hosts.
apply --check --json >"$TRASH/check.json" 2>"$TRASH/check.err"; rc=$?
is "--check with a failed and an unreachable host: exit 1" "$rc" 1
is "--check: h2 would change all six steps (facts are only read)" "$(recap '.h2' <"$TRASH/check.json")" \
	'{"ok":1,"changed":6,"skipped":0,"failed":0,"unreachable":0}'
ok "--check wrote nothing on h2" test ! -e "$(host_path 2 /etc/containerd/motd)" -a \
	! -e "$(host_path 2 /etc/containerd/hello)" -a ! -e "$(host_path 2 /var/lib/containerd/lading)"

# First run: every step changes on the seven good hosts.
apply --json >"$TRASH/run1.json" 2>"$TRASH/run1.err"; rc=$?
is "first run: exit 1 (h7, h8)" "$rc" 1
is "first run: h1 changed its four steps" "$(recap '.h1' <"$TRASH/run1.json")" \
	'{"ok":1,"changed":4,"skipped":0,"failed":0,"unreachable":0}'
is "first run: h9 (through the jump host) changed its four steps" "$(recap '.h9.changed' <"$TRASH/run1.json")" 4
is "the changed host key fails h7 at connect" \
	"$(jq -r 'select(.host == "h7") | [.step, .status] | join(" ")' <"$TRASH/run1.json")" "connect failed"
ok "h7's message names the changed key" grep -q '"host":"h7".*HOST KEY CHANGED' "$TRASH/run1.json"
is "h8 is unreachable" "$(recap '.h8.unreachable' <"$TRASH/run1.json")" 1
is "the recap lists the failed hosts last" "$(recap_r ' | keys_unsorted | .[-2:] | join(" ")' <"$TRASH/run1.json")" "h7 h8"
is "the template rendered host and group variables on h2" "$(cat "$(host_path 2 /etc/containerd/motd)")" "hello to h2 ($(uname -m))"
is "... and the site variable on h4" "$(cat "$(host_path 4 /etc/containerd/motd)")" "welcome to h4 ($(uname -m))"
ok "the payload arrived intact on h5" cmp "$TRASH/payload.bin" "$(host_path 5 /var/lib/containerd/lading/payload.bin)"
is "the service restarted once on h3" "$(cat "$(host_path 3 /etc/containerd/restarts)")" "restarted"

# Second run, good hosts only: every step ok, nothing restarted again.
apply --json --limit 'all:!h7:!h8' >"$TRASH/run2.json" 2>"$TRASH/run2.err"; rc=$?
is "second run: exit 0" "$rc" 0
is "second run: every step of every host ok" \
	"$(recap ' | [.[] | .changed + .failed + .skipped + .unreachable] | add' <"$TRASH/run2.json")" 0
is "second run: the service was not restarted" "$(wc -l <"$(host_path 3 /etc/containerd/restarts)")" 1

# An undefined variable fails the step, naming the variable, and stops only that host.
sed -i 's/{{ greeting }}/{{ salutation }}/' "$SITE"
apply --limit h1 >"$TRASH/run3.out" 2>&1; rc=$?
ok "undefined variable: exit 1 and the message names it" \
	grep -q "failed .*h1 | base | template /etc/containerd/motd | .*undefined variable 'salutation'" "$TRASH/run3.out"
ok "every host has its log" test -s "$(ls -d "$TRASH"/runs/*/ | head -n 1)/h9.log"
done_testing
