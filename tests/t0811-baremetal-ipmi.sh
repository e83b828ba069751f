#!/bin/bash
# lading baremetal over IPMI 2.0 LAN (issue 19): BMCs are OpenIPMI's ipmi_sim
# (RMCP+, one admin user each) whose chassis drives a QEMU machine of
# lib-qemu.sh through scripts/ipmi-chassis-qmp; ipmitool checks that harness
# before lading (libfreeipmi) is tested against it. Power status/on/off/cycle,
# idempotence (no Chassis Control sent to a node already in the asked state),
# the one-time boot device, --json, a refused password and a BMC that never
# answers failing that node alone, and the site file's checks for IPMI.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-qemu.sh"
. "$TOP/scripts/lib-ipmi.sh"

for tool in qemu-system-x86_64 ipmi_sim ipmitool; do
	command -v $tool >/dev/null || skip_all "$tool is not installed (scripts/deps)"
done
plan 27
ok "lading --version names libfreeipmi" sh -c "'$LADING' --version | grep -q '^libfreeipmi [0-9]'"

qemu_start n1 || { echo "Bail out! qemu n1 did not start"; exit 1; }
qemu_start n2 || { echo "Bail out! qemu n2 did not start"; exit 1; }
PASS_1=pw1-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
PASS_2=pw2-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
ipmi_bmc_start b1 admin "$PASS_1" "$QEMU_QMP_n1" || { echo "Bail out! ipmi_sim b1 did not start"; exit 1; }
ipmi_bmc_start b2 root "$PASS_2" "$QEMU_QMP_n2" || { echo "Bail out! ipmi_sim b2 did not start"; exit 1; }

# The harness, checked by a client nobody here wrote.
is "ipmitool: b1's chassis is off, as QMP says" "$(ipmi_tool b1 chassis power status 2>/dev/null)/$(qemu_power "$QEMU_QMP_n1")" \
	"Chassis Power is off/off"
ipmi_tool b1 chassis power on >/dev/null 2>&1
is "ipmitool: power on runs n1" "$(qemu_power "$QEMU_QMP_n1")" on
ipmi_tool b1 chassis power off >/dev/null 2>&1
is "ipmitool: power off stops n1" "$(qemu_power "$QEMU_QMP_n1")" off

printf '%s\n' "$PASS_1" >"$TRASH/pass-1"
export BMC2_PASSWORD=$PASS_2
site() { # FILE [PASSWORD-ENV-OF-NODE-2] [EXTRA NODES]
	cat >"$TRASH/$1" <<YAML
baremetal:
  protocol: ipmi
  nodes:
    - name: node-1
      bmc: ${IPMI_HOST_b1}
      user: admin
      password_file: pass-1
      address: 192.0.2.21
      groups: [gpu_workers]
    - name: node-2
      bmc: ${IPMI_HOST_b2}
      user: root
      password_env: ${2:-BMC2_PASSWORD}
      address: 192.0.2.22
      groups: [gpu_workers]
${3:-}
YAML
}
site site.yaml
SITE=$TRASH/site.yaml
sets() { wc -l <"$1.log" 2>/dev/null || echo 0; }

ok "list: both nodes, protocol ipmi" sh -c "'$LADING' baremetal list -s '$SITE' | grep -q '^node-1 *ipmi ' && '$LADING' baremetal list -s '$SITE' | grep -q '^node-2 *ipmi '"
"$LADING" baremetal power status -s "$SITE" >"$TRASH/status.out" 2>"$TRASH/status.err"
is "power status: exit 0" "$?" 0
is "power status: both Off" "$(awk '{print $1, $2, $3}' "$TRASH/status.out" | tr '\n' ';')" "node-1 Off off;node-2 Off off;"

ok "power on node-1" "$LADING" baremetal power on -s "$SITE" node-1
is "QMP: node-1 runs, node-2 is still off" "$(qemu_power "$QEMU_QMP_n1")/$(qemu_power "$QEMU_QMP_n2")" on/off
before=$(sets "$IPMI_BOOT_b1")
"$LADING" baremetal power on -s "$SITE" gpu_workers >"$TRASH/on.out" 2>"$TRASH/on.err"
is "power on the group: exit 0" "$?" 0
is "power on: node-1 already on, node-2 powered on" "$(awk '{print $1, $2, $3, $4}' "$TRASH/on.out" | tr '\n' ';')" \
	"node-1 On already-on -;node-2 On powered-on on;"
