#!/bin/bash
# End to end: two test hosts run containerd (no systemd: started in the host's
# namespaces, pidfile in /run). A docker-registry on the bridge address holds
# library/demo:1. `ctr images pull docker.io/library/demo:1` fails before
# provisioning and succeeds on both hosts after `lading provision` applied the
# built-in registry-mirror role, which also installed the site CA, set
# config_path and restarted containerd from its pidfile. A second run is all ok.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces and containerd"
plan 16
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start 2 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"

# The registry, reachable from the hosts on the bridge address.
PORT=$(free_port)
REG=$HOSTS_BRIDGE_IP:$PORT
mkdir -p "$TRASH/registry"
cat >"$TRASH/registry/config.yml" <<YAML
version: 0.1
log: {level: info, accesslog: {disabled: false}}
storage: {filesystem: {rootdirectory: $TRASH/registry/storage}}
http: {addr: "$REG", secret: lading-test-secret}
YAML
docker-registry serve "$TRASH/registry/config.yml" >"$TRASH/registry.log" 2>&1 &
REG_PID=$!
at_exit "kill_pid $REG_PID"
wait_for_port "$PORT" "$HOSTS_BRIDGE_IP" 20 || { echo "# registry did not start"; exit 1; }
python3 "$TOP/scripts/mkimage.py" "$TRASH/layout" demo:1 --layer 96k:1 --layer 32k:2 --gzip >/dev/null || exit 1
skopeo copy -q --dest-tls-verify=false "oci:$TRASH/layout:demo:1" "docker://$REG/library/demo:1" || exit 1

# containerd on each host, with its state in the host's private directories.
start_containerd() { # I
	host_exec "$1" "mkdir -p /etc/containerd && cat >/etc/containerd/config.toml" <<'TOML'
version = 2
root = "/var/lib/containerd/root"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "/run/containerd/containerd.sock"
[ttrpc]
  address = "/run/containerd/containerd-ttrpc.sock"
[debug]
  address = ""
[metrics]
  address = ""
TOML
	host_spawn "$1" "$TRASH/containerd-h$1.log" containerd --config /etc/containerd/config.toml
	host_exec "$1" "echo $HOST_SPAWN_PID >/run/containerd.pid"
}
ctr_on() { # I ARGS...: ctr against host I's containerd, inside the host
	_i=$1; shift
	host_exec "$_i" "timeout 60 ctr -a /run/containerd/containerd.sock -n lading $*"
}
wait_containerd() { # I
	_n=0
	while ! ctr_on "$1" version >/dev/null 2>&1 && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
	ctr_on "$1" version >/dev/null 2>&1
}
PULL="images pull --snapshotter native --hosts-dir /etc/containerd/certs.d docker.io/library/demo:1"
both_up() { wait_containerd 1 && wait_containerd 2; }
pull_fails() { ! ctr_on "$1" "$PULL"; }
restarted() { [ "$(host_exec 1 'cat /run/containerd.pid')" != "$pid_before" ] && both_up; }
pulled_by() { grep -q "^$(host_ip "$1") - .*\"GET /v2/library/demo/blobs/sha256:" "$TRASH/registry.log"; }
for i in 1 2; do start_containerd $i; done
ok "containerd runs on both hosts" both_up
pid_before=$(host_exec 1 "cat /run/containerd.pid")
ok "before provisioning the pull fails on h1 (no route to docker.io)" pull_fails 1
ok "... and on h2" pull_fails 2

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=lading test CA" \
	-keyout "$TRASH/ca.key" -out "$TRASH/ca.pem" 2>/dev/null || exit 1
cat >"$TRASH/inv.yml" <<YAML
all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: $HOSTS_KEY
    lading_service_containerd_log: /run/containerd.log
  hosts:
    h1: {ansible_host: $(host_ip 1)}
    h2: {ansible_host: $(host_ip 2)}
YAML
cat >"$TRASH/site.yaml" <<YAML
registry:
  address: "$REG"
  plain_http: true
  ca_file: ca.pem
apply:
  - hosts: all
    roles: [registry-mirror]
YAML
apply() { "$LADING" provision -i "$TRASH/inv.yml" -s "$TRASH/site.yaml" --known-hosts "$KH" --log-dir "$TRASH/runs" "$@"; }

apply --json >"$TRASH/run1.json" 2>"$TRASH/run1.err"; rc=$?
is "lading provision applied registry-mirror: exit 0" "$rc" 0
is "first run: facts ok, every containerd and podman step changed, no CRI-O or Docker here (skipped)" \
	"$(jq -c 'select(.recap) | .recap' <"$TRASH/run1.json")" \
	'{"h1":{"ok":1,"changed":6,"skipped":3,"failed":0,"unreachable":0},"h2":{"ok":1,"changed":6,"skipped":3,"failed":0,"unreachable":0}}'
is "hosts.toml sends docker.io to the internal registry" \
	"$(grep -v '^#' "$(host_path 1 /etc/containerd/certs.d/docker.io/hosts.toml)" | tr '\n' ' ')" \
	"server = \"https://registry-1.docker.io\"  [host.\"http://$REG\"]   capabilities = [\"pull\", \"resolve\"] "
is "one hosts.toml per mirrored registry" \
	"$(cd "$(host_path 2 /etc/containerd/certs.d)" && ls | tr '\n' ' ')" "docker.io ghcr.io nvcr.io quay.io registry.k8s.io "
ok "config.toml points config_path at certs.d" \
	grep -qx '  config_path = "/etc/containerd/certs.d"' "$(host_path 1 /etc/containerd/config.toml)"
ok "the site CA is in the host's trust bundle" \
	grep -qF "$(sed -n 2p "$TRASH/ca.pem")" "$(host_path 1 /etc/ssl/certs/ca-certificates.crt)"
ok "containerd was restarted from its pidfile" restarted
ok "after provisioning h1 pulls docker.io/library/demo:1 from the internal registry" ctr_on 1 "$PULL"
ok "... and so does h2" ctr_on 2 "$PULL"
ok "the registry served the layers to h1" pulled_by 1
ok "... and to h2" pulled_by 2

apply --json >"$TRASH/run2.json" 2>"$TRASH/run2.err"; rc=$?
is "second run: exit 0" "$rc" 0
is "second run: every step ok, containerd not restarted" \
	"$(jq -c 'select(.recap) | .recap' <"$TRASH/run2.json")" \
	'{"h1":{"ok":7,"changed":0,"skipped":3,"failed":0,"unreachable":0},"h2":{"ok":7,"changed":0,"skipped":3,"failed":0,"unreachable":0}}'
done_testing
