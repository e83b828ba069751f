/*
 * `lading provision apply`: the site file's roles on the inventory's hosts.
 * Options shared with the other verbs come from provision/fanout.c.
 */
#include "provision/cmd_apply.h"

#include <stdio.h>
#include <string.h>

#include "inventory/inventory.h"
#include "lib/cli.h"
#include "provision/fanout.h"
#include "provision/run.h"
#include "provision/site.h"

struct apply_args {
	const char *site;
	const char *log_dir;
	int check;
};

enum { OPT_SITE = 1, OPT_CHECK, OPT_LOG_DIR };

static const struct cli_option apply_options[] = {
    {"site", 's', "FILE", OPT_SITE, "the site file (lading-site(5)); required"},
    {"check", 0, NULL, OPT_CHECK, "show what would change, change nothing"},
    {"log-dir", 0, "DIR", OPT_LOG_DIR, "per-run host logs go to DIR/<time>/<host>.log (default runs)"},
    {NULL, 0, NULL, 0, NULL},
};

/* Returns -1 to go on, else the exit status (0 after --help, 2 on a usage error). */
static int apply_parse(int argc, char **argv, struct fanout_opts *o, struct apply_args *a)
{
	struct cli cli;
	int opt, used, status = 2;

	cli_init(&cli, "lading provision apply", "-i INVENTORY -s SITE [options]", apply_options,
		 CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	cli.shared = fanout_options;
	cli.summary = "With --json every step is one JSON object per line, then the recap object.";
	while ((opt = cli_next(&cli)) > 0) {
		if ((used = fanout_apply_option(o, &cli, opt)) < 0)
			goto out;
		if (used > 0)
			continue;
		if (opt == OPT_CHECK)
			a->check = 1;
		else if (opt == OPT_SITE)
			a->site = cli.arg;
		else
			a->log_dir = cli.arg;
	}
	if (opt < 0 || cli.help) {
		status = cli_finish(&cli);
		goto out;
	}
	if (cli_operands(&cli, 0, 0, "no operands") != 0)
		goto out;
	if (o->inventory_count == 0 || a->site == NULL) {
		cli_usage_error(&cli, "need -i INVENTORY and -s SITE");
		goto out;
	}
	fanout_opts_finish(o, &cli);
	status = -1;
out:
	cli_free(&cli);
	return status;
}

static int load_inventory(const struct fanout_opts *o, struct inventory **out, struct lerr *err)
{
	struct inventory *inv = NULL;
	int i;

	if (inv_load(o->inventories[0], &inv, err) != 0)
		return -1;
	for (i = 1; i < o->inventory_count; i++)
		if (inv_merge_file(inv, o->inventories[i], err) != 0) {
			inv_free(inv);
			return -1;
		}
	*out = inv;
	return 0;
}

int provision_apply(int argc, char **argv)
{
	struct apply_args a = {NULL, "runs", 0};
	struct fanout_opts o;
	struct run_opts ro = {0};
	struct inventory *inv = NULL;
	struct site *site = NULL;
	struct lerr err = {0};
	int status, failed_hosts = 0;

	fanout_opts_init(&o);
	if ((status = apply_parse(argc, argv, &o, &a)) >= 0)
		return status;
	if (site_load(a.site, &site, &err) != 0 || load_inventory(&o, &inv, &err) != 0 ||
	    fanout_become_password(&o, &err) != 0) {
		status = cli_fail(&err);
		goto out;
	}
	ro.limit = o.limit;
	ro.check = a.check;
	ro.forks = o.forks;
	ro.json = o.json;
	ro.become = o.become;
	ro.log_dir = a.log_dir;
	ro.ssh = &o.ssh;
	ro.lg = &o.lg;
	ro.out = stdout;
	if (run_site(site, inv, &ro, &failed_hosts, &err) != 0) {
		status = cli_fail(&err);
		goto out;
	}
	if (failed_hosts > 0) {
		lerr_set(&err, LADING_ERR_SYSTEM, "provision apply: %d host%s failed (listed last in the recap)",
			 failed_hosts, failed_hosts == 1 ? "" : "s");
		status = cli_fail(&err);
	} else {
		status = 0;
	}
out:
	fanout_opts_clear(&o);
	site_free(site);
	inv_free(inv);
	return status;
}
