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
#include "serve/cmd_serve.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cli.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "serve/content.h"
#include "serve/git.h"
#include "serve/listen.h"
#include "serve/server.h"
#include "serve/source.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:5000"
#define SERVE_PEM_MAX (1u << 20)
#define SERVE_GRACE_SECONDS 10
#define SERVE_DEFAULT_HEADER_TIMEOUT 30
#define SERVE_DEFAULT_REQUEST_TIMEOUT 3600
#define SERVE_DEFAULT_MAX_CONNECTIONS 4096
#define SERVE_DEFAULT_MAX_PER_CLIENT 64
#define STR(x) #x
#define XSTR(x) STR(x)

struct serve_cmd {
	const char *source;
	const char *listen;
	const char *tls_cert;
	const char *tls_key;
	int plain_http;
	const char *base_url;
	struct naming_opts naming;
	unsigned threads;
	unsigned header_timeout, request_timeout, max_connections, max_per_client;
	char **pubkeys; /* --pubkey, repeatable */
	size_t pubkey_count;
	const char *cache_dir;
	int insecure_skip_signature;
	int allow_expired, allow_downgrade;
	int verify_all;	      /* --verify-all: verify and extract a seekable bundle too */
	unsigned chunk_cache; /* --chunk-cache: MiB of verified chunks kept when serving from the file */
	const char *base;     /* --base: a delta's base bundle */
	struct logger lg;
};

enum serve_option {
	OPT_LISTEN = 1,
	OPT_CERT,
	OPT_KEY,
	OPT_PLAIN,
	OPT_PREFIX,
	OPT_KEEP_HOST,
	OPT_URL,
	OPT_THREADS,
	OPT_PUBKEY,
	OPT_CACHE_DIR,
	OPT_INSECURE,
	OPT_ALLOW_EXPIRED,
	OPT_ALLOW_DOWNGRADE,
	OPT_VERIFY_ALL,
	OPT_CHUNK_CACHE,
	OPT_BASE,
	OPT_HEADER_TIMEOUT,
	OPT_REQUEST_TIMEOUT,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_PER_CLIENT,
};

static const struct cli_option serve_options[] = {
    {"listen", 0, "HOST:PORT", OPT_LISTEN,
     "address to listen on (default " SERVE_DEFAULT_LISTEN "; :PORT = all interfaces)"},
    {"tls-cert", 0, "FILE", OPT_CERT, "PEM certificate (chain) for HTTPS"},
    {"tls-key", 0, "FILE", OPT_KEY, "PEM private key for HTTPS"},
    {"plain-http", 0, NULL, OPT_PLAIN, "serve plain HTTP instead of HTTPS"},
    {"prefix", 0, "PREFIX", OPT_PREFIX, "serve images under PREFIX/ (as bundle push --prefix)"},
    {"keep-host", 0, NULL, OPT_KEEP_HOST, "keep the source registry host in names (as bundle push --keep-host)"},
    {"advertise-url", 0, "URL", OPT_URL, "base URL written into the Helm index (default: from the Host header)"},
    {"threads", 0, "N", OPT_THREADS, "worker threads, 1-256 (default 8)"},
    {"header-timeout", 0, "SECONDS", OPT_HEADER_TIMEOUT,
     "close a connection whose whole request head has not arrived this long after it opened (or after its "
     "previous answer), 1-3600 (default " XSTR(SERVE_DEFAULT_HEADER_TIMEOUT) ")"},
    {"request-timeout", 0, "SECONDS", OPT_REQUEST_TIMEOUT,
     "close a connection whose request is not answered completely this long after it began, 0 = never "
     "(default " XSTR(SERVE_DEFAULT_REQUEST_TIMEOUT) ")"},
    {"max-connections", 0, "N", OPT_MAX_CONNECTIONS,
     "open connections at most, all clients together, 16-1000000 (default " XSTR(SERVE_DEFAULT_MAX_CONNECTIONS) ")"},
    {"max-conns-per-client", 0, "N", OPT_MAX_PER_CLIENT,
     "open connections at most from one IP address, 0 = no limit (default " XSTR(SERVE_DEFAULT_MAX_PER_CLIENT) ")"},
    {"pubkey", 0, "FILE", OPT_PUBKEY,
     "trusted public key for the signature of a bundle or directory (repeatable; default: every *.pub in "
     "$LADING_TRUST_DIR or /etc/lading/trust.d)"},
    {"cache-dir", 0, "DIR", OPT_CACHE_DIR,
     "where a bundle is extracted and its git repositories cloned (default $LADING_CACHE/serve)"},
    {"insecure-skip-signature", 0, NULL, OPT_INSECURE,
     "serve an unsigned or untrusted bundle or directory (digests are still checked)"},
    {"allow-expired", 0, NULL, OPT_ALLOW_EXPIRED, "serve a bundle whose signature has expired"},
    {"allow-downgrade", 0, NULL, OPT_ALLOW_DOWNGRADE,
     "serve a bundle older than one of the same name accepted here before"},
    {"verify-all", 0, NULL, OPT_VERIFY_ALL,
     "verify every entry and extract the bundle at start, even one that can be served from its file"},
    {"chunk-cache", 0, "MIB", OPT_CHUNK_CACHE,
     "verified 4 MiB chunks kept in memory when serving from the file, shared by every download, 4-65536 "
     "(default 32)"},
    {"base", 0, "OLD", OPT_BASE, "a delta's base bundle: serve the two together, the delta's entries and the base's"},
    {NULL, 0, NULL, 0, NULL},
};

