#!/bin/bash
# apt packages from a real signed archive (scripts/mkapt.sh: dpkg-deb,
# apt-ftparchive, gpg) served by nginx: the closure of an install list, the
# .debs in the store by their signed sha256, every refusal (tampered index,
# wrong keyring, no InRelease, a .deb that is not what Packages signs, an
# unsatisfiable dependency) one line; then Debian's own apt-get, in a private
# root, updates and downloads the install set from a tree holding only what
# lading fetched (InRelease, one index, the .debs) without asking for anything
# missing. Last, the same packages as a flat repository (suite "/").
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
. "$TOP/scripts/lib-apt.sh"
for tool in apt-ftparchive dpkg-deb gpg gpgv xz apt-get; do
	command -v $tool >/dev/null || skip_all "$tool is not installed (scripts/deps)"
done
plan 26

lab=$TRASH/lab
"$TOP/scripts/mkapt.sh" "$lab"
arc=$lab/archive
idx=dists/lab/main/binary-amd64
# Broken copies of the archive, each wrong in one way after signing.
cp -a "$arc" "$lab/tampered"
flip_byte "$lab/tampered/$idx/Packages.xz" 100
cp -a "$arc" "$lab/unsigned"
rm "$lab/unsigned/dists/lab/InRelease"
cp -a "$arc" "$lab/liar"
evil=pool/main/evil_1.0_amd64.deb
flip_byte "$lab/liar/$evil" 200
web_start lab "$lab"
store=$TRASH/store

fetch() {
	"$LADING" fetch packages "$WEB_URL/$1" --suite lab --component main --arch amd64 "${@:2}"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
# The Packages field of a package (stanza by name and version).
field() {
	awk -v p="$1" -v v="$2" -v f="$3:" '$1 == "Package:" { n = $2 } $1 == "Version:" { ver = $2 }
		$1 == f && n == p && ver == v { print $2 }' "$arc/$idx/Packages"
}

# What apt-get itself chooses (checked with apt-get install -s): it marks
# depth-first, so tinyhttpd's "nosuch-compat | libbaz" has chosen libbaz before
# app's "libbar | libbaz" is looked at, which libbaz then satisfies.
closure="app 1.0-1 amd64
base-tool 1:0.5-1 amd64
data-common 2024.1 all
libbaz 3.0 amd64
libfoo 1.3~rc1-1 amd64
tinyhttpd 2.4-1 amd64"
closure_got=$(fetch archive --keyring "$lab/lab.gpg" --install app --store "$store" 2>"$TRASH/happy.err")
is "the closure of app is apt's: alternatives, a virtual package, Pre-Depends, epoch, ~ and all, minus the required baseline" \
	"$closure_got" "$closure"
is "--json --dry-run: the same packages, the signed files, the InRelease's Valid-Until" \
	"$(fetch archive -k "$lab/lab.gpg" -n --json -s "$TRASH/store-json" app |
		jq -r '[(.packages | length), (.files | map(.path) | join(",")), (.valid_until != null), .downloaded] | join(" ")')" \
	"6 dists/lab/InRelease,dists/lab/main/binary-amd64/Packages.xz true false"
missing=""
while read -r name version arch; do
	file=$(field "$name" "$version" Filename)
	want=$(field "$name" "$version" SHA256)
	[ "$want" = "$(sha "$arc/$file")" ] && cmp -s "$store/blobs/sha256/$want" "$arc/$file" || missing="$missing $name"
done <<<"$closure_got"
is "every .deb of the closure is in the store under the sha256 Packages signs" "$missing" ""
ok "the index stored is Packages.xz, the one apt asks for first" test -f "$store/blobs/sha256/$(sha "$arc/$idx/Packages.xz")"
ok "neither Packages.gz nor Packages is fetched" sh -c "! test -e '$store/blobs/sha256/$(sha "$arc/$idx/Packages.gz")' && \
	! test -e '$store/blobs/sha256/$(sha "$arc/$idx/Packages")'"
ok "InRelease itself is stored" test -f "$store/blobs/sha256/$(sha "$arc/dists/lab/InRelease")"
ok "libfoo 1.2-1, an older version, is not fetched" test ! -e "$store/blobs/sha256/$(field libfoo 1.2-1 SHA256)"
is "an armored keyring (.asc) works as well" \
	"$(fetch archive --keyring "$lab/lab.asc" --install app --store "$store" 2>/dev/null)" "$closure_got"
printf 'libc-lab\t2.36-9\nlibbaz\t3.0\n' >"$TRASH/baseline"
is "--baseline: what the node has is not brought, an installed alternative is preferred" \
	"$(fetch archive --keyring "$lab/lab.gpg" --install app --baseline "$TRASH/baseline" --store "$store" 2>/dev/null |
		cut -d' ' -f1 | tr '\n' ' ')" "app base-tool data-common libfoo tinyhttpd "
dry=$TRASH/dry-store
is "--dry-run resolves the same closure" \
	"$(fetch archive --keyring "$lab/lab.gpg" --install app --dry-run --store "$dry" 2>/dev/null)" "$closure_got"
is "--dry-run fetches no .deb" "$(find "$dry" -type f -name "$(field app 1.0-1 SHA256)" | wc -l)" 0

