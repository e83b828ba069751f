/* lading cache prune: the leftovers of dead runs, wherever lading puts them by default. */
#include "bundle/cmd_cache.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/cache.h"
#include "lib/cli.h"
#include "lib/leftover.h"
#include "lib/xmalloc.h"

#define MAX_DIRS 16

enum { OPT_DIR = 1, OPT_TMP_DIR };

static const struct cli_option prune_options[] = {
    {"dir", 'C', "DIR", OPT_DIR, "also remove dead extraction staging next to DIR (repeatable)"},
    {"tmp-dir", 0, "DIR", OPT_TMP_DIR, "where push staged (default: $TMPDIR and /var/tmp)"},
    {NULL, 0, NULL, 0, NULL},
};

enum { KIND_SERVE, KIND_PARTIAL, KIND_PUSH, KIND_EXTRACT, KIND_COUNT };

static const char *const kind_names[KIND_COUNT] = {"serve", "partial", "push", "extract"};

struct prune_args {
	const char *dirs[MAX_DIRS];
	size_t dir_count;
	const char *tmp_dir;
	struct logger lg;
	struct leftover_stats stats[KIND_COUNT];
};

static void prune_cache(struct prune_args *a, const char *cache)
{
	char *serve = xasprintf("%s/serve", cache);
	char *blobs = xasprintf("%s/blobs/sha256", cache);

	leftover_sweep(serve, leftover_match_serve, NULL, "serve", &a->lg, &a->stats[KIND_SERVE]);
	leftover_sweep(serve, leftover_match_staging, NULL, "serve", &a->lg, &a->stats[KIND_SERVE]);
	leftover_sweep(blobs, leftover_match_partial, NULL, "partial", &a->lg, &a->stats[KIND_PARTIAL]);
	free(serve);
	free(blobs);
}

static void prune_tmp(struct prune_args *a)
{
	const char *env = getenv("TMPDIR");

	if (a->tmp_dir != NULL) {
		leftover_sweep(a->tmp_dir, leftover_match_push, NULL, "push", &a->lg, &a->stats[KIND_PUSH]);
		return;
	}
	if (env != NULL && env[0] != '\0' && strcmp(env, "/var/tmp") != 0)
		leftover_sweep(env, leftover_match_push, NULL, "push", &a->lg, &a->stats[KIND_PUSH]);
	leftover_sweep("/var/tmp", leftover_match_push, NULL, "push", &a->lg, &a->stats[KIND_PUSH]);
}

/* Extraction into DIR stages in DIR's parent as ".<base>.lading-staging.<pid>". */
static void prune_next_to(struct prune_args *a, const char *dir)
{
	char *copy = xstrdup(dir);
	char *parent = realpath(dirname(copy), NULL);

	if (parent != NULL)
		leftover_sweep(parent, leftover_match_staging, NULL, "extract", &a->lg, &a->stats[KIND_EXTRACT]);
	else
		log_msg(&a->lg, LOG_WARN, "'%s': its parent does not exist, nothing to prune there", dir);
	free(parent);
	free(copy);
}

static void report(const struct prune_args *a, int json)
{
	struct leftover_stats total = {0, 0};
	json_t *obj = json ? json_object() : NULL;
	int k;

	for (k = 0; k < KIND_COUNT; k++) {
		total.count += a->stats[k].count;
		total.bytes += a->stats[k].bytes;
		if (json)
			json_object_set_new(obj, kind_names[k],
					    json_pack("{s:I,s:I}", "count", (json_int_t)a->stats[k].count, "bytes",
						      (json_int_t)a->stats[k].bytes));
		else
			printf("%-8s %lu removed, %llu bytes\n", kind_names[k], a->stats[k].count,
			       (unsigned long long)a->stats[k].bytes);
	}
	if (json) {
		json_object_set_new(obj, "count", json_integer((json_int_t)total.count));
		json_object_set_new(obj, "bytes", json_integer((json_int_t)total.bytes));
		cli_print_json(obj);
	} else
		printf("total    %lu removed, %llu bytes\n", total.count, (unsigned long long)total.bytes);
}

static int cmd_cache_prune(int argc, char **argv)
{
	struct prune_args a;
	struct cli cli;
	struct lerr err;
	char *cache = NULL;
	int opt, status;
	size_t i;

	memset(&a, 0, sizeof(a));
	lerr_clear(&err);
	cli_init(&cli, "lading cache prune", "[options]", prune_options, CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc,
		 argv);
	cli.summary = "Remove what runs killed before they could clean up left behind (pid gone, lock free).";
	while ((opt = cli_next(&cli)) > 0) {
		if (opt == OPT_DIR) {
			if (a.dir_count == MAX_DIRS) {
				status = cli_usage_error(&cli, "at most %d --dir options", MAX_DIRS);
				goto out;
			}
			a.dirs[a.dir_count++] = cli.arg;
		} else if (opt == OPT_TMP_DIR)
			a.tmp_dir = cli.arg;
	}
	if (opt < 0 || cli.help) {
		status = cli_finish(&cli);
		goto out;
	}
	if (cli_operands(&cli, 0, 0, "no operands") != 0) {
		status = 2;
		goto out;
	}
	cli_logger(&cli, &a.lg);
	if (bundle_cache_path(&cache, &err) != 0) {
		status = cli_fail(&err);
		goto out;
	}
	prune_cache(&a, cache);
	prune_tmp(&a);
	for (i = 0; i < a.dir_count; i++)
		prune_next_to(&a, a.dirs[i]);
	report(&a, cli.json);
	status = 0;
out:
	free(cache);
	cli_free(&cli);
	return status;
}

static const struct cli_verb verbs[] = {
    {"prune", cmd_cache_prune, "remove temp files and staging directories of killed runs"},
    {NULL, NULL, NULL},
};

int cmd_cache(int argc, char **argv)
{
	return cli_dispatch("lading cache", verbs, argc, argv);
}
