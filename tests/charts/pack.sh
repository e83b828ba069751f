#!/bin/sh
# Packs a chart-shape fixture into a Helm repository directory, as `helm package`
# and `helm repo index` would: vendored/<sub>/ become <chart>/charts/<sub>-<version>.tgz,
# the chart becomes REPO/<name>-<version>.tgz, and REPO/index.yaml lists every archive.
# usage: pack.sh FIXTURE_DIR REPO_DIR      (prints NAME VERSION of the chart)
set -eu
fixture=$1; repo=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$repo"
chart=$(cd "$fixture" && for d in */Chart.yaml; do dirname "$d"; done | head -n 1)
cp -r "$fixture/$chart" "$work/$chart"
field() { sed -n "s/^$1: *\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$2" | head -n 1; }
if [ -d "$fixture/vendored" ]; then
	mkdir -p "$work/$chart/charts"
	for sub in "$fixture"/vendored/*/; do
		sub=${sub%/}
		name=$(basename "$sub")
		version=$(field version "$sub/Chart.yaml")
		tar -C "$fixture/vendored" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
			-czf "$work/$chart/charts/$name-$version.tgz" "$name"
	done
fi
name=$(field name "$work/$chart/Chart.yaml")
version=$(field version "$work/$chart/Chart.yaml")
tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$repo/$name-$version.tgz" "$chart"
python3 - "$repo" <<'PY'
import hashlib, os, re, sys
repo = sys.argv[1]
entries = {}
for f in sorted(os.listdir(repo)):
    m = re.match(r"(.+)-(v?\d+\.\d+\.\d+[^/]*)\.tgz$", f)
    if not m:
        continue
    digest = hashlib.sha256(open(os.path.join(repo, f), "rb").read()).hexdigest()
    entries.setdefault(m.group(1), []).append((m.group(2), f, digest))
with open(os.path.join(repo, "index.yaml.tmp"), "w") as out:
    out.write("apiVersion: v1\nentries:\n")
    for name, versions in sorted(entries.items()):
        out.write("  %s:\n" % name)
        for version, f, digest in versions:
            out.write("  - apiVersion: v2\n    name: %s\n    version: %s\n    urls: [%s]\n    digest: %s\n"
                      "    created: \"2026-11-01T00:00:00Z\"\n" % (name, version, f, digest))
    out.write("generated: \"2026-11-01T00:00:00Z\"\n")
os.rename(os.path.join(repo, "index.yaml.tmp"), os.path.join(repo, "index.yaml"))
PY
echo "$name $version"
