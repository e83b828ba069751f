#include "providers/tfversion.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"

enum tf_op {
	TF_EQ,
	TF_NE,
	TF_GT,
	TF_GE,
	TF_LT,
	TF_LE,
	TF_PESSIMISTIC,
};

struct tf_term {
	enum tf_op op;
	struct semver version;
	int segments; /* how many of major.minor.patch were written */
};

struct tf_constraint {
	struct tf_term *terms;
	size_t count;
};

static int term_parse(const char *text, struct tf_term *term, const char *whole, struct lerr *err)
{
	static const struct {
		const char *text;
		enum tf_op op;
	} ops[] = {{"~>", TF_PESSIMISTIC}, {">=", TF_GE}, {"<=", TF_LE}, {"!=", TF_NE},
		   {"=", TF_EQ},	   {">", TF_GT},  {"<", TF_LT}};
	const char *p = text;
	size_t i;

	while (isspace((unsigned char)*p))
		p++;
	term->op = TF_EQ;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strncmp(p, ops[i].text, strlen(ops[i].text)) == 0) {
			term->op = ops[i].op;
			p += strlen(ops[i].text);
			break;
		}
	while (isspace((unsigned char)*p))
		p++;
	term->segments = 1;
	for (i = 0; p[i] != '\0' && p[i] != '-' && p[i] != '+'; i++)
		if (p[i] == '.')
			term->segments++;
	if (*p == '\0' || term->segments > 3 || semver_parse(p, &term->version, NULL) != 0)
		return lerr_set(err, LADING_ERR_FORMAT, "'%s' in version constraint '%s' is not a version", p, whole);
	return 0;
}

int tf_constraint_parse(const char *text, struct tf_constraint **out, struct lerr *err)
{
	struct tf_constraint *c = xcalloc(1, sizeof(*c));
	char *copy = xstrdup(text);
	char *save = NULL;
	char *part;
	int r = -1;

	for (part = strtok_r(copy, ",", &save); part != NULL; part = strtok_r(NULL, ",", &save)) {
		c->terms = grow_array(c->terms, c->count, sizeof(*c->terms));
		if (term_parse(part, &c->terms[c->count], text, err) != 0)
			goto out;
		c->count++;
	}
	if (c->count == 0) {
		lerr_set(err, LADING_ERR_FORMAT, "empty version constraint");
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	free(copy);
	tf_constraint_free(c);
	return r;
}

static int pessimistic_match(const struct tf_term *t, const struct semver *v)
{
	const uint64_t want[3] = {t->version.major, t->version.minor, t->version.patch};
	const uint64_t have[3] = {v->major, v->minor, v->patch};
	int i;

	if (semver_compare(v, &t->version) < 0)
		return 0;
	for (i = 0; i < t->segments - 1; i++)
		if (want[i] != have[i])
			return 0;
	return 1;
}

static int term_match(const struct tf_term *t, const struct semver *v)
{
	int cmp = semver_compare(v, &t->version);

	/* A prerelease is selected only by an exact constraint naming it. */
	if (v->pre[0] != '\0' && !(t->op == TF_EQ && cmp == 0))
		return 0;
	switch (t->op) {
	case TF_EQ:
		return cmp == 0;
	case TF_NE:
		return cmp != 0;
	case TF_GT:
		return cmp > 0;
	case TF_GE:
		return cmp >= 0;
	case TF_LT:
		return cmp < 0;
	case TF_LE:
		return cmp <= 0;
	case TF_PESSIMISTIC:
		return pessimistic_match(t, v);
	}
	return 0;
}

int tf_constraint_check(const struct tf_constraint *c, const struct semver *v)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		if (!term_match(&c->terms[i], v))
			return 0;
	return 1;
}

void tf_constraint_free(struct tf_constraint *c)
{
	if (c == NULL)
		return;
	free(c->terms);
	free(c);
}
