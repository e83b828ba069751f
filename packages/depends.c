#include "packages/depends.h"

#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"

/* Parser state: the input, and the owned copy the atoms' strings are written into. */
struct dep_parser {
	const char *p;
	char *out; /* next free byte of deps->text */
	const char *pkg, *field, *value;
	struct deb_depends *deps;
	struct lerr *err;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_name_char(char c)
{
	/* Policy §5.6.1: lowercase letters, digits, '+', '-', '.'; upper case and '_' are tolerated as apt does. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
	       c == '.' || c == '_';
}

static void skip_space(struct dep_parser *ps)
{
	while (is_space(*ps->p))
		ps->p++;
}

static int fail(struct dep_parser *ps, const char *what)
{
	return lerr_about(ps->err, LADING_ERR_FORMAT, ps->pkg, "%s: %s in '%.200s'", ps->field, what, ps->value);
}

/* Copies the len bytes at start into the owned text, NUL-terminated, and returns the copy. */
static const char *keep(struct dep_parser *ps, const char *start, size_t len)
{
	char *copy = ps->out;

	memcpy(copy, start, len);
	copy[len] = '\0';
	ps->out += len + 1;
	return copy;
}

static const char *take_while(struct dep_parser *ps, int (*accept)(char))
{
	const char *start = ps->p;

	while (*ps->p != '\0' && accept(*ps->p))
		ps->p++;
	return ps->p == start ? NULL : keep(ps, start, (size_t)(ps->p - start));
}

static int is_version_char(char c)
{
	return !is_space(c) && c != ')' && c != '(' && c != ',' && c != '|';
}

static int parse_op(struct dep_parser *ps, enum deb_op *op)
{
	static const struct {
		const char *text;
		enum deb_op op;
	} ops[] = {
	    {"<<", DEB_OP_LT}, {"<=", DEB_OP_LE}, {">=", DEB_OP_GE}, {">>", DEB_OP_GT},
	    {"=", DEB_OP_EQ},  {"<", DEB_OP_LE},  {">", DEB_OP_GE}, /* obsolete forms, Policy §7.1 */
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t len = strlen(ops[i].text);

		if (strncmp(ps->p, ops[i].text, len) == 0) {
			ps->p += len;
			*op = ops[i].op;
			return 0;
		}
	}
	return fail(ps, "unknown relation");
}

static int parse_qualifier(struct dep_parser *ps, struct deb_atom *atom)
{
	const char *qual;

	ps->p++;
	if ((qual = take_while(ps, is_name_char)) == NULL)
		return fail(ps, "empty architecture qualifier");
	if (strcmp(qual, "any") == 0)
		atom->arch_qual = DEB_ARCH_ANY;
	else if (strcmp(qual, "native") == 0)
		atom->arch_qual = DEB_ARCH_NATIVE;
	else {
		atom->arch_qual = DEB_ARCH_OTHER;
		atom->arch_name = qual;
	}
	return 0;
}

static int parse_atom(struct dep_parser *ps, struct deb_atom *atom)
{
	memset(atom, 0, sizeof(*atom));
	skip_space(ps);
	if ((atom->name = take_while(ps, is_name_char)) == NULL)
		return fail(ps, "missing package name");
	if (*ps->p == ':' && parse_qualifier(ps, atom) != 0)
		return -1;
	skip_space(ps);
	if (*ps->p == '(') {
		ps->p++;
		skip_space(ps);
		if (parse_op(ps, &atom->op) != 0)
			return -1;
		skip_space(ps);
		atom->version = take_while(ps, is_version_char);
		if (atom->version == NULL || !deb_version_valid(atom->version))
			return fail(ps, "bad version");
		skip_space(ps);
		if (*ps->p != ')')
			return fail(ps, "missing ')' after the version");
		ps->p++;
		skip_space(ps);
	}
	/* Architecture lists and build profiles belong to source packages' Build-Depends only. */
	if (*ps->p == '[' || *ps->p == '<')
		return fail(ps, "architecture list or build profile");
	if (*ps->p != '\0' && *ps->p != ',' && *ps->p != '|')
		return fail(ps, "unexpected character");
	return 0;
}

int deb_depends_parse(const char *value, const char *pkg, const char *field, struct deb_depends *out, struct lerr *err)
{
	struct deb_depends deps = {0};
	struct dep_parser ps;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (value == NULL)
		value = "";
	len = strlen(value);
	/* Every kept token is followed by a delimiter in the input, except the last: one byte more suffices. */
	deps.text = xmalloc(len + 2);
	ps = (struct dep_parser){value, deps.text, pkg, field, value, &deps, err};
	skip_space(&ps);
	while (*ps.p != '\0') {
		struct deb_group group = {deps.atom_count, 0};

		for (;;) {
			deps.atoms = grow_array(deps.atoms, deps.atom_count, sizeof(*deps.atoms));
			if (parse_atom(&ps, &deps.atoms[deps.atom_count]) != 0)
				goto fail;
			deps.atom_count++;
			group.count++;
			if (*ps.p != '|')
				break;
			ps.p++;
		}
		deps.groups = grow_array(deps.groups, deps.group_count, sizeof(*deps.groups));
		deps.groups[deps.group_count++] = group;
		if (*ps.p == ',') {
			ps.p++;
			skip_space(&ps);
			if (*ps.p == '\0') {
				fail(&ps, "missing package name");
				goto fail;
			}
		}
	}
	*out = deps;
	return 0;
fail:
	deb_depends_free(&deps);
	return -1;
}

void deb_depends_free(struct deb_depends *deps)
{
	free(deps->text);
	free(deps->atoms);
	free(deps->groups);
	memset(deps, 0, sizeof(*deps));
}
