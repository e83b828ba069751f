/* lading bundle push: options and output; the work is in bundle/push.c. */
#include "bundle/cmd_push.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/cmd_bundle_sig.h"
#include "bundle/push.h"
#include "bundle/push_git.h"
#include "bundle/sources_git.h"
#include "lib/cli.h"
#include "lib/hostcfg.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

enum {
	OPT_REGISTRY = 1,
	OPT_PREFIX,
	OPT_KEEP_HOST,
	OPT_DRY_RUN,
	OPT_JOBS,
	OPT_PLAIN_HTTP,
	OPT_CA_FILE,
	OPT_INSECURE_TLS,
	OPT_REGISTRY_CONFIG,
	OPT_FILES_DIR,
	OPT_PROVIDERS_DIR,
	OPT_APT_DIR,
	OPT_CHUNK_SIZE,
	OPT_LIMIT_RATE,
	OPT_PUBKEY,
	OPT_INSECURE_SIG,
	OPT_ALLOW_EXPIRED,
	OPT_ALLOW_DOWNGRADE,
	OPT_BASE,
	OPT_GIT_URL,
};

static const struct cli_option push_options[] = {
    {"registry", 0, "HOST[:PORT]", OPT_REGISTRY, "the registry to push into (required)"},
    {"pubkey", 0, "FILE", OPT_PUBKEY,
     "trust this minisign public key (repeatable; default: every *.pub in $LADING_TRUST_DIR or /etc/lading/trust.d)"},
    {"insecure-skip-signature", 0, NULL, OPT_INSECURE_SIG,
     "push an unsigned or untrusted bundle (digests are still checked)"},
    {"allow-expired", 0, NULL, OPT_ALLOW_EXPIRED, BUNDLE_SIG_ALLOW_EXPIRED_HELP},
    {"allow-downgrade", 0, NULL, OPT_ALLOW_DOWNGRADE, BUNDLE_SIG_ALLOW_DOWNGRADE_HELP},
    {"prefix", 0, "P", OPT_PREFIX, "put every repository under P/ (Harbor project)"},
    {"keep-host", 0, NULL, OPT_KEEP_HOST, "keep the source host as the first path element"},
    {"dry-run", 0, NULL, OPT_DRY_RUN, "verify the bundle and print the name mapping; send nothing"},
    {"jobs", 'j', "N", OPT_JOBS, "parallel uploads, 1-64 (default 4)"},
    {"plain-http", 0, NULL, OPT_PLAIN_HTTP, "http:// instead of https:// for the registry"},
    {"ca-file", 0, "FILE", OPT_CA_FILE, "trust this CA (PEM) for the registry"},
    {"insecure-skip-tls-verify", 0, NULL, OPT_INSECURE_TLS, "do not verify the registry's certificate"},
    {"registry-config", 0, "FILE", OPT_REGISTRY_CONFIG,
     "YAML file with a `registries:` list (plain_http, ca_file, ...)"},
    {"files-dir", 0, "DIR", OPT_FILES_DIR, "copy the bundle's files/ into DIR"},
    {"providers-dir", 0, "DIR", OPT_PROVIDERS_DIR, "copy the bundle's providers/ mirror into DIR"},
    {"apt-dir", 0, "DIR", OPT_APT_DIR, "copy the bundle's apt/NAME/ repositories into DIR/NAME/ (serve DIR as /apt/)"},
    {"chunk-size", 0, "BYTES", OPT_CHUNK_SIZE, "blobs above it go up in PATCH chunks (k/m suffix, default 16m)"},
    {"limit-rate", 0, "BYTES", OPT_LIMIT_RATE, "cap each upload at BYTES per second (k/m suffix)"},
    {"base", 0, "OLD", OPT_BASE,
     "a delta's base bundle, pushed with it; without it the registry must already hold the base"},
    {"git-url", 0, "URL", OPT_GIT_URL,
     "push each carried git repository to URL/NAME.git (credentials: $LADING_GIT_USERNAME, $LADING_GIT_PASSWORD)"},
    {NULL, 0, NULL, 0, NULL},
};

