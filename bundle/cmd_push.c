/* lading bundle push: options and output; the work is in bundle/push.c. */
#define _GNU_SOURCE
#include "bundle/cmd_push.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/cmd_bundle_sig.h"
#include "bundle/push.h"
#include "lib/hostcfg.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

static const char usage_text[] =
    "usage: lading bundle push FILE --registry HOST[:PORT] [options]\n"
    "  --registry HOST[:PORT]      the registry to push into (required)\n"
    "  --pubkey FILE               trust this minisign public key (repeatable; default: every *.pub\n"
    "                              in $LADING_TRUST_DIR or /etc/lading/trust.d)\n"
    "  --insecure-skip-signature   push an unsigned or untrusted bundle (digests are still checked)\n"
    "  --prefix P                  put every repository under P/ (Harbor project)\n"
    "  --keep-host                 keep the source host as the first path element\n"
    "  --dry-run                   verify the bundle and print the name mapping; send nothing\n"
    "  --jobs N                    parallel uploads (default 4)\n"
    "  --plain-http                http:// instead of https:// for the registry\n"
    "  --ca-file FILE              trust this CA (PEM) for the registry\n"
    "  --insecure-skip-tls-verify  do not verify the registry's certificate\n"
    "  --registry-config FILE      YAML file with a `registries:` list (plain_http, ca_file, ...)\n"
    "  --files-dir DIR             copy the bundle's files/ into DIR\n"
    "  --providers-dir DIR         copy the bundle's providers/ mirror into DIR\n"
    "  --chunk-size BYTES          blobs above it go up in PATCH chunks (k/m suffix, default 16m)\n"
    "  --limit-rate BYTES          cap each upload at BYTES per second (k/m suffix)\n"
    "  --json                      one JSON object with the summary on stdout\n"
    "  -v                          more messages (repeat for more)\n"
    "  -h, --help                  this help\n";

struct push_args {
	struct bundle_push_opts opts;
	struct logger lg;
	struct bundle_sig_opts sig;
	const char *registry_config;
	const char *ca_file;
	int plain_http;
	int insecure;
	int json;
};

static int parse_bytes(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long value = strtoull(text, &end, 10);

	if (end == text || text[0] == '-')
		return -1;
	if (*end == 'k' || *end == 'K')
		value <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		value <<= 20, end++;
	if (*end != '\0')
		return -1;
	*out = value;
	return 0;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "lading: bundle push: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'lading bundle push --help')\n");
	return 2;
}

