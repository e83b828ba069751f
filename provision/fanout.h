#ifndef LADING_PROVISION_FANOUT_H
#define LADING_PROVISION_FANOUT_H

/*
 * The part every `lading provision` verb shares: common options (inventory,
 * --limit, --forks, host key policy, timeouts, --json), one SSH connection per
 * selected host on a worker pool, and results printed with failed hosts last.
 */
#include <jansson.h>
#include <stdio.h>

#include "inventory/inventory.h"
#include "lib/cli.h"
#include "lib/log.h"
#include "provision/ssh/ssh.h"
#include "provision/target.h"

enum fanout_status {
	FANOUT_OK = 0,
	FANOUT_FAILED = 1,
	FANOUT_UNREACHABLE = 2,
};

struct fanout_opts {
	const char *inventories[16];
	int inventory_count;
	const char *limit;
	int forks;
	int become;	       /* --become: force become on every host */
	int ask_become_pass;   /* --ask-become-pass: read sudo's password from the terminal */
	char *become_password; /* the run's sudo password (ssh.become_password points here); wiped */
	int json;
	int allow_local; /* the verb runs hosts with ansible_connection local here (action gets conn NULL) */
	struct ssh_opts ssh;
	struct logger lg;
};

/* One host's outcome, filled by the verb's action. */
struct fanout_result {
	const struct inv_host *host;
	struct prov_target target;
	int status;
	char *msg;	/* failure text without the leading "host: " */
	json_t *detail; /* extra JSON fields for --json (and for the verb's printer) */
	char *text;	/* what the verb prints for an ok host (after "host: ok") */
	double seconds;
};

/* A verb's work on one connected host: fill r->detail/r->text, or return -1 with err. */
typedef int (*fanout_action)(struct ssh_conn *conn, struct fanout_result *r, void *ctx, struct lerr *err);

/* The options every verb shares (lib/cli table; ids FANOUT_OPT_*), for struct cli's shared table. */
enum {
	FANOUT_OPT_INVENTORY = 1000,
	FANOUT_OPT_LIMIT,
	FANOUT_OPT_FORKS,
	FANOUT_OPT_BECOME,
	FANOUT_OPT_KNOWN_HOSTS,
	FANOUT_OPT_HOST_KEY_POLICY,
	FANOUT_OPT_CONNECT_TIMEOUT,
	FANOUT_OPT_TIMEOUT,
	FANOUT_OPT_ASK_BECOME_PASS,
};
extern const struct cli_option fanout_options[];

/* Defaults for every field. */
void fanout_opts_init(struct fanout_opts *o);

/* Applies option id if it is a shared one: 1 when used, 0 when not shared, -1 after a usage error (printed). */
int fanout_apply_option(struct fanout_opts *o, const struct cli *cli, int id);

/* After parsing: the logger and --json from the common options. */
void fanout_opts_finish(struct fanout_opts *o, const struct cli *cli);

/*
 * The run's sudo password: asked once on the terminal (--ask-become-pass, no
 * echo; refused without a terminal), else $LADING_BECOME_PASSWORD, else none
 * (hosts may still have ansible_become_password). Wipe with fanout_opts_clear.
 */
int fanout_become_password(struct fanout_opts *o, struct lerr *err);

/* Wipes and frees what fanout_become_password kept. */
void fanout_opts_clear(struct fanout_opts *o);

/*
 * Loads the inventory, selects hosts, connects to each on the pool and runs
 * action; prints results (ok hosts first, failed ones last, in inventory
 * order) and returns the exit status: 0 all ok, 1 any host failed, 2 usage.
 */
int fanout_run(struct fanout_opts *o, const char *verb, fanout_action action, void *ctx);

#endif
