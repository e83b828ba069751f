/* `lading key`: generate minisign key pairs, sign and verify any file (lading-key(1)). */
#include "sign/cmd_key.h"

#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sign/keypass.h"
#include "sign/minisign.h"
#include "sign/trust.h"
#include "lib/buf.h"
#include "lib/cli.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

/* A legacy "Ed" signature needs the whole file in memory; bigger files need "ED". */
#define LEGACY_FILE_MAX (64u << 20)

/* Runs the parser to its end; returns -1 to go on, else the exit status to return now. */
static int parse_done(struct cli *cli, int last)
{
	if (last < 0 || cli->help)
		return cli_finish(cli);
	return -1;
}

static const struct cli_option generate_options[] = {
    {"output", 'o', "NAME", 'o', "where to write NAME.key and NAME.pub (required)"},
    {"unencrypted", 0, NULL, 'u', "store the secret key without a password (CI keys)"},
    {"force", 0, NULL, 'f', "replace existing key files"},
    {"comment", 0, "TEXT", 'c', "the untrusted comment of both files"},
    {"purpose", 0, "bundle|release", 'p', "what the key signs: bundles (default) or released binaries"},
    {NULL, 0, NULL, 0, NULL},
};

struct generate_opts {
	const char *name;
	const char *comment;
	int purpose;
	int unencrypted;
	int force;
};

static int generate_parse(int argc, char **argv, struct generate_opts *opts)
{
	struct cli cli;
	int c, status;

	memset(opts, 0, sizeof(*opts));
	opts->purpose = MINISIGN_PURPOSE_BUNDLE;
	cli_init(&cli, "lading key generate",
		 "-o NAME [--purpose bundle|release] [--unencrypted] [--force] [--comment TEXT]", generate_options,
		 CLI_VERBOSE | CLI_QUIET, argc, argv);
	cli.summary = "Writes NAME.key (secret, mode 0600, encrypted with a password from $LADING_KEY_PASSWORD\n"
		      "or the terminal) and NAME.pub (public, mode 0644), both in minisign's format.";
	while ((c = cli_next(&cli)) > 0) {
		if (c == 'o')
			opts->name = cli.arg;
		else if (c == 'u')
			opts->unencrypted = 1;
		else if (c == 'f')
			opts->force = 1;
		else if (c == 'p' && strcmp(cli.arg, "bundle") == 0)
			opts->purpose = MINISIGN_PURPOSE_BUNDLE;
		else if (c == 'p' && strcmp(cli.arg, "release") == 0)
			opts->purpose = MINISIGN_PURPOSE_RELEASE;
		else if (c == 'p') {
			cli_usage_error(&cli, "--purpose '%s': want bundle or release", cli.arg);
			cli_free(&cli);
			return 2;
		} else
			opts->comment = cli.arg;
	}
	if ((status = parse_done(&cli, c)) < 0) {
		if (cli_operands(&cli, 0, 0, "no operands") != 0)
			status = 2;
		else if (opts->name == NULL || opts->name[0] == '\0')
			status = cli_usage_error(&cli, "-o NAME is required");
	}
	cli_free(&cli);
	return status;
}

static int generate_write(const struct generate_opts *opts, const char *sec_text, const char *pub_text,
			  const char *key_path, const char *pub_path, struct lerr *err)
{
	if (minisign_key_file_write(key_path, sec_text, 0600, opts->force, err) != 0)
		return -1;
	if (minisign_key_file_write(pub_path, pub_text, 0644, opts->force, err) != 0) {
		unlink(key_path);
		return -1;
	}
	return 0;
}

