#include "images/cmd_image.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/fetch.h"
#include "images/push.h"
#include "images/store.h"
#include "lib/cli.h"
#include "lib/grow.h"
#include "lib/hostcfg.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

enum {
	OPT_STORE = 1,
	OPT_PLATFORM,
	OPT_REGISTRY_CONFIG,
	OPT_AUTH_FILE,
	OPT_JOBS,
	OPT_LIMIT_RATE,
	OPT_CHUNK_SIZE,
};

static const struct cli_option pull_options[] = {
    {"store", 's', "DIR", OPT_STORE, "store directory (default $LADING_CACHE or ~/.cache/lading)"},
    {"platform", 'p', "OS/ARCH[/V]", OPT_PLATFORM,
     "platform to fetch, or all; repeatable or comma list (default linux/amd64)"},
    {"registry-config", 'r', "FILE", OPT_REGISTRY_CONFIG,
     "YAML file with a `registries:` list (plain_http, ca_file, ...)"},
    {"auth-file", 'a', "FILE", OPT_AUTH_FILE, "docker config.json with credentials"},
    {"jobs", 'j', "N", OPT_JOBS, "parallel blob downloads, 1-64 (default 4)"},
    {"limit-rate", 0, "BYTES", OPT_LIMIT_RATE, "cap each download at BYTES per second (k/m suffix)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option push_options[] = {
    {"store", 's', "DIR", OPT_STORE, "store directory (default $LADING_CACHE or ~/.cache/lading)"},
    {"registry-config", 'r', "FILE", OPT_REGISTRY_CONFIG,
     "YAML file with a `registries:` list (plain_http, ca_file, ...)"},
    {"auth-file", 'a', "FILE", OPT_AUTH_FILE, "docker config.json with credentials"},
    {"jobs", 'j', "N", OPT_JOBS, "parallel blob uploads, 1-64 (default 4)"},
    {"chunk-size", 0, "BYTES", OPT_CHUNK_SIZE, "upload blobs above BYTES in chunks of BYTES (k/m suffix; default 16m)"},
    {"limit-rate", 0, "BYTES", OPT_LIMIT_RATE, "cap each upload at BYTES per second (k/m suffix)"},
    {NULL, 0, NULL, 0, NULL},
};

struct pull_args {
	const char *store;
	char *store_default;
	const char *registry_config;
	const char *auth_file;
	char **platforms;
	size_t platform_count;
	int jobs;
	uint64_t limit_rate;
	uint64_t chunk_size;
	int push;	   /* parsing for `push` (else `pull`) */
	const char **refs; /* the operands (into argv; the array is ours) */
	size_t ref_count;
	struct logger lg;
};

static void add_platforms(struct pull_args *a, const char *list)
{
	char *copy = xstrdup(list);
	char *save = NULL;
	char *item;

	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		a->platforms = grow_array(a->platforms, a->platform_count, sizeof(*a->platforms));
		a->platforms[a->platform_count++] = xstrdup(item);
	}
	free(copy);
}

