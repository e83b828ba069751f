#!/usr/bin/env python3
"""A small Redfish BMC for tests: one HTTPS service (Python stdlib only) in
front of one or more QEMU machines, each driven through its QMP unix socket.

Only documented DSP0266 (protocol) / DSP0268 (schema) shapes: the service
root, Systems/<id> (PowerState from QMP query-status, ComputerSystem.Reset,
Boot override with @odata.etag and If-Match on PATCH), Managers/<id> with
VirtualMedia/Cd (InsertMedia fetches the image URL, then QMP
blockdev-change-medium; EjectMedia is QMP eject), SessionService sessions
(X-Auth-Token) and Basic auth. Errors carry @Message.ExtendedInfo with
messages of the DMTF Base registry.

Power, as a QEMU started with -S -no-shutdown sees it: "On" = the VM runs
(QMP status "running"); anything else (prelaunch, paused, shutdown) is "Off".
On = system_reset + cont; ForceOff = stop; GracefulShutdown = ACPI
system_powerdown (a guest without an OS ignores it, as a real one would);
ForceRestart = system_reset; PowerCycle = stop, system_reset, cont.

usage: redfish-bmc.py --cert PEM --key PEM --user U --password-file F
       --port-file F --state-dir D [--log F] [--no-sessions] [--async-tasks] --system ID=QMP_SOCKET...
With --async-tasks, Reset, the Boot PATCH, InsertMedia and EjectMedia answer 202 with a task
monitor and are done a second later. Each request is logged as "METHOD PATH STATUS auth=basic|session|none [detail]".
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import secrets
import socket
import ssl
import sys
import threading
import time
import urllib.request

BASE = "Base.1.8."
RESET_TYPES = ["On", "ForceOff", "GracefulShutdown", "ForceRestart", "PowerCycle"]
BOOT_TARGETS = ["None", "Pxe", "Cd", "Hdd"]
BOOT_ENABLED = ["Disabled", "Once", "Continuous"]
BOOT_MODES = ["Legacy", "UEFI"]
MEDIA_MAX = 64 * 1024 * 1024


class RedfishError(Exception):
    def __init__(self, status, message_id, message, resolution="None."):
        super().__init__(message)
        self.status = status
        self.message_id = message_id
        self.message = message
        self.resolution = resolution

    def body(self):
        return {"error": {
            "code": BASE + self.message_id,
            "message": self.message,
            "@Message.ExtendedInfo": [{
                "@odata.type": "#Message.v1_1_1.Message",
                "MessageId": BASE + self.message_id,
                "Message": self.message,
                "Severity": "Critical" if self.status >= 500 else "Warning",
                "Resolution": self.resolution,
            }],
        }}


class Qmp:
    """One QMP connection per call: a socket accepts one client at a time, and
    tests check the machine through the same socket between requests."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def run(self, *commands):
        with self.lock:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            try:
                s.connect(self.path)
                f = s.makefile("rw")
                json.loads(f.readline())
                results = []
                for name, args in [("qmp_capabilities", None)] + list(commands):
                    msg = {"execute": name}
                    if args is not None:
                        msg["arguments"] = args
                    f.write(json.dumps(msg) + "\n")
                    f.flush()
                    while True:
                        reply = json.loads(f.readline())
                        if "event" not in reply:
                            break
                    if "error" in reply:
                        raise RedfishError(500, "InternalError",
                                           "The request failed due to an internal service error: QMP %s: %s."
                                           % (name, reply["error"].get("desc", "")))
                    results.append(reply["return"])
                return results[-1]
            except OSError as e:
                raise RedfishError(500, "InternalError",
                                   "The request failed due to an internal service error: QMP: %s." % e)
            finally:
                s.close()


class System:
    def __init__(self, ident, qmp_path, state_dir):
        self.id = ident
        self.qmp = Qmp(qmp_path)
        self.state_dir = state_dir
        self.boot = {"BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None",
                     "BootSourceOverrideMode": "Legacy"}
        self.media = {"Image": None, "Inserted": False}
        self.lock = threading.Lock()

    def power_state(self):
        return "On" if self.qmp.run(("query-status", None))["status"] == "running" else "Off"

    def etag(self):
        digest = hashlib.sha256(json.dumps(self.boot, sort_keys=True).encode()).hexdigest()[:16]
        return 'W/"%s"' % digest

    def reset(self, kind):
        on = self.power_state() == "On"
        if kind == "On":
            if not on:
                self.power_on()
        elif kind == "ForceOff":
            self.qmp.run(("stop", None))
        elif kind == "GracefulShutdown":
            if on:
                self.qmp.run(("system_powerdown", None))
        elif kind == "ForceRestart":
            if not on:
                raise RedfishError(409, "ResourceInStandby",
                                   "The request could not be performed because the resource is in standby.")
            self.qmp.run(("system_reset", None))
            self.boot_done()
        elif kind == "PowerCycle":
            if on:
                self.qmp.run(("stop", None))
            self.power_on()

    def power_on(self):
        self.qmp.run(("system_reset", None), ("cont", None))
        self.boot_done()

    def boot_done(self):
        # DSP0268 ComputerSystem: "Once" reverts to "Disabled" after the next boot.
        if self.boot["BootSourceOverrideEnabled"] == "Once":
            self.boot["BootSourceOverrideEnabled"] = "Disabled"


