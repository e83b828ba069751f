/*
 * The built-in roles, as the YAML a user would write under `roles:` in a
 * site file (lading-site(5)). Kept as string literals so the binary carries
 * them without build steps; tests/unit/test_roles.c parses every one.
 */
#include <stddef.h>
#include <string.h>

#include "provision/roles.h"

struct builtin_role {
	const char *name;
	const char *yaml;
};

/* provision/roles/registry-mirror.yaml, byte for byte (tests/unit/test_roles.c compares them). */
static const char registry_mirror_yaml[] =
    "# registry-mirror: containerd on the node pulls docker.io, ghcr.io, ... from the internal registry.\n"
    "- name: registry CA file\n"
    "  when: registry_ca_file\n"
    "  copy:\n"
    "    src: \"{{ registry_ca_file }}\"\n"
    "    dest: /usr/local/share/ca-certificates/lading-registry.crt\n"
    "    mode: \"0644\"\n"
    "- name: registry CA in the system trust store\n"
    "  when: registry_ca_file\n"
    "  shell:\n"
    "    cmd: update-ca-certificates\n"
    "    # done when the tool is missing or the bundle already holds the CA's first base64 line\n"
    "    unless: >-\n"
    "      ! command -v update-ca-certificates >/dev/null ||\n"
    "      grep -qF \"$(sed -n 2p /usr/local/share/ca-certificates/lading-registry.crt)\"\n"
    "      /etc/ssl/certs/ca-certificates.crt\n"
    "- name: containerd hosts.toml for every mirrored registry\n"
    "  registry_hosts:\n"
    "    dir: /etc/containerd/certs.d\n"
    "    ca: /usr/local/share/ca-certificates/lading-registry.crt\n"
    "- name: containerd config_path\n"
    "  shell:\n"
    "    unless: >-\n"
    "      grep -Eq '^[[:space:]]*config_path[[:space:]]*=[[:space:]]*\"/etc/containerd/certs.d\"'\n"
    "      /etc/containerd/config.toml\n"
    "    cmd: |\n"
    "      f=/etc/containerd/config.toml\n"
    "      section='[plugins.\"io.containerd.grpc.v1.cri\".registry]'\n"
    "      line='  config_path = \"/etc/containerd/certs.d\"'\n"
    "      mkdir -p /etc/containerd\n"
    "      if [ ! -s \"$f\" ]; then\n"
    "        printf 'version = 2\\n\\n%s\\n%s\\n' \"$section\" \"$line\" >\"$f\"\n"
    "      elif grep -Eq '^[[:space:]]*config_path[[:space:]]*=' \"$f\"; then\n"
    "        sed -i -E 's|^([[:space:]]*config_path[[:space:]]*=[[:space:]]*).*$|\\1\"/etc/containerd/certs.d\"|' "
    "\"$f\"\n"
    "      elif grep -Fxq \"$section\" \"$f\"; then\n"
    "        awk -v s=\"$section\" -v l=\"$line\" '{ print } $0 == s { print l }' \"$f\" >\"$f.lading\" && mv "
    "\"$f.lading\" \"$f\"\n"
    "      else\n"
    "        printf '\\n%s\\n%s\\n' \"$section\" \"$line\" >>\"$f\"\n"
    "      fi\n"
    "- name: restart containerd\n"
    "  service:\n"
    "    name: containerd\n"
    "    state: restarted\n";

