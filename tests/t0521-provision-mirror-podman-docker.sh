#!/bin/bash
# registry-mirror on podman and Docker Engine nodes. A docker-registry with TLS
# (its own CA) on the bridge address holds library/demo:1. Three test hosts,
# each with private /etc/containers and /etc/docker:
#   h1: podman (Debian's). `podman pull docker.io/library/demo:1` fails before
#       and succeeds after the role wrote registries.conf.d/50-lading.conf
#       (version 2 TOML) and certs.d/<registry>/ca.crt.
#   h2: a Docker Engine (a stand-in dockerd, which the facts find and whose
#       pidfile gets the reload): daemon.json gains the registry first in
#       registry-mirrors, every other key survives, the JSON is valid, the CA
#       is in /etc/docker/certs.d/<registry>/ca.crt, dockerd got SIGHUP.
#   h3: a daemon.json that is not JSON: the step fails naming it, the file is
#       untouched.
# A second run is all ok on h1 and h2.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
command -v podman >/dev/null || skip_all "needs podman"
plan 18
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"

hosts_start 3 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"

# A CA and a server certificate for the bridge address.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=lading test CA" \
	-keyout "$TRASH/ca.key" -out "$TRASH/ca.pem" 2>/dev/null || exit 1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$HOSTS_BRIDGE_IP" \
	-keyout "$TRASH/server.key" -out "$TRASH/server.csr" 2>/dev/null || exit 1
printf 'subjectAltName=IP:%s\n' "$HOSTS_BRIDGE_IP" >"$TRASH/san.ext"
openssl x509 -req -in "$TRASH/server.csr" -CA "$TRASH/ca.pem" -CAkey "$TRASH/ca.key" -CAcreateserial -days 2 \
	-extfile "$TRASH/san.ext" -out "$TRASH/server.pem" 2>/dev/null || exit 1

PORT=$(free_port)
REG=$HOSTS_BRIDGE_IP:$PORT
mkdir -p "$TRASH/registry"
cat >"$TRASH/registry/config.yml" <<YAML
version: 0.1
log: {level: info, accesslog: {disabled: false}}
storage: {filesystem: {rootdirectory: $TRASH/registry/storage}}
http: {addr: "$REG", secret: lading-test-secret, tls: {certificate: $TRASH/server.pem, key: $TRASH/server.key}}
YAML
docker-registry serve "$TRASH/registry/config.yml" >"$TRASH/registry.log" 2>&1 &
REG_PID=$!
at_exit "kill_pid $REG_PID"
wait_for_port "$PORT" "$HOSTS_BRIDGE_IP" 20 || { echo "# registry did not start"; exit 1; }
python3 "$TOP/scripts/mkimage.py" "$TRASH/layout" demo:1 --layer 64k:1 --gzip >/dev/null || exit 1
skopeo copy -q --dest-tls-verify=false "oci:$TRASH/layout:demo:1" "docker://$REG/library/demo:1" || exit 1

# Private /etc/containers and /etc/docker on every host; h2 and h3 also a private /usr/local/sbin with a dockerd.
for i in 1 2 3; do
	host_exec $i "mkdir -p '$TRASH/h$i/containers' '$TRASH/h$i/docker' &&
		cp -a /etc/containers/. '$TRASH/h$i/containers/' &&
		mount --bind '$TRASH/h$i/containers' /etc/containers &&
		mkdir -p /etc/docker && mount --bind '$TRASH/h$i/docker' /etc/docker" || exit 1
done
mkdir -p "$TRASH/h2/sbin"
cat >"$TRASH/h2/sbin/dockerd" <<'SH'
#!/bin/sh
# stands in for the Docker Engine: counts the SIGHUPs that reload its configuration
trap 'echo reload >>/run/dockerd.reloads' HUP
echo ready >/run/dockerd.ready
while :; do sleep 1 & wait $!; done
SH
chmod +x "$TRASH/h2/sbin/dockerd"
host_exec 2 "mount --bind '$TRASH/h2/sbin' /usr/local/sbin" || exit 1
host_exec 3 "mount --bind '$TRASH/h2/sbin' /usr/local/sbin" || exit 1
# With SIGHUP at its default: a shell cannot trap a signal ignored when it started (under nohup, say).
host_spawn 2 "$TRASH/dockerd-h2.log" env --default-signal=HUP /usr/local/sbin/dockerd
host_exec 2 "echo $HOST_SPAWN_PID >/run/docker.pid"
# A SIGHUP before the trap is set would kill it: wait (at most 10 s) until it is.
for _ in $(seq 100); do host_exec 2 'test -e /run/dockerd.ready' && break; sleep 0.1; done
cat >"$TRASH/h2/docker/daemon.json" <<'JSON'
{
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m", "max-file": "3"},
  "registry-mirrors": ["https://mirror.example.org"],
  "data-root": "/srv/docker"
}
JSON
printf '{ "log-driver": "json-file", \n' >"$TRASH/h3/docker/daemon.json"
cp "$TRASH/h3/docker/daemon.json" "$TRASH/h3-daemon.json.before"

