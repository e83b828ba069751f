/*
 * Signatures in `lading bundle`: trust options for verify/extract/inspect,
 * create --sign, and the sign verb (lading-bundle(1), lading-key(1)).
 */
#include "bundle/cmd_bundle_sig.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle/format/extract.h"
#include "sign/keypass.h"
#include "bundle/format/manifest.h"
#include "bundle/format/reader.h"
#include "bundle/format/writer.h"
#include "lib/cli.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/utctime.h"
#include "lib/xmalloc.h"

int bundle_sig_opts_add_pubkey(struct bundle_sig_opts *so, char *path)
{
	if (so->pubkey_count == BUNDLE_PUBKEYS_MAX)
		return -1;
	so->pubkeys[so->pubkey_count++] = path;
	return 0;
}

int bundle_sig_opts_expires(struct bundle_sig_opts *so, const char *text, struct lerr *err)
{
	int64_t seconds;

	if (duration_parse(text, &seconds) == 0) {
		so->expires = (int64_t)time(NULL) + seconds;
		return 0;
	}
	if (utc_time_parse(text, &seconds) == 0 && seconds > (int64_t)time(NULL)) {
		so->expires = seconds;
		return 0;
	}
	return lerr_set(err, LADING_ERR_USAGE,
			"--expires '%s': want a duration like 90d, 12h or 2w, or a future UTC time like "
			"2027-03-01T00:00:00Z",
			text);
}

int bundle_sig_run_begin(struct bundle_sig_run *run, const struct bundle_sig_opts *so, const char *file,
			 struct lerr *err)
{
	trust_init(&run->trust);
	run->what = xasprintf("'%s'", file);
	bundle_sig_check_init(&run->check, &run->trust, run->what, so->insecure);
	run->check.allow_expired = so->allow_expired;
	run->check.allow_downgrade = so->allow_downgrade;
	return trust_load(&run->trust, so->pubkeys, so->pubkey_count, err);
}

void bundle_sig_run_report(const struct bundle_sig_run *run, FILE *out)
{
	const struct bundle_sig_check *c = &run->check;

	if (c->verified)
		fprintf(out, "%s: signed by key %s (%s)\n", run->what, c->key_id, c->signer_path);
	else if (c->problem.code != LADING_OK)
		fprintf(stderr, "lading: warning: --insecure-skip-signature: %s\n", c->problem.msg);
}

void bundle_sig_run_accept(const struct bundle_sig_run *run, const struct logger *lg)
{
	struct lerr err;

	lerr_clear(&err);
	if (bundle_sig_check_record(&run->check, &err) != 0)
		log_msg(lg, LOG_WARN,
			"%s: not recorded as accepted, so an older bundle of this name is not refused: %s", run->what,
			err.msg);
}

void bundle_sig_run_end(struct bundle_sig_run *run)
{
	bundle_sig_check_free(&run->check);
	trust_free(&run->trust);
	free(run->what);
	run->what = NULL;
}

/* The writer's hook: keeps the exact lading.json for the detached signature, then signs it. */
static int create_sign_hook(void *ctx, const char *json, size_t json_len, struct buf *sig, struct lerr *err)
{
	struct bundle_sig_create *sc = ctx;

	free(sc->json);
	sc->json = xmalloc(json_len + 1);
	memcpy(sc->json, json, json_len);
	sc->json[json_len] = '\0';
	sc->json_len = json_len;
	return bundle_sig_sign_json(&sc->signer, json, json_len, sig, err);
}

int bundle_sig_create_begin(struct bundle_sig_create *sc, const struct bundle_sig_opts *so,
			    struct bundle_create_opts *opts, struct lerr *err)
{
	memset(sc, 0, sizeof(*sc));
	if (bundle_signer_load(&sc->signer, so->sign_key, keypass_read, NULL, err) != 0)
		return -1;
	sc->signer.expires = so->expires;
	sc->loaded = 1;
	opts->sign = create_sign_hook;
	opts->sign_ctx = sc;
	return 0;
}

