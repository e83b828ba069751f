# Sourced by vSphere tests after test-lib.sh: a real vCenter simulator
# (govmomi 0.24's vcsim, built once per checkout by scripts/vcsim-build)
# on 127.0.0.1 with TLS, a fresh certificate and a required password.
#
# vcsim_start: sets VCSIM_URL (https://127.0.0.1:PORT/sdk), VCSIM_CA (its
#   certificate, PEM), VCSIM_USER, VCSIM_PASSWORD, VCSIM_PID; killed at exit.
# vcsim_vms: the simulator's own view of every VM, one JSON object per line
#   (name, folder, template, power, ip, hostname, cpus, memory_mb, extra_config).

vcsim_start() {
	_bin=$("$TOP/scripts/vcsim-build") || { echo "# vcsim build failed" >&2; return 1; }
	VCSIM_DIR=$TRASH/vcsim
	mkdir -p "$VCSIM_DIR"
	VCSIM_USER=lading@vsphere.local
	VCSIM_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	VCSIM_PASSWORD=$VCSIM_PASSWORD "$_bin" -dir "$VCSIM_DIR" -username "$VCSIM_USER" \
		>"$TRASH/vcsim.log" 2>&1 &
	VCSIM_PID=$!
	at_exit "kill_pid $VCSIM_PID"
	_tries=300
	while [ ! -s "$VCSIM_DIR/url" ] && [ $_tries -gt 0 ]; do
		kill -0 "$VCSIM_PID" 2>/dev/null || { echo "# vcsim exited" >&2; return 1; }
		sleep 0.1; _tries=$((_tries - 1))
	done
	[ -s "$VCSIM_DIR/url" ] || { echo "# vcsim did not start" >&2; return 1; }
	VCSIM_URL=$(cat "$VCSIM_DIR/url")
	VCSIM_CA=$VCSIM_DIR/cert.pem
	export VCSIM_URL VCSIM_CA VCSIM_USER VCSIM_PASSWORD VCSIM_PID
}

vcsim_vms() {
	curl -sf --cacert "$VCSIM_CA" "${VCSIM_URL%/sdk}/lading-test/vms"
}

# vcsim_vm NAME FIELD: one field of one VM as the simulator sees it ("" when absent);
# nested with ":" (extra_config:lading.managed).
vcsim_vm() {
	vcsim_vms | python3 -c '
import json, sys
name, field = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    vm = json.loads(line)
    if vm["name"] == name:
        value = vm
        for part in field.split(":"):
            value = value.get(part, "") if isinstance(value, dict) else ""
        print(value if not isinstance(value, bool) else str(value).lower())
        break
' "$1" "$2"
}

# vcsim_site FILE NAMES IPS [EXTRA_KEY_LINES]: a site.yaml with a vsphere section
# for the simulator's inventory (template, cluster, datastore, lading folder).
# VCSIM_NO_CA=1 leaves ca_file out; VCSIM_TEMPLATE overrides the template path.
vcsim_site() {
	_ips=""
	[ -n "$3" ] && _ips="      ip: $3
      gateway: 198.18.20.1
      dns: [198.18.20.2]"
	_ca="  ca_file: $VCSIM_CA"
	[ -n "${VCSIM_NO_CA:-}" ] && _ca=""
	cat >"$1" <<SITE
registry: {address: 198.18.0.1:5000}
vsphere:
  url: $VCSIM_URL
  username: $VCSIM_USER
$_ca
  datacenter: DC0
  template: ${VCSIM_TEMPLATE:-/DC0/vm/templates/ubuntu-22.04}
  cluster: /DC0/host/DC0_C0
  datastore: /DC0/datastore/LocalDS_0
  folder: /DC0/vm/lading
  network: /DC0/network/VM Network
${4:-}
  vms:
    - name: $2
      group: vsphere_workers
      cpus: 4
      memory_mb: 2048
$_ips
SITE
}
