#include "packages/debversion.h"

#include <limits.h>
#include <string.h>

/* A version split into its three parts, each a [start, end) range of the string. */
struct version_parts {
	unsigned long epoch;
	const char *upstream, *upstream_end;
	const char *revision, *revision_end;
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* dpkg lib/dpkg/version.c order(): '~' before the end, the end before letters, letters before the rest. */
static int char_weight(const char *p, const char *end)
{
	if (p >= end || is_digit(*p))
		return 0;
	if (is_alpha(*p))
		return (unsigned char)*p;
	if (*p == '~')
		return -1;
	return (unsigned char)*p + 256;
}

/* dpkg verrevcmp(): alternating non-digit runs (by weight) and digit runs (numerically, leading zeros ignored). */
static int compare_part(const char *a, const char *a_end, const char *b, const char *b_end)
{
	while (a < a_end || b < b_end) {
		int first_diff = 0;

		while ((a < a_end && !is_digit(*a)) || (b < b_end && !is_digit(*b))) {
			int wa = char_weight(a, a_end), wb = char_weight(b, b_end);

			if (wa != wb)
				return wa - wb;
			a++;
			b++;
		}
		while (a < a_end && *a == '0')
			a++;
		while (b < b_end && *b == '0')
			b++;
		while (a < a_end && b < b_end && is_digit(*a) && is_digit(*b)) {
			if (first_diff == 0)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (a < a_end && is_digit(*a))
			return 1;
		if (b < b_end && is_digit(*b))
			return -1;
		if (first_diff != 0)
			return first_diff;
	}
	return 0;
}

static void split_version(const char *v, struct version_parts *parts)
{
	const char *colon = strchr(v, ':');
	const char *end = v + strlen(v);
	const char *dash;

	parts->epoch = 0;
	if (colon != NULL) {
		const char *p;

		for (p = v; p < colon && is_digit(*p); p++)
			parts->epoch = parts->epoch > (ULONG_MAX - 9) / 10
					   ? ULONG_MAX
					   : parts->epoch * 10 + (unsigned long)(*p - '0');
		v = colon + 1;
	}
	/* The revision follows the last '-': the upstream part may hold dashes of its own. */
	dash = strrchr(v, '-');
	parts->upstream = v;
	if (dash != NULL) {
		parts->upstream_end = dash;
		parts->revision = dash + 1;
	} else {
		parts->upstream_end = end;
		parts->revision = end;
	}
	parts->revision_end = end;
}

int deb_version_cmp(const char *a, const char *b)
{
	struct version_parts pa, pb;
	int r;

	split_version(a, &pa);
	split_version(b, &pb);
	if (pa.epoch != pb.epoch)
		return pa.epoch < pb.epoch ? -1 : 1;
	r = compare_part(pa.upstream, pa.upstream_end, pb.upstream, pb.upstream_end);
	if (r != 0)
		return r;
	/* A missing revision compares as "0" (SPECS-2 §1.3): compare_part already treats "" like "0". */
	return compare_part(pa.revision, pa.revision_end, pb.revision, pb.revision_end);
}

/* The characters dpkg parseversion() accepts in each part. */
static int valid_chars(const char *p, const char *end, const char *extra)
{
	for (; p < end; p++)
		if (!is_digit(*p) && !is_alpha(*p) && strchr(extra, *p) == NULL)
			return 0;
	return 1;
}

int deb_version_valid(const char *v)
{
	const char *colon = strchr(v, ':');
	struct version_parts parts;

	if (*v == '\0')
		return 0;
	if (colon != NULL) {
		const char *p;

		if (colon == v || colon - v > 9)
			return 0;
		for (p = v; p < colon; p++)
			if (!is_digit(*p))
				return 0;
	}
	split_version(v, &parts);
	if (parts.upstream == parts.upstream_end || !is_digit(*parts.upstream))
		return 0;
	/* A '-' is there only when a revision follows it. */
	if (parts.upstream_end != parts.revision_end && parts.revision == parts.revision_end)
		return 0;
	/* dpkg accepts ':' in the upstream part once an epoch has claimed the first one. */
	return valid_chars(parts.upstream, parts.upstream_end, colon != NULL ? ".+~-:" : ".+~-") &&
	       valid_chars(parts.revision, parts.revision_end, ".+~");
}

int deb_relation_holds(const char *have, enum deb_op op, const char *want)
{
	int r;

	if (op == DEB_OP_NONE)
		return 1;
	r = deb_version_cmp(have, want);
	switch (op) {
	case DEB_OP_LT:
		return r < 0;
	case DEB_OP_LE:
		return r <= 0;
	case DEB_OP_EQ:
		return r == 0;
	case DEB_OP_GE:
		return r >= 0;
	case DEB_OP_GT:
		return r > 0;
	case DEB_OP_NONE:
		break;
	}
	return 1;
}

const char *deb_op_str(enum deb_op op)
{
	switch (op) {
	case DEB_OP_LT:
		return "<<";
	case DEB_OP_LE:
		return "<=";
	case DEB_OP_EQ:
		return "=";
	case DEB_OP_GE:
		return ">=";
	case DEB_OP_GT:
		return ">>";
	case DEB_OP_NONE:
		break;
	}
	return "";
}
