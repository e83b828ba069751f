#!/bin/bash
# images_from: in lading.yaml and bundle create --images-file: a plain list
# (kubeadm/mindthegap style: one reference a line, '#' comments, "- ") and
# Kubernetes manifests (every container, initContainer and pod template in a
# multi-document YAML), told apart by content, each image named with its
# FILE:LINE in --dry-run; a bad reference is refused with FILE:LINE, exit 2;
# --platform sets the platforms of images that name none, checked against a
# real docker-registry holding a two-platform index.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 10

registry_start oci
reg=127.0.0.1:$REGISTRY_PORT
python3 "$TOP/scripts/mkimage.py" "$TRASH/images" m:1 --layer 32k:base --platforms linux/amd64,linux/arm64 >/dev/null
push_layout "$TRASH/images" m:1 "$reg/test/m:1"

site=$TRASH/site
mkdir -p "$site/lists"
cat >"$site/lists/images.txt" <<EOF2
# kubeadm config images list --kubernetes-version v1.31.2
registry.k8s.io/kube-apiserver:v1.31.2
registry.k8s.io/pause:3.10   # sandbox image
- registry.k8s.io/etcd:3.5.15-0

EOF2
cat >"$site/deploy.yaml" <<'EOF2'
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: docker.io/library/busybox:1.36
      containers:
        - name: web
          image: nginx:1.27
        - name: side
          image: nginx:1.27
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: backup
              image: ghcr.io/example/backup:2
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-an-image}
data: {image: "this is not a container"}
EOF2
printf 'name: files\nimages_from:\n  - lists/images.txt\n' >"$site/lading.yaml"

out=$("$LADING" bundle create --dry-run -f "$site/lading.yaml" --images-file "$site/deploy.yaml" 2>&1)
is "a plain list: every reference with its FILE:LINE, comments and '- ' skipped" \
	"$(echo "$out" | grep 'images.txt' | tr '\n' ';')" \
	"image registry.k8s.io/kube-apiserver:v1.31.2 ($site/lists/images.txt:2);image registry.k8s.io/pause:3.10 ($site/lists/images.txt:3);image registry.k8s.io/etcd:3.5.15-0 ($site/lists/images.txt:4);"
is "manifests: initContainers, containers, CronJob templates, once each, with FILE:LINE:COL" \
	"$(echo "$out" | grep 'deploy.yaml' | tr '\n' ';')" \
	"image docker.io/library/busybox:1.36 ($site/deploy.yaml:10:18);image nginx:1.27 ($site/deploy.yaml:13:18);image ghcr.io/example/backup:2 ($site/deploy.yaml:28:22);"
is "--json: one {ref, source} per image" \
	"$("$LADING" bundle create --dry-run --json -f "$site/lading.yaml" --images-file "$site/deploy.yaml" | jq -r .ref | wc -l)" 6

printf 'ok.example/a:1\nBad/Ref:1\n' >"$site/bad.txt"
fails_one_line "a bad line in a list: FILE:LINE, exit 2" 2 "bad\.txt:2: image 'Bad/Ref:1' is not a valid reference" \
	"$LADING" bundle create --dry-run -f "$site/lading.yaml" --images-file "$site/bad.txt"
printf 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: x\n      image: "a b"\n' >"$site/bad.yaml"
fails_one_line "a bad image in a manifest: FILE:LINE:COL, exit 2" 2 "bad\.yaml:6:14: image 'a b' is not an image reference" \
	"$LADING" bundle create --dry-run -f "$site/lading.yaml" --images-file "$site/bad.yaml"
printf 'name: files\nimages:\n  - ref: UPPER/case:1\n' >"$site/upper.yaml"
fails_one_line "--dry-run checks a listed reference as create does, with file:line:col" 2 \
	"upper\.yaml:3:5: image 'UPPER/case:1' is not a valid reference" "$LADING" bundle create --dry-run -f "$site/upper.yaml"
fails_one_line "a missing images_from file is named" 2 "nope\.txt" \
	"$LADING" bundle create --dry-run -f "$site/lading.yaml" --images-file "$site/nope.txt"

echo "$reg/test/m:1" >"$site/one.txt"
printf 'name: plat\nimages_from: [one.txt]\nregistries:\n  - host: "%s"\n    plain_http: true\n' "$reg" >"$site/plat.yaml"
"$LADING" bundle create -f "$site/plat.yaml" -o "$TRASH/plat.tar.zst" --platform linux/amd64,linux/arm64 >/dev/null
is "--platform: both platforms carried for an image that names none" \
	"$("$LADING" bundle inspect --json "$TRASH/plat.tar.zst" | jq -c '.images[0].platforms')" '["linux/amd64","linux/arm64"]'
"$LADING" bundle create -f "$site/plat.yaml" -o "$TRASH/one.tar.zst" >/dev/null
is "without --platform: linux/amd64" \
	"$("$LADING" bundle inspect --json "$TRASH/one.tar.zst" | jq -c '.images[0].platforms')" '["linux/amd64"]'
fails_one_line "--platform checks its values" 2 "--platform 'linux': expected os/arch" \
	"$LADING" bundle create -f "$site/plat.yaml" --platform linux
done_testing
