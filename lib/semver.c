#include "lib/semver.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"

/* How much of a constraint's version was left open: "1.2.3", "1.2[.x]", "1[.x]", "*". */
enum wild {
	WILD_NONE = 0,
	WILD_PATCH = 1,
	WILD_MINOR = 2,
	WILD_ALL = 3,
};

enum op {
	OP_EQ,
	OP_NE,
	OP_GT,
	OP_GE,
	OP_LT,
	OP_LE,
	OP_TILDE,
	OP_CARET,
};

struct comparator {
	enum op op;
	struct semver version; /* wild parts are 0 */
	enum wild wild;
};

struct group {
	struct comparator *items;
	size_t count;
	int has_pre;
};

struct semver_constraint {
	struct group *groups;
	size_t count;
};

static int parse_number(const char **p, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -1;
	if (**p == '0' && isdigit((unsigned char)(*p)[1]))
		return -1; /* no leading zeros (SemVer 2.0 §2) */
	errno = 0;
	*out = strtoull(*p, &end, 10);
	if (errno != 0)
		return -1;
	*p = end;
	return 0;
}

static int is_wild(const char *p)
{
	return *p == 'x' || *p == 'X' || *p == '*';
}

static int parse_suffix(const char *p, struct semver *out)
{
	const char *start;
	size_t len;

	out->pre[0] = '\0';
	if (*p == '-') {
		start = ++p;
		while (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
			p++;
		len = (size_t)(p - start);
		if (len == 0 || len >= sizeof(out->pre) || start[len - 1] == '.')
			return -1;
		memcpy(out->pre, start, len);
		out->pre[len] = '\0';
	}
	if (*p == '+') {
		p++;
		if (!isalnum((unsigned char)*p))
			return -1;
		while (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
			p++;
	}
	return *p == '\0' ? 0 : -1;
}

/* Parses a version that may be partial or wild; *wild says which parts were open. */
static int parse_loose(const char *text, struct semver *out, enum wild *wild)
{
	const char *p = text;
	uint64_t *parts[3] = {&out->major, &out->minor, &out->patch};
	int i;

	memset(out, 0, sizeof(*out));
	*wild = WILD_NONE;
	if (*p == 'v' || *p == 'V')
		p++;
	for (i = 0; i < 3; i++) {
		if (i > 0 && *p != '.') {
			*wild = i == 1 ? WILD_MINOR : WILD_PATCH;
			break;
		}
		if (i > 0)
			p++;
		if (is_wild(p)) {
			*wild = (enum wild)(3 - i);
			p++;
			while (i < 2 && p[0] == '.' && is_wild(p + 1)) /* 1.x.x */
				p += 2, i++;
			break;
		}
		if (parse_number(&p, parts[i]) != 0)
			return -1;
	}
	return parse_suffix(p, out);
}

int semver_parse(const char *text, struct semver *out, struct lerr *err)
{
	enum wild wild;

	if (parse_loose(text, out, &wild) != 0 || (wild != WILD_NONE && strpbrk(text, "xX*") != NULL))
		return lerr_set(err, LADING_ERR_FORMAT, "'%s' is not a semantic version", text);
	return 0;
}

static int compare_identifiers(const char *a, const char *b)
{
	while (*a != '\0' || *b != '\0') {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		int na = la > 0 && strspn(a, "0123456789") >= la;
		int nb = lb > 0 && strspn(b, "0123456789") >= lb;
		int c;

		if (*a == '\0')
			return -1;
		if (*b == '\0')
			return 1;
		if (na && nb) {
			c = la != lb ? (la < lb ? -1 : 1) : strncmp(a, b, la);
		} else if (na != nb) {
			c = na ? -1 : 1;
		} else {
			c = strncmp(a, b, la < lb ? la : lb);
			if (c == 0 && la != lb)
				c = la < lb ? -1 : 1;
		}
		if (c != 0)
			return c;
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return 0;
}

int semver_compare(const struct semver *a, const struct semver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	if (a->pre[0] == '\0' || b->pre[0] == '\0')
		return a->pre[0] == b->pre[0] ? 0 : (a->pre[0] == '\0' ? 1 : -1);
	return compare_identifiers(a->pre, b->pre);
}

/* The first version past the open part: 1.2.x -> 1.3.0, 1.x -> 2.0.0. */
static struct semver bump(const struct semver *v, enum wild level)
{
	struct semver up = {0, 0, 0, ""};

	if (level >= WILD_MINOR) {
		up.major = v->major + 1;
	} else if (level == WILD_PATCH) {
		up.major = v->major;
		up.minor = v->minor + 1;
	} else {
		up = *v;
		up.pre[0] = '\0';
		up.patch = v->patch + 1;
	}
	return up;
}

static int in_range(const struct semver *v, const struct semver *low, const struct semver *high)
{
	return semver_compare(v, low) >= 0 && semver_compare(v, high) < 0;
}

static int comparator_match(const struct comparator *c, const struct semver *v)
{
	const struct semver *base = &c->version;
	struct semver high;
	int cmp;

	if (c->wild == WILD_ALL && c->op != OP_NE && c->op != OP_LT && c->op != OP_GT)
		return 1;
	cmp = semver_compare(v, base);
	switch (c->op) {
	case OP_EQ:
		return c->wild == WILD_NONE ? cmp == 0 : in_range(v, base, (high = bump(base, c->wild), &high));
	case OP_NE:
		return c->wild == WILD_NONE ? cmp != 0 : !in_range(v, base, (high = bump(base, c->wild), &high));
	case OP_GT:
		if (c->wild == WILD_ALL)
			return 0;
		return c->wild == WILD_NONE ? cmp > 0 : semver_compare(v, (high = bump(base, c->wild), &high)) >= 0;
	case OP_GE:
		return cmp >= 0;
	case OP_LT:
		return c->wild == WILD_ALL ? 0 : cmp < 0;
	case OP_LE:
		return c->wild == WILD_NONE ? cmp <= 0 : semver_compare(v, (high = bump(base, c->wild), &high)) < 0;
	case OP_TILDE:
		high = bump(base, c->wild >= WILD_MINOR ? WILD_MINOR : WILD_PATCH);
		return in_range(v, base, &high);
	case OP_CARET:
		if (base->major > 0 || c->wild >= WILD_MINOR)
			high = bump(base, WILD_MINOR);
		else if (base->minor > 0 || c->wild == WILD_PATCH)
			high = bump(base, WILD_PATCH);
		else
			high = bump(base, WILD_NONE);
		return in_range(v, base, &high);
	}
	return 0;
}

static int parse_op(const char **p, enum op *op)
{
	static const struct {
		const char *text;
		enum op op;
	} ops[] = {{"~>", OP_TILDE}, {">=", OP_GE}, {"<=", OP_LE}, {"!=", OP_NE},   {"=>", OP_GE},  {"=<", OP_LE},
		   {"=", OP_EQ},     {">", OP_GT},  {"<", OP_LT},  {"~", OP_TILDE}, {"^", OP_CARET}};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t len = strlen(ops[i].text);

		if (strncmp(*p, ops[i].text, len) == 0) {
			*op = ops[i].op;
			*p += len;
			while (**p == ' ')
				(*p)++;
			return 0;
		}
	}
	*op = OP_EQ;
	return 0;
}

static void group_add(struct group *g, enum op op, const struct semver *v, enum wild wild)
{
	g->items = grow_array(g->items, g->count, sizeof(*g->items));
	g->items[g->count].op = op;
	g->items[g->count].version = *v;
	g->items[g->count].wild = wild;
	g->count++;
	if (v->pre[0] != '\0')
		g->has_pre = 1;
}

/* Splits one AND group ("comparators separated by comma or space", hyphen ranges). */
static int group_parse(char *text, struct group *g, const char *whole, struct lerr *err)
{
	char *tokens[64];
	size_t count = 0, i;
	char *save = NULL, *tok;

	for (tok = strtok_r(text, " ,\t", &save); tok != NULL; tok = strtok_r(NULL, " ,\t", &save)) {
		if (count == 64)
			return lerr_set(err, LADING_ERR_FORMAT, "constraint '%s' has too many parts", whole);
		tokens[count++] = tok;
	}
	/* An operator written apart from its version (">= 1.0") joins the next token. */
	for (i = 0; i < count; i++) {
		const char *p = tokens[i];
		enum op op;
		struct semver v, high;
		enum wild wild, high_wild;

		if (i + 2 < count && strcmp(tokens[i + 1], "-") == 0) {
			if (parse_loose(tokens[i], &v, &wild) != 0 ||
			    parse_loose(tokens[i + 2], &high, &high_wild) != 0)
				return lerr_set(err, LADING_ERR_FORMAT, "bad hyphen range in constraint '%s'", whole);
			group_add(g, OP_GE, &v, wild);
			group_add(g, OP_LE, &high, high_wild);
			i += 2;
			continue;
		}
		parse_op(&p, &op);
		if (*p == '\0' && i + 1 < count)
			p = tokens[++i];
		if (parse_loose(p, &v, &wild) != 0)
			return lerr_set(err, LADING_ERR_FORMAT, "'%s' in constraint '%s' is not a version", p, whole);
		group_add(g, op, &v, wild);
	}
	if (g->count == 0)
		group_add(g, OP_EQ, &(struct semver){0, 0, 0, ""}, WILD_ALL);
	return 0;
}

int semver_constraint_parse(const char *text, struct semver_constraint **out, struct lerr *err)
{
	struct semver_constraint *c = xcalloc(1, sizeof(*c));
	char *copy = xstrdup(text);
	char *start = copy;
	int r = -1;

	for (;;) {
		char *bar = strstr(start, "||");

		if (bar != NULL)
			*bar = '\0';
		c->groups = grow_array(c->groups, c->count, sizeof(*c->groups));
		memset(&c->groups[c->count], 0, sizeof(c->groups[0]));
		c->count++;
		if (group_parse(start, &c->groups[c->count - 1], text, err) != 0)
			goto out;
		if (bar == NULL)
			break;
		start = bar + 2;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	free(copy);
	semver_constraint_free(c);
	return r;
}

int semver_constraint_check(const struct semver_constraint *c, const struct semver *v)
{
	size_t i, j;

	for (i = 0; i < c->count; i++) {
		const struct group *g = &c->groups[i];
		int ok = v->pre[0] == '\0' || g->has_pre;

		for (j = 0; ok && j < g->count; j++)
			ok = comparator_match(&g->items[j], v);
		if (ok)
			return 1;
	}
	return 0;
}

void semver_constraint_free(struct semver_constraint *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->count; i++)
		free(c->groups[i].items);
	free(c->groups);
	free(c);
}
