/*
 * lading bundle create|inspect|verify|extract: option parsing and output only;
 * the work is in the other files of bundle/. Verbs come from one table (git builtin/bundle.c).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/cmd_bundle.h"
#include "bundle/cmd_bundle_sig.h"
#include "bundle/cmd_push.h"
#include "bundle/create.h"
#include "bundle/plan.h"
#include "bundle/format/extract.h"
#include "bundle/inspect.h"
#include "bundle/format/reader.h"
#include "lib/buf.h"
#include "lib/log.h"

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

static int verb_create(int argc, char **argv);
static int verb_inspect(int argc, char **argv);
static int verb_verify(int argc, char **argv);
static int verb_extract(int argc, char **argv);

static const struct verb verbs[] = {
    {"create", verb_create,
     "create [-f lading.yaml] [-o FILE] [--sign KEY] [--level N] [--jobs N] [--locked] [--update-hashes] [--dry-run] [-v] [--json]",
     "fetch the images of a spec and write one bundle"},
    {"inspect", verb_inspect, "inspect [--pubkey PUB]... [--json] FILE",
     "show what a bundle holds and who signed it (reads only its head)"},
    {"verify", verb_verify, "verify [--pubkey PUB]... [--insecure-skip-signature] [-v] [--json] FILE",
     "check the signature, then every entry against lading.json"},
    {"extract", verb_extract, "extract [--pubkey PUB]... [--insecure-skip-signature] [-v] [--json] -C DIR FILE",
     "verify and unpack into a new directory"},
    {"push", bundle_cmd_push, "push FILE --registry HOST[:PORT] [--pubkey PUB]... [options]",
     "verify the signature and every entry, then push into a registry"},
    {"sign", bundle_sig_verb_sign, "sign --key KEY FILE", "sign an existing bundle (rewrites it atomically)"},
    {NULL, NULL, NULL, NULL},
};

static const struct verb *find_verb(const char *name)
{
	const struct verb *v;

	for (v = verbs; v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static void bundle_usage(FILE *out)
{
	const struct verb *v;

	fprintf(out, "usage: lading bundle <verb> [options]\n\nverbs:\n");
	for (v = verbs; v->name != NULL; v++)
		fprintf(out, "  %-8s %s\n", v->name, v->summary);
	fprintf(out, "\nRun 'lading bundle <verb> --help' for its options; see lading-bundle(1).\n");
}

static int verb_usage(const char *name, FILE *out, int status)
{
	const struct verb *v = find_verb(name);

	fprintf(out, "usage: lading bundle %s\n", v->usage);
	if (status != 0)
		return status;
	if (strcmp(name, "create") == 0)
		fprintf(out, "  -f FILE      the bundle spec (default lading.yaml)\n"
			     "  -o FILE      the bundle to write (default NAME.tar.zst)\n"
			     "  --level N    zstd level, 1-19 (default 3)\n"
			     "  --jobs N     parallel downloads (default 4)\n"
			     "  --locked     fetch exactly the digests in lading.lock, resolve nothing\n"
			     "  --update-hashes  fetch files listed without sha256 and write their hashes into the spec\n"
			     "  --dry-run    list what the bundle would hold (images charts name included); write nothing\n");
	if (strcmp(name, "extract") == 0)
		fprintf(out, "  -C DIR       the directory to create (must not exist or be empty)\n");
	bundle_sig_usage(name, out);
	fprintf(out, "  -v           more messages (repeat for more)\n"
		     "  --json       machine-readable output on stdout\n"
		     "  -h, --help   this help\n");
	return status;
}

/* Fills the logger and the common flags; returns -1 after printing on a usage error, 1 on --help. */
struct common {
	struct logger lg;
	int json;
	const char *file;
	const char *output;
	const char *dir;
	int level;
	int jobs;
	int locked;
	struct bundle_sig_opts sig;
	int update_hashes;
	int dry_run;
};

static int parse_int(const char *text, int min, int max, const char *what, int *out)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (end == text || *end != '\0' || value < min || value > max) {
		fprintf(stderr, "lading: %s must be a number from %d to %d, got '%s'\n", what, min, max, text);
		return -1;
	}
	*out = (int)value;
	return 0;
}

static const char *option_name(int opt)
{
	switch (opt) {
	case 'L':
		return "--level";
	case 'j':
		return "--jobs";
	case 'K':
		return "--locked";
	case 'U':
		return "--update-hashes";
	case 'D':
		return "--dry-run";
	case 'f':
		return "-f";
	case 'o':
		return "-o";
	case 'S':
		return "--sign";
	case 'P':
		return "--pubkey";
	case 'I':
		return "--insecure-skip-signature";
	default:
		return "-C";
	}
}

