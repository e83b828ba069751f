/*
 * One apt source fetched as its nodes' apt will fetch it: InRelease verified
 * with gpgv, then only what that signed text lists (the index apt asks for
 * first, every .deb by its signed hash), so the upstream signature still
 * covers every byte the bundle carries.
 */
#include <archive.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/hostcfg.h"
#include "lib/http.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"
#include "packages/apt.h"
#include "packages/baseline.h"
#include "packages/debs.h"
#include "packages/gpgv.h"
#include "packages/index.h"
#include "packages/release.h"
#include "packages/resolve.h"

#define INRELEASE_MAX (64u * 1024 * 1024)
#define INDEX_CHUNK (64u * 1024)

struct source_ctx {
	const struct apt_fetch_opts *opts;
	const struct apt_source_request *req;
	const char *name;
	struct http_session *http;
	struct host_tls_ctx tls;
	char *tmp_dir;
	char *release_dir; /* "dists/bookworm", "" or "dir" for a flat repository */
	struct release rel;
	struct apt_index idx;
	struct apt_file *files;
	size_t file_count;
	const char **archs; /* the request's architectures, plus "all" when apt fetches binary-all */
	size_t arch_count;
};

/* A path of the release directory relative to the archive root; newly allocated. */
static char *release_path(const struct source_ctx *x, const char *rel)
{
	return *x->release_dir ? xasprintf("%s/%s", x->release_dir, rel) : xstrdup(rel);
}

static char *archive_url(const struct source_ctx *x, const char *path)
{
	return xasprintf("%s/%s", x->req->url, path);
}

static void add_file(struct source_ctx *x, const char *path, const char *hex, uint64_t size)
{
	struct apt_file *f;

	x->files = grow_array(x->files, x->file_count, sizeof(*x->files));
	f = &x->files[x->file_count++];
	f->path = xstrdup(path);
	memcpy(f->sha256, hex, sizeof(f->sha256));
	f->size = size;
}

/* A flat repository's suite ("dir/", "/", "./") as a directory below the root, without slashes. */
static char *flat_dir(const char *suite)
{
	size_t len;

	while (suite[0] == '.' && suite[1] == '/')
		suite += 2;
	while (*suite == '/')
		suite++;
	len = strlen(suite);
	while (len > 0 && suite[len - 1] == '/')
		len--;
	return xstrndup(suite, len);
}

static void warn_expired(const struct source_ctx *x)
{
	time_t until;

	if (x->rel.valid_until == NULL)
		return;
	if (release_date_parse(x->rel.valid_until, &until) != 0)
		log_msg(x->opts->lg, LOG_WARN, "%s: InRelease: cannot read Valid-Until '%s'", x->name,
			x->rel.valid_until);
	else if (until < time(NULL))
		/* The bundle is a snapshot: nodes read it with Check-Valid-Until off, so this is no refusal. */
		log_msg(x->opts->lg, LOG_WARN, "%s: InRelease expired (Valid-Until: %s); fetched all the same", x->name,
			x->rel.valid_until);
}

