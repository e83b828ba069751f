#ifndef LADING_INVENTORY_VALUE_H
#define LADING_INVENTORY_VALUE_H

/*
 * Variable values typed as Ansible types them: YAML 1.1 plain scalars (PyYAML's
 * resolver) and INI values (Python's ast.literal_eval, as the INI plugin does).
 */
#include <jansson.h>

#include "inventory/inventory.h"
#include "lib/yamltree.h"

/* Types a YAML scalar; *out is allocated (caller frees). */
void inv_value_yaml_scalar(const char *text, int plain, char **out, enum inv_kind *kind);

/* Types any YAML node: sequences and maps become compact JSON text (INV_JSON). Caller frees *out. */
void inv_value_yaml(const struct ynode *node, char **out, enum inv_kind *kind);

/*
 * Reads text as Python's ast.literal_eval would (numbers, quoted strings, True,
 * False, None, lists, tuples, dicts); text that is no literal stays a string,
 * as in Ansible's INI plugin. Caller frees *out.
 */
void inv_value_python(const char *text, char **out, enum inv_kind *kind);

/*
 * Calls fn for each key and value of a YAML mapping with merge keys applied as
 * PyYAML applies them: pairs from "<<: *anchor" (or a list of anchors, the
 * first winning) come first, then the mapping's own pairs; a later call for the
 * same key overrides an earlier one.
 */
void inv_ymap_each(const struct ynode *map, void (*fn)(void *ctx, const struct ynode *key, const struct ynode *value),
		   void *ctx);

/* Compact JSON text for lists and maps, as stored in INV_JSON variables. */
#define INV_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/*
 * An integer literal (sign, 0x/0o/0b, underscores) as allocated decimal text, or
 * NULL; yaml11 selects YAML 1.1 rules (0NNN octal) over Python 3's.
 */
char *inv_int_text(const char *s, int yaml11);

/* A copy of s without '_' (caller frees). */
char *inv_strip_underscores(const char *s);

/* A new JSON value for a typed variable (caller decrefs). */
json_t *inv_value_json(const char *text, enum inv_kind kind);

#endif
