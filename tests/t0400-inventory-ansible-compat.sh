#!/bin/bash
# lading inventory against Debian's ansible-core on the same files: host
# membership, merged host variables (with their types), the group graph, and
# host patterns must agree with ansible-inventory and `ansible --list-hosts`.
. "$(dirname "$0")/test-lib.sh"

command -v ansible-inventory >/dev/null || skip_all "ansible-inventory not installed (scripts/deps.d/provision.list)"
plan 23

# ansible writes under $HOME; a file it cannot parse must be an error, not a warning.
export HOME=$TRASH ANSIBLE_LOCAL_TEMP=$TRASH/ansible-tmp ANSIBLE_INVENTORY_UNPARSED_FAILED=true \
	ANSIBLE_NOCOLOR=1 ANSIBLE_DEPRECATION_WARNINGS=false ANSIBLE_INVENTORY_ENABLED=yaml,ini

cat >"$TRASH/site.yml" <<'YAML'
# precedence by depth, ansible_group_priority and name; ranges; typed values; merge keys
all:
  vars:
    who: all
    ansible_user: admin
    become: yes
    ratio: 1.5
    octal: 010
    hexa: 0x1F
    nothing: ~
    quoted: "yes"
    listy: [a, 1, true, null, 2.5]
    mapped: {k: v, n: {deep: [1, 2]}}
    base: &base {a: 1, b: 2}
  hosts:
    lone:
    gpu-01: {who: listed-under-all}
  children:
    zeta:
      vars: {who: zeta, prio: zeta}
      hosts:
        node-[a:c]: {<<: *base, b: 3, merged: {<<: *base, c: 4}}
        10.0.1.[30:32]:
    alpha:
      vars: {who: alpha, prio: alpha, ansible_group_priority: 5}
      hosts:
        node-b: {who: host-b}
        gpu-[01:10:3]:
          ansible_user: root
      children:
        deep:
          vars: {who: deep}
          hosts:
            node-c:
            "gpu-[001:003]":
    beta:
      vars: {prio: beta}
      children:
        zeta:
    omega:
      hosts:
        web:2222:
          ansible_ssh_common_args: '-o ProxyJump=jump@bastion:2200'
        "[fd00::1]:2022":
        rack-[y:B]:
YAML

cat >"$TRASH/site.ini" <<'INI'
# ungrouped hosts first, then sections in any order
lone ansible_host=198.18.0.9
bastion:2200 ansible_user=jump   # a comment

[web]
web-[01:03] http_port=80 flag=True name="hello world" list="[1, 'a']" dq='"x"' esc=a\ b
web-02 http_port=80
10.0.1.[30:31]:2222 ansible_become=true raw=007 hex=0x10 neg=-5 fl=1.5e3 tup="(1,2)" d="{'k': None}"

[db]
db1 ansible_port=5432

[prod:children]
web
db
later

[prod:vars]
env = prod
quoted = "a # b"
num = 42

[all:vars]
ansible_user=admin
env=all

[db:vars]
env=db
ansible_group_priority=3

[later]
late-host

; another comment style
[ungrouped]
lone
INI

cat >"$TRASH/flat.yml" <<'YAML'
---
web:
  hosts: {w1: , w2: {x: 1}}
db:
  hosts: {d1: }
  vars: {x: db}
  children: {web: }
YAML

# Same JSON document (dict key order aside, list order kept) or a unified diff.
same_json() {
	python3 - "$1" "$2" <<'PY'
import json, sys, difflib
a, b = (json.load(open(p)) for p in sys.argv[1:3])
if a != b:
    fa, fb = (json.dumps(x, indent=1, sort_keys=True).splitlines() for x in (a, b))
    print("\n".join(difflib.unified_diff(fa, fb, "ansible", "lading", lineterm="")))
    sys.exit(1)
PY
}

for inv in site.yml site.ini flat.yml; do
	ansible-inventory -i "$TRASH/$inv" --list >"$TRASH/$inv.ansible.json" 2>"$TRASH/$inv.ansible.log"
	ok "ansible-inventory reads $inv" test -s "$TRASH/$inv.ansible.json"
	"$LADING" inventory list -i "$TRASH/$inv" --json >"$TRASH/$inv.lading.json"
	ok "$inv: hosts, groups and merged variables equal ansible-inventory --list" \
		same_json "$TRASH/$inv.ansible.json" "$TRASH/$inv.lading.json"
	ansible-inventory -i "$TRASH/$inv" --graph >"$TRASH/$inv.ansible.graph" 2>>"$TRASH/$inv.ansible.log"
	"$LADING" inventory graph -i "$TRASH/$inv" >"$TRASH/$inv.lading.graph"
	ok "$inv: group graph equals ansible-inventory --graph" diff -u "$TRASH/$inv.ansible.graph" "$TRASH/$inv.lading.graph"
done

# Sorted host names a pattern selects, by ansible and by lading.
ansible_hosts() { ansible -i "$1" "$2" --list-hosts 2>/dev/null | sed -n 's/^    //p' | sort; }
lading_hosts() { "$LADING" inventory list -i "$1" --limit "$2" --json |
	python3 -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin)["_meta"]["hostvars"])))'; }
for pattern in 'alpha' 'zeta:alpha' 'alpha:&zeta' 'beta:!node-c' 'all:!deep:&alpha' 'gpu-0*' \
	'~^node-[ab]$' 'alpha[1:3]' 'omega,lone'; do
	want=$(ansible_hosts "$TRASH/site.yml" "$pattern")
	got=$(lading_hosts "$TRASH/site.yml" "$pattern")
	if [ -n "$want" ]; then is "pattern '$pattern' selects the hosts ansible selects" "$got" "$want"
	else is "pattern '$pattern' selects the hosts ansible selects (ansible matched none!)" "x" "y"; fi
done

fails_with "an unknown name in --limit is an error naming it" 2 "pattern 'gpus' matches no group or host" \
	"$LADING" inventory list -i "$TRASH/site.yml" --limit 'alpha:gpus'
printf '[p:children]\n  missing\n' >"$TRASH/bad.ini"
fails_with "an unknown child group names file:line:col" 2 "bad.ini:2:3: unknown group 'missing' in \[p:children\]" \
	"$LADING" inventory list -i "$TRASH/bad.ini"
printf 'all:\n  hosts:\n    gpu-[01:100]:\n' >"$TRASH/range.yml"
fails_with "a bad range names file:line:col of its bracket" 2 "range.yml:3:9: bad host range '\[01:100\]'" \
	"$LADING" inventory list -i "$TRASH/range.yml"
ok "lading inventory --help exits 0" "$LADING" inventory list --help
fails_with "no -i is a usage error" 2 "no inventory given" "$LADING" inventory list
done_testing
