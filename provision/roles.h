#ifndef LADING_PROVISION_ROLES_H
#define LADING_PROVISION_ROLES_H

/*
 * Roles: the site's own and the built-in ones (provision/roles_builtin.c),
 * plus the files their special steps write: containerd's hosts.toml
 * (registry-mirror) and apt's deb822 .sources (apt-repo).
 */
#include <stddef.h>

#include "lib/err.h"
#include "provision/site.h"

/* Parses every built-in role; *roles is freed by site_free (it is stored in the site). */
int roles_builtin_parse(struct site_role **roles, size_t *count, struct lerr *err);

/* "registry-mirror, ..." for messages. */
const char *roles_builtin_names(void);

/* How many built-in roles there are, and the name of each. */
size_t roles_builtin_count(void);
const char *roles_builtin_name(size_t index);

/* The YAML text of a built-in role, or NULL. */
const char *roles_builtin_text(const char *name);

/* The role called name: the site's own first (it may override a built-in one), else a built-in; or NULL. */
const struct site_role *role_find(const struct site *site, const char *name);

/*
 * The containerd certs.d/<upstream>/hosts.toml that sends pulls of upstream to
 * the site registry (with its path prefix; ca_path is written when the site has
 * a CA and the registry speaks TLS). Caller frees.
 */
char *role_hosts_toml(const struct site_registry *reg, const char *upstream, const char *ca_path);

/* The same, with the upstream host kept in the path (registry_keep_host: `bundle push --keep-host`). */
char *role_hosts_toml_named(const struct site_registry *reg, const char *upstream, const char *ca_path, int keep_host);

/* What a registry_hosts step writes, from its dir's last component (roles_mirror.c). */
enum role_mirror_kind {
	ROLE_MIRROR_CONTAINERD, /* <dir>/<upstream>/hosts.toml */
	ROLE_MIRROR_CONTAINERS, /* "containers": registries.conf.d/50-lading.conf, certs.d/<registry>/ca.crt */
	ROLE_MIRROR_DOCKER,	/* "docker": daemon.json registry-mirrors, certs.d/<registry>/ca.crt */
};
enum role_mirror_kind role_mirror_kind(const char *dir);

/*
 * The path under the site registry where upstream's images are, as `bundle
 * push` and `serve` name them (images/naming.h): "prefix", "prefix/docker.io",
 * "registry-5000" (keep_host, ':' as '-'), or "". Caller frees.
 */
char *role_mirror_path(const struct site_registry *reg, const char *upstream, int keep_host);

/* The registries.conf.d drop-in (version 2) mirroring every upstream of reg. Caller frees. */
char *role_containers_conf(const struct site_registry *reg, int keep_host);

/*
 * daemon.json with the site registry first in registry-mirrors (and in
 * insecure-registries for plain HTTP), every other key kept. current may be
 * NULL or empty (no file). Refuses text that is not a JSON object, and a
 * registry with a prefix or keep_host (Docker mirrors docker.io at a root
 * only). *out is the caller's.
 */
int role_docker_daemon_json(const char *current, size_t len, const struct site_registry *reg, int keep_host, char **out,
			    struct lerr *err);

/* One deb822 source (sources.list(5)); NULL or "" for the optional fields leaves their line out. */
struct role_apt_source {
	const char *uris;
	const char *suites;
	const char *components;
	const char *architectures;
	const char *signed_by;
};

/*
 * The /etc/apt/sources.list.d/lading-<name>.sources text the apt-repo role
 * writes: Types deb, the given fields, Check-Valid-Until no, never Trusted.
 * Caller frees.
 */
char *role_apt_sources(const struct role_apt_source *src);

#endif
