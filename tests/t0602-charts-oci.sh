#!/bin/bash
# Charts from an OCI registry (a real docker-registry; the artifacts are
# copied in by skopeo from a layout shaped like `helm push` makes): a version
# range resolved from the tag list with "_" read as "+", the manifest, config
# and chart layer stored by digest; not a chart, no match, unknown repository.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-registry.sh"
plan 9

for v in 1.0.0 1.1.0 1.1.1+build.7 2.0.0-rc.1; do
	"$TOP/scripts/mkchart.sh" "$TRASH/charts" ray $v rayproject/ray:2.9.0 >/dev/null
	python3 "$TOP/scripts/mkchart-oci.py" "$TRASH/layout" "$TRASH/charts/ray-$v.tgz" "${v/+/_}" >/dev/null
done
python3 "$TOP/scripts/mkchart-oci.py" "$TRASH/layout" "$TRASH/charts/ray-1.0.0.tgz" notachart \
	--config-media-type application/vnd.oci.image.config.v1+json >/dev/null
registry_start oci
host=127.0.0.1:$REGISTRY_PORT
for tag in 1.0.0 1.1.0 1.1.1_build.7 2.0.0-rc.1 notachart; do
	skopeo copy -q --dest-tls-verify=false "oci:$TRASH/layout:$tag" "docker://$host/charts/ray:$tag" >/dev/null 2>&1 ||
		{ echo "Bail out! skopeo copy $tag into the test registry failed"; exit 1; }
done
printf 'registries:\n  - host: "%s"\n    plain_http: true\n' "$host" >"$TRASH/registries.yaml"
fetch() { "$LADING" fetch chart -r "$TRASH/registries.yaml" -s "$TRASH/store" "$@"; }

json=$(fetch --json --images "oci://$host/charts/ray" '~1.1')
is "~1.1 resolves to the newest tag, _ read as +" "$(echo "$json" | jq -r .version)" "1.1.1+build.7"
is "the chart layer is the archive" "$(echo "$json" | jq -r .digest)" "sha256:$(sha256sum "$TRASH/charts/ray-1.1.1+build.7.tgz" | cut -d' ' -f1)"
upstream=$(skopeo inspect --raw --tls-verify=false "docker://$host/charts/ray:1.1.1_build.7" | sha256sum | cut -d' ' -f1)
is "the registry's manifest is kept as is" "$(echo "$json" | jq -r .manifest_digest)" "sha256:$upstream"
stored=0
for d in $(echo "$json" | jq -r '.manifest_digest, .config_digest, .digest'); do
	test -f "$TRASH/store/blobs/sha256/${d#sha256:}" && stored=$((stored + 1))
done
is "manifest, config and layer are in the store" "$stored" 3
is "images from values.yaml" "$(echo "$json" | jq -r '.images | join(",")')" "rayproject/ray:2.9.0"
is "an exact version" "$(fetch "oci://$host/charts/ray" 1.0.0 | cut -d' ' -f3)" "1.0.0"
fails_with "no match lists the tags as versions" 1 "no version matches '>=3'.*1\.1\.1\+build\.7" fetch "oci://$host/charts/ray" '>=3'
fails_with "an image is not a chart" 1 "not a Helm chart \(config media type 'application/vnd\.oci\.image\.config\.v1\+json'\)" \
	fetch "oci://$host/charts/ray" notachart
fails_with "an unknown repository" 1 "charts/nope" fetch "oci://$host/charts/nope" 1.0.0
done_testing
