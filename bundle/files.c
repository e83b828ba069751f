#include "bundle/files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hostcfg.h"
#include "lib/fsutil.h"
#include "lib/http.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"

static int name_is_safe(const char *name)
{
	return fs_relpath_is_safe(name, FILE_NAME_MAX);
}

int file_name_resolve(const char *url, const char *name, char **out, struct lerr *err)
{
	char *chosen;

	if (name != NULL) {
		chosen = xstrdup(name);
	} else {
		const char *end = url + strcspn(url, "?#");
		const char *start = end;

		while (start > url && start[-1] != '/')
			start--;
		chosen = xstrndup(start, (size_t)(end - start));
	}
	if (!name_is_safe(chosen)) {
		lerr_set(err, LADING_ERR_USAGE, "file '%s': name '%s' is not a safe relative path (give name:)", url,
			 chosen);
		free(chosen);
		return -1;
	}
	*out = chosen;
	return 0;
}

static int fetch_one(const struct file_fetch_opts *opts, struct http_session *s, const struct file_request *req,
		     struct file_result *res, struct lerr *err)
{
	char *what = NULL;
	int r = -1;

	res->url = xstrdup(req->url);
	if (file_name_resolve(req->url, req->name, &res->name, err) != 0)
		goto out;
	what = xasprintf("file %s", res->name);
	if (req->sha256 == NULL && !opts->update_hashes) {
		lerr_set(err, LADING_ERR_USAGE, "%s: sha256 is required (bundle create --update-hashes fills it in)",
			 what);
		goto out;
	}
	if (req->sha256 != NULL && !hex_is_sha256(req->sha256)) {
		lerr_set(err, LADING_ERR_USAGE, "%s: sha256 '%s' is not 64 lowercase hex digits", what, req->sha256);
		goto out;
	}
	if (urlstore_fetch(s, req->url, opts->store_dir, req->sha256, 0, what, res->sha256, &res->size, err) != 0)
		goto out;
	res->hash_was_missing = req->sha256 == NULL;
	r = 0;
out:
	free(what);
	return r;
}

int files_fetch(const struct file_fetch_opts *opts, const struct file_request *reqs, size_t count,
		struct file_result **results, struct lerr *err)
{
	struct file_result *res = xcalloc(count ? count : 1, sizeof(*res));
	struct host_tls_ctx tls = {opts->registries, {NULL, 0}};
	struct http_session *s = http_session_new(opts->lg);
	size_t i, j;
	int r = -1;

	http_session_set_tls(s, host_tls_lookup, &tls);
	http_session_set_auth(s, host_auth_lookup, (void *)opts->registries);
	for (i = 0; i < count; i++) {
		log_msg(opts->lg, LOG_VERBOSE, "file %s", reqs[i].url);
		if (fetch_one(opts, s, &reqs[i], &res[i], err) != 0)
			goto out;
		for (j = 0; j < i; j++)
			if (strcmp(res[j].name, res[i].name) == 0) {
				lerr_set(err, LADING_ERR_USAGE, "file %s: two files have this name", res[i].name);
				goto out;
			}
	}
	*results = res;
	res = NULL;
	r = 0;
out:
	http_session_free(s);
	file_results_free(res, count);
	return r;
}

void file_results_free(struct file_result *results, size_t count)
{
	size_t i;

	for (i = 0; results != NULL && i < count; i++) {
		free(results[i].name);
		free(results[i].url);
	}
	free(results);
}
