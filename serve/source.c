/* A directory, a bundle served from its file, or a verified, extracted bundle (see source.h). */
#include "serve/source.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/cache.h"
#include "bundle/format/extract.h"
#include "sign/signature.h"
#include "sign/trust.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/leftover.h"
#include "lib/xmalloc.h"
#include "bundle/format/view.h"
#include "serve/dirsig.h"

static char *default_cache_dir(struct lerr *err)
{
	char *root = NULL, *dir;

	if (bundle_cache_dir(&root, err) != 0)
		return NULL;
	dir = xasprintf("%s/serve", root);
	free(root);
	return dir;
}

/* Removes the extractions (and their staging directories) of dead runs in cache. */
static void sweep(const char *cache, const struct logger *lg)
{
	leftover_sweep(cache, leftover_match_serve, NULL, "serve", lg, NULL);
	leftover_sweep(cache, leftover_match_staging, NULL, "serve", lg, NULL);
}

/* What is logged and recorded once a bundle's signature was checked and it is going to be served. */
static void accepted(const char *path, const struct bundle_sig_check *check, const char *how, const struct logger *lg)
{
	if (check->verified) {
		log_msg(lg, LOG_INFO, "%s: signed by key %s, %s", path, check->key_id, how);
		bundle_sig_check_accept(check, lg);
	} else
		log_msg(lg, LOG_WARN, "%s (--insecure-skip-signature: serving it anyway)", check->problem.msg);
}

/* The trusted keys and the check of the head, as the options ask; both are to be freed even on failure. */
static int sig_check_setup(const char *what, const struct serve_source_opts *opts, struct trust_set *trust,
			   struct bundle_sig_check *check, struct lerr *err)
{
	trust_init(trust);
	bundle_sig_check_init(check, trust, what, opts->insecure_skip_signature);
	check->allow_expired = opts->allow_expired;
	check->allow_downgrade = opts->allow_downgrade;
	return trust_load(trust, opts->pubkeys, opts->pubkey_count, err);
}

/*
 * A delta is served with its base (--base), whose entries are read from its own file
 * (1), or both are extracted when the base cannot be (0); -1 when the base is missing,
 * or is not the one the delta names.
 */
static int attach_base(const char *path, const struct serve_source_opts *opts, struct serve_source *src,
		       struct lerr *err)
{
	const struct bundle_manifest *m = bundle_view_manifest(src->bundle);

	if (m->base_digest == NULL)
		return opts->base == NULL ? 1 : lerr_set(err, LADING_ERR_USAGE, "%s is not a delta: drop --base", path);
	if (opts->base == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "%s is a delta on '%s' (%s): give that bundle with --base", path,
				m->base_name, m->base_digest);
	return bundle_view_attach_base(src->bundle, opts->base, err);
}

/*
 * Signatures are required (DESIGN.md): bundle_sig_check_head refuses an
 * unsigned bundle or one not signed by a trusted key before any entry data is
 * read; bundle_extract then checks every entry while writing it.
 */
static int extract_bundle(const char *path, const struct serve_source_opts *opts, struct serve_source *src,
			  struct lerr *err)
{
	struct trust_set trust;
	struct bundle_sig_check check;
	struct bundle_extract_opts extract = {bundle_sig_check_head, &check, opts->lg, opts->base, 0};
	char *cache = NULL, hex[SHA256_HEX_LEN + 1], *dest = NULL, *what = xasprintf("'%s'", path);
	int r = -1;

	if (sig_check_setup(what, opts, &trust, &check, err) != 0)
		goto out;
	cache = opts->cache_dir ? xstrdup(opts->cache_dir) : default_cache_dir(err);
	if (cache == NULL || fs_mkdir_p(cache, err) != 0)
		goto out;
	/*
	 * One directory per run, "<hex>-<pid>": a tampered leftover from an earlier
	 * run is never reused, and those of dead runs (and their extraction staging
	 * directories) are removed here.
	 */
	sweep(cache, opts->lg);
	sha256_hex(path, strlen(path), hex);
	dest = xasprintf("%s/%.16s-%ld", cache, hex, (long)getpid());
	if (fs_exists(dest) && fs_remove_tree(dest, err) != 0)
		goto out;
	log_msg(opts->lg, LOG_INFO, "%s: verifying and extracting to '%s'", path, dest);
	if (bundle_extract(path, dest, &extract, err) != 0)
		goto out;
	/*
	 * Locked until this process exits, which is as long as the directory is
	 * served: the descriptor is deliberately never closed (close-on-exec).
	 */
	if (leftover_lock_path(dest, err) < 0) {
		struct lerr ignored;

		fs_remove_tree(dest, &ignored);
		goto out;
	}
	accepted(path, &check, "every entry verified", opts->lg);
	src->dir = xstrdup(dest);
	src->extracted = dest;
	src->verified = 1;
	dest = NULL;
	r = 0;
out:
	bundle_sig_check_free(&check);
	free(what);
	free(dest);
	free(cache);
	trust_free(&trust);
	return r;
}

