/*
 * Ansible's INI inventory (plugins/inventory/ini.py): [group], [group:vars],
 * [group:children]; host lines split like shlex (quotes, '#' comments) with
 * key=value variables read as Python literals. A group named in children or
 * vars must be declared by its own [group] or [group:children] section
 * somewhere in the file.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/build.h"
#include "inventory/range.h"
#include "inventory/value.h"
#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

#define INV_NONE ((size_t)-1)

enum ini_state { INI_HOSTS, INI_CHILDREN, INI_VARS };

/* A group used before its declaration; an error if never declared. */
struct pending {
	char *name;
	char *parent; /* NULL for a [name:vars] section */
	struct inv_pos pos;
};

struct ini {
	struct inv_build *b;
	const char *file;
	int line;
	size_t group;
	char *group_name; /* of the current section */
	enum ini_state state;
	struct pending *pending;
	size_t pending_count;
	struct lerr *err;
};

struct word {
	char *text;
	int col;
};

static int ini_error(struct ini *in, int col, const char *msg, const char *subject)
{
	return lerr_set(in->err, LADING_ERR_USAGE, "%s:%d:%d: %s '%s'", in->file, in->line, col, msg, subject);
}

static struct inv_pos at(const struct ini *in, int col)
{
	struct inv_pos pos = {in->file, in->line, col};

	return pos;
}

/* POSIX shlex with comments: quotes group, backslash escapes, '#' ends the line. */
static int split_line(struct ini *in, const char *line, int col0, struct word **out, size_t *count)
{
	struct buf word = BUF_INIT(0);
	struct word *words = NULL;
	const char *p = line;
	int in_word = 0, start = 0;

	*count = 0;
	for (;; p++) {
		if (*p == '\0' || *p == '#' || isspace((unsigned char)*p)) {
			if (in_word) {
				words = grow_array(words, *count, sizeof(*words));
				words[*count].text = buf_detach(&word, NULL);
				words[(*count)++].col = start;
				in_word = 0;
			}
			if (*p == '\0' || *p == '#')
				break;
			continue;
		}
		if (!in_word)
			start = col0 + (int)(p - line);
		in_word = 1;
		if (*p == '\'' || *p == '"') {
			char quote = *p;
			const char *open = p++;

			for (; *p != quote; p++) {
				if (*p == '\0') {
					buf_free(&word);
					while (*count > 0)
						free(words[--*count].text);
					free(words);
					return ini_error(in, col0 + (int)(open - line), "unterminated quote in", line);
				}
				if (quote == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				buf_add(&word, p, 1, NULL);
			}
		} else {
			if (*p == '\\' && p[1] != '\0')
				p++;
			buf_add(&word, p, 1, NULL);
		}
	}
	buf_free(&word);
	*out = words;
	return 0;
}

static int host_line(struct ini *in, const char *line, int col0)
{
	struct inv_vars vars = {NULL, 0};
	struct word *words = NULL;
	char **names = NULL, *pattern = NULL;
	size_t count = 0, name_count = 0, i, bad;
	int port, r = -1;

	if (split_line(in, line, col0, &words, &count) != 0)
		return -1;
	if (count == 0) {
		r = 0;
		goto out;
	}
	if (inv_host_port(words[0].text, &pattern, &port, in->err) != 0) {
		lerr_prefix(in->err, "%s:%d:%d", in->file, in->line, words[0].col);
		goto out;
	}
	if (inv_range_expand(pattern, &names, &name_count, &bad, in->err) != 0) {
		lerr_prefix(in->err, "%s:%d:%d", in->file, in->line, words[0].col + (int)bad);
		goto out;
	}
	if (port > 0)
		inv_vars_set(&vars, "ansible_port", xasprintf("%d", port), INV_INT);
	for (i = 1; i < count; i++) {
		char *eq = strchr(words[i].text, '='), *value;
		enum inv_kind kind;

		if (eq == NULL || eq == words[i].text) {
			ini_error(in, words[i].col, "expected key=value host variable, got", words[i].text);
			goto out;
		}
		*eq = '\0';
		inv_value_python(eq + 1, &value, &kind);
		inv_vars_set(&vars, words[i].text, value, kind);
	}
	for (i = 0; i < name_count; i++)
		if (inv_build_host(in->b, in->group, names[i], &vars, at(in, words[0].col), in->err) != 0)
			goto out;
	r = 0;
out:
	for (i = 0; i < count; i++)
		free(words[i].text);
	free(words);
	free(pattern);
	inv_range_free(names, name_count);
	inv_vars_free(&vars);
	return r;
}

static int vars_line(struct ini *in, const char *line, int col0)
{
	const char *eq = strchr(line, '=');
	char *name, *text, *value;
	enum inv_kind kind;
	size_t len;
	int r;

	if (eq == NULL || eq == line)
		return ini_error(in, col0, "expected key=value, got", line);
	for (len = (size_t)(eq - line); len > 0 && isspace((unsigned char)line[len - 1]); len--)
		;
	name = xstrndup(line, len);
	for (eq++; isspace((unsigned char)*eq); eq++)
		;
	text = xstrdup(eq);
	for (len = strlen(text); len > 0 && isspace((unsigned char)text[len - 1]); len--)
		text[len - 1] = '\0';
	inv_value_python(text, &value, &kind);
	r = inv_build_group_var(in->b, in->group, name, value, kind, at(in, col0), in->err);
	free(name);
	free(text);
	free(value);
	return r;
}

/* A group name: no ':', ']' or whitespace; a trailing "# comment" is allowed. */
static char *group_name(const char *s, size_t *len_out)
{
	size_t len = strcspn(s, ":] \t#");
	const char *rest = s + len;

	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (len == 0 || (*rest != '\0' && *rest != '#'))
		return NULL;
	*len_out = len;
	return xstrndup(s, len);
}

static void pend(struct ini *in, const char *name, const char *parent, int col)
{
	in->pending = grow_array(in->pending, in->pending_count, sizeof(*in->pending));
	in->pending[in->pending_count].name = xstrdup(name);
	in->pending[in->pending_count].parent = parent != NULL ? xstrdup(parent) : NULL;
	in->pending[in->pending_count].pos = at(in, col);
	in->pending_count++;
}

/* A declaration of name: its pending child edges are made now, its [name:vars] becomes valid. */
static int declare(struct ini *in, const char *name)
{
	size_t i, j;

	for (i = 0; i < in->pending_count;) {
		struct pending *p = &in->pending[i];

		if (strcmp(p->name, name) != 0) {
			i++;
			continue;
		}
		if (p->parent != NULL && inv_build_child(in->b, inv_build_group(in->b, p->parent),
							 inv_build_group(in->b, name), p->pos, in->err) != 0)
			return -1;
		free(p->name);
		free(p->parent);
		for (j = i + 1; j < in->pending_count; j++)
			in->pending[j - 1] = in->pending[j];
		in->pending_count--;
	}
	return 0;
}

static int is_pending(const struct ini *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->pending_count; i++)
		if (strcmp(in->pending[i].name, name) == 0)
			return 1;
	return 0;
}

