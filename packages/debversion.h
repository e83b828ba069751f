#ifndef LADING_PACKAGES_DEBVERSION_H
#define LADING_PACKAGES_DEBVERSION_H

/*
 * Debian version strings ([epoch:]upstream[-revision]) ordered as dpkg orders
 * them (SPECS-2 §1.3, dpkg lib/dpkg/version.c), and the relations of a
 * dependency (Policy §7.1).
 */

/* A dependency's relation; DEB_OP_NONE: any version. */
enum deb_op {
	DEB_OP_NONE = 0,
	DEB_OP_LT, /* << */
	DEB_OP_LE, /* <= (also the obsolete "<") */
	DEB_OP_EQ, /* = */
	DEB_OP_GE, /* >= (also the obsolete ">") */
	DEB_OP_GT, /* >> */
};

/*
 * Compares two version strings in dpkg order: <0, 0 or >0. Strings that are
 * not valid versions compare as well as they can (never crash); check them
 * with deb_version_valid first where it matters.
 */
int deb_version_cmp(const char *a, const char *b);

/* True (1) when v is a well-formed version: numeric epoch, upstream starting with a digit, allowed characters. */
int deb_version_valid(const char *v);

/* True (1) when a package at version have satisfies "(op want)"; DEB_OP_NONE always holds. */
int deb_relation_holds(const char *have, enum deb_op op, const char *want);

/* The relation as written in a control file ("<<", ">=", …); "" for DEB_OP_NONE. */
const char *deb_op_str(enum deb_op op);

#endif
