#!/bin/bash
# registry-mirror names images as `bundle push` and `serve` do (images/naming.h):
# `lading serve --keep-host --prefix a/b` serves docker.io/library/demo:1 only as
# a/b/docker.io/library/demo. With the site registry's prefix a/b and
# registry_keep_host: true, containerd on h1 (hosts.toml override_path) and
# podman on h2 (registries.conf.d mirror location) pull docker.io and quay.io
# images through it by their upstream names. A Docker Engine node (h2 has a
# stand-in dockerd) cannot mirror under a path: its step fails saying so.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
. "$TOP/scripts/lib-serve.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces and containerd"
command -v podman >/dev/null || skip_all "needs podman"
plan 11
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start 2 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"

serve_make_site "$TRASH/site" || exit 1
PORT=$(free_port)
REG=$HOSTS_BRIDGE_IP:$PORT
# an unsigned directory: newer serves want that said (as lib-serve.sh's serve_start does)
UNSIGNED=$("$LADING" serve --help 2>&1 | grep -q -- --insecure-skip-signature && echo --insecure-skip-signature)
"$LADING" serve "$TRASH/site" --plain-http $UNSIGNED --listen "$REG" --keep-host --prefix a/b >"$TRASH/serve.out" 2>"$TRASH/serve.err" &
SERVE_PID=$!
at_exit "kill_pid $SERVE_PID"
wait_for_port "$PORT" "$HOSTS_BRIDGE_IP" 20 || { echo "# lading serve did not start"; exit 1; }

# Private /etc/containers on both hosts (podman is installed: the role writes there on h1 too).
for i in 1 2; do
	mkdir -p "$TRASH/h$i/containers"
	host_exec $i "cp -a /etc/containers/. '$TRASH/h$i/containers/' && mount --bind '$TRASH/h$i/containers' /etc/containers" ||
		exit 1
done
# containerd on h1, as in t0501.
host_exec 1 "mkdir -p /etc/containerd && cat >/etc/containerd/config.toml" <<'TOML'
version = 2
root = "/var/lib/containerd/root"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "/run/containerd/containerd.sock"
[ttrpc]
  address = "/run/containerd/containerd-ttrpc.sock"
TOML
host_spawn 1 "$TRASH/containerd-h1.log" containerd --config /etc/containerd/config.toml
host_exec 1 "echo $HOST_SPAWN_PID >/run/containerd.pid"
ctr_on() { host_exec 1 "timeout 60 ctr -a /run/containerd/containerd.sock -n lading $*"; }
wait_containerd() {
	_n=0
	while ! ctr_on version >/dev/null 2>&1 && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
	ctr_on version >/dev/null 2>&1
}
ctr_pull() { wait_containerd && ctr_on "images pull --plain-http --snapshotter native --hosts-dir /etc/containerd/certs.d $1" >/dev/null; }

# podman and a stand-in dockerd on h2, with private /etc/docker and /usr/local/sbin.
mkdir -p "$TRASH/h2/docker" "$TRASH/h2/sbin"
printf '#!/bin/sh\nexec sleep 2147483647\n' >"$TRASH/h2/sbin/dockerd"
chmod +x "$TRASH/h2/sbin/dockerd"
host_exec 2 "mkdir -p /etc/docker && mount --bind '$TRASH/h2/docker' /etc/docker &&
	mount --bind '$TRASH/h2/sbin' /usr/local/sbin" || exit 1
PODMAN="podman --root $TRASH/h2/storage --runroot /run/podman --storage-driver vfs --events-backend file --cgroup-manager cgroupfs"
podman_pull() { host_exec 2 "timeout 120 $PODMAN pull -q $1" >>"$TRASH/podman.out" 2>&1; }

cat >"$TRASH/inv.yml" <<YAML
all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: $HOSTS_KEY
  hosts:
    h1: {ansible_host: $(host_ip 1), lading_service_containerd_log: /run/containerd.log}
    h2: {ansible_host: $(host_ip 2), lading_service_containerd_restart: "true"}
YAML
cat >"$TRASH/site.yaml" <<YAML
registry:
  address: "$REG"
  plain_http: true
  prefix: a/b
vars:
  registry_keep_host: true
apply:
  - hosts: all
    roles: [registry-mirror]
YAML
"$LADING" provision -i "$TRASH/inv.yml" -s "$TRASH/site.yaml" --known-hosts "$KH" --log-dir "$TRASH/runs" --json \
	>"$TRASH/run.json" 2>"$TRASH/run.err"
is "h1 is done, h2 fails at the Docker step only" \
	"$(jq -s -c '[.[] | select(.recap) | .recap | (.h1.failed, .h2.failed)]' "$TRASH/run.json")" "[0,1]"

is "hosts.toml: docker.io at /v2/a/b/docker.io with override_path" \
	"$(grep -A2 '^\[host' "$(host_path 1 /etc/containerd/certs.d/docker.io/hosts.toml)" | tr '\n' ' ')" \
	"[host.\"http://$REG/v2/a/b/docker.io\"]   capabilities = [\"pull\", \"resolve\"]   override_path = true "
ok "containerd on h1 pulls docker.io/library/demo:1 (served as a/b/docker.io/library/demo)" \
	ctr_pull docker.io/library/demo:1
ok "... and quay.io/team/multi:2 (served as a/b/quay.io/team/multi)" ctr_pull quay.io/team/multi:2

is "registries.conf.d: docker.io's mirror is $REG/a/b/docker.io" \
	"$(grep -A1 '^\[\[registry.mirror\]\]' "$TRASH/h2/containers/registries.conf.d/50-lading.conf" | grep -m1 location)" \
	"location = \"$REG/a/b/docker.io\""
ok "... plain HTTP: insecure" grep -qx 'insecure = true' "$TRASH/h2/containers/registries.conf.d/50-lading.conf"
ok "podman on h2 pulls docker.io/library/demo:1 through it" podman_pull docker.io/library/demo:1
ok "... and quay.io/team/multi:2" podman_pull quay.io/team/multi:2

is "the Docker step on h2 refuses a registry path, saying why" \
	"$(jq -r 'select(.host == "h2" and .status == "failed") | .msg' "$TRASH/run.json")" \
	"Docker Engine mirrors docker.io only at a registry's root, and the site registry names images under 'a/b/': push without --prefix and --keep-host for Docker nodes"
ok "... and wrote no daemon.json" test ! -e "$TRASH/h2/docker/daemon.json"
ok "the machine's own /etc/containers and /etc/docker are untouched" \
	test ! -e /etc/containers/registries.conf.d/50-lading.conf -a ! -e /etc/docker/daemon.json
done_testing
