#!/bin/bash
# lading provision apply without SSH: usage and site file errors (exit 2,
# file:line:col), and a run on ansible_connection=local hosts: events, recap,
# --check, idempotence, --limit, a failing host that stops only itself.
. "$(dirname "$0")/test-lib.sh"
plan 14

cat >"$TRASH/inv.yml" <<YAML
all:
  vars: {ansible_connection: local}
  hosts:
    a: {dir: $TRASH/a}
    b: {dir: $TRASH/b}
    bad: {dir: /proc/no/such/dir}
YAML
cat >"$TRASH/site.yaml" <<'YAML'
vars: {word: hello}
apply:
  - hosts: all
    roles: [files]
roles:
  files:
    - shell: {cmd: "mkdir -p {{ dir }}", creates: "{{ dir }}"}
    - copy: {content: "{{ word }} {{ inventory_hostname }}\n", dest: "{{ dir }}/greeting", mode: "0600"}
YAML
apply() { "$LADING" provision -i "$TRASH/inv.yml" -s "$TRASH/site.yaml" --log-dir "$TRASH/runs" "$@"; }

fails_with "no site file: usage error" 2 "need -i INVENTORY and -s SITE" "$LADING" provision -i "$TRASH/inv.yml"
fails_with "an unknown option: usage error" 2 "unknown option '--nope'" apply --nope
printf 'apply:\n  - hosts: all\n    roles: [files]\n    role: [x]\n' >"$TRASH/bad.yaml"
fails_with "an unknown key names its position" 2 "bad.yaml:4:5: unknown key 'role' in apply" \
	"$LADING" provision -i "$TRASH/inv.yml" -s "$TRASH/bad.yaml"

apply --check --limit 'a:b' >"$TRASH/check.out" 2>&1; rc=$?
is "--check on a and b: exit 0" "$rc" 0
ok "--check created nothing" test ! -e "$TRASH/a" -a ! -e "$TRASH/b"
ok "--check says the copy would create the file" grep -q "^changed .* a | files | copy {{ dir }}/greeting | would create $TRASH/a/greeting" "$TRASH/check.out"

apply --json >"$TRASH/run1.json" 2>"$TRASH/run1.err"; rc=$?
is "a host that fails: exit 1" "$rc" 1
is "the good hosts changed both steps, the bad one is last" \
	"$(jq -c 'select(.recap) | .recap' <"$TRASH/run1.json")" \
	'{"a":{"ok":0,"changed":2,"skipped":0,"failed":0,"unreachable":0},"b":{"ok":0,"changed":2,"skipped":0,"failed":0,"unreachable":0},"bad":{"ok":0,"changed":0,"skipped":0,"failed":1,"unreachable":0}}'
ok "the failure says why" grep -q '"host":"bad".*"status":"failed","msg":"exit 1: mkdir: cannot create directory' "$TRASH/run1.json"
is "the file is on a" "$(cat "$TRASH/a/greeting") $(stat -c %a "$TRASH/a/greeting")" "hello a 600"

apply --json --limit 'all:!bad' >"$TRASH/run2.json" 2>&1; rc=$?
is "second run: exit 0" "$rc" 0
is "second run: every step ok" "$(jq -c 'select(.recap) | [.recap[] | .ok] ' <"$TRASH/run2.json")" "[2,2]"
is "one log per host per run" "$(ls "$TRASH"/runs/*/ | grep -c '\.log$')" 7
cat >"$TRASH/bytes.yaml" <<'YAML'
apply: [{hosts: a, roles: [r]}]
roles:
  r: [{shell: "printf '\\377oops\\n' >&2; exit 2"}]
YAML
"$LADING" provision -i "$TRASH/inv.yml" -s "$TRASH/bytes.yaml" --log-dir "$TRASH/runs" --json >"$TRASH/bytes.json" 2>/dev/null
is "stderr that is not UTF-8 still makes a JSON event" "$(jq -r 'select(.host) | .msg' <"$TRASH/bytes.json")" "exit 2: ?oops"
done_testing
