#include "packages/resolve.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "packages/depends.h"
#include "packages/resolver.h"

/* Why no package could be chosen for an atom: what each candidate lacked. */
struct miss {
	int real_seen, version_ok, arch_ok, provider_seen, provider_version_ok;
	size_t conflict_node; /* a chosen package a candidate conflicts with */
	const struct apt_pkg *conflict_pkg;
	size_t chosen_other; /* the node holding another version of the name */
};

void resolver_atom_text(struct buf *b, const struct deb_atom *atom)
{
	buf_puts(b, atom->name);
	if (atom->arch_qual == DEB_ARCH_ANY)
		buf_puts(b, ":any");
	else if (atom->arch_qual == DEB_ARCH_NATIVE)
		buf_puts(b, ":native");
	else if (atom->arch_qual == DEB_ARCH_OTHER)
		buf_printf(b, ":%s", atom->arch_name);
	if (atom->op != DEB_OP_NONE)
		buf_printf(b, " (%s %s)", deb_op_str(atom->op), atom->version);
}

/* "root -> dep (>= 1) -> …" down to node. */
void resolver_chain_text(const struct resolver *r, struct buf *b, size_t node)
{
	if (r->nodes[node].parent != NO_NODE) {
		resolver_chain_text(r, b, r->nodes[node].parent);
		buf_puts(b, " -> ");
	}
	buf_puts(b, r->nodes[node].via);
}

size_t resolver_chosen_node(const struct resolver *r, const char *name)
{
	uint32_t *slot = name_map_find(&r->chosen, name, strlen(name));

	return slot != NULL ? *slot : NO_NODE;
}

static int arch_ok(const struct deb_atom *atom, const struct apt_pkg *pkg)
{
	/* A single-architecture closure: ':any' asks only that the package declare Multi-Arch: allowed. */
	return atom->arch_qual != DEB_ARCH_ANY || pkg->multi_arch == APT_MA_ALLOWED;
}

static int provide_ok(const struct deb_atom *atom, const struct apt_provide *prov)
{
	/* SPECS-2 §1.2: an unversioned Provides never satisfies a versioned dependency. */
	if (atom->op == DEB_OP_NONE)
		return 1;
	return prov->version != NULL && deb_relation_holds(prov->version, atom->op, atom->version);
}

/* True when pkg itself (by name, or by one of its Provides) is what atom names. */
static int atom_matches(const struct resolver *r, const struct deb_atom *atom, const struct apt_pkg *pkg)
{
	const struct apt_provide *provs;
	size_t n, i;

	if (strcmp(atom->name, pkg->name) == 0 && deb_relation_holds(pkg->version, atom->op, atom->version) &&
	    arch_ok(atom, pkg))
		return 1;
	provs = apt_index_providers(r->idx, atom->name, &n);
	for (i = 0; i < n; i++)
		if (provs[i].pkg == pkg && provide_ok(atom, &provs[i]) && arch_ok(atom, pkg))
			return 1;
	return 0;
}

/* The chosen node that satisfies atom, or NO_NODE; skip is a node that does not count (a conflict's owner). */
size_t resolver_chosen_match(const struct resolver *r, const struct deb_atom *atom, size_t skip)
{
	const struct apt_provide *provs;
	size_t n, i, node = resolver_chosen_node(r, atom->name);

	if (node != NO_NODE && node != skip && atom_matches(r, atom, r->nodes[node].pkg))
		return node;
	provs = apt_index_providers(r->idx, atom->name, &n);
	for (i = 0; i < n; i++) {
		node = resolver_chosen_node(r, provs[i].pkg->name);
		if (node != NO_NODE && node != skip && r->nodes[node].pkg == provs[i].pkg &&
		    provide_ok(atom, &provs[i]) && arch_ok(atom, provs[i].pkg))
			return node;
	}
	return NO_NODE;
}

static int baseline_has(const struct resolver *r, const char *name, const char *version)
{
	const char *have;

	/* A chosen package replaces the baseline's version of it on the node. */
	if (r->base == NULL || resolver_chosen_node(r, name) != NO_NODE ||
	    (have = apt_baseline_version(r->base, name)) == NULL)
		return 0;
	return version == NULL || deb_version_cmp(have, version) == 0;
}

