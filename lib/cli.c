#include "lib/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/termsafe.h"
#include "lib/xmalloc.h"

/* The common options, in the order --help lists them. */
static const struct cli_option common_options[] = {
    {"verbose", 'v', NULL, CLI_VERBOSE, "more messages (repeat for more)"},
    {"quiet", 'q', NULL, CLI_QUIET, "only errors on stderr"},
    {"json", 0, NULL, CLI_JSON, "machine-readable output on stdout, one JSON object per line"},
    {NULL, 0, NULL, 0, NULL},
};

void cli_init(struct cli *p, const char *prog, const char *synopsis, const struct cli_option *options, unsigned common,
	      int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->prog = prog;
	p->synopsis = synopsis;
	p->options = options;
	p->common = common;
	p->argc = argc;
	p->argv = argv;
	p->next = 1;
	p->operands = xcalloc((size_t)(argc > 0 ? argc : 1), sizeof(*p->operands));
	lerr_clear(&p->err);
}

void cli_free(struct cli *p)
{
	if (p == NULL)
		return;
	free(p->operands);
	p->operands = NULL;
}

static int usage_fail(struct cli *p, const char *fmt, const char *what)
{
	lerr_set(&p->err, LADING_ERR_USAGE, fmt, what);
	return -1;
}

static const struct cli_option *find_long(const struct cli_option *table, const char *name, size_t len)
{
	for (; table != NULL && table->id != 0; table++)
		if (table->name != NULL && strlen(table->name) == len && strncmp(table->name, name, len) == 0)
			return table;
	return NULL;
}

static const struct cli_option *find_short(const struct cli_option *table, char c)
{
	for (; table != NULL && table->id != 0; table++)
		if (table->short_name == c)
			return table;
	return NULL;
}

static int is_common(const struct cli_option *o)
{
	return o >= common_options && o < common_options + sizeof(common_options) / sizeof(common_options[0]);
}

/* The option named by a long name or a short letter: the command's own, or a common one it takes. */
static const struct cli_option *lookup(const struct cli *p, const char *name, size_t len, char letter)
{
	const struct cli_option *o;

	o = name != NULL ? find_long(p->options, name, len) : find_short(p->options, letter);
	if (o == NULL)
		o = name != NULL ? find_long(p->shared, name, len) : find_short(p->shared, letter);
	if (o != NULL)
		return o;
	o = name != NULL ? find_long(common_options, name, len) : find_short(common_options, letter);
	return o != NULL && (p->common & (unsigned)o->id) != 0 ? o : NULL;
}

/* Returns the option's id for the caller, or 0 after applying a common option. */
static int found(struct cli *p, const struct cli_option *o)
{
	if (o->name != NULL)
		snprintf(p->current, sizeof(p->current), "--%s", o->name);
	else
		snprintf(p->current, sizeof(p->current), "-%c", o->short_name);
	if (!is_common(o))
		return o->id;
	if (o->id == CLI_VERBOSE)
		p->verbose++;
	else if (o->id == CLI_QUIET)
		p->quiet = 1;
	else
		p->json = 1;
	return 0;
}

/* "--name" or "--name=value": the option's id, 0 (handled here) or -1. */
static int next_long(struct cli *p, const char *text)
{
	const char *name = text + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	const struct cli_option *o;

	if (eq == NULL && strcmp(name, "help") == 0) {
		p->help = 1;
		return 0;
	}
	if ((o = lookup(p, name, len, 0)) == NULL)
		return usage_fail(p, "unknown option '%s'", text);
	if (o->arg == NULL) {
		if (eq != NULL)
			return usage_fail(p, "option '%s' takes no value", text);
		return found(p, o);
	}
	if (eq != NULL) {
		p->arg = eq + 1;
	} else {
		if (p->next >= p->argc)
			return usage_fail(p, "option '%s' needs an argument", text);
		p->arg = p->argv[p->next++];
	}
	return found(p, o);
}

/* The next letter of p->cluster: the option's id, 0 (handled here) or -1. */
static int next_short(struct cli *p)
{
	char letter = *p->cluster++;
	char shown[3] = {'-', letter, '\0'};
	const struct cli_option *o;

	if (letter == 'h') {
		p->help = 1;
		return 0;
	}
	if ((o = lookup(p, NULL, 0, letter)) == NULL)
		return usage_fail(p, "unknown option '%s'", shown);
	if (o->arg == NULL)
		return found(p, o);
	if (*p->cluster != '\0') {
		p->arg = p->cluster; /* "-CDIR" */
	} else {
		if (p->next >= p->argc)
			return usage_fail(p, "option '%s' needs an argument", shown);
		p->arg = p->argv[p->next++];
	}
	p->cluster = NULL;
	return found(p, o);
}

int cli_next(struct cli *p)
{
	int r;

	for (;;) {
		const char *text;

		if (p->help)
			return 0;
		p->arg = NULL;
		if (p->cluster != NULL && *p->cluster != '\0') {
			if ((r = next_short(p)) != 0)
				return r;
			continue;
		}
		p->cluster = NULL;
		if (p->next >= p->argc)
			return 0;
		text = p->argv[p->next++];
		if (p->options_done || text[0] != '-' || text[1] == '\0') {
			p->operands[p->operand_count++] = (char *)text;
			continue;
		}
		if (strcmp(text, "--") == 0) {
			p->options_done = 1;
			continue;
		}
		if (text[1] == '-') {
			if ((r = next_long(p, text)) != 0)
				return r;
			continue;
		}
		p->cluster = text + 1;
	}
}