class Bmc:
    def __init__(self, args):
        self.user = args.user
        with open(args.password_file, encoding="utf-8") as f:
            self.password = f.read().strip()
        self.systems = {}
        for spec in args.system:
            ident, _, path = spec.partition("=")
            self.systems[ident] = System(ident, path, args.state_dir)
        self.state_dir = args.state_dir
        self.sessions = {}  # id -> token
        self.lock = threading.Lock()
        self.log_file = open(args.log, "a", encoding="utf-8") if args.log else None
        self.sessions_enabled = not args.no_sessions
        self.async_tasks = args.async_tasks
        self.tasks = {}  # id -> None while running, then (status, body)

    def log(self, line):
        if self.log_file:
            with self.lock:
                self.log_file.write(line + "\n")
                self.log_file.flush()


def odata(ident, kind):
    return {"@odata.id": ident, "@odata.type": kind}


def collection(path, kind, name, members):
    doc = odata(path, "#%s.%s" % (kind, kind))
    doc.update({"Name": name, "Members": [{"@odata.id": m} for m in members],
                "Members@odata.count": len(members)})
    return doc


def task_doc(ident):
    doc = odata("/redfish/v1/TaskService/Tasks/" + ident, "#Task.v1_4_3.Task")
    doc.update({"Id": ident, "Name": "Task " + ident, "TaskState": "Running",
                "TaskMonitor": "/redfish/v1/TaskService/TaskMonitors/" + ident})
    return doc