int resolver_installed_satisfies(const struct resolver *r, const struct deb_atom *atom)
{
	const struct apt_provide *provs;
	size_t n, i;

	if (r->base == NULL)
		return 0;
	if (baseline_has(r, atom->name, NULL) &&
	    deb_relation_holds(apt_baseline_version(r->base, atom->name), atom->op, atom->version))
		return 1;
	/* The baseline's own Provides: as installed (a status file), else as the index has the very version. */
	provs = apt_index_providers(&r->base->status, atom->name, &n);
	for (i = 0; i < n; i++)
		if (baseline_has(r, provs[i].pkg->name, provs[i].pkg->version) && provide_ok(atom, &provs[i]))
			return 1;
	provs = apt_index_providers(r->idx, atom->name, &n);
	for (i = 0; i < n; i++)
		if (baseline_has(r, provs[i].pkg->name, provs[i].pkg->version) && provide_ok(atom, &provs[i]))
			return 1;
	return 0;
}

/* A chosen node whose Conflicts or Breaks, listed under name, hit pkg; or NO_NODE. */
static size_t against_match(const struct resolver *r, const struct apt_pkg *pkg, const char *name)
{
	uint32_t *head = name_map_find(&r->against_by_name, name, strlen(name));
	size_t a;

	for (a = head != NULL ? *head : NO_NODE; a != NO_NODE; a = r->against[a].next)
		if (r->nodes[r->against[a].node].pkg != pkg && atom_matches(r, r->against[a].atom, pkg))
			return r->against[a].node;
	return NO_NODE;
}

/* A chosen node pkg conflicts with (either way, Conflicts or Breaks), or NO_NODE. */
static size_t conflict_with_chosen(const struct resolver *r, const struct apt_pkg *pkg, struct lerr *err, int *failed)
{
	const char *fields[2] = {pkg->conflicts, pkg->breaks};
	size_t f, i, hit;

	*failed = 0;
	for (f = 0; f < 2; f++) {
		struct deb_depends rel;

		if (fields[f] == NULL)
			continue;
		hit = NO_NODE;
		if (deb_depends_parse(fields[f], pkg->name, f == 0 ? "Conflicts" : "Breaks", &rel, err) != 0) {
			*failed = 1;
			return NO_NODE;
		}
		for (i = 0; i < rel.atom_count && hit == NO_NODE; i++) {
			size_t node = resolver_chosen_match(r, &rel.atoms[i], NO_NODE);

			if (node != NO_NODE && r->nodes[node].pkg != pkg)
				hit = node;
		}
		deb_depends_free(&rel);
		if (hit != NO_NODE)
			return hit;
	}
	hit = against_match(r, pkg, pkg->name);
	if (hit == NO_NODE && pkg->provides != NULL) {
		struct deb_depends provides;

		if (deb_depends_parse(pkg->provides, pkg->name, "Provides", &provides, err) != 0) {
			*failed = 1;
			return NO_NODE;
		}
		for (i = 0; i < provides.atom_count && hit == NO_NODE; i++)
			hit = against_match(r, pkg, provides.atoms[i].name);
		deb_depends_free(&provides);
	}
	return hit;
}

static void note_against(struct resolver *r, size_t node, const struct deb_depends *rel)
{
	size_t i;

	for (i = 0; i < rel->atom_count; i++) {
		const struct deb_atom *atom = &rel->atoms[i];
		uint32_t *head = name_map_find(&r->against_by_name, atom->name, strlen(atom->name));

		r->against = grow_array(r->against, r->against_count, sizeof(*r->against));
		r->against[r->against_count] = (struct against){node, atom, head != NULL ? *head : NO_NODE};
		name_map_put(&r->against_by_name, atom->name, (uint32_t)r->against_count);
		r->against_count++;
	}
}

int resolver_choose(struct resolver *r, const struct apt_pkg *pkg, size_t parent, char *via)
{
	struct node *n;
	size_t node = r->count;

	r->nodes = grow_array(r->nodes, r->count, sizeof(*r->nodes));
	n = &r->nodes[node];
	memset(n, 0, sizeof(*n));
	n->pkg = pkg;
	n->parent = parent;
	n->via = via;
	r->count++;
	name_map_put(&r->chosen, pkg->name, (uint32_t)node);
	if (deb_depends_parse(pkg->conflicts, pkg->name, "Conflicts", &n->conflicts, r->err) != 0 ||
	    deb_depends_parse(pkg->breaks, pkg->name, "Breaks", &n->breaks, r->err) != 0)
		return lerr_prefix(r->err, "%s", r->source);
	note_against(r, node, &n->conflicts);
	note_against(r, node, &n->breaks);
	return 0;
}

static int priority_rank(const char *priority)
{
	static const char *const order[] = {"required", "important", "standard", "optional", "extra"};
	size_t i;

	for (i = 0; priority != NULL && i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(priority, order[i]) == 0)
			return (int)i;
	return (int)(sizeof(order) / sizeof(order[0]));
}