/* Steps 1-2: InRelease into the store, verified, its signed text parsed. */
static int fetch_release(struct source_ctx *x, struct lerr *err)
{
	char *path = release_path(x, "InRelease");
	char *url = archive_url(x, path);
	char *what = xasprintf("%s: %s", x->name, url);
	char *stored = NULL, *text_path = xasprintf("%s/Release", x->tmp_dir);
	/* An empty LADING_GPGV turns provider checks off; an apt archive is never taken unverified. */
	char *gpgv = x->opts->gpgv != NULL && *x->opts->gpgv ? xstrdup(x->opts->gpgv) : fs_which("gpgv");
	struct buf text = BUF_INIT(INRELEASE_MAX);
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	int r = -1;

	if (gpgv == NULL) {
		lerr_set(err, LADING_ERR_SYSTEM, "%s: gpgv is not installed (Debian package gpgv)", x->name);
		goto out;
	}
	if (urlstore_fetch(x->http, url, x->opts->store_dir, NULL, INRELEASE_MAX, what, hex, &size, err) != 0) {
		if (err->code == LADING_ERR_NOTFOUND)
			lerr_about(err, LADING_ERR_SIGNATURE, x->name,
				   "%s: not found; lading needs a signed InRelease (Release + Release.gpg alone is not "
				   "supported)",
				   url);
		goto out;
	}
	stored = urlstore_path(x->opts->store_dir, hex);
	if (apt_gpgv_verify(gpgv, x->req->keyring, stored, text_path, x->tmp_dir, what, err) != 0)
		goto out;
	if (fs_read_file(text_path, &text, err) != 0 ||
	    release_parse(path, text.data != NULL ? text.data : "", text.len, &x->rel, err) != 0) {
		lerr_name(err, "%s", x->name);
		goto out;
	}
	add_file(x, path, hex, size);
	warn_expired(x);
	r = 0;
out:
	unlink(text_path);
	buf_free(&text);
	free(gpgv);
	free(stored);
	free(text_path);
	free(what);
	free(url);
	free(path);
	return r;
}

struct index_reader {
	struct archive *a;
	const char *what;
};

static long read_index(void *arg, char *data, size_t len, struct lerr *err)
{
	struct index_reader *rd = arg;
	la_ssize_t got = archive_read_data(rd->a, data, len);

	if (got < 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: cannot decompress: %s", rd->what,
				archive_error_string(rd->a));
	return (long)got;
}

/* Decompresses a stored index (any compression libarchive reads) into the index, streaming. */
static int load_index(struct source_ctx *x, const char *stored, const char *what, struct lerr *err)
{
	struct index_reader rd = {archive_read_new(), what};
	struct archive_entry *entry;
	int rc, r = -1;

	if (rd.a == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: out of memory", what);
	if (archive_read_support_filter_all(rd.a) < ARCHIVE_WARN ||
	    archive_read_support_format_raw(rd.a) != ARCHIVE_OK ||
	    archive_read_open_filename(rd.a, stored, INDEX_CHUNK) != ARCHIVE_OK) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: cannot open: %s", what, archive_error_string(rd.a));
		goto out;
	}
	rc = archive_read_next_header(rd.a, &entry);
	if (rc == ARCHIVE_EOF) {
		r = 0; /* an empty index: no packages */
		goto out;
	}
	if (rc < ARCHIVE_WARN) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: cannot decompress: %s", what, archive_error_string(rd.a));
		goto out;
	}
	r = apt_index_load(&x->idx, read_index, &rd, what, x->archs, x->arch_count, err);
out:
	archive_read_free(rd.a);
	return r;
}

/*
 * Step 3: one index (base without compression suffix, relative to the release
 * directory), by the hash InRelease lists for it. The form apt asks for first
 * is tried first; on 404 the next listed one, as apt does, so the bundle
 * carries the form a node's apt ends up with. load: a Packages index to read.
 */
static int fetch_index(struct source_ctx *x, const char *base, int load, struct lerr *err)
{
	const struct release_file *f;
	char *path = NULL, *url = NULL, *what = NULL, *stored = NULL;
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	size_t next = 0;
	int r = -1, fetched = -1;

	while (fetched != 0 && (f = release_pick_index(&x->rel, base, &next)) != NULL) {
		free(path);
		free(url);
		free(what);
		path = release_path(x, f->path);
		url = archive_url(x, path);
		what = xasprintf("%s: %s", x->name, path);
		fetched = urlstore_fetch(x->http, url, x->opts->store_dir, f->sha256, f->size, what, hex, &size, err);
		if (fetched != 0 && err->code != LADING_ERR_NOTFOUND)
			break;
		if (fetched != 0)
			log_msg(x->opts->lg, LOG_VERBOSE, "%s: not served, trying the next form InRelease lists", what);
	}
	if (fetched != 0) {
		if (path == NULL) {
			char *missing = release_path(x, base);

			lerr_about(err, LADING_ERR_FORMAT, x->name, "InRelease lists no %s (plain or compressed)",
				   missing);
			free(missing);
		} else if (err->code == LADING_ERR_LIMIT) {
			lerr_recode(err, LADING_ERR_SIGNATURE);
		}
		goto out;
	}
	log_msg(x->opts->lg, LOG_VERBOSE, "%s: sha256 %s as InRelease lists", what, hex);
	stored = urlstore_path(x->opts->store_dir, hex);
	if (load && load_index(x, stored, path, err) != 0) {
		lerr_name(err, "%s", x->name);
		goto out;
	}
	add_file(x, path, hex, size);
	r = 0;
out:
	free(stored);
	free(what);
	free(url);
	free(path);
	return r;
}