int bundle_sig_create_finish(struct bundle_sig_create *sc, const char *out_path, struct lerr *err)
{
	int r;

	if (sc->json == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "'%s': lading.json was never signed", out_path);
	r = bundle_sig_sign_file(&sc->signer, out_path, sc->json, sc->json_len, err);
	bundle_signer_wipe(&sc->signer); /* the last signature is made: the key goes now, not at exit */
	return r;
}

void bundle_sig_create_end(struct bundle_sig_create *sc)
{
	if (sc->loaded)
		bundle_signer_wipe(&sc->signer);
	free(sc->json);
	sc->json = NULL;
}

static void describe_text(const struct bundle_sig_check *c, struct buf *text)
{
	if (c->verified)
		buf_printf(text, "VERIFIED lading.json is signed by a trusted key; 'lading bundle verify' checks every "
				 "entry against it\n");
	else
		buf_printf(text, "NOT VERIFIED: nothing below is authenticated; it is what the file claims\n");
	if (!c->is_signed)
		buf_printf(text, "signer   none: %s\n", c->problem.msg);
	else if (c->verified)
		buf_printf(text, "signer   key %s, trusted here (%s), signature valid\n", c->key_id, c->signer_path);
	else if (!c->trusted)
		buf_printf(text, "signer   key %s, NOT trusted here\n", c->key_id);
	else
		buf_printf(text, "signer   key %s, trusted here, but INVALID: %s\n", c->key_id, c->problem.msg);
	if (c->trusted_comment != NULL)
		buf_printf(text, "comment  %s\n", c->trusted_comment);
}

int bundle_sig_describe(const char *file, const struct bundle_sig_opts *so, struct buf *text, json_t **json,
			struct lerr *err)
{
	struct bundle_sig_opts insecure = *so;
	struct bundle_reader *reader = NULL;
	struct bundle_sig_run run;
	const char *head, *sig;
	size_t head_len, sig_len;
	int r = -1;

	insecure.insecure = 1; /* inspect describes; it never refuses */
	trust_init(&run.trust);
	run.what = xasprintf("'%s'", file);
	bundle_sig_check_init(&run.check, &run.trust, run.what, 1);
	if (trust_load(&run.trust, insecure.pubkeys, insecure.pubkey_count, err) != 0 ||
	    bundle_reader_open_volume(&reader, file, err) != 0)
		goto out;
	bundle_reader_head(reader, &head, &head_len, &sig, &sig_len);
	if (bundle_sig_check_head(&run.check, head, head_len, sig, sig_len, NULL, err) != 0)
		goto out;
	if (text != NULL)
		describe_text(&run.check, text);
	if (json != NULL)
		*json = run.check.is_signed ? json_pack("{s:s, s:b, s:b, s:s, s:s?}", "key_id", run.check.key_id,
							"trusted", run.check.trusted, "verified", run.check.verified,
							"trusted_comment", run.check.trusted_comment, "problem",
							run.check.verified ? NULL : run.check.problem.msg)
					    : json_null();
	r = 0;
out:
	if (reader != NULL)
		bundle_reader_close(reader);
	bundle_sig_run_end(&run);
	return r;
}

