#ifndef LADING_BUNDLE_PUSH_DELTA_H
#define LADING_BUNDLE_PUSH_DELTA_H

/*
 * `bundle push` of a delta (bundle create --since, issue 17). With --base the
 * base is attached to the view and the two are pushed as one bundle. Without
 * it the target registry must already hold the base: the manifests the delta
 * leaves to its base are read from the registry (each checked against the
 * delta's lading.json), and before anything is sent every blob the delta
 * leaves to its base is asked for (HEAD) in each repository that needs it;
 * the missing ones are named and nothing is pushed.
 */
#include "bundle/format/view.h"
#include "bundle/push.h"
#include "bundle/push_plan.h"
#include "images/registry.h"
#include "lib/err.h"

struct push_delta;

/*
 * For the bundle open as view: *out NULL when it is not a delta (and no
 * --base was given), else the state for push_delta_check (the caller frees it
 * with push_delta_free, after the view). Fails when --base is given for a
 * bundle that is not a delta, or is not the delta's base.
 */
int push_delta_prepare(struct bundle_view *view, const struct bundle_push_opts *opts, struct push_delta **out,
		       struct lerr *err);

/* Before anything is sent: without --base, every in_base blob of the plan in every repository (clients[image]). */
int push_delta_check(const struct push_delta *d, const struct bundle_view *view, const struct push_plan *plan,
		     struct registry_client **clients, struct lerr *err);

void push_delta_free(struct push_delta *d);

#endif
