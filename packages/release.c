/*
 * Release text: one deb822 paragraph of "Field: value" lines, multi-line
 * fields continued by lines that start with a blank (SPECS-2 §1.2).
 */
#include "packages/release.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"

/* apt 2.6's Acquire::CompressionTypes order (apt-config dump), then the plain file. */
static const char *const index_suffixes[] = {".xz", ".bz2", ".lzma", ".gz", ".lz4", ".zst", ""};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Copies [start, end) without surrounding blanks. */
static char *trimmed(const char *start, const char *end)
{
	while (start < end && is_blank(*start))
		start++;
	while (end > start && (is_blank(end[-1]) || end[-1] == '\r'))
		end--;
	return xstrndup(start, (size_t)(end - start));
}

/* Splits a blank-separated list into *items. */
static void split_words(const char *value, char ***items, size_t *count)
{
	const char *p = value;

	*items = xcalloc(1, sizeof(char *));
	*count = 0;
	while (*p != '\0') {
		const char *start;

		while (is_blank(*p))
			p++;
		start = p;
		while (*p != '\0' && !is_blank(*p))
			p++;
		if (p > start) {
			*items = grow_array(*items, *count, sizeof(char *));
			(*items)[(*count)++] = xstrndup(start, (size_t)(p - start));
		}
	}
}

/* " <hex> <size> <path>" of the SHA256 field. */
static int parse_sum_line(const char *what, size_t line_no, const char *line, struct release *rel, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 2], path[4096];
	unsigned long long size;
	struct release_file *f;
	size_t i;
	int used = 0;

	if (sscanf(line, " %65s %llu %4095s %n", hex, &size, path, &used) != 3 || line[used] != '\0')
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: SHA256 line is not '<hex> <size> <path>'", what,
				line_no);
	for (i = 0; hex[i] != '\0'; i++)
		hex[i] = (char)tolower((unsigned char)hex[i]);
	if (!hex_is_sha256(hex))
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: '%s' is not a sha256", what, line_no, hex);
	rel->files = grow_array(rel->files, rel->file_count, sizeof(*rel->files));
	f = &rel->files[rel->file_count++];
	f->path = xstrdup(path);
	memcpy(f->sha256, hex, sizeof(f->sha256));
	f->size = size;
	return 0;
}

static void set_field(struct release *rel, const char *name, const char *value)
{
	if (strcasecmp(name, "Suite") == 0) {
		free(rel->suite);
		rel->suite = xstrdup(value);
	} else if (strcasecmp(name, "Codename") == 0) {
		free(rel->codename);
		rel->codename = xstrdup(value);
	} else if (strcasecmp(name, "Date") == 0) {
		free(rel->date);
		rel->date = xstrdup(value);
	} else if (strcasecmp(name, "Valid-Until") == 0) {
		free(rel->valid_until);
		rel->valid_until = xstrdup(value);
	} else if (strcasecmp(name, "Acquire-By-Hash") == 0) {
		rel->acquire_by_hash = strcasecmp(value, "yes") == 0;
	} else if (strcasecmp(name, "No-Support-for-Architecture-all") == 0) {
		rel->no_arch_all_packages = strcmp(value, "Packages") == 0;
	} else if (strcasecmp(name, "Architectures") == 0 && rel->architectures == NULL) {
		split_words(value, &rel->architectures, &rel->architecture_count);
	} else if (strcasecmp(name, "Components") == 0 && rel->components == NULL) {
		split_words(value, &rel->components, &rel->component_count);
	}
}

