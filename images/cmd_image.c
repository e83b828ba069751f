#define _GNU_SOURCE /* getopt_long */
#include "images/cmd_image.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/fetch.h"
#include "images/push.h"
#include "lib/hostcfg.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

static const char pull_usage[] =
    "usage: lading image pull [options] REF...\n"
    "\n"
    "Fetch images into a content-addressed store (STORE/blobs/sha256/<hex>).\n"
    "\n"
    "  -s, --store DIR            store directory (default $LADING_CACHE or ~/.cache/lading)\n"
    "  -p, --platform OS/ARCH[/V] platform to fetch; repeatable or comma list (default linux/amd64)\n"
    "  -r, --registry-config FILE YAML file with a `registries:` list (plain_http, ca_file, ...)\n"
    "  -a, --auth-file FILE       docker config.json with credentials\n"
    "  -j, --jobs N               parallel blob downloads (default 4)\n"
    "      --limit-rate BYTES     cap each download at BYTES per second (k/m suffix)\n"
    "      --json                 one JSON object per image on stdout\n"
    "  -v, --verbose              more messages (-vv: every HTTP request)\n"
    "  -q, --quiet                errors only\n"
    "  -h, --help                 this help\n";

static const char push_usage[] =
    "usage: lading image push [options] DEST[:TAG]@sha256:DIGEST...\n"
    "\n"
    "Push images from a content-addressed store to registries: the manifest or index\n"
    "DIGEST (and everything it names) goes to repository DEST, tagged TAG when given.\n"
    "\n"
    "  -s, --store DIR            store directory (default $LADING_CACHE or ~/.cache/lading)\n"
    "  -r, --registry-config FILE YAML file with a `registries:` list (plain_http, ca_file, ...)\n"
    "  -a, --auth-file FILE       docker config.json with credentials\n"
    "  -j, --jobs N               parallel blob uploads (default 4)\n"
    "      --chunk-size BYTES     upload blobs above BYTES in chunks of BYTES (k/m suffix; default 16m)\n"
    "      --limit-rate BYTES     cap each upload at BYTES per second (k/m suffix)\n"
    "      --json                 the summary as one JSON object on stdout\n"
    "  -v, --verbose              more messages (-vv: every HTTP request)\n"
    "  -q, --quiet                errors only\n"
    "  -h, --help                 this help\n";

static const char image_usage[] = "usage: lading image <verb> [options]\n"
				  "\n"
				  "verbs:\n"
				  "  pull    fetch images from registries into a local store\n"
				  "  push    put images from a local store into a registry\n"
				  "\n"
				  "Run 'lading image <verb> --help' for its options; see lading-image(1).\n";

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
	int push; /* parsing for `push` (else `pull`) */
	struct logger lg;
};

static void add_platforms(struct pull_args *a, const char *list)
{
	char *copy = xstrdup(list);
	char *save = NULL;
	char *item;

	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		a->platforms = xreallocarray(a->platforms, a->platform_count + 1, sizeof(*a->platforms));
		a->platforms[a->platform_count++] = xstrdup(item);
	}
	free(copy);
}

static int parse_size(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long value;

	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno != 0 || end == text)
		return -1;
	if (*end == 'k' || *end == 'K')
		value *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		value *= 1024 * 1024, end++;
	if (*end != '\0')
		return -1;
	*out = value;
	return 0;
}

/* Returns -1 on success-to-continue... 0/2 when the command should exit with that status. */
static int parse_args(int argc, char **argv, struct pull_args *a)
{
	static const struct option longopts[] = {
	    {"store", required_argument, NULL, 's'},
	    {"platform", required_argument, NULL, 'p'},
	    {"registry-config", required_argument, NULL, 'r'},
	    {"auth-file", required_argument, NULL, 'a'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"limit-rate", required_argument, NULL, 'L'},
	    {"chunk-size", required_argument, NULL, 'C'},
	    {"json", no_argument, NULL, 'J'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *verb = a->push ? "push" : "pull";
	const char *usage = a->push ? push_usage : pull_usage;
	int opt;
	char *end;

	log_init(&a->lg);
	a->jobs = 4;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:p:r:a:j:vqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			a->store = optarg;
			break;
		case 'p':
			if (a->push)
				goto bad;
			add_platforms(a, optarg);
			break;
		case 'r':
			a->registry_config = optarg;
			break;
		case 'a':
			a->auth_file = optarg;
			break;
		case 'j':
			a->jobs = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || a->jobs < 1 || a->jobs > 64) {
				fprintf(stderr, "lading: image %s: --jobs wants a number from 1 to 64\n", verb);
				return 2;
			}
			break;
		case 'L':
			if (parse_size(optarg, &a->limit_rate) != 0) {
				fprintf(stderr, "lading: image %s: --limit-rate wants bytes (k/m suffix)\n", verb);
				return 2;
			}
			break;
		case 'C':
			if (!a->push || parse_size(optarg, &a->chunk_size) != 0 || a->chunk_size == 0) {
				fprintf(stderr, "lading: image push: --chunk-size wants bytes (k/m suffix)\n");
				return 2;
			}
			break;
		case 'J':
			a->lg.json = 1;
			break;
		case 'v':
			a->lg.level = a->lg.level < LOG_VERBOSE ? LOG_VERBOSE : a->lg.level + 1;
			break;
		case 'q':
			a->lg.level = LOG_ERROR;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
		bad:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "lading: image %s: give at least one image reference\n", verb);
		return 2;
	}
	if (a->store == NULL) {
		const char *cache = getenv("LADING_CACHE");
		const char *home = getenv("HOME");

		if (cache != NULL && *cache != '\0')
			a->store_default = xstrdup(cache);
		else
			a->store_default = xasprintf("%s/.cache/lading", home ? home : ".");
		a->store = a->store_default;
	}
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
	count = (size_t)(argc - optind);
	reqs = xcalloc(count, sizeof(*reqs));
	for (i = 0; i < count; i++) {
		reqs[i].ref = argv[optind + (int)i];
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
	fprintf(stderr, "lading: %s\n", err.msg);
	status = lerr_exit_code(&err);
out:
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
	count = (size_t)(argc - optind);
	reqs = xcalloc(count, sizeof(*reqs));
	for (i = 0; i < count; i++)
		if (push_request(argv[optind + (int)i], &reqs[i], &err) != 0)
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
	fprintf(stderr, "lading: %s\n", err.msg);
	status = lerr_exit_code(&err);
out:
	host_set_free(&registries);
	free(a.store_default);
	free(reqs);
	return status;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} verbs[] = {
    {"pull", cmd_image_pull},
    {"push", cmd_image_push},
    {NULL, NULL},
};

int cmd_image(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fputs(image_usage, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(image_usage, stdout);
		return 0;
	}
	for (i = 0; verbs[i].name != NULL; i++)
		if (strcmp(verbs[i].name, argv[1]) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "lading: image: unknown verb '%s' (see 'lading image --help')\n", argv[1]);
	return 2;
}
