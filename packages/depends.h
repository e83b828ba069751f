#ifndef LADING_PACKAGES_DEPENDS_H
#define LADING_PACKAGES_DEPENDS_H

/*
 * Relationship fields of a binary package (Policy §7.1): Depends,
 * Pre-Depends, Conflicts, Breaks, Provides. "," separates an AND list of
 * groups, "|" the alternatives of a group; each atom is
 * name[:any|:native|:arch] [(op version)].
 */
#include <stddef.h>

#include "lib/err.h"
#include "packages/debversion.h"

enum deb_arch_qual {
	DEB_ARCH_NONE = 0, /* no qualifier */
	DEB_ARCH_ANY,	   /* :any: a Multi-Arch: allowed package of any architecture */
	DEB_ARCH_NATIVE,   /* :native */
	DEB_ARCH_OTHER,	   /* :<arch> (only in Provides/Conflicts of multiarch-aware packages) */
};

struct deb_atom {
	const char *name; /* points into deb_depends.text */
	enum deb_arch_qual arch_qual;
	const char *arch_name; /* the qualifier's text for DEB_ARCH_OTHER, else NULL */
	enum deb_op op;
	const char *version; /* NULL when op is DEB_OP_NONE */
};

/* One AND item: atoms[first .. first+count-1] of the deb_depends are its alternatives. */
struct deb_group {
	size_t first, count;
};

struct deb_depends {
	char *text; /* owned copy the atoms point into */
	struct deb_atom *atoms;
	size_t atom_count;
	struct deb_group *groups;
	size_t group_count;
};

/*
 * Parses a relationship field's value (continuation lines allowed). pkg and
 * field name the subject of the error: "foo: Depends: bad version 'x y'"
 * (LADING_ERR_FORMAT). An empty or NULL value gives no groups. out is filled
 * (free with deb_depends_free) only on success.
 */
int deb_depends_parse(const char *value, const char *pkg, const char *field, struct deb_depends *out, struct lerr *err);

/* Frees what deb_depends_parse allocated; accepts a zeroed struct. */
void deb_depends_free(struct deb_depends *deps);

#endif
