#include "packages/index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "packages/depends.h"

/* Bytes asked of the reader at a time, and the longest line (and field) accepted. */
#define READ_CHUNK (256 * 1024)
#define FIELD_MAX (16 * 1024 * 1024)
#define ARENA_CHUNK (1024 * 1024)

struct apt_name_entry {
	const char *name;
	const struct apt_pkg **pkgs;
	size_t pkg_count;
	struct apt_provide *provides;
	size_t provide_count;
};

/* A bump allocator: 64k stanzas' strings in a few dozen allocations, all freed at once. */
struct apt_arena_chunk {
	struct apt_arena_chunk *next;
	size_t used, size;
	_Alignas(max_align_t) char data[];
};

static void *arena_alloc(struct apt_index *idx, size_t len)
{
	struct apt_arena_chunk *c = idx->arena;
	size_t align = _Alignof(max_align_t);
	size_t need = (len + align - 1) / align * align;
	void *p;

	if (c == NULL || c->size - c->used < need) {
		size_t size = need > ARENA_CHUNK / 4 ? need : ARENA_CHUNK;

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		/* A big one-off block goes behind the current chunk so the chunk's free room is not lost. */
		if (size != ARENA_CHUNK && idx->arena != NULL) {
			c->next = idx->arena->next;
			idx->arena->next = c;
		} else {
			c->next = idx->arena;
			idx->arena = c;
		}
	}
	p = c->data + c->used;
	c->used += need;
	return p;
}

static const char *arena_strndup(struct apt_index *idx, const char *s, size_t len)
{
	char *copy = arena_alloc(idx, len + 1);

	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

void apt_index_init(struct apt_index *idx)
{
	memset(idx, 0, sizeof(*idx));
	name_map_init(&idx->by_name);
}

static struct apt_name_entry *name_entry(struct apt_index *idx, const char *name, size_t len)
{
	uint32_t *slot = name_map_find(&idx->by_name, name, len);
	struct apt_name_entry *e;

	if (slot != NULL)
		return &idx->names[*slot];
	idx->names = grow_array(idx->names, idx->name_count, sizeof(*idx->names));
	e = &idx->names[idx->name_count];
	memset(e, 0, sizeof(*e));
	e->name = arena_strndup(idx, name, len);
	name_map_put(&idx->by_name, e->name, (uint32_t)idx->name_count);
	idx->name_count++;
	return e;
}

static const struct apt_name_entry *find_entry(const struct apt_index *idx, const char *name)
{
	uint32_t *slot = name_map_find(&idx->by_name, name, strlen(name));

	return slot != NULL ? &idx->names[*slot] : NULL;
}

const struct apt_pkg *const *apt_index_find(const struct apt_index *idx, const char *name, size_t *count)
{
	const struct apt_name_entry *e = find_entry(idx, name);

	*count = e != NULL ? e->pkg_count : 0;
	return *count != 0 ? e->pkgs : NULL;
}

const struct apt_provide *apt_index_providers(const struct apt_index *idx, const char *name, size_t *count)
{
	const struct apt_name_entry *e = find_entry(idx, name);

	*count = e != NULL ? e->provide_count : 0;
	return *count != 0 ? e->provides : NULL;
}

void apt_index_free(struct apt_index *idx)
{
	size_t i;

	for (i = 0; i < idx->name_count; i++) {
		free(idx->names[i].pkgs);
		free(idx->names[i].provides);
	}
	free(idx->names);
	free(idx->pkgs);
	name_map_free(&idx->by_name);
	while (idx->arena != NULL) {
		struct apt_arena_chunk *next = idx->arena->next;

		free(idx->arena);
		idx->arena = next;
	}
	apt_index_init(idx);
}

/* Lines of the stream, one read chunk at a time; a line may outgrow the buffer up to FIELD_MAX. */
struct line_reader {
	apt_read_fn rd;
	void *ctx;
	const char *what;
	char *buf;
	size_t cap, start, end, scanned;
	int eof;
	size_t lineno;
};

/* Returns 1 with the next line (NUL-terminated, without "\n" or "\r\n"), 0 at the end, -1 on error. */
static int next_line(struct line_reader *lr, char **line, size_t *len, struct lerr *err)
{
	for (;;) {
		char *nl = lr->end > lr->scanned ? memchr(lr->buf + lr->scanned, '\n', lr->end - lr->scanned) : NULL;
		size_t line_end;
		long n;

		if (nl != NULL || (lr->eof && lr->start < lr->end)) {
			line_end = nl != NULL ? (size_t)(nl - lr->buf) : lr->end;
			*line = lr->buf + lr->start;
			*len = line_end - lr->start;
			lr->start = lr->scanned = nl != NULL ? line_end + 1 : lr->end;
			lr->lineno++;
			if (memchr(*line, '\0', *len) != NULL)
				return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: NUL byte in a text index", lr->what,
						lr->lineno);
			if (*len > 0 && (*line)[*len - 1] == '\r')
				(*len)--;
			(*line)[*len] = '\0';
			return 1;
		}
		if (lr->eof)
			return 0;
		lr->scanned = lr->end;
		if (lr->start > 0) {
			memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
			lr->end -= lr->start;
			lr->scanned -= lr->start;
			lr->start = 0;
		}
		if (lr->cap - lr->end < READ_CHUNK / 2) {
			if (lr->cap >= FIELD_MAX)
				return lerr_set(err, LADING_ERR_LIMIT, "%s:%zu: line longer than %d bytes", lr->what,
						lr->lineno + 1, FIELD_MAX);
			lr->cap = lr->cap ? lr->cap * 2 : READ_CHUNK;
			lr->buf = xrealloc(lr->buf, lr->cap);
		}
		/* One byte stays free for the NUL that ends a last line without "\n". */
		n = lr->rd(lr->ctx, lr->buf + lr->end, lr->cap - lr->end - 1, err);
		if (n < 0)
			return -1;
		if (n == 0)
			lr->eof = 1;
		lr->end += (size_t)n;
	}
}

