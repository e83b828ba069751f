#!/bin/bash
# The registry-mirror role's containerd config on one test host, for each layout (SPECS-2 §3):
# a containerd 2.x config (version = 3) gets config_path in the images plugin's registry
# table, the rest of the file kept; no config and Debian's containerd 1.6 get a version = 2
# file that containerd itself reads; registry.mirrors tables (which containerd refuses next
# to config_path) make the step fail naming the file. containerd does not run here: its
# restart is a recorded command.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
for tool in containerd python3; do
	command -v "$tool" >/dev/null || skip_all "needs $tool"
done
plan 9
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"
hosts_start 1 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
cat >"$TRASH/inv.yml" <<YAML
all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: $HOSTS_KEY
    lading_service_containerd_restart: echo restarted >>/run/containerd-restarts
  hosts:
    h1: {ansible_host: $(host_ip 1)}
YAML
cat >"$TRASH/site.yaml" <<YAML
registry: {address: "$HOSTS_BRIDGE_IP:5000", plain_http: true}
apply:
  - hosts: all
    roles: [registry-mirror]
YAML
apply() { "$LADING" provision -i "$TRASH/inv.yml" -s "$TRASH/site.yaml" --known-hosts "$KH" --log-dir "$TRASH/runs" "$@"; }
step() { jq -r "select(.step == \"containerd config_path\") | .status + \": \" + .msg" "$1"; }
CONF=$(host_path 1 /etc/containerd/config.toml)
toml() { python3 -c "import sys, tomllib; d = tomllib.load(open(sys.argv[1], 'rb')); print($1)" "$CONF" 2>&1; }

# containerd 2.x: version = 3, other settings that must stay
cat >"$CONF" <<'TOML'
version = 3
root = "/var/lib/containerd"

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"

[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
  SystemdCgroup = true
TOML
apply --json >"$TRASH/v3.json" 2>"$TRASH/v3.err"
is "version 3: exit 0, the step changed the file" "$? $(step "$TRASH/v3.json")" "0 changed: ran"
is "version 3: config_path in the images plugin's registry table, the rest kept" \
	"$(toml 'd["version"], d["plugins"]["io.containerd.cri.v1.images"]["registry"]["config_path"], d["plugins"]["io.containerd.cri.v1.images"]["snapshotter"], d["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"], d["root"]')" \
	"3 /etc/containerd/certs.d overlayfs True /var/lib/containerd"
ok "version 3: no CRI 1.x table written" test -z "$(grep -F 'io.containerd.grpc.v1.cri' "$CONF")"
apply --json >"$TRASH/v3b.json" 2>"$TRASH/v3b.err"
is "version 3, second run: the step is ok, containerd restarted once" \
	"$? $(step "$TRASH/v3b.json") $(wc -l <"$(host_root 1)/run/containerd-restarts")" "0 ok: unless: condition holds 1"

# no config at all, Debian's containerd 1.6
rm -f "$CONF"
apply --json >"$TRASH/none.json" 2>"$TRASH/none.err"
is "no config, containerd 1.6: a version 2 file" \
	"$? $(toml 'd["version"], d["plugins"]["io.containerd.grpc.v1.cri"]["registry"]["config_path"]')" \
	"0 2 /etc/containerd/certs.d"
host_exec 1 "containerd config dump" >"$TRASH/dump.toml" 2>"$TRASH/dump.err"
is "containerd 1.6 itself reads config_path from it" \
	"$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["plugins"]["io.containerd.grpc.v1.cri"]["registry"]["config_path"])' "$TRASH/dump.toml" 2>&1)" \
	/etc/containerd/certs.d

# registry.mirrors next to config_path: refused
cat >"$CONF" <<'TOML'
version = 2

[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
  endpoint = ["https://mirror.example"]
TOML
cp "$CONF" "$TRASH/mirrors.before"
apply --json >"$TRASH/mirrors.json" 2>"$TRASH/mirrors.err"
is "registry.mirrors: exit 1" "$?" 1
is "registry.mirrors: the step fails naming the file and what to do" "$(step "$TRASH/mirrors.json")" \
	"failed: exit 1: /etc/containerd/config.toml has registry.mirrors tables, which containerd refuses next to config_path: remove them (the hosts.toml files in /etc/containerd/certs.d replace them)"
ok "registry.mirrors: the file is left as it was" cmp "$TRASH/mirrors.before" "$CONF"
done_testing
