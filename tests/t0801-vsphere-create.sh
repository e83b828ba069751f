#!/bin/bash
# lading vsphere create/list/destroy against a real vCenter simulator:
# three clones with fixed IPs, CPU, memory, cloud-init and lading's marker as
# the simulator sees them; the inventory; idempotent re-run; destroy removes
# exactly lading's VMs.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-vcsim.sh"
plan 22

vcsim_start || { echo "Bail out! vcsim did not start"; exit 1; }
export LADING_VSPHERE_PASSWORD=$VCSIM_PASSWORD
ssh-keygen -q -t ed25519 -N '' -C lading-test -f "$TRASH/key"
vcsim_site "$TRASH/site.yaml" 'gpu-worker-[01:03]' '198.18.20.[11:13]/24' "  cloud_init: true
  ssh_authorized_key: key.pub"
printf '      vars: {ansible_user: root, ansible_port: "2222"}\n' >>"$TRASH/site.yaml"

ok "create clones three VMs" sh -c "'$LADING' vsphere create --timeout 20 -s '$TRASH/site.yaml' --jobs 3 >'$TRASH/create.out'"
is "each VM reported created with its address" "$(awk '{print $1, $2, $3}' "$TRASH/create.out" | sort | tr '\n' ' ')" \
	"gpu-worker-01 created 198.18.20.11 gpu-worker-02 created 198.18.20.12 gpu-worker-03 created 198.18.20.13 "
is "simulator: gpu-worker-02 is powered on" "$(vcsim_vm gpu-worker-02 power)" poweredOn
is "simulator: guest IP from the customization" "$(vcsim_vm gpu-worker-02 ip)" 198.18.20.12
is "simulator: host name from LinuxPrep" "$(vcsim_vm gpu-worker-03 hostname)" gpu-worker-03
is "simulator: CPUs and memory from the clone spec" "$(vcsim_vm gpu-worker-01 cpus)/$(vcsim_vm gpu-worker-01 memory_mb)" 4/2048
is "simulator: lading's marker set" "$(vcsim_vm gpu-worker-01 extra_config:lading.managed)" true
is "simulator: clones are in the lading folder" "$(vcsim_vm gpu-worker-01 folder)" lading
vcsim_vm gpu-worker-01 extra_config:guestinfo.userdata | base64 -d >"$TRASH/userdata"
is "cloud-init: userdata is base64 (guestinfo.userdata.encoding)" \
	"$(vcsim_vm gpu-worker-01 extra_config:guestinfo.userdata.encoding)" base64
ok "cloud-init: userdata carries the host name and the SSH key" sh -c "
	head -n1 '$TRASH/userdata' | grep -qx '#cloud-config' && grep -q 'hostname: \"gpu-worker-01\"' '$TRASH/userdata' &&
	grep -qF '$(cut -d' ' -f2 "$TRASH/key.pub")' '$TRASH/userdata'"
is "simulator: the NIC moved onto the site's network" "$(vcsim_vm gpu-worker-01 networks)" "VM Network"
ok "inventory: group vsphere_workers with ansible_host from VMware Tools" python3 -c '
import sys, yaml
inv = yaml.safe_load(open(sys.argv[1]))
hosts = inv["all"]["children"]["vsphere_workers"]["hosts"]
assert sorted(hosts) == ["gpu-worker-01", "gpu-worker-02", "gpu-worker-03"], hosts
assert hosts["gpu-worker-02"]["ansible_host"] == "198.18.20.12", hosts
assert hosts["gpu-worker-02"]["ansible_user"] == "root" and hosts["gpu-worker-02"]["ansible_port"] == "2222"
' "$TRASH/vsphere-inventory.yml"
ok "inventory: lading's own inventory reader takes it (lading inventory list)" sh -c "
	'$LADING' inventory list -i '$TRASH/vsphere-inventory.yml' --json >'$TRASH/inv.json' &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d[\"_meta\"][\"hostvars\"][\"gpu-worker-03\"];
assert sorted(d[\"vsphere_workers\"][\"hosts\"]) == [\"gpu-worker-01\", \"gpu-worker-02\", \"gpu-worker-03\"]; assert v[\"ansible_host\"] == \"198.18.20.13\", v' '$TRASH/inv.json'"

ok "list shows them powered on with their IPs" sh -c "'$LADING' vsphere list -s '$TRASH/site.yaml' >'$TRASH/list.out' &&
	grep -Eq '^gpu-worker-01 +vsphere_workers +poweredOn +198.18.20.11 +managed' '$TRASH/list.out' &&
	[ \$(grep -c poweredOn '$TRASH/list.out') = 3 ]"
before=$(vcsim_vms | wc -l)
ok "re-running create is idempotent" sh -c "'$LADING' vsphere create --timeout 20 -s '$TRASH/site.yaml' --json -o '$TRASH/inv2.yml' >'$TRASH/again.out'"
is "every VM reported ok" "$(grep -c '"status":"ok"' "$TRASH/again.out")" 3
is "simulator: no VM added by the re-run" "$(vcsim_vms | wc -l)" "$before"
ok "the re-run writes the same hosts" sh -c "grep -c ansible_host '$TRASH/inv2.yml' | grep -qx 3"

# A VM of the same folder that lading did not create must survive destroy.
ok "destroy removes lading's VMs" sh -c "'$LADING' vsphere destroy --timeout 20 -s '$TRASH/site.yaml' >'$TRASH/destroy.out' &&
	[ \$(grep -c destroyed '$TRASH/destroy.out') = 3 ]"
is "simulator: the clones are gone" "$(vcsim_vms | grep -c gpu-worker)" 0
is "simulator: the foreign VM in the same folder survives" "$(vcsim_vm foreign-01 folder)" lading
ok "destroy again reports them absent" sh -c "'$LADING' vsphere destroy --timeout 20 -s '$TRASH/site.yaml' | grep -c absent | grep -qx 3"
done_testing
