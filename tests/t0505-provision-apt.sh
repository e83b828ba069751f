#!/bin/bash
# End to end: two test hosts with their own overlay over /usr /etc /var /opt
# (HOSTS_OVERLAY=1) install packages from a real signed apt archive, carried in
# a lading bundle (packages:) and served by `lading serve` on the bridge address. `lading provision` applies the built-in apt-repo
# role (deb822 source, archive keyring, other sources set aside, apt-get
# update) and package steps. --check changes nothing, a second run changes
# nothing, state: absent removes, a wrong keyring fails apt-get update naming
# NO_PUBKEY. The archive's InRelease expired weeks ago: Check-Valid-Until: no
# lets apt use it (the signature is still checked). The machine's own dpkg
# database is the same at the end and the packages are not installed on it.
#
# REPO_URL is the one place the archive's address is named.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-hosts.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces and overlay mounts"
for tool in apt-ftparchive dpkg-deb gpg gpgv; do
	command -v "$tool" >/dev/null || skip_all "needs $tool"
done
plan 25
unset SSH_AUTH_SOCK
export HOME=$TRASH/home
mkdir -p "$HOME"
ARCH=$(dpkg --print-architecture)
DPKG_STATUS_BEFORE=$(md5sum </var/lib/dpkg/status)

# A signed archive: suite lab, component main, two packages; keyring lab.gpg.
# scripts/mkapt.sh will build the same; this is the small private version.
export GNUPGHOME=$TRASH/gnupg
mkdir -m 0700 "$GNUPGHOME"
at_exit "gpgconf --kill all"
make_deb() { # NAME VERSION
	_d=$TRASH/pkg/$1
	mkdir -p "$_d/DEBIAN" "$_d/usr/share/$1"
	printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: lading tests <t@example.org>\nDescription: lading test package\n' \
		"$1" "$2" >"$_d/DEBIAN/control"
	echo "$1 $2" >"$_d/usr/share/$1/hello.txt"
	dpkg-deb --root-owner-group -b "$_d" "$ARCHIVE/pool/main/${1}_${2}_all.deb" >/dev/null
}
make_archive() {
	ARCHIVE=$TRASH/www/apt/lab
	mkdir -p "$ARCHIVE/pool/main" "$ARCHIVE/dists/lab/main/binary-$ARCH"
	make_deb lading-hello 1.0 && make_deb lading-extra 1.0 || return 1
	(cd "$ARCHIVE" && apt-ftparchive packages pool >"dists/lab/main/binary-$ARCH/Packages") || return 1
	gzip -9kn "$ARCHIVE/dists/lab/main/binary-$ARCH/Packages"
	# written outside the scanned directory, else it lists a half-written copy of itself
	(cd "$ARCHIVE/dists/lab" && apt-ftparchive -o APT::FTPArchive::Release::Codename=lab \
		-o APT::FTPArchive::Release::Suite=lab -o APT::FTPArchive::Release::Components=main \
		-o "APT::FTPArchive::Release::Architectures=$ARCH" release .) >"$TRASH/Release" || return 1
	# A snapshot fetched 30 days ago whose Valid-Until passed 23 days ago.
	sed -i -e "s/^Date: .*/Date: $(LC_ALL=C date -u -R -d '30 days ago' | sed 's/+0000/UTC/')/" \
		-e "s/^Valid-Until: .*/Valid-Until: $(LC_ALL=C date -u -R -d '23 days ago' | sed 's/+0000/UTC/')/" \
		"$TRASH/Release"
	grep -q '^Valid-Until: ' "$TRASH/Release" ||
		echo "Valid-Until: $(LC_ALL=C date -u -R -d '23 days ago' | sed 's/+0000/UTC/')" >>"$TRASH/Release"
	mv "$TRASH/Release" "$ARCHIVE/dists/lab/Release"
	gpg -q --batch --passphrase '' --quick-gen-key 'lab <lab@example.org>' ed25519 sign never 2>/dev/null &&
		gpg -q --batch --export 'lab@example.org' >"$TRASH/lab.gpg" &&
		gpg -q --batch --clearsign -u 'lab@example.org' -o "$ARCHIVE/dists/lab/InRelease" "$ARCHIVE/dists/lab/Release" &&
		gpg -q --batch --passphrase '' --quick-gen-key 'other <other@example.org>' ed25519 sign never 2>/dev/null &&
		gpg -q --batch --export 'other@example.org' >"$TRASH/other.gpg"
}
make_archive || { echo "# cannot build the test archive"; exit 1; }

