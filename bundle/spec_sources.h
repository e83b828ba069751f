#ifndef LADING_BUNDLE_SPEC_SOURCES_H
#define LADING_BUNDLE_SPEC_SOURCES_H

/*
 * The charts:, providers:, modules:, git:, files: and packages: sections of lading.yaml (see
 * lading.yaml(5)); parsed with the same file:line:col errors and unknown-key
 * checks as the rest of the spec.
 */
#include <stddef.h>

#include "charts/values.h"
#include "lib/err.h"
#include "lib/yamltree.h"

struct spec_chart {
	char *repo;    /* Helm HTTP repository URL, or NULL */
	char *name;    /* chart name (with repo) */
	char *oci;     /* or "oci://host/path/name" */
	char *version; /* Masterminds constraint; NULL = newest stable */
	int images_from_charts;
	struct cvalue *values; /* `values:` the site deploys with, merged over the chart's for discovery; or NULL */
	char *values_origin;   /* "lading.yaml:LINE:COL" of that map, named as the source of what it sets */
	char *key;	       /* "REPO NAME" or the oci reference: the chart's identity in lading.lock */
	int line, col;
};

struct spec_provider {
	char *source;  /* "[HOST/]NS/TYPE" */
	char *version; /* Terraform constraint; NULL = newest */
	char **platforms;
	size_t platform_count;
	int line, col;
};

/* A Terraform module from a module registry (git: sources come with the Git support). */
struct spec_module {
	char *source;  /* "HOST/NAMESPACE/NAME/SYSTEM" */
	char *version; /* Terraform constraint; NULL = newest */
	int line, col;
};

/* A Git repository of git: (bundle/sources_git.c checks url, name and refs at load). */
struct spec_git {
	char *url;   /* https://, http:// or file:// */
	char *name;  /* git/<name>.bundle; default: the URL's last component without .git */
	char **refs; /* branches/tags to carry; none = all branches and tags */
	size_t ref_count;
	int line, col;
};

struct spec_file {
	char *url;
	char *sha256; /* or NULL (only with --update-hashes) */
	char *name;   /* or NULL: the URL's last part */
	int line, col;
	int url_line; /* where `url:` is, for --update-hashes */
};

/* One apt archive of packages: (bundle/spec_packages.c). */
struct spec_apt {
	char *name;  /* apt/<name>/ in the bundle: [A-Za-z0-9._-]+, default "<host>-<suite>" */
	char *url;   /* archive root, http(s):// or file:///, no trailing '/' */
	char *suite; /* "bookworm"; a flat repository's directory ends in '/' */
	char **components;
	size_t component_count; /* none for a flat repository */
	char **architectures;
	size_t architecture_count; /* default amd64 */
	char *keyring;		   /* resolved against the spec's directory */
	char **install;
	size_t install_count;
	char *baseline; /* resolved against the spec's directory, or NULL (Priority: required) */
	int line, col;
};

struct spec_sources {
	struct spec_chart *charts;
	size_t chart_count;
	struct spec_provider *providers;
	size_t provider_count;
	struct spec_module *modules;
	size_t module_count;
	struct spec_file *files;
	size_t file_count;
	struct spec_git *gits;
	size_t git_count;
	struct spec_apt *apts;
	size_t apt_count;
};

/* Section parsers (a sequence each); errors name file:line:col. Results are appended to src. */
int spec_sources_parse_charts(struct spec_sources *src, const struct ynode *node, struct lerr *err);
int spec_sources_parse_providers(struct spec_sources *src, const struct ynode *node, struct lerr *err);
int spec_sources_parse_modules(struct spec_sources *src, const struct ynode *node, struct lerr *err);
int spec_sources_parse_git(struct spec_sources *src, const struct ynode *node, struct lerr *err);
int spec_sources_parse_files(struct spec_sources *src, const struct ynode *node, struct lerr *err);
int spec_sources_parse_packages(struct spec_sources *src, const struct ynode *node, struct lerr *err);
void spec_apt_free(struct spec_apt *a);

/* True for a bundle or package source name: [A-Za-z0-9._-]+, not starting with '.', at most 128 bytes. */
int spec_name_is_valid(const char *name);

/* Copies the string at key of map into *out when the key is there (else leaves *out). */
int spec_opt_string(const struct ynode *map, const char *key, char **out, struct lerr *err);

/* True when anything is listed. */
int spec_sources_any(const struct spec_sources *src);

void spec_sources_free(struct spec_sources *src);

#endif
