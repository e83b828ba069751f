#!/usr/bin/env python3
"""Write a bundle (.tar.zst, lading.json first) the way the format says,
independent of lading's own writer: from an OCI image layout (scripts/mkimage.py,
scripts/mkchart-oci.py) and directories for the push tests and benchmark, and/or
from hand-made entries, including ones lading must refuse, for the reader's tests.

usage: mkbundle.py OUT.tar.zst [--oci LAYOUT] [--files DIR] [--providers DIR]
                   [--flip ENTRY] [--name NAME] [--created TIME] [--sig FILE] [ENTRY...]
  --oci LAYOUT     every file of LAYOUT as oci/..., its index.json's refs as images
  --files DIR      every file of DIR as files/...
  --providers DIR  every file of DIR as providers/...
  --flip ENTRY     store ENTRY with its middle byte flipped (lading.json keeps the true sha256)
  --name NAME      the bundle's name in lading.json (default: handmade)
  --created TIME   lading.json's created (default: 2026-11-23T09:00:00Z)
  --sig FILE       store FILE as lading.json.minisig right after lading.json: a
                   signature made over the same lading.json in another bundle
                   (this maker's lading.json depends only on the listed entries)
Hand-made ENTRY:
  file:PATH=TEXT       listed in lading.json and stored
  listed:PATH=TEXT     listed, not stored (missing entry)
  unlisted:PATH=TEXT   stored, not listed
  wrong:PATH=TEXT      listed with TEXT, stored with different bytes of the same size
  symlink:PATH=TARGET  a symbolic link entry
  hardlink:PATH=TARGET a hard link entry
  chardev:PATH         a character device entry
  raw:NAME=TEXT        a file stored under NAME exactly as given (e.g. ../x, /abs)
  before:PATH=TEXT     listed, but stored before lading.json
Order in the archive: `before:` entries, lading.json, the signature, the
directories' files sorted by path, then the hand-made entries in the order given.
Files from directories are streamed (never held in memory); compressed by the
zstd program.
"""
import hashlib, io, json, os, subprocess, sys, tarfile

TREES = {"--oci": "oci/", "--files": "files/", "--providers": "providers/"}


def die(msg):
    sys.exit("mkbundle.py: " + msg)


def walk(root, prefix):
    out = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            full = os.path.join(dirpath, n)
            out.append((prefix + os.path.relpath(full, root), full))
    return out


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def row(path, size, sha256, kind):
    return {"path": path, "size": size, "sha256": sha256, "kind": kind, "ref": None}


def flipped(data):
    data = bytearray(data)
    data[len(data) // 2] ^= 0x01
    return bytes(data)


def parse(argv):
    if len(argv) < 2 or argv[1].startswith("-"):
        sys.exit(__doc__)
    opts = {"out": argv[1], "trees": [], "layout": None, "flip": None, "name": "handmade", "created": "2026-11-23T09:00:00Z", "sig": None, "specs": []}
    i = 2
    while i < len(argv):
        arg = argv[i]
        if arg in TREES or arg in ("--flip", "--name", "--created", "--sig"):
            if i + 1 >= len(argv):
                die(arg + " needs a value")
            value = argv[i + 1]
            if arg in TREES:
                if not os.path.isdir(value):
                    die("%s %s: not a directory" % (arg, value))
                opts["trees"].append((value, TREES[arg]))
                if arg == "--oci":
                    opts["layout"] = value
            else:
                opts[arg[2:]] = value
            i += 2
        elif arg.startswith("--"):
            die("unknown option " + arg)
        else:
            opts["specs"].append(arg)
            i += 1
    return opts


def main(argv):
    opts = parse(argv)
    flip = opts["flip"]
    # Files of the directories: listed and stored, sorted by path.
    items = sorted(item for root, prefix in opts["trees"] for item in walk(root, prefix))
    rows = []
    for path, full in items:
        kind = "oci-blob" if path.startswith("oci/blobs/") else "oci-layout" if path.startswith("oci/") else "file"
        rows.append(row(path, os.path.getsize(full), sha256_file(full), kind))
    # Hand-made entries, stored in the order given.
    stored, first = [], []
    for spec in opts["specs"]:
        kind, _, rest = spec.partition(":")
        path, _, text = rest.partition("=")
        data = text.encode()
        if kind in ("file", "listed", "wrong", "before"):
            rows.append(row(path, len(data), hashlib.sha256(data).hexdigest(), "file"))
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
            die("unknown entry kind '%s' in '%s'" % (kind, spec))
    rows.sort(key=lambda r: r["path"])
    images = []
    if opts["layout"]:
        with open(os.path.join(opts["layout"], "index.json")) as f:
            for d in json.load(f)["manifests"]:
                images.append({"ref": d["annotations"]["org.opencontainers.image.ref.name"], "digest": d["digest"],
                               "media_type": d["mediaType"], "platforms": [], "size": d["size"]})
    names = [p for p, _ in items] + [e[1] for e in first + stored if e[0] == "file"] + ["lading.json"]
    if flip is not None and flip not in names:
        die("--flip %s: no such entry is stored" % flip)
    manifest = {"format": 1, "name": opts["name"], "created": opts["created"], "tool": "mkbundle.py",
                "spec": None, "images": images, "entries": rows}

    with open(opts["out"], "wb") as f:
        zstd = subprocess.Popen(["zstd", "-q", "-1", "-T2", "-c"], stdin=subprocess.PIPE, stdout=f)
        with tarfile.open(fileobj=zstd.stdin, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            def add(kind, name, payload):
                info = tarfile.TarInfo(name)
                info.mtime, info.mode = 0, 0o644
                if kind == "file":
                    if name == flip:
                        payload = flipped(payload)
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
            if opts["sig"]:
                with open(opts["sig"], "rb") as sig:
                    add("file", "lading.json.minisig", sig.read())
            for path, full in items:
                if path == flip:
                    with open(full, "rb") as src:
                        add("file", path, src.read())
                    continue
                info = tarfile.TarInfo(path)
                info.size, info.mtime, info.mode = os.path.getsize(full), 0, 0o644
                with open(full, "rb") as src:
                    tar.addfile(info, src)
            for entry in stored:
                add(*entry)
        zstd.stdin.close()
        if zstd.wait() != 0:
            die("zstd failed")


if __name__ == "__main__":
    main(sys.argv)