/* Applies one option; returns 0, or -1 after a usage error. */
static int set_option(struct serve_cmd *cmd, struct cli *cli, int opt)
{
	const char *arg = cli->arg;
	long threads, number;

	switch (opt) {
	case OPT_LISTEN:
		cmd->listen = arg;
		break;
	case OPT_CERT:
		cmd->tls_cert = arg;
		break;
	case OPT_KEY:
		cmd->tls_key = arg;
		break;
	case OPT_PLAIN:
		cmd->plain_http = 1;
		break;
	case OPT_PREFIX:
		cmd->naming.prefix = arg;
		break;
	case OPT_KEEP_HOST:
		cmd->naming.keep_host = 1;
		break;
	case OPT_URL:
		cmd->base_url = arg;
		break;
	case OPT_CACHE_DIR:
		cmd->cache_dir = arg;
		break;
	case OPT_INSECURE:
		cmd->insecure_skip_signature = 1;
		break;
	case OPT_ALLOW_EXPIRED:
		cmd->allow_expired = 1;
		break;
	case OPT_ALLOW_DOWNGRADE:
		cmd->allow_downgrade = 1;
		break;
	case OPT_VERIFY_ALL:
		cmd->verify_all = 1;
		break;
	case OPT_BASE:
		cmd->base = arg;
		break;
	case OPT_CHUNK_CACHE:
		if (cli_int(cli, 4, 65536, &number) != 0)
			return -1;
		cmd->chunk_cache = (unsigned)number;
		break;
	case OPT_PUBKEY:
		cmd->pubkeys[cmd->pubkey_count++] = (char *)arg;
		break;
	case OPT_THREADS:
		if (cli_int(cli, 1, 256, &threads) != 0)
			return -1;
		cmd->threads = (unsigned)threads;
		break;
	case OPT_HEADER_TIMEOUT:
		if (cli_int(cli, 1, 3600, &number) != 0)
			return -1;
		cmd->header_timeout = (unsigned)number;
		break;
	case OPT_REQUEST_TIMEOUT:
		if (cli_int(cli, 0, 7 * 24 * 3600, &number) != 0)
			return -1;
		cmd->request_timeout = (unsigned)number;
		break;
	case OPT_MAX_CONNECTIONS:
		if (cli_int(cli, 16, 1000000, &number) != 0)
			return -1;
		cmd->max_connections = (unsigned)number;
		break;
	case OPT_MAX_PER_CLIENT:
		if (cli_int(cli, 0, 1000000, &number) != 0)
			return -1;
		cmd->max_per_client = (unsigned)number;
		break;
	}
	return 0;
}