HOSTS_OVERLAY=1
hosts_start 2 || exit 1
KH=$TRASH/known_hosts
hosts_known_hosts "$KH"
hosts_inventory "$TRASH/inv.yml"
# The archive goes into a signed bundle (InRelease verified with lab.gpg, the closure by
# its signed hashes), and the bundle is what the hosts' apt reads, through lading serve.
mkdir -p "$TRASH/bundle"
cat >"$TRASH/bundle/lading.yaml" <<YAML
name: apt-lab
packages:
  - apt: file://$ARCHIVE
    name: lab
    suite: lab
    components: [main]
    architectures: [$ARCH]
    keyring: $TRASH/lab.gpg
    install: [lading-hello, lading-extra]
YAML
"$LADING" key generate --unencrypted -o "$TRASH/k" >/dev/null
LADING_CACHE=$TRASH/cache "$LADING" bundle create -q -f "$TRASH/bundle/lading.yaml" -o "$TRASH/apt-lab.tar.zst" \
	--sign "$TRASH/k.key" 2>"$TRASH/create.err" || { sed 's/^/# /' "$TRASH/create.err"; exit 1; }
SERVE_PORT=$(free_port)
"$LADING" serve --plain-http --pubkey "$TRASH/k.pub" --listen "$HOSTS_BRIDGE_IP:$SERVE_PORT" \
	"$TRASH/apt-lab.tar.zst" >"$TRASH/serve.out" 2>"$TRASH/serve.log" &
at_exit "kill_pid $!"
wait_for_port "$SERVE_PORT" "$HOSTS_BRIDGE_IP" 20 || { sed 's/^/# /' "$TRASH/serve.log"; exit 1; }
REPO_URL=http://$HOSTS_BRIDGE_IP:$SERVE_PORT/apt/lab

# A stock Debian node checks Valid-Until and Date; this machine's apt.conf.d turns both off.
for i in 1 2; do host_exec $i 'rm -f /etc/apt/apt.conf.d/99artifact-registry'; done

write_site() { # STATE KEYRING
	cat >"$TRASH/site.yaml" <<YAML
vars:
  apt_repo_name: lab
  apt_repo_url: "$REPO_URL"
  apt_repo_suites: lab
  apt_repo_keyring: $2
apply:
  - hosts: all
    roles: [apt-repo, tools]
roles:
  tools:
    - package: {name: [lading-hello, lading-extra], state: $1}
    - name: hello at its version
      when: pin
      package: {name: lading-hello, version: "1.0"}
YAML
}
apply() { "$LADING" provision -i "$TRASH/inv.yml" -s "$TRASH/site.yaml" --known-hosts "$KH" --log-dir "$TRASH/runs" "$@"; }
recap() { jq -c "select(.recap) | .recap$1"; }
on_host() { host_exec "$1" "dpkg-query -W -f='\${Status} \${Version}' $2 2>/dev/null"; }
installed_on() { [ "$(on_host "$1" "$2")" = "install ok installed 1.0" ]; }
not_installed_on() { ! installed_on "$1" "$2"; }

write_site present lab.gpg
apply --check --json >"$TRASH/check.json" 2>"$TRASH/check.err"; rc=$?
is "--check: exit 0" "$rc" 0
is "--check: h1 would change the source, update and install (keyring, sources aside too)" \
	"$(recap '.h1' <"$TRASH/check.json")" '{"ok":0,"changed":5,"skipped":3,"failed":0,"unreachable":0}'
ok "--check wrote no source on h1" test ! -e "$(host_root 1)/etc/apt/sources.list.d/lading-lab.sources"
ok "--check left h1's debian.sources in place" test -e "$(host_root 1)/etc/apt/sources.list.d/debian.sources"
ok "--check installed nothing on h1" not_installed_on 1 lading-hello