/* Rewrites file with a new lading.json.minisig: every entry is extracted (and so verified) first. */
static int resign(const char *file, const struct bundle_signer *signer, const struct logger *lg, struct lerr *err)
{
	struct bundle_extract_opts xopts = {NULL, NULL, lg, NULL, 1};
	struct bundle_write_opts wopts = {0, 0, NULL, NULL, lg};
	struct bundle_manifest m;
	struct bundle_reader *reader = NULL;
	struct buf sig = BUF_INIT(0);
	char *staging = xasprintf("%s.signing.%ld", file, (long)getpid());
	const char *head, *old_sig;
	size_t head_len, old_len, i;
	char *json = NULL;
	size_t json_len = 0;
	int r = -1;

	memset(&m, 0, sizeof(m));
	if (bundle_reader_open_volume(&reader, file, err) != 0)
		goto out;
	if (bundle_reader_volume(reader) != NULL) {
		lerr_set(err, LADING_ERR_USAGE,
			 "%s is a volume of set '%s': sign the whole bundle, then cut it again with bundle split", file,
			 bundle_reader_volume(reader)->set);
		goto out;
	}
	bundle_reader_head(reader, &head, &head_len, &old_sig, &old_len);
	json = xmalloc(head_len + 1);
	memcpy(json, head, head_len);
	json_len = head_len;
	bundle_reader_close(reader);
	reader = NULL;
	if (bundle_manifest_parse(json, json_len, &m, err) != 0 || bundle_manifest_sort(&m, err) != 0 ||
	    bundle_extract(file, staging, &xopts, err) != 0)
		goto out;
	for (i = 0; i < m.entry_count; i++) {
		char *src;

		if (m.entries[i].in_base)
			continue;
		src = xasprintf("%s/%s", staging, m.entries[i].path);

		bundle_entry_set_file(&m.entries[i], src);
		free(src);
	}
	if (bundle_sig_sign_json((void *)signer, json, json_len, &sig, err) != 0 ||
	    bundle_write_signed(file, &m, json, json_len, sig.data, sig.len, &wopts, err) != 0 ||
	    bundle_sig_sign_file(signer, file, json, json_len, err) != 0)
		goto out;
	r = 0;
out:
	if (reader != NULL)
		bundle_reader_close(reader);
	if (fs_exists(staging))
		fs_remove_tree(staging, NULL);
	bundle_manifest_free(&m);
	buf_free(&sig);
	free(staging);
	free(json);
	return r;
}

static const struct cli_option sign_options[] = {
    {"key", 'k', "KEY", 'k', "the secret key (lading key generate, or minisign -G); required"},
    {"expires", 0, "D|TIME", 'e', BUNDLE_SIG_EXPIRES_HELP},
    {NULL, 0, NULL, 0, NULL},
};

int bundle_sig_verb_sign(int argc, char **argv)
{
	struct bundle_signer signer;
	struct bundle_sig_opts so;
	struct logger lg;
	struct cli cli;
	const char *key_path = NULL;
	const char *file;
	struct lerr err;
	int opt;
	int r;

	cli_init(&cli, "lading bundle sign", "--key KEY [options] FILE", sign_options, CLI_VERBOSE | CLI_QUIET, argc,
		 argv);
	cli.summary = "Signs an existing bundle: every entry is verified, then FILE is rewritten atomically\n"
		      "with lading.json.minisig as its second entry, and FILE.minisig is written next to it.";
	memset(&so, 0, sizeof(so));
	lerr_clear(&err);
	while ((opt = cli_next(&cli)) > 0) {
		if (opt == 'k')
			key_path = cli.arg;
		else if (bundle_sig_opts_expires(&so, cli.arg, &err) != 0) {
			cli_free(&cli);
			return cli_fail(&err);
		}
	}
	if (opt < 0 || cli.help) {
		r = cli_finish(&cli);
		cli_free(&cli);
		return r;
	}
	if (cli_operands(&cli, 1, 1, "one bundle file") != 0 ||
	    (key_path == NULL && cli_usage_error(&cli, "--key KEY is required") != 0)) {
		cli_free(&cli);
		return 2;
	}
	file = cli.operands[0];
	cli_logger(&cli, &lg);
	cli_free(&cli);
	if (bundle_signer_load(&signer, key_path, keypass_read, NULL, &err) != 0)
		return cli_fail(&err);
	signer.expires = so.expires;
	r = resign(file, &signer, &lg, &err);
	if (r == 0)
		printf("%s: signed by key %s (and %s.minisig)\n", file, signer.key_id, file);
	bundle_signer_wipe(&signer);
	return r != 0 ? cli_fail(&err) : 0;
}
