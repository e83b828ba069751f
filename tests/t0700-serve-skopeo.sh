#!/bin/bash
# skopeo pulls every image and every platform of a multi-platform image from
# `lading serve`, and what it gets has exactly the digests of the layout.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"
plan 17

serve_make_site "$TRASH/site" || exit 1
serve_start "$TRASH/site" || exit 1
SK="skopeo --override-os linux"
insp() { $SK inspect --tls-verify=false "$@"; }

is "single image: inspect digest equals the layout" \
	"$(insp --format '{{.Digest}}' "docker://$SERVE_HOST/library/demo:1")" "$DEMO_DIGEST"
is "raw manifest bytes hash to the layout digest" \
	"sha256:$(insp --raw "docker://$SERVE_HOST/library/demo:1" | sha256sum | cut -d' ' -f1)" "$DEMO_DIGEST"
is "image from a host with a port: served without the host" \
	"$(insp --format '{{.Digest}}' "docker://$SERVE_HOST/apps/other:v3")" "$OTHER_DIGEST"
is "multi-platform: the index itself" \
	"sha256:$(insp --raw "docker://$SERVE_HOST/team/multi:2" | sha256sum | cut -d' ' -f1)" "$MULTI_DIGEST"
for arch in amd64 arm64; do
	is "multi-platform: inspect as linux/$arch reads the $arch config" \
		"$($SK --override-arch $arch inspect --tls-verify=false --format '{{.Digest}} {{.Architecture}}' \
			"docker://$SERVE_HOST/team/multi:2")" "$MULTI_DIGEST $arch"
done
is "pull by digest" \
	"$(insp --format '{{.Digest}}' "docker://$SERVE_HOST/team/multi@$MULTI_ARM64")" "$MULTI_ARM64"

# Copies into fresh OCI layouts, then compares every blob with the source layout.
blobs_equal() {
	for b in "$1"/blobs/sha256/*; do
		cmp -s "$b" "$TRASH/site/oci/blobs/sha256/$(basename "$b")" || { echo "differs: $b"; return 1; }
	done
}
ok "copy --all of the multi-platform image" \
	skopeo copy --quiet --all --preserve-digests --src-tls-verify=false "docker://$SERVE_HOST/team/multi:2" \
	"oci:$TRASH/copy-multi:multi"
is "copied index digest equals the layout" "$(jq -r '.manifests[0].digest' "$TRASH/copy-multi/index.json")" \
	"$MULTI_DIGEST"
ok "every copied blob equals the layout's (both platforms)" blobs_equal "$TRASH/copy-multi"
is "copy holds index + 2 manifests + 2 configs + 3 layers" "$(ls "$TRASH/copy-multi/blobs/sha256" | wc -l)" 8
for img in library/demo:1 apps/other:v3; do
	dest=$TRASH/copy-$(echo "$img" | tr '/:' '__')
	skopeo copy --quiet --preserve-digests --src-tls-verify=false "docker://$SERVE_HOST/$img" "oci:$dest:x" \
		>"$TRASH/copy.log" 2>&1
	ok "copy of $img: every blob equal" blobs_equal "$dest"
done
for arch in amd64 arm64; do
	want=$MULTI_AMD64; [ $arch = arm64 ] && want=$MULTI_ARM64
	$SK --override-arch $arch copy --quiet --preserve-digests --src-tls-verify=false \
		"docker://$SERVE_HOST/team/multi:2" "oci:$TRASH/copy-$arch:x" >"$TRASH/copy.log" 2>&1
	is "per-platform copy ($arch) gets the $arch manifest" "$(jq -r '.manifests[0].digest' "$TRASH/copy-$arch/index.json")" \
		"$want"
	ok "per-platform copy ($arch): every blob equal" blobs_equal "$TRASH/copy-$arch"
done
done_testing
