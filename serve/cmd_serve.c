/*
 * `lading serve DIR-or-BUNDLE`: parse options, load what is served, open the
 * socket, start the server and wait for SIGTERM/SIGINT.
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread (the mask is set
 * before the server threads exist, so they inherit it) and taken with
 * sigwait() in this thread; no signal handler runs and no global state is
 * needed. SIGPIPE is ignored: a client closing early is an error on that
 * connection only.
 */
#define _GNU_SOURCE
#include "serve/cmd_serve.h"

#include <getopt.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "serve/content.h"
#include "serve/listen.h"
#include "serve/server.h"
#include "serve/source.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:5000"
#define SERVE_PEM_MAX (1u << 20)
#define SERVE_GRACE_SECONDS 10

struct serve_cmd {
	const char *source;
	const char *listen;
	const char *tls_cert;
	const char *tls_key;
	int plain_http;
	const char *base_url;
	struct naming_opts naming;
	unsigned threads;
	char **pubkeys; /* --pubkey, repeatable */
	size_t pubkey_count;
	const char *cache_dir;
	int insecure_skip_signature;
	struct logger lg;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: lading serve DIR-or-BUNDLE (--tls-cert FILE --tls-key FILE | --plain-http) [options]\n"
		     "\n"
		     "Serve images (read-only OCI registry under /v2/), Helm charts (/charts/index.yaml),\n"
		     "a Terraform provider network mirror (/providers/) and files (/files/).\n"
		     "\n"
		     "  --listen HOST:PORT     address to listen on (default " SERVE_DEFAULT_LISTEN
		     "; :PORT = all interfaces)\n"
		     "  --tls-cert FILE        PEM certificate (chain) for HTTPS\n"
		     "  --tls-key FILE         PEM private key for HTTPS\n"
		     "  --plain-http           serve plain HTTP instead of HTTPS\n"
		     "  --prefix PREFIX        serve images under PREFIX/ (as bundle push --prefix)\n"
		     "  --keep-host            keep the source registry host in names (as bundle push --keep-host)\n"
		     "  --advertise-url URL    base URL written into the Helm index (default: from the Host header)\n"
		     "  --threads N            worker threads (default 8)\n"
		     "  --pubkey FILE          trusted public key for a bundle's signature (repeatable;\n"
		     "                         default: every *.pub in $LADING_TRUST_DIR or /etc/lading/trust.d)\n"
		     "  --cache-dir DIR        where a bundle is extracted (default $LADING_CACHE/serve)\n"
		     "  --insecure-skip-signature  serve an unsigned or untrusted bundle (digests are still checked)\n"
		     "  --json                 access log as JSON lines on stdout\n"
		     "  -v, --verbose          more messages (-vv: debug)\n"
		     "  -h, --help             show this help\n");
}

static int parse_threads(const char *text, unsigned *out)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (*text == '\0' || *end != '\0' || value < 1 || value > 256)
		return -1;
	*out = (unsigned)value;
	return 0;
}

enum serve_option {
	OPT_LISTEN = 256,
	OPT_CERT,
	OPT_KEY,
	OPT_PLAIN,
	OPT_PREFIX,
	OPT_KEEP_HOST,
	OPT_URL,
	OPT_THREADS,
	OPT_JSON,
	OPT_PUBKEY,
	OPT_CACHE_DIR,
	OPT_INSECURE,
};

