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
# A missing or empty one prints a line naming DIR, so two of them never compare equal.
oci_blob_set() {
	_set=$(cd "$1/blobs/sha256" 2>/dev/null && ls | grep -E '^[0-9a-f]{64}$' | sort)
	if [ -n "$_set" ]; then printf '%s\n' "$_set"; else echo "(no blobs in $1)"; fi
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

# tls_make_certs DIR: a test CA (DIR/ca.pem, DIR/ca.key) and a server certificate
# for 127.0.0.1 signed by it (DIR/server.pem, DIR/server.key). Made fresh per test.
tls_make_certs() {
	_d=$1
	mkdir -p "$_d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=lading test CA $$" -keyout "$_d/ca.key" -out "$_d/ca.pem" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$_d/server.key" -out "$_d/server.csr" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$_d/ext.cnf" &&
	openssl x509 -req -in "$_d/server.csr" -CA "$_d/ca.pem" -CAkey "$_d/ca.key" -CAcreateserial \
		-days 2 -extfile "$_d/ext.cnf" -out "$_d/server.pem" 2>/dev/null
}

# registry_start_tls_basic NAME USER PASSWORD: a registry on TLS (a test CA made
# here, in $REGISTRY_CA) with htpasswd Basic auth (bcrypt, htpasswd -B).
registry_start_tls_basic() {
	_tname=$1; _tdir=$TRASH/tls-$1
	tls_make_certs "$_tdir" || return 1
	printf '%s' "$3" | htpasswd -iBn "$2" >"$_tdir/htpasswd" 2>/dev/null || return 1
	{
		echo "  tls:"
		echo "    certificate: $_tdir/server.pem"
		echo "    key: $_tdir/server.key"
		echo "auth:"
		echo "  htpasswd:"
		echo "    realm: lading-test"
		echo "    path: $_tdir/htpasswd"
	} >"$_tdir/extra.yml"
	REGISTRY_CA=$_tdir/ca.pem
	registry_start "$_tname" "$_tdir/extra.yml"
}

# token_server_start NAME [token-server.py options]: the tests' own token server
# (scripts/token-server.py) with a fresh RSA key and self-signed certificate;
# sets TOKEN_PORT, TOKEN_LOG, TOKEN_CERT, TOKEN_ISSUED (issued tokens, for leak checks).
token_server_start() {
	_kname=$1; shift
	_kdir=$TRASH/token-$_kname
	mkdir -p "$_kdir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=lading test token issuer" \
		-keyout "$_kdir/key.pem" -out "$_kdir/cert.pem" 2>/dev/null || return 1
	TOKEN_LOG=$TRASH/token-$_kname.log
	TOKEN_CERT=$_kdir/cert.pem
	TOKEN_ISSUED=$_kdir/issued
	: >"$TOKEN_LOG"
	python3 "$TOP/scripts/token-server.py" --key "$_kdir/key.pem" --cert "$TOKEN_CERT" \
		--issuer lading-test-issuer --port-file "$_kdir/port" --log "$TOKEN_LOG" \
		--token-log "$TOKEN_ISSUED" "$@" 2>>"$TRASH/token-$_kname.err" &
	_kpid=$!
	at_exit "kill_pid $_kpid"
	_n=100
	while [ ! -s "$_kdir/port" ] && [ $_n -gt 0 ]; do sleep 0.05; _n=$((_n - 1)); done
	TOKEN_PORT=$(cat "$_kdir/port" 2>/dev/null) || return 1
}

# registry_start_token NAME: a plain-HTTP registry with distribution's `auth: token`
# trusting the token server started last.
registry_start_token() {
	_rdir=$TRASH/token-registry-$1
	mkdir -p "$_rdir"
	{
		echo "auth:"
		echo "  token:"
		echo "    realm: http://127.0.0.1:$TOKEN_PORT/token"
		echo "    service: lading-test-registry"
		echo "    issuer: lading-test-issuer"
		echo "    rootcertbundle: $TOKEN_CERT"
	} >"$_rdir/extra.yml"
	registry_start "$1" "$_rdir/extra.yml"
}

# registry_restart NAME: starts registry NAME again on its port, config and storage
# (after registry_stop or a kill); sets REGISTRY_PID.
registry_restart() {
	_dir=$TRASH/registry-$1
	_port=$(sed -n 's/^  addr: 127.0.0.1://p' "$_dir/config.yml")
	"$REGISTRY_BIN" serve "$_dir/config.yml" >>"$TRASH/registry-$1.log" 2>&1 &
	REGISTRY_PID=$!
	eval "REGISTRY_PID_$1=$REGISTRY_PID"
	at_exit "kill_pid $REGISTRY_PID"
	wait_for_port "$_port" 127.0.0.1 20
}
