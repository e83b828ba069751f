/*
 * The inventory model while files are read into it: groups with their own
 * variables and child edges, hosts with their host variables. Positions are
 * kept so errors name file:line:col.
 */
#include "inventory/build.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"

#define INV_NONE ((size_t)-1)

struct bgroup {
	char *name;
	struct inv_vars vars;
	int priority;
	size_t *children;
	size_t child_count;
	size_t *parents;
	struct inv_pos *parent_pos; /* where each parent edge was given */
	size_t parent_count;
	size_t *hosts; /* direct members, first listing order */
	size_t host_count;
	struct inv_vars *host_vars; /* variables given with each direct member here */
	struct inv_pos *host_pos;
};

struct bhost {
	char *name;
	struct inv_vars vars;
	size_t *groups; /* direct memberships: group index ... */
	size_t *slots;	/* ... and the host's position in that group's hosts */
	size_t group_count;
};

/* Open-addressing name -> index table, so 10 000-host ranges stay linear. */
struct name_index {
	size_t *slots; /* index + 1; 0 = empty */
	size_t cap;
	size_t used;
};

struct inv_build {
	struct bgroup *groups;
	size_t group_count;
	struct bhost *hosts;
	size_t host_count;
	size_t entry_count; /* host listings in groups, against INV_ENTRIES_MAX */
	unsigned *visit;    /* per group: the cycle check that last saw it, so no check clears an array */
	size_t visit_cap;
	unsigned visit_gen;
	struct name_index group_index;
	struct name_index host_index;
	char **files;
	size_t file_count;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* names(i) gives the name of entry i; the table only stores indexes. */
static size_t index_find(const struct name_index *ix, const char *name, const char *(*names)(const void *, size_t),
			 const void *ctx)
{
	size_t slot;

	if (ix->cap == 0)
		return INV_NONE;
	for (slot = name_hash(name) & (ix->cap - 1); ix->slots[slot] != 0; slot = (slot + 1) & (ix->cap - 1))
		if (strcmp(names(ctx, ix->slots[slot] - 1), name) == 0)
			return ix->slots[slot] - 1;
	return INV_NONE;
}

static void index_put(struct name_index *ix, size_t value, const char *(*names)(const void *, size_t), const void *ctx)
{
	size_t slot, i;

	if ((ix->used + 1) * 2 > ix->cap) {
		struct name_index bigger = {NULL, ix->cap ? ix->cap * 2 : 64, 0};

		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		for (i = 0; i < ix->cap; i++)
			if (ix->slots[i] != 0)
				index_put(&bigger, ix->slots[i] - 1, names, ctx);
		free(ix->slots);
		*ix = bigger;
	}
	for (slot = name_hash(names(ctx, value)) & (ix->cap - 1); ix->slots[slot] != 0;
	     slot = (slot + 1) & (ix->cap - 1))
		;
	ix->slots[slot] = value + 1;
	ix->used++;
}

static const char *group_name_at(const void *ctx, size_t i)
{
	return ((const struct inv_build *)ctx)->groups[i].name;
}

static const char *host_name_at(const void *ctx, size_t i)
{
	return ((const struct inv_build *)ctx)->hosts[i].name;
}

void inv_vars_set(struct inv_vars *vars, const char *name, char *value, enum inv_kind kind)
{
	size_t i;

	for (i = 0; i < vars->count; i++)
		if (strcmp(vars->items[i].name, name) == 0) {
			free(vars->items[i].value);
			vars->items[i].value = value;
			vars->items[i].kind = kind;
			return;
		}
	vars->items = grow_array(vars->items, vars->count, sizeof(*vars->items));
	vars->items[vars->count].name = xstrdup(name);
	vars->items[vars->count].value = value;
	vars->items[vars->count].kind = kind;
	vars->count++;
}

void inv_vars_free(struct inv_vars *vars)
{
	size_t i;

	for (i = 0; i < vars->count; i++) {
		free(vars->items[i].name);
		free(vars->items[i].value);
	}
	free(vars->items);
	vars->items = NULL;
	vars->count = 0;
}

static const struct inv_var *vars_get(const struct inv_vars *vars, const char *name)
{
	size_t i;

	for (i = 0; i < vars->count; i++)
		if (strcmp(vars->items[i].name, name) == 0)
			return &vars->items[i];
	return NULL;
}

struct inv_build *inv_build_new(void)
{
	struct inv_build *b = xcalloc(1, sizeof(*b));