/* Orders candidates: the higher version first, then a fixed order so the result never depends on load order. */
int resolver_better_version(const struct apt_pkg *a, const struct apt_pkg *b)
{
	int c = deb_version_cmp(a->version, b->version);

	return c != 0 ? c > 0 : strcmp(a->arch, b->arch) < 0;
}

/* Among providers: the more important, then the name first in order, then the higher version (apt asks the user). */
static int better_provider(const struct apt_pkg *a, const struct apt_pkg *b)
{
	int pa = priority_rank(a->priority), pb = priority_rank(b->priority), c;

	if (pa != pb)
		return pa < pb;
	if ((c = strcmp(a->name, b->name)) != 0)
		return c < 0;
	return resolver_better_version(a, b);
}

/* 0 with *pick (NULL when none can be had, miss saying why), -1 on a malformed field. */
static int candidate(const struct resolver *r, const struct deb_atom *atom, const struct apt_pkg **pick,
		     struct miss *miss)
{
	const struct apt_pkg *const *pkgs;
	const struct apt_provide *provs;
	size_t n, i, node;
	int failed;

	*pick = NULL;
	memset(miss, 0, sizeof(*miss));
	miss->conflict_node = miss->chosen_other = NO_NODE;
	pkgs = apt_index_find(r->idx, atom->name, &n);
	miss->real_seen = n > 0;
	node = resolver_chosen_node(r, atom->name);
	for (i = 0; i < n; i++) {
		if (!deb_relation_holds(pkgs[i]->version, atom->op, atom->version))
			continue;
		miss->version_ok = 1;
		if (!arch_ok(atom, pkgs[i]))
			continue;
		miss->arch_ok = 1;
		/* One version of a name: the one already chosen did not do, so no other can join it. */
		if (node != NO_NODE) {
			miss->chosen_other = node;
			continue;
		}
		if ((miss->conflict_node = conflict_with_chosen(r, pkgs[i], r->err, &failed)) != NO_NODE || failed) {
			miss->conflict_pkg = pkgs[i];
			if (failed)
				return -1;
			continue;
		}
		if (*pick == NULL || resolver_better_version(pkgs[i], *pick))
			*pick = pkgs[i];
	}
	if (*pick != NULL)
		return 0;
	provs = apt_index_providers(r->idx, atom->name, &n);
	miss->provider_seen = n > 0;
	for (i = 0; i < n; i++) {
		const struct apt_pkg *pkg = provs[i].pkg;
		size_t hit;

		if (!provide_ok(atom, &provs[i]))
			continue;
		miss->provider_version_ok = 1;
		if (!arch_ok(atom, pkg) || resolver_chosen_node(r, pkg->name) != NO_NODE)
			continue;
		if ((hit = conflict_with_chosen(r, pkg, r->err, &failed)) != NO_NODE || failed) {
			if (failed)
				return -1;
			miss->conflict_node = hit;
			miss->conflict_pkg = pkg;
			continue;
		}
		if (*pick == NULL || better_provider(pkg, *pick))
			*pick = pkg;
	}
	return 0;
}

static void list_versions(const struct resolver *r, struct buf *b, const char *name)
{
	const struct apt_pkg *const *pkgs;
	size_t n, i;

	pkgs = apt_index_find(r->idx, name, &n);
	for (i = 0; i < n && i < 8; i++)
		buf_printf(b, "%s%s", i > 0 ? ", " : "", pkgs[i]->version);
	if (n > 8)
		buf_puts(b, ", …");
}

static void miss_text(const struct resolver *r, struct buf *b, const struct deb_atom *atom, const struct miss *miss)
{
	if (miss->conflict_node != NO_NODE) {
		buf_printf(b, "%s %s conflicts with %s %s (", miss->conflict_pkg->name, miss->conflict_pkg->version,
			   r->nodes[miss->conflict_node].pkg->name, r->nodes[miss->conflict_node].pkg->version);
		resolver_chain_text(r, b, miss->conflict_node);
		buf_puts(b, ")");
	} else if (miss->chosen_other != NO_NODE) {
		buf_printf(b, "%s %s is already chosen (", atom->name, r->nodes[miss->chosen_other].pkg->version);
		resolver_chain_text(r, b, miss->chosen_other);
		buf_puts(b, ")");
	} else if (miss->version_ok || miss->provider_version_ok) {
		buf_puts(b, "no Multi-Arch: allowed version for ':any'");
	} else if (miss->real_seen) {
		buf_puts(b, "no version satisfies (have ");
		list_versions(r, b, atom->name);
		buf_puts(b, ")");
	} else if (miss->provider_seen) {
		buf_puts(b, "no version satisfies (only provided without a version)");
	} else {
		buf_puts(b, "no such package");
	}
}

