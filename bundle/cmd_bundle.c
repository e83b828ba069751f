/*
 * lading bundle create|inspect|verify|extract: option parsing and output only;
 * the work is in the other files of bundle/. Verbs come from one table (git builtin/bundle.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle/cmd_bundle.h"
#include "bundle/cmd_bundle_sig.h"
#include "bundle/cmd_push.h"
#include "bundle/cmd_split.h"
#include "bundle/create.h"
#include "bundle/format/extract.h"
#include "bundle/format/reader.h"
#include "bundle/cmd_diff.h"
#include "bundle/inspect.h"
#include "bundle/plan.h"
#include "lib/buf.h"
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

enum {
	OPT_FILE = 1,
	OPT_OUTPUT,
	OPT_DIR,
	OPT_LEVEL,
	OPT_JOBS,
	OPT_LOCKED,
	OPT_UPDATE_HASHES,
	OPT_DRY_RUN,
	OPT_SIGN,
	OPT_PUBKEY,
	OPT_INSECURE_SIG,
	OPT_ALLOW_EXPIRED,
	OPT_ALLOW_DOWNGRADE,
	OPT_EXPIRES,
	OPT_IMAGES_FILE,
	OPT_PLATFORM,
	OPT_SINCE,
	OPT_BASE,
	OPT_VOLUME_SIZE,
};

static const struct cli_option create_options[] = {
    {"file", 'f', "FILE", OPT_FILE, "the bundle spec (default lading.yaml)"},
    {"output", 'o', "FILE", OPT_OUTPUT, "the bundle to write (default NAME.tar.zst)"},
    {"sign", 0, "KEY", OPT_SIGN, "sign lading.json with this secret key; also writes FILE.minisig"},
    {"expires", 0, "D|TIME", OPT_EXPIRES, BUNDLE_SIG_EXPIRES_HELP},
    {"level", 0, "N", OPT_LEVEL, "zstd level, 1-19 (default 3)"},
    {"jobs", 'j', "N", OPT_JOBS, "parallel downloads, 1-64 (default 4)"},
    {"locked", 0, NULL, OPT_LOCKED, "fetch exactly the digests in lading.lock, resolve nothing"},
    {"update-hashes", 0, NULL, OPT_UPDATE_HASHES,
     "fetch files listed without sha256 and write their hashes into the spec"},
    {"images-file", 0, "FILE", OPT_IMAGES_FILE,
     "also bundle the images FILE names: one reference a line, or Kubernetes manifests"},
    {"platform", 0, "P[,P]", OPT_PLATFORM, "platforms for images that name none (default linux/amd64)"},
    {"since", 0, "OLD", OPT_SINCE,
     "write a delta: leave out every entry OLD (a bundle or its lading.json) carries; serve, extract and push "
     "take it with OLD as --base"},
    {"volume-size", 0, "SIZE", OPT_VOLUME_SIZE,
     "write a set of volumes NAME.001.tar.zst … of at most SIZE each (N with K, M, G or T; fat32, dvd, bd25), "
     "not one file"},
    {"dry-run", 0, NULL, OPT_DRY_RUN, "list what the bundle would hold (images charts name included); write nothing"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option inspect_options[] = {
    {"pubkey", 0, "PUB", OPT_PUBKEY,
     "trust this public key (repeatable; default: *.pub in $LADING_TRUST_DIR or /etc/lading/trust.d)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option verify_options[] = {
    {"pubkey", 0, "PUB", OPT_PUBKEY,
     "trust this public key (repeatable; default: *.pub in $LADING_TRUST_DIR or /etc/lading/trust.d)"},
    {"insecure-skip-signature", 0, NULL, OPT_INSECURE_SIG,
     "accept an unsigned or untrusted bundle (prints a warning; digests are still checked)"},
    {"allow-expired", 0, NULL, OPT_ALLOW_EXPIRED, BUNDLE_SIG_ALLOW_EXPIRED_HELP},
    {"allow-downgrade", 0, NULL, OPT_ALLOW_DOWNGRADE, BUNDLE_SIG_ALLOW_DOWNGRADE_HELP},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option extract_options[] = {
    {"directory", 'C', "DIR", OPT_DIR, "the directory to create (must not exist or be empty); required"},
    {"pubkey", 0, "PUB", OPT_PUBKEY,
     "trust this public key (repeatable; default: *.pub in $LADING_TRUST_DIR or /etc/lading/trust.d)"},
    {"insecure-skip-signature", 0, NULL, OPT_INSECURE_SIG,
     "accept an unsigned or untrusted bundle (prints a warning; digests are still checked)"},
    {"allow-expired", 0, NULL, OPT_ALLOW_EXPIRED, BUNDLE_SIG_ALLOW_EXPIRED_HELP},
    {"allow-downgrade", 0, NULL, OPT_ALLOW_DOWNGRADE, BUNDLE_SIG_ALLOW_DOWNGRADE_HELP},
    {"base", 0, "OLD", OPT_BASE, "a delta's base bundle: the entries the delta leaves to it are taken from there"},
    {NULL, 0, NULL, 0, NULL},
};

static void free_platforms(char **platforms)
{
	size_t i;

	for (i = 0; platforms != NULL && platforms[i] != NULL; i++)
		free(platforms[i]);
	free(platforms);
}

/* What the verbs' options fill. */
struct common {
	struct cli cli;
	struct logger lg;
	const char *file;
	const char *output;
	const char *dir;
	const char *bundle; /* the FILE operand */
	long level;
	long jobs;
	int locked;
	struct bundle_sig_opts sig;
	int update_hashes;
	int dry_run;
	const char *images_file;
	const char *since;    /* --since OLD */
	const char *base;     /* --base OLD */
	uint64_t volume_size; /* --volume-size */
	char **platforms;     /* --platform split at ',' (NULL-terminated); freed by the verb */
};