/* Returns 0 with cmd->source set, or the exit status to leave with (*done set after --help). */
static int parse_options(int argc, char **argv, struct serve_cmd *cmd, int *done)
{
	struct cli cli;
	int opt, status = 2;

	*done = 0;
	cmd->pubkeys = xcalloc((size_t)argc + 1, sizeof(*cmd->pubkeys)); /* no more --pubkey than arguments */
	cli_init(&cli, "lading serve", "[options] (--tls-cert FILE --tls-key FILE | --plain-http) DIR-or-BUNDLE",
		 serve_options, CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	cli.summary = "Serve images (read-only OCI registry under /v2/), Helm charts (/charts/index.yaml),\n"
		      "a Terraform provider network mirror (/providers/), a Terraform module registry\n"
		      "(/.well-known/terraform.json, /v1/modules/), files (/files/) and apt\n"
		      "repositories (/apt/NAME/).\n"
		      "--json writes the access log as JSON lines on stdout.";
	while ((opt = cli_next(&cli)) > 0)
		if (set_option(cmd, &cli, opt) != 0)
			goto out;
	if (opt < 0 || cli.help) {
		status = cli_finish(&cli);
		*done = 1;
		goto out;
	}
	if (cli_operands(&cli, 1, 1, "one DIR or BUNDLE") != 0)
		goto out;
	cmd->source = cli.operands[0];
	cli_logger(&cli, &cmd->lg);
	if (cmd->lg.level < LOG_WARN && !cli.quiet)
		cmd->lg.level = LOG_WARN;
	status = 0;
out:
	cli_free(&cli);
	return status;
}

/*
 * Each connection holds a socket and, while a file is being sent, that file's
 * descriptor; the threads hold a few more. With the soft RLIMIT_NOFILE raised
 * (as far as the hard one allows) to cover that, the connection limit is what
 * binds, not EMFILE, which would drop connections at random and fail blob
 * opens; when it cannot be raised enough, serve says so at start.
 */
static int fd_limit_fits(const struct serve_cmd *cmd, struct lerr *err)
{
	rlim_t needed = (rlim_t)cmd->max_connections * 2 + (rlim_t)cmd->threads * 4 + 64;
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
		return lerr_sys(err, "serve: cannot read the open file limit (RLIMIT_NOFILE)");
	if (limit.rlim_cur < needed && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > needed ? needed : limit.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &limit); /* checked below */
		if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
			return lerr_sys(err, "serve: cannot read the open file limit (RLIMIT_NOFILE)");
	}
	if (limit.rlim_cur >= needed)
		return 0;
	return lerr_set(err, LADING_ERR_USAGE,
			"serve: --max-connections %u needs %llu open files, but the limit is %llu (hard limit %llu): "
			"raise it (ulimit -n, systemd LimitNOFILE=) or lower --max-connections",
			cmd->max_connections, (unsigned long long)needed, (unsigned long long)limit.rlim_cur,
			(unsigned long long)limit.rlim_max);
}

static int check_options(const struct serve_cmd *cmd)
{
	struct lerr err;

	if (cmd->plain_http && (cmd->tls_cert || cmd->tls_key))
		lerr_set(&err, LADING_ERR_USAGE, "serve: --plain-http and --tls-cert/--tls-key exclude each other");
	else if (!cmd->plain_http && (cmd->tls_cert == NULL || cmd->tls_key == NULL))
		lerr_set(&err, LADING_ERR_USAGE, "serve: give --tls-cert FILE and --tls-key FILE, or --plain-http");
	else if (cmd->base_url && strncmp(cmd->base_url, "http://", 7) != 0 &&
		 strncmp(cmd->base_url, "https://", 8) != 0)
		lerr_set(&err, LADING_ERR_USAGE, "serve: --advertise-url '%s': expected http://... or https://...",
			 cmd->base_url);
	else if (naming_prefix_check(cmd->naming.prefix, &err) == 0 && fd_limit_fits(cmd, &err) == 0)
		return 0;
	return cli_fail(&err);
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
		       "\"bytes\":%llu,\"chart_files\":%zu,\"provider_files\":%zu,\"module_files\":%zu,\"files\":%zu,"
		       "\"apt_files\":%zu,\"git_repositories\":%zu}\n",
		       url, stats.images, stats.repositories, stats.blobs, (unsigned long long)stats.bytes,
		       serve_tree_count(content->charts), serve_tree_count(content->providers),
		       serve_tree_count(content->modules), serve_tree_count(content->files),
		       serve_tree_count(content->apt), serve_git_count(content->git));
		fflush(stdout);
	}
	fprintf(stderr,
		"lading: serving '%s' on %s: %zu images in %zu repositories (%zu blobs, %s), %zu chart files, "
		"%zu provider files, %zu module files, %zu plain files, %zu apt files, %zu git repositories\n",
		cmd->source, url, stats.images, stats.repositories, stats.blobs, size,
		serve_tree_count(content->charts), serve_tree_count(content->providers),
		serve_tree_count(content->modules), serve_tree_count(content->files), serve_tree_count(content->apt),
		serve_git_count(content->git));
}

