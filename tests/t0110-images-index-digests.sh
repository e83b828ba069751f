#!/bin/bash
# Upstream index digests survive (issue 14 item 1). A buildx-style index (three
# platforms, each with an attestation manifest that names it by
# vnd.docker.reference.digest) and a nested index (index -> index ->
# manifests) are pushed to a real docker-registry by raw PUTs. Every platform
# keeps the upstream index byte for byte; a subset carries the upstream index
# with the carried children and their attestations, so `lading serve` answers
# a pull by the upstream digest, by the tag and by the filtered digest with the
# same manifests for a carried platform; `bundle push` tries the upstream index
# and says so, naming both digests, when the registry refuses it; containerd
# pulls by the upstream digest through a hosts.toml mirror pointing at serve.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 29
bail_out() { echo "Bail out! $1"; exit 1; }

registry_start src
SRC=127.0.0.1:$REGISTRY_PORT
CONF=$TRASH/registries.yaml
registry_client_config "$CONF"

# mkbuildx REGISTRY: pushes test/bx:1, test/bxall:1, test/bx2:1 (one buildx index) and
# test/nest:1 (nested); prints "U=<digest> N=<digest>" lines for the shell.
python3 - "$SRC" >"$TRASH/fixture.env" <<'PY' || bail_out "fixture push failed"
import hashlib, io, json, random, sys, tarfile, urllib.request
reg = sys.argv[1]
OCI_M = "application/vnd.oci.image.manifest.v1+json"
OCI_I = "application/vnd.oci.image.index.v1+json"
OCI_C = "application/vnd.oci.image.config.v1+json"
def dg(b): return "sha256:" + hashlib.sha256(b).hexdigest()
def req(method, url, data=None, ctype=None):
    r = urllib.request.Request(url, data=data, method=method)
    if ctype: r.add_header("Content-Type", ctype)
    with urllib.request.urlopen(r) as resp:
        return resp.headers.get("Location"), resp.status
def blob(repo, data):
    loc, _ = req("POST", f"http://{reg}/v2/{repo}/blobs/uploads/")
    if loc.startswith("/"): loc = f"http://{reg}" + loc
    sep = "&" if "?" in loc else "?"
    req("PUT", f"{loc}{sep}digest={dg(data)}", data, "application/octet-stream")
    return {"digest": dg(data), "size": len(data)}
def manifest(repo, data, ctype, ref=None):
    req("PUT", f"http://{reg}/v2/{repo}/manifests/{ref or dg(data)}", data, ctype)
def layer(seed):
    rng = random.Random(seed); out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as t:
        body = rng.randbytes(4096); info = tarfile.TarInfo(f"file-{seed}"); info.size = len(body); info.mtime = 0
        t.addfile(info, io.BytesIO(body))
    return out.getvalue()
def image(repo, os_, arch, variant, seed, mtype=OCI_M, ltype="application/vnd.oci.image.layer.v1.tar", ann=None):
    lay = layer(seed)
    cfg = {"architecture": arch, "os": os_, "config": {}, "rootfs": {"type": "layers", "diff_ids": [dg(lay)]}}
    if variant: cfg["variant"] = variant
    cb = json.dumps(cfg).encode()
    ld = dict(mediaType=ltype, **blob(repo, lay))
    if ann: ld["annotations"] = ann
    m = json.dumps({"schemaVersion": 2, "mediaType": mtype, "config": dict(mediaType=OCI_C, **blob(repo, cb)),
                    "layers": [ld]}, indent=2).encode()
    manifest(repo, m, mtype)
    return {"mediaType": mtype, "digest": dg(m), "size": len(m)}
