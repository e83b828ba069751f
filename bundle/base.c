/* A bill of lading to compare against or build a delta on (see base.h). */
#include "bundle/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/format/reader.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

static void name_digest(const char *json, size_t len, char *digest)
{
	char hex[SHA256_HEX_LEN + 1];

	if (digest == NULL)
		return;
	sha256_hex(json, len, hex);
	snprintf(digest, BUNDLE_BASE_DIGEST_LEN, "sha256:%s", hex);
}

static int load_bundle(const char *path, struct bundle_manifest *m, char *digest, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	const char *json, *sig;
	size_t json_len, sig_len;

	if (bundle_reader_open(&r, path, err) != 0)
		return -1;
	bundle_reader_head(r, &json, &json_len, &sig, &sig_len);
	name_digest(json, json_len, digest);
	bundle_reader_take_manifest(r, m);
	bundle_reader_close(r);
	return 0;
}

int bundle_base_load(const char *path, struct bundle_manifest *m, char *digest, struct lerr *err)
{
	struct buf text = BUF_INIT(BUNDLE_MANIFEST_MAX);
	FILE *f = fopen(path, "rb");
	int c = f != NULL ? getc(f) : EOF;

	memset(m, 0, sizeof(*m));
	if (f == NULL)
		return lerr_sys(err, "cannot open '%s'", path);
	fclose(f);
	if (c != '{')
		return load_bundle(path, m, digest, err);
	/* A lading.json on its own: the same checks as in a bundle's head. */
	if (fs_read_file(path, &text, err) != 0)
		return -1;
	if (bundle_manifest_parse(text.data, text.len, m, err) != 0) {
		buf_free(&text);
		return lerr_prefix(err, "%s", path);
	}
	name_digest(text.data, text.len, digest);
	buf_free(&text);
	return 0;
}

void bundle_base_apply(struct bundle_manifest *m, const struct bundle_manifest *base, const char *digest,
		       struct bundle_base_savings *saved)
{
	size_t i;

	saved->entries = 0;
	saved->bytes = 0;
	for (i = 0; i < m->entry_count; i++) {
		struct bundle_entry *e = &m->entries[i];
		const struct bundle_entry *old = bundle_manifest_find(base, e->path);

		/* The layout's own index is tiny and is what every reader opens first: always carried. */
		if (old == NULL || old->in_base || old->size != e->size || strcmp(old->sha256, e->sha256) != 0 ||
		    strcmp(e->kind, BUNDLE_KIND_OCI_LAYOUT) == 0)
			continue;
		e->in_base = 1;
		saved->entries++;
		saved->bytes += e->size;
	}
	free(m->base_name);
	free(m->base_digest);
	m->base_name = xstrdup(base->name);
	m->base_digest = xstrdup(digest);
	m->format = BUNDLE_FORMAT_DELTA;
}
