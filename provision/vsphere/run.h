#ifndef LADING_PROVISION_VSPHERE_RUN_H
#define LADING_PROVISION_VSPHERE_RUN_H

/*
 * One vsphere verb over all of a site's VMs: the shared objects (template,
 * folder, pool, datastore, network) are looked up once, then a pool of
 * --jobs threads, each with its own vCenter session, works through the VMs.
 */
#include <stddef.h>

#include "lib/err.h"
#include "lib/log.h"
#include "provision/vsphere/site.h"

enum vs_verb {
	VS_VERB_CREATE,
	VS_VERB_DESTROY,
	VS_VERB_LIST,
};

/* The outcome for one VM. status: created, ok, destroyed, absent, present, refused, failed. */
struct vs_result {
	const char *status;
	char power[24];
	char *ip;
	int failed;
	char error[1024];
};

struct vs_run;
/* Called under a lock as each VM finishes, with the VM's index. */
typedef void (*vs_report_fn)(const struct vs_run *run, size_t index);

struct vs_run {
	int verb;
	struct vs_site *site; /* owned: freed by vs_run_free */
	char *password;	      /* owned by the caller */
	long jobs;
	long timeout_s;
	const struct logger *lg;
	vs_report_fn report;
	struct vs_result *results; /* one per site VM, filled by vs_run */
	size_t failures;
};

/*
 * Logs in, resolves the site's objects and runs the verb on every VM.
 * Fails only when nothing could be done (login, template, folder...);
 * per-VM failures are counted in run->failures and reported.
 */
int vs_run(struct vs_run *run, struct lerr *err);

/* Writes the Ansible YAML inventory of the VMs that are up with an address, atomically. */
int vs_run_write_inventory(const struct vs_run *run, const char *path, struct lerr *err);

void vs_run_free(struct vs_run *run);

#endif
