#!/usr/bin/env python3
"""Add a Helm chart stored as an OCI artifact (config application/vnd.cncf.helm.config.v1+json,
one chart .tgz layer) to an OCI image layout, named REF in index.json, the way charts
travel in a bundle's oci/. Prints the manifest digest. Standard library only.

usage: mkhelmoci.py LAYOUT REF NAME VERSION
"""
import gzip, hashlib, io, json, os, sys, tarfile

def main(layout, ref, name, version):
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    def put(data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + digest, "size": len(data)}
    chart = ("apiVersion: v2\nname: %s\nversion: %s\n" % (name, version)).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        info = tarfile.TarInfo(name + "/Chart.yaml")
        info.size = len(chart)
        tar.addfile(info, io.BytesIO(chart))
    config = put(json.dumps({"name": name, "version": version, "apiVersion": "v2"}).encode())
    layer = put(raw.getvalue())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(mediaType="application/vnd.cncf.helm.config.v1+json", **config),
                "layers": [dict(mediaType="application/vnd.cncf.helm.chart.content.v1.tar+gzip", **layer)]}
    top = put(json.dumps(manifest).encode())
    index_path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"].append(dict(mediaType="application/vnd.oci.image.manifest.v1+json",
                                   annotations={"org.opencontainers.image.ref.name": ref}, **top))
    with open(index_path, "w") as f:
        json.dump(index, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    print(top["digest"])

if __name__ == "__main__":
    main(*sys.argv[1:5])
