#!/bin/bash
# The resolver against apt itself, on Debian's real bookworm main index (the
# copy this machine's apt already holds in /var/lib/apt/lists: no network).
# The archive's own InRelease, served by nginx next to the Packages it signs,
# is verified with debian-archive-keyring. For each install set lading picks a
# closure; apt-get --simulate with the same baseline must accept exactly that
# set: nothing broken, nothing more to install, nothing left out. The
# baseline is what apt itself installs for Debian's Priority: required set
# on an empty system (debootstrap's minbase), given to both tools.
#
# Then the baseline is this machine itself: a copy of its /var/lib/dpkg/status
# (never the file itself) is apt's Dir::State::status and lading's
# --baseline. Its packages were installed before the archive's last point
# release, so installing more upgrades some of them: those whose installed
# Depends pin a version a chosen package replaces, those a chosen package
# Breaks, and the other binaries of a chosen package's source. lading must
# choose exactly those upgrades, as apt 2.6 does.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
. "$TOP/scripts/lib-apt.sh"

lists=/var/lib/apt/lists
inrelease=$(ls "$lists"/*_debian_dists_bookworm_InRelease 2>/dev/null | head -1)
index=$(ls "$lists"/*_debian_dists_bookworm_main_binary-amd64_Packages* 2>/dev/null | head -1)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -n "$inrelease" ] && [ -n "$index" ] && [ -r "$keyring" ] ||
	skip_all "no bookworm main amd64 index under $lists (run apt-get update once)"

sets=(
	"containerd"
	"nfs-common"
	"openssh-server curl"
	"build-essential"
	"linux-headers-amd64"
	"docker.io"
	"postgresql"
	"python3-venv git"
)
# Each upgrades a few installed packages of a node set up months ago (on this
# machine: systemd, shadow, cups and libvirt's libraries). qemu-system-x86,
# linux-headers-amd64 and postgresql upgrade nothing here and add no case.
node_sets=(
	"systemd-container"
	"network-manager"
	"libvirt-daemon-system"
	"buildah"
	"cups"
)
plan $((3 + 3 * ${#sets[@]} + 2 + 3 * ${#node_sets[@]}))

repo=$TRASH/repo
mkdir -p "$repo/dists/bookworm/main/binary-amd64"
cp "$inrelease" "$repo/dists/bookworm/InRelease"
/usr/lib/apt/apt-helper cat-file "$index" >"$repo/dists/bookworm/main/binary-amd64/Packages"
packages=$repo/dists/bookworm/main/binary-amd64/Packages
web_start debian "$repo"

# A private apt root (scripts/lib-apt.sh) for the status file $2 holding the
# archive's lists: the host's own apt state is never touched.
debian_root() {
	R=$1
	apt_root "$R" "$2"
	echo 'APT::Get::Show-Versions "true";' >>"$R/apt.conf"
	# apt's lists are its own file names for this URI; no apt-get update (the
	# archive's Packages.xz is not here, only what this machine kept).
	cat >"$R/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: file:/lading-test-debian
Suites: bookworm
Components: main
Architectures: amd64
Signed-By: $keyring
SRC
	cp "$repo/dists/bookworm/InRelease" "$R/var/lib/apt/lists/_lading-test-debian_dists_bookworm_InRelease"
	cp "$packages" "$R/var/lib/apt/lists/_lading-test-debian_dists_bookworm_main_binary-amd64_Packages"
}
debian_root "$TRASH/aptroot" /dev/null

# "Inst NAME [OLD] (VERSION …)" lines of a simulation, as "NAME VERSION",
# sorted; the whole simulation is kept in apt.sim (its "Remv" lines too).
apt_inst() {
	apt-get -s -q --no-install-recommends install "$@" >"$TRASH/apt.sim" 2>"$TRASH/apt.err"
	awk '$1 == "Inst" { v = $3; if (v ~ /^\[/) v = $4; sub(/^\(/, "", v); print $2, v }' "$TRASH/apt.sim" | sort
}

required=$(awk '/^Package:/ { p = $2 } /^Priority: required/ { print p }' "$packages" | sort -u)
apt_inst $required | tr ' ' '=' >"$TRASH/minbase"
ok "apt installs the required set on an empty system ($(wc -l <"$TRASH/minbase") packages)" \
	test "$(wc -l <"$TRASH/minbase")" -gt 30
ok "baseline written for both tools" "$TOP/scripts/apt-baseline.py" "$packages" "$R/var/lib/dpkg/status" \
	"$TRASH/baseline.list" $(cat "$TRASH/minbase")
is "apt sees the baseline as installed and complete" "$(apt_inst $required | wc -l)" 0

# check_set BASELINE SET: lading resolves SET on BASELINE, apt-get --simulate
# installs exactly lading's set (its upgrades included) and nothing else.
check_set() {
	baseline=$1 set=$2
	# shellcheck disable=SC2086
	if ! "$LADING" fetch packages -q -n -s "$TRASH/store" --suite bookworm -k "$keyring" -b "$baseline" \
		"$WEB_URL" $set >"$TRASH/lading.out" 2>"$TRASH/lading.err"; then
		ok "lading resolves '$set'" false
		sed 's/^/# /' "$TRASH/lading.err"
		skip_n 2 "lading failed"
		return
	fi
	ok "lading resolves '$set' ($(wc -l <"$TRASH/lading.out") packages)" true
	awk '{ print $1 "=" $2 }' "$TRASH/lading.out" >"$TRASH/pins"
	# shellcheck disable=SC2046
	apt_inst $(cat "$TRASH/pins") >"$TRASH/apt.out"
	cp "$TRASH/apt.sim" "$TRASH/apt.pinned"
	awk '{ print $1, $2 }' "$TRASH/lading.out" | sort >"$TRASH/lading.sorted"
	# Nothing removed either: lading never removes, so apt must not need to.
	if ! ok "apt-get --simulate accepts lading's set for '$set'" test -s "$TRASH/apt.out" -a ! -s "$TRASH/apt.err" \
		-a "$(grep -c '^Remv' "$TRASH/apt.pinned")" = 0; then
		sed 's/^/# /' "$TRASH/apt.err" | head -20
		grep '^Remv' "$TRASH/apt.pinned" | sed 's/^/# /' | head -10
	fi
	if ! ok "apt installs exactly that set, nothing more" cmp -s "$TRASH/apt.out" "$TRASH/lading.sorted"; then
		diff "$TRASH/lading.sorted" "$TRASH/apt.out" | sed 's/^/# /' | head -20
	fi
	# apt's own choice, for the record (alternatives may differ and both be right)
	# shellcheck disable=SC2086
	apt_inst $set >"$TRASH/apt.own"
	if ! cmp -s "$TRASH/apt.own" "$TRASH/lading.sorted"; then
		echo "# '$set': apt alone would pick differently:"
		diff "$TRASH/lading.sorted" "$TRASH/apt.own" | sed 's/^/#   /' | head -10
	fi
}

for set in "${sets[@]}"; do
	check_set "$TRASH/baseline.list" "$set"
done

# This machine as the node.
debian_root "$TRASH/noderoot" /var/lib/dpkg/status
ok "apt sees this machine's packages as installed and complete" apt-get -s -q check
upgrades=0
for set in "${node_sets[@]}"; do
	check_set "$TRASH/noderoot/var/lib/dpkg/status" "$set"
	n=$(grep -c '^Inst [^ ]* \[' "$TRASH/apt.pinned")
	echo "# '$set': $(wc -l <"$TRASH/lading.sorted") packages, $n of them upgrades of installed ones"
	upgrades=$((upgrades + n))
done
if [ "$upgrades" -gt 0 ]; then
	ok "the node sets upgrade installed packages ($upgrades upgrades)" true
else
	skip "this machine's packages are as new as the index: nothing to upgrade"
fi

done_testing
