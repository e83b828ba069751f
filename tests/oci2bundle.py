#!/usr/bin/env python3
"""Pack an OCI image layout (from scripts/mkimage.py) into a bundle the way the
format says (lading.json first, then every entry sorted), independent of
lading's own writer; for the push tests and benchmark.

usage: oci2bundle.py OUT.tar.zst LAYOUT [--files DIR] [--providers DIR] [--flip ENTRY]
  --flip ENTRY   store ENTRY with its middle byte flipped (lading.json keeps the true sha256)
Files are streamed (never held in memory); compressed by the zstd program.
"""
import hashlib, io, json, os, subprocess, sys, tarfile

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

def main(argv):
    out, layout = argv[1], argv[2]
    extra = {"--files": "files/", "--providers": "providers/"}
    items = walk(layout, "oci/")
    flip = None
    i = 3
    while i < len(argv):
        if argv[i] == "--flip":
            flip = argv[i + 1]
        else:
            items += walk(argv[i + 1], extra[argv[i]])
        i += 2
    items.sort()
    rows = []
    for path, full in items:
        kind = "oci-blob" if path.startswith("oci/blobs/") else "oci-layout" if path.startswith("oci/") else "file"
        rows.append({"path": path, "size": os.path.getsize(full), "sha256": sha256_file(full), "kind": kind,
                     "ref": None})
    images = []
    with open(os.path.join(layout, "index.json")) as f:
        for d in json.load(f)["manifests"]:
            images.append({"ref": d["annotations"]["org.opencontainers.image.ref.name"], "digest": d["digest"],
                           "media_type": d["mediaType"], "platforms": [], "size": d["size"]})
    manifest = {"format": 1, "name": "push-test", "created": "2026-11-23T09:00:00Z", "tool": "oci2bundle.py",
                "spec": None, "images": images, "entries": rows}
    with open(out, "wb") as f:
        zstd = subprocess.Popen(["zstd", "-q", "-1", "-T2", "-c"], stdin=subprocess.PIPE, stdout=f)
        with tarfile.open(fileobj=zstd.stdin, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("lading.json")
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
            for path, full in items:
                info = tarfile.TarInfo(path)
                info.size, info.mtime, info.mode = os.path.getsize(full), 0, 0o644
                with open(full, "rb") as src:
                    if path == flip:
                        data = bytearray(src.read())
                        data[len(data) // 2] ^= 0x01
                        tar.addfile(info, io.BytesIO(bytes(data)))
                    else:
                        tar.addfile(info, src)
        zstd.stdin.close()
        if zstd.wait() != 0:
            sys.exit("oci2bundle.py: zstd failed")

if __name__ == "__main__":
    main(sys.argv)
