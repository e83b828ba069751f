#define _GNU_SOURCE /* mkstemp */
/* git: repositories into git bundles in the content store (see gitcarry.h). */
#include "bundle/gitcarry.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/gitrun.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/leftover.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"

/* ls-remote and for-each-ref output: refs are short lines, but a repository may have many. */
#define GIT_REFS_MAX (64u << 20)

struct git_refs {
	struct git_ref_id *items;
	size_t count;
};

static void refs_add(struct git_refs *refs, const char *ref, const char *id)
{
	refs->items = grow_array(refs->items, refs->count, sizeof(*refs->items));
	refs->items[refs->count].ref = xstrdup(ref);
	snprintf(refs->items[refs->count].id, sizeof(refs->items[refs->count].id), "%s", id);
	refs->count++;
}

static void refs_free(struct git_refs *refs)
{
	size_t i;

	for (i = 0; i < refs->count; i++)
		free(refs->items[i].ref);
	free(refs->items);
	memset(refs, 0, sizeof(*refs));
}

static const struct git_ref_id *refs_find(const struct git_ref_id *items, size_t count, const char *ref)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(items[i].ref, ref) == 0)
			return &items[i];
	return NULL;
}

static int by_ref(const void *a, const void *b)
{
	return strcmp(((const struct git_ref_id *)a)->ref, ((const struct git_ref_id *)b)->ref);
}

static int oid_ok(const char *id, size_t len)
{
	return (len == 40 || len == GIT_OID_MAX) && strspn(id, "0123456789abcdef") >= len;
}

/*
 * "<id>\t<ref>" lines (ls-remote; for-each-ref with a tab format): branches and tags only, peeled "^{}"
 * lines skipped; "ref: <target>\tHEAD" (ls-remote --symref) gives *head.
 */
static int parse_refs(const struct buf *text, struct git_refs *refs, char **head, const char *what, struct lerr *err)
{
	const char *p = text->data ? text->data : "", *end = p + text->len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *tab;
		char *line;

		eol = eol ? eol : end;
		line = xstrndup(p, (size_t)(eol - p));
		p = eol + 1;
		tab = strchr(line, '\t');
		if (tab == NULL) {
			free(line);
			return lerr_about(err, LADING_ERR_FORMAT, what, "git printed an unexpected line");
		}
		if (strncmp(line, "ref: ", 5) == 0) {
			if (head != NULL && strcmp(tab + 1, "HEAD") == 0) {
				free(*head);
				*head = xstrndup(line + 5, (size_t)(tab - line - 5));
			}
		} else if (!oid_ok(line, (size_t)(tab - line))) {
			free(line);
			return lerr_about(err, LADING_ERR_FORMAT, what, "git printed an object id that is not one");
		} else if ((strncmp(tab + 1, "refs/heads/", 11) == 0 || strncmp(tab + 1, "refs/tags/", 10) == 0) &&
			   strstr(tab + 1, "^{}") == NULL) {
			line[tab - line] = '\0';
			refs_add(refs, tab + 1, line);
		}
		free(line);
	}
	return 0;
}

static int ls_remote(const struct git_env *env, const char *url, struct git_refs *refs, char **head, const char *what,
		     struct lerr *err)
{
	const char *args[] = {"ls-remote", "--symref", "--", url, NULL};
	struct buf out = BUF_INIT(GIT_REFS_MAX);
	struct git_io io = {NULL, -1, -1, &out};
	int r = git_run(env, &io, args, what, err);

	if (r == 0)
		r = parse_refs(&out, refs, head, what, err);
	buf_free(&out);
	return r;
}

/* A name from lading.yaml as a full ref: "refs/…" as it is, else the branch or the tag of that name. */
static int resolve(const struct git_refs *upstream, const char *name, const char *what, char **full, struct lerr *err)
{
	char *branch, *tag;
	const struct git_ref_id *b, *t;

	if (strncmp(name, "refs/", 5) == 0) {
		if (refs_find(upstream->items, upstream->count, name) == NULL)
			return lerr_about(err, LADING_ERR_NOTFOUND, what, "ref '%s' is not upstream", name);
		*full = xstrdup(name);
		return 0;
	}
	branch = xasprintf("refs/heads/%s", name);
	tag = xasprintf("refs/tags/%s", name);
	b = refs_find(upstream->items, upstream->count, branch);
	t = refs_find(upstream->items, upstream->count, tag);
	if (b != NULL && t != NULL)
		lerr_about(err, LADING_ERR_USAGE, what, "'%s' is both a branch and a tag upstream: write %s or %s",
			   name, branch, tag);
	else if (b == NULL && t == NULL)
		lerr_about(err, LADING_ERR_NOTFOUND, what, "no branch or tag '%s' upstream", name);
	*full = b != NULL && t == NULL ? branch : t != NULL && b == NULL ? tag : NULL;
	if (*full != branch)
		free(branch);
	if (*full != tag)
		free(tag);
	return *full != NULL ? 0 : -1;
}

