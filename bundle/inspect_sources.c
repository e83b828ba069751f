/* inspect: the chart, provider and file rows of lading.json, grouped by kind. */
#include "bundle/inspect_sources.h"

#include <string.h>

#include "bundle/files.h"
#include "bundle/sources.h"
#include "lib/log.h"

static void kind_table(const struct bundle_manifest *m, const char *kind, const char *title, struct buf *out)
{
	char size[32];
	uint64_t total = 0;
	size_t i, count = 0;

	for (i = 0; i < m->entry_count; i++) {
		const struct bundle_entry *e = &m->entries[i];

		if (strcmp(e->kind, kind) != 0)
			continue;
		if (count++ == 0)
			buf_printf(out, "\n%-85s %10s\n", title, "SIZE");
		log_format_bytes(e->size, size, sizeof(size));
		buf_printf(out, "%-85s %10s\n", e->path, size);
		total += e->size;
	}
	if (count > 0) {
		log_format_bytes(total, size, sizeof(size));
		buf_printf(out, "%zu %s entr%s, %s\n", count, kind, count == 1 ? "y" : "ies", size);
	}
}

void bundle_inspect_sources_text(const struct bundle_manifest *m, struct buf *out)
{
	kind_table(m, BUNDLE_KIND_CHART, "CHARTS", out);
	kind_table(m, BUNDLE_KIND_PROVIDER, "PROVIDERS", out);
	kind_table(m, BUNDLE_KIND_FILE, "FILES", out);
}
