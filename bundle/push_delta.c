/* Pushing a delta: with its base, or onto a registry that holds the base (see push_delta.h). */
#include "bundle/push_delta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/naming.h"
#include "images/registry_push.h"
#include "lib/xmalloc.h"

/* How many missing blobs the error line names before "and N more". */
#define NAMED_MAX 3

struct push_delta {
	const struct bundle_push_opts *opts;
	int with_base; /* --base attached: nothing to check */
};

/* The view's fetch hook: an in_base manifest, from the repository its image goes to. */
static int fetch_manifest(void *ctx, const struct bundle_entry *e, struct buf *out, struct lerr *err)
{
	const struct push_delta *d = ctx;
	const struct bundle_push_opts *o = d->opts;
	struct registry_client_opts copts = {o->registries, o->auth_file, o->max_speed, o->lg};
	struct registry_client *c = NULL;
	struct naming_target target;
	char digest[DIGEST_STR_MAX], reference[DIGEST_STR_MAX];
	char *ctype = NULL;
	int r = -1;

	memset(&target, 0, sizeof(target));
	if (e->ref == NULL)
		return lerr_set(err, LADING_ERR_USAGE,
				"%s lives in the base and names no image to find it by: give the "
				"base with --base",
				e->path);
	snprintf(reference, sizeof(reference), "sha256:%s", e->sha256);
	if (naming_map(e->ref, &o->naming, &target, err) != 0 ||
	    registry_client_new(o->registry, target.repository, &copts, &c, err) != 0)
		goto out;
	if (registry_manifest_get(c, reference, out, &ctype, digest, err) != 0) {
		lerr_prefix(err,
			    "%s lives in the base, and %s/%s cannot give it (push the base first, or give it "
			    "with --base)",
			    e->path, o->registry, target.repository);
		goto out;
	}
	r = 0;
out:
	free(ctype);
	registry_client_free(c);
	naming_target_free(&target);
	return r;
}

int push_delta_prepare(struct bundle_view *view, const struct bundle_push_opts *opts, struct push_delta **out,
		       struct lerr *err)
{
	const struct bundle_manifest *m = bundle_view_manifest(view);
	struct push_delta *d;
	int r;

	*out = NULL;
	if (m->base_digest == NULL) {
		if (opts->base != NULL)
			return lerr_set(err, LADING_ERR_USAGE, "%s is not a delta: drop --base",
					bundle_view_path(view));
		return 0;
	}
	d = xcalloc(1, sizeof(*d));
	d->opts = opts;
	if (opts->base != NULL) {
		if ((r = bundle_view_attach_base(view, opts->base, err)) != 1) {
			if (r == 0)
				lerr_prefix(err, "--base");
			free(d);
			return -1;
		}
		d->with_base = 1;
	} else
		bundle_view_set_fetch(view, fetch_manifest, d);
	*out = d;
	return 0;
}

/* The plan blob's entry in the delta, if the delta leaves it to its base. */
static int in_base(const struct bundle_view *view, const struct plan_blob *b)
{
	char path[64 + SHA256_HEX_LEN];
	const struct bundle_entry *e;

	snprintf(path, sizeof(path), "oci/blobs/sha256/%s", b->digest + 7);
	e = bundle_view_find(view, path);
	return e != NULL && e->in_base;
}

int push_delta_check(const struct push_delta *d, const struct bundle_view *view, const struct push_plan *plan,
		     struct registry_client **clients, struct lerr *err)
{
	struct buf named = BUF_INIT(0);
	size_t i, j, missing = 0, checked = 0;
	int exists;

	if (d == NULL || d->with_base)
		return 0;
	for (i = 0; i < plan->blob_count; i++) {
		const struct plan_blob *b = &plan->blobs[i];

		if (!in_base(view, b))
			continue;
		for (j = 0; j < b->image_count; j++) {
			const struct plan_image *img = &plan->images[b->images[j]];

			checked++;
			if (registry_blob_exists(clients[b->images[j]], b->digest, &exists, err) != 0) {
				buf_free(&named);
				return -1;
			}
			if (exists)
				continue;
			if (missing++ < NAMED_MAX)
				buf_printf(&named, "%s%s in %s", missing > 1 ? ", " : "", b->digest,
					   img->target.repository);
		}
	}
	log_msg(d->opts->lg, LOG_VERBOSE, "%s: a delta on '%s': %zu blobs of the base asked for, %zu missing",
		bundle_view_path(view), bundle_view_manifest(view)->base_name, checked, missing);
	if (missing > 0) {
		if (missing > NAMED_MAX)
			buf_printf(&named, " and %zu more", missing - NAMED_MAX);
		lerr_set(
		    err, LADING_ERR_USAGE,
		    "%s is a delta on '%s', and %s lacks %zu blob%s of that base: %s; nothing was pushed (push the "
		    "base first, or give it with --base)",
		    bundle_view_path(view), bundle_view_manifest(view)->base_name, d->opts->registry, missing,
		    missing == 1 ? "" : "s", named.data);
		buf_free(&named);
		return -1;
	}
	buf_free(&named);
	return 0;
}

void push_delta_free(struct push_delta *d)
{
	free(d);
}