static const struct option serve_options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"tls-cert", required_argument, NULL, OPT_CERT},
    {"tls-key", required_argument, NULL, OPT_KEY},
    {"plain-http", no_argument, NULL, OPT_PLAIN},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"keep-host", no_argument, NULL, OPT_KEEP_HOST},
    {"advertise-url", required_argument, NULL, OPT_URL},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"json", no_argument, NULL, OPT_JSON},
    {"pubkey", required_argument, NULL, OPT_PUBKEY},
    {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
    {"insecure-skip-signature", no_argument, NULL, OPT_INSECURE},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Applies one option; returns 0, or 2 for a usage error. */
/* clang-format off */
static int set_option(struct serve_cmd *cmd, int opt, const char *arg)
{
	switch (opt) {
	case OPT_LISTEN: cmd->listen = arg; return 0;
	case OPT_CERT: cmd->tls_cert = arg; return 0;
	case OPT_KEY: cmd->tls_key = arg; return 0;
	case OPT_PLAIN: cmd->plain_http = 1; return 0;
	case OPT_PREFIX: cmd->naming.prefix = arg; return 0;
	case OPT_KEEP_HOST: cmd->naming.keep_host = 1; return 0;
	case OPT_URL: cmd->base_url = arg; return 0;
	case OPT_JSON: cmd->lg.json = 1; return 0;
	case OPT_CACHE_DIR: cmd->cache_dir = arg; return 0;
	case OPT_INSECURE: cmd->insecure_skip_signature = 1; return 0;
	case OPT_PUBKEY:
		cmd->pubkeys = xreallocarray(cmd->pubkeys, cmd->pubkey_count + 1, sizeof(*cmd->pubkeys));
		cmd->pubkeys[cmd->pubkey_count++] = (char *)arg;
		return 0;
	case 'v': cmd->lg.level = cmd->lg.level < LOG_INFO ? LOG_VERBOSE : cmd->lg.level + 1; return 0;
	case OPT_THREADS:
		if (parse_threads(arg, &cmd->threads) == 0)
			return 0;
		fprintf(stderr, "lading serve: --threads '%s': expected a number from 1 to 256\n", arg);
		return 2;
	default: usage(stderr); return 2;
	}
}

/* clang-format on */

/* Returns 0, or the exit status to leave with (*done set after --help). */
static int parse_options(int argc, char **argv, struct serve_cmd *cmd, int *done)
{
	int opt, status;

	*done = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "vh", serve_options, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			*done = 1;
			return 0;
		}
		if ((status = set_option(cmd, opt, optarg)) != 0)
			return status;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "lading serve: expected one DIR or BUNDLE (see 'lading serve --help')\n");
		return 2;
	}
	cmd->source = argv[optind];
	return 0;
}

static int check_options(const struct serve_cmd *cmd)
{
	struct lerr err;

	if (cmd->plain_http && (cmd->tls_cert || cmd->tls_key)) {
		fprintf(stderr, "lading serve: --plain-http and --tls-cert/--tls-key exclude each other\n");
		return 2;
	}
	if (!cmd->plain_http && (cmd->tls_cert == NULL || cmd->tls_key == NULL)) {
		fprintf(stderr, "lading serve: give --tls-cert FILE and --tls-key FILE, or --plain-http\n");
		return 2;
	}
	if (naming_prefix_check(cmd->naming.prefix, &err) != 0) {
		fprintf(stderr, "lading serve: %s\n", err.msg);
		return 2;
	}
	if (cmd->base_url && strncmp(cmd->base_url, "http://", 7) != 0 && strncmp(cmd->base_url, "https://", 8) != 0) {
		fprintf(stderr, "lading serve: --advertise-url '%s': expected http://... or https://...\n",
			cmd->base_url);
		return 2;
	}
	return 0;
}

static void print_summary(const struct serve_cmd *cmd, const struct serve_content *content, const char *url)
{
	struct serve_catalog_stats stats = {0, 0, 0, 0};
	char size[32];

	if (content->catalog != NULL)
		serve_catalog_stats(content->catalog, &stats);
	log_format_bytes(stats.bytes, size, sizeof(size));
	if (cmd->lg.json) {
		printf("{\"event\":\"listening\",\"url\":\"%s\",\"images\":%zu,\"repositories\":%zu,\"blobs\":%zu,"
		       "\"bytes\":%llu,\"chart_files\":%zu,\"provider_files\":%zu,\"files\":%zu}\n",
		       url, stats.images, stats.repositories, stats.blobs, (unsigned long long)stats.bytes,
		       serve_tree_count(content->charts), serve_tree_count(content->providers),
		       serve_tree_count(content->files));
		fflush(stdout);
	}
	fprintf(stderr,
		"lading: serving '%s' on %s: %zu images in %zu repositories (%zu blobs, %s), %zu chart files, "
		"%zu provider files, %zu plain files\n",
		cmd->source, url, stats.images, stats.repositories, stats.blobs, size,
		serve_tree_count(content->charts), serve_tree_count(content->providers),
		serve_tree_count(content->files));
}

static int read_pem(const char *path, const char *what, struct buf *pem, struct lerr *err)
{
	if (fs_read_file(path, pem, err) != 0)
		return lerr_prefix(err, "%s", what);
	if (strstr(pem->data, "-----BEGIN ") == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "%s '%s': not a PEM file", what, path);
	return 0;
}

