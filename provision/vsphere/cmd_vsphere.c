/*
 * lading vsphere create|destroy|list: clone the site's VMs from a template,
 * wait for the addresses VMware Tools reports, write them into an inventory
 * group; destroy only what lading created (extraConfig lading.managed=true).
 */
#include "provision/vsphere/cmd_vsphere.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "provision/vsphere/api.h"
#include "provision/vsphere/run.h"
#include "provision/vsphere/site.h"

#define JOBS_DEFAULT 4
#define TIMEOUT_DEFAULT 600

static void print_result(const struct vs_run *run, size_t i)
{
	const struct vs_vm_spec *vm = &run->site->vms[i];
	const struct vs_result *res = &run->results[i];

	if (run->lg->json) {
		json_t *obj = json_pack("{s:s, s:s, s:s, s:s*, s:s*, s:s*}", "vm", vm->name, "group", vm->group,
					"status", res->status, "power", res->power[0] != '\0' ? res->power : NULL, "ip",
					res->ip, "error", res->failed ? res->error : NULL);
		char *line = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;

		if (line != NULL)
			printf("%s\n", line);
		free(line);
		json_decref(obj);
	} else if (run->verb == VS_VERB_LIST) {
		printf("%-24s %-20s %-11s %-15s %s\n", vm->name, vm->group, res->power[0] != '\0' ? res->power : "-",
		       res->ip != NULL ? res->ip : "-", res->status);
	} else {
		printf("%-24s %-10s %s\n", vm->name, res->status, res->ip != NULL ? res->ip : "-");
	}
	if (res->failed)
		fprintf(stderr, "lading: vsphere: %s: %s\n", vm->name, res->error);
}

struct options {
	const char *site_file;
	const char *inventory_out;
	long jobs;
	long timeout_s;
};

enum { OPT_SITE = 1, OPT_INVENTORY_OUT, OPT_JOBS, OPT_TIMEOUT };