/* --platform P[,P]: each os/arch[/variant], none twice. */
static int parse_platforms(struct common *c)
{
	char *copy = xstrdup(c->cli.arg), *save = NULL, *p;
	size_t n = 0, i;
	int bad = 0;

	free_platforms(c->platforms);
	c->platforms = xcalloc(strlen(copy) / 2 + 2, sizeof(char *));
	for (p = strtok_r(copy, ",", &save); p != NULL && !bad; p = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n && strcmp(c->platforms[i], p) != 0; i++)
			;
		if (!bundle_platform_is_valid(p) && strcmp(p, "all") != 0)
			bad =
			    cli_usage_error(&c->cli, "--platform '%s': expected os/arch or os/arch/variant, or all", p);
		else if (i == n)
			c->platforms[n++] = xstrdup(p);
	}
	if (n == 0 && !bad)
		bad = cli_usage_error(&c->cli, "--platform: give os/arch, like linux/amd64");
	free(copy);
	return bad;
}

/*
 * Parses argv with table and expects `operands` operands (0, or 1: the bundle
 * file, in c->bundle); returns -1 when the caller should return *status (help
 * or a usage error).
 */
static int parse_common(const char *prog, const char *synopsis, const struct cli_option *table, int operands, int argc,
			char **argv, struct common *c, int *status)
{
	struct lerr experr;
	int opt;

	memset(c, 0, sizeof(*c));
	cli_init(&c->cli, prog, synopsis, table, CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	while ((opt = cli_next(&c->cli)) > 0) {
		int bad = 0;

		switch (opt) {
		case OPT_FILE:
			c->file = c->cli.arg;
			break;
		case OPT_OUTPUT:
			c->output = c->cli.arg;
			break;
		case OPT_DIR:
			c->dir = c->cli.arg;
			break;
		case OPT_LEVEL:
			bad = cli_int(&c->cli, 1, 19, &c->level);
			break;
		case OPT_JOBS:
			bad = cli_int(&c->cli, 1, 64, &c->jobs);
			break;
		case OPT_LOCKED:
			c->locked = 1;
			break;
		case OPT_UPDATE_HASHES:
			c->update_hashes = 1;
			break;
		case OPT_DRY_RUN:
			c->dry_run = 1;
			break;
		case OPT_IMAGES_FILE:
			c->images_file = c->cli.arg;
			break;
		case OPT_SINCE:
			c->since = c->cli.arg;
			break;
		case OPT_BASE:
			c->base = c->cli.arg;
			break;
		case OPT_VOLUME_SIZE:
			if (bundle_volume_size_parse(c->cli.arg, &c->volume_size, &experr) != 0)
				bad = cli_usage_error(&c->cli, "%s", experr.msg);
			break;
		case OPT_PLATFORM:
			bad = parse_platforms(c);
			break;
		case OPT_SIGN:
			c->sig.sign_key = c->cli.arg;
			break;
		case OPT_PUBKEY:
			if (bundle_sig_opts_add_pubkey(&c->sig, (char *)c->cli.arg) != 0)
				bad = cli_usage_error(&c->cli, "at most %d --pubkey options", BUNDLE_PUBKEYS_MAX);
			break;
		case OPT_INSECURE_SIG:
			c->sig.insecure = 1;
			break;
		case OPT_ALLOW_EXPIRED:
			c->sig.allow_expired = 1;
			break;
		case OPT_ALLOW_DOWNGRADE:
			c->sig.allow_downgrade = 1;
			break;
		case OPT_EXPIRES:
			if (bundle_sig_opts_expires(&c->sig, c->cli.arg, &experr) != 0)
				bad = cli_usage_error(&c->cli, "%s", experr.msg);
			break;
		}
		if (bad != 0) {
			*status = 2;
			free_platforms(c->platforms);
			c->platforms = NULL;
			cli_free(&c->cli);
			return -1;
		}
	}
	if (opt < 0 || c->cli.help) {
		*status = cli_finish(&c->cli);
		free_platforms(c->platforms);
		c->platforms = NULL;
		cli_free(&c->cli);
		return -1;
	}
	if (cli_operands(&c->cli, (size_t)operands, operands, operands ? "one bundle file" : "no operands") != 0) {
		*status = 2;
		free_platforms(c->platforms);
		c->platforms = NULL;
		cli_free(&c->cli);
		return -1;
	}
	c->bundle = operands ? c->cli.operands[0] : NULL;
	cli_logger(&c->cli, &c->lg);
	cli_free(&c->cli); /* c->cli.prog stays for later usage errors */
	return 0;
}

/*
 * --dry-run: one line per thing the bundle would hold (bundle/plan.c); with
 * --json one object per image, {"ref", "source"}.
 */
static int dry_run(const char *spec_path, const char *images_file, const struct logger *lg)
{
	struct bundle_plan plan;
	struct lerr err;
	size_t i;

	lerr_clear(&err);
	if (bundle_plan_build(spec_path, images_file, lg, &plan, &err) != 0)
		return cli_fail(&err);
	for (i = 0; i < plan.count; i++) {
		if (!lg->json)
			printf("%s\n", plan.lines[i]);
		else if (plan.refs[i] != NULL)
			cli_print_json(json_pack("{s:s, s:s}", "ref", plan.refs[i], "source", plan.sources[i]));
	}
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
	int rc;

	if (parse_common("lading bundle create", "[options]", create_options, 0, argc, argv, &c, &rc) != 0)
		return rc;
	if (c.sig.expires != 0 && c.sig.sign_key == NULL) {
		free_platforms(c.platforms);
		return cli_usage_error(&c.cli, "--expires needs --sign KEY");
	}
	if (c.dry_run) {
		free_platforms(c.platforms);
		return dry_run(c.file ? c.file : "lading.yaml", c.images_file, &c.lg);
	}
	memset(&opts, 0, sizeof(opts));
	opts.spec_path = c.file ? c.file : "lading.yaml";
	opts.out_path = c.output;
	opts.level = c.level;
	opts.jobs = c.jobs;
	opts.locked = c.locked;
	opts.update_hashes = c.update_hashes;
	opts.images_file = c.images_file;
	opts.since = c.since;
	opts.platforms = c.platforms;
	opts.lg = &c.lg;
	lerr_clear(&err);
	memset(&signing, 0, sizeof(signing));
	if (c.sig.sign_key != NULL && bundle_sig_create_begin(&signing, &c.sig, &opts, &err) != 0) {
		free_platforms(c.platforms);
		return cli_fail(&err);
	}
	rc = bundle_create(&opts, &result, &err);
	if (rc == 0 && c.sig.sign_key != NULL && (rc = bundle_sig_create_finish(&signing, result.out_path, &err)) != 0)
		bundle_create_result_free(&result);
	bundle_sig_create_end(&signing);
	free_platforms(c.platforms);
	if (rc != 0)
		return cli_fail(&err);
	if (c.volume_size > 0) {
		rc = bundle_cmd_split_created(result.out_path, c.volume_size, &c.lg, &err);
		bundle_create_result_free(&result);
		return rc != 0 ? cli_fail(&err) : 0;
	}
	if (c.lg.json) {
		cli_print_json(json_pack("{s:s, s:I, s:I, s:I, s:I}", "output", result.out_path, "images",
					 (json_int_t)result.image_count, "entries", (json_int_t)result.entry_count,
					 "bytes", (json_int_t)result.content_bytes, "file_bytes",
					 (json_int_t)result.file_bytes));
	} else if (c.lg.level >= LOG_WARN) { /* -q: nothing but errors */
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
	int rc;

	if (parse_common("lading bundle inspect", "[options] FILE", inspect_options, 1, argc, argv, &c, &rc) != 0)
		return rc;
	file = c.bundle;
	lerr_clear(&err);
	if (bundle_inspect(file, &info, &err) != 0)
		return cli_fail(&err);
	if (c.lg.json) {
		char *json = bundle_inspect_json(&info);
		json_t *obj = json_loads(json, 0, NULL);
		json_t *signer = NULL;

		free(json);
		if (bundle_sig_describe(file, &c.sig, NULL, &signer, &err) != 0) {
			json_decref(obj);
			bundle_info_free(&info);
			return cli_fail(&err);
		}
		json_object_set_new(obj, "signer", signer);
		cli_print_json(obj);
	} else {
		/* The signature's verdict first: a reader must know before the names whether to believe them. */
		if (bundle_sig_describe(file, &c.sig, &out, NULL, &err) == 0)
			buf_puts(&out, "\n");
		bundle_inspect_text(&info, &out);
		if (err.code != LADING_OK) {
			buf_free(&out);
			bundle_info_free(&info);
			return cli_fail(&err);
		}
		fputs(out.data, stdout);
	}
	buf_free(&out);
	bundle_info_free(&info);
	return 0;
}

static int is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int verb_verify(int argc, char **argv)
{
	struct bundle_verify_stats stats;
	struct bundle_sig_run run;
	struct common c;
	struct lerr err;
	const char *file;
	char bytes[32];
	int rc;

	if (parse_common("lading bundle verify", "[options] FILE", verify_options, 1, argc, argv, &c, &rc) != 0)
		return rc;
	file = c.bundle;
	lerr_clear(&err);
	/* A file is checked by itself (a volume alone); a directory is a set, checked whole. */
	if (bundle_sig_run_begin(&run, &c.sig, file, &err) != 0 ||
	    (is_directory(file)
		 ? bundle_verify(file, bundle_sig_check_head, &run.check, &stats, &c.lg, &err)
		 : bundle_verify_volume(file, bundle_sig_check_head, &run.check, &stats, &c.lg, &err)) != 0) {
		bundle_sig_run_end(&run);
		return cli_fail(&err);
	}
	bundle_sig_run_accept(&run, &c.lg);
	if (!c.lg.json)
		bundle_sig_run_report(&run, stdout);
	bundle_sig_run_end(&run);
	if (c.lg.json) {
		cli_print_json(json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "ok", 1, "entries",
					 (json_int_t)stats.entries, "bytes", (json_int_t)stats.bytes, "base_entries",
					 (json_int_t)stats.base_entries, "base_bytes", (json_int_t)stats.base_bytes,
					 "volume", (json_int_t)stats.volume, "volumes", (json_int_t)stats.volumes));
	} else {
		log_format_bytes(stats.bytes, bytes, sizeof(bytes));
		printf("%s: ok, %zu %s (%s) match lading.json\n", file, stats.entries,
		       stats.volume ? "entries and parts" : "entries", bytes);
		bundle_cmd_split_report(file, &stats);
		if (stats.base_entries > 0) {
			log_format_bytes(stats.base_bytes, bytes, sizeof(bytes));
			printf("%s: a delta: %zu more entries (%s) live in its base, not checked here (extract, serve "
			       "or push it with --base)\n",
			       file, stats.base_entries, bytes);
		}
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
	int rc;

	if (parse_common("lading bundle extract", "[options] -C DIR FILE", extract_options, 1, argc, argv, &c, &rc) !=
	    0)
		return rc;
	file = c.bundle;
	if (c.dir == NULL)
		return cli_usage_error(&c.cli, "-C DIR is required");
	memset(&opts, 0, sizeof(opts));
	opts.lg = &c.lg;
	opts.base = c.base;
	lerr_clear(&err);
	if (bundle_sig_run_begin(&run, &c.sig, file, &err) != 0) {
		bundle_sig_run_end(&run);
		return cli_fail(&err);
	}
	opts.head = bundle_sig_check_head;
	opts.head_ctx = &run.check;
	rc = bundle_extract(file, c.dir, &opts, &err);
	if (rc == 0)
		bundle_sig_run_accept(&run, &c.lg);
	if (rc == 0 && !c.lg.json)
		bundle_sig_run_report(&run, stdout);
	bundle_sig_run_end(&run);
	if (rc != 0)
		return cli_fail(&err);
	if (c.lg.json)
		cli_print_json(json_pack("{s:b, s:s}", "ok", 1, "directory", c.dir));
	else
		printf("%s: verified and extracted into %s\n", file, c.dir);
	return 0;
}

static const struct cli_verb verbs[] = {
    {"create", verb_create, "fetch the images of a spec and write one bundle"},
    {"inspect", verb_inspect, "show what a bundle holds and who signed it (reads only its head)"},
    {"verify", verb_verify, "check the signature, then every entry against lading.json"},
    {"extract", verb_extract, "verify and unpack into a new directory"},
    {"push", bundle_cmd_push, "verify the signature, then push into a registry (every entry checked as it is read)"},
    {"sign", bundle_sig_verb_sign, "sign an existing bundle (rewrites it atomically)"},
    {"split", bundle_cmd_split, "cut a bundle into volumes for removable media, each one verifiable alone"},
    {"diff", bundle_cmd_diff, "what changed between two bundles: images, blobs and bytes, other entries"},
    {NULL, NULL, NULL},
};

int cmd_bundle(int argc, char **argv)
{
	return cli_dispatch("lading bundle", verbs, argc, argv);
}
