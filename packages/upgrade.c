/*
 * The installed packages a closure forces to upgrade (resolver.h), as apt
 * 2.6's MarkInstall does: an installed package whose own Depends or
 * Pre-Depends no longer hold once a chosen version replaces what they name
 * ("Mark broken reverse depends for upgrade"), one that a chosen package
 * Breaks or Conflicts (either way), and every installed binary whose candidate
 * is built from the same source version as a chosen package
 * (APT::Get::Upgrade-By-Source-Package). Each upgrade is chosen and followed
 * like any other pick, and examined in turn, to a fixed point.
 */
#include "packages/resolver.h"

#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"

/* One installed package: what it was installed as, and what the archive would upgrade it to. */
struct installed {
	const struct apt_baseline_entry *entry;
	const struct apt_pkg *stanza;	 /* as installed (status file, else the index's same version), or NULL */
	const struct apt_pkg *candidate; /* the index's best version when newer than the installed one, or NULL */
	char *source_version;		 /* the candidate's source version */
	struct deb_depends rel[4];	 /* as installed: Pre-Depends, Depends, Conflicts, Breaks */
};

/* An entry of a list kept under a name: installed[inst], then the next entry of that list or NO_NODE. */
struct link {
	size_t inst, next;
};

struct upgrader {
	struct resolver *r;
	struct installed *inst;
	size_t count;
	struct link *links;
	size_t link_count;
	char **source_names;	   /* keys of by_source, one per inst (NULL when no candidate) */
	struct name_map by_name;   /* package name -> inst[] */
	struct name_map mentions;  /* name -> first link: installed packages whose relationships name it */
	struct name_map by_source; /* source name -> first link: installed packages whose candidate it builds */
};

static const char *const rel_fields[4] = {"Pre-Depends", "Depends", "Conflicts", "Breaks"};

static void add_link(struct upgrader *u, struct name_map *map, const char *key, size_t inst)
{
	uint32_t *head = name_map_find(map, key, strlen(key));

	u->links = grow_array(u->links, u->link_count, sizeof(*u->links));
	u->links[u->link_count] = (struct link){inst, head != NULL ? *head : NO_NODE};
	name_map_put(map, key, (uint32_t)u->link_count);
	u->link_count++;
}

/* The Source field's name and version ("src (1.2-1)"); a package without one is its own source (Policy §5.6.1). */
static void source_of(const struct apt_pkg *pkg, char **name, char **version)
{
	const char *paren;
	size_t len;

	if (pkg->source == NULL) {
		*name = xstrdup(pkg->name);
		*version = xstrdup(pkg->version);
		return;
	}
	len = strcspn(pkg->source, " (");
	*name = xstrndup(pkg->source, len);
	if ((paren = strchr(pkg->source + len, '(')) != NULL)
		*version = xstrndup(paren + 1, strcspn(paren + 1, ") "));
	else
		*version = xstrdup(pkg->version);
}

/* Lists installed package i under the names its relationships mention and its candidate's source. */
static int collect_one(struct upgrader *u, size_t i)
{
	struct installed *in = &u->inst[i];
	const struct apt_baseline_entry *e = in->entry;
	const struct apt_pkg *const *pkgs;
	size_t n, f, a;

	in->stanza = e->stanza;
	pkgs = apt_index_find(u->r->idx, e->name, &n);
	for (a = 0; a < n; a++) {
		/* A listing says only name and version: the index's stanza of that very version has the rest. */
		if (in->stanza == NULL && strcmp(pkgs[a]->version, e->version) == 0)
			in->stanza = pkgs[a];
		if (in->candidate == NULL || resolver_better_version(pkgs[a], in->candidate))
			in->candidate = pkgs[a];
	}
	/* apt's candidate is the installed version when the archive has none newer: no downgrade. */
	if (in->candidate != NULL && deb_version_cmp(in->candidate->version, e->version) <= 0)
		in->candidate = NULL;
	if (in->candidate != NULL) {
		source_of(in->candidate, &u->source_names[i], &in->source_version);
		add_link(u, &u->by_source, u->source_names[i], i);
	}
	if (in->stanza == NULL)
		return 0;
	for (f = 0; f < 4; f++) {
		const struct apt_pkg *s = in->stanza;
		const char *value = f == 0 ? s->pre_depends : f == 1 ? s->depends : f == 2 ? s->conflicts : s->breaks;

		if (deb_depends_parse(value, s->name, rel_fields[f], &in->rel[f], u->r->err) != 0)
			return lerr_prefix(u->r->err, "%s: installed", u->r->source);
		for (a = 0; a < in->rel[f].atom_count; a++)
			add_link(u, &u->mentions, in->rel[f].atoms[a].name, i);
	}
	return 0;
}

