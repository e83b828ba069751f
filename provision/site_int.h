#ifndef LADING_PROVISION_SITE_INT_H
#define LADING_PROVISION_SITE_INT_H

/* Shared by site.c and site_steps.c; not a public interface. */
#include "lib/err.h"
#include "lib/yamltree.h"

/* "file:line:col" of node; caller frees. */
char *site_node_where(const struct ynode *node);
/* path as given when absolute or templated, else under base_dir; caller frees. */
char *site_resolve_path(const char *base_dir, const char *path);
/* A scalar's text, or a list/map as compact JSON; caller frees. */
char *site_node_text(const struct ynode *node);
/* Replaces *out with a copy of the scalar node. */
int site_get_string_node(const struct ynode *node, char **out, struct lerr *err);
/* The scalar, boolean or octal mode under key of map; absent keys leave *out alone. */
int site_get_string(const struct ynode *map, const char *key, char **out, struct lerr *err);
int site_get_bool(const struct ynode *map, const char *key, int *out, struct lerr *err);
int site_get_mode(const struct ynode *map, int *out, struct lerr *err);
/* Fails naming what when key is missing from map. */
int site_require(const struct ynode *map, const char *key, const char *what, struct lerr *err);

#endif
