#!/bin/bash
# packages: in a bundle, end to end against a real signed apt archive
# (scripts/mkapt.sh: dpkg-deb, apt-ftparchive, gpg) served by nginx: create
# resolves the closure and carries apt/NAME/ at the archive's own paths;
# lading.lock pins every package and --locked fetches the same set; inspect
# lists the packages; push --apt-dir writes the repository; `lading serve`
# serves it and the real apt-get (private root, Signed-By the archive key,
# no trusted=yes) updates from it and downloads the closure; a wrong keyring
# or an unsatisfiable install list leaves no bundle.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
. "$TOP/scripts/lib-apt.sh"
. "$TOP/scripts/lib-serve.sh"
for tool in dpkg-deb apt-ftparchive gpg gpgv apt-get; do
	command -v $tool >/dev/null || skip_all "$tool not installed (scripts/deps)"
done
plan 19

"$TOP/scripts/mkapt.sh" "$TRASH/lab"
web_start lab "$TRASH/lab/archive"
url=$WEB_URL
export LADING_CACHE=$TRASH/cache SOURCE_DATE_EPOCH=1700000000
mkdir "$TRASH/site"
cp "$TRASH/lab/lab.gpg" "$TRASH/site/"
spec() {
	cat >"$TRASH/site/lading.yaml" <<YAML
name: site
packages:
  - apt: $url
    name: lab
    suite: lab
    components: [main]
    keyring: ${1:-lab.gpg}
    install: [${2:-app}]
YAML
}
spec
closure="app 1.0-1 amd64;base-tool 1:0.5-1 amd64;data-common 2024.1 all;libbaz 3.0 amd64;libc-lab 2.36-9 amd64;libfoo 1.3~rc1-1 amd64;tinyhttpd 2.4-1 amd64;"

is "--dry-run resolves the closure, less the Priority: required baseline" \
	"$("$LADING" bundle create --dry-run -f "$TRASH/site/lading.yaml" | awk '$1 == "package" { print $2, $3, $4 }' | tr '\n' ';')" \
	"app 1.0-1 amd64;base-tool 1:0.5-1 amd64;data-common 2024.1 all;libbaz 3.0 amd64;libfoo 1.3~rc1-1 amd64;tinyhttpd 2.4-1 amd64;"
"$LADING" key generate --unencrypted -o "$TRASH/k" >/dev/null
ok "bundle create with packages" "$LADING" bundle create -q -f "$TRASH/site/lading.yaml" -o "$TRASH/site.tar.zst" --sign "$TRASH/k.key"
tar --zstd -tf "$TRASH/site.tar.zst" | sort >"$TRASH/entries"
ok "the upstream InRelease is carried at its own path" grep -qx apt/lab/dists/lab/InRelease "$TRASH/entries"
ok "and the Packages index it signs" grep -q '^apt/lab/dists/lab/main/binary-amd64/Packages' "$TRASH/entries"
is "the .debs of the closure, no other" "$(grep '\.deb$' "$TRASH/entries" | tr '\n' ';')" \
	"apt/lab/pool/main/app_1.0-1_amd64.deb;apt/lab/pool/main/base-tool_0.5-1_amd64.deb;apt/lab/pool/main/data-common_2024.1_all.deb;apt/lab/pool/main/libbaz_3.0_amd64.deb;apt/lab/pool/main/libfoo_1.3~rc1-1_amd64.deb;apt/lab/pool/main/tinyhttpd_2.4-1_amd64.deb;"
is "inspect lists the packages" \
	"$("$LADING" bundle inspect --json "$TRASH/site.tar.zst" | jq -r '.packages[] | "\(.name) \(.version) \(.arch) \(.source)"' | tr '\n' ';')" \
	"app 1.0-1 amd64 lab;base-tool 1:0.5-1 amd64 lab;data-common 2024.1 all lab;libbaz 3.0 amd64 lab;libfoo 1.3~rc1-1 amd64 lab;tinyhttpd 2.4-1 amd64 lab;"
