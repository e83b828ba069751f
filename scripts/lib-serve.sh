# Sourced by the serve tests after test-lib.sh: build a directory laid out like
# an extracted bundle, and run `lading serve` on it on a free 127.0.0.1 port.
#
#   serve_make_site DIR        oci/ (three images, one multi-platform), charts/,
#                              providers/, files/; sets DEMO_DIGEST, MULTI_DIGEST,
#                              OTHER_DIGEST, and MULTI_AMD64 / MULTI_ARM64 (children)
#   serve_start DIR [ARGS...]  sets SERVE_PID, SERVE_PORT, SERVE_HOST (127.0.0.1:PORT),
#                              SERVE_LOG; default --plain-http unless ARGS has --tls-cert
#   serve_stop                 TERM by PID, waits; sets SERVE_STATUS to its exit status
#   layout_blob DIR DIGEST     the path of a blob in an OCI layout

serve_make_site() {
	_site=$1
	mkdir -p "$_site/oci" "$_site/charts" "$_site/files/tools" \
		"$_site/providers/registry.terraform.io/hashicorp/null"
	_mk="python3 $TOP/scripts/mkimage.py $_site/oci"
	DEMO_DIGEST=$($_mk docker.io/library/demo:1 --layer 300k:base --layer 40k:demo) || return 1
	MULTI_DIGEST=$($_mk quay.io/team/multi:2 --layer 300k:base --platforms linux/amd64,linux/arm64 --gzip) || return 1
	OTHER_DIGEST=$($_mk registry.example.org:5000/apps/other:v3 --layer 20k:other) || return 1
	MULTI_AMD64=$(jq -r '.manifests[] | select(.platform.architecture=="amd64") | .digest' \
		"$(layout_blob "$_site/oci" "$MULTI_DIGEST")")
	MULTI_ARM64=$(jq -r '.manifests[] | select(.platform.architecture=="arm64") | .digest' \
		"$(layout_blob "$_site/oci" "$MULTI_DIGEST")")
	# A real chart tarball and an index that points somewhere else, as `helm repo index` writes it.
	mkdir -p "$TRASH/chart-src/demo/templates"
	printf 'apiVersion: v2\nname: demo\nversion: 0.1.0\n' >"$TRASH/chart-src/demo/Chart.yaml"
	printf 'kind: ConfigMap\n' >"$TRASH/chart-src/demo/templates/cm.yaml"
	tar -C "$TRASH/chart-src" -czf "$_site/charts/demo-0.1.0.tgz" demo || return 1
	cat >"$_site/charts/index.yaml" <<-YAML
	apiVersion: v1
	entries:
	  demo:
	  - apiVersion: v2
	    created: "2026-11-23T00:00:00Z"
	    digest: $(sha256sum "$_site/charts/demo-0.1.0.tgz" | cut -d' ' -f1)
	    name: demo
	    urls:
	    - https://charts.example.org/stable/demo-0.1.0.tgz
	    version: 0.1.0
	generated: "2026-11-23T00:00:00Z"
	YAML
	_prov=$_site/providers/registry.terraform.io/hashicorp/null
	python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z: z.writestr("terraform-provider-null_v3.2.1", b"#!/bin/sh\n" * 100)' \
		"$_prov/terraform-provider-null_3.2.1_linux_amd64.zip" || return 1
	echo '{"versions":{"3.2.1":{}}}' >"$_prov/index.json"
	printf '{"archives":{"linux_amd64":{"url":"terraform-provider-null_3.2.1_linux_amd64.zip","hashes":["zh:%s"]}}}\n' \
		"$(sha256sum "$_prov/terraform-provider-null_3.2.1_linux_amd64.zip" | cut -d' ' -f1)" >"$_prov/3.2.1.json"
	head -c 100000 /dev/urandom >"$_site/files/tools/random.bin"
	echo "hello from the bundle" >"$_site/files/readme.txt"
}