apply --json >"$TRASH/run1.json" 2>"$TRASH/run1.err"; rc=$?
is "first run: exit 0" "$rc" 0
is "first run: keyring, sources aside, source, update, install changed on both hosts" \
	"$(recap '' <"$TRASH/run1.json")" \
	'{"h1":{"ok":0,"changed":5,"skipped":3,"failed":0,"unreachable":0},"h2":{"ok":0,"changed":5,"skipped":3,"failed":0,"unreachable":0}}'
ok "lading-hello is installed on h1" installed_on 1 lading-hello
ok "... and lading-extra on h2" installed_on 2 lading-extra
is "the package's file is in h2's layer" "$(cat "$(host_root 2)/usr/share/lading-hello/hello.txt")" "lading-hello 1.0"
is "the source is deb822 with Signed-By and Check-Valid-Until, never Trusted" \
	"$(grep -v '^#' "$(host_root 1)/etc/apt/sources.list.d/lading-lab.sources" | tr '\n' '|')" \
	"Types: deb|URIs: $REPO_URL|Suites: lab|Components: main|Signed-By: /etc/apt/keyrings/lading-lab.gpg|Check-Valid-Until: no|"
ok "the keyring was copied to h1" cmp "$TRASH/lab.gpg" "$(host_root 1)/etc/apt/keyrings/lading-lab.gpg"
ok "h1's debian.sources was set aside, reversibly" \
	test -e "$(host_root 1)/etc/apt/sources.list.d/debian.sources.by-lading.disabled" -a \
	! -e "$(host_root 1)/etc/apt/sources.list.d/debian.sources"
ok "the archive's InRelease is expired (apt used it through Check-Valid-Until: no)" \
	grep -q "^Valid-Until: .*$(LC_ALL=C date -u -d '23 days ago' +'%d %b %Y')" "$ARCHIVE/dists/lab/InRelease"
ok "h1 fetched the InRelease from lading serve" grep -q "$(host_ip 1).*GET /apt/lab/dists/lab/InRelease" \
	"$TRASH/serve.log"

sed -i 's/^vars:/vars:\n  pin: true/' "$TRASH/site.yaml"
apply --json >"$TRASH/run2.json" 2>"$TRASH/run2.err"; rc=$?
is "second run: exit 0" "$rc" 0
is "second run: nothing changed, apt-get update not run again, the pinned version ok" \
	"$(recap '' <"$TRASH/run2.json")" \
	'{"h1":{"ok":6,"changed":0,"skipped":2,"failed":0,"unreachable":0},"h2":{"ok":6,"changed":0,"skipped":2,"failed":0,"unreachable":0}}'

write_site absent lab.gpg
apply --check --json --limit h1 >"$TRASH/check2.json" 2>&1
ok "--check with state absent: would remove both" \
	grep -q '"msg":"would remove lading-hello, lading-extra"' "$TRASH/check2.json"
ok "... lading-hello still installed on h1" installed_on 1 lading-hello
apply --json >"$TRASH/run3.json" 2>"$TRASH/run3.err"; rc=$?
ok "state absent: exit 0 and both packages removed from h1 and h2" \
	test "$rc" = 0 -a "$(grep -c '"msg":"removed lading-hello, lading-extra"' "$TRASH/run3.json")" = 2
ok "... the file is gone from h2's layer" test ! -e "$(host_root 2)/usr/share/lading-hello/hello.txt"

# A keyring that did not sign the archive: apt-get update fails, naming the missing key.
write_site present other.gpg
apply >"$TRASH/run4.out" 2>&1; rc=$?
is "wrong keyring: exit 1" "$rc" 1
ok "the failure names the host, the step and NO_PUBKEY" \
	grep -q "failed .*h1 | apt-repo | apt-get update | exit 1: apt-get update: http:.* InRelease: .*NO_PUBKEY" "$TRASH/run4.out"

is "the machine's dpkg database is unchanged" "$(md5sum </var/lib/dpkg/status)" "$DPKG_STATUS_BEFORE"
ok "the packages are not installed on the machine itself" \
	sh -c '! dpkg-query -W lading-hello >/dev/null 2>&1 && test ! -e /usr/share/lading-hello'
done_testing