static int collect(struct upgrader *u)
{
	const struct apt_baseline *base = u->r->base;
	size_t i;

	u->count = base->count;
	u->inst = xcalloc(u->count + 1, sizeof(*u->inst));
	u->source_names = xcalloc(u->count + 1, sizeof(*u->source_names));
	for (i = 0; i < u->count; i++) {
		u->inst[i].entry = &base->entries[i];
		name_map_put(&u->by_name, base->entries[i].name, (uint32_t)i);
		if (collect_one(u, i) != 0)
			return -1;
	}
	return 0;
}

static int chosen(const struct upgrader *u, size_t i)
{
	return resolver_chosen_node(u->r, u->inst[i].entry->name) != NO_NODE;
}

/* Chooses the candidate of installed package i, brought by node cause for the reason why (taken), and follows it. */
static int upgrade(struct upgrader *u, size_t i, size_t cause, char *why)
{
	struct resolver *r = u->r;
	const struct installed *in = &u->inst[i];
	struct buf via = BUF_INIT(0), chain = BUF_INIT(0);

	buf_printf(&via, "%s %s (installed; %s)", in->entry->name, in->entry->version, why);
	free(why);
	if (in->candidate == NULL) {
		resolver_chain_text(r, &chain, cause);
		lerr_about(r->err, LADING_ERR_USAGE, r->source,
			   "%s -> %s: the archive has no newer %s to upgrade it to (apt would remove it)", chain.data,
			   via.data, in->entry->name);
		buf_free(&chain);
		buf_free(&via);
		return -1;
	}
	if (resolver_choose(r, in->candidate, cause, buf_detach(&via, NULL)) != 0)
		return -1;
	return resolver_follow(r, r->count - 1);
}

/* NULL when installed package i still holds beside the chosen ones; else why not ("Depends: a (= 1)"). */
static char *broken(const struct upgrader *u, size_t i)
{
	const struct resolver *r = u->r;
	const struct installed *in = &u->inst[i];
	struct buf why = BUF_INIT(0);
	size_t f, g, a;

	for (f = 0; f < 2; f++) {
		for (g = 0; g < in->rel[f].group_count; g++) {
			const struct deb_group *grp = &in->rel[f].groups[g];
			const struct deb_atom *atoms = &in->rel[f].atoms[grp->first];

			for (a = 0; a < grp->count; a++)
				if (resolver_chosen_match(r, &atoms[a], NO_NODE) != NO_NODE ||
				    resolver_installed_satisfies(r, &atoms[a]))
					break;
			if (a < grp->count)
				continue;
			buf_printf(&why, "%s:", rel_fields[f]);
			for (a = 0; a < grp->count; a++) {
				buf_puts(&why, a == 0 ? " " : " | ");
				resolver_atom_text(&why, &atoms[a]);
			}
			return buf_detach(&why, NULL);
		}
	}
	for (f = 2; f < 4; f++) {
		for (a = 0; a < in->rel[f].atom_count; a++) {
			size_t hit = resolver_chosen_match(r, &in->rel[f].atoms[a], NO_NODE);

			/* A package's Conflicts on what it provides itself is the usual "one of us" idiom. */
			if (hit == NO_NODE || strcmp(r->nodes[hit].pkg->name, in->entry->name) == 0)
				continue;
			buf_printf(&why, "%s: ", rel_fields[f]);
			resolver_atom_text(&why, &in->rel[f].atoms[a]);
			return buf_detach(&why, NULL);
		}
	}
	return NULL;
}

/* Upgrades the installed packages whose relationships name name and no longer hold. */
static int recheck(struct upgrader *u, const char *name, size_t cause)
{
	uint32_t *head = name_map_find(&u->mentions, name, strlen(name));
	size_t l;

	for (l = head != NULL ? *head : NO_NODE; l != NO_NODE; l = u->links[l].next) {
		size_t i = u->links[l].inst;
		char *why;

		if (chosen(u, i) || (why = broken(u, i)) == NULL)
			continue;
		if (upgrade(u, i, cause, why) != 0)
			return -1;
	}
	return 0;
}

