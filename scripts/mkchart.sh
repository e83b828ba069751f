#!/bin/sh
# Write a real Helm chart archive and (re)index its repository directory.
# usage: mkchart.sh REPO_DIR NAME VERSION [IMAGE...]
#   IMAGE entries become values.yaml `image:` settings (first as a map, the rest as strings).
# The archive is what `helm package` makes: NAME/Chart.yaml, values.yaml, templates/.
# index.yaml lists every NAME-VERSION.tgz in REPO_DIR with urls relative to it and digests.
set -eu
repo=$1; name=$2; version=$3; shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/$name/templates" "$repo"
cat >"$work/$name/Chart.yaml" <<YAML
apiVersion: v2
name: $name
version: $version
appVersion: "$version"
description: test chart $name
type: application
YAML
{
	echo "replicaCount: 1"
	first=1
	for image in "$@"; do
		if [ $first = 1 ]; then
			echo "image:"
			echo "  repository: ${image%:*}"
			echo "  tag: \"${image##*:}\""
			first=0
		else
			echo "extra$first:"
			echo "  image: $image"
			first=$((first + 1))
		fi
	done
} >"$work/$name/values.yaml"
cat >"$work/$name/templates/configmap.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: "{{ .Release.Name }}"}
data: {replicas: "{{ .Values.replicaCount }}"}
YAML
tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$repo/$name-$version.tgz" "$name"
python3 - "$repo" <<'PY'
import hashlib, os, re, sys
repo = sys.argv[1]
entries = {}
for f in sorted(os.listdir(repo)):
    m = re.match(r"(.+)-(\d+\.\d+\.\d+[^/]*)\.tgz$", f)
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
