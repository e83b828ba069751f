#ifndef LADING_PROVISION_BAREMETAL_UP_H
#define LADING_PROVISION_BAREMETAL_UP_H

/*
 * lading baremetal up, per node and --jobs at a time: build the node's image
 * (its host key recorded in known_hosts before anything boots), and unless
 * the node already answers SSH with that key, power it off, set the one-time
 * boot (Cd with the image in its virtual drive over Redfish, Pxe over IPMI),
 * power it on, wait for SSH with strict host keys, eject the image. A node
 * that fails never stops the others.
 */
#include <stddef.h>

#include "lib/err.h"
#include "lib/log.h"
#include "provision/baremetal/media_http.h"
#include "provision/baremetal/site.h"

struct bm_up_result {
	int done;
	int failed;
	int changed;	    /* the node was booted */
	const char *status; /* "up", "already-up", "failed" */
	char fingerprint[64];
	double seconds; /* from power-on to SSH */
	char error[LERR_MSG_MAX];
};

struct bm_up {
	const struct bm_site *site;
	const int *selected;
	long jobs;
	long timeout_s;	      /* for SSH to answer after power-on */
	long power_timeout_s; /* for the BMC to report the asked power state */
	int graceful;
	const char *out_dir;	 /* images: OUT/NODE/ */
	const char *known_hosts; /* the file the host keys go to and SSH checks */
	struct bm_media_server *media;
	const char *media_url; /* base URL the BMCs fetch images from, e.g. http://10.0.0.5:8089 */
	const struct logger *lg;
	struct bm_up_result *results; /* one per site node */
	size_t failures;
};

/* Runs up on every selected node. Fails only when nothing could start. */
int bm_up_run(struct bm_up *up, struct lerr *err);

/*
 * Writes an inventory (Ansible YAML, as vsphere create does) of the nodes that
 * are up: every one in group baremetal and in its own groups, with
 * ansible_host and its vars. Atomic.
 */
int bm_up_write_inventory(const struct bm_up *up, const char *path, struct lerr *err);

void bm_up_free(struct bm_up *up);

#endif