/* The refs to carry (with their upstream ids): the locked ones, the named ones, or every branch and tag. */
static int choose(const struct git_request *req, const struct git_refs *upstream, struct git_refs *carried,
		  const char *what, struct lerr *err)
{
	size_t i;

	if (req->locked != NULL) {
		for (i = 0; i < req->locked_count; i++) {
			const struct git_ref_id *l = &req->locked[i], *u;

			u = refs_find(upstream->items, upstream->count, l->ref);
			if (u == NULL || strcmp(u->id, l->id) != 0)
				return lerr_about(err, LADING_ERR_USAGE, what,
						  "ref %s: locked %s, upstream %s (run create without --locked to "
						  "take the new one)",
						  l->ref, l->id, u ? u->id : "has no such ref");
			refs_add(carried, l->ref, l->id);
		}
	} else if (req->ref_count > 0) {
		for (i = 0; i < req->ref_count; i++) {
			char *full = NULL;

			if (resolve(upstream, req->refs[i], what, &full, err) != 0)
				return -1;
			if (refs_find(carried->items, carried->count, full) == NULL)
				refs_add(carried, full, refs_find(upstream->items, upstream->count, full)->id);
			free(full);
		}
	} else {
		for (i = 0; i < upstream->count; i++)
			refs_add(carried, upstream->items[i].ref, upstream->items[i].id);
	}
	if (carried->count == 0)
		return lerr_about(err, LADING_ERR_NOTFOUND, what, "the repository has no branches or tags");
	qsort(carried->items, carried->count, sizeof(*carried->items), by_ref);
	return 0;
}

/* A bare repository made under a temporary name and renamed: a half-made mirror never has the final name. */
static int ensure_mirror(const struct git_env *env, const char *mirror, const char *what, struct lerr *err)
{
	char *tmp;
	const char *args[] = {"init", "--bare", "-q", "--", NULL, NULL};
	int r;

	if (fs_exists(mirror))
		return 0;
	tmp = xasprintf("%s.tmp.%ld", mirror, (long)getpid());
	args[4] = tmp;
	fs_remove_tree(tmp, NULL);
	r = git_run(env, &(struct git_io){NULL, -1, -1, NULL}, args, what, err);
	if (r == 0 && rename(tmp, mirror) != 0)
		r = lerr_sys(err, "%s: cannot rename '%s'", what, tmp);
	if (r != 0)
		fs_remove_tree(tmp, NULL);
	free(tmp);
	return r;
}

/* git fetch --prune of the carried refs (explicit refspecs, or every branch and tag), then their ids checked. */
static int fetch_mirror(const struct git_env *env, const char *mirror, const struct git_request *req,
			const struct git_refs *carried, const char *what, struct lerr *err)
{
	const char **args = xcalloc(carried->count + 12, sizeof(*args));
	char **specs = xcalloc(carried->count + 1, sizeof(*specs));
	struct buf out = BUF_INIT(GIT_REFS_MAX);
	struct git_refs have = {0};
	size_t n = 0, i;
	int r = -1;

	args[n++] = "fetch";
	args[n++] = "--prune";
	args[n++] = "--no-tags";
	args[n++] = "-q";
	args[n++] = "--";
	args[n++] = req->url;
	if (req->ref_count == 0 && req->locked == NULL) {
		args[n++] = "+refs/heads/*:refs/heads/*";
		args[n++] = "+refs/tags/*:refs/tags/*";
	} else {
		for (i = 0; i < carried->count; i++) {
			specs[i] = xasprintf("+%s:%s", carried->items[i].ref, carried->items[i].ref);
			args[n++] = specs[i];
		}
	}
	if (git_run(env, &(struct git_io){mirror, -1, -1, NULL}, args, what, err) != 0)
		goto out;
	if (git_run(env, &(struct git_io){mirror, -1, -1, &out},
		    (const char *[]){"for-each-ref", "--format=%(objectname)%09%(refname)", "refs/heads", "refs/tags",
				     NULL},
		    what, err) != 0 ||
	    parse_refs(&out, &have, NULL, what, err) != 0)
		goto out;
	for (i = 0; i < carried->count; i++) {
		const struct git_ref_id *h = refs_find(have.items, have.count, carried->items[i].ref);

		if (h == NULL || strcmp(h->id, carried->items[i].id) != 0) {
			lerr_about(err, LADING_ERR_NETWORK, what,
				   "ref %s moved upstream while it was fetched: run again", carried->items[i].ref);
			goto out;
		}
	}
	r = 0;
out:
	for (i = 0; i < carried->count; i++)
		free(specs[i]);
	free(specs);
	free(args);
	buf_free(&out);
	refs_free(&have);
	return r;
}

