/* Cutting a bundle into volumes (split.h). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/format/volume.h"
#include "bundle/format/writer.h"
#include "bundle/split.h"
#include "lib/digest.h"
#include "lib/xmalloc.h"

#define COPY_BUF (256u << 10)

struct split {
	struct bundle_reader *r;
	const struct bundle_manifest *m;
	const char *json, *sig;
	size_t json_len, sig_len;
	char *buf;
	const struct bundle_entry *current; /* the entry being copied (a cut one spans volumes) */
	const struct bundle_split_opts *opts;
};

char *bundle_split_set_name(const char *path)
{
	char *copy = xstrdup(path), *name = xstrdup(basename(copy));
	size_t len = strlen(name);

	if (len > 8 && strcmp(name + len - 8, ".tar.zst") == 0)
		name[len - 8] = '\0';
	else if (len > 5 && strcmp(name + len - 5, ".tzst") == 0)
		name[len - 5] = '\0';
	free(copy);
	return name;
}

/* Moves the reader to the entry the item holds (the next file entry in tar order). */
static int reach_entry(struct split *s, const struct bundle_volume_item *it, struct lerr *err)
{
	const struct bundle_entry *row;
	const char *name;
	int rc;

	while ((rc = bundle_reader_next(s->r, &row, &name, err)) == 1)
		if (row != NULL)
			break;
	if (rc < 0)
		return -1;
	if (rc == 0 || strcmp(row->path, it->path) != 0)
		return lerr_set(
		    err, LADING_ERR_FORMAT,
		    "%s: the entries are not in %s's order (%s came where %s was planned): was it written by "
		    "lading?",
		    bundle_reader_manifest(s->r) == NULL ? "" : "bundle", BUNDLE_MANIFEST_NAME,
		    rc == 0 ? "the end" : row->path, it->path);
	s->current = row;
	return 0;
}

/* Copies size bytes of the current entry to t (NULL: read and check only). */
static int copy_bytes(struct split *s, struct bundle_tar_out *t, const char *name, uint64_t size, struct lerr *err)
{
	while (size > 0) {
		size_t want = size < COPY_BUF ? (size_t)size : COPY_BUF;
		ssize_t got = bundle_reader_read(s->r, s->buf, want, err);

		if (got < 0)
			return -1;
		if (got == 0)
			return lerr_set(err, LADING_ERR_FORMAT, "%s: ends early", name);
		if (t != NULL && bundle_tar_out_data(t, name, s->buf, (size_t)got, err) != 0)
			return -1;
		size -= (uint64_t)got;
	}
	return 0;
}

