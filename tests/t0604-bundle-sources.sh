#!/bin/bash
# bundle create with charts:, providers: and files: from real servers (nginx
# for the chart repository, the provider registry and files; docker-registry
# for an OCI chart and the image a chart names): the extracted charts/ is a
# Helm repository (index parses, every url is a file matching its digest),
# providers/ a Terraform mirror (zh:/h1: recomputed independently), files/
# the pinned files, oci/ the charts as OCI artifacts; rows carry their kind;
# lading.lock records versions and hashes and --locked uses only it;
# --update-hashes pins a file; bad input leaves no bundle.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
. "$TOP/scripts/lib-registry.sh"
command -v gpg >/dev/null || skip_all "gpg not installed (scripts/deps)"
plan 24

export GNUPGHOME=$TRASH/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'lading test <test@example.invalid>' ed25519 sign never >/dev/null 2>&1
registry_start oci
reg=127.0.0.1:$REGISTRY_PORT
python3 "$TOP/scripts/mkimage.py" "$TRASH/images" app:1 --layer 50k:app >/dev/null
push_layout "$TRASH/images" app:1 "$reg/test/app:1"
www=$TRASH/www
"$TOP/scripts/mkchart.sh" "$www/charts" web 1.0.0 "$reg/test/app:1" >/dev/null
"$TOP/scripts/mkchart.sh" "$www/charts" web 1.1.0 "$reg/test/app:1" >/dev/null
"$TOP/scripts/mkchart.sh" "$TRASH/ocicharts" ray 0.3.0 >/dev/null
python3 "$TOP/scripts/mkchart-oci.py" "$TRASH/ocilayout" "$TRASH/ocicharts/ray-0.3.0.tgz" 0.3.0 >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$TRASH/ocilayout:0.3.0" "docker://$reg/charts/ray:0.3.0" >/dev/null 2>&1
python3 "$TOP/scripts/mkprovider.py" "$www" hashicorp null 3.2.1,3.2.2 linux_amd64,linux_arm64 --gnupg-home "$GNUPGHOME" >/dev/null
mkdir -p "$www/dl" && head -c 100000 /dev/urandom >"$www/dl/driver.run"
sum=$(sha256sum "$www/dl/driver.run" | cut -d' ' -f1)
web_start www "$www"
web=127.0.0.1:$WEB_PORT
export LADING_CACHE=$TRASH/cache SOURCE_DATE_EPOCH=1700000000

mkdir "$TRASH/site"
cat >"$TRASH/site/lading.yaml" <<YAML
name: site
registries:
  - host: "$reg"
    plain_http: true
  - host: "$web"
    plain_http: true
charts:
  - repo: http://$web/charts
    name: web
    version: "~1.0"
    images_from_charts: true
  - oci: oci://$reg/charts/ray
    version: ^0.3
providers:
  - source: $web/hashicorp/null
    version: "~> 3.2.0"
    platforms: [linux_amd64, linux_arm64]
files:
  - url: http://$web/dl/driver.run
    sha256: $sum
    name: nvidia/driver.run
YAML
is "--dry-run lists what create would add, images from charts included" \
	"$("$LADING" bundle create --dry-run -f "$TRASH/site/lading.yaml" | tr '\n' ';')" \
	"chart web 1.0.0 http://$web/charts web;image $reg/test/app:1 (from chart web 1.0.0: web/values.yaml:image);chart ray 0.3.0 oci://$reg/charts/ray;provider $web/hashicorp/null ~> 3.2.0 linux_amd64,linux_arm64;file nvidia/driver.run http://$web/dl/driver.run;"
"$LADING" key generate --unencrypted -o "$TRASH/k" >/dev/null
ok "bundle create with charts, providers, files" "$LADING" bundle create -f "$TRASH/site/lading.yaml" -o "$TRASH/site.tar.zst" --sign "$TRASH/k.key"
ok "bundle verify" "$LADING" bundle verify --pubkey "$TRASH/k.pub" "$TRASH/site.tar.zst"
ok "bundle extract" "$LADING" bundle extract --pubkey "$TRASH/k.pub" -C "$TRASH/x" "$TRASH/site.tar.zst"
x=$TRASH/x
cat >"$TRASH/check-repo.py" <<'PY'
import hashlib, os, sys, yaml
root = sys.argv[1]
index = yaml.safe_load(open(os.path.join(root, "index.yaml")))
assert index["apiVersion"] == "v1"
out = []
for name, versions in index["entries"].items():
    for v in versions:
        for url in v["urls"]:
            assert "://" not in url and not url.startswith("/"), url
            data = open(os.path.join(root, url), "rb").read()
            assert hashlib.sha256(data).hexdigest() == v["digest"], url
            out.append("%s-%s" % (name, v["version"]))
print(" ".join(sorted(out)))
PY
is "charts/ is a Helm repository: index parses, urls resolve to files matching their digests" \
	"$(python3 "$TRASH/check-repo.py" "$x/charts")" "ray-0.3.0 web-1.0.0"
cat >"$TRASH/check-mirror.py" <<'PY'
import base64, hashlib, json, os, sys, zipfile
d = sys.argv[1]
n = 0
for version in json.load(open(os.path.join(d, "index.json")))["versions"]:
    for plat, a in json.load(open(os.path.join(d, version + ".json")))["archives"].items():
        path = os.path.join(d, a["url"])
        zh = "zh:" + hashlib.sha256(open(path, "rb").read()).hexdigest()
        z = zipfile.ZipFile(path)
        summary = "".join("%s  %s\n" % (hashlib.sha256(z.read(n_)).hexdigest(), n_) for n_ in sorted(z.namelist()))
        h1 = "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()
        assert h1 in a["hashes"] and zh in a["hashes"], (a, h1, zh)
        n += 1
