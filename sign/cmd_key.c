/* `lading key`: generate minisign key pairs, sign and verify any file (lading-key(1)). */
#define _GNU_SOURCE
#include "sign/cmd_key.h"

#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sign/keypass.h"
#include "sign/minisign.h"
#include "sign/trust.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

/* A legacy "Ed" signature needs the whole file in memory; bigger files need "ED". */
#define LEGACY_FILE_MAX (64u << 20)

static int fail(const struct lerr *err)
{
	fprintf(stderr, "lading: %s\n", err->msg);
	return lerr_exit_code(err);
}

static int usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lading: key %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'lading key %s --help')\n", verb);
	return 2;
}

static const char generate_usage[] =
    "usage: lading key generate -o NAME [--unencrypted] [--force] [--comment TEXT]\n"
    "Writes NAME.key (secret, mode 0600, encrypted with a password from $LADING_KEY_PASSWORD\n"
    "or the terminal) and NAME.pub (public, mode 0644), both in minisign's format.\n"
    "  -o, --output NAME   where to write NAME.key and NAME.pub\n"
    "      --unencrypted   store the secret key without a password (CI keys)\n"
    "      --force         replace existing key files\n"
    "      --comment TEXT  the untrusted comment of both files\n";

struct generate_opts {
	const char *name;
	const char *comment;
	int unencrypted;
	int force;
};

static int generate_parse(int argc, char **argv, struct generate_opts *opts)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'}, {"unencrypted", no_argument, NULL, 'u'},
	    {"force", no_argument, NULL, 'f'},	      {"comment", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	int c;

	memset(opts, 0, sizeof(*opts));
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			opts->name = optarg;
			break;
		case 'u':
			opts->unencrypted = 1;
			break;
		case 'f':
			opts->force = 1;
			break;
		case 'c':
			opts->comment = optarg;
			break;
		case 'h':
			fputs(generate_usage, stdout);
			return 0;
		default:
			return usage_error("generate", "bad option");
		}
	}
	if (optind != argc)
		return usage_error("generate", "unexpected argument '%s'", argv[optind]);
	if (opts->name == NULL || opts->name[0] == '\0')
		return usage_error("generate", "-o NAME is required");
	return -1;
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
	printf("key %s: secret key %s, public key %s\n", id, key_path, pub_path);
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
	return status == 0 ? 0 : fail(&err);
}

static const char sign_usage[] =
    "usage: lading key sign FILE --key KEY [--trusted-comment TEXT] [--untrusted-comment TEXT] [-x SIGFILE]\n"
    "Writes FILE.minisig: a minisign signature (prehashed, 'ED') that minisign -V accepts.\n"
    "  -k, --key KEY              the secret key (minisign or lading format)\n"
    "  -t, --trusted-comment TEXT signed with the signature (default: timestamp and file name)\n"
    "  -c, --untrusted-comment TEXT\n"
    "  -x, --sig SIGFILE          where to write the signature (default FILE.minisig)\n";

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
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"trusted-comment", required_argument, NULL, 't'},
	    {"untrusted-comment", required_argument, NULL, 'c'},
	    {"sig", required_argument, NULL, 'x'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *key_path = NULL, *trusted = NULL, *untrusted = NULL, *sig_opt = NULL;
	char *sig_path;
	struct lerr err;
	int c;
	int r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:t:c:x:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key_path = optarg;
			break;
		case 't':
			trusted = optarg;
			break;
		case 'c':
			untrusted = optarg;
			break;
		case 'x':
			sig_opt = optarg;
			break;
		case 'h':
			fputs(sign_usage, stdout);
			return 0;
		default:
			return usage_error("sign", "bad option");
		}
	}
	if (optind + 1 != argc)
		return usage_error("sign", "exactly one FILE is required");
	if (key_path == NULL)
		return usage_error("sign", "--key KEY is required");
	lerr_clear(&err);
	sig_path = sig_opt != NULL ? xstrdup(sig_opt) : xasprintf("%s.minisig", argv[optind]);
	r = sign_file(argv[optind], key_path, trusted, untrusted, sig_path, &err);
	if (r == 0)
		printf("signed %s: %s\n", argv[optind], sig_path);
	free(sig_path);
	return r == 0 ? 0 : fail(&err);
}