/* Fills a and the operands; returns -1 to go on, else the exit status to return (help or usage error). */
static int parse_args(int argc, char **argv, struct pull_args *a)
{
	struct cli cli;
	long jobs = 4;
	int opt, bad = 0;

	if (a->push)
		cli_init(&cli, "lading image push", "[options] DEST[:TAG]@sha256:DIGEST...", push_options,
			 CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	else
		cli_init(&cli, "lading image pull", "[options] REF...", pull_options,
			 CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	cli.summary = a->push ? "Push images from a content-addressed store to registries: the manifest or index\n"
				"DIGEST (and everything it names) goes to repository DEST, tagged TAG when given."
			      : "Fetch images into a content-addressed store (STORE/blobs/sha256/<hex>).";
	while (!bad && (opt = cli_next(&cli)) > 0) {
		switch (opt) {
		case OPT_STORE:
			a->store = cli.arg;
			break;
		case OPT_PLATFORM:
			add_platforms(a, cli.arg);
			break;
		case OPT_REGISTRY_CONFIG:
			a->registry_config = cli.arg;
			break;
		case OPT_AUTH_FILE:
			a->auth_file = cli.arg;
			break;
		case OPT_JOBS:
			bad = cli_int(&cli, 1, 64, &jobs);
			break;
		case OPT_LIMIT_RATE:
			bad = cli_bytes(&cli, &a->limit_rate);
			break;
		case OPT_CHUNK_SIZE:
			bad = cli_bytes(&cli, &a->chunk_size) != 0 ||
			      (a->chunk_size == 0 && cli_usage_error(&cli, "--chunk-size must be above 0") != 0);
			break;
		}
	}
	if (bad) {
		cli_free(&cli);
		return 2;
	}
	if (opt < 0 || cli.help) {
		opt = cli_finish(&cli);
		cli_free(&cli);
		return opt;
	}
	if (cli_operands(&cli, 1, -1, "at least one image reference") != 0) {
		cli_free(&cli);
		return 2;
	}
	a->jobs = (int)jobs;
	cli_logger(&cli, &a->lg);
	a->refs = (const char **)cli.operands;
	a->ref_count = cli.operand_count;
	cli.operands = NULL; /* now a's */
	cli_free(&cli);
	if (a->store == NULL)
		a->store = a->store_default = store_default_dir();
	return -1;
}

static void print_result(const struct image_result *res, int json)
{
	char size[32];
	size_t i;

	if (json) {
		json_t *obj = json_object(), *platforms = json_array(), *blobs = json_array();
		char *text;

		for (i = 0; i < res->platform_count; i++)
			json_array_append_new(platforms, json_string(res->platforms[i]));
		for (i = 0; i < res->blob_count; i++)
			json_array_append_new(blobs, json_string(res->blobs[i]));
		json_object_set_new(obj, "ref", json_string(res->ref));
		json_object_set_new(obj, "digest", json_string(res->digest));
		json_object_set_new(obj, "media_type", json_string(res->media_type));
		json_object_set_new(obj, "size", json_integer((json_int_t)res->size));
		json_object_set_new(obj, "resolved_digest", json_string(res->resolved_digest));
		json_object_set_new(obj, "source_index_digest",
				    res->source_index_digest ? json_string(res->source_index_digest) : json_null());
		json_object_set_new(obj, "platforms", platforms);
		json_object_set_new(obj, "blobs", blobs);
		json_object_set_new(obj, "total_size", json_integer((json_int_t)res->total_size));
		text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(text);
		free(text);
		json_decref(obj);
		return;
	}
	log_format_bytes(res->total_size, size, sizeof(size));
	printf("%s\t%s\t", res->ref, res->digest);
	for (i = 0; i < res->platform_count; i++)
		printf("%s%s", i ? "," : "", res->platforms[i]);
	printf("\t%s\n", size);
}

static int cmd_image_pull(int argc, char **argv)
{
	struct pull_args a = {0};
	struct host_set registries = {0};
	struct image_fetch_opts opts = {0};
	struct image_request *reqs = NULL;
	struct image_result *results = NULL;
	struct lerr err;
	size_t i, count;
	int status;

	if ((status = parse_args(argc, argv, &a)) >= 0)
		goto out;
	status = 1;
	lerr_clear(&err);
	if (a.registry_config != NULL && host_set_load(a.registry_config, &registries, &err) != 0)
		goto fail;
	count = a.ref_count;
	reqs = xcalloc(count, sizeof(*reqs));
	for (i = 0; i < count; i++) {
		reqs[i].ref = a.refs[i];
		reqs[i].platforms = (const char *const *)a.platforms;
		reqs[i].platform_count = a.platform_count;
	}
	opts.store_dir = a.store;
	opts.registries = &registries;
	opts.auth_file = a.auth_file;
	opts.jobs = a.jobs;
	opts.lg = &a.lg;
	opts.max_recv_speed = a.limit_rate;
	if (images_fetch(&opts, reqs, count, &results, &err) != 0)
		goto fail;
	for (i = 0; i < count; i++)
		print_result(&results[i], a.lg.json);
	image_results_free(results, count);
	status = 0;
	goto out;
fail:
	status = cli_fail(&err);
out:
	free(a.refs);
	host_set_free(&registries);
	for (i = 0; i < a.platform_count; i++)
		free(a.platforms[i]);
	free(a.platforms);
	free(a.store_default);
	free(reqs);
	return status;
}

static void print_push_stats(const struct image_push_stats *st, double seconds, int json)
{
	char bytes[32];

	if (json) {
		printf("{\"images\":%zu,\"manifests_sent\":%zu,\"manifests_present\":%zu,\"blobs_sent\":%zu,"
		       "\"blobs_present\":%zu,\"blobs_mounted\":%zu,\"bytes_sent\":%llu,\"seconds\":%.3f}\n",
		       st->images, st->manifests_sent, st->manifests_present, st->blobs_sent, st->blobs_present,
		       st->blobs_mounted, (unsigned long long)st->bytes_sent, seconds);
		return;
	}
	log_format_bytes(st->bytes_sent, bytes, sizeof(bytes));
	printf("pushed %zu image%s: %zu blob%s sent (%s), %zu already present, %zu mounted; %zu manifest%s sent, "
	       "%zu already present; %.1fs\n",
	       st->images, st->images == 1 ? "" : "s", st->blobs_sent, st->blobs_sent == 1 ? "" : "s", bytes,
	       st->blobs_present, st->blobs_mounted, st->manifests_sent, st->manifests_sent == 1 ? "" : "s",
	       st->manifests_present, seconds);
}

/* DEST[:TAG]@sha256:DIGEST into a push request; the digest points into text. */
static int push_request(const char *text, struct image_push_request *req, struct lerr *err)
{
	const char *at = strchr(text, '@');

	req->dest_ref = text;
	req->digest = at ? at + 1 : NULL;
	if (req->digest == NULL || !digest_is_sha256(req->digest))
		return lerr_set(err, LADING_ERR_USAGE, "'%s': want DEST[:TAG]@sha256:DIGEST (the image in the store)",
				text);
	return 0;
}

static int cmd_image_push(int argc, char **argv)
{
	struct pull_args a = {0};
	struct host_set registries = {0};
	struct image_push_opts opts = {0};
	struct image_push_request *reqs = NULL;
	struct image_push_stats stats;
	struct lerr err;
	double started = log_now();
	size_t i, count;
	int status;

	a.push = 1;
	if ((status = parse_args(argc, argv, &a)) >= 0)
		goto out;
	lerr_clear(&err);
	count = a.ref_count;
	reqs = xcalloc(count, sizeof(*reqs));
	for (i = 0; i < count; i++)
		if (push_request(a.refs[i], &reqs[i], &err) != 0)
			goto fail;
	if (a.registry_config != NULL && host_set_load(a.registry_config, &registries, &err) != 0)
		goto fail;
	opts.store_dir = a.store;
	opts.registries = &registries;
	opts.auth_file = a.auth_file;
	opts.jobs = a.jobs;
	opts.chunk_size = a.chunk_size;
	opts.max_speed = a.limit_rate;
	opts.lg = &a.lg;
	if (images_push(&opts, reqs, count, &stats, &err) != 0)
		goto fail;
	print_push_stats(&stats, log_now() - started, a.lg.json);
	status = 0;
	goto out;
fail:
	status = cli_fail(&err);
out:
	free(a.refs);
	host_set_free(&registries);
	free(a.store_default);
	free(reqs);
	return status;
}

static const struct cli_verb verbs[] = {
    {"pull", cmd_image_pull, "fetch images from registries into a local store"},
    {"push", cmd_image_push, "put images from a local store into a registry"},
    {NULL, NULL, NULL},
};

int cmd_image(int argc, char **argv)
{
	return cli_dispatch("lading image", verbs, argc, argv);
}
