#define _GNU_SOURCE /* mkdtemp */
/* bundle push --git-url: the carried repositories into the site's Git server (see push_git.h). */
#include "bundle/push_git.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/gitcarry.h"
#include "bundle/gitrun.h"
#include "bundle/sources.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

/* --porcelain lines of one push: one per ref. */
#define PUSH_OUTPUT_MAX (16u << 20)

struct carried {
	struct git_result *items; /* name, url (upstream), refs */
	size_t count;
};

/* "git/NAME.bundle" of kind git: NAME (newly allocated), else NULL. */
static char *git_entry_name(const struct bundle_entry *row, const char *name)
{
	size_t len = strlen(name);

	if (row == NULL || strcmp(row->kind, BUNDLE_KIND_GIT) != 0 || row->ref == NULL ||
	    strncmp(name, "git/", 4) != 0 || len <= 4 + 7 || strcmp(name + len - 7, ".bundle") != 0 ||
	    strchr(name + 4, '/') != NULL)
		return NULL;
	return xstrndup(name + 4, len - 4 - 7);
}

static int copy_entry(struct bundle_reader *r, const char *path, struct lerr *err)
{
	char chunk[65536];
	ssize_t got;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), rc = 0;

	if (fd < 0)
		return lerr_sys(err, "cannot create '%s'", path);
	while ((got = bundle_reader_read(r, chunk, sizeof(chunk), err)) > 0)
		if (fs_write_all(fd, chunk, (size_t)got, path, err) != 0) {
			rc = -1;
			break;
		}
	if (got < 0)
		rc = -1;
	close(fd);
	return rc;
}

/* One pass over the bundle: the git/ entries into dir (verified by the reader), everything else checked. */
static int read_bundle(const char *bundle_path, const struct git_push_opts *opts, const char *dir, struct carried *out,
		       struct lerr *err)
{
	struct bundle_reader *r = NULL;
	const struct bundle_entry *row;
	const char *json, *sig, *name;
	size_t json_len, sig_len;
	int rc = -1, more;

	if (bundle_reader_open(&r, bundle_path, err) != 0)
		return -1;
	bundle_reader_head(r, &json, &json_len, &sig, &sig_len);
	if (opts->head != NULL &&
	    opts->head(opts->head_ctx, json, json_len, sig, sig_len, bundle_reader_manifest(r), err) != 0)
		goto out;
	while ((more = bundle_reader_next(r, &row, &name, err)) == 1) {
		char *repo = git_entry_name(row, name), *file;
		struct git_result res;

		if (repo == NULL)
			continue;
		file = xasprintf("%s/%s.bundle", dir, repo);
		if (copy_entry(r, file, err) != 0 || git_row_parse(row->ref, &res, err) != 0) {
			free(file);
			free(repo);
			goto out;
		}
		free(file);
		res.name = repo;
		out->items = grow_array(out->items, out->count, sizeof(*out->items));
		out->items[out->count++] = res;
	}
	rc = more == 0 ? 0 : -1;
out:
	bundle_reader_close(r);
	return rc;
}

/* The environment every git of this push runs with: TLS settings and the askpass helper. */
static int push_env(const struct git_push_opts *opts, const char *dir, struct git_env *env, struct lerr *err)
{
	char *home = xasprintf("%s/home", dir);
	int r = -1;

	if (fs_mkdir_p(home, err) != 0 || git_env_init(env, home, err) != 0 ||
	    (opts->username != NULL && git_env_credentials(env, dir, opts->username, opts->password, err) != 0))
		goto out;
	git_env_tls(env, opts->ca_file, opts->insecure);
	r = 0;
out:
	free(home);
	return r;
}

/* The --porcelain report: counts, and the first rejected ref with git's reason. */
static int read_report(const struct buf *out, const char *what, struct git_push_result *res, struct lerr *err)
{
	char *text = xstrndup(out->data ? out->data : "", out->len), *save = NULL, *line;
	int r = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t'), *colon, *reason;

		if (tab == NULL || tab != line + 1 || (colon = strchr(tab + 1, ':')) == NULL)
			continue;
		reason = strchr(colon, '\t');
		if (line[0] == '=')
			res->refs_current++;
		else if (line[0] == '!' && r == 0) {
			const char *why = reason ? reason + 1 : "rejected";

			*colon = '\0';
			/* "fetch first": the site's tip is a commit the bundle lacks, so not a fast-forward either. */
			if (strstr(why, "non-fast-forward") != NULL || strstr(why, "fetch first") != NULL)
				r = lerr_about(err, LADING_ERR_NETWORK, what,
					       "ref %s was refused: not a fast-forward of the site's (git: %s); "
					       "lading never forces a push",
					       tab + 1, why);
			else
				r = lerr_about(err, LADING_ERR_NETWORK, what, "ref %s was refused: %s", tab + 1, why);
		} else if (line[0] == ' ' || line[0] == '*')
			res->refs_updated++;
	}
	free(text);
	return r;
}