enum field_id {
	F_PACKAGE,
	F_VERSION,
	F_ARCHITECTURE,
	F_MULTI_ARCH,
	F_FILENAME,
	F_SHA256,
	F_SIZE,
	F_PRIORITY,
	F_ESSENTIAL,
	F_SOURCE,
	F_DEPENDS,
	F_PRE_DEPENDS,
	F_PROVIDES,
	F_CONFLICTS,
	F_BREAKS,
	F_STATUS,
	F_COUNT,
	F_SKIPPED = -1,
	F_NONE = -2,
};

static const char *const field_names[F_COUNT] = {
    "Package",	 "Version", "Architecture", "Multi-Arch",  "Filename", "SHA256",    "Size",   "Priority",
    "Essential", "Source",  "Depends",	    "Pre-Depends", "Provides", "Conflicts", "Breaks", "Status",
};

/* Which stanzas a load keeps: those of the wanted architectures, or (a dpkg status file) those installed. */
struct load_filter {
	const char *const *archs;
	size_t narch;
	int status;
};

/* The kept fields of the stanza being read. */
struct stanza {
	struct buf values[F_COUNT];
	int present[F_COUNT];
	int current; /* enum field_id of the field continuation lines extend */
	size_t first_line;
	int any; /* a field was seen */
};

static enum field_id field_lookup(const char *name, size_t len)
{
	int i;

	/* Field names are case-insensitive (deb822(5)). */
	for (i = 0; i < F_COUNT; i++)
		if (strlen(field_names[i]) == len && strncasecmp(field_names[i], name, len) == 0)
			return (enum field_id)i;
	return F_SKIPPED;
}

static void stanza_reset(struct stanza *st)
{
	int i;

	for (i = 0; i < F_COUNT; i++) {
		buf_reset(&st->values[i]);
		st->present[i] = 0;
	}
	st->current = F_NONE;
	st->any = 0;
}

static const char *trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	return s;
}

static int stanza_line(struct stanza *st, const struct line_reader *lr, const char *line, size_t len, struct lerr *err)
{
	const char *colon, *value;
	size_t value_len;
	enum field_id id;

	if (line[0] == ' ' || line[0] == '\t') {
		if (st->current == F_NONE)
			return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: continuation line outside a field", lr->what,
					lr->lineno);
		if (st->current == F_SKIPPED)
			return 0;
		value = trim(line, &len);
		if (buf_add(&st->values[st->current], " ", 1, err) != 0 ||
		    buf_add(&st->values[st->current], value, len, err) != 0)
			return lerr_prefix(err, "%s:%zu", lr->what, lr->lineno);
		return 0;
	}
	colon = memchr(line, ':', len);
	if (colon == NULL || colon == line)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: line without 'Field:' (stanza at line %zu)", lr->what,
				lr->lineno, st->any ? st->first_line : lr->lineno);
	if (!st->any) {
		st->any = 1;
		st->first_line = lr->lineno;
	}
	id = field_lookup(line, (size_t)(colon - line));
	st->current = id;
	if (id == F_SKIPPED)
		return 0;
	if (st->present[id])
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: field %s twice in the stanza at line %zu", lr->what,
				lr->lineno, field_names[id], st->first_line);
	st->present[id] = 1;
	value_len = len - (size_t)(colon + 1 - line);
	value = trim(colon + 1, &value_len);
	if (buf_add(&st->values[id], value, value_len, err) != 0)
		return lerr_prefix(err, "%s:%zu", lr->what, lr->lineno);
	return 0;
}

