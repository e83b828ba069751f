#!/usr/bin/env python3
"""Write a Helm chart archive (scripts/mkchart.sh makes one) as an OCI artifact in
an OCI image layout, the way `helm push` shapes it (SPECS §3.4): for skopeo to
copy into a test registry, or for scripts/mkbundle.py to pack into a bundle's oci/.

usage: mkchart-oci.py LAYOUT_DIR CHART.tgz REF_NAME [--config-media-type TYPE]

The config is the chart's name/version/apiVersion as compact JSON with media
type application/vnd.cncf.helm.config.v1+json; the one layer is the .tgz with
application/vnd.cncf.helm.chart.content.v1.tar+gzip. Prints the manifest digest.
"""
import hashlib, io, json, os, sys, tarfile

def put(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}

def chart_yaml(tgz):
    with tarfile.open(tgz, "r:gz") as t:
        for m in t.getmembers():
            if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml"):
                meta = {}
                for line in t.extractfile(m).read().decode().splitlines():
                    if ":" in line and not line.startswith(" "):
                        k, v = line.split(":", 1)
                        meta[k.strip()] = v.strip().strip('"')
                return meta
    sys.exit("no Chart.yaml in " + tgz)

def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    layout, tgz, ref = argv[1], argv[2], argv[3]
    config_type = "application/vnd.cncf.helm.config.v1+json"
    if "--config-media-type" in argv:
        config_type = argv[argv.index("--config-media-type") + 1]
    meta = chart_yaml(tgz)
    config = json.dumps({"name": meta["name"], "version": meta["version"], "apiVersion": meta.get("apiVersion", "v2")},
                        separators=(",", ":")).encode()
    cdesc = dict(mediaType=config_type, **put(layout, config))
    ldesc = dict(mediaType="application/vnd.cncf.helm.chart.content.v1.tar+gzip", **put(layout, open(tgz, "rb").read()))
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": cdesc, "layers": [ldesc],
                           "annotations": {"org.opencontainers.image.title": meta["name"],
                                           "org.opencontainers.image.version": meta["version"]}},
                          separators=(",", ":")).encode()
    mdesc = dict(mediaType="application/vnd.oci.image.manifest.v1+json", **put(layout, manifest))
    index_path = os.path.join(layout, "index.json")
    index = json.load(open(index_path)) if os.path.exists(index_path) else {"schemaVersion": 2, "manifests": []}
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != ref]
    index["manifests"].append(dict(mdesc, annotations={"org.opencontainers.image.ref.name": ref}))
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(index_path, "w") as f:
        json.dump(index, f)
    print(mdesc["digest"])

if __name__ == "__main__":
    main(sys.argv)