/* The bundle header (gitformat-bundle(5)): no prerequisites, the carried refs, HEAD when one of them. */
static void bundle_header(const struct git_refs *carried, const char *head, struct buf *out)
{
	const struct git_ref_id *h = head ? refs_find(carried->items, carried->count, head) : NULL;
	size_t i;

	if (strlen(carried->items[0].id) == GIT_OID_MAX)
		buf_puts(out, "# v3 git bundle\n@object-format=sha256\n");
	else
		buf_puts(out, "# v2 git bundle\n");
	for (i = 0; i < carried->count; i++)
		buf_printf(out, "%s %s\n", carried->items[i].id, carried->items[i].ref);
	if (h != NULL)
		buf_printf(out, "%s HEAD\n", h->id);
	buf_puts(out, "\n");
}

/* A temporary file in dir holding text, positioned at its start, unlinked at once (only the fd is needed). */
static int text_fd(const char *dir, const struct buf *text, int *fd, struct lerr *err)
{
	char *path = xasprintf("%s/.git-revs-XXXXXX", dir);

	*fd = mkstemp(path);
	if (*fd < 0) {
		lerr_sys(err, "cannot create a file in '%s'", dir);
		free(path);
		return -1;
	}
	unlink(path);
	free(path);
	if (fs_write_all(*fd, text->data, text->len, "git revisions", err) != 0 || lseek(*fd, 0, SEEK_SET) != 0) {
		close(*fd);
		return -1;
	}
	return 0;
}

