# Sourced by the apt tests and benchmarks: a private apt root (SPECS-2 1.5) in
# which the real apt-get runs against a test archive without reading or
# touching the machine's own apt configuration, lists, cache or dpkg database.
#
#   apt_root DIR [STATUS]   makes DIR/etc/apt/{sources.list.d,apt.conf.d,preferences.d},
#                           DIR/var/lib/apt/lists, DIR/var/cache/apt/archives and
#                           DIR/var/lib/dpkg/status (a copy of STATUS, else empty);
#                           writes DIR/apt.conf (append more settings to it) and
#                           exports APT_CONFIG=DIR/apt.conf. Sources go in
#                           DIR/etc/apt/sources.list.d/*.sources.

apt_root() {
	_r=$1
	mkdir -p "$_r/etc/apt/sources.list.d" "$_r/etc/apt/apt.conf.d" "$_r/etc/apt/preferences.d" \
		"$_r/var/lib/apt/lists/partial" "$_r/var/cache/apt/archives/partial" "$_r/var/lib/dpkg"
	if [ -n "${2:-}" ]; then cp "$2" "$_r/var/lib/dpkg/status"; else : >"$_r/var/lib/dpkg/status"; fi
	cat >"$_r/apt.conf" <<CONF
Dir "$_r/";
Dir::State::status "$_r/var/lib/dpkg/status";
Dir::Etc::sourcelist "/dev/null";
Dir::Etc::sourceparts "$_r/etc/apt/sources.list.d";
Dir::Etc::parts "$_r/etc/apt/apt.conf.d";
Dir::Etc::preferencesparts "$_r/etc/apt/preferences.d";
APT::Sandbox::User "root";
Debug::NoLocking "true";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
CONF
	export APT_CONFIG=$_r/apt.conf
}