print(n)
PY
is "providers/ is a mirror whose h1:/zh: match the zips" "$(python3 "$TRASH/check-mirror.py" "$x/providers/$web/hashicorp/null")" 2
is "the mirror has 3.2.2" "$(jq -c .versions "$x/providers/$web/hashicorp/null/index.json")" '{"3.2.2":{}}'
ok "files/ has the pinned file" cmp "$x/files/nvidia/driver.run" "$www/dl/driver.run"
is "oci/ holds the charts as OCI artifacts" \
	"$(jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' "$x/oci/index.json" | sort | tr '\n' ' ')" \
	"$reg/test/app:1 charts/ray:0.3.0 charts/web:1.0.0 "
ok "skopeo reads the chart artifact from the layout" skopeo inspect --raw "oci:$x/oci:charts/web:1.0.0"
is "rows carry their kinds" "$(jq -r '[.entries[].kind] | unique | join(" ")' "$x/lading.json")" "chart file oci-blob oci-layout provider"
is "inspect groups entries by kind" \
	"$("$LADING" bundle inspect "$TRASH/site.tar.zst" | grep -E '^(CHARTS|PROVIDERS|FILES) |^(charts|providers|files)/' | grep -vE '^charts/[^ /]*:' | cut -d' ' -f1 | tr '\n' ' ')" \
	"CHARTS charts/index.yaml charts/ray-0.3.0.tgz charts/web-1.0.0.tgz PROVIDERS providers/$web/hashicorp/null/3.2.2.json providers/$web/hashicorp/null/index.json providers/$web/hashicorp/null/terraform-provider-null_3.2.2_linux_amd64.zip providers/$web/hashicorp/null/terraform-provider-null_3.2.2_linux_arm64.zip FILES files/nvidia/driver.run "
is "images_from_charts added the chart's image" "$(jq -r '.images | length' "$TRASH/site/lading.lock")" 1
is "lading.lock records the chart versions" "$(jq -r '[.charts[].version] | join(" ")' "$TRASH/site/lading.lock")" "1.0.0 0.3.0"
is "lading.lock records provider version and zip hashes" \
	"$(jq -r '.providers[0] | .version + " " + (.sha256 | keys | join(","))' "$TRASH/site/lading.lock")" "3.2.2 linux_amd64,linux_arm64"

# --locked uses only the lock: a newer chart appears upstream, the bundle stays the same.
"$TOP/scripts/mkchart.sh" "$www/charts" web 1.0.9 "$reg/test/app:1" >/dev/null
ok "--locked create" "$LADING" bundle create --locked -f "$TRASH/site/lading.yaml" -o "$TRASH/locked.tar.zst" --sign "$TRASH/k.key"
ok "--locked gives the same bytes" cmp "$TRASH/site.tar.zst" "$TRASH/locked.tar.zst"
ok "without --locked the new chart version is taken" sh -c "'$LADING' bundle create -f '$TRASH/site/lading.yaml' -o '$TRASH/new.tar.zst' && jq -e '.charts[0].version == \"1.0.9\"' '$TRASH/site/lading.lock'"

# --update-hashes pins a file given without sha256.
mkdir "$TRASH/pin"
printf 'name: pin\nregistries:\n  - host: "%s"\n    plain_http: true\nfiles:\n  - url: http://%s/dl/driver.run\n' "$web" "$web" >"$TRASH/pin/lading.yaml"
fails_with "a file without sha256 is refused" 2 "lading\.yaml:[0-9]+:[0-9]+: file .* has no sha256 \(bundle create --update-hashes" \
	"$LADING" bundle create -f "$TRASH/pin/lading.yaml" -o "$TRASH/pin.tar.zst"
ok "--update-hashes writes the hash into the spec" sh -c "'$LADING' bundle create --update-hashes -f '$TRASH/pin/lading.yaml' -o '$TRASH/pin.tar.zst' && grep -q '^    sha256: $sum\$' '$TRASH/pin/lading.yaml'"
ok "the updated spec works as is" "$LADING" bundle create -f "$TRASH/pin/lading.yaml" -o "$TRASH/pin2.tar.zst"

# Bad input: nothing under the output name.
sed "s/$sum/$(printf '%064d' 7)/" "$TRASH/site/lading.yaml" >"$TRASH/site/bad.yaml"
fails_with "a file hash mismatch fails the bundle" 1 "file nvidia/driver\.run: sha256 mismatch" \
	"$LADING" bundle create -f "$TRASH/site/bad.yaml" -o "$TRASH/bad.tar.zst"
ok "no bundle left behind" test ! -e "$TRASH/bad.tar.zst"
printf 'name: k\ncharts:\n  - repo: http://x\n    name: y\n    colour: blue\n' >"$TRASH/site/unknown.yaml"
fails_with "an unknown chart key names file:line:col" 2 "unknown\.yaml:[0-9]+:[0-9]+.*colour" \
	"$LADING" bundle create -f "$TRASH/site/unknown.yaml" -o "$TRASH/bad.tar.zst"
done_testing