static int section_line(struct ini *in, const char *line, int col0)
{
	static const char *const tags[] = {"hosts", "children", "vars", NULL};
	size_t len = strcspn(line + 1, ":] \t#"), i;
	const char *p = line + 1 + len, *tag = NULL;
	size_t tag_len = 0;

	if (len == 0)
		return ini_error(in, col0, "invalid section header (no group name, or spaces in it)", line);
	if (*p == ':') {
		tag = p + 1;
		tag_len = strcspn(tag, "] \t#");
		p = tag + tag_len;
	}
	if (*p != ']' || (p[1 + strspn(p + 1, " \t")] != '\0' && p[1 + strspn(p + 1, " \t")] != '#'))
		return ini_error(in, col0, "invalid section header (spaces in it, or text after ']')", line);
	in->state = INI_HOSTS;
	if (tag != NULL) {
		for (i = 0; tags[i] != NULL; i++)
			if (strlen(tags[i]) == tag_len && strncmp(tag, tags[i], tag_len) == 0)
				break;
		if (tags[i] == NULL)
			return lerr_set(in->err, LADING_ERR_USAGE,
					"%s:%d:%d: unknown section type '%.*s' (expected hosts, children or vars)",
					in->file, in->line, col0 + 2 + (int)len, (int)tag_len, tag);
		in->state = (enum ini_state)i;
	}
	free(in->group_name);
	in->group_name = xstrndup(line + 1, len);
	if (inv_build_group_find(in->b, in->group_name) == INV_NONE && in->state == INI_VARS &&
	    !is_pending(in, in->group_name))
		pend(in, in->group_name, NULL, col0 + 1);
	in->group = inv_build_group(in->b, in->group_name);
	return in->state == INI_VARS ? 0 : declare(in, in->group_name);
}

static int children_line(struct ini *in, const char *line, int col0)
{
	size_t len;
	char *name = group_name(line, &len);
	int r = 0;

	if (name == NULL)
		return ini_error(in, col0, "expected a group name, got", line);
	if (inv_build_group_find(in->b, name) != INV_NONE)
		r = inv_build_child(in->b, in->group, inv_build_group(in->b, name), at(in, col0), in->err);
	else
		pend(in, name, in->group_name, col0);
	free(name);
	return r;
}

static int check_pending(struct ini *in)
{
	const struct pending *p;

	if (in->pending_count == 0)
		return 0;
	p = &in->pending[0];
	if (p->parent == NULL)
		return lerr_set(
		    in->err, LADING_ERR_USAGE,
		    "%s:%d:%d: section [%s:vars] is for group '%s', which has no [%s] or [%s:children] section",
		    p->pos.file, p->pos.line, p->pos.col, p->name, p->name, p->name, p->name);
	return lerr_set(in->err, LADING_ERR_USAGE,
			"%s:%d:%d: unknown group '%s' in [%s:children]: declare it with a [%s] section", p->pos.file,
			p->pos.line, p->pos.col, p->name, p->parent, p->name);
}

static int ini_line(struct ini *in, const char *line, int col0)
{
	if (line[0] == '[')
		return section_line(in, line, col0);
	switch (in->state) {
	case INI_HOSTS:
		return host_line(in, line, col0);
	case INI_CHILDREN:
		return children_line(in, line, col0);
	case INI_VARS:
		break;
	}
	return vars_line(in, line, col0);
}

int inv_ini_read(struct inv_build *b, const char *path, const char *data, size_t len, struct lerr *err)
{
	struct ini in = {b, inv_build_file(b, path), 0, 1, NULL, INI_HOSTS, NULL, 0, err};
	const char *p = data, *end = data + len;
	int r = -1;
	size_t i;

	in.group_name = xstrdup("ungrouped");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl != NULL ? nl : end, *s = p, *start = p;
		char *line;

		in.line++;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		p = nl != NULL ? nl + 1 : end;
		if (s == e || *s == '#' || *s == ';')
			continue;
		line = xstrndup(s, (size_t)(e - s));
		r = ini_line(&in, line, (int)(s - start) + 1);
		free(line);
		if (r != 0)
			goto out;
	}
	r = check_pending(&in);
out:
	for (i = 0; i < in.pending_count; i++) {
		free(in.pending[i].name);
		free(in.pending[i].parent);
	}
	free(in.pending);
	free(in.group_name);
	return r;
}
