#!/usr/bin/env python3
"""Write a static Terraform provider registry (SPECS §4.1-4.2) for tests.

usage: mkprovider.py ROOT NAMESPACE TYPE VERSION[,VERSION...] PLATFORM[,PLATFORM...] [--gnupg-home DIR]

ROOT gets:
  .well-known/terraform.json                    {"providers.v1": "/v1/providers/"}
  v1/providers/NS/TYPE/versions                 versions with protocols and platforms
  v1/providers/NS/TYPE/VER/download/OS/ARCH     the download JSON (relative download_url)
  dl/NS/TYPE/VER/terraform-provider-TYPE_VER_OS_ARCH.zip   a real zip holding the "binary"
  dl/NS/TYPE/VER/terraform-provider-TYPE_VER_SHA256SUMS     (+ .sig when --gnupg-home has a key)
Any static web server can serve ROOT (files without extension as application/json).
Prints the path of each zip, one per line.
"""
import hashlib, json, os, subprocess, sys, zipfile

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path + ".tmp", mode) as f:
        f.write(data)
    os.rename(path + ".tmp", path)

def main(argv):
    if len(argv) < 6:
        sys.exit(__doc__)
    root, ns, typ = argv[1], argv[2], argv[3]
    versions, platforms = argv[4].split(","), argv[5].split(",")
    gnupg = argv[argv.index("--gnupg-home") + 1] if "--gnupg-home" in argv else None
    write(os.path.join(root, ".well-known/terraform.json"), json.dumps({"providers.v1": "/v1/providers/"}))
    armor = ""
    key_id = ""
    if gnupg:
        armor = subprocess.run(["gpg", "--homedir", gnupg, "--armor", "--export"], check=True,
                               capture_output=True, text=True).stdout
        listing = subprocess.run(["gpg", "--homedir", gnupg, "--with-colons", "--list-keys"], check=True,
                                 capture_output=True, text=True).stdout
        key_id = [l.split(":")[4] for l in listing.splitlines() if l.startswith("pub")][0]
    listed = []
    for ver in versions:
        sums = []
        base = "dl/%s/%s/%s" % (ns, typ, ver)
        for plat in platforms:
            os_name, arch = plat.split("_")
            name = "terraform-provider-%s_%s_%s.zip" % (typ, ver, plat)
            zpath = os.path.join(root, base, name)
            os.makedirs(os.path.dirname(zpath), exist_ok=True)
            with zipfile.ZipFile(zpath + ".tmp", "w") as z:
                info = zipfile.ZipInfo("terraform-provider-%s_v%s" % (typ, ver), (2024, 1, 1, 0, 0, 0))
                info.external_attr = 0o755 << 16
                z.writestr(info, ("#!/bin/sh\necho %s %s %s\n" % (typ, ver, plat)).encode() * 64)
            os.rename(zpath + ".tmp", zpath)
            digest = hashlib.sha256(open(zpath, "rb").read()).hexdigest()
            sums.append("%s  %s\n" % (digest, name))
            sums_name = "terraform-provider-%s_%s_SHA256SUMS" % (typ, ver)
            download = {
                "protocols": ["5.0"], "os": os_name, "arch": arch, "filename": name,
                "download_url": "/%s/%s" % (base, name),
                "shasums_url": "/%s/%s" % (base, sums_name),
                "shasums_signature_url": "/%s/%s.sig" % (base, sums_name),
                "shasum": digest,
                "signing_keys": {"gpg_public_keys": [{"key_id": key_id, "ascii_armor": armor}] if gnupg else []},
            }
            write(os.path.join(root, "v1/providers", ns, typ, ver, "download", os_name, arch), json.dumps(download))
            print(zpath)
        sums_path = os.path.join(root, base, "terraform-provider-%s_%s_SHA256SUMS" % (typ, ver))
        write(sums_path, "".join(sums))
        if gnupg:
            subprocess.run(["gpg", "--homedir", gnupg, "--batch", "--yes", "--detach-sign", "-o",
                            sums_path + ".sig", sums_path], check=True, capture_output=True)
        listed.append({"version": ver, "protocols": ["5.0"],
                       "platforms": [{"os": p.split("_")[0], "arch": p.split("_")[1]} for p in platforms]})
    vpath = os.path.join(root, "v1/providers", ns, typ, "versions")
    old = json.load(open(vpath))["versions"] if os.path.exists(vpath) else []
    keep = [v for v in old if v["version"] not in versions]
    write(vpath, json.dumps({"versions": keep + listed}))

if __name__ == "__main__":
    main(sys.argv)
