#!/bin/bash
# Builds a small signed apt archive with Debian's own tools (SPECS-2 §1.5) in DIR:
#
#   DIR/archive/dists/lab/{Release,InRelease}      signed by a throwaway ed25519 key
#   DIR/archive/dists/lab/main/binary-amd64/Packages{,.gz,.xz}
#   DIR/archive/pool/main/*.deb
#   DIR/flat/{InRelease,Packages{,.xz},pool/}        the same packages as a flat repository
#   DIR/lab.gpg, DIR/lab.asc                        the signing key (binary, armored)
#   DIR/wrong.gpg                                   another key's keyring
#   DIR/status                                      a dpkg status with the required package installed
#
# The packages form a real dependency graph (install "app"):
#   app 1.0-1           Pre-Depends: base-tool (>= 1:0.1)
#                       Depends: libfoo (>= 1.2), web-server, libbar | libbaz
#   libfoo 1.2-1, 1.3~rc1-1 (two versions; apt takes 1.3~rc1-1)   Depends: data-common
#   data-common 2024.1  Architecture: all
#   base-tool 1:0.5-1   (an epoch)
#   tinyhttpd 2.4-1     Provides: web-server   Depends: libc-lab, nosuch-compat | libbaz
#   libbar 0.9, libbaz 3.0
#   libc-lab 2.36-9     Priority: required (the baseline a node has)
#   broken 1.0          Depends: libfoo (>= 5)  (unsatisfiable)
#   evil 1.0            (its .deb can be swapped by the test after signing)
# Release says Acquire-By-Hash: yes but, as apt-ftparchive makes it, no by-hash
# files exist: apt must fall back to the plain names. Prints nothing on success.
set -eu
dir=${1:?usage: mkapt.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
arc=$dir/archive
work=$dir/.mkapt
rm -rf "$arc" "$work"
mkdir -p "$arc/pool/main" "$arc/dists/lab/main/binary-amd64" "$work"

# mkdeb NAME VERSION ARCH [FIELD: VALUE]...
mkdeb() {
	name=$1 version=$2 arch=$3
	shift 3
	root=$work/$name-$version
	mkdir -p "$root/DEBIAN" "$root/usr/share/doc/$name"
	{
		echo "Package: $name"
		echo "Version: $version"
		echo "Architecture: $arch"
		echo "Maintainer: lab <lab@example.org>"
		echo "Installed-Size: 1"
		for field in "$@"; do echo "$field"; done
		echo "Description: $name for lading's apt tests"
	} >"$root/DEBIAN/control"
	echo "$name $version" >"$root/usr/share/doc/$name/README"
	dpkg-deb --root-owner-group -Zgzip -b "$root" "$arc/pool/main/${name}_${version#*:}_$arch.deb" >/dev/null
}

mkdeb app 1.0-1 amd64 "Pre-Depends: base-tool (>= 1:0.1)" \
	"Depends: libfoo (>= 1.2), web-server, libbar | libbaz" "Priority: optional"
mkdeb libfoo 1.2-1 amd64 "Depends: data-common" "Priority: optional"
mkdeb libfoo 1.3~rc1-1 amd64 "Depends: data-common" "Priority: optional"
mkdeb data-common 2024.1 all "Priority: optional"
mkdeb base-tool 1:0.5-1 amd64 "Priority: optional"
mkdeb tinyhttpd 2.4-1 amd64 "Provides: web-server" "Depends: libc-lab, nosuch-compat | libbaz" "Priority: optional"
mkdeb libbar 0.9 amd64 "Priority: optional"
mkdeb libbaz 3.0 amd64 "Priority: optional"
mkdeb libc-lab 2.36-9 amd64 "Priority: required"
mkdeb broken 1.0 amd64 "Depends: libfoo (>= 5)" "Priority: optional"
mkdeb evil 1.0 amd64 "Priority: optional"

idx=dists/lab/main/binary-amd64
(cd "$arc" && apt-ftparchive packages pool >"$idx/Packages")
gzip -9kn "$arc/$idx/Packages"
xz -k "$arc/$idx/Packages"
# Written outside the scanned tree, or it lists a half-written copy of itself.
(cd "$arc/dists/lab" && apt-ftparchive \
	-o APT::FTPArchive::Release::Origin=lab -o APT::FTPArchive::Release::Label=lab \
	-o APT::FTPArchive::Release::Suite=lab -o APT::FTPArchive::Release::Codename=lab \
	-o APT::FTPArchive::Release::Architectures=amd64 -o APT::FTPArchive::Release::Components=main \
	-o APT::FTPArchive::Release::Acquire-By-Hash=yes \
	-o APT::FTPArchive::Release::ValidTime=604800 release . >"$work/Release")
mv "$work/Release" "$arc/dists/lab/Release"

export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg() { command gpg --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }
gpg --quick-gen-key 'lab <lab@example.org>' ed25519 sign never 2>/dev/null
gpg --export lab@example.org >"$dir/lab.gpg"
gpg --armor --export lab@example.org >"$dir/lab.asc"
gpg --local-user lab@example.org --clearsign -o "$arc/dists/lab/InRelease" "$arc/dists/lab/Release"
# The same packages as a flat repository (sources "Suites: /"): InRelease and
# Packages at the top, Filename relative to it.
flat=$dir/flat
mkdir -p "$flat"
cp -r "$arc/pool" "$flat/"
(cd "$flat" && apt-ftparchive packages pool >Packages && xz -k Packages)
(cd "$flat" && apt-ftparchive -o APT::FTPArchive::Release::Origin=lab-flat release . >"$work/Release")
mv "$work/Release" "$flat/Release"
gpg --local-user lab@example.org --clearsign -o "$flat/InRelease" "$flat/Release"
gpg --quick-gen-key 'wrong <wrong@example.org>' ed25519 sign never 2>/dev/null
gpg --export wrong@example.org >"$dir/wrong.gpg"
gpgconf --kill gpg-agent 2>/dev/null || true

cat >"$dir/status" <<STATUS
Package: libc-lab
Status: install ok installed
Priority: required
Maintainer: lab <lab@example.org>
Architecture: amd64
Version: 2.36-9
Description: libc-lab for lading's apt tests

STATUS
rm -rf "$work"
