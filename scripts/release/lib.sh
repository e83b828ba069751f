# Shared helpers for scripts/release/build (sourced, POSIX sh).
# Everything built goes under $RELEASE_CACHE, never into the git tree.

say() { printf 'release: %s\n' "$*" >&2; }
die() { printf 'release: %s\n' "$*" >&2; exit 1; }

# apt-get with a private deb-src list and state under the cache, so the
# system's sources.list is left alone. Debian's pool for bookworm is used:
# files only in bookworm-security are not mirrored everywhere.
rel_apt() {
	a="$RELEASE_CACHE/apt"
	mkdir -p "$a/etc" "$a/lists/partial" "$a/cache/archives/partial"
	if [ ! -f "$a/etc/src.sources" ]; then
		cat >"$a/etc/src.sources" <<EOS
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	fi
	apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$a/etc" \
		-o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

# fetch_sources PKG...: the Debian source packages (.dsc, .orig, .debian) into
# $RELEASE_CACHE/src, once. A later run finds them there and needs no network.
fetch_sources() {
	need=""
	for p in "$@"; do
		ls "$RELEASE_CACHE/src/${p}"_*.dsc >/dev/null 2>&1 || need="$need $p"
	done
	[ -z "$need" ] && return 0
	mkdir -p "$RELEASE_CACHE/src"
	say "fetching Debian sources:$need"
	rel_apt update >/dev/null || die "apt-get update of the private deb-src list failed (network?)"
	# shellcheck disable=SC2086
	(cd "$RELEASE_CACHE/src" && rel_apt source --download-only $need >/dev/null) ||
		die "apt-get source$need failed; put the .dsc/.orig/.debian files in $RELEASE_CACHE/src by hand"
}

# unpack SRCPKG: a fresh tree with Debian's patches applied (security fixes
# included) under $W/SRCPKG; prints its path.
unpack() {
	dsc=$(ls "$RELEASE_CACHE/src/${1}"_*.dsc | sort -V | tail -n 1)
	[ -n "$dsc" ] || die "no source package for $1 in $RELEASE_CACHE/src"
	rm -rf "$W/$1"
	mkdir -p "$W"
	dpkg-source --no-check -x "$dsc" "$W/$1" >/dev/null || die "dpkg-source -x $dsc failed"
	echo "$W/$1"
}

# The Debian version of SRCPKG as fetched (for stamps and the build log).
src_version() {
	dsc=$(ls "$RELEASE_CACHE/src/${1}"_*.dsc | sort -V | tail -n 1)
	basename "$dsc" .dsc | sed "s/^${1}_//"
}