/* Writes, verifies and stores the bundle; fills res->sha256 and res->size. */
static int write_bundle(const struct git_env *env, const char *store, const char *mirror,
			const struct git_refs *carried, struct git_result *res, const char *what, struct lerr *err)
{
	static const char *const pack[] = {
	    "pack-objects",	   "--revs", "--stdout", "--threads=1", "--no-reuse-delta", "--no-reuse-object",
	    "--delta-base-offset", "-q",     NULL};
	char *dir = xasprintf("%s/blobs/sha256", store), *tmp = xasprintf("%s/git-bundle.tmp.%ld", dir, (long)getpid()),
	     *final = NULL;
	struct buf header = BUF_INIT(0), revs = BUF_INIT(0);
	int fd = -1, revs_fd = -1, r = -1;
	size_t i;

	bundle_header(carried, res->head, &header);
	for (i = 0; i < carried->count; i++)
		buf_printf(&revs, "%s\n", carried->items[i].ref);
	if (fs_mkdir_p(dir, err) != 0 || text_fd(dir, &revs, &revs_fd, err) != 0)
		goto out;
	/* "<name>.tmp.<pid>": lib/leftover.c sweeps it once this process is gone (git_fetch_all). */
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		lerr_sys(err, "cannot create '%s'", tmp);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	/* pack-objects appends to the same open file, after the header. */
	if (fs_write_all(fd, header.data, header.len, tmp, err) != 0 ||
	    git_run(env, &(struct git_io){mirror, revs_fd, fd, NULL}, (const char *const *)pack, what, err) != 0)
		goto out;
	if (fsync(fd) != 0) {
		lerr_sys(err, "cannot write '%s'", tmp);
		goto out;
	}
	if (git_run(env, &(struct git_io){mirror, -1, -1, NULL},
		    (const char *[]){"bundle", "verify", "-q", "--", tmp, NULL}, what, err) != 0 ||
	    sha256_file(tmp, res->sha256, &res->size, err) != 0)
		goto out;
	final = urlstore_path(store, res->sha256);
	if (rename(tmp, final) != 0) {
		lerr_sys(err, "cannot rename '%s' to '%s'", tmp, final);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	r = 0;
out:
	if (tmp != NULL)
		unlink(tmp);
	if (fd >= 0)
		close(fd);
	if (revs_fd >= 0)
		close(revs_fd);
	buf_free(&header);
	buf_free(&revs);
	free(tmp);
	free(final);
	free(dir);
	return r;
}

/* The store already has the locked bundle and upstream still has the locked ids: nothing to fetch. */
static int reuse_locked(const char *store, const struct git_request *req, struct git_result *res)
{
	char *path;
	struct stat st;
	int ok;

	if (req->locked == NULL || req->locked_sha256 == NULL || !hex_is_sha256(req->locked_sha256))
		return 0;
	path = urlstore_path(store, req->locked_sha256);
	ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	if (!ok)
		return 0;
	snprintf(res->sha256, sizeof(res->sha256), "%s", req->locked_sha256);
	res->size = (uint64_t)st.st_size;
	return 1;
}

/* The registries: entry of url's host[:port] (http and https only), or NULL. */
static const struct host_config *url_host(const struct host_set *registries, const char *url)
{
	const char *start = strstr(url, "://"), *end, *at;
	const struct host_config *found;
	char *host;

	if (registries == NULL || start == NULL || strncmp(url, "http", 4) != 0)
		return NULL;
	start += 3;
	end = start + strcspn(start, "/?#");
	at = memchr(start, '@', (size_t)(end - start));
	if (at != NULL)
		start = at + 1;
	host = xstrndup(start, (size_t)(end - start));
	found = host_set_find(registries, host);
	free(host);
	return found;
}

/* The base environment with the TLS settings and credentials registries: gives url's host. */
static int request_env(const struct git_fetch_opts *opts, const struct git_env *base, const char *url,
		       struct git_env *env, struct lerr *err)
{
	const struct host_config *hc = url_host(opts->registries, url);
	char *dir;
	int r = 0;

	git_env_copy(env, base);
	if (hc == NULL)
		return 0;
	git_env_tls(env, hc->ca_file, hc->insecure_skip_verify);
	if (hc->username != NULL) {
		dir = xasprintf("%s/git/home", opts->store_dir);
		r = git_env_credentials(env, dir, hc->username, hc->password, err);
		free(dir);
	}
	return r;
}

static int fetch_one(const struct git_fetch_opts *opts, const struct git_env *base, const struct git_request *req,
		     struct git_result *res, struct lerr *err)
{
	struct git_env env_copy = {0}, *env = &env_copy;
	char *what = xasprintf("git repository '%s' (%s)", req->name, req->url), *mirror = NULL, *head = NULL;
	char hex[SHA256_HEX_LEN + 1];
	struct git_refs upstream = {0}, carried = {0};
	int r = -1;

	log_msg(opts->lg, LOG_VERBOSE, "%s", what);
	if (request_env(opts, base, req->url, env, err) != 0)
		goto out;
	res->url = xstrdup(req->url);
	res->name = xstrdup(req->name);
	if (ls_remote(env, req->url, &upstream, &head, what, err) != 0 ||
	    choose(req, &upstream, &carried, what, err) != 0)
		goto out;
	/* Locked: HEAD as locked too, since it is part of the bundle's bytes. */
	if (req->locked != NULL) {
		free(head);
		head = req->locked_head ? xstrdup(req->locked_head) : NULL;
	}
	if (head != NULL && refs_find(carried.items, carried.count, head) != NULL)
		res->head = xstrdup(head);
	if (!reuse_locked(opts->store_dir, req, res)) {
		sha256_hex(req->url, strlen(req->url), hex);
		mirror = xasprintf("%s/git/%s.git", opts->store_dir, hex);
		if (ensure_mirror(env, mirror, what, err) != 0 ||
		    fetch_mirror(env, mirror, req, &carried, what, err) != 0 ||
		    write_bundle(env, opts->store_dir, mirror, &carried, res, what, err) != 0)
			goto out;
		if (req->locked_sha256 != NULL && strcmp(req->locked_sha256, res->sha256) != 0) {
			lerr_about(err, LADING_ERR_SIGNATURE, what,
				   "the rebuilt bundle is sha256:%s, lading.lock has sha256:%s (another git version "
				   "packs differently?): run create without --locked to lock this one",
				   res->sha256, req->locked_sha256);
			goto out;
		}
	}
	res->refs = carried.items;
	res->ref_count = carried.count;
	carried.items = NULL;
	carried.count = 0;
	r = 0;
out:
	refs_free(&upstream);
	refs_free(&carried);
	git_env_free(&env_copy);
	free(head);
	free(mirror);
	free(what);
	return r;
}

int git_fetch_all(const struct git_fetch_opts *opts, const struct git_request *reqs, size_t count,
		  struct git_result **results, struct lerr *err)
{
	struct git_result *res = xcalloc(count + 1, sizeof(*res));
	struct git_env env = {0};
	char *home = xasprintf("%s/git/home", opts->store_dir), *blobs = xasprintf("%s/blobs/sha256", opts->store_dir);
	size_t i;
	int r = -1;

	if (count == 0) {
		*results = res;
		free(home);
		free(blobs);
		return 0;
	}
	if (fs_mkdir_p(home, err) != 0 || git_env_init(&env, home, err) != 0)
		goto out;
	leftover_sweep(blobs, leftover_match_tmp, "git-bundle", "git bundle", opts->lg, NULL);
	for (i = 0; i < count; i++)
		if (fetch_one(opts, &env, &reqs[i], &res[i], err) != 0)
			goto out;
	*results = res;
	res = NULL;
	r = 0;
out:
	git_results_free(res, count);
	git_env_free(&env);
	free(home);
	free(blobs);
	return r;
}

/* The commit rev names in mirror ("<id>^{commit}" peels a tag); 0 with commit filled, -1 when there is none. */
static int commit_of(const struct git_env *env, const char *mirror, const char *rev, char commit[GIT_OID_MAX + 1],
		     const char *what, struct lerr *err)
{
	struct buf out = BUF_INIT(4096);
	char *spec = xasprintf("%s^{commit}", rev);
	struct lerr quiet = {0};
	size_t len;
	int r = -1;

	if (git_run(env, &(struct git_io){mirror, -1, -1, &out},
		    (const char *[]){"rev-parse", "-q", "--verify", "--end-of-options", spec, NULL}, what,
		    &quiet) != 0) {
		lerr_about(err, LADING_ERR_NOTFOUND, what, "commit %s is on no branch or tag upstream", rev);
		goto out;
	}
	len = out.len;
	while (len > 0 && (out.data[len - 1] == '\n' || out.data[len - 1] == '\r'))
		len--;
	if (!oid_ok(out.data, len) || len > GIT_OID_MAX) {
		lerr_about(err, LADING_ERR_FORMAT, what, "git printed an object id that is not one");
		goto out;
	}
	memcpy(commit, out.data, len);
	commit[len] = '\0';
	r = 0;
out:
	buf_free(&out);
	free(spec);
	return r;
}

/* git archive --format=tar of commit into a temporary file of the store; *path only on success. */
static int archive_commit(const struct git_env *env, const char *store, const char *mirror, const char *commit,
			  const char *what, char **path, struct lerr *err)
{
	char *tmp = xasprintf("%s/blobs/sha256/git-archive.tmp.%ld", store, (long)getpid());
	int fd, r = -1;

	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		lerr_sys(err, "cannot create '%s'", tmp);
		free(tmp);
		return -1;
	}
	if (git_run(env, &(struct git_io){mirror, -1, fd, NULL},
		    (const char *[]){"archive", "--format=tar", commit, NULL}, what, err) != 0)
		goto out;
	if (fsync(fd) != 0) {
		lerr_sys(err, "cannot write '%s'", tmp);
		goto out;
	}
	r = 0;
out:
	close(fd);
	if (r != 0) {
		unlink(tmp);
		free(tmp);
		tmp = NULL;
	}
	*path = tmp;
	return r;
}

