#!/bin/bash
# Benchmark (uses the network: Debian's archive; not in `make check`):
# resolve and download the closure of BENCH_PACKAGES (default the GPU node's
# nvidia-tesla-535-driver nvidia-kernel-dkms containerd) from Debian 12 with
# `lading fetch packages`, and with `apt-get update && apt-get install
# --download-only` in a private apt root with an empty cache, both from the same
# baseline (what apt installs for the Priority: required set on an empty
# system, i.e. debootstrap's minbase). Prints both wall times, the ratio, and
# any difference between the two package sets.
#   BENCH_MIRROR (default http://deb.debian.org/debian), BENCH_SUITE (bookworm)
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LADING=${LADING:-$TOP/lading}
MIRROR=${BENCH_MIRROR:-http://deb.debian.org/debian}
SUITE=${BENCH_SUITE:-bookworm}
PKGS=${BENCH_PACKAGES:-nvidia-tesla-535-driver nvidia-kernel-dkms containerd}
COMPONENTS="main contrib non-free non-free-firmware"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
. "$TOP/tests/test-lib.sh"
set +u
. "$TOP/scripts/lib-bench.sh"
. "$TOP/scripts/lib-apt.sh"

if ! curl -fsI --max-time 20 "$MIRROR/dists/$SUITE/InRelease" >/dev/null; then
	echo "skipped: $MIRROR is not reachable (this benchmark needs the network)"
	exit 0
fi

R=$TRASH/aptroot
# A fresh private root each time (scripts/lib-apt.sh); apt fetches Translation-en as lading carries it.
aptroot() {
	rm -rf "$R"
	apt_root "$R"
	printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\nArchitectures: amd64\nSigned-By: %s\n' \
		"$MIRROR" "$SUITE" "$COMPONENTS" "$KEYRING" >"$R/etc/apt/sources.list.d/debian.sources"
}

# The baseline, computed once with apt from the archive's own indexes.
aptroot
apt-get -qq update
for f in "$R"/var/lib/apt/lists/*_binary-amd64_Packages*; do /usr/lib/apt/apt-helper cat-file "$f"; echo; done >"$TRASH/Packages"
required=$(awk '/^Package:/ { p = $2 } /^Priority: required/ { print p }' "$TRASH/Packages" | sort -u)
# shellcheck disable=SC2086
apt-get -s -q --no-install-recommends install $required | awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); print $2 "=" v }' >"$TRASH/minbase"
# shellcheck disable=SC2046
python3 "$TOP/scripts/apt-baseline.py" "$TRASH/Packages" "$TRASH/status" "$TRASH/baseline.list" $(cat "$TRASH/minbase")
echo "baseline: $(wc -l <"$TRASH/minbase") packages (minbase of $SUITE); install: $PKGS"

# apt: a fresh root (no lists, empty cache), the baseline as its dpkg status.
aptroot
cp "$TRASH/status" "$R/var/lib/dpkg/status"
t0=$(now)
apt-get -qq update
# shellcheck disable=SC2086
apt-get -qq -y --no-install-recommends install --download-only $PKGS >/dev/null
t1=$(now)
apt_s=$(secs "$t0" "$t1")
(cd "$R/var/cache/apt/archives" && ls ./*.deb) | sed 's|^\./||; s/%3a/:/' |
	awk -F_ '{ print $1, $2 }' | sort >"$TRASH/apt.set"

# lading: a fresh store.
comp_args=""
for c in $COMPONENTS; do comp_args="$comp_args -c $c"; done
unset APT_CONFIG
t0=$(now)
# shellcheck disable=SC2086
"$LADING" fetch packages -q -s "$TRASH/store" --suite "$SUITE" $comp_args -k "$KEYRING" \
	-b "$TRASH/baseline.list" "$MIRROR" $PKGS >"$TRASH/lading.out"
t1=$(now)
lading_s=$(secs "$t0" "$t1")
awk '{ print $1, $2 }' "$TRASH/lading.out" | sort >"$TRASH/lading.set"

echo "packages: lading $(wc -l <"$TRASH/lading.set"), apt $(wc -l <"$TRASH/apt.set"); bytes: lading $(du -sh "$TRASH/store" | cut -f1), apt $(du -sh "$R/var/cache/apt/archives" | cut -f1)"
if cmp -s "$TRASH/lading.set" "$TRASH/apt.set"; then
	echo "same set of packages"
else
	echo "sets differ (< lading only, > apt only):"
	diff "$TRASH/lading.set" "$TRASH/apt.set" | grep '^[<>]' || true
fi
echo "lading fetch packages: ${lading_s}s  apt-get update + install --download-only: ${apt_s}s  ratio lading/apt: $(ratio "$lading_s" "$apt_s")"