/* Every verb shares one option table; parse_common refuses what a verb does not take. */
static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {"json", no_argument, NULL, 'J'},
    {"verbose", no_argument, NULL, 'v'},
    {"level", required_argument, NULL, 'L'},
    {"jobs", required_argument, NULL, 'j'},
    {"locked", no_argument, NULL, 'K'},
    {"update-hashes", no_argument, NULL, 'U'},
    {"dry-run", no_argument, NULL, 'D'},
    {"file", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"directory", required_argument, NULL, 'C'},
    {"sign", required_argument, NULL, 'S'},
    {"pubkey", required_argument, NULL, 'P'},
    {"insecure-skip-signature", no_argument, NULL, 'I'},
    {NULL, 0, NULL, 0},
};

static int parse_common(const char *verb, int argc, char **argv, struct common *c)
{
	int is_create = strcmp(verb, "create") == 0;
	int opt;

	memset(c, 0, sizeof(*c));
	log_init(&c->lg);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+hvf:o:C:j:", longopts, NULL)) != -1) {
		int allowed = 1;

		switch (opt) {
		case 'h':
			verb_usage(verb, stdout, 0);
			return 1;
		case 'v':
			c->lg.level = c->lg.level < LOG_VERBOSE ? LOG_VERBOSE : LOG_DEBUG;
			break;
		case 'J':
			c->json = c->lg.json = 1;
			break;
		case 'L':
			allowed = is_create && parse_int(optarg, 1, 19, "--level", &c->level) == 0;
			break;
		case 'j':
			allowed = is_create && parse_int(optarg, 1, 64, "--jobs", &c->jobs) == 0;
			break;
		case 'K':
			allowed = is_create;
			c->locked = 1;
			break;
		case 'U':
			allowed = is_create;
			c->update_hashes = 1;
			break;
		case 'D':
			allowed = is_create;
			c->dry_run = 1;
			break;
		case 'f':
			allowed = is_create;
			c->file = optarg;
			break;
		case 'o':
			allowed = is_create;
			c->output = optarg;
			break;
		case 'C':
			allowed = strcmp(verb, "extract") == 0;
			c->dir = optarg;
			break;
		case 'S':
			allowed = is_create;
			c->sig.sign_key = optarg;
			break;
		case 'P':
			allowed = !is_create;
			if (allowed && bundle_sig_opts_add_pubkey(&c->sig, optarg) != 0)
				return -1;
			break;
		case 'I':
			allowed = strcmp(verb, "verify") == 0 || strcmp(verb, "extract") == 0;
			c->sig.insecure = 1;
			break;
		default:
			allowed = 0;
			break;
		}
		if (!allowed) {
			if (opt == '?' || !((opt == 'L' || opt == 'j') && is_create))
				fprintf(stderr,
					"lading: bundle %s: unknown option '%s' (see 'lading bundle %s --help')\n",
					verb, opt == '?' ? argv[optind - 1] : option_name(opt), verb);
			return -1;
		}
	}
	return 0;
}

/* One JSON object per line on stdout (--json); takes the reference. */
static void print_json(json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(obj);
}

static int fail(const struct lerr *err)
{
	fprintf(stderr, "lading: %s\n", err->msg);
	return lerr_exit_code(err) ? lerr_exit_code(err) : 1;
}

/* Verbs that take exactly one FILE operand. */
static const char *one_file(const char *verb, int argc, char **argv)
{
	if (argc - optind != 1) {
		fprintf(stderr, "lading: bundle %s: expected one bundle file (see 'lading bundle %s --help')\n", verb,
			verb);
		return NULL;
	}
	return argv[optind];
}

/* --dry-run: one line per thing the bundle would hold (bundle/plan.c). */
static int dry_run(const char *spec_path, const struct logger *lg)
{
	struct bundle_plan plan;
	struct lerr err;
	size_t i;

	lerr_clear(&err);
	if (bundle_plan_build(spec_path, lg, &plan, &err) != 0)
		return fail(&err);
	for (i = 0; i < plan.count; i++)
		printf("%s\n", plan.lines[i]);
	bundle_plan_free(&plan);
	return 0;
}

static int verb_create(int argc, char **argv)
{
	struct bundle_create_opts opts;
	struct bundle_create_result result;
	struct bundle_sig_create signing;
	struct common c;
	struct lerr err;
	int rc = parse_common("create", argc, argv, &c);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (argc != optind) {
		fprintf(stderr, "lading: bundle create: unexpected argument '%s' (see 'lading bundle create --help')\n",
			argv[optind]);
		return 2;
	}
	if (c.dry_run)
		return dry_run(c.file ? c.file : "lading.yaml", &c.lg);
	memset(&opts, 0, sizeof(opts));
	opts.spec_path = c.file ? c.file : "lading.yaml";
	opts.out_path = c.output;
	opts.level = c.level;
	opts.jobs = c.jobs;
	opts.locked = c.locked;
	opts.update_hashes = c.update_hashes;
	opts.lg = &c.lg;
	lerr_clear(&err);
	memset(&signing, 0, sizeof(signing));
	if (c.sig.sign_key != NULL && bundle_sig_create_begin(&signing, c.sig.sign_key, &opts, &err) != 0)
		return fail(&err);
	rc = bundle_create(&opts, &result, &err);
	if (rc == 0 && c.sig.sign_key != NULL && (rc = bundle_sig_create_finish(&signing, result.out_path, &err)) != 0)
		bundle_create_result_free(&result);
	bundle_sig_create_end(&signing);
	if (rc != 0)
		return fail(&err);
	if (c.json) {
		print_json(json_pack("{s:s, s:I, s:I, s:I, s:I}", "output", result.out_path, "images",
				     (json_int_t)result.image_count, "entries", (json_int_t)result.entry_count, "bytes",
				     (json_int_t)result.content_bytes, "file_bytes", (json_int_t)result.file_bytes));
	} else {
		char content[32], file[32];

		log_format_bytes(result.content_bytes, content, sizeof(content));
		log_format_bytes(result.file_bytes, file, sizeof(file));
		printf("wrote %s: %zu image%s, %zu entries, %s (%s compressed)\n", result.out_path, result.image_count,
		       result.image_count == 1 ? "" : "s", result.entry_count, content, file);
	}
	bundle_create_result_free(&result);
	return 0;
}