struct push_args {
	struct bundle_push_opts opts;
	struct logger lg;
	struct bundle_sig_opts sig;
	const char *registry_config;
	const char *ca_file;
	int plain_http;
	int insecure;
	const char *file;    /* the bundle */
	const char *git_url; /* --git-url */
};

/* One option into a; returns -1 after printing a usage error. */
static int parse_option(struct cli *cli, int opt, struct push_args *a)
{
	long jobs;

	switch (opt) {
	case OPT_REGISTRY:
		a->opts.registry = cli->arg;
		break;
	case OPT_PREFIX:
		a->opts.naming.prefix = cli->arg;
		break;
	case OPT_KEEP_HOST:
		a->opts.naming.keep_host = 1;
		break;
	case OPT_DRY_RUN:
		a->opts.dry_run = 1;
		break;
	case OPT_BASE:
		a->opts.base = cli->arg;
		break;
	case OPT_GIT_URL:
		a->git_url = cli->arg;
		break;
	case OPT_JOBS:
		if (cli_int(cli, 1, 64, &jobs) != 0)
			return -1;
		a->opts.jobs = (int)jobs;
		break;
	case OPT_PLAIN_HTTP:
		a->plain_http = 1;
		break;
	case OPT_CA_FILE:
		a->ca_file = cli->arg;
		break;
	case OPT_INSECURE_TLS:
		a->insecure = 1;
		break;
	case OPT_REGISTRY_CONFIG:
		a->registry_config = cli->arg;
		break;
	case OPT_FILES_DIR:
		a->opts.files_dir = cli->arg;
		break;
	case OPT_PROVIDERS_DIR:
		a->opts.providers_dir = cli->arg;
		break;
	case OPT_APT_DIR:
		a->opts.apt_dir = cli->arg;
		break;
	case OPT_CHUNK_SIZE:
		if (cli_bytes(cli, &a->opts.chunk_size) != 0)
			return -1;
		if (a->opts.chunk_size == 0) {
			cli_usage_error(cli, "--chunk-size must be above 0");
			return -1;
		}
		break;
	case OPT_LIMIT_RATE:
		return cli_bytes(cli, &a->opts.max_speed);
	case OPT_PUBKEY:
		if (bundle_sig_opts_add_pubkey(&a->sig, (char *)cli->arg) != 0) {
			cli_usage_error(cli, "at most %d --pubkey options", BUNDLE_PUBKEYS_MAX);
			return -1;
		}
		break;
	case OPT_INSECURE_SIG:
		a->sig.insecure = 1;
		break;
	case OPT_ALLOW_EXPIRED:
		a->sig.allow_expired = 1;
		break;
	case OPT_ALLOW_DOWNGRADE:
		a->sig.allow_downgrade = 1;
		break;
	}
	return 0;
}

