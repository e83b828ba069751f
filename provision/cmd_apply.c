/*
 * `lading provision apply`: the site file's roles on the inventory's hosts.
 * Options shared with the other verbs come from provision/fanout.c.
 */
#include "provision/cmd_apply.h"

#include <stdio.h>
#include <string.h>

#include "inventory/inventory.h"
#include "provision/fanout.h"
#include "provision/run.h"
#include "provision/site.h"

struct apply_args {
	const char *site;
	const char *log_dir;
	int check;
};

static void apply_usage(FILE *out)
{
	fprintf(out, "usage: lading provision [apply] -i INVENTORY -s SITE [options]\n\noptions:\n"
		     "  -s, --site FILE             the site file (lading-site(5))\n"
		     "      --check                 show what would change, change nothing\n"
		     "      --log-dir DIR           per-run host logs go to DIR/<time>/<host>.log (default runs)\n");
	fanout_usage_common(out);
	fprintf(out, "\nWith --json every step is one JSON object per line, then the recap object.\n");
}

/* Returns -1 to go on, else the exit status (0 after --help, 2 on a usage error). */
static int apply_parse(int argc, char **argv, struct fanout_opts *o, struct apply_args *a)
{
	int i = 1, used;

	while (i < argc) {
		const char *arg = argv[i];

		if ((used = fanout_parse_option(o, argc, argv, &i)) < 0)
			return 2;
		if (used > 0)
			continue;
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			apply_usage(stdout);
			return 0;
		} else if (strcmp(arg, "--check") == 0) {
			a->check = 1;
		} else if ((strcmp(arg, "-s") == 0 || strcmp(arg, "--site") == 0 || strcmp(arg, "--log-dir") == 0) &&
			   i + 1 < argc) {
			*(arg[1] == 's' || strcmp(arg, "--site") == 0 ? &a->site : &a->log_dir) = argv[i + 1];
			i++;
		} else {
			fprintf(stderr, "lading provision apply: unknown or incomplete option '%s' (see --help)\n",
				arg);
			return 2;
		}
		i++;
	}
	if (o->inventory_count == 0 || a->site == NULL) {
		fprintf(stderr, "lading provision apply: need -i INVENTORY and -s SITE (see --help)\n");
		return 2;
	}
	return -1;
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
	if (site_load(a.site, &site, &err) != 0 || load_inventory(&o, &inv, &err) != 0) {
		fprintf(stderr, "lading provision apply: %s\n", err.msg);
		status = lerr_exit_code(&err);
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
		fprintf(stderr, "lading provision apply: %s\n", err.msg);
		status = lerr_exit_code(&err);
		goto out;
	}
	if (failed_hosts > 0)
		fprintf(stderr, "lading provision apply: %d host%s failed (listed last in the recap)\n", failed_hosts,
			failed_hosts == 1 ? "" : "s");
	status = failed_hosts > 0 ? 1 : 0;
out:
	site_free(site);
	inv_free(inv);
	return status;
}