	inv_build_group(b, "all");
	inv_build_group(b, "ungrouped");
	return b;
}

void inv_build_free(struct inv_build *b)
{
	size_t i, j;

	if (b == NULL)
		return;
	for (i = 0; i < b->group_count; i++) {
		struct bgroup *g = &b->groups[i];

		free(g->name);
		inv_vars_free(&g->vars);
		free(g->children);
		free(g->parents);
		free(g->parent_pos);
		for (j = 0; j < g->host_count; j++)
			inv_vars_free(&g->host_vars[j]);
		free(g->hosts);
		free(g->host_vars);
		free(g->host_pos);
	}
	for (i = 0; i < b->host_count; i++) {
		free(b->hosts[i].name);
		inv_vars_free(&b->hosts[i].vars);
		free(b->hosts[i].groups);
		free(b->hosts[i].slots);
	}
	for (i = 0; i < b->file_count; i++)
		free(b->files[i]);
	free(b->groups);
	free(b->hosts);
	free(b->files);
	free(b->visit);
	free(b->group_index.slots);
	free(b->host_index.slots);
	free(b);
}

const char *inv_build_file(struct inv_build *b, const char *path)
{
	size_t i;

	for (i = 0; i < b->file_count; i++)
		if (strcmp(b->files[i], path) == 0)
			return b->files[i];
	b->files = grow_array(b->files, b->file_count, sizeof(*b->files));
	b->files[b->file_count] = xstrdup(path);
	return b->files[b->file_count++];
}

size_t inv_build_group_find(const struct inv_build *b, const char *name)
{
	return index_find(&b->group_index, name, group_name_at, b);
}

size_t inv_build_group(struct inv_build *b, const char *name)
{
	size_t i = inv_build_group_find(b, name);

	if (i != INV_NONE)
		return i;
	b->groups = grow_array(b->groups, b->group_count, sizeof(*b->groups));
	memset(&b->groups[b->group_count], 0, sizeof(b->groups[0]));
	b->groups[b->group_count].name = xstrdup(name);
	b->groups[b->group_count].priority = 1;
	index_put(&b->group_index, b->group_count, group_name_at, b);
	return b->group_count++;
}

/*
 * ansible_port (or ansible_ssh_port) becomes the TCP port lading connects to:
 * refused where it is given, with its position, rather than when the host is
 * reached (quoted digits are a number too, as Ansible's int() reads them).
 */
static int check_port_var(const char *name, const char *value, const char *what, const char *subject,
			  struct inv_pos pos, struct lerr *err)
{
	size_t len = strlen(value), i;
	long port = 0;

	if (strcmp(name, "ansible_port") != 0 && strcmp(name, "ansible_ssh_port") != 0)
		return 0;
	for (i = 0; i < len && i < 6 && isdigit((unsigned char)value[i]); i++)
		port = port * 10 + (value[i] - '0');
	if (len > 0 && i == len && port >= 1 && port <= 65535)
		return 0;
	return lerr_set(err, LADING_ERR_USAGE, "%s:%d:%d: %s '%s': %s '%.64s' must be a number from 1 to 65535",
			pos.file, pos.line, pos.col, what, subject, name, value);
}

int inv_build_group_var(struct inv_build *b, size_t group, const char *name, const char *value, enum inv_kind kind,
			struct inv_pos pos, struct lerr *err)
{
	struct bgroup *g = &b->groups[group];

	if (check_port_var(name, value, "group", g->name, pos, err) != 0)
		return -1;

