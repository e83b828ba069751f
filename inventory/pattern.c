/*
 * Host patterns as Ansible reads them (inventory/manager.py): terms separated
 * by ':' or ',', each a group or host name, a glob, or ~regex, optionally with
 * a subscript [i] / [i:j]; "&term" intersects, "!term" excludes. Plain terms
 * are joined first, then intersections, then exclusions, whatever their
 * position. The result keeps inventory order.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/inventory.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

struct subscript {
	int present;
	long start;
	long end; /* inclusive; LONG_MAX-ish for "to the end" */
	int single;
};

static int is_glob(const char *term)
{
	return strpbrk(term, "*?[") != NULL;
}

static size_t group_index(const struct inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->group_count; i++)
		if (strcmp(inv->groups[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

/* Host names sorted for bsearch: patterns over 10 000-host inventories stay fast. */
struct by_name {
	const char *name;
	size_t index;
};

static int cmp_by_name(const void *a, const void *b)
{
	return strcmp(((const struct by_name *)a)->name, ((const struct by_name *)b)->name);
}

static struct by_name *names_index(const struct inventory *inv)
{
	struct by_name *names = xcalloc(inv->host_count ? inv->host_count : 1, sizeof(*names));
	size_t i;

	for (i = 0; i < inv->host_count; i++) {
		names[i].name = inv->hosts[i].name;
		names[i].index = i;
	}
	qsort(names, inv->host_count, sizeof(*names), cmp_by_name);
	return names;
}

static size_t host_index(const struct inventory *inv, const struct by_name *names, const char *name)
{
	struct by_name key = {name, 0};
	const struct by_name *found = bsearch(&key, names, inv->host_count, sizeof(*names), cmp_by_name);

	return found != NULL ? found->index : (size_t)-1;
}

/* The hosts a term selects, in Ansible's order (what subscripts count), each once. */
struct hostlist {
	size_t *items;
	size_t count;
	unsigned char *in; /* per inventory host */
	const struct by_name *names;
};

static void list_add(struct hostlist *l, size_t host)
{
	if (host == (size_t)-1 || l->in[host])
		return;
	l->in[host] = 1;
	l->items[l->count++] = host;
}

/*
 * Ansible's Group.get_hosts: the group's own hosts, then those of its
 * descendants level by level, each level in child order.
 */
static void add_group(const struct inventory *inv, size_t g, struct hostlist *l)
{
	size_t *queue = xcalloc(inv->group_count, sizeof(*queue));
	unsigned char *queued = xcalloc(inv->group_count, 1);
	size_t head = 0, tail = 0, i, j;

	if (g == 0) {
		for (i = 0; i < inv->host_count; i++)
			list_add(l, i);
		goto out;
	}
	queue[tail++] = g;
	queued[g] = 1;
	while (head < tail) {
		const struct inv_group *group = &inv->groups[queue[head++]];

		for (i = 0; i < group->host_count; i++)
			list_add(l, host_index(inv, l->names, group->hosts[i]));
		for (i = 0; i < group->child_count; i++)
			if ((j = group_index(inv, group->children[i])) != (size_t)-1 && !queued[j]) {
				queued[j] = 1;
				queue[tail++] = j;
			}
	}
out:
	free(queue);
	free(queued);
}

/* "name[3]", "name[1:4]", "name[2:]", "name[:2]", "name[-1]" (Ansible's _split_subscript). */
static int split_subscript(char *term, struct subscript *sub)
{
	size_t len = strlen(term);
	char *open, *colon, *end;

	memset(sub, 0, sizeof(*sub));
	if (len < 3 || term[0] == '~' || term[len - 1] != ']' || (open = strrchr(term, '[')) == NULL || open == term)
		return 0;
	term[len - 1] = '\0';
	colon = strchr(open + 1, ':');
	if (colon == NULL) {
		sub->start = strtol(open + 1, &end, 10);
		if (end == open + 1 || *end != '\0') {
			term[len - 1] = ']';
			return 0;
		}
		sub->single = 1;
	} else {
		*colon = '\0';
		sub->start = open[1] == '\0' ? 0 : strtol(open + 1, &end, 10);
		if (open[1] != '\0' && (*end != '\0' || sub->start < 0))
			goto not_subscript;
		sub->end = colon[1] == '\0' ? -1 : strtol(colon + 1, &end, 10);
		if (colon[1] != '\0' && (*end != '\0' || sub->end < 0))
			goto not_subscript;
	}
	sub->present = 1;
	*open = '\0';
	return 0;
not_subscript:
	*colon = ':';
	term[len - 1] = ']';
	return 0;
}

/* Keeps the subscripted positions of l (Python slicing with an inclusive end, as Ansible does). */
static int apply_subscript(const struct subscript *sub, const char *term, struct hostlist *l, struct lerr *err)
{
	long start = sub->start, end = sub->end, n = (long)l->count, i;

	if (sub->single) {
		if (start < 0)
			start += n;
		if (start < 0 || start >= n)
			return lerr_set(err, LADING_ERR_USAGE, "pattern '%s[%ld]': subscript out of range (%ld hosts)",
					term, sub->start, n);
		end = start;
	} else if (end < 0 || end >= n) {
		end = n - 1;
	}
	if (start > end) {
		l->count = 0;
		return 0;
	}
	for (i = start; i <= end; i++)
		l->items[i - start] = l->items[i];
	l->count = (size_t)(end - start + 1);
	return 0;
}

static int match_regex(const struct inventory *inv, const char *term, struct hostlist *l, struct lerr *err)
{
	regex_t re;
	size_t i;
	int rc;

	if ((rc = regcomp(&re, term + 1, REG_EXTENDED | REG_NOSUB)) != 0) {
		char msg[128];

		regerror(rc, &re, msg, sizeof(msg));
		return lerr_set(err, LADING_ERR_USAGE, "pattern '%s': bad regular expression: %s", term, msg);
	}
	for (i = 0; i < inv->group_count; i++)
		if (regexec(&re, inv->groups[i].name, 0, NULL, 0) == 0)
			add_group(inv, i, l);
	for (i = 0; i < inv->host_count; i++)
		if (regexec(&re, inv->hosts[i].name, 0, NULL, 0) == 0)
			list_add(l, i);
	regfree(&re);
	return 0;
}

/* One term without its '&' or '!' prefix into hits. */
static int match_term(const struct inventory *inv, const struct by_name *names, const char *text, unsigned char *hits,
		      struct lerr *err)
{
	size_t n = inv->host_count ? inv->host_count : 1, i;
	struct hostlist l = {xcalloc(n, sizeof(size_t)), 0, xcalloc(n, 1), names};
	char *term = xstrdup(text);
	struct subscript sub;
	int r = -1;

	split_subscript(term, &sub);
	if (strcmp(term, "all") == 0 || strcmp(term, "*") == 0) {
		add_group(inv, 0, &l);
	} else if (term[0] == '~') {
		if (match_regex(inv, term, &l, err) != 0)
			goto out;
	} else if (is_glob(term)) {
		for (i = 0; i < inv->group_count; i++)
			if (fnmatch(term, inv->groups[i].name, 0) == 0)
				add_group(inv, i, &l);
		for (i = 0; i < inv->host_count; i++)
			if (fnmatch(term, inv->hosts[i].name, 0) == 0)
				list_add(&l, i);
	} else if ((i = group_index(inv, term)) != (size_t)-1) {
		add_group(inv, i, &l);
	} else if ((i = host_index(inv, names, term)) != (size_t)-1) {
		list_add(&l, i);
	} else {
		lerr_set(err, LADING_ERR_USAGE, "pattern '%s' matches no group or host in the inventory", term);
		goto out;
	}
	if (sub.present && apply_subscript(&sub, term, &l, err) != 0)
		goto out;
	memset(hits, 0, inv->host_count);
	for (i = 0; i < l.count; i++)
		hits[l.items[i]] = 1;
	r = 0;
out:
	free(term);
	free(l.items);
	free(l.in);
	return r;
}

/* Splits on ':' and ',' outside brackets; blank terms are dropped. */
static char **split_terms(const char *pattern, size_t *count)
{
	char **terms = NULL;
	const char *start = pattern, *p;
	int depth = 0;

	*count = 0;
	for (p = pattern;; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		if (*p == '\0' || ((*p == ':' || *p == ',') && depth == 0)) {
			const char *a = start, *b = p;

			while (a < b && isspace((unsigned char)*a))
				a++;
			while (b > a && isspace((unsigned char)b[-1]))
				b--;
			if (b > a) {
				terms = grow_array(terms, *count, sizeof(*terms));
				terms[(*count)++] = xstrndup(a, (size_t)(b - a));
			}
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	return terms;
}

int inv_select(const struct inventory *inv, const char *pattern, const struct inv_host ***hosts, size_t *count,
	       struct lerr *err)
{
	size_t n = inv->host_count ? inv->host_count : 1, term_count = 0, i, j, k;
	unsigned char *result = xcalloc(n, 1), *hits = xcalloc(n, 1);
	char **terms = split_terms(pattern != NULL ? pattern : "", &term_count);
	const struct inv_host **out = NULL;
	struct by_name *names = names_index(inv);
	int plain = 0, pass, r = -1;

	for (i = 0; i < term_count; i++)
		plain += terms[i][0] != '&' && terms[i][0] != '!';
	if (plain == 0) /* only & and ! terms (or nothing): start from all */
		memset(result, 1, inv->host_count);
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < term_count; i++) {
			char prefix = terms[i][0] == '&' || terms[i][0] == '!' ? terms[i][0] : 0;

			if ((pass == 0 && prefix != 0) || (pass == 1 && prefix != '&') || (pass == 2 && prefix != '!'))
				continue;
			if (prefix != 0 && terms[i][1] == '\0') {
				lerr_set(err, LADING_ERR_USAGE, "pattern '%s': '%c' must be followed by a name",
					 pattern, prefix);
				goto out;
			}
			if (match_term(inv, names, terms[i] + (prefix != 0), hits, err) != 0)
				goto out;
			for (j = 0; j < inv->host_count; j++)
				result[j] = prefix == 0	    ? (result[j] | hits[j])
					    : prefix == '&' ? (result[j] & hits[j])
							    : (result[j] & !hits[j]);
		}
	out = xcalloc(n, sizeof(*out));
	for (j = 0, k = 0; j < inv->host_count; j++)
		if (result[j])
			out[k++] = &inv->hosts[j];
	*hosts = out;
	*count = k;
	out = NULL;
	r = 0;
out:
	for (i = 0; i < term_count; i++)
		free(terms[i]);
	free(terms);
	free(result);
	free(hits);
	free(names);
	free(out);
	return r;
}
