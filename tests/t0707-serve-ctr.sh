#!/bin/bash
# containerd pulls from `lading serve`: a private containerd (own root, state
# and socket under $TRASH) pulls and unpacks a single image and one platform of
# a multi-platform image with `ctr`; the digests are the layout's.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-serve.sh"

[ "$(id -u)" = 0 ] || skip_all "containerd needs root"
plan 7
serve_make_site "$TRASH/site" || exit 1
serve_start "$TRASH/site" || exit 1

cd_root=$TRASH/containerd
mkdir -p "$cd_root"
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
ok "private containerd is up" $CTR version

ok "ctr pulls and unpacks library/demo:1" \
	$CTR images pull --plain-http --snapshotter native "$SERVE_HOST/library/demo:1"
is "containerd's image digest equals the layout" \
	"$($CTR images ls -q | grep -c .) $($CTR images ls | awk -v r="$SERVE_HOST/library/demo:1" '$1 == r {print $3}')" \
	"1 $DEMO_DIGEST"
ok "the unpacked snapshot exists" sh -c "$CTR snapshots --snapshotter native ls | grep -q ."
ok "ctr pulls linux/arm64 of the multi-platform image" \
	$CTR images pull --plain-http --snapshotter native --platform linux/arm64 "$SERVE_HOST/team/multi:2"
is "the multi-platform image is recorded by its index digest" \
	"$($CTR images ls 2>/dev/null | awk -v r="$SERVE_HOST/team/multi:2" '$1 == r {print $3}')" "$MULTI_DIGEST"
ok "the arm64 manifest is in containerd's content store" sh -c "$CTR content ls | grep -q '$MULTI_ARM64'"
done_testing