/* Satisfies one AND item of node's Depends or Pre-Depends, choosing a package when none of it is there yet. */
static int satisfy_group(struct resolver *r, size_t node, const struct deb_depends *deps, const struct deb_group *g)
{
	const struct deb_atom *atoms = &deps->atoms[g->first];
	struct buf msg = BUF_INIT(0);
	size_t i;
	int ret = -1;

	/* Like apt: an alternative already chosen or installed wins over the first one listed. */
	for (i = 0; i < g->count; i++)
		if (resolver_chosen_match(r, &atoms[i], NO_NODE) != NO_NODE ||
		    resolver_installed_satisfies(r, &atoms[i]))
			return 0;
	for (i = 0; i < g->count; i++) {
		const struct apt_pkg *pick;
		struct miss miss;
		struct buf via = BUF_INIT(0);

		if (candidate(r, &atoms[i], &pick, &miss) != 0) {
			lerr_prefix(r->err, "%s", r->source);
			goto out;
		}
		if (pick != NULL) {
			resolver_atom_text(&via, &atoms[i]);
			if (strcmp(pick->name, atoms[i].name) != 0)
				buf_printf(&via, " (provided by %s)", pick->name);
			/* Depth first, as apt's MarkInstall: the pick's own dependencies are marked before the next
			 * group of node is looked at, so an alternative they bring in satisfies a later group ("a | b"
			 * after a dependency that pulled in b takes b). */
			ret = resolver_choose(r, pick, node, buf_detach(&via, NULL));
			if (ret == 0)
				ret = resolver_follow(r, r->count - 1);
			goto out;
		}
		if (g->count > 1) {
			buf_puts(&msg, i == 0 ? "" : "; ");
			resolver_atom_text(&msg, &atoms[i]);
			buf_puts(&msg, ": ");
		}
		miss_text(r, &msg, &atoms[i], &miss);
	}
	{
		struct buf chain = BUF_INIT(0);

		resolver_chain_text(r, &chain, node);
		for (i = 0; i < g->count; i++) {
			buf_puts(&chain, i == 0 ? " -> " : " | ");
			resolver_atom_text(&chain, &atoms[i]);
		}
		lerr_about(r->err, LADING_ERR_USAGE, r->source, "%s: %s", chain.data, msg.data);
		buf_free(&chain);
	}
out:
	buf_free(&msg);
	return ret;
}

/* Follows node's Pre-Depends and Depends (Policy §7.2); Recommends and Suggests are not needed to install. */
int resolver_follow(struct resolver *r, size_t node)
{
	const struct apt_pkg *pkg = r->nodes[node].pkg;
	const char *fields[2] = {pkg->pre_depends, pkg->depends};
	size_t f, g;

	for (f = 0; f < 2; f++) {
		struct deb_depends deps;
		int ret = 0;

		if (deb_depends_parse(fields[f], pkg->name, f == 0 ? "Pre-Depends" : "Depends", &deps, r->err) != 0)
			return lerr_prefix(r->err, "%s", r->source);
		for (g = 0; g < deps.group_count && ret == 0; g++)
			ret = satisfy_group(r, node, &deps, &deps.groups[g]);
		deb_depends_free(&deps);
		if (ret != 0)
			return -1;
	}
	return 0;
}