/* The refs to fetch for a module's ref: the one branch or tag it names, or all of them for a commit id. */
static int module_refs(const struct git_refs *upstream, const char *ref, const char *head, const char *what,
		       struct git_refs *carried, char **full, struct lerr *err)
{
	size_t i;

	if (ref != NULL && oid_ok(ref, strlen(ref))) {
		for (i = 0; i < upstream->count; i++)
			refs_add(carried, upstream->items[i].ref, upstream->items[i].id);
		return 0;
	}
	if (ref == NULL && head == NULL)
		return lerr_about(err, LADING_ERR_NOTFOUND, what,
				  "upstream HEAD names no branch: give the location a ?ref=");
	if (resolve(upstream, ref != NULL ? ref : head, what, full, err) != 0)
		return -1;
	refs_add(carried, *full, refs_find(upstream->items, upstream->count, *full)->id);
	return 0;
}

int git_module_tree(void *ctx, const char *url, const char *ref, const char *locked_commit, const char *what,
		    char commit[GIT_OID_MAX + 1], char **tar_path, struct lerr *err)
{
	const struct git_fetch_opts *opts = ctx;
	struct git_env base = {0}, env = {0};
	struct git_refs upstream = {0}, carried = {0};
	char *home = xasprintf("%s/git/home", opts->store_dir), *blobs = xasprintf("%s/blobs/sha256", opts->store_dir);
	char *head = NULL, *full = NULL, *mirror = NULL, hex[SHA256_HEX_LEN + 1];
	const char *names[1];
	struct git_request req = {.url = url, .name = what, .refs = names};
	int r = -1;

	if (fs_mkdir_p(home, err) != 0 || fs_mkdir_p(blobs, err) != 0 || git_env_init(&base, home, err) != 0 ||
	    request_env(opts, &base, url, &env, err) != 0)
		goto out;
	leftover_sweep(blobs, leftover_match_tmp, "git-archive", "git archive", opts->lg, NULL);
	if (ls_remote(&env, url, &upstream, &head, what, err) != 0 ||
	    module_refs(&upstream, ref, head, what, &carried, &full, err) != 0)
		goto out;
	/* One explicit refspec for a branch or tag; every branch and tag for a commit id. */
	names[0] = full;
	req.ref_count = full != NULL ? 1 : 0;
	sha256_hex(url, strlen(url), hex);
	mirror = xasprintf("%s/git/%s.git", opts->store_dir, hex);
	if (ensure_mirror(&env, mirror, what, err) != 0 || fetch_mirror(&env, mirror, &req, &carried, what, err) != 0 ||
	    commit_of(&env, mirror, full != NULL ? full : ref, commit, what, err) != 0)
		goto out;
	if (locked_commit != NULL && strcmp(commit, locked_commit) != 0) {
		lerr_about(err, LADING_ERR_USAGE, what,
			   "ref %s: locked %s, upstream %s (run create without --locked to take the new one)",
			   ref != NULL ? ref : "HEAD", locked_commit, commit);
		goto out;
	}
	r = archive_commit(&env, opts->store_dir, mirror, commit, what, tar_path, err);
out:
	refs_free(&upstream);
	refs_free(&carried);
	git_env_free(&env);
	git_env_free(&base);
	free(head);
	free(full);
	free(mirror);
	free(home);
	free(blobs);
	return r;
}