static const char *field(const struct stanza *st, enum field_id id)
{
	return st->present[id] ? st->values[id].data : NULL;
}

static const char *kept(struct apt_index *idx, const struct stanza *st, enum field_id id)
{
	return st->present[id] ? arena_strndup(idx, st->values[id].data, st->values[id].len) : NULL;
}

static int wanted_arch(const char *arch, const struct load_filter *filter)
{
	size_t i;

	if (filter->status || strcmp(arch, "all") == 0)
		return 1;
	for (i = 0; i < filter->narch; i++)
		if (strcmp(arch, filter->archs[i]) == 0)
			return 1;
	return 0;
}

/*
 * A status stanza is on the node unless dpkg's state (the third word of "want flag state") is not-installed
 * or config-files: apt gives every other state (installed, half-configured, unpacked, triggers-*) a current
 * version, and so does dpkg-query -W.
 */
static int status_installed(const char *status)
{
	const char *state;

	if (status == NULL || (state = strrchr(status, ' ')) == NULL)
		return 0;
	state++;
	return strcmp(state, "not-installed") != 0 && strcmp(state, "config-files") != 0;
}

static enum apt_multi_arch multi_arch(const char *value)
{
	if (value == NULL)
		return APT_MA_NO;
	if (strcasecmp(value, "same") == 0)
		return APT_MA_SAME;
	if (strcasecmp(value, "foreign") == 0)
		return APT_MA_FOREIGN;
	if (strcasecmp(value, "allowed") == 0)
		return APT_MA_ALLOWED;
	return APT_MA_NO;
}

static int parse_size(const char *value, uint64_t *size)
{
	uint64_t n = 0;

	if (*value == '\0')
		return -1;
	for (; *value != '\0'; value++) {
		if (*value < '0' || *value > '9' || n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*value - '0');
	}
	*size = n;
	return 0;
}

/* Records pkg's Provides under each provided name (Policy §7.5: only '=' versions). */
static int add_provides(struct apt_index *idx, const struct apt_pkg *pkg, struct lerr *err)
{
	struct deb_depends provides;
	size_t i;

	if (deb_depends_parse(pkg->provides, pkg->name, "Provides", &provides, err) != 0)
		return -1;
	for (i = 0; i < provides.group_count; i++) {
		const struct deb_atom *atom = &provides.atoms[provides.groups[i].first];
		struct apt_name_entry *e;

		if (provides.groups[i].count != 1 || (atom->op != DEB_OP_NONE && atom->op != DEB_OP_EQ)) {
			deb_depends_free(&provides);
			return lerr_about(err, LADING_ERR_FORMAT, pkg->name,
					  "Provides: only 'name' or 'name (= version)' may be provided, in '%.200s'",
					  pkg->provides);
		}
		e = name_entry(idx, atom->name, strlen(atom->name));
		e->provides = grow_array(e->provides, e->provide_count, sizeof(*e->provides));
		e->provides[e->provide_count].pkg = pkg;
		e->provides[e->provide_count].version =
		    atom->version != NULL ? arena_strndup(idx, atom->version, strlen(atom->version)) : NULL;
		e->provide_count++;
	}
	deb_depends_free(&provides);
	return 0;
}