static const char verify_usage[] =
    "usage: lading key verify FILE [--pubkey PUB]... [-x SIGFILE] [-q]\n"
    "Checks FILE.minisig (minisign 'ED' or legacy 'Ed') and its trusted comment against the\n"
    "trusted keys: every --pubkey, or else every *.pub in $LADING_TRUST_DIR (/etc/lading/trust.d).\n"
    "  -p, --pubkey PUB  trust this public key (repeatable)\n"
    "  -x, --sig SIGFILE the signature (default FILE.minisig)\n"
    "  -q, --quiet       print nothing on success\n";

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
	static const struct option longopts[] = {
	    {"pubkey", required_argument, NULL, 'p'},
	    {"sig", required_argument, NULL, 'x'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char **pubkeys = xcalloc((size_t)argc + 1, sizeof(*pubkeys));
	const struct trust_key *signer = NULL;
	const char *sig_opt = NULL;
	struct minisign_sig sig;
	struct trust_set ts;
	char id[MINISIGN_KEY_ID_HEX];
	char *sig_path = NULL;
	struct lerr err;
	size_t count = 0;
	int quiet = 0;
	int status = 2;
	int c;

	trust_init(&ts);
	memset(&sig, 0, sizeof(sig));
	lerr_clear(&err);
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:x:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pubkeys[count++] = optarg;
			break;
		case 'x':
			sig_opt = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(verify_usage, stdout);
			status = 0;
			goto out;
		default:
			status = usage_error("verify", "bad option");
			goto out;
		}
	}
	if (optind + 1 != argc) {
		status = usage_error("verify", "exactly one FILE is required");
		goto out;
	}
	sig_path = sig_opt != NULL ? xstrdup(sig_opt) : xasprintf("%s.minisig", argv[optind]);
	if (trust_load(&ts, pubkeys, count, &err) != 0 || minisign_sig_load(&sig, sig_path, &err) != 0 ||
	    verify_file(argv[optind], &ts, &sig, sig_path, &signer, &err) != 0) {
		status = fail(&err);
		goto out;
	}
	minisign_key_id_hex(signer->pubkey.key_id, id);
	if (!quiet)
		printf("verified %s: signed by key %s (%s)\ntrusted comment: %s\n", argv[optind], id, signer->path,
		       sig.trusted_comment);
	status = 0;
out:
	minisign_sig_free(&sig);
	trust_free(&ts);
	free(sig_path);
	free(pubkeys);
	return status;
}

struct key_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct key_verb key_verbs[] = {
    {"generate", key_generate, "write a new key pair NAME.key / NAME.pub"},
    {"sign", key_sign, "sign any file (FILE.minisig, minisign-compatible)"},
    {"verify", key_verify, "verify FILE.minisig against trusted public keys"},
    {NULL, NULL, NULL},
};

static void key_usage(FILE *out)
{
	const struct key_verb *verb;

	fprintf(out, "usage: lading key <verb> [options]\n\nverbs:\n");
	for (verb = key_verbs; verb->name != NULL; verb++)
		fprintf(out, "  %-9s %s\n", verb->name, verb->summary);
	fprintf(out, "\nRun 'lading key <verb> --help' for its options; see lading-key(1).\n");
}

int cmd_key(int argc, char **argv)
{
	const struct key_verb *verb;

	if (argc < 2) {
		key_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		key_usage(stdout);
		return 0;
	}
	for (verb = key_verbs; verb->name != NULL; verb++)
		if (strcmp(verb->name, argv[1]) == 0)
			return verb->run(argc - 1, argv + 1);
	fprintf(stderr, "lading: key: unknown verb '%s' (see 'lading key --help')\n", argv[1]);
	return 2;
}
