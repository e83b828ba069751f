/* inspect: the bill of lading, summarised, without decompressing past it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle/inspect.h"
#include "bundle/inspect_sources.h"
#include "bundle/format/reader.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

int bundle_inspect(const char *path, struct bundle_info *info, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	const char *json, *sig;
	size_t json_len, sig_len, i;
	struct stat st;
	int rc = -1;

	memset(info, 0, sizeof(*info));
	/* A volume by itself: its head is the set's. */
	if (bundle_reader_open_volume(&r, path, err) != 0)
		return -1;
	bundle_reader_head(r, &json, &json_len, &sig, &sig_len);
	if (bundle_manifest_parse(json, json_len, &info->manifest, err) != 0)
		goto out;
	info->is_signed = sig != NULL;
	if (stat(path, &st) == 0)
		info->file_size = (uint64_t)st.st_size;
	for (i = 0; i < info->manifest.entry_count; i++) {
		const struct bundle_entry *e = &info->manifest.entries[i];

		info->content_bytes += e->size;
		if (e->in_base) {
			info->base_entries++;
			info->base_bytes += e->size;
		}
		if (strcmp(e->kind, BUNDLE_KIND_OCI_BLOB) == 0) {
			info->blob_count++;
			info->blob_bytes += e->size;
		}
	}
	rc = 0;
out:
	bundle_reader_close(r);
	return rc;
}

static void join_platforms(const struct bundle_image *img, struct buf *out)
{
	size_t i;

	for (i = 0; i < img->platform_count; i++)
		buf_printf(out, "%s%s", i ? "," : "", img->platforms[i]);
	if (img->platform_count == 0)
		buf_puts(out, "-");
}

void bundle_inspect_text(const struct bundle_info *info, struct buf *out)
{
	const struct bundle_manifest *m = &info->manifest;
	char created[32], size[32], total[32], file[32];
	size_t i;

	bundle_format_time(m->created, created);
	buf_printf(out, "bundle   %s\ncreated  %s by %s\nsigned   %s\n", m->name, created, m->tool,
		   info->is_signed ? "yes (lading.json.minisig)" : "no");
	if (m->base_digest != NULL)
		buf_printf(out, "delta    on '%s' (lading.json %s): %zu entries (%llu bytes) are left to it\n",
			   m->base_name, m->base_digest, info->base_entries, (unsigned long long)info->base_bytes);
	buf_puts(out, "\n");
	buf_printf(out, "%-56s %-28s %10s\n", "IMAGE", "PLATFORMS", "SIZE");
	for (i = 0; i < m->image_count; i++) {
		struct buf plats = BUF_INIT(0);

		join_platforms(&m->images[i], &plats);
		log_format_bytes(m->images[i].size, size, sizeof(size));
		buf_printf(out, "%-56s %-28s %10s\n", m->images[i].ref, plats.data, size);
		buf_free(&plats);
	}
	bundle_inspect_origins_text(m, out);
	bundle_inspect_sources_text(m, out);
	log_format_bytes(info->blob_bytes, size, sizeof(size));
	log_format_bytes(info->content_bytes, total, sizeof(total));
	log_format_bytes(info->file_size, file, sizeof(file));
	buf_printf(out, "\n%zu image%s, %zu blob%s (%s, each stored once), %zu entries, %s; file %s\n", m->image_count,
		   m->image_count == 1 ? "" : "s", info->blob_count, info->blob_count == 1 ? "" : "s", size,
		   m->entry_count, total, file);
}

char *bundle_inspect_json(const struct bundle_info *info)
{
	const struct bundle_manifest *m = &info->manifest;
	json_t *root, *images = json_array();
	char created[32];
	char *text, *line;
	size_t i, j, with_offsets = 0, chunk_values = 0;

	for (i = 0; i < m->image_count; i++) {
		json_t *plats = json_array(), *obj;

		for (j = 0; j < m->images[i].platform_count; j++)
			json_array_append_new(plats, json_string(m->images[i].platforms[j]));
		obj = json_pack("{s:s, s:s, s:s, s:o, s:I}", "ref", m->images[i].ref, "digest", m->images[i].digest,
				"media_type", m->images[i].media_type, "platforms", plats, "size",
				(json_int_t)m->images[i].size);
		if (m->images[i].origin != NULL)
			json_object_set_new(obj, "origin", json_string(m->images[i].origin));
		json_array_append_new(images, obj);
	}
	bundle_format_time(m->created, created);
	root = json_pack("{s:s, s:s, s:s, s:b, s:o, s:{s:I, s:I, s:I, s:I, s:I}}", "name", m->name, "created", created,
			 "tool", m->tool, "signed", info->is_signed, "images", images, "totals", "entries",
			 (json_int_t)m->entry_count, "bytes", (json_int_t)info->content_bytes, "blobs",
			 (json_int_t)info->blob_count, "blob_bytes", (json_int_t)info->blob_bytes, "file_bytes",
			 (json_int_t)info->file_size);
	json_object_set_new(root, "packages", bundle_inspect_packages_json(m));
	json_object_set_new(root, "modules", bundle_inspect_modules_json(m));
	json_object_set_new(root, "git", bundle_inspect_git_json(m));
	/* Format 2 layout: serve and push read an entry's range straight from the file only when it is there. */
	for (i = 0; i < m->entry_count; i++) {
		with_offsets += m->entries[i].has_layout != 0;
		chunk_values += m->entries[i].chunk_count;
	}
	json_object_set_new(root, "format", json_integer(m->format));
	if (m->base_digest != NULL)
		json_object_set_new(root, "base",
				    json_pack("{s:s, s:s, s:I, s:I}", "name", m->base_name, "lading_json",
					      m->base_digest, "entries", (json_int_t)info->base_entries, "bytes",
					      (json_int_t)info->base_bytes));
	json_object_set_new(json_object_get(root, "totals"), "entries_with_offsets",
			    json_integer((json_int_t)with_offsets));
	json_object_set_new(json_object_get(root, "totals"), "chunk_values", json_integer((json_int_t)chunk_values));
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	line = xasprintf("%s\n", text ? text : "{}");
	free(text);
	return line;
}

void bundle_info_free(struct bundle_info *info)
{
	if (info == NULL)
		return;
	bundle_manifest_free(&info->manifest);
}