static int stanza_end(struct apt_index *idx, struct stanza *st, const struct line_reader *lr,
		      const struct load_filter *filter, struct lerr *err)
{
	const char *name = field(st, F_PACKAGE), *version = field(st, F_VERSION), *arch = field(st, F_ARCHITECTURE);
	struct apt_name_entry *e;
	struct apt_pkg *pkg;
	size_t i;

	if (!st->any)
		return 0;
	/* A package dpkg only remembers (removed, config files left) need have no Version or Architecture. */
	if (filter->status && !status_installed(field(st, F_STATUS)))
		return 0;
	if (name == NULL || version == NULL || arch == NULL || *name == '\0' || *arch == '\0')
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: stanza without Package, Version or Architecture",
				lr->what, st->first_line);
	if (!wanted_arch(arch, filter))
		return 0;
	if (!deb_version_valid(version))
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: %s: invalid Version '%.100s'", lr->what,
				st->first_line, name, version);
	e = name_entry(idx, name, strlen(name));
	for (i = 0; i < e->pkg_count; i++)
		if (strcmp(e->pkgs[i]->version, version) == 0 && strcmp(e->pkgs[i]->arch, arch) == 0)
			return 0;
	pkg = arena_alloc(idx, sizeof(*pkg));
	memset(pkg, 0, sizeof(*pkg));
	pkg->name = e->name;
	pkg->version = kept(idx, st, F_VERSION);
	pkg->arch = kept(idx, st, F_ARCHITECTURE);
	pkg->multi_arch = multi_arch(field(st, F_MULTI_ARCH));
	pkg->filename = kept(idx, st, F_FILENAME);
	pkg->sha256 = kept(idx, st, F_SHA256);
	if (st->present[F_SIZE] && parse_size(field(st, F_SIZE), &pkg->size) != 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: %s: invalid Size '%.100s'", lr->what, st->first_line,
				name, field(st, F_SIZE));
	pkg->priority = kept(idx, st, F_PRIORITY);
	pkg->essential = st->present[F_ESSENTIAL] && strcasecmp(field(st, F_ESSENTIAL), "yes") == 0;
	pkg->source = kept(idx, st, F_SOURCE);
	pkg->depends = kept(idx, st, F_DEPENDS);
	pkg->pre_depends = kept(idx, st, F_PRE_DEPENDS);
	pkg->provides = kept(idx, st, F_PROVIDES);
	pkg->conflicts = kept(idx, st, F_CONFLICTS);
	pkg->breaks = kept(idx, st, F_BREAKS);
	e->pkgs = grow_array(e->pkgs, e->pkg_count, sizeof(*e->pkgs));
	e->pkgs[e->pkg_count++] = pkg;
	idx->pkgs = grow_array(idx->pkgs, idx->count, sizeof(*idx->pkgs));
	idx->pkgs[idx->count++] = pkg;
	if (pkg->provides != NULL && add_provides(idx, pkg, err) != 0)
		return lerr_prefix(err, "%s:%zu", lr->what, st->first_line);
	return 0;
}

static int index_load(struct apt_index *idx, apt_read_fn rd, void *ctx, const char *what,
		      const struct load_filter *filter, struct lerr *err)
{
	struct line_reader lr = {rd, ctx, what, NULL, 0, 0, 0, 0, 0, 0};
	struct stanza st;
	char *line = NULL;
	size_t len = 0;
	int i, r, ret = -1;

	for (i = 0; i < F_COUNT; i++)
		buf_init(&st.values[i], FIELD_MAX);
	stanza_reset(&st);
	while ((r = next_line(&lr, &line, &len, err)) == 1) {
		size_t blank = strspn(line, " \t");

		if (blank == len) {
			if (stanza_end(idx, &st, &lr, filter, err) != 0)
				goto out;
			stanza_reset(&st);
		} else if (line[0] == '#') {
			continue; /* deb822(5) comment */
		} else if (stanza_line(&st, &lr, line, len, err) != 0) {
			goto out;
		}
	}
	if (r < 0 || stanza_end(idx, &st, &lr, filter, err) != 0)
		goto out;
	ret = 0;
out:
	for (i = 0; i < F_COUNT; i++)
		buf_free(&st.values[i]);
	free(lr.buf);
	return ret;
}

int apt_index_load(struct apt_index *idx, apt_read_fn rd, void *ctx, const char *what, const char *const *archs,
		   size_t narch, struct lerr *err)
{
	struct load_filter filter = {archs, narch, 0};

	return index_load(idx, rd, ctx, what, &filter, err);
}

int apt_index_load_status(struct apt_index *idx, apt_read_fn rd, void *ctx, const char *what, struct lerr *err)
{
	struct load_filter filter = {NULL, 0, 1};

	return index_load(idx, rd, ctx, what, &filter, err);
}

struct file_reader {
	int fd;
	const char *what;
};

static long read_fd(void *ctx, char *buf, size_t len, struct lerr *err)
{
	struct file_reader *fr = ctx;
	ssize_t n;

	do
		n = read(fr->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return lerr_sys(err, "cannot read '%s'", fr->what);
	return (long)n;
}

static int load_file(struct apt_index *idx, const char *path, const char *what, const struct load_filter *filter,
		     struct lerr *err)
{
	struct file_reader fr = {-1, what != NULL ? what : path};
	int r;

	if ((fr.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return lerr_sys(err, "cannot open '%s'", path);
	r = index_load(idx, read_fd, &fr, fr.what, filter, err);
	close(fr.fd);
	return r;
}

int apt_index_load_file(struct apt_index *idx, const char *path, const char *what, const char *const *archs,
			size_t narch, struct lerr *err)
{
	struct load_filter filter = {archs, narch, 0};

	return load_file(idx, path, what, &filter, err);
}

int apt_index_load_status_file(struct apt_index *idx, const char *path, struct lerr *err)
{
	struct load_filter filter = {NULL, 0, 1};

	return load_file(idx, path, NULL, &filter, err);
}
