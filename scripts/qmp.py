#!/usr/bin/env python3
"""One QMP exchange with a QEMU machine, for tests (scripts/lib-qemu.sh).

usage: qmp.py SOCKET power          prints "on" when the machine runs, else "off"
       qmp.py SOCKET cdrom          prints the file in the cdrom drive cd0dev, or ""
       qmp.py SOCKET COMMAND [JSON] runs COMMAND, prints its "return" as JSON
"""
import json
import socket
import sys


def call(f, name, arguments=None):
    msg = {"execute": name}
    if arguments is not None:
        msg["arguments"] = arguments
    f.write(json.dumps(msg) + "\n")
    f.flush()
    while True:
        reply = json.loads(f.readline())
        if "event" in reply:
            continue
        if "error" in reply:
            sys.exit("qmp: %s: %s" % (name, reply["error"]["desc"]))
        return reply["return"]


def main():
    path, what = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rw")
    json.loads(f.readline())  # the greeting
    call(f, "qmp_capabilities")
    if what == "power":
        print("on" if call(f, "query-status")["status"] == "running" else "off")
    elif what == "cdrom":
        for dev in call(f, "query-block"):
            if dev.get("qdev", "").endswith("cd0dev") or dev.get("device") == "cd0":
                print(dev.get("inserted", {}).get("file", ""))
    else:
        print(json.dumps(call(f, what, json.loads(sys.argv[3]) if len(sys.argv) > 3 else None)))
    s.close()


if __name__ == "__main__":
    main()
