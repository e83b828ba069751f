#ifndef LADING_PACKAGES_APT_H
#define LADING_PACKAGES_APT_H

/*
 * OS packages from apt archives: one source of lading.yaml's packages: is
 * fetched and checked the way the nodes' own apt will check it (InRelease
 * verified with gpgv against the source's keyring, every index by the SHA256
 * that InRelease lists, every .deb by the SHA256 its signed Packages entry
 * lists), the closure of its install list resolved, and the files a node's apt
 * will ask for brought into the content-addressed store. The bundle carries
 * them under apt/<name>/ at the same paths as upstream, so the upstream
 * signature still covers them; nothing here knows of bundles.
 *
 * May include: lib/
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/digest.h"
#include "lib/err.h"
#include "lib/hostcfg.h"
#include "lib/log.h"

/* One package pinned by lading.lock: create --locked fetches exactly these. */
struct apt_pin {
	const char *name;
	const char *version;
	const char *arch;   /* "amd64", "all", … */
	const char *sha256; /* 64 lowercase hex */
};

struct apt_source_request {
	const char *name;  /* the source's name, for messages ("deb.debian.org-bookworm") */
	const char *url;   /* archive root: http://, https:// or file:///abs (no trailing '/') */
	const char *suite; /* "bookworm"; a flat repository's directory ends in '/' ("/" or "dir/") */
	const char *const *components;
	size_t component_count; /* 0 for a flat repository */
	const char *const *architectures;
	size_t architecture_count; /* at least 1; "all" packages always count */
	const char *keyring;	   /* binary or armored OpenPGP keyring file for gpgv */
	const char *const *install;
	size_t install_count; /* "name" or "name=version" */
	const char *baseline; /* dpkg status file or `dpkg-query -W` listing; NULL = every Priority: required package */
	const struct apt_pin *pins;
	size_t pin_count; /* with pins, nothing is resolved: exactly these are fetched */
};

/* A file of the repository, stored in the store by its sha256. */
struct apt_file {
	char *path; /* relative to the archive root: "dists/bookworm/InRelease", "pool/main/…/x.deb" */
	char sha256[SHA256_HEX_LEN + 1];
	uint64_t size;
};

struct apt_package {
	char *name, *version, *arch;
	char *filename; /* relative to the archive root (the Filename field) */
	char sha256[SHA256_HEX_LEN + 1];
	uint64_t size;
};

struct apt_source_result {
	/* InRelease and the index files it signs that apt will fetch, then every .deb. */
	struct apt_file *files;
	size_t file_count;
	struct apt_package *packages; /* the closure, sorted by name */
	size_t package_count;
	char *valid_until; /* the InRelease's Valid-Until as written, or NULL */
};

struct apt_fetch_opts {
	const char *store_dir;		   /* content-addressed store root (lib/urlstore.h) */
	const struct host_set *registries; /* per-host TLS; may be NULL */
	const char *gpgv;		   /* gpgv program; NULL = found on PATH */
	int download;			   /* 0: resolve only (no .deb fetched; files lists the indexes only) */
	int workers;			   /* parallel .deb downloads; < 1 means 4 */
	const struct logger *lg;	   /* may be NULL */
};

/*
 * Fetches one source. Fails naming the source and what to do: an InRelease
 * that is missing, unsigned or not signed by a key of the keyring
 * (LADING_ERR_SIGNATURE); an index or .deb whose bytes differ from the signed
 * hash (LADING_ERR_SIGNATURE); a package or dependency that cannot be
 * satisfied (LADING_ERR_USAGE, naming the chain that needs it: "a -> b (>= 2)
 * -> c: no such package"); an unsafe Filename (LADING_ERR_FORMAT). out is
 * filled (free with apt_source_result_free) only on success.
 */
int apt_source_fetch(const struct apt_fetch_opts *opts, const struct apt_source_request *req,
		     struct apt_source_result *out, struct lerr *err);

void apt_source_result_free(struct apt_source_result *res);

#endif
