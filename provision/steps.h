#ifndef LADING_PROVISION_STEPS_H
#define LADING_PROVISION_STEPS_H

/*
 * Running one step of a role on one host. Steps decide what to do by asking
 * the host (sha256sum, stat, test -e, the `unless` command), so a second run
 * changes nothing; in check mode they ask the same questions and stop there.
 */
#include <stdio.h>

#include "inventory/inventory.h"
#include "lib/buf.h"
#include "lib/digestmemo.h"
#include "lib/err.h"
#include "provision/site.h"

/* How to run commands on one host: over SSH (run.c) or on this machine (step_exec_local). */
struct step_exec {
	/* As ssh_exec: -1 = transport failure, else *exit_status is the command's. */
	int (*exec)(void *ctx, const char *cmd, int become, int stdin_fd, struct buf *out, struct buf *errout,
		    int *exit_status, struct lerr *err);
	/* As ssh_upload: local file to remote path, temp name then rename, checked against its size and sha256. */
	int (*upload)(void *ctx, const char *local_path, const char *remote_path, int mode, int become,
		      const char *sha256_hex, struct lerr *err);
	/*
	 * Drops the session and opens a new one (after a reboot); NULL where
	 * there is no session (this machine). -1 = not reachable yet.
	 */
	int (*reconnect)(void *ctx, struct lerr *err);
	void *ctx;
};

/* Fills exec with a runner of `/bin/sh -c` on this machine (become: `sudo -n` unless root). */
void step_exec_local(struct step_exec *exec);

enum step_status {
	STEP_STATUS_OK,
	STEP_STATUS_CHANGED,
	STEP_STATUS_SKIPPED,
	STEP_STATUS_FAILED,
	STEP_STATUS_UNREACHABLE,
};

/* "ok", "changed", "skipped", "failed", "unreachable". */
const char *step_status_name(enum step_status status);

/* What steps on one host see; owned by the runner's worker for that host. */
struct step_host {
	const struct step_exec *exec;
	const struct site *site;
	const struct inv_host *host; /* inventory variables; NULL = none */
	const char *name;	     /* inventory_hostname */
	int become;		     /* the host's default (ansible_become) */
	int check;		     /* --check: ask, report, change nothing */
	int role_changed;	     /* a step of the current role changed; the runner clears it per role */
	struct site_var *facts;	     /* set by the facts step; freed by step_host_clear */
	size_t fact_count;
	FILE *log;		     /* the host's full log, or NULL */
	struct digest_memo *digests; /* source digests shared by the run's hosts; NULL = hash each time */
};

struct step_result {
	enum step_status status;
	char msg[LERR_MSG_MAX];
};

/*
 * Runs step on the host and fills res (ok/changed/skipped/failed and a
 * one-line message). Returns -1 only when the connection itself failed:
 * res is then "unreachable" and the host's run stops.
 */
int step_run(struct step_host *host, const struct site_step *step, struct step_result *res);

/* A variable as templates see it: facts, then inventory (and inventory_hostname), site vars, registry_*. */
const char *step_var(struct step_host *host, const char *name);

/* Frees the facts gathered on the host. */
void step_host_clear(struct step_host *host);

/* Appends s to b quoted for a POSIX shell ('...' with embedded quotes escaped). */
void step_sh_quote(struct buf *b, const char *s);

#endif
