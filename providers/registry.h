#ifndef LADING_PROVIDERS_REGISTRY_H
#define LADING_PROVIDERS_REGISTRY_H

/*
 * providers/: Terraform/OpenTofu providers. Owns the provider registry
 * protocol client, SHA256SUMS and their OpenPGP signature, h1:/zh: hashes and
 * the filesystem/network mirror layouts.
 * May include: lib/
 */

/*
 * CONTRACT between providers/ (implements) and bundle/ (consumes), the same
 * shape as images_fetch: the Terraform provider registry protocol (SPECS
 * §4.1, §4.2) — service discovery, versions, download JSON, SHA256SUMS and
 * its OpenPGP signature — bringing provider zips into the content-addressed
 * store. Knows nothing about tarballs or mirror layouts.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/hostcfg.h"
#include "lib/digest.h"
#include "lib/err.h"
#include "lib/log.h"
#include "providers/dirhash.h"

#define PROVIDER_DEFAULT_HOST "registry.terraform.io"
#define PROVIDER_DEFAULT_PLATFORM "linux_amd64"
/* A provider zip is streamed; this only guards against endless replies. */
#define PROVIDER_ZIP_MAX (2ull << 30)

struct provider_request {
	const char *source;	      /* "[HOST[:PORT]/]NAMESPACE/TYPE" */
	const char *version;	      /* "~> 2.10", ">= 1.0, < 2.0"; NULL or "" = newest */
	const char *const *platforms; /* "linux_amd64"; none = linux_amd64 */
	size_t platform_count;
	const char *locked_version;	   /* from lading.lock, or NULL */
	const char *const *locked_sha256s; /* per platform (parallel to platforms), entries may be NULL */
};

struct provider_package {
	char *platform; /* "linux_amd64" */
	char *filename; /* "terraform-provider-TYPE_VERSION_OS_ARCH.zip" */
	char sha256[SHA256_HEX_LEN + 1];
	uint64_t size;
	char h1[DIRHASH_H1_MAX];
};

struct provider_result {
	char *host;			   /* "registry.terraform.io", "127.0.0.1:8080" */
	char *namespace;		   /* lowercase */
	char *type;			   /* lowercase */
	char *version;			   /* exact version fetched */
	int signature_checked;		   /* SHA256SUMS signature verified with gpgv */
	struct provider_package *packages; /* one per platform, in request order */
	size_t package_count;
};

struct provider_fetch_opts {
	const char *store_dir;		   /* content-addressed store root */
	const struct host_set *registries; /* plain_http / ca_file per host; may be NULL */
	const char *gpgv;		   /* gpgv program; NULL = "gpgv" from PATH, "" = never verify */
	int locked;			   /* refuse a request without locked_version */
	const struct logger *lg;	   /* warnings (no gpgv) and -v messages; may be NULL */
};

/*
 * Fetches every request; results[i] answers reqs[i]. Fails on the first
 * provider that cannot be fetched, naming it: no version matches (listing
 * those that exist), platform missing, SHA256SUMS without the zip, bad
 * signature, zip hash mismatch, HTTP errors. *results (free with
 * provider_results_free) is set only on success.
 */
int providers_fetch(const struct provider_fetch_opts *opts, const struct provider_request *reqs, size_t count,
		    struct provider_result **results, struct lerr *err);

void provider_results_free(struct provider_result *results, size_t count);

/* Splits "[HOST/]NS/TYPE" into lowercase parts (newly allocated); LADING_ERR_USAGE when malformed. */
int provider_source_parse(const char *source, char **host, char **namespace, char **type, struct lerr *err);

/*
 * Checks sig (binary detached OpenPGP signature) over data with gpgv against
 * the ASCII-armored keys; LADING_ERR_SIGNATURE when it does not verify.
 * Internal to providers/ (gpg.c); tmp_dir holds the scratch files.
 */
int provider_gpg_verify(const char *gpgv, const char *tmp_dir, const char *what, const char *const *armored_keys,
			size_t key_count, const char *sig_path, const char *data_path, struct lerr *err);

/* The gpgv to use per opts->gpgv, or NULL when none is installed (newly allocated). */
char *provider_gpgv_find(const char *configured);

#endif