	if (strcmp(name, "ansible_group_priority") == 0) {
		char *end = NULL;
		long prio = strtol(value, &end, 10);

		if (*value == '\0' || *end != '\0' || prio < -1000000 || prio > 1000000)
			return lerr_set(err, LADING_ERR_USAGE,
					"%s:%d:%d: group '%s': ansible_group_priority must be an integer, got '%s'",
					pos.file, pos.line, pos.col, g->name, value);
		g->priority = (int)prio;
		return 0;
	}
	inv_vars_set(&g->vars, name, xstrdup(value), kind);
	return 0;
}

/*
 * 1 when target is group or one of its descendants, 0 when not, -1 when the
 * groups below group nest deeper than INV_GROUP_DEPTH_MAX (the recursion
 * stops there, so a crafted chain of groups cannot exhaust the stack).
 */
static int reaches(struct inv_build *b, size_t group, size_t target, int level, int max_level)
{
	size_t i;
	int r;

	if (group == target)
		return 1;
	if (b->visit[group] == b->visit_gen)
		return 0;
	if (level > max_level)
		return -1;
	b->visit[group] = b->visit_gen;
	for (i = 0; i < b->groups[group].child_count; i++)
		if ((r = reaches(b, b->groups[group].children[i], target, level + 1, max_level)) != 0)
			return r;
	return 0;
}

static int too_deep(const struct inv_build *b, size_t parent, size_t child, struct inv_pos pos, struct lerr *err)
{
	return lerr_set(err, LADING_ERR_LIMIT,
			"%s:%d:%d: group '%s' as a child of '%s' nests groups more than %d levels deep", pos.file,
			pos.line, pos.col, b->groups[child].name, b->groups[parent].name, INV_GROUP_DEPTH_MAX);
}

static void push_index(size_t **array, size_t *count, size_t value)
{
	*array = grow_array(*array, *count, sizeof(**array));
	(*array)[(*count)++] = value;
}

int inv_build_child(struct inv_build *b, size_t parent, size_t child, struct inv_pos pos, struct lerr *err)
{
	struct bgroup *p = &b->groups[parent];
	size_t i;
	int cycle;

	/* the child's parents, not the parent's children: a group may have 100 000 children, rarely many parents */
	for (i = 0; i < b->groups[child].parent_count; i++)
		if (b->groups[child].parents[i] == parent)
			return 0;
	if (child == 0)
		return lerr_set(err, LADING_ERR_USAGE, "%s:%d:%d: group 'all' cannot be a child of '%s'", pos.file,
				pos.line, pos.col, p->name);
	if (b->visit_cap < b->group_count || ++b->visit_gen == 0) {
		free(b->visit);
		b->visit_cap = b->group_count * 2;
		b->visit = xcalloc(b->visit_cap, sizeof(*b->visit));
		b->visit_gen = 1;
	}
	/* below a group other than "all" (itself at least one level down), one level less is left */
	cycle = reaches(b, child, parent, 1, parent == 0 ? INV_GROUP_DEPTH_MAX : INV_GROUP_DEPTH_MAX - 1);
	if (cycle < 0)
		return too_deep(b, parent, child, pos, err);
	if (cycle)
		return lerr_set(
		    err, LADING_ERR_USAGE,
		    "%s:%d:%d: group '%s' as a child of '%s' makes a cycle in children; remove one of the two edges",
		    pos.file, pos.line, pos.col, b->groups[child].name, p->name);
	push_index(&p->children, &p->child_count, child);
	b->groups[child].parent_pos = grow_array(b->groups[child].parent_pos, b->groups[child].parent_count,
						 sizeof(*b->groups[child].parent_pos));
	b->groups[child].parent_pos[b->groups[child].parent_count] = pos;
	push_index(&b->groups[child].parents, &b->groups[child].parent_count, parent);
	return 0;
}

static size_t host_add(struct inv_build *b, const char *name)
{
	size_t i = index_find(&b->host_index, name, host_name_at, b);

	if (i != INV_NONE)
		return i;
	b->hosts = grow_array(b->hosts, b->host_count, sizeof(*b->hosts));
	memset(&b->hosts[b->host_count], 0, sizeof(b->hosts[0]));
	b->hosts[b->host_count].name = xstrdup(name);
	index_put(&b->host_index, b->host_count, host_name_at, b);
	return b->host_count++;
}

/* A second listing of a host in one group may repeat but not contradict the first. */
static int check_repeat(const struct bgroup *g, size_t member, const char *host, const struct inv_vars *vars,
			struct inv_pos pos, struct lerr *err)
{
	const struct inv_var *old;
	size_t i;

