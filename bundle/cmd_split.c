/* Volumes on the command line (cmd_split.h): options and output only; the work is in split.c and format/. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/cmd_split.h"
#include "bundle/format/volume.h"
#include "bundle/split.h"
#include "lib/cli.h"
#include "lib/xmalloc.h"

enum { OPT_SIZE = 1, OPT_DIR, OPT_SET };

static const struct cli_option split_options[] = {
    {"volume-size", 0, "SIZE", OPT_SIZE,
     "the most bytes of one volume: N with K, M, G or T (1024-based), or fat32, dvd, dvd-dl, bd25, bd50; required"},
    {"directory", 'C', "DIR", OPT_DIR, "where the volumes go (default: beside FILE)"},
    {"set", 0, "NAME", OPT_SET, "the set's name: volumes are NAME.001.tar.zst … (default: FILE without .tar.zst)"},
    {NULL, 0, NULL, 0, NULL},
};

static void print_result(const char *what, const struct bundle_split_result *res, uint64_t size,
			 const struct logger *lg)
{
	char total[32], each[32];

	if (lg->json) {
		cli_print_json(json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "bundle", what, "first", res->first,
					 "volumes", (json_int_t)res->volumes, "written", (json_int_t)res->written,
					 "kept", (json_int_t)res->kept, "bytes", (json_int_t)res->bytes, "volume_size",
					 (json_int_t)size));
		return;
	}
	if (lg->level < LOG_WARN) /* -q */
		return;
	log_format_bytes(res->bytes, total, sizeof(total));
	log_format_bytes(size, each, sizeof(each));
	printf("%s: %zu volume%s of at most %s, %s in all, first %s (%zu written, %zu already there)\n", what,
	       res->volumes, res->volumes == 1 ? "" : "s", each, total, res->first, res->written, res->kept);
}

int bundle_cmd_split(int argc, char **argv)
{
	struct bundle_split_opts opts;
	struct bundle_split_result res;
	struct logger lg;
	struct cli cli;
	struct lerr err;
	const char *size_text = NULL, *file;
	int opt;

	memset(&opts, 0, sizeof(opts));
	cli_init(&cli, "lading bundle split", "--volume-size SIZE [options] FILE", split_options,
		 CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	while ((opt = cli_next(&cli)) > 0) {
		if (opt == OPT_SIZE)
			size_text = cli.arg;
		else if (opt == OPT_DIR)
			opts.out_dir = cli.arg;
		else if (opt == OPT_SET)
			opts.set = cli.arg;
	}
	if (opt < 0 || cli.help) {
		int status = cli_finish(&cli);

		cli_free(&cli);
		return status;
	}
	if (cli_operands(&cli, 1, 1, "one bundle file") != 0) {
		cli_free(&cli);
		return 2;
	}
	file = cli.operands[0];
	cli_logger(&cli, &lg);
	cli_free(&cli);
	if (size_text == NULL)
		return cli_usage_error(&cli, "--volume-size SIZE is required");
	lerr_clear(&err);
	if (bundle_volume_size_parse(size_text, &opts.volume_size, &err) != 0)
		return cli_usage_error(&cli, "%s", err.msg);
	opts.lg = &lg;
	if (bundle_split(file, &opts, &res, &err) != 0)
		return cli_fail(&err);
	print_result(file, &res, opts.volume_size, &lg);
	bundle_split_result_free(&res);
	return 0;
}

static int remove_file(const char *path, struct lerr *err)
{
	if (unlink(path) != 0 && errno != ENOENT)
		return lerr_sys(err, "cannot remove '%s'", path);
	return 0;
}

int bundle_cmd_split_created(const char *path, uint64_t size, const struct logger *lg, struct lerr *err)
{
	struct bundle_split_opts opts;
	struct bundle_split_result res;
	char *sig = xasprintf("%s.minisig", path);
	int r = -1;

	memset(&opts, 0, sizeof(opts));
	opts.volume_size = size;
	opts.lg = lg;
	if (bundle_split(path, &opts, &res, err) == 0) {
		/* Every volume is whole and renamed: only now may the whole file go. */
		if (remove_file(sig, err) == 0 && remove_file(path, err) == 0) {
			print_result(path, &res, size, lg);
			r = 0;
		}
		bundle_split_result_free(&res);
	}
	free(sig);
	return r;
}

void bundle_cmd_split_report(const char *file, const struct bundle_verify_stats *stats)
{
	struct bundle_set set;
	struct lerr err;
	int got;

	if (stats->volume == 0)
		return;
	lerr_clear(&err);
	got = bundle_set_find(file, &set, &err);
	if (got == 1) {
		printf("%s: volume %zu of %zu of set '%s'; all %zu volumes are beside it\n", file, stats->volume,
		       stats->volumes, stats->set, set.count);
		bundle_set_free(&set);
	} else {
		printf("%s: volume %zu of %zu of set '%s'; %s\n", file, stats->volume, stats->volumes, stats->set,
		       got < 0 ? err.msg : "the others were not found");
	}
}
