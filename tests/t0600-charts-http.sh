#!/bin/bash
# Charts from a Helm HTTP repository served by a real nginx: version
# constraints, images from values.yaml, the repository written with --out
# checked without helm, and every bad input (no match, digest mismatch,
# 404, 500, index.yaml that is not YAML) a one-line error, exit 1, nothing stored.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
plan 21

www=$TRASH/www
for v in 1.2.3 1.2.4 1.3.0-rc.1 2.0.0; do
	"$TOP/scripts/mkchart.sh" "$www/charts" demo $v nginx:1.27 docker.io/library/busybox:1.36 >/dev/null
done
"$TOP/scripts/mkchart.sh" "$www/charts" other 0.1.0 >/dev/null
# A repository whose index lies about one digest.
mkdir -p "$www/liar" "$www/notyaml"
cp "$www/charts/demo-1.2.3.tgz" "$www/charts/index.yaml" "$www/liar/"
real=$(sha256sum "$www/liar/demo-1.2.3.tgz" | cut -d' ' -f1)
sed -i "s/$real/$(printf '%064d' 0)/" "$www/liar/index.yaml"
printf 'apiVersion: v1\nentries: [demo:\n  - {name: demo\n' >"$www/notyaml/index.yaml"
WEB_EXTRA='location /broken/ { return 500; }' web_start www "$www"
repo=$WEB_URL/charts
store=$TRASH/store

out=$("$LADING" fetch chart -s "$store" "$repo" demo '~1.2' 2>&1)
is "~1.2 picks the newest 1.2.x" "$(echo "$out" | cut -d' ' -f1-3)" "chart demo 1.2.4"
is "the digest is the archive's sha256" "$(echo "$out" | cut -d' ' -f4)" "sha256:$(sha256sum "$www/charts/demo-1.2.4.tgz" | cut -d' ' -f1)"
ok "the archive is in the store under its digest" cmp "$store/blobs/sha256/$(sha256sum "$www/charts/demo-1.2.4.tgz" | cut -d' ' -f1)" "$www/charts/demo-1.2.4.tgz"
is "no constraint picks the newest stable" "$("$LADING" fetch chart -s "$store" "$repo" demo | cut -d' ' -f3)" "2.0.0"
is "^1 stays below 2" "$("$LADING" fetch chart -s "$store" "$repo" demo '^1' | cut -d' ' -f3)" "1.2.4"
is "a prerelease constraint reaches the rc" "$("$LADING" fetch chart -s "$store" "$repo/" demo '>=1.3.0-0 <2' | cut -d' ' -f3)" "1.3.0-rc.1"
is "an exact version" "$("$LADING" fetch chart -s "$store" "$repo" demo 1.2.3 | cut -d' ' -f3)" "1.2.3"
is "--images lists the images of values.yaml" \
	"$("$LADING" fetch chart -s "$store" --images "$repo" demo 1.2.3 | grep '^image' | sort | tr '\n' ' ')" \
	"image docker.io/library/busybox:1.36 image nginx:1.27 "
json=$("$LADING" fetch chart -s "$store" --json "$repo" demo 1.2.3)
mdigest=$(echo "$json" | jq -r .manifest_digest)
ok "an OCI manifest for the chart is in the store" sh -c "jq -e '.config.mediaType == \"application/vnd.cncf.helm.config.v1+json\" and .layers[0].mediaType == \"application/vnd.cncf.helm.chart.content.v1.tar+gzip\" and .layers[0].digest == \"$(echo "$json" | jq -r .digest)\"' '$store/blobs/sha256/${mdigest#sha256:}'"

# A repository laid out with --out, checked without helm.
for c in "demo 1.2.3" "demo 2.0.0" "other 0.1.0"; do
	"$LADING" fetch chart -s "$store" -o "$TRASH/repo" "$repo" $c >/dev/null
done
cat >"$TRASH/check-repo.py" <<'PY'
import hashlib, os, sys, yaml
root = sys.argv[1]
index = yaml.safe_load(open(os.path.join(root, "index.yaml")))
assert index["apiVersion"] == "v1"
seen = 0
for name, versions in index["entries"].items():
    for v in versions:
        assert v["name"] == name
        for url in v["urls"]:
            assert "://" not in url and not url.startswith("/"), url
            data = open(os.path.join(root, url), "rb").read()
            assert hashlib.sha256(data).hexdigest() == v["digest"], url
            seen += 1
print(seen)
PY
is "written repository: index parses, every url is a file matching its digest" "$(python3 "$TRASH/check-repo.py" "$TRASH/repo")" 3
is "versions are listed newest first" "$(python3 -c "import yaml,sys; print([v['version'] for v in yaml.safe_load(open(sys.argv[1]))['entries']['demo']])" "$TRASH/repo/index.yaml")" "['2.0.0', '1.2.3']"

# Bad input.
fails_one_line "no matching version lists the versions there are" 1 \
	"demo.*no version matches '~3'.*available: .*1\.2\.3.*2\.0\.0" "$LADING" fetch chart -s "$store" "$repo" demo '~3'
fails_one_line "an unknown chart is named" 1 "nope" "$LADING" fetch chart -s "$store" "$repo" nope
bad=$TRASH/bad-store
fails_one_line "a digest mismatch names the chart" 1 "chart demo 1\.2\.3: sha256 mismatch" \
	"$LADING" fetch chart -s "$bad" -o "$TRASH/bad-repo" "$WEB_URL/liar" demo 1.2.3
is "nothing stored after the mismatch" "$(find "$bad/blobs/sha256" -type f -name "$real*" -o -type f -name '.fetch-*' | wc -l)" 0
ok "nothing written to --out after the mismatch" test ! -e "$TRASH/bad-repo/index.yaml"
fails_one_line "HTTP 404 for a missing repository" 1 "index\.yaml' answered HTTP 404" \
	"$LADING" fetch chart -s "$bad" "$WEB_URL/missing" demo
fails_one_line "HTTP 500 from the server" 1 "HTTP 500" "$LADING" fetch chart -s "$bad" "$WEB_URL/broken" demo
fails_one_line "an index.yaml that is not YAML gives file:line:col" 1 "notyaml/index\.yaml:[0-9]+:[0-9]+" \
	"$LADING" fetch chart -s "$bad" "$WEB_URL/notyaml" demo
fails_with "usage: a chart needs a name" 2 "REPO_URL NAME" "$LADING" fetch chart -s "$bad" "$repo"
ok "fetch --help" sh -c "'$LADING' fetch --help | grep -q '^  chart '"
done_testing