static int verb_inspect(int argc, char **argv)
{
	struct bundle_info info;
	struct buf out = BUF_INIT(0);
	struct common c;
	struct lerr err;
	const char *file;
	int rc = parse_common("inspect", argc, argv, &c);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if ((file = one_file("inspect", argc, argv)) == NULL)
		return 2;
	lerr_clear(&err);
	if (bundle_inspect(file, &info, &err) != 0)
		return fail(&err);
	if (c.json) {
		char *json = bundle_inspect_json(&info);
		json_t *obj = json_loads(json, 0, NULL);
		json_t *signer = NULL;

		free(json);
		if (bundle_sig_describe(file, &c.sig, NULL, &signer, &err) != 0) {
			json_decref(obj);
			bundle_info_free(&info);
			return fail(&err);
		}
		json_object_set_new(obj, "signer", signer);
		print_json(obj);
	} else {
		bundle_inspect_text(&info, &out);
		if (bundle_sig_describe(file, &c.sig, &out, NULL, &err) != 0) {
			buf_free(&out);
			bundle_info_free(&info);
			return fail(&err);
		}
		fputs(out.data, stdout);
	}
	buf_free(&out);
	bundle_info_free(&info);
	return 0;
}

static int verb_verify(int argc, char **argv)
{
	struct bundle_verify_stats stats;
	struct bundle_sig_run run;
	struct common c;
	struct lerr err;
	const char *file;
	char bytes[32];
	int rc = parse_common("verify", argc, argv, &c);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if ((file = one_file("verify", argc, argv)) == NULL)
		return 2;
	lerr_clear(&err);
	if (bundle_sig_run_begin(&run, &c.sig, file, &err) != 0 ||
	    bundle_verify(file, bundle_sig_check_head, &run.check, &stats, &c.lg, &err) != 0) {
		bundle_sig_run_end(&run);
		return fail(&err);
	}
	if (!c.json)
		bundle_sig_run_report(&run, stdout);
	bundle_sig_run_end(&run);
	if (c.json) {
		print_json(json_pack("{s:b, s:I, s:I}", "ok", 1, "entries", (json_int_t)stats.entries, "bytes",
				     (json_int_t)stats.bytes));
	} else {
		log_format_bytes(stats.bytes, bytes, sizeof(bytes));
		printf("%s: ok, %zu entries (%s) match lading.json\n", file, stats.entries, bytes);
	}
	return 0;
}

static int verb_extract(int argc, char **argv)
{
	struct bundle_extract_opts opts;
	struct bundle_sig_run run;
	struct common c;
	struct lerr err;
	const char *file;
	int rc = parse_common("extract", argc, argv, &c);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if ((file = one_file("extract", argc, argv)) == NULL)
		return 2;
	if (c.dir == NULL) {
		fprintf(stderr, "lading: bundle extract: -C DIR is required (see 'lading bundle extract --help')\n");
		return 2;
	}
	memset(&opts, 0, sizeof(opts));
	opts.lg = &c.lg;
	lerr_clear(&err);
	if (bundle_sig_run_begin(&run, &c.sig, file, &err) != 0) {
		bundle_sig_run_end(&run);
		return fail(&err);
	}
	opts.head = bundle_sig_check_head;
	opts.head_ctx = &run.check;
	rc = bundle_extract(file, c.dir, &opts, &err);
	if (rc == 0 && !c.json)
		bundle_sig_run_report(&run, stdout);
	bundle_sig_run_end(&run);
	if (rc != 0)
		return fail(&err);
	if (c.json)
		print_json(json_pack("{s:b, s:s}", "ok", 1, "directory", c.dir));
	else
		printf("%s: verified and extracted into %s\n", file, c.dir);
	return 0;
}

int cmd_bundle(int argc, char **argv)
{
	const struct verb *v;

	if (argc < 2) {
		bundle_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		bundle_usage(stdout);
		return 0;
	}
	if ((v = find_verb(argv[1])) == NULL) {
		fprintf(stderr, "lading: bundle: unknown verb '%s' (see 'lading bundle --help')\n", argv[1]);
		return 2;
	}
	return v->run(argc - 1, argv + 1);
}
