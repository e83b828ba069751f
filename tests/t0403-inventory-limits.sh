#!/bin/bash
# Inventory bounds (lading-inventory(5)): at most 100 000 names from one host
# pattern and 100 000 hosts in an inventory, 1 000 000 host listings in
# groups, 64 levels of groups; ansible_port a number from 1 to 65535. Each
# refusal is one line naming file:line:col and the limit, exit 2.
. "$(dirname "$0")/test-lib.sh"
plan 14

list() { "$LADING" inventory list -i "$@"; }
# Bound on a refusal that takes well under a second: before the cap, the chain
# below cost quadratic time (an hour) and then overflowed the stack.
bounded() { timeout 120 "$@"; }

printf '[web]\nweb[1:100001]\n' >"$TRASH/one.ini"
fails_one_line "one pattern of 100 001 names is refused at its bracket" 2 \
	"^lading: .*one.ini:2:4: host range expands to more than 100000 names$" list "$TRASH/one.ini"
printf '[web]\nweb[1:400]-[1:400]\n' >"$TRASH/product.ini"
fails_one_line "ranges in one pattern multiply: 400 x 400 is refused" 2 \
	"product.ini:2:4: host range expands to more than 100000 names$" list "$TRASH/product.ini"
printf '[web]\nweb[1:100000]\n' >"$TRASH/max.ini"
ok "exactly 100 000 hosts load" sh -c "'$LADING' inventory list -i '$TRASH/max.ini' --limit web100000 | grep -q '^web100000 '"

printf '[a]\na[1:60000]\n[b]\nb[1:60000]\n' >"$TRASH/total.ini"
fails_one_line "the 100 001st host of an inventory is refused naming its line" 2 \
	"total.ini:4:1: host 'b40001' would be host number 100001: an inventory holds at most 100000 hosts$" \
	list "$TRASH/total.ini"
cat >"$TRASH/total.yml" <<'YAML'
all:
  children:
    a:
      hosts:
        a[1:60000]:
    b:
      hosts:
        "b[1:60000]": {x: 1}
YAML
fails_one_line "the same cap in a YAML inventory names file:line:col" 2 \
	"total.yml:8:9: host 'b40001' would be host number 100001: an inventory holds at most 100000 hosts$" \
	list "$TRASH/total.yml"
printf 'all:\n  hosts:\n    a[1:60000]:\n' >"$TRASH/part1.yml"
printf '[b]\nb[1:60000]\n' >"$TRASH/part2.ini"
fails_one_line "the cap counts every source of one inventory" 2 \
	"part2.ini:2:1: host 'b40001' would be host number 100001" list "$TRASH/part1.yml" -i "$TRASH/part2.ini"

for g in $(seq 1 21); do printf '[g%d]\nh[1:50000]\n' "$g"; done >"$TRASH/entries.ini"
fails_one_line "more than 1 000 000 host listings in groups are refused" 2 \
	"entries.ini:42:1: host 'h1' in group 'g21': an inventory lists hosts in groups at most 1000000 times$" \
	list "$TRASH/entries.ini"

{
	printf '[g0]\nh1\n'
	for i in $(seq 1 200000); do printf '[g%d:children]\ng%d\n' "$i" $((i - 1)); done
} >"$TRASH/chain.ini"
fails_one_line "a 200 000-deep chain of child groups is refused at level 65, not a crash" 2 \
	"chain.ini:130:1: group 'g63' as a child of 'g64' nests groups more than 64 levels deep$" \
	bounded "$LADING" inventory list -i "$TRASH/chain.ini"
{
	for i in $(seq 0 63); do printf '[g%d:children]\ng%d\n' "$i" $((i + 1)); done
	printf '[g64]\nh1\n'
} >"$TRASH/chain-down.ini"
fails_one_line "the same depth declared top-down is refused too" 2 \
	"chain-down.ini:128:1: group 'g64' as a child of 'g63' nests groups more than 64 levels deep$" \
	list "$TRASH/chain-down.ini"
head -n 126 "$TRASH/chain-down.ini" >"$TRASH/chain-ok.ini"
printf '[g63]\nh1\n' >>"$TRASH/chain-ok.ini"
ok "64 levels of groups load" sh -c "'$LADING' inventory list -i '$TRASH/chain-ok.ini' | grep -q 'g63'"

printf '[web]\nw1 ansible_port=abc\n' >"$TRASH/port.ini"
fails_one_line "ansible_port that is not a number names file:line and host" 2 \
	"port.ini:2:1: host 'w1': ansible_port 'abc' must be a number from 1 to 65535$" list "$TRASH/port.ini"
printf '[web]\nw1\n[web:vars]\nansible_ssh_port=70000\n' >"$TRASH/gport.ini"
fails_one_line "a group's ansible_ssh_port out of range names file:line and group" 2 \
	"gport.ini:4:1: group 'web': ansible_ssh_port '70000' must be a number from 1 to 65535$" \
	list "$TRASH/gport.ini"
printf 'all:\n  hosts:\n    w1:\n      ansible_port: 22x\n' >"$TRASH/port.yml"
fails_one_line "a YAML host's ansible_port is checked as it is read" 2 \
	"port.yml:3:5: host 'w1': ansible_port '22x' must be a number from 1 to 65535$" list "$TRASH/port.yml"
printf 'all:\n  hosts:\n    w1: {ansible_port: "2222"}\n    w2:\n      ansible_ssh_port: 22\n' >"$TRASH/ports.yml"
ok "quoted digits and ansible_ssh_port are ports" list "$TRASH/ports.yml"
done_testing
