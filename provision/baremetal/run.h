#ifndef LADING_PROVISION_BAREMETAL_RUN_H
#define LADING_PROVISION_BAREMETAL_RUN_H

/*
 * One baremetal action over the selected nodes of a site, --jobs at a time
 * (lib/pool, each node on its own BMC connection); one node failing never
 * stops the others. Actions are idempotent: a node already in the asked
 * state is left alone and reported as such.
 */
#include <stddef.h>

#include "lib/err.h"
#include "lib/log.h"
#include "provision/baremetal/site.h"

enum bm_action {
	BM_POWER_STATUS,
	BM_POWER_ON,
	BM_POWER_OFF,
	BM_POWER_CYCLE,
	BM_BOOT_ONCE,
	BM_MEDIA_INSERT,
	BM_MEDIA_EJECT,
	BM_UP_BOOT, /* up's power part: off, boot once (Cd with media_url, else Pxe), media, on */
};

struct bm_result {
	int done;	    /* the node was worked on (it was selected) */
	int failed;	    /* error holds the message */
	int changed;	    /* the BMC was asked to change something */
	char power[32];	    /* PowerState at the end ("On", "Off"), or "" */
	const char *action; /* the ResetType or boot target used, or NULL */
	const char *status; /* one word: on, off, powered-on, powered-off, already-on, already-off, set,
			       inserted, ejected, already-inserted, already-ejected, failed */
	char error[LERR_MSG_MAX];
};

struct bm_run {
	const struct bm_site *site;
	enum bm_action action;
	const char *boot_target; /* "Pxe" or "Cd" for BM_BOOT_ONCE */
	int uefi;
	const char *media_url; /* the image for BM_MEDIA_INSERT */
	int graceful;	       /* off: GracefulShutdown first, ForceOff when the timeout passes */
	long timeout_s;	       /* for the BMC to report the asked PowerState */
	long jobs;	       /* nodes at once */
	const int *selected;   /* one flag per site node */
	const struct logger *lg;
	struct bm_result *results; /* one per site node, allocated by bm_run_nodes */
	size_t failures;
};

/* The action on one node, on its own BMC connection (a thread may run several nodes in turn). */
int bm_node_work(const struct bm_run *run, const struct bm_node *node, struct bm_result *res, struct lerr *err);

/* Runs the action on every selected node. Fails only when nothing could start; per-node failures are counted. */
int bm_run_nodes(struct bm_run *run, struct lerr *err);

void bm_run_free(struct bm_run *run);

/* Work on node index of ctx's site (a pool thread); -1 when the node failed, its error kept by the callee. */
typedef int (*bm_node_fn)(void *ctx, size_t index);

/*
 * fn on each selected node of site (selected: one flag per node), jobs at a
 * time; one node failing never stops the others. Fails only when nothing could
 * start; *failures counts the nodes whose fn returned -1.
 */
int bm_each_selected(const struct bm_site *site, const int *selected, long jobs, bm_node_fn fn, void *ctx,
		     size_t *failures, struct lerr *err);

/* Sleeps ms milliseconds, whatever signals come: every poll of a BMC, a task monitor or SSH. */
void bm_pause_ms(long ms);

/*
 * One node of run whose BMC speaks IPMI (run_ipmi.c): the same actions and
 * outcomes in res as over Redfish, through chassis power and the one-time boot
 * device; virtual media is refused (IPMI has none).
 */
int bm_ipmi_work(const struct bm_run *run, const struct bm_node *node, struct bm_result *res, struct lerr *err);

#endif
