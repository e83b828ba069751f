# Sourced by tests after test-lib.sh: start Debian's docker-registry on a free
# 127.0.0.1 port with its own storage under $TRASH, stop it by PID at exit.
#
#   registry_start NAME [EXTRA_YAML_FILE]   sets REGISTRY_PORT, REGISTRY_PID, REGISTRY_LOG, REGISTRY_DIR
#   registry_stop NAME                      stops it (also done at exit)
#   push_layout LAYOUT REF HOST/REPO:TAG    copies one image (all platforms) with skopeo
#
# The registry's request log is in $TRASH/registry-NAME.log (level info: one line per request).

REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}

registry_start() {
	_name=$1; _extra=${2:-}
	REGISTRY_PORT=$(free_port)
	REGISTRY_DIR=$TRASH/registry-$_name
	REGISTRY_LOG=$TRASH/registry-$_name.log
	mkdir -p "$REGISTRY_DIR/storage"
	{
		echo "version: 0.1"
		echo "log: {level: info, accesslog: {disabled: false}}"
		echo "storage: {filesystem: {rootdirectory: $REGISTRY_DIR/storage}, delete: {enabled: true}}"
		echo "http:"
		echo "  addr: 127.0.0.1:$REGISTRY_PORT"
		echo "  secret: lading-test-secret"
		[ -n "$_extra" ] && cat "$_extra"
	} >"$REGISTRY_DIR/config.yml"
	"$REGISTRY_BIN" serve "$REGISTRY_DIR/config.yml" >>"$REGISTRY_LOG" 2>&1 &
	REGISTRY_PID=$!
	eval "REGISTRY_PID_$_name=$REGISTRY_PID"
	at_exit "kill_pid $REGISTRY_PID"
	if ! wait_for_port "$REGISTRY_PORT" 127.0.0.1 20; then
		echo "# registry $_name did not start; log:" >&2
		sed 's/^/# /' "$REGISTRY_LOG" >&2
		return 1
	fi
}

registry_stop() {
	eval "_pid=\${REGISTRY_PID_$1:-}"
	kill_pid "$_pid"
}

# push_layout LAYOUT REF DEST [extra skopeo args]: DEST is host:port/repo:tag on plain HTTP.
push_layout() {
	_layout=$1; _ref=$2; _dest=$3; shift 3
	skopeo copy --quiet --all --dest-tls-verify=false "$@" "oci:$_layout:$_ref" "docker://$_dest"
}

# registry_client_config FILE: appends a `registries:` entry with plain_http for the
# registry started last (writes the `registries:` key when FILE is new). For
# `lading image pull --registry-config FILE`.
registry_client_config() {
	[ -s "$1" ] || echo "registries:" >"$1"
	printf '  - host: 127.0.0.1:%s\n    plain_http: true\n' "$REGISTRY_PORT" >>"$1"
}

# oci_blob_set DIR: the sorted blob digests (hex) of an OCI layout or lading store.
oci_blob_set() {
	(cd "$1/blobs/sha256" && ls | grep -E '^[0-9a-f]{64}$' | sort)
}

# store_verify DIR: every blob's sha256 equals its name; prints the first bad one.
store_verify() {
	for _f in "$1"/blobs/sha256/*; do
		_want=$(basename "$_f")
		_got=$(sha256sum "$_f" | cut -d' ' -f1)
		[ "$_want" = "$_got" ] || { echo "bad blob $_want (is $_got)"; return 1; }
	done
}

# fake_registry_start NAME LAYOUT [fake-registry.py options]: a misbehaving
# registry of the tests' own serving LAYOUT on 127.0.0.1; sets FAKE_PORT, FAKE_LOG.
fake_registry_start() {
	_name=$1; _layout=$2; shift 2
	FAKE_LOG=$TRASH/fake-$_name.log
	rm -f "$TRASH/fake-$_name.port"
	: >"$FAKE_LOG"
	python3 "$TOP/scripts/fake-registry.py" "$_layout" --port-file "$TRASH/fake-$_name.port" \
		--log "$FAKE_LOG" "$@" 2>>"$TRASH/fake-$_name.err" &
	_pid=$!
	at_exit "kill_pid $_pid"
	eval "FAKE_PID_$_name=$_pid"
	_n=100
	while [ ! -s "$TRASH/fake-$_name.port" ] && [ $_n -gt 0 ]; do sleep 0.05; _n=$((_n - 1)); done
	FAKE_PORT=$(cat "$TRASH/fake-$_name.port" 2>/dev/null) || return 1
}