ok "inspect's table names them" sh -c "'$LADING' bundle inspect '$TRASH/site.tar.zst' | grep -q '^tinyhttpd 2.4-1 amd64 .* lab '"
is "lading.lock pins name, version, arch and sha256 of each" \
	"$(jq -r '.packages[0].packages[] | "\(.name) \(.version) \(.arch) \(.sha256 | length)"' "$TRASH/site/lading.lock" | tr '\n' ';')" \
	"app 1.0-1 amd64 64;base-tool 1:0.5-1 amd64 64;data-common 2024.1 all 64;libbaz 3.0 amd64 64;libfoo 1.3~rc1-1 amd64 64;tinyhttpd 2.4-1 amd64 64;"

ok "bundle create --locked with the same lock" "$LADING" bundle create -q --locked -f "$TRASH/site/lading.yaml" -o "$TRASH/locked.tar.zst"
is "--locked carries the same packages" \
	"$("$LADING" bundle inspect --json "$TRASH/locked.tar.zst" | jq -r '.packages[] | .sha256' | tr '\n' ';')" \
	"$("$LADING" bundle inspect --json "$TRASH/site.tar.zst" | jq -r '.packages[] | .sha256' | tr '\n' ';')"

ok "push --apt-dir writes the repository (no registry needed)" \
	"$LADING" bundle push -q --pubkey "$TRASH/k.pub" --apt-dir "$TRASH/www-apt" "$TRASH/site.tar.zst"
ok "push --apt-dir: InRelease and the .debs under DIR/NAME/" \
	test -f "$TRASH/www-apt/lab/dists/lab/InRelease" -a -f "$TRASH/www-apt/lab/pool/main/app_1.0-1_amd64.deb"

serve_start "$TRASH/site.tar.zst" --pubkey "$TRASH/k.pub"
R=$TRASH/aptroot
apt_root "$R" "$TRASH/lab/status"
cat >"$R/etc/apt/sources.list.d/lab.sources" <<SRC
Types: deb
URIs: http://$SERVE_HOST/apt/lab
Suites: lab
Components: main
Architectures: amd64
Signed-By: $TRASH/lab/lab.gpg
Check-Valid-Until: no
SRC
ok "apt-get update from lading serve verifies the upstream InRelease" sh -c 'apt-get -q update >"$1" 2>&1 && ! grep -q "^[WE]:" "$1"' sh "$TRASH/update.log" ||
	sed 's/^/# /' "$TRASH/update.log"
ok "apt-get install --download-only of the install list succeeds" \
	apt-get -q -y --no-install-recommends install --download-only app
is "apt downloaded exactly the carried closure" "$(cd "$R/var/cache/apt/archives" && ls ./*.deb | sed 's|^\./||' | tr '\n' ';')" \
	"app_1.0-1_amd64.deb;base-tool_1%3a0.5-1_amd64.deb;data-common_2024.1_all.deb;libbaz_3.0_amd64.deb;libfoo_1.3~rc1-1_amd64.deb;tinyhttpd_2.4-1_amd64.deb;"
cp "$TRASH/lab/wrong.gpg" "$R/wrong.gpg"
sed -i "s|^Signed-By: .*|Signed-By: $R/wrong.gpg|" "$R/etc/apt/sources.list.d/lab.sources"
ok "apt refuses the served repository with another key" sh -c 'apt-get -q update 2>&1 | grep -q NO_PUBKEY'
unset APT_CONFIG

cp "$TRASH/lab/wrong.gpg" "$TRASH/site/"
spec wrong.gpg
fails_one_line "a keyring that did not sign InRelease is refused" 1 "lab.*(NO_PUBKEY|not signed|signature).*wrong\.gpg|wrong\.gpg.*(NO_PUBKEY|not signed|signature)" \
	"$LADING" bundle create -f "$TRASH/site/lading.yaml" -o "$TRASH/bad.tar.zst"
spec lab.gpg broken
fails_one_line "an unsatisfiable install list names the chain" 2 "broken.*libfoo \(>= 5\)" \
	"$LADING" bundle create -f "$TRASH/site/lading.yaml" -o "$TRASH/bad.tar.zst"
ok "no bundle left behind" test ! -e "$TRASH/bad.tar.zst"
done_testing
