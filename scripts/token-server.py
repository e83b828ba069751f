#!/usr/bin/env python3
"""A token server for docker-registry's `auth: token` (distribution token spec),
for tests only, Python standard library plus the openssl CLI.

usage: token-server.py --key KEY.pem --cert CERT.pem --issuer ISS --port-file F --log F
                       [--user USER:PASS]... [--refresh-token TOKEN:USER]... [--require-auth]
                       [--token-log F]

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] answers
{"token", "access_token", "expires_in", "issued_at"} with a JWT signed RS256
by KEY; its header carries CERT in x5c, which the registry checks against its
rootcertbundle. Users given with --user get every action they ask for;
anonymous callers get `pull` only, or 401 with --require-auth; wrong
credentials always get 401. POST /token takes the OAuth2 refresh_token grant
(form: grant_type, service, client_id, scope, refresh_token) for the refresh
tokens given with --refresh-token and answers {"access_token", ...}. Log: one line per request (never the secrets);
--token-log records issued tokens so tests can prove they are not leaked.
"""
import base64, datetime, json, os, subprocess, sys, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

opts = {"users": {}, "refresh": {}, "require_auth": False, "token_log": None}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload):
    with open(opts["cert"]) as f:
        pem = f.read()
    der_b64 = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
    header = {"typ": "JWT", "alg": "RS256", "x5c": [der_b64]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", opts["key"]], input=signing_input.encode(),
                         capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


def parse_scope(scope):
    # repository:host:5000/name:pull,push -> the name may hold colons; actions are last.
    kind, rest = scope.split(":", 1)
    name, actions = rest.rsplit(":", 1)
    return {"type": kind, "name": name, "actions": actions.split(",")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def answer(self, status, body, who):
        with open(opts["log"], "a") as f:
            f.write("%s %s user=%s status=%d\n" % (self.command, self.path, who, status))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="token"')
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        if urlparse(self.path).path != "/token":
            return self.answer(404, {"error": "not found"}, "-")
        if form.get("grant_type") != ["refresh_token"]:
            return self.answer(400, {"error": "unsupported_grant_type"}, "-")
        user = opts["refresh"].get(form.get("refresh_token", [""])[0])
        if user is None:
            return self.answer(401, {"error": "invalid_grant"}, "?")
        scopes = form.get("scope", [""])[0].split(" ")
        self.grant(user, [s for s in scopes if s], form.get("service", [""])[0], oauth=True)

    def grant(self, user, scopes, service, oauth=False):
        access = []
        for one in scopes:
            item = parse_scope(one)
            if user is None:
                item["actions"] = [a for a in item["actions"] if a == "pull"]
            access.append(item)
        now = int(time.time())
        claims = {"iss": opts["issuer"], "sub": user or "", "aud": service,
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()),
                  "access": access}
        token = sign(claims)
        if opts["token_log"]:
            with open(opts["token_log"], "a") as f:
                f.write(token + "\n")
        issued = datetime.datetime.utcfromtimestamp(now).strftime("%Y-%m-%dT%H:%M:%SZ")
        reply = {"access_token": token, "expires_in": 300, "issued_at": issued}
        if not oauth:
            reply["token"] = token
        self.answer(200, reply, user or "anonymous")

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            return self.answer(404, {"error": "not found"}, "-")
        query = parse_qs(url.query)
        user = None
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                name, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except Exception:
                return self.answer(401, {"error": "bad authorization"}, "?")
            if opts["users"].get(name) != password:
                return self.answer(401, {"error": "wrong credentials"}, name)
            user = name
        elif opts["require_auth"]:
            return self.answer(401, {"error": "authentication required"}, "anonymous")
        scopes = [one for scope in query.get("scope", []) for one in scope.split(" ") if one]
        self.grant(user, scopes, query.get("service", [""])[0])


def main(argv):
    i = 1
    while i < len(argv):
        opt = argv[i]
        if opt == "--require-auth":
            opts["require_auth"] = True
            i += 1
            continue
        val = argv[i + 1]
        if opt == "--user":
            name, _, password = val.partition(":")
            opts["users"][name] = password
        elif opt in ("--key", "--cert", "--issuer", "--log"):
            opts[opt[2:]] = val
        elif opt == "--refresh-token":
            token, _, name = val.partition(":")
            opts["refresh"][token] = name
        elif opt == "--port-file":
            opts["port_file"] = val
        elif opt == "--token-log":
            opts["token_log"] = val
        else:
            sys.exit("token-server.py: unknown option " + opt)
        i += 2
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(opts["port_file"] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(opts["port_file"] + ".tmp", opts["port_file"])
    srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