PODMAN="podman --root $TRASH/h1/storage --runroot /run/podman --storage-driver vfs --events-backend file --cgroup-manager cgroupfs"
pull() { host_exec 1 "timeout 120 $PODMAN pull -q docker.io/library/demo:1" >"$TRASH/pull.out" 2>&1; }
ok "before provisioning podman on h1 cannot pull docker.io/library/demo:1" eval '! pull'

cat >"$TRASH/inv.yml" <<YAML
all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: $HOSTS_KEY
    lading_service_containerd_restart: "true"
  hosts:
    h1: {ansible_host: $(host_ip 1)}
    h2: {ansible_host: $(host_ip 2)}
    h3: {ansible_host: $(host_ip 3)}
YAML
cat >"$TRASH/site.yaml" <<YAML
registry:
  address: "$REG"
  ca_file: ca.pem
apply:
  - hosts: all
    roles: [registry-mirror]
YAML
apply() { "$LADING" provision -i "$TRASH/inv.yml" -s "$TRASH/site.yaml" --known-hosts "$KH" --log-dir "$TRASH/runs" "$@"; }
step() { jq -r "select(.host == \"$1\" and .step == \"$2\") | .status + \" \" + .msg" <"$3"; }

apply --json >"$TRASH/run1.json" 2>"$TRASH/run1.err"; st=$?
is "first run: exit 1 (h3's daemon.json is not JSON)" "$st" 1
is "h1: the containers step wrote the drop-in and the CA" \
	"$(step h1 "podman and CRI-O registries.conf.d mirrors and certs.d CA" "$TRASH/run1.json")" \
	"changed wrote /etc/containers/registries.conf.d/50-lading.conf and the CA"
is "h1: no Docker Engine there: its steps skipped" \
	"$(step h1 "Docker Engine registry-mirrors in daemon.json and certs.d CA" "$TRASH/run1.json" | cut -d' ' -f1)" skipped
is "the drop-in is version 2 TOML: docker.io mirrored at the registry" \
	"$(sed -n '/^prefix = "docker.io"/,/^$/p;/location = "'"$REG"'"/p' "$TRASH/h1/containers/registries.conf.d/50-lading.conf" | head -4 | tr '\n' ' ')" \
	"prefix = \"docker.io\" location = \"docker.io\"  location = \"$REG\" "
ok "one [[registry]] per mirrored registry, no insecure flag over TLS" \
	test "$(grep -c '^\[\[registry\]\]' "$TRASH/h1/containers/registries.conf.d/50-lading.conf")" = 5 -a \
	"$(grep -c insecure "$TRASH/h1/containers/registries.conf.d/50-lading.conf")" = 0
ok "the CA is in /etc/containers/certs.d/$REG/ca.crt" cmp "$TRASH/ca.pem" "$TRASH/h1/containers/certs.d/$REG/ca.crt"
ok "after provisioning podman on h1 pulls docker.io/library/demo:1 (from the mirror)" pull
ok "... and the registry served it to h1" grep -q "^$(host_ip 1) - .*\"GET /v2/library/demo/blobs/sha256:" "$TRASH/registry.log"

is "h2: the Docker step updated daemon.json and wrote the CA" \
	"$(step h2 "Docker Engine registry-mirrors in daemon.json and certs.d CA" "$TRASH/run1.json")" \
	"changed wrote /etc/docker/daemon.json and the CA"
is "daemon.json is valid JSON with the registry first in registry-mirrors, the old mirror kept" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["registry-mirrors"])' "$TRASH/h2/docker/daemon.json")" \
	"['https://$REG', 'https://mirror.example.org']"
is "... and every other key survived as it was" \
	"$(jq -c 'del(."registry-mirrors")' "$TRASH/h2/docker/daemon.json")" \
	'{"log-driver":"json-file","log-opts":{"max-size":"10m","max-file":"3"},"data-root":"/srv/docker"}'
ok "the CA is in /etc/docker/certs.d/$REG/ca.crt" cmp "$TRASH/ca.pem" "$TRASH/h2/docker/certs.d/$REG/ca.crt"
# The trap runs when the shell next wakes; on a loaded machine that can be after lading is done.
for _ in $(seq 100); do host_exec 2 'test -s /run/dockerd.reloads' && break; sleep 0.1; done
is "dockerd got SIGHUP (reload) once" "$(host_exec 2 'cat /run/dockerd.reloads 2>/dev/null' | wc -l)" 1

is "h3: a daemon.json that is not JSON fails the step, naming it" \
	"$(step h3 "Docker Engine registry-mirrors in daemon.json and certs.d CA" "$TRASH/run1.json" | cut -c1-54)" \
	"failed /etc/docker/daemon.json is not valid JSON (line"
ok "... and the file is untouched" cmp "$TRASH/h3-daemon.json.before" "$TRASH/h3/docker/daemon.json"

apply --json --limit 'h1:h2' >"$TRASH/run2.json" 2>"$TRASH/run2.err"; st=$?
is "second run on h1 and h2: exit 0, nothing changed" \
	"$st $(jq -s -c '[.[] | select(.recap) | .recap[] | .changed] | add' "$TRASH/run2.json")" "0 0"
ok "the machine's own /etc/containers and /etc/docker are untouched" \
	test ! -e /etc/containers/registries.conf.d/50-lading.conf -a ! -e /etc/docker/daemon.json
done_testing