/* The entry's end: reading once more checks its size and sha256 before the volume may be kept. */
static int check_entry_end(struct split *s, struct lerr *err)
{
	ssize_t got = bundle_reader_read(s->r, s->buf, COPY_BUF, err);

	if (got < 0)
		return -1;
	if (got > 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: longer than planned", s->current->path);
	return 0;
}

/* One item into t (or only read and checked when the volume is kept). */
static int copy_item(struct split *s, struct bundle_tar_out *t, const struct bundle_volume_item *it, struct lerr *err)
{
	if ((it->part <= 1 && reach_entry(s, it, err) != 0) ||
	    (t != NULL && bundle_tar_out_file(t, it->name, it->size, err) != 0) ||
	    copy_bytes(s, t, it->name, it->size, err) != 0)
		return -1;
	return it->part == it->parts ? check_entry_end(s, err) : 0;
}

static int write_head(struct split *s, struct bundle_tar_out *t, const struct bundle_volume *v, struct lerr *err)
{
	char *vjson = NULL;
	size_t vlen = 0;
	int r = -1;

	if (bundle_volume_to_json(v, &vjson, &vlen, err) != 0)
		return -1;
	if (bundle_tar_out_file(t, BUNDLE_MANIFEST_NAME, s->json_len, err) == 0 &&
	    bundle_tar_out_data(t, BUNDLE_MANIFEST_NAME, s->json, s->json_len, err) == 0 &&
	    (s->sig == NULL || (bundle_tar_out_file(t, BUNDLE_SIGNATURE_NAME, s->sig_len, err) == 0 &&
				bundle_tar_out_data(t, BUNDLE_SIGNATURE_NAME, s->sig, s->sig_len, err) == 0)) &&
	    bundle_tar_out_file(t, BUNDLE_VOLUME_NAME, vlen, err) == 0 &&
	    bundle_tar_out_data(t, BUNDLE_VOLUME_NAME, vjson, vlen, err) == 0 && bundle_tar_out_end_frame(t, err) == 0)
		r = 0;
	free(vjson);
	return r;
}

/* A volume a killed run finished: same head, same number, same cut. */
static int already_there(const char *file, const struct bundle_volume *v)
{
	struct bundle_reader *r = NULL;
	const struct bundle_volume *have;
	struct lerr err;
	int same = 0;

	if (access(file, F_OK) != 0 || bundle_reader_open_volume(&r, file, &err) != 0)
		return 0;
	have = bundle_reader_volume(r);
	same = have != NULL && strcmp(have->lading_json, v->lading_json) == 0 && have->number == v->number &&
	       have->count == v->count && have->volume_size == v->volume_size && have->item_count == v->item_count;
	bundle_reader_close(r);
	return same;
}

static int write_volume(struct split *s, const char *file, const struct bundle_volume *v, int keep, struct lerr *err)
{
	struct bundle_write_opts wopts = {s->opts->level, 0, NULL, NULL, s->opts->lg};
	struct bundle_tar_out *t = NULL;
	size_t i;
	int r = -1;

	if (!keep && (bundle_tar_out_open(&t, file, s->m->created, &wopts, err) != 0 || write_head(s, t, v, err) != 0))
		goto out;
	for (i = 0; i < v->item_count; i++)
		if (copy_item(s, t, &v->items[i], err) != 0)
			goto out;
	r = keep ? 0 : bundle_tar_out_commit(t, err);
out:
	bundle_tar_out_free(t);
	return r;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int bundle_split(const char *path, const struct bundle_split_opts *opts, struct bundle_split_result *result,
		 struct lerr *err)
{
	struct split s;
	struct bundle_volume *vols = NULL;
	size_t count = 0, i;
	char sha[SHA256_HEX_LEN + 1];
	char *set = opts->set != NULL ? xstrdup(opts->set) : bundle_split_set_name(path);
	char *copy = xstrdup(path);
	const char *dir = opts->out_dir != NULL ? opts->out_dir : dirname(copy);
	const struct bundle_entry *row;
	const char *name;
	int r = -1;

	memset(&s, 0, sizeof(s));
	memset(result, 0, sizeof(*result));
	s.opts = opts;
	if (bundle_reader_open_volume(&s.r, path, err) != 0)
		goto out;
	if (bundle_reader_volume(s.r) != NULL) {
		lerr_set(err, LADING_ERR_USAGE, "%s is already a volume of set '%s': split the whole bundle", path,
			 bundle_reader_volume(s.r)->set);
		goto out;
	}
	s.m = bundle_reader_manifest(s.r);
	bundle_reader_head(s.r, &s.json, &s.json_len, &s.sig, &s.sig_len);
	if (opts->head != NULL && opts->head(opts->head_ctx, s.json, s.json_len, s.sig, s.sig_len, s.m, err) != 0)
		goto out;
	sha256_hex(s.json, s.json_len, sha);
	if (bundle_volume_plan(s.m, s.json_len, s.sig_len, set, sha, opts->volume_size, &vols, &count, err) != 0)
		goto out;
	if (opts->out_dir != NULL && mkdir(opts->out_dir, 0755) != 0 && errno != EEXIST) {
		lerr_sys(err, "cannot create the directory '%s'", opts->out_dir);
		goto out;
	}
	s.buf = xmalloc(COPY_BUF);
	for (i = 0; i < count; i++) {
		char *file = bundle_volume_file(dir, set, i + 1);
		int keep = already_there(file, &vols[i]);

		if (write_volume(&s, file, &vols[i], keep, err) != 0) {
			free(file);
			goto out;
		}
		log_msg(opts->lg, LOG_VERBOSE, "%s: volume %zu of %zu %s (%zu items, %llu bytes)", file, i + 1, count,
			keep ? "was already there, whole: kept" : "written", vols[i].item_count,
			(unsigned long long)file_size(file));
		result->written += !keep;
		result->kept += keep;
		result->bytes += file_size(file);
		if (i == 0)
			result->first = xstrdup(file);
		free(file);
	}
	/* The whole bundle was read: nothing listed is missing and nothing follows its end. */
	if (bundle_reader_next(s.r, &row, &name, err) != 0) {
		if (err->code == 0)
			lerr_set(err, LADING_ERR_FORMAT, "%s: %s is not in the plan", path, name);
		goto out;
	}
	result->volumes = count;
	r = 0;
out:
	if (r != 0)
		bundle_split_result_free(result);
	bundle_volume_plan_free(vols, count);
	bundle_reader_close(s.r);
	free(s.buf);
	free(set);
	free(copy);
	return r;
}

void bundle_split_result_free(struct bundle_split_result *result)
{
	free(result->first);
	memset(result, 0, sizeof(*result));
}