void git_result_clear(struct git_result *res)
{
	size_t j;

	for (j = 0; j < res->ref_count; j++)
		free(res->refs[j].ref);
	free(res->refs);
	free(res->url);
	free(res->name);
	free(res->head);
	memset(res, 0, sizeof(*res));
}

void git_results_free(struct git_result *results, size_t count)
{
	size_t i;

	if (results == NULL)
		return;
	for (i = 0; i < count; i++)
		git_result_clear(&results[i]);
	free(results);
}

char *git_row_ref(const struct git_result *res)
{
	struct buf out = BUF_INIT(0);
	size_t i;

	buf_puts(&out, res->url);
	if (res->head != NULL)
		buf_printf(&out, " HEAD=%s", res->head);
	for (i = 0; i < res->ref_count; i++)
		buf_printf(&out, " %s=%s", res->refs[i].ref, res->refs[i].id);
	return out.data;
}

int git_row_parse(const char *ref, struct git_result *res, struct lerr *err)
{
	char *copy = xstrdup(ref), *save = NULL, *word;
	struct git_refs refs = {0};
	struct git_result out = {0};

	for (word = strtok_r(copy, " ", &save); word != NULL; word = strtok_r(NULL, " ", &save)) {
		char *eq = strrchr(word, '=');

		if (out.url == NULL) {
			out.url = xstrdup(word);
			continue;
		}
		if (eq == NULL)
			break;
		*eq = '\0';
		if (strcmp(word, "HEAD") == 0) {
			free(out.head);
			out.head = xstrdup(eq + 1);
		} else if (strncmp(word, "refs/", 5) == 0 && oid_ok(eq + 1, strlen(eq + 1))) {
			refs_add(&refs, word, eq + 1);
		} else {
			break;
		}
	}
	free(copy);
	if (word != NULL || out.url == NULL || refs.count == 0) {
		refs_free(&refs);
		free(out.url);
		free(out.head);
		return lerr_set(err, LADING_ERR_FORMAT, "git row '%.80s': not 'URL REF=ID…'", ref);
	}
	out.refs = refs.items;
	out.ref_count = refs.count;
	*res = out;
	return 0;
}