	for (i = 0; vars != NULL && i < vars->count; i++) {
		old = vars_get(&g->host_vars[member], vars->items[i].name);
		if (old != NULL && (old->kind != vars->items[i].kind || strcmp(old->value, vars->items[i].value) != 0))
			return lerr_set(err, LADING_ERR_USAGE,
					"%s:%d:%d: host '%s' is listed twice in group '%s' with conflicting values for "
					"'%s' (first at line %d)",
					pos.file, pos.line, pos.col, host, g->name, vars->items[i].name,
					g->host_pos[member].line);
	}
	return 0;
}

int inv_build_host(struct inv_build *b, size_t group, const char *host, const struct inv_vars *vars, struct inv_pos pos,
		   struct lerr *err)
{
	struct bgroup *g;
	struct bhost *bh;
	size_t h, i, member = INV_NONE;

	for (i = 0; vars != NULL && i < vars->count; i++)
		if (check_port_var(vars->items[i].name, vars->items[i].value, "host", host, pos, err) != 0)
			return -1;
	if (b->host_count >= INV_HOSTS_MAX && index_find(&b->host_index, host, host_name_at, b) == INV_NONE)
		return lerr_set(err, LADING_ERR_LIMIT,
				"%s:%d:%d: host '%s' would be host number %d: an inventory holds at most %d hosts",
				pos.file, pos.line, pos.col, host, INV_HOSTS_MAX + 1, INV_HOSTS_MAX);
	h = host_add(b, host);
	g = &b->groups[group];
	bh = &b->hosts[h];
	for (i = 0; i < bh->group_count && member == INV_NONE; i++)
		if (bh->groups[i] == group)
			member = bh->slots[i];
	if (member != INV_NONE) {
		if (check_repeat(g, member, host, vars, pos, err) != 0)
			return -1;
	} else {
		if (b->entry_count >= INV_ENTRIES_MAX)
			return lerr_set(err, LADING_ERR_LIMIT,
					"%s:%d:%d: host '%s' in group '%s': an inventory lists hosts in groups at most "
					"%d times",
					pos.file, pos.line, pos.col, host, g->name, INV_ENTRIES_MAX);
		b->entry_count++;
		g->hosts = grow_array(g->hosts, g->host_count, sizeof(*g->hosts));
		g->host_vars = grow_array(g->host_vars, g->host_count, sizeof(*g->host_vars));
		g->host_pos = grow_array(g->host_pos, g->host_count, sizeof(*g->host_pos));
		g->hosts[g->host_count] = h;
		g->host_vars[g->host_count] = (struct inv_vars){NULL, 0};
		g->host_pos[g->host_count] = pos;
		member = g->host_count++;
		bh->groups = grow_array(bh->groups, bh->group_count, sizeof(*bh->groups));
		bh->slots = grow_array(bh->slots, bh->group_count, sizeof(*bh->slots));
		bh->groups[bh->group_count] = group;
		bh->slots[bh->group_count++] = member;
	}
	for (i = 0; vars != NULL && i < vars->count; i++) {
		const struct inv_var *v = &vars->items[i];

		inv_vars_set(&g->host_vars[member], v->name, xstrdup(v->value), v->kind);
		inv_vars_set(&bh->vars, v->name, xstrdup(v->value), v->kind);
	}
	return 0;
}

/*
 * The longest path from "all" to group, memoised in depth (-1: not known). Past
 * INV_GROUP_DEPTH_MAX levels it fails naming the edge (err may be NULL: the
 * depth is then clamped, for a builder that already failed); the recursion
 * never goes deeper than that, whatever the files say.
 */
static int group_depth(const struct inv_build *b, size_t group, int *depth, int level, struct lerr *err)
{
	const struct bgroup *g = &b->groups[group];
	size_t i;
	int d = 1; /* a group without parents is a child of "all" */

	if (depth[group] >= 0)
		return depth[group];
	if (group == 0)
		return depth[group] = 0;
	for (i = 0; i < g->parent_count; i++) {
		int pd = level < INV_GROUP_DEPTH_MAX ? group_depth(b, g->parents[i], depth, level + 1, err)
						     : INV_GROUP_DEPTH_MAX;

		if (pd < 0)
			return -1;
		if (pd + 1 > INV_GROUP_DEPTH_MAX) {
			if (err != NULL)
				return too_deep(b, g->parents[i], group, g->parent_pos[i], err);
			pd = INV_GROUP_DEPTH_MAX - 1;
		}
		if (pd + 1 > d)
			d = pd + 1;
	}
	return depth[group] = d;
}

int inv_build_check(const struct inv_build *b, struct lerr *err)
{
	int *depth = xcalloc(b->group_count, sizeof(*depth));
	size_t g;
	int r = 0;

	for (g = 0; g < b->group_count; g++)
		depth[g] = -1;
	for (g = 0; g < b->group_count && r == 0; g++)
		if (group_depth(b, g, depth, 0, err) < 0)
			r = -1;
	free(depth);
	return r;
}

/* Marks group and its ancestors; bounded like group_depth for a builder that failed its check. */
/* A host's groups as marks and as a list: per host, work grows with its own groups, not all groups. */
struct group_set {
	unsigned char *mark; /* b->group_count bytes, all zero between hosts */
	size_t *list;	     /* the marked groups, room for b->group_count */
	size_t count;
};

static void mark_ancestors(const struct inv_build *b, size_t group, struct group_set *set, int level)
{
	size_t i;

	if (set->mark[group] || level > INV_GROUP_DEPTH_MAX)
		return;
	set->mark[group] = 1;
	set->list[set->count++] = group;
	for (i = 0; i < b->groups[group].parent_count; i++)
		mark_ancestors(b, b->groups[group].parents[i], set, level + 1);
}

/* A group as Ansible's sort_groups orders it: depth, then ansible_group_priority, then name. */
struct merge_key {
	int depth;
	int priority;
	const char *name;
	size_t group;
};

static int cmp_groups(const void *x, const void *y)
{
	const struct merge_key *a = x, *c = y;

	if (a->depth != c->depth)
		return a->depth < c->depth ? -1 : 1;
	if (a->priority != c->priority)
		return a->priority < c->priority ? -1 : 1;
	return strcmp(a->name, c->name);
}

static int cmp_vars(const void *x, const void *y)
{
	return strcmp(((const struct inv_var *)x)->name, ((const struct inv_var *)y)->name);
}

static int cmp_strings(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void copy_vars(const struct inv_vars *from, struct inv_vars *to)
{
	size_t i;

	for (i = 0; i < from->count; i++)
		inv_vars_set(to, from->items[i].name, xstrdup(from->items[i].value), from->items[i].kind);
}

/* Membership of host h: its direct groups and their ancestors; "ungrouped" when that is only "all". */
static void host_groups(const struct inv_build *b, const size_t *direct, size_t direct_count, struct group_set *set)
{
	size_t i;

	while (set->count > 0)
		set->mark[set->list[--set->count]] = 0;
	set->mark[0] = 1;
	set->list[set->count++] = 0;
	for (i = 0; i < direct_count; i++)
		if (direct[i] != 1)
			mark_ancestors(b, direct[i], set, 0);
	if (set->count == 1)
		mark_ancestors(b, 1, set, 0);
}

static void finish_host(const struct inv_build *b, size_t h, const struct group_set *set, const int *depth,
			struct inv_host *out)
{
	struct inv_vars merged = {NULL, 0};
	struct merge_key *order = xcalloc(set->count, sizeof(*order));
	size_t i, n = 0;

	for (i = 0; i < set->count; i++) {
		size_t g = set->list[i];

		order[n].depth = depth[g];
		order[n].priority = b->groups[g].priority;
		order[n].name = b->groups[g].name;
		order[n++].group = g;
	}
	qsort(order, n, sizeof(*order), cmp_groups);
	for (i = 0; i < n; i++)
		copy_vars(&b->groups[order[i].group].vars, &merged);
	copy_vars(&b->hosts[h].vars, &merged);
	if (merged.count > 1)
		qsort(merged.items, merged.count, sizeof(*merged.items), cmp_vars);
	out->name = xstrdup(b->hosts[h].name);
	out->vars = merged.items;
	out->var_count = merged.count;
	out->groups = xcalloc(n, sizeof(*out->groups));
	for (i = 0; i < n; i++)
		out->groups[i] = xstrdup(order[i].name);
	out->group_count = n;
	qsort(out->groups, n, sizeof(*out->groups), cmp_strings);
	free(order);
}

static void push_name(char ***names, size_t *count, const char *name)
{
	*names = grow_array(*names, *count, sizeof(**names));
	(*names)[(*count)++] = xstrdup(name);
}

static void push_unique(char ***names, size_t *count, const char *name)
{
	size_t i;

	for (i = 0; i < *count; i++)
		if (strcmp((*names)[i], name) == 0)
			return;
	push_name(names, count, name);
}

static void finish_group(const struct inv_build *b, size_t group, const int *depth, struct inv_group *out)
{
	const struct bgroup *g = &b->groups[group];
	struct inv_vars vars = {NULL, 0};
	size_t i;

	memset(out, 0, sizeof(*out));
	out->name = xstrdup(g->name);
	if (group == 0) {
		push_name(&out->children, &out->child_count, "ungrouped");
		for (i = 0; i < g->child_count; i++)
			push_unique(&out->children, &out->child_count, b->groups[g->children[i]].name);
		for (i = 1; i < b->group_count; i++)
			if (b->groups[i].parent_count == 0)
				push_unique(&out->children, &out->child_count, b->groups[i].name);
	} else {
		for (i = 0; i < g->child_count; i++)
			push_name(&out->children, &out->child_count, b->groups[g->children[i]].name);
	}
	if (group != 1)
		for (i = 0; i < g->host_count; i++)
			push_name(&out->hosts, &out->host_count, b->hosts[g->hosts[i]].name);
	copy_vars(&g->vars, &vars);
	out->vars = vars.items;
	out->var_count = vars.count;
	out->depth = depth[group];
	out->priority = g->priority;
}

void inv_build_finish(struct inv_build *b, struct inventory *inv)
{
	struct group_set set = {xcalloc(b->group_count, 1), xcalloc(b->group_count, sizeof(size_t)), 0};
	int *depth = xcalloc(b->group_count, sizeof(*depth));
	struct inv_group *ungrouped;
	size_t g, h;

	inv_build_clear(inv);
	for (g = 0; g < b->group_count; g++)
		depth[g] = -1;
	for (g = 0; g < b->group_count; g++)
		group_depth(b, g, depth, 0, NULL);
	inv->groups = xcalloc(b->group_count, sizeof(*inv->groups));
	inv->group_count = b->group_count;
	for (g = 0; g < b->group_count; g++)
		finish_group(b, g, depth, &inv->groups[g]);
	ungrouped = &inv->groups[1];
	inv->hosts = xcalloc(b->host_count ? b->host_count : 1, sizeof(*inv->hosts));
	inv->host_count = b->host_count;
	for (h = 0; h < b->host_count; h++) {
		host_groups(b, b->hosts[h].groups, b->hosts[h].group_count, &set);
		finish_host(b, h, &set, depth, &inv->hosts[h]);
		if (set.mark[1])
			push_name(&ungrouped->hosts, &ungrouped->host_count, b->hosts[h].name);
	}
	free(set.mark);
	free(set.list);
	free(depth);
}

static void free_strings(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

void inv_build_clear(struct inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->host_count; i++) {
		struct inv_vars vars = {inv->hosts[i].vars, inv->hosts[i].var_count};

		free(inv->hosts[i].name);
		inv_vars_free(&vars);
		free_strings(inv->hosts[i].groups, inv->hosts[i].group_count);
	}
	for (i = 0; i < inv->group_count; i++) {
		struct inv_vars vars = {inv->groups[i].vars, inv->groups[i].var_count};

		free(inv->groups[i].name);
		inv_vars_free(&vars);
		free_strings(inv->groups[i].children, inv->groups[i].child_count);
		free_strings(inv->groups[i].hosts, inv->groups[i].host_count);
	}
	free(inv->hosts);
	free(inv->groups);
	inv->hosts = NULL;
	inv->groups = NULL;
	inv->host_count = 0;
	inv->group_count = 0;
}
