#!/usr/bin/env python3
"""A tiny, deliberately misbehaving OCI registry for tests (stdlib only).

Serves the images of an OCI layout read-only on 127.0.0.1 (any repository
name; tags are the org.opencontainers.image.ref.name annotations) and breaks
on request, so tests can see what a client does with bad registries.

usage: fake-registry.py LAYOUT --port-file F --log F [options]
  --corrupt HEX          serve blob HEX with its first byte flipped
  --too-long HEX         serve blob HEX with 16 extra bytes
  --fail-first N:STATUS  answer the first N manifest requests with STATUS
                         (429 carries Retry-After: 1)
  --basic USER:PASS      require HTTP Basic auth on /v2/
  --redirect-blobs       answer blob GETs with 307 to a second listener on
                         127.0.0.2 (same port), which logs whether the request
                         still carried an Authorization header
  --drop-after HEX:N     send N bytes of blob HEX, then close the connection
                         (once; later requests are served in full, honouring Range)

Log: one line per request, "METHOD PATH host=HOST auth=yes|no range=R status=S".
"""
import base64, hashlib, json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = {"corrupt": set(), "too_long": set(), "fail_first": None, "basic": None,
        "redirect": False, "drop_after": {}}
state = {"manifest_requests": 0}
lock = threading.Lock()


def load_tags(layout):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    tags = {}
    for m in index["manifests"]:
        name = m.get("annotations", {}).get("org.opencontainers.image.ref.name")
        if name:
            tags[name.rsplit(":", 1)[-1]] = m
    return tags


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def log_line(self, status):
        with lock, open(self.server.log_path, "a") as f:
            f.write("%s %s host=%s auth=%s range=%s status=%d\n" % (
                self.command, self.path, self.headers.get("Host"),
                "yes" if self.headers.get("Authorization") else "no",
                self.headers.get("Range", "-"), status))

    def reply(self, status, body=b"", headers=None, ctype="application/json"):
        self.log_line(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code):
        body = json.dumps({"errors": [{"code": code, "message": code.lower()}]}).encode()
        self.reply(status, body)

    def authorized(self):
        if not args["basic"]:
            return True
        want = "Basic " + base64.b64encode(args["basic"].encode()).decode()
        if self.headers.get("Authorization") == want:
            return True
        self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                   {"WWW-Authenticate": 'Basic realm="fake"'})
        return False

    def blob_path(self, hexd):
        return os.path.join(self.server.layout, "blobs", "sha256", hexd)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?")[0]
        if self.server.storage:
            return self.serve_blob(path.rsplit("/", 1)[-1])
        if not path.startswith("/v2/"):
            return self.error(404, "NOT_FOUND")
        if not self.authorized():
            return
        if path == "/v2/":
            return self.reply(200, b"{}")
        parts = path.split("/")
        if len(parts) >= 5 and parts[-2] == "manifests":
            return self.serve_manifest(parts[-1])
        if len(parts) >= 5 and parts[-2] == "blobs" and parts[-1].startswith("sha256:"):
            hexd = parts[-1][7:]
            if args["redirect"]:
                port = self.server.server_address[1]
                return self.reply(307, b"", {"Location": "http://127.0.0.2:%d/storage/%s" % (port, hexd)})
            return self.serve_blob(hexd)
        return self.error(404, "NAME_UNKNOWN")

    def serve_manifest(self, ref):
        with lock:
            state["manifest_requests"] += 1
            n = state["manifest_requests"]
        if args["fail_first"] and n <= args["fail_first"][0]:
            status = args["fail_first"][1]
            return self.reply(status, b'{"errors":[{"code":"TOOMANYREQUESTS"}]}',
                              {"Retry-After": "1"} if status == 429 else {})
        if ref.startswith("sha256:"):
            path = self.blob_path(ref[7:])
            if not os.path.exists(path):
                return self.error(404, "MANIFEST_UNKNOWN")
            with open(path, "rb") as f:
                body = f.read()
            media = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
        else:
            desc = load_tags(self.server.layout).get(ref)
            if desc is None:
                return self.error(404, "MANIFEST_UNKNOWN")
            with open(self.blob_path(desc["digest"][7:]), "rb") as f:
                body = f.read()
            media = desc["mediaType"]
        self.reply(200, body, {"Docker-Content-Digest": "sha256:" + hashlib.sha256(body).hexdigest()}, media)

    def serve_blob(self, hexd):
        path = self.blob_path(hexd)
        if not os.path.exists(path):
            return self.error(404, "BLOB_UNKNOWN")
        with open(path, "rb") as f:
            body = f.read()
        if hexd in args["corrupt"]:
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        if hexd in args["too_long"]:
            body += b"0123456789abcdef"
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
        drop = args["drop_after"].pop(hexd, None)
        status = 206 if start > 0 else 200
        extra = {"Content-Range": "bytes %d-%d/%d" % (start, len(body) - 1, len(body))} if start else {}
        part = body[start:]
        self.log_line(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(part)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        if drop is not None:
            self.wfile.write(part[:drop])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(part)


def serve(host, port, layout, log, storage):
    srv = ThreadingHTTPServer((host, port), Handler)
    srv.layout, srv.log_path, srv.storage = layout, log, storage
    return srv


def main(argv):
    layout = argv[1]
    port_file = log = None
    i = 2
    while i < len(argv):
        opt = argv[i]
        val = argv[i + 1] if i + 1 < len(argv) else None
        if opt == "--port-file":
            port_file = val
        elif opt == "--log":
            log = val
        elif opt == "--corrupt":
            args["corrupt"].add(val)
        elif opt == "--too-long":
            args["too_long"].add(val)
        elif opt == "--fail-first":
            n, status = val.split(":")
            args["fail_first"] = (int(n), int(status))
        elif opt == "--basic":
            args["basic"] = val
        elif opt == "--drop-after":
            hexd, n = val.split(":")
            args["drop_after"][hexd] = int(n)
        elif opt == "--redirect-blobs":
            args["redirect"] = True
            i += 1
            continue
        else:
            sys.exit("fake-registry.py: unknown option " + opt)
        i += 2
    main_srv = serve("127.0.0.1", 0, layout, log, False)
    port = main_srv.server_address[1]
    if args["redirect"]:
        storage = serve("127.0.0.2", port, layout, log, True)
        threading.Thread(target=storage.serve_forever, daemon=True).start()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(port_file + ".tmp", port_file)
    main_srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
