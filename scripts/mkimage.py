#!/usr/bin/env python3
"""Write test images into an OCI image layout, from nothing but random bytes.

usage: mkimage.py LAYOUT_DIR REF [options]
  --layer SIZE[:SEED]   add a layer holding one file of SIZE random bytes
                        (k/m suffix); the same SEED gives the same layer, so two
                        images can share one. Repeatable, in order.
  --platforms LIST      comma list like linux/amd64,linux/arm64: write an image
                        index with one child per platform (each child gets its
                        own extra small layer so the children differ)
  --gzip                compress layers (default: plain tar)

Layers are real tar files (containerd can unpack them); the config carries the
matching diff_ids. The descriptor goes into index.json with
org.opencontainers.image.ref.name = REF (replacing an older entry of that name).
Only the Python standard library is used.
"""
import gzip, hashlib, io, json, os, random, sys, tarfile

def parse_size(text):
    mult = {"k": 1024, "m": 1024 * 1024, "g": 1024 ** 3}
    if text[-1].lower() in mult:
        return int(text[:-1]) * mult[text[-1].lower()]
    return int(text)

def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    if not os.path.exists(path):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)
    return "sha256:" + digest, len(data)

def put_blob_file(layout, tmp_path):
    h = hashlib.sha256()
    size = 0
    with open(tmp_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    path = os.path.join(layout, "blobs", "sha256", h.hexdigest())
    os.replace(tmp_path, path)
    return "sha256:" + h.hexdigest(), size

class RandomReader(io.RawIOBase):
    def __init__(self, size, seed):
        self.left = size
        self.rng = random.Random(seed)
    def readable(self):
        return True
    def readinto(self, b):
        n = min(len(b), self.left, 1 << 20)
        if n <= 0:
            return 0
        b[:n] = self.rng.randbytes(n)
        self.left -= n
        return n

def make_layer(layout, size, seed, compress):
    """Streams a tar with one random file to disk: memory stays flat for big layers."""
    tmp = os.path.join(layout, "blobs", "sha256", ".layer.%d.tmp" % os.getpid())
    diff = hashlib.sha256()
    class Tee(io.RawIOBase):
        def __init__(self, out):
            self.out = out
        def writable(self):
            return True
        def write(self, b):
            diff.update(b)
            self.out.write(b)
            return len(b)
    with open(tmp, "wb") as raw:
        sink = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if compress else raw
        with tarfile.open(fileobj=Tee(sink), mode="w|", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo("data/layer-%s.bin" % seed)
            info.size = size
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BufferedReader(RandomReader(size, seed)))
        if compress:
            sink.close()
    digest, blob_size = put_blob_file(layout, tmp)
    media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if compress else "")
    return {"mediaType": media, "digest": digest, "size": blob_size}, "sha256:" + diff.hexdigest()

def make_manifest(layout, layers, os_name, arch, variant, compress):
    descs, diff_ids = [], []
    for size, seed in layers:
        desc, diff_id = make_layer(layout, size, seed, compress)
        descs.append(desc)
        diff_ids.append(diff_id)
    config = {"architecture": arch, "os": os_name,
              "config": {"Cmd": ["/bin/sh"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    if variant:
        config["variant"] = variant
    cdigest, csize = put_blob(layout, json.dumps(config, sort_keys=True).encode())
    manifest = {"schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": cdigest, "size": csize},
                "layers": descs}
    mdigest, msize = put_blob(layout, json.dumps(manifest, sort_keys=True).encode())
    return {"mediaType": manifest["mediaType"], "digest": mdigest, "size": msize}

def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    layout, ref = argv[1], argv[2]
    layers, platforms, compress = [], None, False
    i = 3
    while i < len(argv):
        if argv[i] == "--layer":
            size, _, seed = argv[i + 1].partition(":")
            layers.append((parse_size(size), seed or str(len(layers)) + ref))
            i += 2
        elif argv[i] == "--platforms":
            platforms = argv[i + 1].split(",")
            i += 2
        elif argv[i] == "--gzip":
            compress = True
            i += 1
        else:
            sys.exit("mkimage.py: unknown option " + argv[i])
    if not layers:
        layers = [(1024, ref)]
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    if platforms:
        children = []
        for plat in platforms:
            parts = plat.split("/")
            variant = parts[2] if len(parts) > 2 else None
            extra = layers + [(512, ref + "-" + plat)]
            desc = make_manifest(layout, extra, parts[0], parts[1], variant, compress)
            desc["platform"] = {"os": parts[0], "architecture": parts[1]}
            if variant:
                desc["platform"]["variant"] = variant
            children.append(desc)
        index = {"schemaVersion": 2,
                 "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": children}
        digest, size = put_blob(layout, json.dumps(index, sort_keys=True).encode())
        top = {"mediaType": index["mediaType"], "digest": digest, "size": size}
    else:
        top = make_manifest(layout, layers, "linux", "amd64", None, compress)
    top["annotations"] = {"org.opencontainers.image.ref.name": ref}
    index_path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != ref]
    index["manifests"].append(top)
    with open(index_path + ".tmp", "w") as f:
        json.dump(index, f)
    os.rename(index_path + ".tmp", index_path)
    print(top["digest"])

if __name__ == "__main__":
    main(sys.argv)