static const struct cli_option create_options[] = {
    {"site", 's', "FILE", OPT_SITE, "the site file with a vsphere: section (lading-site(5)); required"},
    {"inventory-out", 'o', "FILE", OPT_INVENTORY_OUT,
     "inventory to write (default vsphere-inventory.yml next to the site file)"},
    {"jobs", 'j', "N", OPT_JOBS, "VMs in parallel, 1-64 (default 4)"},
    {"timeout", 't', "S", OPT_TIMEOUT, "seconds to wait for each VM (1-86400, default 600)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option destroy_options[] = {
    {"site", 's', "FILE", OPT_SITE, "the site file with a vsphere: section (lading-site(5)); required"},
    {"jobs", 'j', "N", OPT_JOBS, "VMs in parallel, 1-64 (default 4)"},
    {"timeout", 't', "S", OPT_TIMEOUT, "seconds to wait for each VM (1-86400, default 600)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option list_options[] = {
    {"site", 's', "FILE", OPT_SITE, "the site file with a vsphere: section (lading-site(5)); required"},
    {NULL, 0, NULL, 0, NULL},
};

/* Returns -1 to go on (lg filled), else the exit status to return now. */
static int parse_options(int argc, char **argv, int verb, struct options *opts, struct logger *lg)
{
	static const char *const progs[] = {"lading vsphere create", "lading vsphere destroy", "lading vsphere list"};
	const struct cli_option *tables[] = {create_options, destroy_options, list_options};
	struct cli cli;
	int c, status = 2;

	opts->jobs = JOBS_DEFAULT;
	opts->timeout_s = TIMEOUT_DEFAULT;
	cli_init(&cli, progs[verb], "-s site.yaml [options]", tables[verb], CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc,
		 argv);
	cli.summary = "The vCenter password is read from $LADING_VSPHERE_PASSWORD. See lading-vsphere(1).";
	while ((c = cli_next(&cli)) > 0) {
		if (c == OPT_SITE)
			opts->site_file = cli.arg;
		else if (c == OPT_INVENTORY_OUT)
			opts->inventory_out = cli.arg;
		else if (c == OPT_JOBS && cli_int(&cli, 1, 64, &opts->jobs) != 0)
			goto out;
		else if (c == OPT_TIMEOUT && cli_int(&cli, 1, 86400, &opts->timeout_s) != 0)
			goto out;
	}
	if (c < 0 || cli.help) {
		status = cli_finish(&cli);
		goto out;
	}
	if (cli_operands(&cli, 0, 0, "no operands") != 0)
		goto out;
	if (opts->site_file == NULL) {
		cli_usage_error(&cli, "-s site.yaml is required");
		goto out;
	}
	cli_logger(&cli, lg);
	status = -1;
out:
	cli_free(&cli);
	return status;
}

static char *default_inventory(const char *site_file)
{
	const char *slash = strrchr(site_file, '/');

	if (slash == NULL)
		return xstrdup("vsphere-inventory.yml");
	return xasprintf("%.*s/vsphere-inventory.yml", (int)(slash - site_file), site_file);
}

static int vsphere_verb(int argc, char **argv, int verb)
{
	struct options opts = {NULL, NULL, 0, 0};
	struct vs_run run;
	struct logger lg;
	struct lerr err;
	const char *password;
	char *inventory = NULL;
	int status;

	if ((status = parse_options(argc, argv, verb, &opts, &lg)) >= 0)
		return status;
	password = getenv("LADING_VSPHERE_PASSWORD");
	if (password == NULL || password[0] == '\0') {
		lerr_set(&err, LADING_ERR_USAGE, "vsphere: set $LADING_VSPHERE_PASSWORD to the vCenter password");
		return cli_fail(&err);
	}
	memset(&run, 0, sizeof(run));
	run.verb = verb;
	run.jobs = opts.jobs;
	run.timeout_s = opts.timeout_s;
	run.lg = &lg;
	run.report = print_result;
	if (vs_site_load(opts.site_file, &run.site, &err) != 0) {
		lerr_prefix(&err, "vsphere");
		return cli_fail(&err);
	}
	run.password = xstrdup(password);
	if (vs_run(&run, &err) != 0) {
		lerr_prefix(&err, "vsphere");
		status = cli_fail(&err);
		goto out;
	}
	status = run.failures > 0 ? 1 : 0;
	if (verb == VS_VERB_CREATE) {
		inventory =
		    opts.inventory_out != NULL ? xstrdup(opts.inventory_out) : default_inventory(opts.site_file);
		if (vs_run_write_inventory(&run, inventory, &err) != 0) {
			lerr_prefix(&err, "vsphere");
			status = cli_fail(&err);
		} else {
			log_msg(&lg, LOG_INFO, "inventory written to '%s'", inventory);
		}
	}
out:
	OPENSSL_cleanse(run.password, strlen(run.password));
	free(run.password);
	free(inventory);
	vs_run_free(&run);
	return status;
}

static int vsphere_create(int argc, char **argv)
{
	return vsphere_verb(argc, argv, VS_VERB_CREATE);
}

static int vsphere_destroy(int argc, char **argv)
{
	return vsphere_verb(argc, argv, VS_VERB_DESTROY);
}

static int vsphere_list(int argc, char **argv)
{
	return vsphere_verb(argc, argv, VS_VERB_LIST);
}

static const struct cli_verb verbs[] = {
    {"create", vsphere_create, "clone the site's VMs from the template, wait for their IPs, write an inventory"},
    {"destroy", vsphere_destroy, "power off and delete the VMs lading created"},
    {"list", vsphere_list, "the site's VMs, their power state and address"},
    {NULL, NULL, NULL},
};

int cmd_vsphere(int argc, char **argv)
{
	return cli_dispatch("lading vsphere", verbs, argc, argv);
}