def buildx(repo):
    plats = [("linux", "amd64", None), ("linux", "arm64", None), ("linux", "arm", "v7")]
    entries, atts = [], []
    for i, (o, a, v) in enumerate(plats):
        d = image(repo, o, a, v, f"bx-{a}{v or ''}")
        p = {"architecture": a, "os": o}
        if v: p["variant"] = v
        entries.append(dict(d, platform=p))
        att = image(repo, "unknown", "unknown", None, f"att-{i}", ltype="application/vnd.in-toto+json",
                    ann={"in-toto.io/predicate-type": "https://spdx.dev/Document"})
        atts.append(dict(att, annotations={"vnd.docker.reference.digest": d["digest"],
                                           "vnd.docker.reference.type": "attestation-manifest"},
                         platform={"architecture": "unknown", "os": "unknown"}))
    idx = json.dumps({"schemaVersion": 2, "mediaType": OCI_I, "manifests": entries + atts}, indent=2).encode()
    manifest(repo, idx, OCI_I); manifest(repo, idx, OCI_I, "1")
    return dg(idx), entries, atts
u, entries, atts = buildx("test/bx")
for r in ("test/bxall", "test/bx2"): buildx(r)
print(f"U={u}")
for e in entries: print(f"M_{e['platform']['architecture']}{e['platform'].get('variant', '')}={e['digest']}")
for i, a in enumerate(atts): print(f"A_{i}={a['digest']}")
inner = [dict(image("test/nest", "linux", a, None, f"nest-{a}"), platform={"architecture": a, "os": "linux"})
         for a in ("amd64", "arm64")]
ib = json.dumps({"schemaVersion": 2, "mediaType": OCI_I, "manifests": inner}).encode()
manifest("test/nest", ib, OCI_I)
ob = json.dumps({"schemaVersion": 2, "mediaType": OCI_I,
                 "manifests": [{"mediaType": OCI_I, "digest": dg(ib), "size": len(ib)}]}, indent=1).encode()
manifest("test/nest", ob, OCI_I); manifest("test/nest", ob, OCI_I, "1")
print(f"N={dg(ob)}")
print(f"NI={dg(ib)}")
print(f"NM_arm64={inner[1]['digest']}")
print(f"NM_amd64={inner[0]['digest']}")
PY
. "$TRASH/fixture.env"
SK="skopeo --override-os linux"
raw_sha() { skopeo inspect --raw --tls-verify=false "docker://$1" 2>/dev/null | sha256sum | cut -c1-64; }
# copied ARCH[/VARIANT] REF: the manifest digest skopeo copies for that platform
copied() {
	rm -rf "$TRASH/cp"
	_v=; case $1 in */*) _v="--override-variant ${1#*/}" ;; esac
	$SK --override-arch "${1%%/*}" $_v copy --quiet --preserve-digests --src-tls-verify=false "docker://$2" "oci:$TRASH/cp:x" >/dev/null 2>&1 &&
		jq -r '.manifests[0].digest' "$TRASH/cp/index.json"
}
is "the fixture index on the registry has its digest" "sha256:$(raw_sha "$SRC/test/bx:1")" "$U"

# image pull: every platform keeps the upstream index and all six children
out=$("$LADING" image pull --registry-config "$CONF" --store "$TRASH/s-all" --json -p all "$SRC/test/bx:1")
is "pull -p all: the top level is the upstream index" "$(printf '%s' "$out" | jq -r .digest)" "$U"
ok "pull -p all: every platform and attestation manifest is stored" sh -c \
	"test \$(jq '.manifests | length' '$TRASH/s-all/blobs/sha256/${U#sha256:}') = 6 && for d in \$(jq -r '.manifests[].digest' '$TRASH/s-all/blobs/sha256/${U#sha256:}'); do test -f '$TRASH/s-all/blobs/sha256/'\${d#sha256:} || exit 1; done"
out=$("$LADING" image pull --registry-config "$CONF" --store "$TRASH/s-list" --json -p linux/amd64,linux/arm64,linux/arm/v7 "$SRC/test/bx:1")
is "every platform listed: the upstream index, attestations counted out" "$(printf '%s' "$out" | jq -r .digest)" "$U"
out=$("$LADING" image pull --registry-config "$CONF" --store "$TRASH/s-one" --json -p linux/arm64 "$SRC/test/bx:1")
is "one platform: its manifest on top, the upstream index named" \
	"$(printf '%s' "$out" | jq -r '.digest + " " + .source_index_digest')" "$M_arm64 $U"