def missing(path):
    return RedfishError(404, "ResourceMissingAtURI", "The resource at the URI '%s' was not found." % path,
                        "Place a valid resource at the URI or correct the URI and resubmit the request.")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lading-test-bmc"
    bmc = None

    def log_message(self, fmt, *args):
        pass

    # --- plumbing
    def reply(self, status, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("OData-Version", "4.0")
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.bmc.log("%s %s %d auth=%s%s" % (self.command, self.path, status, self.auth_kind,
                                             (" " + self.detail) if self.detail else ""))

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw:
            return {}
        try:
            doc = json.loads(raw)
        except ValueError:
            raise RedfishError(400, "MalformedJSON",
                               "The request body submitted was malformed JSON and could not be parsed "
                               "by the receiving service.")
        if not isinstance(doc, dict):
            raise RedfishError(400, "MalformedJSON", "The request body submitted was malformed JSON and "
                               "could not be parsed by the receiving service.")
        return doc

    def authenticate(self):
        token = self.headers.get("X-Auth-Token")
        if token is not None:
            with self.bmc.lock:
                if token in self.bmc.sessions.values():
                    self.auth_kind = "session"
                    return
        auth = self.headers.get("Authorization", "")
        if token is None and auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                user, password = "", ""
            if hmac.compare_digest(user, self.bmc.user) and hmac.compare_digest(password, self.bmc.password):
                self.auth_kind = "basic"
                return
        raise RedfishError(401, "NoValidSession",
                           "There is no valid session established with the implementation.",
                           "Establish a session before attempting any operations.")

    def dispatch(self):
        self.auth_kind = "none"
        self.detail = ""
        path = self.path.split("?")[0].rstrip("/") or "/"
        try:
            if path == "/redfish" and self.command == "GET":
                return self.reply(200, {"v1": "/redfish/v1/"})
            if path == "/redfish/v1" and self.command == "GET":
                return self.reply(200, self.service_root())
            if path == "/redfish/v1/SessionService/Sessions" and self.command == "POST":
                if not self.bmc.sessions_enabled:
                    raise missing(path)
                return self.create_session()
            self.authenticate()
            return self.route(path)
        except RedfishError as e:
            headers = {"WWW-Authenticate": 'Basic realm="lading-test-bmc"'} if e.status == 401 else None
            self.detail = (self.detail + " " if self.detail else "") + e.message_id
            self.reply(e.status, e.body(), headers)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = dispatch

    def route(self, path):
        bmc = self.bmc
        parts = path.split("/")[3:]  # after /redfish/v1
        method = self.command
        if parts[:1] == ["SessionService"] and not bmc.sessions_enabled:
            raise missing(path)
        if parts == ["SessionService"] and method == "GET":
            doc = odata("/redfish/v1/SessionService", "#SessionService.v1_1_8.SessionService")
            doc.update({"Id": "SessionService", "Name": "Session Service", "ServiceEnabled": True,
                        "SessionTimeout": 600,
                        "Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}})
            return self.reply(200, doc)
        if parts == ["SessionService", "Sessions"] and method == "GET":
            with bmc.lock:
                ids = sorted(bmc.sessions)
            return self.reply(200, collection("/redfish/v1/SessionService/Sessions", "SessionCollection",
                                              "Sessions", ["/redfish/v1/SessionService/Sessions/" + i
                                                           for i in ids]))
        if len(parts) == 3 and parts[:2] == ["SessionService", "Sessions"]:
            with bmc.lock:
                known = parts[2] in bmc.sessions
                if known and method == "DELETE":
                    del bmc.sessions[parts[2]]
            if not known:
                raise missing(path)
            if method == "DELETE":
                return self.reply(204)
            doc = odata(path, "#Session.v1_3_0.Session")
            doc.update({"Id": parts[2], "Name": "User Session", "UserName": bmc.user})
            return self.reply(200, doc)
        if len(parts) == 3 and parts[:2] == ["TaskService", "TaskMonitors"] and method == "GET":
            with bmc.lock:
                if parts[2] not in bmc.tasks:
                    raise missing(path)
                result = bmc.tasks[parts[2]]
                if result is not None:  # delivered once, then the monitor is gone
                    del bmc.tasks[parts[2]]
            if result is None:
                return self.reply(202, task_doc(parts[2]))
            self.detail = "task done"
            return self.reply(result[0], result[1])
        if parts == ["Systems"] and method == "GET":
            return self.reply(200, collection("/redfish/v1/Systems", "ComputerSystemCollection",
                                              "Computer System Collection",
                                              ["/redfish/v1/Systems/" + i for i in bmc.systems]))
        if parts == ["Managers"] and method == "GET":
            return self.reply(200, collection("/redfish/v1/Managers", "ManagerCollection",
                                              "Manager Collection",
                                              ["/redfish/v1/Managers/" + i for i in bmc.systems]))
        if len(parts) >= 2 and parts[0] in ("Systems", "Managers"):
            system = bmc.systems.get(parts[1])
            if system is None:
                raise missing(path)
            with system.lock:
                if parts[0] == "Systems":
                    return self.system_route(system, parts[2:], path)
                return self.manager_route(system, parts[2:], path)
        if method not in ("GET", "POST", "PATCH", "DELETE"):
            raise RedfishError(405, "OperationNotAllowed", "The HTTP method is not allowed on this resource.")
        raise missing(path)

    # --- resources
    def service_root(self):
        doc = odata("/redfish/v1/", "#ServiceRoot.v1_5_0.ServiceRoot")
        doc.update({"Id": "RootService", "Name": "Root Service", "RedfishVersion": "1.6.0",
                    "UUID": "8f0a7a3e-6c6b-4f0e-9a40-6c6164696e67",
                    "Systems": {"@odata.id": "/redfish/v1/Systems"},
                    "Managers": {"@odata.id": "/redfish/v1/Managers"},
                    "SessionService": {"@odata.id": "/redfish/v1/SessionService"},
                    "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}}})
        if not self.bmc.sessions_enabled:  # a BMC without a session service: Basic auth only
            del doc["SessionService"]
            doc["Links"] = {}
        return doc

    def create_session(self):
        doc = self.read_json()
        user, password = doc.get("UserName"), doc.get("Password")
        if not isinstance(user, str) or not isinstance(password, str):
            raise RedfishError(400, "PropertyMissing",
                               "The property UserName or Password is a required property and must be "
                               "included in the request.")
        if not (hmac.compare_digest(user, self.bmc.user) and hmac.compare_digest(password, self.bmc.password)):
            raise RedfishError(401, "ResourceAtUriUnauthorized",
                               "While accessing the resource at /redfish/v1/SessionService/Sessions, the "
                               "service received an authorization error: invalid user name or password.",
                               "Ensure that the appropriate access is provided for the service in order "
                               "for it to access the URI.")
        ident = secrets.token_hex(4)
        token = secrets.token_hex(16)
        with self.bmc.lock:
            self.bmc.sessions[ident] = token
        location = "/redfish/v1/SessionService/Sessions/" + ident
        body = odata(location, "#Session.v1_3_0.Session")
        body.update({"Id": ident, "Name": "User Session", "UserName": user})
        self.auth_kind = "login"
        self.reply(201, body, {"X-Auth-Token": token, "Location": location})

    def system_doc(self, system):
        base = "/redfish/v1/Systems/" + system.id
        doc = odata(base, "#ComputerSystem.v1_13_0.ComputerSystem")
        boot = dict(system.boot)
        boot["BootSourceOverrideTarget@Redfish.AllowableValues"] = BOOT_TARGETS
        doc.update({"Id": system.id, "Name": "QEMU machine " + system.id, "SystemType": "Physical",
                    "Manufacturer": "QEMU", "Model": "pc",
                    "PowerState": system.power_state(), "Boot": boot,
                    "Status": {"State": "Enabled", "Health": "OK"},
                    "Links": {"ManagedBy": [{"@odata.id": "/redfish/v1/Managers/" + system.id}]},
                    "Actions": {"#ComputerSystem.Reset": {
                        "target": base + "/Actions/ComputerSystem.Reset",
                        "ResetType@Redfish.AllowableValues": RESET_TYPES}},
                    "@odata.etag": system.etag()})
        return doc

    def system_route(self, system, rest, path):
        method = self.command
        if rest == [] and method == "GET":
            return self.reply(200, self.system_doc(system), {"ETag": system.etag()})
        if rest == [] and method == "PATCH":
            return self.patch_system(system)
        if rest == ["Actions", "ComputerSystem.Reset"] and method == "POST":
            kind = self.read_json().get("ResetType")
            self.detail = "ResetType=%s" % kind
            if kind is None:
                raise RedfishError(400, "ActionParameterMissing",
                                   "The action ComputerSystem.Reset requires the parameter ResetType to be "
                                   "present in the request body.")
            if kind not in RESET_TYPES:
                raise RedfishError(400, "ActionParameterValueNotInList",
                                   "The value '%s' for the parameter ResetType in the action "
                                   "ComputerSystem.Reset is not in the list of acceptable values." % kind)
            return self.complete(system, lambda: system.reset(kind))
        raise missing(path)

    def patch_system(self, system):
        match = self.headers.get("If-Match")
        if match is None:
            raise RedfishError(428, "PreconditionRequired",
                               "A precondition header or annotation is required to change the resource.",
                               "Try the request again with an If-Match header holding the resource's ETag.")
        if match != "*" and system.etag() not in [m.strip() for m in match.split(",")]:
            raise RedfishError(412, "PreconditionFailed",
                               "The ETag supplied did not match the ETag required to change this resource.",
                               "Try the operation again using the appropriate ETag.")
        doc = self.read_json()
        for key in doc:
            if key != "Boot":
                raise RedfishError(400, "PropertyUnknown",
                                   "The property %s is not in the list of valid properties for the "
                                   "resource." % key)
        boot = doc.get("Boot") or {}
        allowed = {"BootSourceOverrideEnabled": BOOT_ENABLED, "BootSourceOverrideTarget": BOOT_TARGETS,
                   "BootSourceOverrideMode": BOOT_MODES}
        for key, value in boot.items():
            if key not in allowed:
                raise RedfishError(400, "PropertyUnknown",
                                   "The property %s is not in the list of valid properties for the "
                                   "resource." % key)
            if value not in allowed[key]:
                raise RedfishError(400, "PropertyValueNotInList",
                                   "The value '%s' for the property %s is not in the list of acceptable "
                                   "values." % (value, key))
        self.detail = " ".join("%s=%s" % kv for kv in sorted(boot.items()))
        if self.bmc.async_tasks:
            return self.complete(system, lambda: system.boot.update(boot))
        system.boot.update(boot)
        return self.reply(200, self.system_doc(system), {"ETag": system.etag()})

    def manager_route(self, system, rest, path):
        base = "/redfish/v1/Managers/" + system.id
        media = base + "/VirtualMedia/Cd"
        method = self.command
        if rest == [] and method == "GET":
            doc = odata(base, "#Manager.v1_10_0.Manager")
            doc.update({"Id": system.id, "Name": "BMC of " + system.id, "ManagerType": "BMC",
                        "Status": {"State": "Enabled", "Health": "OK"},
                        "VirtualMedia": {"@odata.id": base + "/VirtualMedia"},
                        "Links": {"ManagerForServers": [{"@odata.id": "/redfish/v1/Systems/" + system.id}]}})
            return self.reply(200, doc)
        if rest == ["VirtualMedia"] and method == "GET":
            return self.reply(200, collection(base + "/VirtualMedia", "VirtualMediaCollection",
                                              "Virtual Media Services", [media]))
        if rest == ["VirtualMedia", "Cd"] and method == "GET":
            doc = odata(media, "#VirtualMedia.v1_3_0.VirtualMedia")
            doc.update({"Id": "Cd", "Name": "Virtual CD", "MediaTypes": ["CD", "DVD"],
                        "Image": system.media["Image"], "Inserted": system.media["Inserted"],
                        "WriteProtected": True,
                        "ConnectedVia": "URI" if system.media["Inserted"] else "NotConnected",
                        "Actions": {
                            "#VirtualMedia.InsertMedia": {"target": media + "/Actions/VirtualMedia.InsertMedia"},
                            "#VirtualMedia.EjectMedia": {"target": media + "/Actions/VirtualMedia.EjectMedia"}}})
            return self.reply(200, doc)
        if rest == ["VirtualMedia", "Cd", "Actions", "VirtualMedia.InsertMedia"] and method == "POST":
            return self.insert_media(system)
        if rest == ["VirtualMedia", "Cd", "Actions", "VirtualMedia.EjectMedia"] and method == "POST":
            self.read_json()
            if not system.media["Inserted"]:
                raise RedfishError(400, "ActionNotSupported",
                                   "The action VirtualMedia.EjectMedia is not supported by the resource: "
                                   "no media is inserted.")

            def eject():
                system.qmp.run(("eject", {"id": "cd0dev", "force": True}))
                system.media = {"Image": None, "Inserted": False}
            return self.complete(system, eject)
        raise missing(path)

    def insert_media(self, system):
        doc = self.read_json()
        image = doc.get("Image")
        self.detail = "Image=%s" % image
        if not isinstance(image, str) or not image.startswith(("http://", "https://")):
            raise RedfishError(400, "ActionParameterValueFormatError",
                               "The value '%s' for the parameter Image in the action "
                               "VirtualMedia.InsertMedia is of a different format than the parameter can "
                               "accept." % image)
        if system.media["Inserted"]:
            raise RedfishError(409, "ResourceInUse",
                               "The change to the requested resource failed because the resource is in use "
                               "or in transition.", "Eject the media first.")
        return self.complete(system, lambda: self.fetch_media(system, image))

    def fetch_media(self, system, image):
        target = os.path.join(system.state_dir, "media-%s.iso" % system.id)
        try:
            with urllib.request.urlopen(image, timeout=20) as src, open(target + ".tmp", "wb") as out:
                copied = 0
                while True:
                    chunk = src.read(1 << 16)
                    if not chunk:
                        break
                    copied += len(chunk)
                    if copied > MEDIA_MAX:
                        raise OSError("image larger than %d bytes" % MEDIA_MAX)
                    out.write(chunk)
            os.replace(target + ".tmp", target)
        except OSError as e:
            raise RedfishError(400, "ActionParameterValueError",
                               "The value '%s' for the parameter Image in the action "
                               "VirtualMedia.InsertMedia is invalid: %s." % (image, e))
        system.qmp.run(("blockdev-change-medium", {"id": "cd0dev", "filename": target, "format": "raw",
                                                   "read-only-mode": "read-only"}))
        system.media = {"Image": image, "Inserted": True}

    def complete(self, system, work):
        """Does an action's work now (204), or with --async-tasks a second later behind a
        task monitor (DSP0266 asynchronous operations: 202 + Location, GET answers 202
        until the task is done, then the operation's own response)."""
        if not self.bmc.async_tasks:
            work()
            return self.reply(204)
        ident = secrets.token_hex(4)
        with self.bmc.lock:
            self.bmc.tasks[ident] = None

        def run():
            time.sleep(1.0)
            try:
                with system.lock:
                    work()
                result = (204, None)
            except RedfishError as e:
                result = (e.status, e.body())
            with self.bmc.lock:
                self.bmc.tasks[ident] = result
        threading.Thread(target=run, daemon=True).start()
        return self.reply(202, task_doc(ident), {"Location": "/redfish/v1/TaskService/TaskMonitors/" + ident})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--log")
    parser.add_argument("--system", action="append", required=True, help="ID=QMP_SOCKET")
    parser.add_argument("--no-sessions", action="store_true", help="no SessionService: Basic auth only")
    parser.add_argument("--async-tasks", action="store_true",
                        help="actions answer 202 with a task monitor and finish a second later")
    args = parser.parse_args()

    Handler.bmc = Bmc(args)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    # The handshake happens in the handler's thread: a client that stalls or
    # refuses our certificate never blocks accept().
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    with open(args.port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    time.tzset()
    sys.exit(main())
