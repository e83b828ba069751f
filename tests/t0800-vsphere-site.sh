#!/bin/bash
# The vsphere section of site.yaml and the command line, without a server:
# input errors are one line naming file:line:col, exit 2; no password, no run.
. "$(dirname "$0")/test-lib.sh"
plan 14

site() {
	cat >"$TRASH/site.yaml" <<YAML
vsphere:
  url: https://127.0.0.1:9/sdk
  username: u
  template: /DC0/vm/t
  cluster: /DC0/host/C
  folder: /DC0/vm/lading
$1
  vms:
    - name: ${2:-gpu-[01:04]}
      group: g
      ip: ${3:-198.18.0.[11:14]/24}
YAML
}
export LADING_VSPHERE_PASSWORD=x

ok "--help prints the verbs" sh -c "'$LADING' vsphere --help | grep -q '^  create '"
site ""
fails_one_line "no password: exit 2" 2 'set \$LADING_VSPHERE_PASSWORD' env -u LADING_VSPHERE_PASSWORD "$LADING" vsphere list -s "$TRASH/site.yaml"
fails_one_line "unknown verb: exit 2" 2 "unknown verb 'clone'" "$LADING" vsphere clone -s "$TRASH/site.yaml"
fails_one_line "-s is required" 2 "-s site.yaml is required" "$LADING" vsphere list
fails_one_line "bad --jobs" 2 "^lading: vsphere create: --jobs must be a number from 1 to 64, got .0." "$LADING" vsphere create -s "$TRASH/site.yaml" --jobs 0
site "  colour: blue"
fails_one_line "unknown key named with its position" 2 "site.yaml:7:3: unknown key 'colour' in vsphere" \
	"$LADING" vsphere list -s "$TRASH/site.yaml"
site "" 'gpu-[01:04]' '198.18.0.[11:13]/24'
fails_one_line "name and ip ranges of different sizes" 2 "site.yaml:11:11: ip: '198.18.0.\[11:13\]/24' gives 3 addresses for 4 names" \
	"$LADING" vsphere list -s "$TRASH/site.yaml"
site "" 'gpu-[01:04]' '198.18.0.[11:14]/33'
fails_one_line "bad prefix length" 2 "ip: '198.18.0.11/33': bad prefix length" "$LADING" vsphere list -s "$TRASH/site.yaml"
site "" 'gpu_[1:2]' '198.18.0.[1:2]'
fails_one_line "a name that is not a host name" 2 "name: 'gpu_1' is not a host name" "$LADING" vsphere list -s "$TRASH/site.yaml"
site "  resource_pool: /DC0/host/C/Resources"
fails_one_line "cluster and resource_pool are exclusive" 2 "give exactly one of 'cluster' and 'resource_pool'" \
	"$LADING" vsphere list -s "$TRASH/site.yaml"
site "  ssh_authorized_key: missing.pub"
fails_one_line "missing ssh key file named" 2 "ssh_authorized_key: cannot read '.*/missing.pub'" \
	"$LADING" vsphere list -s "$TRASH/site.yaml"
site "  insecure_skip_verify: maybe"
fails_one_line "insecure_skip_verify must be a boolean" 2 "insecure_skip_verify: expected true or false" \
	"$LADING" vsphere list -s "$TRASH/site.yaml"
cat >"$TRASH/rel.yaml" <<YAML
vsphere:
  url: https://127.0.0.1:9/sdk
  username: u
  template: vm/t
  cluster: /DC0/host/C
  folder: /DC0/vm/lading
  vms: [{name: a, group: g}]
YAML
fails_one_line "a relative path needs a datacenter" 2 "rel.yaml:4:13: template: 'vm/t' is relative" \
	"$LADING" vsphere list -s "$TRASH/rel.yaml"
sed 's|url: https://|url: http://|' "$TRASH/rel.yaml" >"$TRASH/http.yaml"
fails_one_line "plain http is refused" 2 "http.yaml:2:8: url: 'http://127.0.0.1:9/sdk' must start with https://" \
	"$LADING" vsphere list -s "$TRASH/http.yaml"
done_testing