/*
 * Serving from the file: the signature is checked over lading.json (the head
 * callback) before the seek table is even read; each chunk is checked later,
 * when a request reads it. 1: src->bundle set; 0: the bundle cannot be served
 * so (older format), extract it; -1: refused.
 */
static int open_from_file(const char *path, const struct serve_source_opts *opts, struct serve_source *src,
			  struct lerr *err)
{
	struct trust_set trust;
	struct bundle_sig_check check;
	char *what = xasprintf("'%s'", path), *cache = NULL;
	struct lerr why, ignored;
	int r = -1;

	if (sig_check_setup(what, opts, &trust, &check, err) != 0)
		goto out;
	/* Nothing is extracted, but what dead runs left in an existing cache dir still goes. */
	cache = opts->cache_dir ? xstrdup(opts->cache_dir) : default_cache_dir(&ignored);
	if (cache != NULL && fs_exists(cache))
		sweep(cache, opts->lg);
	r = bundle_view_open(path, bundle_sig_check_head, &check, &src->bundle, &why);
	if (r > 0 && (r = attach_base(path, opts, src, &why)) <= 0) {
		bundle_view_close(src->bundle);
		src->bundle = NULL;
	}
	if (r < 0)
		*err = why;
	else if (r == 0)
		log_msg(opts->lg, LOG_INFO, "%s: verifying and extracting it instead", why.msg);
	else {
		if (opts->chunk_cache_mib > 0)
			bundle_view_set_cache(src->bundle, opts->chunk_cache_mib / (BUNDLE_CHUNK_SIZE >> 20),
					      BUNDLE_VIEW_CACHE_READERS);
		accepted(path, &check, "served from the file, every chunk verified as it is read", opts->lg);
		src->verified = 1;
	}
out:
	bundle_sig_check_free(&check);
	free(cache);
	free(what);
	trust_free(&trust);
	return r;
}

int serve_source_prepare(const char *path, const struct serve_source_opts *opts, struct serve_source *src,
			 struct lerr *err)
{
	struct stat st;

	memset(src, 0, sizeof(*src));
	if (stat(path, &st) != 0)
		return lerr_set(err, LADING_ERR_USAGE, "'%s' is not a directory or a bundle file", path);
	if (S_ISDIR(st.st_mode)) {
		if (serve_dirsig_check(path, opts, &src->verified, err) != 0)
			return -1;
		src->dir = xstrdup(path);
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return lerr_set(err, LADING_ERR_USAGE, "'%s' is not a directory or a bundle file", path);
	if (opts->from_file) {
		int r = open_from_file(path, opts, src, err);

		if (r != 0)
			return r > 0 ? 0 : -1;
	}
	return extract_bundle(path, opts, src, err);
}

void serve_source_free(struct serve_source *src, const struct logger *lg)
{
	struct lerr err;

	if (src == NULL)
		return;
	if (src->extracted != NULL && fs_remove_tree(src->extracted, &err) != 0)
		log_msg(lg, LOG_WARN, "%s", err.msg);
	if (src->bundle != NULL) {
		struct chunk_cache_stats st;

		bundle_view_cache_stats(src->bundle, &st);
		log_msg(lg, LOG_DEBUG,
			"chunk cache: %llu chunks read and checked, %llu reads from the cache, %llu waits",
			(unsigned long long)st.loads, (unsigned long long)st.hits, (unsigned long long)st.waits);
	}
	bundle_view_close(src->bundle);
	free(src->dir);
	free(src->extracted);
	memset(src, 0, sizeof(*src));
}
