/* `lading bundle diff`: option parsing and output of bundle/diff.c. */
#include "bundle/cmd_diff.h"

#include <stdio.h>
#include <string.h>

#include "bundle/base.h"
#include "bundle/diff.h"
#include "lib/cli.h"

enum { OPT_EXIT_CODE = 1 };

static const struct cli_option diff_options[] = {
    {"exit-code", 0, NULL, OPT_EXIT_CODE, "exit with 1 when the bundles differ (0 when they do not)"},
    {NULL, 0, NULL, 0, NULL},
};

int bundle_cmd_diff(int argc, char **argv)
{
	struct bundle_manifest old, new;
	struct buf out = BUF_INIT(0);
	struct logger lg;
	struct cli cli;
	struct lerr err;
	json_t *diff;
	int opt, exit_code = 0, status, identical;

	cli_init(&cli, "lading bundle diff", "[options] OLD NEW", diff_options, CLI_VERBOSE | CLI_QUIET | CLI_JSON,
		 argc, argv);
	cli.summary = "what changed between two bundles (or their lading.json): images, blobs, other entries";
	while ((opt = cli_next(&cli)) > 0)
		if (opt == OPT_EXIT_CODE)
			exit_code = 1;
	if (opt < 0 || cli.help) {
		status = cli_finish(&cli);
		cli_free(&cli);
		return status;
	}
	if (cli_operands(&cli, 2, 2, "two bundles (or lading.json files): OLD NEW") != 0) {
		cli_free(&cli);
		return 2;
	}
	cli_logger(&cli, &lg);
	lerr_clear(&err);
	memset(&new, 0, sizeof(new));
	if (bundle_base_load(cli.operands[0], &old, NULL, &err) != 0 ||
	    bundle_base_load(cli.operands[1], &new, NULL, &err) != 0) {
		bundle_manifest_free(&old);
		cli_free(&cli);
		return cli_fail(&err);
	}
	diff = bundle_diff(&old, &new);
	identical = json_is_true(json_object_get(diff, "identical"));
	if (lg.json)
		cli_print_json(diff);
	else {
		bundle_diff_text(diff, &out);
		fputs(out.data, stdout);
		json_decref(diff);
	}
	buf_free(&out);
	bundle_manifest_free(&old);
	bundle_manifest_free(&new);
	cli_free(&cli);
	return exit_code && !identical ? 1 : 0;
}
