#!/bin/bash
# lading inventory list/graph: several sources merged as Ansible merges them,
# text output, a group subtree, usage errors and their exit codes.
. "$(dirname "$0")/test-lib.sh"

command -v ansible-inventory >/dev/null || skip_all "ansible-inventory not installed (scripts/deps.d/provision.list)"
plan 12

export HOME=$TRASH ANSIBLE_LOCAL_TEMP=$TRASH/ansible-tmp ANSIBLE_INVENTORY_UNPARSED_FAILED=true \
	ANSIBLE_NOCOLOR=1 ANSIBLE_INVENTORY_ENABLED=yaml,ini

cat >"$TRASH/base.yml" <<'YAML'
all:
  vars: {ntp: 198.18.0.1, role: none}
  children:
    gpu_nodes:
      vars: {role: gpu}
      hosts:
        gpu-[01:04]: {ansible_user: root}
YAML
# a second source (as a generated vSphere inventory would be): new hosts, an
# existing group gains a child, group vars override the first file's
cat >"$TRASH/more.ini" <<'INI'
[a100]
gpu-03
gpu-04 slot=2
vm-[1:2]

[gpu_nodes:children]
a100

[gpu_nodes:vars]
role=gpu-ini
INI

ansible-inventory -i "$TRASH/base.yml" -i "$TRASH/more.ini" --list >"$TRASH/ansible.json" 2>"$TRASH/ansible.log"
"$LADING" inventory list -i "$TRASH/base.yml" -i "$TRASH/more.ini" --json >"$TRASH/lading.json"
ok "two sources merge as ansible-inventory merges them" python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(a != b)' "$TRASH/ansible.json" "$TRASH/lading.json"
ansible-inventory -i "$TRASH/base.yml" -i "$TRASH/more.ini" --graph gpu_nodes >"$TRASH/ansible.graph" 2>>"$TRASH/ansible.log"
"$LADING" inventory graph -i "$TRASH/base.yml" -i "$TRASH/more.ini" gpu_nodes >"$TRASH/lading.graph"
ok "graph of one group equals ansible-inventory --graph GROUP" diff -u "$TRASH/ansible.graph" "$TRASH/lading.graph"

out=$("$LADING" inventory list -i "$TRASH/base.yml" -i "$TRASH/more.ini" --limit 'a100')
is "text list shows each host with its groups" "$(printf '%s\n' "$out" | grep -v '^ ' | tr '\n' ';')" \
	"gpu-03  [a100,all,gpu_nodes];gpu-04  [a100,all,gpu_nodes];vm-1  [a100,all,gpu_nodes];vm-2  [a100,all,gpu_nodes];"
is "text list shows merged variables under the host" "$(printf '%s\n' "$out" | sed -n '/^gpu-04/,/^[^ ]/p' | grep '^ ' | tr -s ' ' | tr '\n' ';')" \
	" ansible_user = root; ntp = 198.18.0.1; role = gpu-ini; slot = 2;"
is "--limit with nothing matching prints nothing" "$("$LADING" inventory list -i "$TRASH/base.yml" --limit 'nomatch-*')" ""

fails_with "graph of an unknown group is a usage error" 2 "no group 'nope'" \
	"$LADING" inventory graph -i "$TRASH/base.yml" nope
fails_with "a missing inventory file names it (exit 1)" 1 "missing.yml" \
	"$LADING" inventory list -i "$TRASH/missing.yml"
fails_with "an unknown verb is a usage error" 2 "unknown verb 'show'" "$LADING" inventory show
fails_with "--json on graph is a usage error" 2 "^lading: inventory graph: unknown option .--json." \
	"$LADING" inventory graph -i "$TRASH/base.yml" --json
printf 'all:\n  hosts:\n    h1:\n  childs:\n    x:\n' >"$TRASH/typo.yml"
fails_with "a misspelt group key names file:line:col" 2 "typo.yml:4:3: unknown key 'childs' in group 'all'" \
	"$LADING" inventory list -i "$TRASH/typo.yml"
printf '[a]\nh1 x=1\n[b:children]\na\n[a:children]\nb\n' >"$TRASH/cycle.ini"
fails_with "a cycle in children names file:line:col" 2 "cycle.ini:6:1: group 'b' as a child of 'a' makes a cycle" \
	"$LADING" inventory list -i "$TRASH/cycle.ini"
ok "lading --help lists the inventory command" sh -c "'$LADING' --help | grep -q '^  inventory '"
done_testing