/* Returns 0, 1 after --help, or 2 after printing a usage error. */
static int parse_args(int argc, char **argv, struct push_args *a)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"json", no_argument, NULL, 'J'},
	    {"registry", required_argument, NULL, 'R'},
	    {"prefix", required_argument, NULL, 'P'},
	    {"keep-host", no_argument, NULL, 'K'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"plain-http", no_argument, NULL, 'H'},
	    {"ca-file", required_argument, NULL, 'C'},
	    {"insecure-skip-tls-verify", no_argument, NULL, 'I'},
	    {"registry-config", required_argument, NULL, 'r'},
	    {"files-dir", required_argument, NULL, 'F'},
	    {"providers-dir", required_argument, NULL, 'D'},
	    {"chunk-size", required_argument, NULL, 'c'},
	    {"limit-rate", required_argument, NULL, 'L'},
	    {"pubkey", required_argument, NULL, 'p'},
	    {"insecure-skip-signature", no_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "hvj:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case 'v':
			a->lg.level = a->lg.level < LOG_VERBOSE ? LOG_VERBOSE : LOG_DEBUG;
			break;
		case 'J':
			a->json = a->lg.json = 1;
			break;
		case 'R':
			a->opts.registry = optarg;
			break;
		case 'P':
			a->opts.naming.prefix = optarg;
			break;
		case 'K':
			a->opts.naming.keep_host = 1;
			break;
		case 'n':
			a->opts.dry_run = 1;
			break;
		case 'j':
			a->opts.jobs = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || a->opts.jobs < 1 || a->opts.jobs > 64)
				return usage_error("--jobs must be a number from 1 to 64, got '%s'", optarg);
			break;
		case 'H':
			a->plain_http = 1;
			break;
		case 'C':
			a->ca_file = optarg;
			break;
		case 'I':
			a->insecure = 1;
			break;
		case 'r':
			a->registry_config = optarg;
			break;
		case 'F':
			a->opts.files_dir = optarg;
			break;
		case 'D':
			a->opts.providers_dir = optarg;
			break;
		case 'c':
			if (parse_bytes(optarg, &a->opts.chunk_size) != 0 || a->opts.chunk_size == 0)
				return usage_error("--chunk-size wants bytes (k/m suffix), got '%s'", optarg);
			break;
		case 'L':
			if (parse_bytes(optarg, &a->opts.max_speed) != 0)
				return usage_error("--limit-rate wants bytes per second (k/m suffix), got '%s'",
						   optarg);
			break;
		case 'p':
			if (bundle_sig_opts_add_pubkey(&a->sig, optarg) != 0)
				return 2;
			break;
		case 's':
			a->sig.insecure = 1;
			break;
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("expected one bundle file%s", "");
	if (a->opts.registry == NULL || a->opts.registry[0] == '\0' || strchr(a->opts.registry, '/') != NULL)
		return usage_error("--registry HOST[:PORT] is required%s", "");
	return 0;
}

/* The --registry-config file, with the TLS flags as the first entry for --registry. */
static int build_registries(const struct push_args *a, struct host_set *set, struct lerr *err)
{
	struct host_set loaded = {0};
	size_t i;

	if (a->registry_config != NULL && host_set_load(a->registry_config, &loaded, err) != 0)
		return -1;
	set->items = xcalloc(loaded.count + 2, sizeof(*set->items));
	if (a->plain_http || a->ca_file != NULL || a->insecure) {
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
		printf("%zu files/ and providers/ entries not copied (give --files-dir and --providers-dir)\n",
		       res->files_skipped);
}

static void print_json(const struct push_args *a, const struct bundle_push_result *res)
{
	json_t *root = json_object();
	json_t *images = json_array();
	char *text;
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
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(root);
}

int bundle_cmd_push(int argc, char **argv)
{
	struct push_args a;
	struct host_set registries = {0};
	struct bundle_push_result res;
	struct bundle_sig_run run;
	struct lerr err;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	memset(&run, 0, sizeof(run));
	log_init(&a.lg);
	a.opts.lg = &a.lg;
	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc == 1 ? 0 : rc;
	lerr_clear(&err);
	if (naming_prefix_check(a.opts.naming.prefix, &err) != 0 || build_registries(&a, &registries, &err) != 0) {
		fprintf(stderr, "lading: %s\n", err.msg);
		return 2;
	}
	a.opts.registries = &registries;
	/* The signature is checked by the reader's head hook, before any entry data and any request. */
	if (bundle_sig_run_begin(&run, &a.sig, argv[optind], &err) != 0) {
		fprintf(stderr, "lading: %s\n", err.msg);
		rc = 1;
		goto out;
	}
	a.opts.head = bundle_sig_check_head;
	a.opts.head_ctx = &run.check;
	if (bundle_push(argv[optind], &a.opts, &res, &err) != 0) {
		fprintf(stderr, "lading: %s\n", err.msg);
		rc = err.code == LADING_ERR_USAGE ? 2 : 1;
		goto out;
	}
	bundle_sig_run_report(&run, a.json ? stderr : stdout);
	if (a.json)
		print_json(&a, &res);
	else
		print_text(&a, &res);
out:
	bundle_sig_run_end(&run);
	bundle_push_result_free(&res);
	host_set_free(&registries);
	return rc;
}