static int read_pem(const char *path, const char *what, struct buf *pem, struct lerr *err)
{
	if (fs_read_file(path, pem, err) != 0) {
		lerr_input(err); /* a file named on the command line */
		return lerr_prefix(err, "%s", what);
	}
	if (strstr(pem->data, "-----BEGIN ") == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "%s '%s': not a PEM file", what, path);
	return 0;
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
				 read_pem(cmd->tls_key, "--tls-key", &key, &err) != 0))
		goto fail;
	if (serve_listen_open(cmd->listen, &fd, bound, sizeof(bound), &err) != 0)
		goto fail;
	opts.content = content;
	opts.listen_fd = fd;
	opts.tls_cert_pem = cmd->plain_http ? NULL : cert.data;
	opts.tls_key_pem = cmd->plain_http ? NULL : key.data;
	opts.base_url = cmd->base_url;
	opts.threads = cmd->threads;
	opts.max_connections = cmd->max_connections;
	opts.max_per_client = cmd->max_per_client;
	opts.header_timeout = cmd->header_timeout;
	opts.request_timeout = cmd->request_timeout;
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
	status = cli_fail(&err);
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
	struct serve_source_opts source_opts = {
	    cmd->pubkeys,     cmd->pubkey_count,  cmd->cache_dir,	cmd->insecure_skip_signature,
	    &cmd->lg,	      cmd->allow_expired, cmd->allow_downgrade, !cmd->verify_all,
	    cmd->chunk_cache, cmd->base};
	struct serve_source source;
	struct serve_content content;
	struct lerr err;
	int status;

	memset(&content, 0, sizeof(content));
	if (serve_source_prepare(cmd->source, &source_opts, &source, &err) != 0 ||
	    (source.bundle != NULL
		 ? serve_content_load_bundle(source.bundle, &cmd->naming, cmd->cache_dir, &cmd->lg, &content, &err)
		 /* checked entry by entry against a signed lading.json, or else hashed here blob by blob */
		 : serve_content_load(source.dir, &cmd->naming, !source.verified, cmd->cache_dir, &cmd->lg, &content,
				      &err)) != 0) {
		status = cli_fail(&err);
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
	cmd.listen = SERVE_DEFAULT_LISTEN;
	cmd.threads = 8;
	cmd.header_timeout = SERVE_DEFAULT_HEADER_TIMEOUT;
	cmd.request_timeout = SERVE_DEFAULT_REQUEST_TIMEOUT;
	cmd.max_connections = SERVE_DEFAULT_MAX_CONNECTIONS;
	cmd.max_per_client = SERVE_DEFAULT_MAX_PER_CLIENT;
	if ((status = parse_options(argc, argv, &cmd, &done)) != 0 || done)
		goto out;
	if ((status = check_options(&cmd)) != 0)
		goto out;
	/* Before any thread exists: every server thread inherits this mask. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		struct lerr err;

		lerr_sys(&err, "serve: cannot set up signal handling");
		status = cli_fail(&err);
		goto out;
	}
	status = serve_source(&cmd, &stop);
out:
	free(cmd.pubkeys);
	return status;
}