/* Returns -1 to go on (a->file set), or the exit status to return now (0 after --help, 2 after a usage error). */
static int parse_args(int argc, char **argv, struct push_args *a)
{
	struct cli cli;
	int opt, status = 2;

	cli_init(&cli, "lading bundle push", "[options] --registry HOST[:PORT] FILE", push_options,
		 CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	while ((opt = cli_next(&cli)) > 0)
		if (parse_option(&cli, opt, a) != 0)
			goto out;
	if (opt < 0 || cli.help) {
		status = cli_finish(&cli);
		goto out;
	}
	if (cli_operands(&cli, 1, 1, "one bundle file") != 0)
		goto out;
	/* A bundle of packages or files alone is pushed into directories: no registry needed (checked against the
	 * bundle). */
	if (a->opts.registry == NULL && a->opts.files_dir == NULL && a->opts.providers_dir == NULL &&
	    a->opts.apt_dir == NULL && a->git_url == NULL) {
		cli_usage_error(&cli, "--registry HOST[:PORT] is required (or --apt-dir, --files-dir, --providers-dir, "
				      "--git-url alone)");
		goto out;
	}
	if (a->git_url != NULL && git_url_check(a->git_url, NULL) != 0) {
		cli_usage_error(&cli, "--git-url takes an https://, http:// or file:// URL");
		goto out;
	}
	if (a->opts.registry != NULL && (a->opts.registry[0] == '\0' || strchr(a->opts.registry, '/') != NULL)) {
		cli_usage_error(&cli, "--registry takes HOST[:PORT]");
		goto out;
	}
	a->file = cli.operands[0];
	cli_logger(&cli, &a->lg);
	status = -1;
out:
	cli_free(&cli);
	return status;
}

/* The --registry-config file, with the TLS flags as the first entry for --registry. */
static int build_registries(const struct push_args *a, struct host_set *set, struct lerr *err)
{
	struct host_set loaded = {0};
	size_t i;

	if (a->registry_config != NULL && host_set_load(a->registry_config, &loaded, err) != 0)
		return -1;
	set->items = xcalloc(loaded.count + 2, sizeof(*set->items));
	if (a->opts.registry != NULL && (a->plain_http || a->ca_file != NULL || a->insecure)) {
		struct host_config *flags = &set->items[set->count++];

		flags->host = xstrdup(a->opts.registry);
		flags->plain_http = a->plain_http;
		flags->ca_file = a->ca_file != NULL ? xstrdup(a->ca_file) : NULL;
		flags->insecure_skip_verify = a->insecure;
	}
	for (i = 0; i < loaded.count; i++)
		set->items[set->count++] = loaded.items[i];
	free(loaded.items);
	return 0;
}

static void print_text(const struct push_args *a, const struct bundle_push_result *res)
{
	char sent[32];
	size_t i;

	if (a->opts.dry_run) {
		for (i = 0; i < res->target_count; i++)
			printf("%s -> %s\n", res->targets[i].source, res->targets[i].target);
		return;
	}
	log_format_bytes(res->bytes_sent, sent, sizeof(sent));
	printf("%zu images pushed, %zu already present; %zu blobs sent (%s), %zu already present, %zu mounted; "
	       "%zu files copied; %.1f s\n",
	       res->images_pushed, res->images_present, res->blobs_sent, sent, res->blobs_present, res->blobs_mounted,
	       res->files_copied, res->seconds);
	if (res->files_skipped > 0)
		printf("%zu files/, providers/ and apt/ entries not copied (give --files-dir, --providers-dir, "
		       "--apt-dir)\n",
		       res->files_skipped);
}

static void print_json(const struct push_args *a, const struct bundle_push_result *res)
{
	json_t *root = json_object();
	json_t *images = json_array();
	size_t i;

	for (i = 0; i < res->target_count; i++)
		json_array_append_new(images, json_pack("{s:s, s:s, s:s, s:b}", "source", res->targets[i].source,
							"target", res->targets[i].target, "digest",
							res->targets[i].digest, "present", res->targets[i].present));
	json_object_set_new(root, "images", images);
	json_object_set_new(root, "dry_run", json_boolean(a->opts.dry_run));
	json_object_set_new(root, "images_pushed", json_integer((json_int_t)res->images_pushed));
	json_object_set_new(root, "images_present", json_integer((json_int_t)res->images_present));
	json_object_set_new(root, "blobs_sent", json_integer((json_int_t)res->blobs_sent));
	json_object_set_new(root, "blobs_present", json_integer((json_int_t)res->blobs_present));
	json_object_set_new(root, "blobs_mounted", json_integer((json_int_t)res->blobs_mounted));
	json_object_set_new(root, "manifests_sent", json_integer((json_int_t)res->manifests_sent));
	json_object_set_new(root, "bytes_sent", json_integer((json_int_t)res->bytes_sent));
	json_object_set_new(root, "stage_peak_bytes", json_integer((json_int_t)res->stage_peak));
	json_object_set_new(root, "largest_blob_bytes", json_integer((json_int_t)res->largest_blob));
	json_object_set_new(root, "files_copied", json_integer((json_int_t)res->files_copied));
	json_object_set_new(root, "files_skipped", json_integer((json_int_t)res->files_skipped));
	json_object_set_new(root, "seconds", json_real(res->seconds));
	cli_print_json(root);
}

/* --git-url: the carried repositories, after the rest of the push (bundle/push_git.c). */
static int push_git(const struct push_args *a, struct bundle_sig_run *run, struct git_push_result *res,
		    struct lerr *err)
{
	struct git_push_opts opts = {a->git_url,
				     a->ca_file,
				     a->insecure,
				     getenv("LADING_GIT_USERNAME"),
				     getenv("LADING_GIT_PASSWORD"),
				     NULL,
				     a->opts.dry_run,
				     bundle_sig_check_head,
				     &run->check,
				     &a->lg};

	return git_push_bundle(a->file, &opts, res, err);
}

static void print_git(const struct push_args *a, const struct git_push_result *res)
{
	json_t *targets;
	size_t i;

	if (a->lg.json) {
		targets = json_array();
		for (i = 0; i < res->target_count; i++)
			json_array_append_new(targets, json_pack("{s:s, s:s, s:I}", "name", res->targets[i].name,
								 "target", res->targets[i].target, "refs",
								 (json_int_t)res->targets[i].ref_count));
		cli_print_json(json_pack("{s:s, s:o, s:b, s:I, s:I, s:I}", "git_url", a->git_url, "git", targets,
					 "dry_run", a->opts.dry_run, "git_repositories", (json_int_t)res->repositories,
					 "git_refs_updated", (json_int_t)res->refs_updated, "git_refs_current",
					 (json_int_t)res->refs_current));
		return;
	}
	if (a->opts.dry_run) {
		for (i = 0; i < res->target_count; i++)
			printf("git/%s.bundle -> %s (%zu refs)\n", res->targets[i].name, res->targets[i].target,
			       res->targets[i].ref_count);
		return;
	}
	printf("%zu git repositor%s pushed to %s: %zu refs updated, %zu already there\n", res->repositories,
	       res->repositories == 1 ? "y" : "ies", a->git_url, res->refs_updated, res->refs_current);
}

int bundle_cmd_push(int argc, char **argv)
{
	struct push_args a;
	struct host_set registries = {0};
	struct bundle_push_result res;
	struct git_push_result git_res;
	struct bundle_sig_run run;
	struct lerr err;
	int rc, rest;

	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	memset(&git_res, 0, sizeof(git_res));
	memset(&run, 0, sizeof(run));
	a.opts.lg = &a.lg;
	if ((rc = parse_args(argc, argv, &a)) >= 0)
		return rc;
	rc = 0;
	lerr_clear(&err);
	if (naming_prefix_check(a.opts.naming.prefix, &err) != 0 || build_registries(&a, &registries, &err) != 0) {
		lerr_input(&err); /* a bad --prefix or --registry-config */
		return cli_fail(&err);
	}
	a.opts.registries = &registries;
	/* The signature is checked by the reader's head hook, before any entry data and any request. */
	if (bundle_sig_run_begin(&run, &a.sig, a.file, &err) != 0) {
		rc = cli_fail(&err);
		goto out;
	}
	a.opts.head = bundle_sig_check_head;
	a.opts.head_ctx = &run.check;
	/* --git-url alone reads the bundle once, in push_git. */
	rest = a.opts.registry != NULL || a.opts.files_dir != NULL || a.opts.providers_dir != NULL ||
	       a.opts.apt_dir != NULL;
	if ((rest && bundle_push(a.file, &a.opts, &res, &err) != 0) ||
	    (a.git_url != NULL && push_git(&a, &run, &git_res, &err) != 0)) {
		rc = cli_fail(&err);
		goto out;
	}
	if (!a.opts.dry_run)
		bundle_sig_run_accept(&run, &a.lg);
	bundle_sig_run_report(&run, a.lg.json ? stderr : stdout);
	if (rest && a.lg.json)
		print_json(&a, &res);
	else if (rest)
		print_text(&a, &res);
	if (a.git_url != NULL)
		print_git(&a, &git_res);
out:
	bundle_sig_run_end(&run);
	bundle_push_result_free(&res);
	git_push_result_free(&git_res);
	host_set_free(&registries);
	return rc;
}