/*
 * A component's i18n/Translation-en, when InRelease lists it: apt on a node
 * asks for it by default (Acquire::Languages has "en" whatever the locale) and
 * `apt-get update` fails when a listed index is missing (checked with apt 2.6).
 * A mirror that lists it but serves no form of it only gets a warning: the
 * packages do not need it, and nodes then need Acquire::Languages "none".
 */
static int fetch_translation(struct source_ctx *x, const char *component, struct lerr *err)
{
	char *base = xasprintf("%s/i18n/Translation-en", component);
	size_t next = 0;
	int r = 0;

	if (release_pick_index(&x->rel, base, &next) != NULL)
		r = fetch_index(x, base, 0, err);
	if (r != 0 && err->code == LADING_ERR_NOTFOUND) {
		log_msg(
		    x->opts->lg, LOG_WARN,
		    "%s: %s is listed in InRelease but not served; nodes need Acquire::Languages \"none\" to update "
		    "without it",
		    x->name, base);
		r = 0;
	}
	free(base);
	return r;
}

static int has_arch(const struct source_ctx *x, const char *arch)
{
	size_t i;

	for (i = 0; i < x->arch_count; i++)
		if (strcmp(x->archs[i], arch) == 0)
			return 1;
	return 0;
}

static int fetch_indexes(struct source_ctx *x, struct lerr *err)
{
	const struct apt_source_request *req = x->req;
	size_t c, a;

	if (req->architecture_count == 0)
		return lerr_about(err, LADING_ERR_USAGE, x->name, "no architecture given");
	x->archs = xcalloc(req->architecture_count + 1, sizeof(*x->archs));
	for (a = 0; a < req->architecture_count; a++) {
		if (req->component_count > 0 && !release_has_architecture(&x->rel, req->architectures[a]))
			return lerr_about(err, LADING_ERR_USAGE, x->name, "InRelease has no architecture '%s'",
					  req->architectures[a]);
		if (!has_arch(x, req->architectures[a]))
			x->archs[x->arch_count++] = req->architectures[a];
	}
	/* apt fetches binary-all when Release lists "all", unless Packages carry it (debmetaindex.cc). */
	if (req->component_count > 0 && x->rel.architectures != NULL && release_has_architecture(&x->rel, "all") &&
	    !x->rel.no_arch_all_packages && !has_arch(x, "all"))
		x->archs[x->arch_count++] = "all";
	if (req->component_count == 0)
		return fetch_index(x, "Packages", 1, err);
	for (c = 0; c < req->component_count; c++) {
		if (!release_has_component(&x->rel, req->components[c]))
			return lerr_about(err, LADING_ERR_USAGE, x->name, "InRelease has no component '%s'",
					  req->components[c]);
		for (a = 0; a < x->arch_count; a++) {
			char *base = xasprintf("%s/binary-%s/Packages", req->components[c], x->archs[a]);
			int r = fetch_index(x, base, 1, err);

			free(base);
			if (r != 0)
				return -1;
		}
		if (fetch_translation(x, req->components[c], err) != 0)
			return -1;
	}
	return 0;
}

