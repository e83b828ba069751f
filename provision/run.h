#ifndef LADING_PROVISION_RUN_H
#define LADING_PROVISION_RUN_H

/*
 * provision/: bringing hosts up. Owns the site file, roles and steps, the step
 * runner and facts, and `lading provision`. The SSH engine is in
 * provision/ssh/ and the vSphere client in provision/vsphere/: subfolders
 * because both exist only to serve provisioning (and bare metal will join
 * them), yet each is a whole protocol a reader looks for by name.
 * May include: provision/ssh/, inventory/, lib/
 */

/*
 * The step runner: every selected host gets the roles the site's `apply`
 * list gives it, hosts in parallel on a worker pool, steps in order on each.
 * A failed step stops its host only. Events are printed as they happen (one
 * line each, or one JSON object each), then a recap with failed hosts last.
 */
#include <stdio.h>

#include "inventory/inventory.h"
#include "lib/err.h"
#include "lib/log.h"
#include "provision/site.h"
#include "provision/ssh/ssh.h"

struct run_opts {
	const char *limit;   /* --limit pattern, or NULL */
	int check;	     /* --check: report what would change, change nothing */
	int forks;	     /* hosts at once (default 32) */
	int json;	     /* events and recap as JSON lines */
	int become;	     /* --become: become on every host */
	const char *log_dir; /* per-run directories go under it (default "runs") */
	const struct ssh_opts *ssh;
	const struct logger *lg;
	FILE *out; /* events and recap (stdout) */
};

/*
 * Applies site to the hosts of inv. *failed_hosts is the number of hosts
 * that failed or were unreachable. Returns -1 (with err) only when nothing
 * could run: a bad pattern, no log directory.
 */
int run_site(const struct site *site, const struct inventory *inv, const struct run_opts *opts, int *failed_hosts,
	     struct lerr *err);

#endif
