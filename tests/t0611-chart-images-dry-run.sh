#!/bin/bash
# bundle create --dry-run on charts from a real nginx: every image it would
# fetch with where it came from (text and --json), a site's `values:` merged
# over the chart's for discovery (global.imageRegistry, a condition, tags),
# and a chart image that does not parse refused with the chart's
# file:line:col and the image's source, exit 2, as create refuses it.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
plan 10

www=$TRASH/www
for shape in bitnami-redis kube-prometheus-stack; do
	"$TOP/tests/charts/pack.sh" "$TOP/tests/charts/$shape" "$www/$shape" >/dev/null
done
# An umbrella chart whose subchart is switched by tags: (off by default).
mkdir -p "$TRASH/src/umbrella/charts/db"
printf 'apiVersion: v2\nname: umbrella\nversion: 1.0.0\nappVersion: "3.1"\ndependencies:\n  - name: db\n    version: 2.0.0\n    repository: ""\n    tags: [backend]\n' >"$TRASH/src/umbrella/Chart.yaml"
printf 'image:\n  repository: example.org/umbrella/app\ntags:\n  backend: false\n' >"$TRASH/src/umbrella/values.yaml"
printf 'apiVersion: v2\nname: db\nversion: 2.0.0\nappVersion: "16.4"\n' >"$TRASH/src/umbrella/charts/db/Chart.yaml"
printf 'image:\n  registry: example.org\n  repository: db/postgres\n  tag: ""\n' >"$TRASH/src/umbrella/charts/db/values.yaml"
mkdir -p "$www/umbrella"
tar -C "$TRASH/src" -czf "$www/umbrella/umbrella-1.0.0.tgz" umbrella
printf 'apiVersion: v1\nentries:\n  umbrella:\n  - name: umbrella\n    version: 1.0.0\n    urls: [umbrella-1.0.0.tgz]\n    digest: %s\n' \
	"$(sha256sum "$www/umbrella/umbrella-1.0.0.tgz" | cut -d' ' -f1)" >"$www/umbrella/index.yaml"
web_start www "$www"

mkdir -p "$TRASH/site"
cat >"$TRASH/site/lading.yaml" <<YAML
name: dry
images:
  - ref: docker.io/library/busybox:1.36
charts:
  - repo: $WEB_URL/bitnami-redis
    name: redis
    version: 20.2.1
    images_from_charts: true
YAML
out=$("$LADING" bundle create --dry-run -f "$TRASH/site/lading.yaml" 2>&1)
is "a listed image names its line in lading.yaml" "$(echo "$out" | grep busybox)" \
	"image docker.io/library/busybox:1.36 ($TRASH/site/lading.yaml:3:5)"
is "a chart image names the chart, file and key path" "$(echo "$out" | grep 'bitnami/redis:')" \
	"image docker.io/bitnami/redis:7.4.1-debian-12-r0 (from chart redis 20.2.1: redis/values.yaml:image)"
json=$("$LADING" bundle create --dry-run --json -f "$TRASH/site/lading.yaml" 2>/dev/null)
is "--json: one object per image with ref and source" \
	"$(echo "$json" | jq -rc '[.ref, .source] | join(" ")' | sort | tr '\n' ';')" \
	"docker.io/bitnami/kubectl:1.31.1-debian-12-r3 chart redis 20.2.1 redis/values.yaml:kubectl.image;docker.io/bitnami/redis:7.4.1-debian-12-r0 chart redis 20.2.1 redis/values.yaml:image;docker.io/library/busybox:1.36 $TRASH/site/lading.yaml:3:5;"

cat >"$TRASH/site/mirror.yaml" <<YAML
name: dry
charts:
  - repo: $WEB_URL/bitnami-redis
    name: redis
    images_from_charts: true
    values:
      global:
        imageRegistry: mirror.example:5000
      metrics:
        enabled: true
      kubectl:
        image:
          repository: site/kubectl
YAML
is "values: global.imageRegistry moves every image; metrics.enabled adds the exporter" \
	"$("$LADING" bundle create --dry-run --json -f "$TRASH/site/mirror.yaml" | jq -r .ref | sort | tr '\n' ' ')" \
	"mirror.example:5000/bitnami/redis-exporter:1.63.0-debian-12-r1 mirror.example:5000/bitnami/redis:7.4.1-debian-12-r0 mirror.example:5000/site/kubectl:1.31.1-debian-12-r3 "
is "an image a site's values set names lading.yaml as its source" \
	"$("$LADING" bundle create --dry-run --json -f "$TRASH/site/mirror.yaml" | jq -r 'select(.ref | test("kubectl")) | .source')" \
	"chart redis 20.2.1 $TRASH/site/mirror.yaml:7:7:kubectl.image"

cat >"$TRASH/site/kps.yaml" <<YAML
name: dry
charts:
  - repo: $WEB_URL/kube-prometheus-stack
    name: kube-prometheus-stack
    images_from_charts: true
    values:
      windowsMonitoring:
        enabled: true
      grafana:
        enabled: false
      prometheus:
        prometheusSpec:
          image:
            tag: v2.55.0
YAML
kps=$("$LADING" bundle create --dry-run --json -f "$TRASH/site/kps.yaml" | jq -r .ref)
ok "a condition the site turns on adds the subchart (its own appVersion)" \
	grep -qx 'ghcr.io/prometheus-community/windows-exporter:0.27.2' <<<"$kps"
is "a condition the site turns off drops the subchart" "$(grep -c grafana <<<"$kps")" 0
ok "a site's tag wins over the chart's" grep -qx 'quay.io/prometheus/prometheus:v2.55.0' <<<"$kps"

cat >"$TRASH/site/tags.yaml" <<YAML
name: dry
charts:
  - repo: $WEB_URL/umbrella
    name: umbrella
    images_from_charts: true
    values:
      tags:
        backend: true
YAML
is "tags: a subchart off by default is on when the site's tag is true" \
	"$("$LADING" bundle create --dry-run --json -f "$TRASH/site/tags.yaml" | jq -r .ref | sort | tr '\n' ' ')" \
	"example.org/db/postgres:16.4 example.org/umbrella/app:3.1 "

cat >"$TRASH/site/bad.yaml" <<YAML
name: dry
charts:
  - repo: $WEB_URL/umbrella
    name: umbrella
    images_from_charts: true
    values:
      image:
        repository: Example.org/UPPER/app
YAML
fails_one_line "a chart image that does not parse: the chart's file:line:col and the source, exit 2" 2 \
	"bad\.yaml:3:5: chart umbrella 1\.0\.0: image 'Example\.org/UPPER/app:3\.1' \(.*bad\.yaml:7:7:image\) is not a valid reference" \
	"$LADING" bundle create --dry-run -f "$TRASH/site/bad.yaml"
done_testing