/* Step 4 with pins: exactly the pinned packages, each still in the archive with its hash. */
static int find_pins(struct source_ctx *x, const struct apt_pkg ***out, size_t *count, struct lerr *err)
{
	const struct apt_pkg **chosen = xcalloc(x->req->pin_count + 1, sizeof(*chosen));
	size_t i, j;

	for (i = 0; i < x->req->pin_count; i++) {
		const struct apt_pin *pin = &x->req->pins[i];
		size_t n = 0;
		const struct apt_pkg *const *found = apt_index_find(&x->idx, pin->name, &n);
		const struct apt_pkg *match = NULL;

		for (j = 0; j < n && match == NULL; j++)
			if (strcmp(found[j]->version, pin->version) == 0 && strcmp(found[j]->arch, pin->arch) == 0)
				match = found[j];
		if (match == NULL || match->sha256 == NULL || strcasecmp(match->sha256, pin->sha256) != 0) {
			lerr_about(err, match == NULL ? LADING_ERR_NOTFOUND : LADING_ERR_SIGNATURE, x->name,
				   "%s %s (%s) pinned by lading.lock %s; the archive changed since lading.lock was "
				   "written; run create without --locked",
				   pin->name, pin->version, pin->arch,
				   match == NULL ? "is not in the archive" : "has another sha256 there");
			free(chosen);
			return -1;
		}
		chosen[i] = match;
	}
	*out = chosen;
	*count = x->req->pin_count;
	return 0;
}

static int choose(struct source_ctx *x, const struct apt_pkg ***chosen, size_t *count, struct lerr *err)
{
	struct apt_baseline base;
	int r;

	if (x->req->pin_count > 0)
		return find_pins(x, chosen, count, err);
	apt_baseline_init(&base);
	if (x->req->baseline != NULL)
		r = apt_baseline_load(&base, x->req->baseline, err);
	else {
		apt_baseline_required(&base, &x->idx);
		r = 0;
	}
	if (r == 0)
		r = apt_resolve(&x->idx, &base, x->req->install, x->req->install_count, x->name, chosen, count, err);
	apt_baseline_free(&base);
	return r;
}

static void free_packages(struct apt_package *pkgs, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(pkgs[i].name);
		free(pkgs[i].version);
		free(pkgs[i].arch);
		free(pkgs[i].filename);
	}
	free(pkgs);
}

static int by_name(const void *a, const void *b)
{
	const struct apt_package *pa = a, *pb = b;
	int c = strcmp(pa->name, pb->name);

	return c != 0 ? c : strcmp(pa->arch, pb->arch);
}

/* Step 5: the chosen stanzas as result packages, each with a safe Filename and a signed sha256. */
static int to_packages(struct source_ctx *x, const struct apt_pkg **chosen, size_t count, struct apt_package **out,
		       struct lerr *err)
{
	struct apt_package *pkgs = xcalloc(count + 1, sizeof(*pkgs));
	size_t i, j;

	for (i = 0; i < count; i++) {
		const struct apt_pkg *p = chosen[i];

		if (p->filename == NULL || !apt_filename_safe(p->filename)) {
			lerr_about(err, LADING_ERR_FORMAT, x->name,
				   "package %s %s: Filename '%s' is not a safe path below the archive root", p->name,
				   p->version, p->filename != NULL ? p->filename : "");
			goto fail;
		}
		if (p->sha256 == NULL || strlen(p->sha256) != SHA256_HEX_LEN) {
			lerr_about(err, LADING_ERR_FORMAT, x->name,
				   "package %s %s: no SHA256 in its Packages entry; apt would refuse it", p->name,
				   p->version);
			goto fail;
		}
		pkgs[i].name = xstrdup(p->name);
		pkgs[i].version = xstrdup(p->version);
		pkgs[i].arch = xstrdup(p->arch);
		pkgs[i].filename = xstrdup(p->filename);
		for (j = 0; j < SHA256_HEX_LEN; j++)
			pkgs[i].sha256[j] = (char)tolower((unsigned char)p->sha256[j]);
		pkgs[i].size = p->size;
		if (!hex_is_sha256(pkgs[i].sha256)) {
			lerr_about(err, LADING_ERR_FORMAT, x->name, "package %s %s: SHA256 '%s' is not a sha256",
				   p->name, p->version, p->sha256);
			i++;
			goto fail;
		}
	}
	qsort(pkgs, count, sizeof(*pkgs), by_name);
	*out = pkgs;
	return 0;
fail:
	free_packages(pkgs, i);
	return -1;
}

