#ifndef LADING_PACKAGES_RESOLVER_H
#define LADING_PACKAGES_RESOLVER_H

/*
 * The resolver's state, shared by resolve.c (the closure of the install list)
 * and upgrade.c (the installed packages that closure forces to upgrade). Not
 * for other callers: apt_resolve (resolve.h) is the way in.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "packages/baseline.h"
#include "packages/depends.h"
#include "packages/index.h"
#include "packages/namemap.h"

#define NO_NODE SIZE_MAX

/* One chosen package, the need that brought it, and its parsed Conflicts and Breaks. */
struct node {
	const struct apt_pkg *pkg;
	size_t parent; /* NO_NODE for an install entry */
	char *via;     /* the install entry or dependency atom as written */
	struct deb_depends conflicts, breaks;
};

/* One Conflicts or Breaks atom of a chosen package, listed under the name it is against. */
struct against {
	size_t node;
	const struct deb_atom *atom;
	size_t next; /* the next entry against the same name, or NO_NODE */
};

struct resolver {
	const struct apt_index *idx;
	const struct apt_baseline *base;
	const char *source;
	struct node *nodes;
	size_t count;
	struct name_map chosen; /* package name -> nodes[] */
	struct against *against;
	size_t against_count;
	struct name_map against_by_name; /* name -> first against[] */
	struct lerr *err;
};

/* Appends atom as written ("name:any (>= 1)"). */
void resolver_atom_text(struct buf *b, const struct deb_atom *atom);

/* Appends "root -> dep (>= 1) -> …" down to node. */
void resolver_chain_text(const struct resolver *r, struct buf *b, size_t node);

/* The node chosen under name, or NO_NODE. */
size_t resolver_chosen_node(const struct resolver *r, const char *name);

/* The chosen node that satisfies atom (by name or Provides), or NO_NODE; skip is a node that does not count. */
size_t resolver_chosen_match(const struct resolver *r, const struct deb_atom *atom, size_t skip);

/* True when a baseline package that no chosen one replaces satisfies atom. */
int resolver_installed_satisfies(const struct resolver *r, const struct deb_atom *atom);

/* True when a is the better pick of two versions of one name: the higher, then a fixed order. */
int resolver_better_version(const struct apt_pkg *a, const struct apt_pkg *b);

/* Adds pkg as a node brought by parent (NO_NODE for an install entry) through via (taken). -1 on a bad field. */
int resolver_choose(struct resolver *r, const struct apt_pkg *pkg, size_t parent, char *via);

/* Chooses what node's Pre-Depends and Depends need, depth first. -1 with r->err filled. */
int resolver_follow(struct resolver *r, size_t node);

/*
 * After the closure: upgrades each installed package that the chosen ones
 * break (its installed Depends no longer hold, or it and a chosen package
 * conflict) and each installed binary of a chosen package's source, as apt
 * does, following what the upgrades need, to a fixed point (upgrade.c).
 * -1 with r->err naming the chain when one cannot be upgraded.
 */
int resolver_upgrade_installed(struct resolver *r);

#endif