/*
 * Each connection and each answer in flight holds a descriptor: raise the soft
 * limit to the hard one so the connection limit, not EMFILE, is what binds.
 * Failing only leaves the lower limit in place, so it is not an error.
 */
static void raise_fd_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &limit);
	}
}

/* Waits for SIGTERM or SIGINT (blocked in all threads), returns the signal. */
static int wait_for_stop(const sigset_t *stop)
{
	int sig = 0;

	while (sigwait(stop, &sig) != 0)
		;
	return sig;
}

static int run(struct serve_cmd *cmd, const struct serve_content *content, const sigset_t *stop)
{
	struct buf cert = BUF_INIT(SERVE_PEM_MAX), key = BUF_INIT(SERVE_PEM_MAX);
	struct serve_server_opts opts;
	struct serve_server *srv = NULL;
	struct lerr err;
	char bound[1100], *url = NULL;
	int fd = -1, status = 1, sig;

	memset(&opts, 0, sizeof(opts));
	if (!cmd->plain_http && (read_pem(cmd->tls_cert, "--tls-cert", &cert, &err) != 0 ||
				 read_pem(cmd->tls_key, "--tls-key", &key, &err) != 0)) {
		status = lerr_exit_code(&err);
		if (err.code == LADING_ERR_SYSTEM)
			status = 2;
		goto fail;
	}
	if (serve_listen_open(cmd->listen, &fd, bound, sizeof(bound), &err) != 0) {
		status = err.code == LADING_ERR_USAGE ? 2 : 1;
		goto fail;
	}
	opts.content = content;
	opts.listen_fd = fd;
	opts.tls_cert_pem = cmd->plain_http ? NULL : cert.data;
	opts.tls_key_pem = cmd->plain_http ? NULL : key.data;
	opts.base_url = cmd->base_url;
	opts.threads = cmd->threads;
	opts.lg = &cmd->lg;
	if (serve_server_start(&opts, &srv, &err) != 0) {
		close(fd);
		goto fail;
	}
	url = xasprintf("%s://%s", cmd->plain_http ? "http" : "https", bound);
	print_summary(cmd, content, url);
	sig = wait_for_stop(stop);
	log_msg(&cmd->lg, LOG_WARN, "%s: finishing requests in flight and stopping",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	serve_server_stop(srv, SERVE_GRACE_SECONDS);
	status = 0;
	goto out;
fail:
	fprintf(stderr, "lading serve: %s\n", err.msg);
out:
	if (key.data != NULL)
		OPENSSL_cleanse(key.data, key.len);
	buf_free(&key);
	buf_free(&cert);
	free(url);
	return status;
}

/* Verifies and extracts a bundle (or takes a directory), loads it and serves it until a signal. */
static int serve_source(struct serve_cmd *cmd, const sigset_t *stop)
{
	struct serve_source_opts source_opts = {cmd->pubkeys, cmd->pubkey_count, cmd->cache_dir,
						cmd->insecure_skip_signature, &cmd->lg};
	struct serve_source source;
	struct serve_content content;
	struct lerr err;
	int status;

	memset(&content, 0, sizeof(content));
	if (serve_source_prepare(cmd->source, &source_opts, &source, &err) != 0 ||
	    serve_content_load(source.dir, &cmd->naming, &cmd->lg, &content, &err) != 0) {
		fprintf(stderr, "lading serve: %s\n", err.msg);
		status = lerr_exit_code(&err);
	} else {
		status = run(cmd, &content, stop);
	}
	serve_content_free(&content);
	serve_source_free(&source, &cmd->lg);
	return status;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_cmd cmd;
	sigset_t stop;
	int status, done;

	memset(&cmd, 0, sizeof(cmd));
	log_init(&cmd.lg);
	if (cmd.lg.level < LOG_WARN)
		cmd.lg.level = LOG_WARN;
	cmd.listen = SERVE_DEFAULT_LISTEN;
	cmd.threads = 8;
	if ((status = parse_options(argc, argv, &cmd, &done)) != 0 || done)
		goto out;
	if ((status = check_options(&cmd)) != 0)
		goto out;
	/* Before any thread exists: every server thread inherits this mask. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		fprintf(stderr, "lading serve: cannot set up signal handling\n");
		status = 1;
		goto out;
	}
	raise_fd_limit();
	status = serve_source(&cmd, &stop);
out:
	free(cmd.pubkeys);
	return status;
}
