#!/usr/bin/env python3
"""Slow clients for t0710: opens COUNT connections to HOST:PORT from source
addresses SRC..SRC+SOURCES-1 (loopback: all of 127.0.0.0/8 is local), sends the
start of a request head, then one more byte of it on every connection every
DRIBBLE seconds, never finishing it. Bytes keep flowing, so only an absolute
head deadline, not an inactivity timeout, ends such a connection. With --tls,
what is dribbled is a TLS ClientHello instead: a handshake that never ends.

Runs until every connection was closed by the server or MAX_SECONDS passed.
Writes READY (a file) once all are open; when the DONE file appears, counts
the connections still open then. Prints one JSON object:
  opened, connect_failed, closed (by the server), closed_at_once (within 1 s
  of opening: refused by a connection limit), open_at_done, open_at_end,
  max_lifetime (seconds from open to close by the server, over those closed).
"""
import argparse
import ipaddress
import json
import os
import resource
import selectors
import socket
import ssl
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--source", default="127.0.2.1")
    ap.add_argument("--sources", type=int, default=1)
    ap.add_argument("--dribble", type=float, default=1.0)
    ap.add_argument("--max-seconds", type=float, required=True)
    ap.add_argument("--ready")
    ap.add_argument("--done")
    ap.add_argument("--tls", action="store_true")
    args = ap.parse_args()
    head = b"GET /v2/ HTTP/1.1\r\nHost: slow\r\nX-Slow: "
    first_bytes = len(head)
    if args.tls:
        head = client_hello()
        first_bytes = 5  # the record header: the server waits for the rest

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.count + 256), hard))

    sel = selectors.DefaultSelector()
    start = time.monotonic()
    first = ipaddress.IPv4Address(args.source)
    conns = {}  # socket -> [opened_at, closed_at or None]
    failed = 0
    for i in range(args.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((str(first + i % args.sources), 0))
            s.settimeout(5)
            s.connect((args.host, args.port))
            s.setblocking(False)
            s.send(head[:first_bytes])
        except OSError:
            failed += 1
            s.close()
            continue
        conns[s] = [time.monotonic(), None, first_bytes]
        sel.register(s, selectors.EVENT_READ)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % len(conns))

    def close(s, now):
        if conns[s][1] is None:
            conns[s][1] = now
            sel.unregister(s)
            s.close()

    open_at_done = None
    next_byte = time.monotonic() + args.dribble
    while time.monotonic() - start < args.max_seconds:
        live = [s for s, v in conns.items() if v[1] is None]
        if open_at_done is None and args.done and os.path.exists(args.done):
            open_at_done = len(live)
        if not live and (open_at_done is not None or not args.done):
            break
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:  # end of file or reset: the server closed it
                close(s, time.monotonic())
        now = time.monotonic()
        if now >= next_byte:
            next_byte = now + args.dribble
            for s in [s for s, v in conns.items() if v[1] is None]:
                v = conns[s]
                try:
                    if v[2] < len(head):
                        s.send(head[v[2]:v[2] + 1])
                        v[2] += 1
                    elif not args.tls:  # an HTTP head grows without end
                        s.send(b"a")
                except OSError:
                    close(s, now)
    closed = [v for v in conns.values() if v[1] is not None]
    print(json.dumps({
        "opened": len(conns),
        "connect_failed": failed,
        "closed": len(closed),
        "closed_at_once": sum(1 for v in closed if v[1] - v[0] < 1.0),
        "open_at_done": open_at_done,
        "open_at_end": len(conns) - len(closed),
        "max_lifetime": round(max((v[1] - v[0] for v in closed), default=0), 1),
    }))
    return 0


def client_hello():
    """The first flight of a real TLS client (its ClientHello), as bytes."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="slow")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


if __name__ == "__main__":
    sys.exit(main())