static int key_generate(int argc, char **argv)
{
	struct generate_opts opts;
	struct minisign_seckey sk;
	struct minisign_pubkey pk;
	char password[MINISIGN_PASSWORD_MAX];
	char id[MINISIGN_KEY_ID_HEX];
	const char *sec_comment;
	char *key_path = NULL;
	char *pub_path = NULL;
	char *sec_text = NULL;
	char *pub_text = NULL;
	struct lerr err;
	int status;

	if ((status = generate_parse(argc, argv, &opts)) >= 0)
		return status;
	lerr_clear(&err);
	memset(password, 0, sizeof(password));
	status = 1;
	if (opts.comment != NULL && minisign_comment_check(opts.comment, strlen(opts.comment), "--comment", &err) != 0)
		goto out;
	key_path = xasprintf("%s.key", opts.name);
	pub_path = xasprintf("%s.pub", opts.name);
	if (!opts.force && (fs_exists(key_path) || fs_exists(pub_path))) {
		lerr_set(&err, LADING_ERR_USAGE, "'%s' already exists (use --force to replace it)",
			 fs_exists(key_path) ? key_path : pub_path);
		goto out;
	}
	if (!opts.unencrypted && keypass_new(password, sizeof(password), &err) != 0)
		goto out;
	if (minisign_keypair_generate(&sk, &pk, &err) != 0)
		goto out;
	sk.purpose = pk.purpose = opts.purpose;
	sec_comment = opts.unencrypted ? "lading unencrypted secret key" : "lading encrypted secret key";
	if (opts.comment != NULL)
		sec_comment = opts.comment;
	sec_text = minisign_seckey_format(&sk, opts.unencrypted ? NULL : password, MINISIGN_OPSLIMIT_DEFAULT,
					  MINISIGN_MEMLIMIT_DEFAULT, sec_comment, &err);
	minisign_seckey_wipe(&sk);
	if (sec_text == NULL)
		goto out;
	pub_text = minisign_pubkey_format(&pk, opts.comment);
	if (generate_write(&opts, sec_text, pub_text, key_path, pub_path, &err) != 0)
		goto out;
	minisign_key_id_hex(pk.key_id, id);
	printf("key %s (purpose %s): secret key %s, public key %s\n", id, minisign_purpose_name(opts.purpose), key_path,
	       pub_path);
	status = 0;
out:
	OPENSSL_cleanse(password, sizeof(password));
	if (sec_text != NULL) {
		OPENSSL_cleanse(sec_text, strlen(sec_text));
		free(sec_text);
	}
	free(pub_text);
	free(key_path);
	free(pub_path);
	return status == 0 ? 0 : cli_fail(&err);
}

static const struct cli_option sign_options[] = {
    {"key", 'k', "KEY", 'k', "the secret key (minisign or lading format); required"},
    {"trusted-comment", 't', "TEXT", 't', "signed with the signature (default: timestamp and file name)"},
    {"untrusted-comment", 'c', "TEXT", 'c', "the untrusted comment"},
    {"sig", 'x', "SIGFILE", 'x', "where to write the signature (default FILE.minisig)"},
    {NULL, 0, NULL, 0, NULL},
};

static char *default_trusted_comment(const char *file)
{
	char *copy = xstrdup(file);
	char *text = xasprintf("timestamp:%lld\tfile:%s\thashed", (long long)time(NULL), basename(copy));

	free(copy);
	return text;
}

static int sign_file(const char *file, const char *key_path, const char *trusted, const char *untrusted,
		     const char *sig_path, struct lerr *err)
{
	struct minisign_seckey sk;
	struct minisign_sig sig;
	uint8_t digest[MINISIGN_HASH_LEN];
	char *what = xasprintf("'%s'", file);
	char *comment = trusted != NULL ? xstrdup(trusted) : default_trusted_comment(file);
	char *text = NULL;
	int fd = -1;
	int r = -1;

	memset(&sig, 0, sizeof(sig));
	if (minisign_seckey_load(&sk, key_path, keypass_read, NULL, err) != 0)
		goto out;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		lerr_sys(err, "cannot open '%s'", file);
		goto out;
	}
	if (minisign_hash_fd(fd, what, digest, err) != 0 ||
	    minisign_sign_prehashed(&sig, &sk, digest, comment, untrusted, err) != 0)
		goto out;
	text = minisign_sig_format(&sig);
	r = fs_write_file(sig_path, text, strlen(text), 0644, err);
out:
	minisign_seckey_wipe(&sk);
	if (fd >= 0)
		close(fd);
	minisign_sig_free(&sig);
	free(text);
	free(comment);
	free(what);
	return r;
}

static int key_sign(int argc, char **argv)
{
	const char *key_path = NULL, *trusted = NULL, *untrusted = NULL, *sig_opt = NULL, *file;
	char *sig_path;
	struct cli cli;
	struct lerr err;
	int c;
	int r;

	cli_init(&cli, "lading key sign", "--key KEY [options] FILE", sign_options, CLI_VERBOSE | CLI_QUIET, argc,
		 argv);
	cli.summary = "Writes FILE.minisig: a minisign signature (prehashed, 'ED') that minisign -V accepts.";
	while ((c = cli_next(&cli)) > 0) {
		if (c == 'k')
			key_path = cli.arg;
		else if (c == 't')
			trusted = cli.arg;
		else if (c == 'c')
			untrusted = cli.arg;
		else
			sig_opt = cli.arg;
	}
	if ((r = parse_done(&cli, c)) < 0) {
		if (cli_operands(&cli, 1, 1, "exactly one FILE") != 0)
			r = 2;
		else if (key_path == NULL)
			r = cli_usage_error(&cli, "--key KEY is required");
	}
	file = r < 0 ? cli.operands[0] : NULL;
	cli_free(&cli);
	if (r >= 0)
		return r;
	lerr_clear(&err);
	sig_path = sig_opt != NULL ? xstrdup(sig_opt) : xasprintf("%s.minisig", file);
	r = sign_file(file, key_path, trusted, untrusted, sig_path, &err);
	if (r == 0)
		printf("signed %s: %s\n", file, sig_path);
	free(sig_path);
	return r == 0 ? 0 : cli_fail(&err);
}