static int make_tmp_dir(struct source_ctx *x, struct lerr *err)
{
	char *dir = xasprintf("%s/blobs", x->opts->store_dir);

	if (fs_mkdir_p(dir, err) != 0) {
		free(dir);
		return -1;
	}
	free(dir);
	x->tmp_dir = xasprintf("%s/.apt-XXXXXX", x->opts->store_dir);
	if (mkdtemp(x->tmp_dir) == NULL) {
		lerr_sys(err, "cannot create a directory in '%s'", x->opts->store_dir);
		free(x->tmp_dir);
		x->tmp_dir = NULL;
		return -1;
	}
	return 0;
}

int apt_source_fetch(const struct apt_fetch_opts *opts, const struct apt_source_request *req,
		     struct apt_source_result *out, struct lerr *err)
{
	struct source_ctx x = {0};
	const struct apt_pkg **chosen = NULL;
	struct apt_package *pkgs = NULL;
	size_t count = 0, i;
	int r = -1;

	x.opts = opts;
	x.req = req;
	x.name = req->name != NULL ? req->name : req->url;
	apt_index_init(&x.idx);
	x.release_dir = req->component_count > 0 ? xasprintf("dists/%s", req->suite) : flat_dir(req->suite);
	x.http = http_session_new(opts->lg);
	x.tls.registries = opts->registries;
	http_session_set_tls(x.http, host_tls_lookup, &x.tls);
	if (make_tmp_dir(&x, err) != 0 || fetch_release(&x, err) != 0 || fetch_indexes(&x, err) != 0 ||
	    choose(&x, &chosen, &count, err) != 0 || to_packages(&x, chosen, count, &pkgs, err) != 0)
		goto out;
	log_msg(opts->lg, LOG_VERBOSE, "%s: %zu packages to bring", x.name, count);
	if (opts->download) {
		if (apt_debs_fetch(opts, x.name, req->url, pkgs, count, err) != 0)
			goto out;
		for (i = 0; i < count; i++)
			add_file(&x, pkgs[i].filename, pkgs[i].sha256, pkgs[i].size);
	}
	memset(out, 0, sizeof(*out));
	out->files = x.files;
	out->file_count = x.file_count;
	out->packages = pkgs;
	out->package_count = count;
	out->valid_until = x.rel.valid_until;
	x.rel.valid_until = NULL;
	x.files = NULL;
	x.file_count = 0;
	pkgs = NULL;
	r = 0;
out:
	if (pkgs != NULL)
		free_packages(pkgs, count);
	free(chosen);
	for (i = 0; i < x.file_count; i++)
		free(x.files[i].path);
	free(x.files);
	free(x.archs);
	apt_index_free(&x.idx);
	release_free(&x.rel);
	http_session_free(x.http);
	if (x.tmp_dir != NULL) {
		struct lerr ignored;

		fs_remove_tree(x.tmp_dir, &ignored);
		free(x.tmp_dir);
	}
	free(x.release_dir);
	return r;
}

void apt_source_result_free(struct apt_source_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->file_count; i++)
		free(res->files[i].path);
	free(res->files);
	free_packages(res->packages, res->package_count);
	free(res->valid_until);
	memset(res, 0, sizeof(*res));
}