/* Rechecks the installed packages that mention what stanza provides; -1 on a bad field. */
static int recheck_provides(struct upgrader *u, const struct apt_pkg *stanza, size_t cause)
{
	struct deb_depends provides;
	size_t a;
	int ret = 0;

	if (stanza == NULL || stanza->provides == NULL)
		return 0;
	if (deb_depends_parse(stanza->provides, stanza->name, "Provides", &provides, u->r->err) != 0)
		return lerr_prefix(u->r->err, "%s", u->r->source);
	for (a = 0; a < provides.atom_count && ret == 0; a++)
		ret = recheck(u, provides.atoms[a].name, cause);
	deb_depends_free(&provides);
	return ret;
}

/* Installed binaries whose candidate comes from the same source version as node's package. */
static int same_source(struct upgrader *u, size_t node)
{
	char *name, *version;
	uint32_t *head;
	size_t l;
	int ret = 0;

	source_of(u->r->nodes[node].pkg, &name, &version);
	head = name_map_find(&u->by_source, name, strlen(name));
	for (l = head != NULL ? *head : NO_NODE; l != NO_NODE && ret == 0; l = u->links[l].next) {
		size_t i = u->links[l].inst;

		if (chosen(u, i) || strcmp(u->inst[i].source_version, version) != 0)
			continue;
		ret = upgrade(u, i, node, xasprintf("built from %s %s too", name, version));
	}
	free(name);
	free(version);
	return ret;
}

/* Installed packages that node's own Conflicts or Breaks hit, by name (a virtual name is left to apt's remover). */
static int against_installed(struct upgrader *u, size_t node)
{
	struct resolver *r = u->r;
	/* Copies: upgrading moves r->nodes, not the atoms these point to. */
	struct deb_depends rel[2] = {r->nodes[node].conflicts, r->nodes[node].breaks};
	const char *name = r->nodes[node].pkg->name;
	size_t f, a;

	for (f = 0; f < 2; f++) {
		for (a = 0; a < rel[f].atom_count; a++) {
			const struct deb_atom *atom = &rel[f].atoms[a];
			uint32_t *slot = name_map_find(&u->by_name, atom->name, strlen(atom->name));
			struct buf why = BUF_INIT(0);

			if (slot == NULL || chosen(u, *slot) || strcmp(atom->name, name) == 0 ||
			    !deb_relation_holds(u->inst[*slot].entry->version, atom->op, atom->version))
				continue;
			buf_printf(&why, "%s %s: ", name, rel_fields[f + 2]);
			resolver_atom_text(&why, atom);
			if (upgrade(u, *slot, node, buf_detach(&why, NULL)) != 0)
				return -1;
		}
	}
	return 0;
}

/* Everything a newly chosen node can force: its name and Provides replace what was installed under them. */
static int examine(struct upgrader *u, size_t node)
{
	const struct apt_pkg *pkg = u->r->nodes[node].pkg;
	uint32_t *slot = name_map_find(&u->by_name, pkg->name, strlen(pkg->name));

	if (same_source(u, node) != 0 || recheck(u, pkg->name, node) != 0 || recheck_provides(u, pkg, node) != 0)
		return -1;
	/* What the installed version provided and the chosen one may not. */
	if (slot != NULL && recheck_provides(u, u->inst[*slot].stanza, node) != 0)
		return -1;
	return against_installed(u, node);
}

int resolver_upgrade_installed(struct resolver *r)
{
	struct upgrader u;
	size_t node, i, f;
	int ret = -1;

	if (r->base == NULL || r->base->count == 0)
		return 0;
	memset(&u, 0, sizeof(u));
	u.r = r;
	name_map_init(&u.by_name);
	name_map_init(&u.mentions);
	name_map_init(&u.by_source);
	if (collect(&u) != 0)
		goto out;
	/* r->count grows as upgrades are chosen: each is examined in turn, so the loop ends at a fixed point. */
	for (node = 0; node < r->count; node++)
		if (examine(&u, node) != 0)
			goto out;
	ret = 0;
out:
	for (i = 0; i < u.count; i++) {
		for (f = 0; f < 4; f++)
			deb_depends_free(&u.inst[i].rel[f]);
		free(u.inst[i].source_version);
		free(u.source_names[i]);
	}
	free(u.inst);
	free(u.source_names);
	free(u.links);
	name_map_free(&u.by_name);
	name_map_free(&u.mentions);
	name_map_free(&u.by_source);
	return ret;
}