/* provision/roles/apt-repo.yaml, byte for byte (tests/unit/test_roles.c compares them). */
static const char apt_repo_yaml[] =
    "# apt-repo: apt on the node installs from the site's package archive, and by default from nothing else.\n"
    "# apt_repo_suites (required), apt_repo_name (site), apt_repo_url (the registry's /apt/<name>),\n"
    "# apt_repo_components (main), apt_repo_architectures, apt_repo_keyring or apt_repo_signed_by,\n"
    "# apt_repo_disable_others (true): lading-site(5), \"Built-in roles\".\n"
    "- name: registry CA file\n"
    "  when: registry_ca_file\n"
    "  copy:\n"
    "    src: \"{{ registry_ca_file }}\"\n"
    "    dest: /usr/local/share/ca-certificates/lading-registry.crt\n"
    "    mode: \"0644\"\n"
    "- name: registry CA in the system trust store\n"
    "  when: registry_ca_file\n"
    "  shell:\n"
    "    cmd: update-ca-certificates\n"
    "    # apt's https method trusts /etc/ssl/certs/ca-certificates.crt: the same store containerd uses\n"
    "    unless: >-\n"
    "      ! command -v update-ca-certificates >/dev/null ||\n"
    "      grep -qF \"$(sed -n 2p /usr/local/share/ca-certificates/lading-registry.crt)\"\n"
    "      /etc/ssl/certs/ca-certificates.crt\n"
    "- name: archive keyring\n"
    "  when: apt_repo_keyring\n"
    "  copy:\n"
    "    src: \"{{ apt_repo_keyring }}\"\n"
    "    dest: \"/etc/apt/keyrings/lading-{{ apt_repo_name | default('site') }}.gpg\"\n"
    "    mode: \"0644\"\n"
    "- name: other apt sources set aside\n"
    "  shell:\n"
    "    # reversible: each file only gains the suffix .by-lading.disabled (apt skips *.disabled\n"
    "    # without a notice); renamed back, it is used again\n"
    "    unless: |\n"
    "      case \"{{ apt_repo_disable_others | default('true') }}\" in [Ff]alse|[Nn]o|[Oo]ff|0) exit 0 ;; esac\n"
    "      ! ls /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |\n"
    "        grep -v '^/etc/apt/sources.list.d/lading-[^/]*\\.sources$' | grep -q .\n"
    "    cmd: |\n"
    "      for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do\n"
    "        case \"$f\" in /etc/apt/sources.list.d/lading-*.sources) continue ;; esac\n"
    "        if [ -e \"$f\" ]; then mv \"$f\" \"$f.by-lading.disabled\" || exit 1; fi\n"
    "      done\n"
    "# Check-Valid-Until: no in the file: the archive is a snapshot whose InRelease says it expires a few\n"
    "# days after it was fetched (a week for security archives); the signature is still checked.\n"
    "- name: deb822 source for the site archive\n"
    "  apt_source:\n"
    "    name: \"{{ apt_repo_name | default('site') }}\"\n"
    "    uris: \"{{ apt_repo_url | default('') }}\"\n"
    "    suites: \"{{ apt_repo_suites }}\"\n"
    "    components: \"{{ apt_repo_components | default('main') }}\"\n"
    "    architectures: \"{{ apt_repo_architectures | default('') }}\"\n"
    "    signed_by: \"{{ apt_repo_signed_by | default('') }}\"\n"
    "    keyring: \"{{ apt_repo_keyring | default('') }}\"\n"
    "- name: apt-get update\n"
    "  shell:\n"
    "    # up to date when the source and keyring are those of the last good update and apt has the lists\n"
    "    unless: |\n"
    "      n=\"{{ apt_repo_name | default('site') }}\"; s=\"/etc/apt/sources.list.d/lading-$n.sources\"\n"
    "      cat \"$s\" \"/etc/apt/keyrings/lading-$n.gpg\" 2>/dev/null | sha256sum | cmp -s - "
    "\"/var/lib/lading/apt-$n.updated\" &&\n"
    "        u=$(sed -n 's/^URIs: *//p' \"$s\") && x=$(sed -n 's/^Suites: *\\([^ ]*\\).*/\\1/p' \"$s\") &&\n"
    "        apt-cache policy | grep -qF \" ${u%/} $x/\"\n"
    "    # apt-get update exits 0 when a fetch or a signature failed and it kept the old lists (Err:\n"
    "    # lines); that is a failure here, told by its GPG error (NO_PUBKEY) or else the first E:/W: line.\n"
    "    cmd: |\n"
    "      n=\"{{ apt_repo_name | default('site') }}\"\n"
    "      out=$(apt-get -q update 2>&1); rc=$?\n"
    "      printf '%s\\n' \"$out\"\n"
    "      if [ $rc -ne 0 ] || printf '%s\\n' \"$out\" | grep -Eq '^(E: |Err:)'; then\n"
    "        why=$(printf '%s\\n' \"$out\" | sed -n 's/.*GPG error: //p' | head -n 1)\n"
    "        [ -n \"$why\" ] || why=$(printf '%s\\n' \"$out\" | grep -E '^(E|W): ' | head -n 1)\n"
    "        echo \"apt-get update: ${why:-exit $rc}\" >&2\n"
    "        exit 1\n"
    "      fi\n"
    "      mkdir -p /var/lib/lading &&\n"
    "        cat \"/etc/apt/sources.list.d/lading-$n.sources\" \"/etc/apt/keyrings/lading-$n.gpg\" 2>/dev/null |\n"
    "        sha256sum >\"/var/lib/lading/apt-$n.updated\"\n";

static const struct builtin_role builtin_roles[] = {
    {"registry-mirror", registry_mirror_yaml},
    {"apt-repo", apt_repo_yaml},
    {NULL, NULL},
};

const char *roles_builtin_names(void)
{
	return "registry-mirror, apt-repo";
}

const char *roles_builtin_text(const char *name)
{
	const struct builtin_role *role;

	for (role = builtin_roles; role->name != NULL; role++)
		if (strcmp(role->name, name) == 0)
			return role->yaml;
	return NULL;
}

size_t roles_builtin_count(void)
{
	return sizeof(builtin_roles) / sizeof(builtin_roles[0]) - 1;
}

const char *roles_builtin_name(size_t index)
{
	return builtin_roles[index].name;
}