# Refusals: one line each, naming what is wrong; nothing stored for the bad bytes.
bad=$TRASH/bad-store
fails_one_line "a Packages.xz changed after signing is refused, naming the file" 1 \
	"dists/lab/main/binary-amd64/Packages\.xz.*sha256 mismatch" \
	fetch tampered --keyring "$lab/lab.gpg" --install app --store "$bad"
ok "the tampered index is not stored" test ! -e "$bad/blobs/sha256/$(sha "$lab/tampered/$idx/Packages.xz")"
fails_one_line "another key's keyring is refused, naming the keyring and the key" 1 \
	"InRelease: not signed by a key in '[^']*wrong\.gpg' \(NO_PUBKEY [0-9A-F]+\)" \
	fetch archive --keyring "$lab/wrong.gpg" --install app --store "$bad"
fails_one_line "an archive without InRelease is refused" 1 \
	"unsigned/dists/lab/InRelease: not found; lading needs a signed InRelease" \
	fetch unsigned --keyring "$lab/lab.gpg" --install app --store "$bad"
fails_one_line "a .deb whose bytes differ from the signed hash is refused, naming the package" 1 \
	"package evil 1\.0.*sha256 mismatch" \
	fetch liar --keyring "$lab/lab.gpg" --install evil --store "$bad"
ok "the lying .deb is not stored" test ! -e "$bad/blobs/sha256/$(sha "$lab/liar/$evil")"
fails_one_line "an unsatisfiable dependency names the chain" 2 "broken -> libfoo \(>= 5\)" \
	fetch archive --keyring "$lab/lab.gpg" --install broken --store "$bad"
fails_one_line "an unknown package is named" 2 "nosuchpkg" \
	fetch archive --keyring "$lab/lab.gpg" --install nosuchpkg --store "$bad"

# Interop: the tree a bundle carries, made from the store only, read by apt-get.
# (test-lib's ok() sets $out and $name: this file keeps its results elsewhere.)
tree=$lab/bundle
copy() { mkdir -p "$(dirname "$tree/$1")" && cp "$store/blobs/sha256/$2" "$tree/$1"; }
copy dists/lab/InRelease "$(sha "$arc/dists/lab/InRelease")"
copy "$idx/Packages.xz" "$(sha "$arc/$idx/Packages.xz")"
while read -r name version arch; do
	copy "$(field "$name" "$version" Filename)" "$(field "$name" "$version" SHA256)"
done <<<"$closure_got"
root=$TRASH/aptroot
apt_root "$root" "$lab/status"
unset APT_CONFIG
cat >"$root/etc/apt/sources.list.d/lab.sources" <<SRC
Types: deb
URIs: $WEB_URL/bundle
Suites: lab
Components: main
Signed-By: $lab/lab.gpg
SRC
log=$TRASH/web-lab-access.log
: >"$log"
export APT_CONFIG=$root/apt.conf
ok "apt-get update accepts the carried InRelease and index (Signed-By, no trusted=yes)" \
	sh -c "apt-get update -o APT::Update::Error-Mode=any 2>&1 | tee '$TRASH/apt-update.log' && ! grep -Eq '^(W|E):' '$TRASH/apt-update.log'"
ok "apt-get install --download-only fetches the install set" \
	apt-get install -y --download-only --no-install-recommends app
fetched_names=$(while read -r name version arch; do echo "${name}_${version/:/%3a}_$arch.deb"; done <<<"$closure_got")
is "apt downloaded no package that lading did not fetch" \
	"$(ls "$root/var/cache/apt/archives" | grep '\.deb$' | grep -vxF "$fetched_names" | tr '\n' ' ')" ""
# Acquire-By-Hash: yes makes apt try by-hash/ first and fall back on 404, so
# those are the only misses allowed; no index or .deb apt needed is missing.
is "nginx answered 404 to nothing apt needed (by-hash tries aside)" \
	"$(awk '$9 == 404 { print $7 }' "$log" | grep -v '/by-hash/' | tr '\n' ' ')" ""
unset APT_CONFIG

# A flat repository (suite "/"): InRelease and Packages at the top, laid out with --out.
is "a flat repository resolves the same closure" \
	"$("$LADING" fetch packages -q -s "$TRASH/store-flat" -o "$TRASH/flat-out" -k "$lab/lab.gpg" "$WEB_URL/flat" app | tr '\n' ';')" \
	"$(tr '\n' ';' <<<"$closure_got")"
flat_root=$TRASH/flatroot
apt_root "$flat_root" "$lab/status"
printf 'Types: deb\nURIs: file:%s\nSuites: /\nSigned-By: %s\n' "$TRASH/flat-out" "$lab/lab.gpg" \
	>"$flat_root/etc/apt/sources.list.d/flat.sources"
ok "apt-get update reads the flat layout lading wrote (InRelease checked)" \
	sh -c "apt-get update 2>&1 | tee '$TRASH/flat-update.log' && ! grep -Eq '^(W|E):' '$TRASH/flat-update.log'"
ok "apt-get install --download-only takes the install set from it" \
	apt-get install -y --download-only --no-install-recommends app
unset APT_CONFIG
done_testing