ok "one platform: upstream index and the arm64 attestation stored, amd64's not" sh -c \
	"test -f '$TRASH/s-one/blobs/sha256/${U#sha256:}' && test -f '$TRASH/s-one/blobs/sha256/${A_1#sha256:}' && ! test -f '$TRASH/s-one/blobs/sha256/${A_0#sha256:}'"
fails_with "a platform the index lacks names the ones it has (not the attestations)" 1 \
	"no platform linux/s390x in the image index \\(it has linux/amd64, linux/arm64, linux/arm/v7\\)" \
	"$LADING" image pull --registry-config "$CONF" --store "$TRASH/s-x" -p linux/s390x "$SRC/test/bx:1"
fails_with "nested: a missing platform names the leaves" 1 \
	"no platform linux/ppc64le in the image index \\(it has linux/amd64, linux/arm64\\)" \
	"$LADING" image pull --registry-config "$CONF" --store "$TRASH/s-x" -p linux/ppc64le "$SRC/test/nest:1"

# a bundle with every case
mkdir -p "$TRASH/spec"
cat >"$TRASH/spec/lading.yaml" <<YAML
name: index-digests
images:
  - ref: $SRC/test/bxall:1
    platforms: [linux/amd64, linux/arm64, linux/arm/v7]
  - ref: $SRC/test/bx:1
    platforms: [linux/arm64]
  - ref: $SRC/test/bx2:1
    platforms: [linux/arm/v7, linux/amd64]
  - ref: $SRC/test/nest:1
    platforms: [linux/arm64]
registries:
  - host: $SRC
    plain_http: true
YAML
export LADING_CACHE=$TRASH/cache
B=$TRASH/site.tar.zst
"$LADING" bundle create -f "$TRASH/spec/lading.yaml" -o "$B" >"$TRASH/create.out" 2>"$TRASH/create.err"
is "bundle create succeeds" "$?" "0"
zstd -dc "$B" | tar -xO lading.json >"$TRASH/lading.json"
digest_of() { jq -r --arg r "$SRC/test/$1:1" '.images[] | select(.ref == $r) | .digest' "$TRASH/lading.json"; }
F=$(digest_of bx2)
is "all platforms: the bundle records the upstream index" "$(digest_of bxall)" "$U"

# lading serve of the bundle
. "$TOP/scripts/lib-serve.sh"
serve_start "$B" --insecure-skip-signature || bail_out "serve did not start"
S=$SERVE_HOST
is "serve: all platforms, the upstream index byte for byte" "sha256:$(raw_sha "$S/test/bxall:1")" "$U"
is "serve: one platform, the upstream index by its digest, byte for byte" "sha256:$(raw_sha "$S/test/bx@$U")" "$U"
is "serve: one platform, the same manifest by tag and by upstream digest" \
	"$(copied arm64 "$S/test/bx:1") $(copied arm64 "$S/test/bx@$U")" "$M_arm64 $M_arm64"
is "serve: the carried platform's attestation manifest is served" "$(raw_sha "$S/test/bx@$A_1")" "${A_1#sha256:}"
ok "serve: a platform not carried is absent under the upstream digest" sh -c \
	"! skopeo inspect --raw --tls-verify=false docker://$S/test/nest@$NM_amd64 >/dev/null 2>&1"
is "serve: two platforms, the tag is the filtered index naming its source" \
	"$(skopeo inspect --raw --tls-verify=false "docker://$S/test/bx2:1" | jq -r '.annotations["io.lading.source-index"]')" "$U"
is "serve: arm/v7 by tag, by the filtered and by the upstream digest" \
	"$(copied arm/v7 "$S/test/bx2:1") $(copied arm/v7 "$S/test/bx2@$F") $(copied arm/v7 "$S/test/bx2@$U")" \
	"$M_armv7 $M_armv7 $M_armv7"
is "serve: the filtered index carries the attestations of its platforms" \
	"$(skopeo inspect --raw --tls-verify=false "docker://$S/test/bx2@$F" | jq -r '[.manifests[].digest] | join(" ")')" \
	"$M_armv7 $M_amd64 $A_0 $A_2"