/* The package an install entry ("name" or "name=version") names; a virtual name with one provider is that provider. */
static int root_package(const struct resolver *r, const char *entry, const struct apt_pkg **out)
{
	const char *eq = strchr(entry, '=');
	char *name = eq != NULL ? xstrndup(entry, (size_t)(eq - entry)) : xstrdup(entry);
	const struct apt_pkg *const *pkgs;
	const struct apt_provide *provs;
	const struct apt_pkg *pick = NULL, *best = NULL;
	struct buf msg = BUF_INIT(0);
	size_t n, i;
	int ret = -1;

	pkgs = apt_index_find(r->idx, name, &n);
	for (i = 0; i < n; i++)
		if ((eq == NULL || strcmp(pkgs[i]->version, eq + 1) == 0) &&
		    (pick == NULL || resolver_better_version(pkgs[i], pick)))
			pick = pkgs[i];
	if (pick == NULL && n > 0) {
		list_versions(r, &msg, name);
		lerr_about(r->err, LADING_ERR_USAGE, r->source, "%s: no such version (have %s)", entry, msg.data);
		goto out;
	}
	provs = apt_index_providers(r->idx, name, &n);
	for (i = 0; pick == NULL && eq == NULL && i < n; i++) {
		if (strcmp(provs[i].pkg->name, provs[0].pkg->name) != 0) {
			lerr_about(r->err, LADING_ERR_USAGE, r->source,
				   "%s: a virtual package provided by %s, %s, …: name one of them", entry,
				   provs[0].pkg->name, provs[i].pkg->name);
			goto out;
		}
	}
	for (i = 0; pick == NULL && eq == NULL && i < n; i++)
		if (best == NULL || resolver_better_version(provs[i].pkg, best))
			best = provs[i].pkg;
	if (pick == NULL)
		pick = best;
	if (pick == NULL) {
		lerr_about(r->err, LADING_ERR_USAGE, r->source, "%s: no such package", entry);
		goto out;
	}
	*out = pick;
	ret = 0;
out:
	buf_free(&msg);
	free(name);
	return ret;
}

/* Install entries join without a conflict check on the way in: this final pass reports any pair. */
static int check_conflicts(struct resolver *r)
{
	size_t a;

	for (a = 0; a < r->against_count; a++) {
		size_t owner = r->against[a].node, hit = resolver_chosen_match(r, r->against[a].atom, owner);
		struct buf chains = BUF_INIT(0);

		if (hit == NO_NODE || r->nodes[hit].pkg == r->nodes[owner].pkg)
			continue;
		resolver_chain_text(r, &chains, owner);
		buf_puts(&chains, "; ");
		resolver_chain_text(r, &chains, hit);
		lerr_about(r->err, LADING_ERR_USAGE, r->source, "%s %s conflicts with %s %s (%s)",
			   r->nodes[owner].pkg->name, r->nodes[owner].pkg->version, r->nodes[hit].pkg->name,
			   r->nodes[hit].pkg->version, chains.data);
		buf_free(&chains);
		return -1;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct apt_pkg *pa = *(const struct apt_pkg *const *)a, *pb = *(const struct apt_pkg *const *)b;
	int c = strcmp(pa->name, pb->name);

	return c != 0 ? c : strcmp(pa->arch, pb->arch);
}

int apt_resolve(const struct apt_index *idx, const struct apt_baseline *base, const char *const *install, size_t n,
		const char *source, const struct apt_pkg ***out, size_t *count, struct lerr *err)
{
	struct resolver r = {idx, base, source, NULL, 0, {0}, NULL, 0, {0}, err};
	const struct apt_pkg **pkgs = NULL;
	size_t i, roots;
	int ret = -1;

	name_map_init(&r.chosen);
	name_map_init(&r.against_by_name);
	for (i = 0; i < n; i++) {
		const struct apt_pkg *pkg;
		size_t node;

		if (root_package(&r, install[i], &pkg) != 0)
			goto out;
		node = resolver_chosen_node(&r, pkg->name);
		if (node != NO_NODE && r.nodes[node].pkg != pkg) {
			lerr_about(err, LADING_ERR_USAGE, source, "%s: %s %s is asked for too", install[i], pkg->name,
				   r.nodes[node].pkg->version);
			goto out;
		}
		if (node == NO_NODE && resolver_choose(&r, pkg, NO_NODE, xstrdup(install[i])) != 0)
			goto out;
	}
	/* As apt-get install: every requested package is marked first, then each one's dependencies, depth first
	 * (satisfy_group follows each pick at once; the map of chosen names stops a cycle). */
	roots = r.count;
	for (i = 0; i < roots; i++)
		if (resolver_follow(&r, i) != 0)
			goto out;
	if (resolver_upgrade_installed(&r) != 0 || check_conflicts(&r) != 0)
		goto out;
	pkgs = xcalloc(r.count + 1, sizeof(*pkgs));
	for (i = 0; i < r.count; i++)
		pkgs[i] = r.nodes[i].pkg;
	qsort(pkgs, r.count, sizeof(*pkgs), by_name);
	*out = pkgs;
	*count = r.count;
	ret = 0;
out:
	for (i = 0; i < r.count; i++) {
		free(r.nodes[i].via);
		deb_depends_free(&r.nodes[i].conflicts);
		deb_depends_free(&r.nodes[i].breaks);
	}
	free(r.nodes);
	free(r.against);
	name_map_free(&r.chosen);
	name_map_free(&r.against_by_name);
	return ret;
}
