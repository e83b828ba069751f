#include "packages/debs.h"

#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/hostcfg.h"
#include "lib/http.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"

#define DEFAULT_WORKERS 4

int apt_filename_safe(const char *filename)
{
	return fs_relpath_is_safe(filename, 0);
}

/* One worker's HTTP session and TLS chooser (whose answer it writes, so it is not shared). */
struct deb_worker {
	struct http_session *http;
	struct host_tls_ctx tls;
};

struct deb_ctx {
	const struct apt_fetch_opts *opts;
	const char *source;
	const char *base_url;
	struct deb_worker *workers;
};

static int worker_start(size_t worker, void *arg, struct lerr *err)
{
	struct deb_ctx *ctx = arg;
	struct deb_worker *w = &ctx->workers[worker];

	(void)err;
	w->http = http_session_new(ctx->opts->lg);
	w->tls.registries = ctx->opts->registries;
	http_session_set_tls(w->http, host_tls_lookup, &w->tls);
	return 0;
}

static void worker_stop(size_t worker, void *arg)
{
	struct deb_ctx *ctx = arg;

	http_session_free(ctx->workers[worker].http);
	ctx->workers[worker].http = NULL;
}

static int fetch_one(void *job, size_t worker, void *arg, struct lerr *err)
{
	const struct apt_package *pkg = job;
	struct deb_ctx *ctx = arg;
	char *url = xasprintf("%s/%s", ctx->base_url, pkg->filename);
	char *what = xasprintf("%s: package %s %s (%s)", ctx->source, pkg->name, pkg->version, pkg->filename);
	char hex[SHA256_HEX_LEN + 1], size_text[32];
	uint64_t size = 0;
	int r = -1;

	/* The signed Size bounds the download: more bytes than that cannot match the hash either. */
	if (urlstore_fetch(ctx->workers[worker].http, url, ctx->opts->store_dir, pkg->sha256, pkg->size, what, hex,
			   &size, err) != 0) {
		if (err->code == LADING_ERR_LIMIT)
			lerr_recode(err, LADING_ERR_SIGNATURE);
		goto out;
	}
	log_format_bytes(size, size_text, sizeof(size_text));
	log_msg(ctx->opts->lg, LOG_VERBOSE, "%s: %s %s: %s", ctx->source, pkg->name, pkg->version, size_text);
	r = 0;
out:
	free(url);
	free(what);
	return r;
}

int apt_debs_fetch(const struct apt_fetch_opts *opts, const char *source, const char *base_url,
		   const struct apt_package *pkgs, size_t count, struct lerr *err)
{
	struct deb_ctx ctx = {opts, source, base_url, NULL};
	struct pool_opts po = {0};
	int workers = opts->workers < 1 ? DEFAULT_WORKERS : opts->workers;
	int r;

	if (count == 0)
		return 0;
	ctx.workers = xcalloc((size_t)workers, sizeof(*ctx.workers));
	po.workers = workers;
	po.mode = POOL_STOP_ON_ERROR;
	po.run = fetch_one;
	po.worker_start = worker_start;
	po.worker_stop = worker_stop;
	po.ctx = &ctx;
	log_msg(opts->lg, LOG_INFO, "%s: fetching %zu packages", source, count);
	/* pool_run_each hands each job a pointer into pkgs, which it only reads. */
	r = pool_run_each(&po, (void *)pkgs, count, sizeof(*pkgs), err);
	free(ctx.workers);
	return r;
}