is "serve: nested, the outer and inner index byte for byte, arm64 by tag" \
	"$(raw_sha "$S/test/nest@$N") $(raw_sha "$S/test/nest@$NI") $(copied arm64 "$S/test/nest:1")" \
	"${N#sha256:} ${NI#sha256:} $NM_arm64"

# bundle push: the upstream index goes too where the registry takes it
registry_start dst
DST=127.0.0.1:$REGISTRY_PORT
"$LADING" bundle push --insecure-skip-signature "$B" --registry "$DST" --plain-http >"$TRASH/push.out" 2>"$TRASH/push.err"
is "bundle push succeeds" "$?" "0"
sed 's/^/# push: /' "$TRASH/push.err"
is "push: all platforms, the upstream index byte for byte" "sha256:$(raw_sha "$DST/test/bxall@$U")" "$U"
if skopeo inspect --raw --tls-verify=false "docker://$DST/test/bx2@$U" >/dev/null 2>&1; then
	is "push: the registry took the upstream index; arm/v7 by it" "$(copied arm/v7 "$DST/test/bx2@$U")" "$M_armv7"
else
	ok "push: the registry refused the upstream index: said, naming both digests" \
		grep -q "test/bx2:1: the registry refused upstream index $U.*pull by tag or by $F" "$TRASH/push.err"
fi
ok "push: a registry refusing an index with absent children: said, naming both digests" \
	grep -q "test/nest:1: the registry refused upstream index $N, .*MANIFEST_BLOB_UNKNOWN.*pull by tag or by $NM_arm64 instead" "$TRASH/push.err"
is "push: nested arm64 by tag still" "$(copied arm64 "$DST/test/nest:1")" "$NM_arm64"
is "push: arm/v7 by tag and by the filtered digest" \
	"$(copied arm/v7 "$DST/test/bx2:1") $(copied arm/v7 "$DST/test/bx2@$F")" "$M_armv7 $M_armv7"
# containerd pulls by the upstream digest through a hosts.toml mirror and through one at the registry pushed into (the source registry is gone)
if [ "$(id -u)" = 0 ] && command -v containerd >/dev/null; then
	cd_root=$TRASH/containerd
	mkdir -p "$cd_root/certs.d/$SRC"
	printf 'server = "http://%s"\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' "$SRC" "$S" \
		>"$cd_root/certs.d/$SRC/hosts.toml"
	cat >"$cd_root/config.toml" <<TOML
version = 2
root = "$cd_root/root"
state = "$cd_root/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$cd_root/containerd.sock"
[ttrpc]
  address = "$cd_root/containerd-ttrpc.sock"
[debug]
  address = ""
[metrics]
  address = ""
TOML
	containerd --config "$cd_root/config.toml" >"$TRASH/containerd.log" 2>&1 &
	cd_pid=$!
	at_exit "kill_pid $cd_pid"
	n=0
	while ! ctr -a "$cd_root/containerd.sock" version >/dev/null 2>&1 && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	CTR="ctr -a $cd_root/containerd.sock -n lading-test"
	registry_stop src
	ok "containerd pulls arm64 by the upstream digest through the mirror" \
		$CTR images pull --hosts-dir "$cd_root/certs.d" --platform linux/arm64 --snapshotter native "$SRC/test/bx@$U"
	ok "containerd has the arm64 manifest" sh -c "$CTR content ls | grep -q '$M_arm64'"
	ok "containerd pulls nested arm64 by the outer digest through the mirror" \
		$CTR images pull --hosts-dir "$cd_root/certs.d" --platform linux/arm64 --snapshotter native "$SRC/test/nest@$N"
	mkdir -p "$cd_root/pushed.d/$SRC"
	printf 'server = "http://%s"\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' "$SRC" "$DST" \
		>"$cd_root/pushed.d/$SRC/hosts.toml"
	ok "containerd pulls arm/v7 by the upstream digest through a mirror at the pushed registry" \
		$CTR images pull --hosts-dir "$cd_root/pushed.d" --platform linux/arm/v7 --snapshotter native "$SRC/test/bx2@$U"
else
	skip_n 4 "containerd needs root"
fi

done_testing
