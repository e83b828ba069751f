#ifndef LADING_PROVISION_ROLES_TEXT_H
#define LADING_PROVISION_ROLES_TEXT_H

/*
 * The YAML of the built-in roles (provision/roles/NAME.yaml), written into
 * roles_text.c by scripts/embed-roles. Read through provision/roles.h.
 */

struct role_text {
	const char *name;
	const char *yaml;
};

/* Sorted by name, ended by {NULL, NULL}. */
extern const struct role_text role_texts[];

#endif
