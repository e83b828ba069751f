#!/bin/bash
# lading vsphere against a real vCenter simulator, the refusals: wrong
# password, unknown template, a name taken by a VM lading did not create
# (create refuses it, destroy leaves it), and TLS verified by default.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-vcsim.sh"
plan 20

vcsim_start || { echo "Bail out! vcsim did not start"; exit 1; }
export LADING_VSPHERE_PASSWORD=$VCSIM_PASSWORD
vcsim_site "$TRASH/site.yaml" 'node-[1:2]' '198.18.21.[1:2]/24'

fails_one_line "wrong password: one line, exit 1" 1 "login as 'lading@vsphere.local' refused \(InvalidLogin\)" \
	env LADING_VSPHERE_PASSWORD=not-it "$LADING" vsphere create --timeout 20 -s "$TRASH/site.yaml"
VCSIM_TEMPLATE=/DC0/vm/templates/no-such-template vcsim_site "$TRASH/notemplate.yaml" 'node-[1:2]' ''
fails_one_line "unknown template: one line naming it, exit 1" 1 \
	"template '/DC0/vm/templates/no-such-template': not found \(NotFound\)" \
	"$LADING" vsphere create --timeout 20 -s "$TRASH/notemplate.yaml"
is "simulator: nothing was cloned" "$(vcsim_vms | grep -c '"node-')" 0
VCSIM_TEMPLATE=/DC0/vm/templates/no-room vcsim_site "$TRASH/full.yaml" 'node-9' '198.18.21.9/24'
fails_one_line "a failed clone task: one line naming the VM and the fault" 1 \
	"^lading: vsphere: node-9: CloneVM_Task failed: InsufficientResourcesFault" \
	"$LADING" vsphere create --timeout 20 -s "$TRASH/full.yaml"

sed 's|datacenter: DC0|datacenter: DC9|' "$TRASH/site.yaml" >"$TRASH/nodc.yaml"
fails_one_line "unknown datacenter: one line naming it" 1 "datacenter '/DC9': not found \(NotFound\)" \
	"$LADING" vsphere create -s "$TRASH/nodc.yaml"
sed 's|template: /DC0/|template: |; s|folder: /DC0/|folder: |' "$TRASH/site.yaml" >"$TRASH/relative.yaml"
ok "paths relative to the datacenter work" sh -c "'$LADING' vsphere list -s '$TRASH/relative.yaml' | grep -c absent | grep -qx 2"

# DHCP: the simulator's guests never report an address, so the wait must end.
vcsim_site "$TRASH/dhcp.yaml" 'dhcp-1' ''
fails_one_line "no address from VMware Tools: bounded wait, one line" 1 \
	"dhcp-1: no IP address from VMware Tools after 1 s" "$LADING" vsphere create --timeout 1 -s "$TRASH/dhcp.yaml"
is "simulator: the DHCP clone is up, without customization" "$(vcsim_vm dhcp-1 power)/$(vcsim_vm dhcp-1 hostname)" poweredOn/
ok "destroy removes it" "$LADING" vsphere destroy -s "$TRASH/dhcp.yaml"

# foreign-01 sits in the lading folder without lading's marker.
vcsim_site "$TRASH/foreign.yaml" 'foreign-01' ''
fails_with "a name taken by a foreign VM is refused" 1 \
	"foreign-01: a VM named 'foreign-01' already exists in '/DC0/vm/lading' and was not created by lading" \
	"$LADING" vsphere create --timeout 20 -s "$TRASH/foreign.yaml" -o "$TRASH/foreign-inv.yml"
ok "the refused VM is not in the inventory" sh -c "! grep -q foreign-01 '$TRASH/foreign-inv.yml'"
fails_with "destroy refuses the foreign VM" 1 "'/DC0/vm/lading/foreign-01' was not created by lading" \
	"$LADING" vsphere destroy --timeout 20 -s "$TRASH/foreign.yaml"
is "simulator: the foreign VM is still there" "$(vcsim_vm foreign-01 name)" foreign-01

VCSIM_NO_CA=1 vcsim_site "$TRASH/noca.yaml" 'node-[1:2]' '198.18.21.[1:2]/24'
fails_with "TLS: the simulator's certificate is not trusted without ca_file" 1 \
	"TLS verification failed.*ca_file" "$LADING" vsphere list -s "$TRASH/noca.yaml"
VCSIM_NO_CA=1 vcsim_site "$TRASH/insecure.yaml" 'node-[1:2]' '198.18.21.[1:2]/24' '  insecure_skip_verify: true'
ok "TLS: insecure_skip_verify: true connects" "$LADING" vsphere list -s "$TRASH/insecure.yaml"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other -days 1 \
	-keyout "$TRASH/other.key" -out "$TRASH/other.pem" 2>/dev/null
sed "s|ca_file: .*|ca_file: other.pem|" "$TRASH/site.yaml" >"$TRASH/otherca.yaml"
fails_with "TLS: another CA as ca_file is refused" 1 "TLS verification failed" \
	"$LADING" vsphere list -s "$TRASH/otherca.yaml"

# A mixed run: one name refused, the other VMs still created.
cat >>"$TRASH/site.yaml" <<'YAML'
    - name: foreign-01
      group: vsphere_workers
YAML
"$LADING" vsphere create --timeout 20 -s "$TRASH/site.yaml" >"$TRASH/mixed.out" 2>"$TRASH/mixed.err"
is "mixed create: exit 1" "$?" 1
created=$(grep -c created "$TRASH/mixed.out")
is "mixed create: the others are created" "$created" 2
[ "$created" = 2 ] || sed 's/^/#   /' "$TRASH/mixed.out" "$TRASH/mixed.err"
"$LADING" vsphere destroy --timeout 20 -s "$TRASH/site.yaml" >"$TRASH/mixed-destroy.out" 2>&1
is "mixed destroy: lading's VMs gone, the foreign one kept" \
	"$(vcsim_vms | grep -c '"node-')/$(vcsim_vm foreign-01 name)" 0/foreign-01
ok "no password in any output" sh -c "! grep -rqF '$VCSIM_PASSWORD' '$TRASH'/*.out '$TRASH'/*.err"
done_testing