layout_blob() {
	echo "$1/blobs/sha256/${2#sha256:}"
}

serve_start() {
	_dir=$1; shift
	SERVE_PORT=$(free_port)
	SERVE_HOST=127.0.0.1:$SERVE_PORT
	SERVE_LOG=$TRASH/serve-$SERVE_PORT.log
	_mode=--plain-http
	case " $* " in *" --tls-cert "*) _mode= ;; esac
	# serve refuses an unsigned directory as it does an unsigned bundle: these are made unsigned,
	# unless the test gives a key to check them with.
	if [ -d "$_dir" ]; then
		case " $* " in *" --pubkey "*) ;; *) _mode="$_mode --insecure-skip-signature" ;; esac
	fi
	"$LADING" serve "$_dir" $_mode --listen "$SERVE_HOST" "$@" >"$SERVE_LOG.out" 2>"$SERVE_LOG" &
	SERVE_PID=$!
	at_exit "kill_pid $SERVE_PID"
	if ! wait_for_port "$SERVE_PORT" 127.0.0.1 20; then
		echo "# lading serve did not start:" >&2
		sed 's/^/# /' "$SERVE_LOG" >&2
		return 1
	fi
	# The socket listens before the server threads start and the start line is
	# written (slow under ASan): tests that read that line wait for it here.
	for _ in $(seq 1 200); do
		grep -qs ": serving '" "$SERVE_LOG" && return 0
		grep -qs '"event":"listening"' "$SERVE_LOG.out" && return 0
		sleep 0.1
	done
	echo "# lading serve listens but wrote no start line in 20 s" >&2
}

serve_stop() {
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
	SERVE_STATUS=$?
}

# serve_make_bundle DIR OUT [SECKEY]: packs DIR (a site made by serve_make_site)
# into OUT.tar.zst as the bundle format says: lading.json (every file's size and
# sha256) first, lading.json.minisig second when SECKEY is given, then the files.
serve_make_bundle() {
	_src=$1; _out=$2; _key=${3:-}
	_stage=$TRASH/stage-$(basename "$_out")
	rm -rf "$_stage" && mkdir -p "$_stage" && cp -r "$_src"/. "$_stage"/ || return 1
	python3 - "$_stage" <<-'PY' || return 1
	import hashlib, json, os, sys
	root = sys.argv[1]
	rows = []
	for dirpath, dirs, files in os.walk(root):
	    for name in files:
	        full = os.path.join(dirpath, name)
	        rel = os.path.relpath(full, root)
	        data = open(full, "rb").read()
	        kind = "oci-blob" if rel.startswith("oci/blobs/") else "oci-layout" if rel.startswith("oci/") else rel.split("/")[0]
	        rows.append({"path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
	                     "kind": kind, "ref": None})
	rows.sort(key=lambda r: r["path"])
	manifest = {"format": 1, "name": "serve-test", "created": "2026-11-23T09:00:00Z", "tool": "lib-serve.sh",
	            "spec": None, "images": [], "entries": rows}
	with open(os.path.join(root, "lading.json"), "w") as f:
	    json.dump(manifest, f, indent=1, sort_keys=True)
	PY
	_first=lading.json
	if [ -n "$_key" ]; then
		# The trusted comment binds the bundle's name, creation time and lading.json (sign/signature.h).
		_sum=$(sha256sum "$_stage/lading.json" | cut -d' ' -f1)
		"$LADING" key sign "$_stage/lading.json" --key "$_key" \
			-t "lading-bundle name:serve-test	created:2026-11-23T09:00:00Z	sha256:$_sum" >/dev/null || return 1
		_first="lading.json lading.json.minisig"
	fi
	# shellcheck disable=SC2086
	tar --zstd --owner=0 --group=0 --numeric-owner -cf "$_out" -C "$_stage" $_first \
		$(cd "$_stage" && ls -d oci charts providers files 2>/dev/null)
}