int release_parse(const char *what, const char *text, size_t len, struct release *out, struct lerr *err)
{
	const char *p = text, *end = text + len;
	size_t line_no = 0;
	int in_sha256 = 0, r = -1;
	char *line = NULL;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl != NULL ? nl : end;
		const char *colon;

		line_no++;
		free(line);
		line = trimmed(p, stop);
		if (memchr(p, '\0', (size_t)(stop - p)) != NULL) {
			lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: NUL byte", what, line_no);
			goto out;
		}
		if (line[0] == '\0') {
			in_sha256 = 0;
		} else if (is_blank(*p)) {
			if (in_sha256 && parse_sum_line(what, line_no, line, out, err) != 0)
				goto out;
		} else if ((colon = strchr(line, ':')) == NULL) {
			lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: line without ':'", what, line_no);
			goto out;
		} else {
			char *name = xstrndup(line, (size_t)(colon - line));
			char *value = trimmed(colon + 1, colon + strlen(colon));

			in_sha256 = strcasecmp(name, "SHA256") == 0;
			set_field(out, name, value);
			free(name);
			free(value);
		}
		p = nl != NULL ? nl + 1 : end;
	}
	r = 0;
out:
	free(line);
	return r;
}

const struct release_file *release_find(const struct release *rel, const char *path)
{
	size_t i;

	for (i = 0; i < rel->file_count; i++)
		if (strcmp(rel->files[i].path, path) == 0)
			return &rel->files[i];
	return NULL;
}

const struct release_file *release_pick_index(const struct release *rel, const char *base, size_t *next)
{
	size_t i;

	for (i = *next; i < sizeof(index_suffixes) / sizeof(index_suffixes[0]); i++) {
		char *path = xasprintf("%s%s", base, index_suffixes[i]);
		const struct release_file *f = release_find(rel, path);

		free(path);
		if (f != NULL) {
			*next = i + 1;
			return f;
		}
	}
	*next = i;
	return NULL;
}

static int listed(char *const *items, size_t count, const char *name)
{
	size_t i;

	if (items == NULL)
		return 1;
	for (i = 0; i < count; i++)
		if (strcmp(items[i], name) == 0)
			return 1;
	return 0;
}

int release_has_architecture(const struct release *rel, const char *name)
{
	return listed(rel->architectures, rel->architecture_count, name);
}

int release_has_component(const struct release *rel, const char *name)
{
	return listed(rel->components, rel->component_count, name);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

int release_date_parse(const char *value, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char month[4], zone[8] = "UTC";
	int day, year, hour, minute, second, used = 0;
	const char *p = value, *found;

	/* The weekday is optional in RFC 2822. */
	if (strchr(p, ',') != NULL)
		p = strchr(p, ',') + 1;
	if (sscanf(p, " %d %3s %d %d:%d:%d %n", &day, month, &year, &hour, &minute, &second, &used) != 6)
		return -1;
	if (p[used] != '\0' && sscanf(p + used, "%7s", zone) != 1)
		return -1;
	found = strlen(month) == 3 ? strstr(months, month) : NULL;
	if (found == NULL || (found - months) % 3 != 0 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
	    second > 60 || hour < 0 || minute < 0 || second < 0)
		return -1;
	/* apt writes UTC; a numeric zone other than +0000 is not worth more than a refusal here. */
	if (strcmp(zone, "UTC") != 0 && strcmp(zone, "GMT") != 0 && strcmp(zone, "Z") != 0 &&
	    strcmp(zone, "+0000") != 0)
		return -1;
	*out = (time_t)(days_from_civil(year, (unsigned)((found - months) / 3 + 1), (unsigned)day) * 86400LL +
			hour * 3600LL + minute * 60LL + second);
	return 0;
}

static void free_words(char **items, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(items[i]);
	free(items);
}

void release_free(struct release *rel)
{
	size_t i;

	if (rel == NULL)
		return;
	free(rel->suite);
	free(rel->codename);
	free(rel->date);
	free(rel->valid_until);
	free_words(rel->architectures, rel->architecture_count);
	free_words(rel->components, rel->component_count);
	for (i = 0; i < rel->file_count; i++)
		free(rel->files[i].path);
	free(rel->files);
	memset(rel, 0, sizeof(*rel));
}
