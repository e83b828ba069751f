#!/bin/bash
# RFC 9112 §3.2: `lading serve` answers 400 to an HTTP/1.1 request without a
# Host header or with two of them (issue 15); HTTP/1.0 needs none.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 6

mkdir -p "$TRASH/site/files"
echo "hello" >"$TRASH/site/files/readme.txt"
serve_start "$TRASH/site" --insecure-skip-signature || exit 1
status_of() { # REQUEST-HEAD (printf format): prints the status code of the answer
	python3 - "$SERVE_PORT" "$1" <<-'PY'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
	s.sendall(sys.argv[2].replace("\\r\\n", "\r\n").encode())
	data = b""
	while b"\r\n" not in data:
	    chunk = s.recv(4096)
	    if not chunk:
	        break
	    data += chunk
	print(data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "none")
	PY
}
is "HTTP/1.1 without Host: 400" "$(status_of 'GET /files/readme.txt HTTP/1.1\r\nConnection: close\r\n\r\n')" 400
is "HTTP/1.1 with two Host headers: 400" \
	"$(status_of 'GET /files/readme.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n')" 400
is "HEAD over HTTP/1.1 without Host: 400" "$(status_of 'HEAD /files/readme.txt HTTP/1.1\r\n\r\n')" 400
is "HTTP/1.1 with one Host: 200" "$(status_of 'GET /files/readme.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')" 200
is "HTTP/1.0 without Host: 200" "$(status_of 'GET /files/readme.txt HTTP/1.0\r\n\r\n')" 200
ok "the 400 is in the access log" grep -q '"GET /files/readme.txt" 400 ' "$SERVE_LOG"
serve_stop
done_testing
