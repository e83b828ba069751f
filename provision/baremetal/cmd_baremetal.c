/*
 * lading baremetal list|power|media|boot: the site's bare-metal nodes, their
 * power through the BMC (idempotent: a node already in the asked state is
 * left alone), their virtual CD/DVD drive, and the one-time boot override
 * (image and up are in cmd_up.c).
 */
#include "provision/baremetal/cmd_baremetal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/log.h"
#include "lib/termsafe.h"
#include "lib/xmalloc.h"
#include "provision/baremetal/cmd_up.h"
#include "provision/baremetal/run.h"
#include "provision/baremetal/site.h"

#define JOBS_DEFAULT 8
#define TIMEOUT_DEFAULT 120

enum { OPT_SITE = 1, OPT_JOBS, OPT_TIMEOUT, OPT_GRACEFUL, OPT_UEFI };

struct options {
	const char *site_file;
	long jobs;
	long timeout_s;
	int graceful;
	int uefi;
};

static const struct cli_option list_options[] = {
    {"site", 's', "FILE", OPT_SITE, "the site file with a baremetal: section (lading-site(5)); required"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option power_options[] = {
    {"site", 's', "FILE", OPT_SITE, "the site file with a baremetal: section (lading-site(5)); required"},
    {"jobs", 'j', "N", OPT_JOBS, "nodes in parallel, 1-256 (default 8)"},
    {"timeout", 't', "S", OPT_TIMEOUT, "seconds for each node to reach the asked state (1-3600, default 120)"},
    {"graceful", 0, NULL, OPT_GRACEFUL, "off: GracefulShutdown first, ForceOff after --timeout"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option media_options[] = {
    {"site", 's', "FILE", OPT_SITE, "the site file with a baremetal: section (lading-site(5)); required"},
    {"jobs", 'j', "N", OPT_JOBS, "nodes in parallel, 1-256 (default 8)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option boot_options[] = {
    {"site", 's', "FILE", OPT_SITE, "the site file with a baremetal: section (lading-site(5)); required"},
    {"jobs", 'j', "N", OPT_JOBS, "nodes in parallel, 1-256 (default 8)"},
    {"uefi", 0, NULL, OPT_UEFI, "boot in UEFI mode (default Legacy)"},
    {NULL, 0, NULL, 0, NULL},
};

/* Returns -1 to go on (operands and lg filled), else the exit status to return now. */
static int parse_options(struct cli *cli, struct options *opts, struct logger *lg)
{
	int c, status = 2;

	opts->jobs = JOBS_DEFAULT;
	opts->timeout_s = TIMEOUT_DEFAULT;
	cli->summary = BM_CLI_SUMMARY;
	while ((c = cli_next(cli)) > 0) {
		if (c == OPT_SITE)
			opts->site_file = cli->arg;
		else if (c == OPT_JOBS && cli_int(cli, 1, 256, &opts->jobs) != 0)
			return status;
		else if (c == OPT_TIMEOUT && cli_int(cli, 1, 3600, &opts->timeout_s) != 0)
			return status;
		else if (c == OPT_GRACEFUL)
			opts->graceful = 1;
		else if (c == OPT_UEFI)
			opts->uefi = 1;
	}
	return bm_options_end(cli, c, opts->site_file, lg);
}

int bm_options_end(struct cli *cli, int last, const char *site_file, struct logger *lg)
{
	if (last < 0 || cli->help)
		return cli_finish(cli);
	if (site_file == NULL)
		return cli_usage_error(cli, "-s site.yaml is required");
	cli_logger(cli, lg);
	return -1;
}

static int in_groups(const struct bm_node *node, const char *name)
{
	size_t i;

	for (i = 0; i < node->group_count; i++)
		if (strcmp(node->groups[i], name) == 0)
			return 1;
	return 0;
}

/* Operands name nodes or groups; none selects every node. Returns -1 after a usage error. */
static int select_nodes(const struct cli *cli, size_t first, const struct bm_site *site, int *selected)
{
	size_t i, j;

	for (j = 0; j < site->node_count; j++)
		selected[j] = first >= cli->operand_count;
	for (i = first; i < cli->operand_count; i++) {
		int found = 0;

		for (j = 0; j < site->node_count; j++)
			if (strcmp(site->nodes[j].name, cli->operands[i]) == 0 ||
			    in_groups(&site->nodes[j], cli->operands[i]))
				selected[j] = found = 1;
		if (!found) {
			cli_usage_error(cli, "'%s' is neither a node nor a group of the baremetal section of '%s'",
					cli->operands[i], site->file);
			return -1;
		}
	}
	return 0;
}

int bm_load_selected(const struct cli *cli, const char *site_file, size_t first, struct bm_site **site, int **selected)
{
	struct lerr err;

	if (bm_site_load(site_file, site, &err) != 0) {
		lerr_prefix(&err, "baremetal");
		return cli_fail(&err);
	}
	*selected = xcalloc((*site)->node_count + 1, sizeof(int));
	return select_nodes(cli, first, *site, *selected) != 0 ? 2 : -1;
}

static void print_result(const struct bm_run *run, size_t i, int json)
{
	const struct bm_node *node = &run->site->nodes[i];
	const struct bm_result *res = &run->results[i];

	if (!res->done)
		return;
	if (json) {
		cli_print_json(json_pack("{s:s, s:s*, s:s, s:s*, s:b, s:s*}", "node", node->name, "power",
					 res->power[0] != '\0' ? res->power : NULL, "status", res->status, "action",
					 res->action, "changed", res->changed, "error",
					 res->failed ? res->error : NULL));
	} else {
		printf("%-24s %-8s %-12s %s\n", node->name, res->power[0] != '\0' ? res->power : "-", res->status,
		       res->action != NULL ? res->action : "-");
	}
	if (res->failed) {
		/* The message quotes the BMC: no control character reaches the terminal. */
		fprintf(stderr, "lading: baremetal: %s: ", node->name);
		termsafe_fputs(res->error, stderr);
		fputc('\n', stderr);
	}
}

/* Loads the site and works on the selected nodes; operands from first on select them. */
static int run_action(struct cli *cli, const struct options *opts, struct bm_run *run, size_t first,
		      const struct logger *lg)
{
	struct bm_site *site = NULL;
	struct lerr err;
	int *selected = NULL, status;
	size_t i;

	if ((status = bm_load_selected(cli, opts->site_file, first, &site, &selected)) >= 0)
		goto out;
	run->site = site;
	run->selected = selected;
	run->jobs = opts->jobs;
	run->timeout_s = opts->timeout_s;
	run->graceful = opts->graceful;
	run->uefi = opts->uefi;
	run->lg = lg;
	if (bm_run_nodes(run, &err) != 0) {
		lerr_prefix(&err, "baremetal");
		status = cli_fail(&err);
		goto out;
	}
	for (i = 0; i < site->node_count; i++)
		print_result(run, i, lg->json);
	status = run->failures > 0 ? 1 : 0;
out:
	bm_run_free(run);
	free(selected);
	bm_site_free(site);
	return status;
}

static int baremetal_power(int argc, char **argv)
{
	static const char *const verbs[] = {"status", "on", "off", "cycle", NULL};
	static const enum bm_action actions[] = {BM_POWER_STATUS, BM_POWER_ON, BM_POWER_OFF, BM_POWER_CYCLE};
	struct options opts = {NULL, 0, 0, 0, 0};
	struct bm_run run;
	struct logger lg;
	struct cli cli;
	int status;
	size_t i;

	memset(&run, 0, sizeof(run));
	cli_init(&cli, "lading baremetal power", "on|off|cycle|status -s site.yaml [options] [NODE|GROUP...]",
		 power_options, CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	if ((status = parse_options(&cli, &opts, &lg)) >= 0)
		goto out;
	status = 2;
	if (cli_operands(&cli, 1, -1, "on, off, cycle or status, then nodes or groups") != 0)
		goto out;
	for (i = 0; verbs[i] != NULL && strcmp(verbs[i], cli.operands[0]) != 0; i++)
		;
	if (verbs[i] == NULL) {
		cli_usage_error(&cli, "'%s': give on, off, cycle or status", cli.operands[0]);
		goto out;
	}
	run.action = actions[i];
	status = run_action(&cli, &opts, &run, 1, &lg);
out:
	cli_free(&cli);
	return status;
}

static int baremetal_boot_once(int argc, char **argv)
{
	struct options opts = {NULL, 0, 0, 0, 0};
	struct bm_run run;
	struct logger lg;
	struct cli cli;
	int status;

	memset(&run, 0, sizeof(run));
	cli_init(&cli, "lading baremetal boot", "pxe|cd -s site.yaml [options] [NODE|GROUP...]", boot_options,
		 CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	if ((status = parse_options(&cli, &opts, &lg)) >= 0)
		goto out;
	status = 2;
	if (cli_operands(&cli, 1, -1, "pxe or cd, then nodes or groups") != 0)
		goto out;
	if (strcmp(cli.operands[0], "pxe") == 0) {
		run.boot_target = "Pxe";
	} else if (strcmp(cli.operands[0], "cd") == 0) {
		run.boot_target = "Cd";
	} else {
		cli_usage_error(&cli, "'%s': give pxe or cd", cli.operands[0]);
		goto out;
	}
	run.action = BM_BOOT_ONCE;
	status = run_action(&cli, &opts, &run, 1, &lg);
out:
	cli_free(&cli);
	return status;
}

static int baremetal_media(int argc, char **argv)
{
	struct options opts = {NULL, 0, 0, 0, 0};
	struct bm_run run;
	struct logger lg;
	struct cli cli;
	size_t first = 1;
	int status;

	memset(&run, 0, sizeof(run));
	cli_init(&cli, "lading baremetal media", "insert URL | eject -s site.yaml [options] [NODE|GROUP...]",
		 media_options, CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	if ((status = parse_options(&cli, &opts, &lg)) >= 0)
		goto out;
	status = 2;
	if (cli_operands(&cli, 1, -1, "insert URL or eject, then nodes or groups") != 0)
		goto out;
	if (strcmp(cli.operands[0], "insert") == 0) {
		/* The BMC fetches the image itself: it needs a URL it can reach, such as lading serve's. */
		if (cli.operand_count < 2 ||
		    (strncmp(cli.operands[1], "http://", 7) != 0 && strncmp(cli.operands[1], "https://", 8) != 0)) {
			cli_usage_error(&cli, "insert takes the image's http:// or https:// URL");
			goto out;
		}
		run.action = BM_MEDIA_INSERT;
		run.media_url = cli.operands[1];
		first = 2;
	} else if (strcmp(cli.operands[0], "eject") == 0) {
		run.action = BM_MEDIA_EJECT;
	} else {
		cli_usage_error(&cli, "'%s': give insert URL or eject", cli.operands[0]);
		goto out;
	}
	status = run_action(&cli, &opts, &run, first, &lg);
out:
	cli_free(&cli);
	return status;
}

static void list_node(const struct bm_node *node, int json)
{
	json_t *groups = json_array();
	size_t i;

	for (i = 0; i < node->group_count; i++)
		json_array_append_new(groups, json_string(node->groups[i]));
	if (json) {
		cli_print_json(json_pack("{s:s, s:s, s:s, s:s*, s:s*, s:s*, s:o}", "node", node->name, "protocol",
					 node->protocol == BM_PROTOCOL_IPMI ? "ipmi" : "redfish", "bmc", node->bmc,
					 "system", node->system, "address", node->address, "mac", node->mac, "groups",
					 groups));
		return;
	}
	printf("%-24s %-8s %-32s %-15s %-17s", node->name, node->protocol == BM_PROTOCOL_IPMI ? "ipmi" : "redfish",
	       node->bmc, node->address != NULL ? node->address : "-", node->mac != NULL ? node->mac : "-");
	for (i = 0; i < node->group_count; i++)
		printf("%s%s", i == 0 ? " " : ",", node->groups[i]);
	printf("\n");
	json_decref(groups);
}

static int baremetal_list(int argc, char **argv)
{
	struct options opts = {NULL, 0, 0, 0, 0};
	struct bm_site *site = NULL;
	struct logger lg;
	struct cli cli;
	int *selected = NULL, status;
	size_t i;

	cli_init(&cli, "lading baremetal list", "-s site.yaml [options] [NODE|GROUP...]", list_options,
		 CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	if ((status = parse_options(&cli, &opts, &lg)) >= 0 ||
	    (status = bm_load_selected(&cli, opts.site_file, 0, &site, &selected)) >= 0)
		goto out;
	for (i = 0; i < site->node_count; i++)
		if (selected[i])
			list_node(&site->nodes[i], lg.json);
	status = 0;
out:
	free(selected);
	bm_site_free(site);
	cli_free(&cli);
	return status;
}

static const struct cli_verb verbs[] = {
    {"list", baremetal_list, "the site's bare-metal nodes and their BMCs (read from the site file only)"},
    {"power", baremetal_power, "power nodes on, off, cycle them, or show their power state"},
    {"media", baremetal_media, "insert an image URL into the nodes' virtual CD/DVD drive, or eject it"},
    {"boot", baremetal_boot_once, "boot nodes once from the network (pxe) or virtual media (cd) at their next start"},
    {"image", baremetal_image, "build each node's live boot image: its host key, authorized key, address, registry CA"},
    {"up", baremetal_up, "boot nodes from their image through the BMC, wait for SSH, write an inventory"},
    {NULL, NULL, NULL},
};

int cmd_baremetal(int argc, char **argv)
{
	return cli_dispatch("lading baremetal", verbs, argc, argv);
}
