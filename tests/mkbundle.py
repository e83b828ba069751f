#!/usr/bin/env python3
"""Hand-make a bundle (.tar.zst with lading.json first) for the reader's tests,
including entries lading must refuse. Independent of lading's own writer.

usage: mkbundle.py OUT.tar.zst [ENTRY...]
  file:PATH=TEXT       listed in lading.json and stored
  listed:PATH=TEXT     listed, not stored (missing entry)
  unlisted:PATH=TEXT   stored, not listed
  wrong:PATH=TEXT      listed with TEXT, stored with different bytes of the same size
  symlink:PATH=TARGET  a symbolic link entry
  hardlink:PATH=TARGET a hard link entry
  chardev:PATH         a character device entry
  raw:NAME=TEXT        a file stored under NAME exactly as given (e.g. ../x, /abs)
  before:PATH=TEXT     listed, but stored before lading.json
Entries are stored in the order given. Compressed with the zstd program.
"""
import hashlib, io, json, subprocess, sys, tarfile

def main(argv):
    out, specs = argv[1], argv[2:]
    rows, stored, first = [], [], []
    for spec in specs:
        kind, _, rest = spec.partition(":")
        path, _, text = rest.partition("=")
        data = text.encode()
        if kind in ("file", "listed", "wrong", "before"):
            rows.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                         "kind": "file", "ref": None})
        if kind in ("file", "unlisted", "raw"):
            stored.append(("file", path, data))
        elif kind == "wrong":
            stored.append(("file", path, bytes(b ^ 1 for b in data)))
        elif kind == "before":
            first.append(("file", path, data))
        elif kind in ("symlink", "hardlink"):
            stored.append((kind, path, text))
        elif kind == "chardev":
            stored.append((kind, path, None))
        elif kind != "listed":
            sys.exit("mkbundle.py: unknown entry kind " + kind)
    rows.sort(key=lambda r: r["path"])
    manifest = {"format": 1, "name": "handmade", "created": "2026-11-23T09:00:00Z", "tool": "mkbundle.py",
                "spec": None, "images": [], "entries": rows}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add(kind, name, payload):
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
                return
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, payload
            elif kind == "chardev":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            tar.addfile(info)
        for entry in first:
            add(*entry)
        add("file", "lading.json", json.dumps(manifest, indent=1).encode())
        for entry in stored:
            add(*entry)
    with open(out, "wb") as f:
        subprocess.run(["zstd", "-q", "-c"], input=raw.getvalue(), stdout=f, check=True)

if __name__ == "__main__":
    main(sys.argv)