static const struct cli_option verify_options[] = {
    {"pubkey", 'p', "PUB", 'p', "trust this public key (repeatable)"},
    {"sig", 'x', "SIGFILE", 'x', "the signature (default FILE.minisig)"},
    {NULL, 0, NULL, 0, NULL},
};

static int verify_file(const char *file, const struct trust_set *ts, const struct minisign_sig *sig,
		       const char *sig_path, const struct trust_key **signer, struct lerr *err)
{
	struct buf data = BUF_INIT(LEGACY_FILE_MAX);
	uint8_t digest[MINISIGN_HASH_LEN];
	char *what = xasprintf("'%s'", sig_path);
	char *file_what = xasprintf("'%s'", file);
	int fd = -1;
	int r = -1;

	if (!sig->prehashed) {
		if (fs_read_file(file, &data, err) != 0) {
			if (err->code == LADING_ERR_LIMIT)
				lerr_set(err, LADING_ERR_LIMIT,
					 "%s: legacy 'Ed' signature over a file larger than %u MiB; only prehashed "
					 "'ED' signatures are verified streaming (re-sign without minisign -l)",
					 what, LEGACY_FILE_MAX >> 20);
			goto out;
		}
		r = trust_verify_mem(ts, sig, data.data, data.len, what, signer, err);
		goto out;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		lerr_sys(err, "cannot open '%s'", file);
		goto out;
	}
	if (minisign_hash_fd(fd, file_what, digest, err) != 0)
		goto out;
	r = trust_verify_prehashed(ts, sig, digest, what, signer, err);
out:
	if (fd >= 0)
		close(fd);
	buf_free(&data);
	free(what);
	free(file_what);
	return r;
}

static int key_verify(int argc, char **argv)
{
	char **pubkeys = xcalloc((size_t)argc + 1, sizeof(*pubkeys));
	const struct trust_key *signer = NULL;
	const char *sig_opt = NULL, *file = NULL;
	struct minisign_sig sig;
	struct trust_set ts;
	char id[MINISIGN_KEY_ID_HEX];
	char *sig_path = NULL;
	struct cli cli;
	struct lerr err;
	size_t count = 0;
	int status;
	int c;

	trust_init(&ts);
	memset(&sig, 0, sizeof(sig));
	lerr_clear(&err);
	cli_init(&cli, "lading key verify", "[--pubkey PUB]... [-x SIGFILE] [-q] FILE", verify_options,
		 CLI_VERBOSE | CLI_QUIET, argc, argv);
	cli.summary = "Checks FILE.minisig (minisign 'ED' or legacy 'Ed') and its trusted comment against the\n"
		      "trusted keys: every --pubkey, or else every *.pub in $LADING_TRUST_DIR (/etc/lading/trust.d).";
	while ((c = cli_next(&cli)) > 0) {
		if (c == 'p')
			pubkeys[count++] = (char *)cli.arg;
		else
			sig_opt = cli.arg;
	}
	if ((status = parse_done(&cli, c)) >= 0)
		goto out;
	if (cli_operands(&cli, 1, 1, "exactly one FILE") != 0) {
		status = 2;
		goto out;
	}
	file = cli.operands[0];
	sig_path = sig_opt != NULL ? xstrdup(sig_opt) : xasprintf("%s.minisig", file);
	if (trust_load(&ts, pubkeys, count, &err) != 0 || minisign_sig_load(&sig, sig_path, &err) != 0 ||
	    verify_file(file, &ts, &sig, sig_path, &signer, &err) != 0) {
		status = cli_fail(&err);
		goto out;
	}
	minisign_key_id_hex(signer->pubkey.key_id, id);
	if (!cli.quiet)
		printf("verified %s: signed by key %s (%s)\ntrusted comment: %s\n", file, id, signer->path,
		       sig.trusted_comment);
	status = 0;
out:
	cli_free(&cli);
	minisign_sig_free(&sig);
	trust_free(&ts);
	free(sig_path);
	free(pubkeys);
	return status;
}

static const struct cli_verb key_verbs[] = {
    {"generate", key_generate, "write a new key pair NAME.key / NAME.pub"},
    {"sign", key_sign, "sign any file (FILE.minisig, minisign-compatible)"},
    {"verify", key_verify, "verify FILE.minisig against trusted public keys"},
    {NULL, NULL, NULL},
};

int cmd_key(int argc, char **argv)
{
	return cli_dispatch("lading key", key_verbs, argc, argv);
}
