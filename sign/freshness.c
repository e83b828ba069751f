/* The record of the newest bundle accepted per name ($LADING_STATE/bundles/NAME). */
#include "sign/freshness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/utctime.h"
#include "lib/xmalloc.h"

const char *fresh_state_dir(void)
{
	const char *env = getenv("LADING_STATE");

	return env != NULL && env[0] != '\0' ? env : FRESH_STATE_DEFAULT;
}

/* state_dir/bundles/<name>, every byte outside [A-Za-z0-9_-] written as %XX so no name escapes the folder. */
static char *record_path(const char *state_dir, const char *name)
{
	struct buf path;
	const unsigned char *p;

	buf_init(&path, 0);
	buf_printf(&path, "%s/bundles/", state_dir);
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		    *p == '-')
			buf_printf(&path, "%c", *p);
		else
			buf_printf(&path, "%%%02X", *p);
	}
	return buf_detach(&path, NULL);
}

/* Reads the record's "created" line into *created; *found is 0 when there is no record. */
static int record_read(const char *path, int64_t *created, int *found, struct lerr *err)
{
	struct buf text;
	const char *line;
	char value[UTC_TIME_MAX];
	int r = -1;

	*found = 0;
	buf_init(&text, 4096);
	if (!fs_exists(path)) {
		r = 0;
		goto out;
	}
	if (fs_read_file(path, &text, err) != 0)
		goto out;
	line = text.data != NULL ? strstr(text.data, "created ") : NULL;
	if (line == NULL || (line != text.data && line[-1] != '\n') || sscanf(line, "created %31s", value) != 1 ||
	    utc_time_parse(value, created) != 0) {
		lerr_set(err, LADING_ERR_FORMAT,
			 "'%s': not a lading bundle record (no 'created YYYY-MM-DDTHH:MM:SSZ' line); remove it to "
			 "accept any bundle of this name again",
			 path);
		goto out;
	}
	*found = 1;
	r = 0;
out:
	buf_free(&text);
	return r;
}

int fresh_check(const char *state_dir, const char *name, int64_t created, const char *what, struct lerr *err)
{
	char *path = record_path(state_dir, name);
	char have[UTC_TIME_MAX], seen[UTC_TIME_MAX];
	int64_t recorded = 0;
	int found, r = -1;

	if (record_read(path, &recorded, &found, err) != 0)
		goto out;
	if (found && recorded > created) {
		utc_time_format(created, have);
		utc_time_format(recorded, seen);
		lerr_set(err, LADING_ERR_SIGNATURE,
			 "%s: bundle '%s' created %s is older than the one accepted here before (created %s, recorded "
			 "in '%s'); use the newer bundle, or pass --allow-downgrade",
			 what, name, have, seen, path);
		goto out;
	}
	r = 0;
out:
	free(path);
	return r;
}

int fresh_record(const char *state_dir, const char *name, int64_t created, const char *json_sha256, struct lerr *err)
{
	char *dir = xasprintf("%s/bundles", state_dir);
	char *path = record_path(state_dir, name);
	char *text = NULL;
	char when[UTC_TIME_MAX];
	int64_t recorded = 0;
	int found, r = -1;

	if (fs_mkdir_p(dir, err) != 0 || record_read(path, &recorded, &found, err) != 0)
		goto out;
	if (found && recorded >= created) {
		r = 0;
		goto out;
	}
	utc_time_format(created, when);
	text = xasprintf("name %s\ncreated %s\nsha256 %s\n", name, when, json_sha256);
	r = fs_write_file(path, text, strlen(text), 0644, err);
out:
	free(text);
	free(path);
	free(dir);
	return r;
}
