#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/cli.h"

enum { OPT_FILE = 1, OPT_FORCE, OPT_DIR, OPT_SHARED };

static const struct cli_option table[] = {
    {"file", 'f', "FILE", OPT_FILE, "a file"},
    {"force", 0, NULL, OPT_FORCE, "a flag"},
    {NULL, 'C', "DIR", OPT_DIR, "a short-only option"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option shared[] = {
    {"inventory", 'i', "FILE", OPT_SHARED, "from the shared table"},
    {NULL, 0, NULL, 0, NULL},
};

/* Parses argv (NULL-terminated); records option ids and arguments into seen. */
struct parsed {
	int ids[16];
	const char *args[16];
	int count;
	int last;
};

static void parse(struct cli *p, char **argv, unsigned common, struct parsed *out)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	memset(out, 0, sizeof(*out));
	cli_init(p, "lading test", "[options] FILE", table, common, argc, argv);
	p->shared = shared;
	while ((out->last = cli_next(p)) > 0 && out->count < 16) {
		out->ids[out->count] = out->last;
		out->args[out->count++] = p->arg;
	}
}

static void options_after_operands_are_options(void **state)
{
	char *argv[] = {"verb", "site.tar.zst", "--file", "a.pub", "-f", "b.pub", "--force", NULL};
	struct parsed r;
	struct cli p;

	(void)state;
	parse(&p, argv, 0, &r);
	assert_int_equal(r.last, 0);
	assert_int_equal(r.count, 3);
	assert_int_equal(r.ids[0], OPT_FILE);
	assert_string_equal(r.args[0], "a.pub");
	assert_string_equal(r.args[1], "b.pub");
	assert_int_equal(r.ids[2], OPT_FORCE);
	assert_int_equal(p.operand_count, 1);
	assert_string_equal(p.operands[0], "site.tar.zst");
	cli_free(&p);
}

static void double_dash_ends_options(void **state)
{
	char *argv[] = {"verb", "--force", "--", "--file", "-v", "-", NULL};
	struct parsed r;
	struct cli p;

	(void)state;
	parse(&p, argv, CLI_VERBOSE, &r);
	assert_int_equal(r.last, 0);
	assert_int_equal(r.count, 1);
	assert_int_equal(p.verbose, 0);
	assert_int_equal(p.operand_count, 3);
	assert_string_equal(p.operands[0], "--file");
	assert_string_equal(p.operands[1], "-v");
	assert_string_equal(p.operands[2], "-");
	cli_free(&p);
}

static void equals_and_attached_values(void **state)
{
	char *argv[] = {"verb", "--file=x=y", "-Cdir", "-vvf", "z", "-i", "inv", NULL};
	struct parsed r;
	struct cli p;

	(void)state;
	parse(&p, argv, CLI_VERBOSE, &r);
	assert_int_equal(r.last, 0);
	assert_int_equal(r.count, 4);
	assert_string_equal(r.args[0], "x=y");
	assert_int_equal(r.ids[1], OPT_DIR);
	assert_string_equal(r.args[1], "dir");
	assert_int_equal(r.ids[2], OPT_FILE);
	assert_string_equal(r.args[2], "z");
	assert_int_equal(r.ids[3], OPT_SHARED);
	assert_string_equal(r.args[3], "inv");
	assert_int_equal(p.verbose, 2);
	assert_int_equal(p.operand_count, 0);
	cli_free(&p);
}

static void common_options_only_when_taken(void **state)
{
	char *with[] = {"verb", "--json", "-q", "f", NULL};
	char *without[] = {"verb", "f", "--json", NULL};
	struct parsed r;
	struct cli p;

	(void)state;
	parse(&p, with, CLI_JSON | CLI_QUIET, &r);
	assert_int_equal(r.last, 0);
	assert_int_equal(p.json, 1);
	assert_int_equal(p.quiet, 1);
	cli_free(&p);
	parse(&p, without, CLI_VERBOSE, &r);
	assert_int_equal(r.last, -1);
	assert_int_equal(p.err.code, LADING_ERR_USAGE);
	assert_string_equal(p.err.msg, "unknown option '--json'");
	cli_free(&p);
}

static void usage_errors_are_one_line(void **state)
{
	char *missing[] = {"verb", "x", "--file", NULL};
	char *unknown[] = {"verb", "-z", NULL};
	char *value[] = {"verb", "--force=1", NULL};
	struct parsed r;
	struct cli p;

	(void)state;
	parse(&p, missing, 0, &r);
	assert_int_equal(r.last, -1);
	assert_string_equal(p.err.msg, "option '--file' needs an argument");
	assert_int_equal(lerr_exit_code(&p.err), 2);
	cli_free(&p);
	parse(&p, unknown, 0, &r);
	assert_int_equal(r.last, -1);
	assert_string_equal(p.err.msg, "unknown option '-z'");
	cli_free(&p);
	parse(&p, value, 0, &r);
	assert_int_equal(r.last, -1);
	assert_string_equal(p.err.msg, "option '--force=1' takes no value");
	assert_null(strchr(p.err.msg, '\n'));
	cli_free(&p);
}

static void help_anywhere_stops_parsing(void **state)
{
	char *argv[] = {"verb", "file", "--force", "-h", "--bogus", NULL};
	struct parsed r;
	struct cli p;

	(void)state;
	parse(&p, argv, 0, &r);
	assert_int_equal(r.last, 0);
	assert_int_equal(p.help, 1);
	cli_free(&p);
}

static void numbers_and_bytes_are_checked(void **state)
{
	char *argv[] = {"verb", NULL};
	struct cli p;
	uint64_t bytes = 0;
	long number = 0;

	(void)state;
	cli_init(&p, "lading test", "", table, 0, 1, argv);
	p.arg = "42";
	assert_int_equal(cli_int(&p, 1, 64, &number), 0);
	assert_int_equal(number, 42);
	p.arg = "65";
	assert_int_equal(cli_int(&p, 1, 64, &number), -1);
	p.arg = "4x";
	assert_int_equal(cli_int(&p, 1, 64, &number), -1);
	p.arg = "16m";
	assert_int_equal(cli_bytes(&p, &bytes), 0);
	assert_true(bytes == 16u << 20);
	p.arg = "-1";
	assert_int_equal(cli_bytes(&p, &bytes), -1);
	p.arg = "99999999999999999999g";
	assert_int_equal(cli_bytes(&p, &bytes), -1);
	cli_free(&p);
}

static void operand_counts_are_checked(void **state)
{
	char *argv[] = {"verb", "a", "b", NULL};
	struct parsed r;
	struct cli p;

	(void)state;
	parse(&p, argv, 0, &r);
	assert_int_equal(cli_operands(&p, 1, 2, "FILE"), 0);
	assert_int_equal(cli_operands(&p, 1, 1, "one FILE"), -1);
	assert_int_equal(cli_operands(&p, 3, -1, "three"), -1);
	assert_int_equal(cli_operands(&p, 0, -1, "any"), 0);
	cli_free(&p);
}

int main(void)
{
	/* The usage errors these tests provoke are printed: keep them out of the TAP stream. */
	if (freopen("/dev/null", "w", stderr) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(options_after_operands_are_options), cmocka_unit_test(double_dash_ends_options),
	    cmocka_unit_test(equals_and_attached_values),	  cmocka_unit_test(common_options_only_when_taken),
	    cmocka_unit_test(usage_errors_are_one_line),	  cmocka_unit_test(help_anywhere_stops_parsing),
	    cmocka_unit_test(numbers_and_bytes_are_checked),	  cmocka_unit_test(operand_counts_are_checked),
	};
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
