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

static const struct builtin_role builtin_roles[] = {
    {"registry-mirror", registry_mirror_yaml},
    {NULL, NULL},
};

const char *roles_builtin_names(void)
{
	return "registry-mirror";
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
