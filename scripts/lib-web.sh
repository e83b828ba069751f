# Sourced by tests after test-lib.sh: a real static web server (Debian's nginx)
# on a free port of 127.0.0.1 (or of $WEB_ADDR) serving a directory, stopped by PID at exit.
#
#   web_start NAME ROOT [CERT KEY]   sets WEB_PORT, WEB_PID, WEB_URL (http:// or https://)
#   web_stop NAME
#
# WEB_ADDR (optional) is the address to listen on, e.g. $HOSTS_BRIDGE_IP so that the
# test hosts of lib-hosts.sh reach the server; default 127.0.0.1.
# WEB_EXTRA (optional) is pasted into the server block, e.g. 'location /broken/ { return 500; }'.
# Files without an extension and *.json are served as application/json (the
# Terraform registry protocol's paths have none). Access log: $TRASH/web-NAME-access.log

NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}

web_start() {
	_name=$1; _root=$2; _cert=${3:-}; _key=${4:-}
	WEB_PORT=$(free_port)
	_dir=$TRASH/web-$_name
	mkdir -p "$_dir/tmp" "$_dir/logs"
	_addr=${WEB_ADDR:-127.0.0.1}
	_listen="$_addr:$WEB_PORT"
	_tls=""
	WEB_URL="http://$_addr:$WEB_PORT"
	if [ -n "$_cert" ]; then
		_listen="$_listen ssl"
		_tls="ssl_certificate $_cert; ssl_certificate_key $_key;"
		WEB_URL="https://$_addr:$WEB_PORT"
	fi
	cat >"$_dir/nginx.conf" <<NGINX
daemon off;
master_process off;
worker_processes 1;
error_log $TRASH/web-$_name-error.log info;
pid $_dir/nginx.pid;
events { worker_connections 256; }
http {
	access_log $TRASH/web-$_name-access.log;
	client_body_temp_path $_dir/tmp/body;
	proxy_temp_path $_dir/tmp/proxy;
	fastcgi_temp_path $_dir/tmp/fastcgi;
	uwsgi_temp_path $_dir/tmp/uwsgi;
	scgi_temp_path $_dir/tmp/scgi;
	types { application/json json; application/gzip tgz; application/zip zip; text/plain txt; application/x-yaml yaml; }
	default_type application/json;
	server {
		listen $_listen;
		$_tls
		root $_root;
		${WEB_EXTRA:-}
	}
}
NGINX
	"$NGINX_BIN" -p "$_dir" -c "$_dir/nginx.conf" >>"$TRASH/web-$_name-error.log" 2>&1 &
	WEB_PID=$!
	eval "WEB_PID_$_name=$WEB_PID"
	at_exit "kill_pid $WEB_PID"
	if ! wait_for_port "$WEB_PORT" "$_addr" 20; then
		echo "# nginx $_name did not start:" >&2
		sed 's/^/# /' "$TRASH/web-$_name-error.log" >&2
		return 1
	fi
}

web_stop() {
	eval "_pid=\${WEB_PID_$1:-}"
	kill_pid "$_pid"
}