static void print_option(FILE *out, const struct cli_option *o)
{
	char left[64];
	int len;

	if (o->short_name != 0 && o->name != NULL)
		len = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->name);
	else if (o->short_name != 0)
		len = snprintf(left, sizeof(left), "-%c", o->short_name);
	else
		len = snprintf(left, sizeof(left), "    --%s", o->name);
	if (o->arg != NULL && len >= 0 && (size_t)len < sizeof(left))
		snprintf(left + len, sizeof(left) - (size_t)len, " %s", o->arg);
	if (strlen(left) > 26)
		fprintf(out, "  %s\n  %-26s %s\n", left, "", o->help);
	else
		fprintf(out, "  %-26s %s\n", left, o->help);
}

static void print_help(const struct cli *p, FILE *out)
{
	const struct cli_option *o;

	fprintf(out, "usage: %s %s\n", p->prog, p->synopsis);
	if (p->summary != NULL)
		fprintf(out, "\n%s\n", p->summary);
	fprintf(out, "\noptions:\n");
	for (o = p->options; o != NULL && o->id != 0; o++)
		print_option(out, o);
	for (o = p->shared; o != NULL && o->id != 0; o++)
		print_option(out, o);
	for (o = common_options; o->id != 0; o++)
		if ((p->common & (unsigned)o->id) != 0)
			print_option(out, o);
	fprintf(out, "  %-26s %s\n", "-h, --help", "this help");
	fprintf(out, "\nOptions may come before or after operands; '--' ends them.\n");
}

/* "bundle verify" for "lading bundle verify": messages start with "lading: " already. */
static const char *short_prog(const char *prog)
{
	return strncmp(prog, "lading ", 7) == 0 ? prog + 7 : prog;
}

int cli_finish(struct cli *p)
{
	if (p->help) {
		print_help(p, stdout);
		return 0;
	}
	return cli_usage_error(p, "%s", p->err.msg);
}

int cli_usage_error(const struct cli *p, const char *fmt, ...)
{
	char msg[LERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "lading: %s: ", short_prog(p->prog));
	termsafe_fputs(msg, stderr); /* may quote an operand or option value */
	fprintf(stderr, " (see '%s --help')\n", p->prog);
	return 2;
}

int cli_operands(const struct cli *p, size_t min, int max, const char *what)
{
	if (p->operand_count < min) {
		cli_usage_error(p, "expected %s", what);
		return -1;
	}
	if (max >= 0 && p->operand_count > (size_t)max) {
		cli_usage_error(p, "unexpected argument '%s' (expected %s)", p->operands[max], what);
		return -1;
	}
	return 0;
}

int cli_int(const struct cli *p, long min, long max, long *out)
{
	const char *text = p->arg != NULL ? p->arg : "";
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (end == text || *end != '\0' || errno != 0 || value < min || value > max) {
		cli_usage_error(p, "%s must be a number from %ld to %ld, got '%s'", p->current, min, max, text);
		return -1;
	}
	*out = value;
	return 0;
}

int cli_bytes(const struct cli *p, uint64_t *out)
{
	const char *text = p->arg != NULL ? p->arg : "";
	unsigned long long value;
	unsigned shift = 0;
	char *end;

	errno = 0;
	value = strtoull(text, &end, 10);
	if (end != text && text[0] != '-' && errno == 0) {
		if (*end == 'k' || *end == 'K')
			shift = 10, end++;
		else if (*end == 'm' || *end == 'M')
			shift = 20, end++;
		else if (*end == 'g' || *end == 'G')
			shift = 30, end++;
		if (*end == '\0' && value <= (UINT64_MAX >> shift)) {
			*out = (uint64_t)value << shift;
			return 0;
		}
	}
	cli_usage_error(p, "%s must be a byte count (k/m/g suffix), got '%s'", p->current, text);
	return -1;
}

void cli_logger(const struct cli *p, struct logger *lg)
{
	log_init(lg);
	if (p->verbose > 0)
		lg->level = p->verbose > 1 ? LOG_DEBUG : LOG_VERBOSE;
	if (p->quiet)
		lg->level = LOG_ERROR;
	lg->json = p->json;
}

int cli_fail(const struct lerr *err)
{
	int status = lerr_exit_code(err);

	fputs("lading: ", stderr);
	termsafe_fputs(err->msg[0] != '\0' ? err->msg : "failed (no message)", stderr);
	fputc('\n', stderr);
	return status != 0 ? status : 1;
}

void cli_print_json(json_t *obj)
{
	char *text = obj != NULL ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(obj);
}

static void print_verbs(const char *prog, const struct cli_verb *verbs, FILE *out)
{
	const struct cli_verb *v;

	fprintf(out, "usage: %s <verb> [options] [operands]\n\nverbs:\n", prog);
	for (v = verbs; v->name != NULL; v++)
		fprintf(out, "  %-10s %s\n", v->name, v->summary);
	fprintf(out, "\nRun '%s <verb> --help' for a verb's options.\n", prog);
}

int cli_dispatch(const char *prog, const struct cli_verb *verbs, int argc, char **argv)
{
	const struct cli_verb *v;

	if (argc < 2) {
		print_verbs(prog, verbs, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		print_verbs(prog, verbs, stdout);
		return 0;
	}
	for (v = verbs; v->name != NULL; v++)
		if (strcmp(v->name, argv[1]) == 0)
			return v->run(argc - 1, argv + 1);
	fprintf(stderr, "lading: %s: unknown verb '%s' (see '%s --help')\n", short_prog(prog), argv[1], prog);
	return 2;
}