is "idempotent: no Chassis Control reached node-1" "$(sets "$IPMI_BOOT_b1")" "$before"

"$LADING" baremetal power off --json -j 2 -s "$SITE" >"$TRASH/off.json" 2>"$TRASH/off.err"
is "power off --json: exit 0" "$?" 0
is "power off --json: both powered off" \
	"$(python3 -c 'import json,sys; print(";".join("%s %s %s %s" % (d["node"], d["power"], d["status"], d["action"]) for d in map(json.loads, open(sys.argv[1]))))' "$TRASH/off.json")" \
	"node-1 Off powered-off off;node-2 Off powered-off off"
is "QMP: both stopped" "$(qemu_power "$QEMU_QMP_n1")/$(qemu_power "$QEMU_QMP_n2")" off/off
ok "power cycle of an off node powers it on" sh -c "'$LADING' baremetal power cycle -s '$SITE' node-2 | grep -q '^node-2 *On *powered-on *on$'"
is "QMP: node-2 runs" "$(qemu_power "$QEMU_QMP_n2")" on

ok "boot pxe node-1" sh -c "'$LADING' baremetal boot pxe -s '$SITE' node-1 | grep -q '^node-1 *Off *set *pxe$'"
is "the BMC handed the chassis PXE, and ipmitool reads it back" \
	"$(cat "$IPMI_BOOT_b1") $(ipmi_tool b1 chassis bootparam get 5 2>/dev/null | sed -n 's/.*Boot Device Selector : //p')" "pxe Force PXE"
ok "boot cd --uefi node-2" "$LADING" baremetal boot cd --uefi -s "$SITE" node-2
is "node-2's chassis boots from the CD/DVD next" "$(cat "$IPMI_BOOT_b2")" cdrom

fails_one_line "media insert over IPMI is refused, saying what to do" 1 \
	"node-1: BMC .*: IPMI has no virtual media: boot the node from the network \(boot pxe\)" \
	"$LADING" baremetal media insert http://127.0.0.1:1/x.iso -s "$SITE" node-1

# A refused password and a BMC that never answers fail that node alone.
export WRONG_PASSWORD=not-it
DEAD_PORT=$(free_port)
site bad.yaml WRONG_PASSWORD "    - name: node-3
      bmc: 127.0.0.1:$DEAD_PORT
      user: admin
      password_file: pass-1"
"$LADING" baremetal power status -s "$TRASH/bad.yaml" >"$TRASH/bad.out" 2>"$TRASH/bad.err"
is "exit 1 when some nodes failed" "$?" 1
is "node-1 still answered" "$(awk '$1 == "node-1" {print $2, $3}' "$TRASH/bad.out")" "Off off"
ok "node-2: the refused password, named in one line" \
	grep -qE "node-2: BMC 127\.0\.0\.1:[0-9]+ \(ipmi\): cannot open a session: password invalid \(check the user, the password" "$TRASH/bad.err"
ok "node-3: no answer, said with what to check" \
	grep -qE "node-3: BMC 127\.0\.0\.1:$DEAD_PORT \(ipmi\): cannot open a session: (connection|session) timeout \(check the address" "$TRASH/bad.err"

fails_one_line "an https:// BMC for protocol ipmi is refused, naming the line" 2 \
	"bad-url\.yaml:[0-9]+:[0-9]+: bmc: 'https://127\.0\.0\.1:623': an IPMI BMC is HOST\[:PORT\]" \
	sh -c "printf 'baremetal:\n  nodes:\n    - name: x\n      protocol: ipmi\n      bmc: https://127.0.0.1:623\n      user: a\n      password_env: P\n' >'$TRASH/bad-url.yaml' && '$LADING' baremetal list -s '$TRASH/bad-url.yaml'"
done_testing
