/*
 * lading vsphere create|destroy|list: clone the site's VMs from a template,
 * wait for the addresses VMware Tools reports, write them into an inventory
 * group; destroy only what lading created (extraConfig lading.managed=true).
 */
#define _GNU_SOURCE /* strsep */
#include "provision/vsphere/cmd_vsphere.h"

#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "provision/vsphere/api.h"
#include "provision/vsphere/run.h"
#include "provision/vsphere/site.h"

#define JOBS_DEFAULT 4
#define TIMEOUT_DEFAULT 600

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: lading vsphere create  -s site.yaml [--inventory-out FILE] [--jobs N] [--timeout S] [--json] [-v]\n"
	    "       lading vsphere destroy -s site.yaml [--jobs N] [--timeout S] [--json] [-v]\n"
	    "       lading vsphere list    -s site.yaml [--json]\n"
	    "The vCenter password is read from $LADING_VSPHERE_PASSWORD. See lading-vsphere(1).\n");
}

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
	int json;
	int verbose;
};

static int parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (end == text || *end != '\0' || value < min || value > max)
		return -1;
	*out = value;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option longopts[] = {
	    {"site", required_argument, NULL, 's'}, {"inventory-out", required_argument, NULL, 'o'},
	    {"jobs", required_argument, NULL, 'j'}, {"timeout", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'J'},	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	int c;

	opts->jobs = JOBS_DEFAULT;
	opts->timeout_s = TIMEOUT_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:o:j:t:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opts->site_file = optarg;
			break;
		case 'o':
			opts->inventory_out = optarg;
			break;
		case 'j':
			if (parse_long(optarg, 1, 64, &opts->jobs) != 0) {
				fprintf(stderr, "lading: vsphere: --jobs: expected 1 to 64, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (parse_long(optarg, 1, 86400, &opts->timeout_s) != 0) {
				fprintf(stderr, "lading: vsphere: --timeout: expected seconds (1 to 86400), got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'J':
			opts->json = 1;
			break;
		case 'v':
			opts->verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (opts->site_file == NULL || optind != argc) {
		fprintf(stderr, "lading: vsphere: %s\n",
			opts->site_file == NULL ? "-s site.yaml is required" : "unexpected argument");
		return 2;
	}
	return -1;
}

static char *default_inventory(const char *site_file)
{
	const char *slash = strrchr(site_file, '/');

	if (slash == NULL)
		return xstrdup("vsphere-inventory.yml");
	return xasprintf("%.*s/vsphere-inventory.yml", (int)(slash - site_file), site_file);
}

int cmd_vsphere(int argc, char **argv)
{
	struct options opts = {NULL, NULL, 0, 0, 0, 0};
	struct vs_run run;
	struct logger lg;
	struct lerr err;
	const char *password;
	char *inventory = NULL;
	int verb, status;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "create") == 0)
		verb = VS_VERB_CREATE;
	else if (strcmp(argv[1], "destroy") == 0)
		verb = VS_VERB_DESTROY;
	else if (strcmp(argv[1], "list") == 0)
		verb = VS_VERB_LIST;
	else {
		fprintf(stderr, "lading: vsphere: unknown verb '%s' (create, destroy, list)\n", argv[1]);
		return 2;
	}
	if ((status = parse_options(argc - 1, argv + 1, &opts)) >= 0)
		return status;
	log_init(&lg);
	lg.json = opts.json;
	lg.level += opts.verbose;
	password = getenv("LADING_VSPHERE_PASSWORD");
	if (password == NULL || password[0] == '\0') {
		fprintf(stderr, "lading: vsphere: set $LADING_VSPHERE_PASSWORD to the vCenter password\n");
		return 2;
	}
	memset(&run, 0, sizeof(run));
	run.verb = verb;
	run.jobs = opts.jobs;
	run.timeout_s = opts.timeout_s;
	run.lg = &lg;
	run.report = print_result;
	if (vs_site_load(opts.site_file, &run.site, &err) != 0) {
		fprintf(stderr, "lading: vsphere: %s\n", err.msg);
		return 2;
	}
	run.password = xstrdup(password);
	if (vs_run(&run, &err) != 0) {
		fprintf(stderr, "lading: vsphere: %s\n", err.msg);
		status = lerr_exit_code(&err);
		goto out;
	}
	status = run.failures > 0 ? 1 : 0;
	if (verb == VS_VERB_CREATE) {
		inventory =
		    opts.inventory_out != NULL ? xstrdup(opts.inventory_out) : default_inventory(opts.site_file);
		if (vs_run_write_inventory(&run, inventory, &err) != 0) {
			fprintf(stderr, "lading: vsphere: %s\n", err.msg);
			status = 1;
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
