#ifndef LADING_INVENTORY_TEMPLATE_H
#define LADING_INVENTORY_TEMPLATE_H

/*
 * The small part of Jinja2 that provisioning needs: "{{ name }}" and
 * "{{ name | default('text') }}" (or d('text')), whitespace inside the braces
 * optional, and Jinja's whitespace control "{{-" / "-}}".
 * Every "{{" starts an expression (there is no escape); "{%" statements are
 * refused rather than copied through unrendered.
 */
#include <stddef.h>

#include "inventory/inventory.h"
#include "lib/buf.h"
#include "lib/err.h"

/* The value of variable name, or NULL when it is undefined. */
typedef const char *(*tmpl_lookup_fn)(void *ctx, const char *name);

/*
 * Appends text (len bytes) to out with every expression replaced. where and
 * first_line name the text in messages ("site.yaml:12: undefined variable
 * 'ntp'"); first_line is the line the text starts on (1 for a file). Fails on
 * an undefined variable without a default, a malformed or unterminated
 * expression, or when out's cap is reached.
 */
int tmpl_render(const char *text, size_t len, const char *where, int first_line, tmpl_lookup_fn lookup, void *ctx,
		struct buf *out, struct lerr *err);

/* Renders the file at path (at most max_bytes) into out; messages name path and line. */
int tmpl_render_file(const char *path, size_t max_bytes, tmpl_lookup_fn lookup, void *ctx, struct buf *out,
		     struct lerr *err);

/*
 * A tmpl_lookup_fn over one host (ctx is a const struct inv_host *): its merged
 * variables plus inventory_hostname. Safe to use from several threads.
 */
const char *tmpl_host_lookup(void *ctx, const char *name);

#endif