/* git clone --mirror of the bundle (its pack checked), then git push of exactly the carried refs. */
static int push_one(const struct git_push_opts *opts, const struct git_env *env, const char *dir,
		    const struct git_result *repo, struct git_push_result *res, struct lerr *err)
{
	size_t base_len = strlen(opts->url), i, n = 0;
	char *bundle = xasprintf("%s/%s.bundle", dir, repo->name), *local = xasprintf("%s/%s.git", dir, repo->name);
	char *target =
	    xasprintf("%.*s/%s.git", (int)(base_len > 0 && opts->url[base_len - 1] == '/' ? base_len - 1 : base_len),
		      opts->url, repo->name);
	char *what = xasprintf("git repository '%s' -> %s", repo->name, target);
	const char **args = xcalloc(repo->ref_count + 8, sizeof(*args));
	char **specs = xcalloc(repo->ref_count + 1, sizeof(*specs));
	struct buf out = BUF_INIT(PUSH_OUTPUT_MAX);
	int r = -1;

	if (git_run(env, &(struct git_io){NULL, -1, -1, NULL},
		    (const char *[]){"clone", "--mirror", "-q", "--", bundle, local, NULL}, what, err) != 0)
		goto out;
	args[n++] = "push";
	args[n++] = "--porcelain";
	args[n++] = "--";
	args[n++] = target;
	for (i = 0; i < repo->ref_count; i++) {
		specs[i] = xasprintf("%s:%s", repo->refs[i].ref, repo->refs[i].ref);
		args[n++] = specs[i];
	}
	log_msg(opts->lg, LOG_VERBOSE, "%s: %zu refs", what, repo->ref_count);
	res->targets = grow_array(res->targets, res->target_count, sizeof(*res->targets));
	res->targets[res->target_count++] =
	    (struct git_push_target){xstrdup(repo->name), xstrdup(target), repo->ref_count};
	if (opts->dry_run) {
		r = 0;
		goto out;
	}
	r = git_run(env, &(struct git_io){local, -1, -1, &out}, args, what, err);
	/* A rejected ref makes git fail: its porcelain line says which and why, better than its last line. */
	if (read_report(&out, what, res, err) != 0)
		r = -1;
	res->repositories += r == 0;
out:
	for (i = 0; i < repo->ref_count; i++)
		free(specs[i]);
	free(specs);
	free(args);
	buf_free(&out);
	free(bundle);
	free(local);
	free(target);
	free(what);
	return r;
}

int git_push_bundle(const char *bundle_path, const struct git_push_opts *opts, struct git_push_result *res,
		    struct lerr *err)
{
	/* res is the caller's (git_push_result_free), filled as repositories are pushed. */
	const char *tmp = opts->tmp_dir ? opts->tmp_dir : getenv("TMPDIR");
	char *dir = xasprintf("%s/lading-push.%ld.XXXXXX", tmp && *tmp ? tmp : "/var/tmp", (long)getpid());
	struct carried repos = {0};
	struct git_env env = {0};
	size_t i;
	int r = -1;

	if (mkdtemp(dir) == NULL) {
		lerr_sys(err, "cannot create a directory like '%s'", dir);
		free(dir);
		return -1;
	}
	if (read_bundle(bundle_path, opts, dir, &repos, err) != 0)
		goto out;
	if (repos.count == 0) {
		lerr_set(err, LADING_ERR_USAGE, "'%s' carries no git repository (--git-url has nothing to push)",
			 bundle_path);
		goto out;
	}
	if (push_env(opts, dir, &env, err) != 0)
		goto out;
	for (i = 0; i < repos.count; i++)
		if (push_one(opts, &env, dir, &repos.items[i], res, err) != 0)
			goto out;
	r = 0;
out:
	git_results_free(repos.items, repos.count);
	git_env_free(&env);
	fs_remove_tree(dir, NULL);
	free(dir);
	return r;
}

void git_push_result_free(struct git_push_result *res)
{
	size_t i;

	for (i = 0; i < res->target_count; i++) {
		free(res->targets[i].name);
		free(res->targets[i].target);
	}
	free(res->targets);
	memset(res, 0, sizeof(*res));
}
