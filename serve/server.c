/*
 * The libmicrohttpd daemon of `lading serve` (see server.h): a thread pool on
 * epoll; each request is dispatched by its path prefix, answered on the first
 * call of the access handler, and logged once when MHD says it is complete.
 */
#define _GNU_SOURCE
#include "serve/server.h"

#include <jansson.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "serve/deadline.h"
#include "serve/git.h"
#include "serve/helmindex.h"
#include "serve/modules.h"
#include "serve/request.h"
#include "serve/respond_entry.h"
#include "serve/tls_front.h"

/*
 * A connection with no traffic at all for this many seconds is closed (an
 * inactivity timeout; the absolute deadlines are in deadline.c).
 */
#define SERVE_IDLE_TIMEOUT 120

struct serve_server {
	struct MHD_Daemon *daemon;
	struct serve_deadlines *deadlines;
	struct tls_front *tls; /* accepts for the daemon when serving HTTPS; NULL for plain HTTP */
	struct serve_server_opts opts;
	atomic_uint in_flight; /* requests accepted and not yet completed (for the drain at stop) */
};

static const char *content_type_for(const char *rel)
{
	static const struct {
		const char *suffix, *type;
	} types[] = {
	    {".json", "application/json"}, {".zip", "application/zip"},	  {".tgz", "application/gzip"},
	    {".gz", "application/gzip"},   {".yaml", "application/yaml"}, {".txt", "text/plain; charset=utf-8"},
	};
	size_t i, len = strlen(rel);

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t slen = strlen(types[i].suffix);

		if (len > slen && strcmp(rel + len - slen, types[i].suffix) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

static enum MHD_Result not_found(struct serve_request *req)
{
	static const char body[] = "404 not found\n";

	return serve_respond_text(req, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", body, sizeof(body) - 1);
}

static enum MHD_Result serve_from_tree(struct serve_request *req, const struct serve_tree *tree, const char *rel)
{
	struct lerr err;
	struct serve_blob blob;

	/* An exact match against the list built at start; nothing else is opened. */
	if (serve_tree_blob(tree, rel, &blob, &err) != 0)
		return not_found(req);
	return serve_respond_blob(req, &blob, content_type_for(rel), NULL);
}

/* True when a Host header can go into a URL as it is. */
static int host_plausible(const char *host)
{
	size_t len = host ? strlen(host) : 0;

	return len > 0 && len < 256 &&
	       strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == len;
}

static enum MHD_Result helm_index(struct serve_request *req)
{
	const struct serve_content *content = req->opts->content;
	const char *host = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	struct buf out = BUF_INIT(0);
	struct lerr err;
	char *base;
	enum MHD_Result ret;

	if (content->helm_index == NULL)
		return not_found(req);
	if (req->opts->base_url != NULL)
		base = xstrdup(req->opts->base_url);
	else if (host_plausible(host))
		base = xasprintf("%s://%s", req->opts->tls_cert_pem ? "https" : "http", host);
	else
		base = xstrdup(""); /* "/charts/x.tgz": Helm resolves it against the repository URL */
	if (helm_index_rewrite("charts/index.yaml", content->helm_index, content->helm_index_len, base, &out, &err) !=
	    0)
		ret = serve_respond_text(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", err.msg,
					 strlen(err.msg));
	else
		ret = serve_respond_text(req, MHD_HTTP_OK, "application/yaml", out.data ? out.data : "", out.len);
	buf_free(&out);
	free(base);
	return ret;
}

static enum MHD_Result not_allowed(struct serve_request *req)
{
	static const char body[] = "405 method not allowed: this server is read-only\n";
	struct MHD_Response *resp;

	if (strcmp(req->path, "/v2") == 0 || strncmp(req->path, "/v2/", 4) == 0)
		return serve_respond_oci_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED",
					       "the operation is unsupported: this registry is read-only", NULL);
	resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	req->bytes = sizeof(body) - 1;
	return serve_respond(req, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
}

static enum MHD_Result dispatch(struct serve_request *req)
{
	const struct serve_content *content = req->opts->content;
	const char *path = req->path;

	if (strcmp(path, "/v2") == 0 || strncmp(path, "/v2/", 4) == 0)
		return serve_oci_handle(req, path + 3);
	if (strcmp(path, "/charts/index.yaml") == 0)
		return helm_index(req);
	if (strncmp(path, "/charts/", 8) == 0)
		return serve_from_tree(req, content->charts, path + 8);
	if (strncmp(path, "/providers/", 11) == 0)
		return serve_from_tree(req, content->providers, path + 11);
	if (serve_modules_route(path))
		return serve_modules_handle(req, content->modules);
	if (strncmp(path, "/modules/", 9) == 0)
		return serve_from_tree(req, content->modules, path + 9);
	if (strncmp(path, "/files/", 7) == 0)
		return serve_from_tree(req, content->files, path + 7);
	if (strncmp(path, "/apt/", 5) == 0)
		return serve_from_tree(req, content->apt, path + 5);
	return not_found(req);
}

static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	unsigned *hosts = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		(*hosts)++;
	return MHD_YES;
}

/*
 * RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without a
 * Host header and to any request with more than one. libmicrohttpd checks this
 * only in its strict mode, which refuses more than this.
 */
static int host_header_bad(struct MHD_Connection *conn, const char *version)
{
	unsigned hosts = 0;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_host, &hosts);
	return hosts > 1 || (hosts == 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0);
}

static enum MHD_Result bad_host(struct serve_request *req)
{
	static const char body[] = "400 bad request: HTTP/1.1 needs exactly one Host header\n";

	return serve_respond_text(req, MHD_HTTP_BAD_REQUEST, "text/plain; charset=utf-8", body, sizeof(body) - 1);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct serve_server *srv = cls;
	struct serve_request *req = *con_cls;

	if (req == NULL) {
		req = xcalloc(1, sizeof(*req));
		req->opts = &srv->opts;
		req->conn = conn;
		req->method = method;
		req->path = xstrdup(url);
		req->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		req->started = log_now();
		*con_cls = req;
		atomic_fetch_add(&srv->in_flight, 1);
		serve_deadlines_request_begin(srv->deadlines, conn);
		if (host_header_bad(conn, version))
			return bad_host(req);
		/* Smart HTTP posts its requests: serve/git.c decides what it allows. */
		if (serve_git_route(req->path))
			return serve_git_begin(req, srv->opts.content->git);
		/*
		 * Writes are refused at once (MHD then discards the body and closes).
		 * Reads are answered on the next call: a response queued on the first
		 * call makes MHD close the connection, losing keep-alive.
		 */
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && !req->head)
			return not_allowed(req);
		return MHD_YES;
	}
	if (req->git != NULL && req->status == 0) {
		if (*upload_data_size == 0)
			return serve_git_answer(req, srv->opts.content->git);
		serve_git_body(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size != 0 || req->status != 0) {
		*upload_data_size = 0; /* a body nobody asked for */
		return MHD_YES;
	}
	return dispatch(req);
}

/* Copies text into out with quotes, backslashes and control bytes escaped (no log injection). */
static void log_escape(char *out, size_t out_len, const char *text)
{
	size_t used = 0;

	for (; *text != '\0' && used + 5 < out_len; text++) {
		unsigned char c = (unsigned char)*text;

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			used += (size_t)snprintf(out + used, out_len - used, "\\x%02x", c);
		else
			out[used++] = (char)c;
	}
	out[used] = '\0';
}

static void client_address(struct MHD_Connection *conn, char *out, size_t out_len)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	socklen_t len = sizeof(struct sockaddr_storage);

	snprintf(out, out_len, "-");
	if (info != NULL && info->client_addr != NULL) {
		if (info->client_addr->sa_family == AF_INET)
			len = sizeof(struct sockaddr_in);
		else if (info->client_addr->sa_family == AF_INET6)
			len = sizeof(struct sockaddr_in6);
		if (getnameinfo(info->client_addr, len, out, (socklen_t)out_len, NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(out, out_len, "-");
	}
}

static void access_log(const struct serve_server *srv, const struct serve_request *req,
		       enum MHD_RequestTerminationCode toe)
{
	char remote[NI_MAXHOST], path[1024], method[64], when[32];
	double seconds = log_now() - req->started;
	time_t now = time(NULL);
	struct tm tm;
	json_t *line;

	client_address(req->conn, remote, sizeof(remote));
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (srv->opts.lg->json) {
		line = json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:f,s:b}", "time", when, "remote", remote, "method",
				 req->method, "path", req->path, "status", (int)req->status, "bytes",
				 (json_int_t)req->bytes, "seconds", seconds, "completed",
				 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
		/* One write per line: stdio locks the stream, so lines from threads never interleave. */
		json_dumpf(line, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		fflush(stdout);
		json_decref(line);
		return;
	}
	log_escape(path, sizeof(path), req->path);
	log_escape(method, sizeof(method), req->method);
	fprintf(srv->opts.lg->out, "%s %s \"%s %s\" %u %llu %.3fs%s\n", when, remote, method, path, req->status,
		(unsigned long long)req->bytes, seconds,
		toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (interrupted)");
	fflush(srv->opts.lg->out);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct serve_server *srv = cls;
	struct serve_request *req = *con_cls;

	serve_deadlines_request_end(srv->deadlines, conn);
	if (req == NULL)
		return;
	access_log(srv, req, toe);
	serve_git_request_free(req);
	free(req->path);
	free(req);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->in_flight, 1);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes %HH in the path and arguments like MHD's default, except %00: a NUL
 * would cut the C string short, so "/files/a.txt%00.png" would be served as
 * "/files/a.txt". It stays "%00" and matches no name.
 */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *text)
{
	char *in = text, *out = text;
	int high, low;

	(void)cls;
	(void)conn;
	while (*in != '\0') {
		if (in[0] == '%' && (high = hex_value(in[1])) >= 0 && (low = hex_value(in[2])) >= 0 &&
		    (high | low) != 0) {
			*out++ = (char)(high * 16 + low);
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - text);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	const struct logger *lg = cls;
	char text[512];
	size_t len;

	vsnprintf(text, sizeof(text), fmt, ap);
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '.'))
		text[--len] = '\0';
	log_msg(lg, LOG_VERBOSE, "http: %s", text);
}

int serve_server_start(const struct serve_server_opts *opts, struct serve_server **out, struct lerr *err)
{
	struct serve_server *srv = xcalloc(1, sizeof(*srv));
	/* epoll, not select: no FD_SETSIZE (1024) bound on the descriptors of connections */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	/* HTTPS: tls_front accepts and hands each decrypted connection over (tls_front.h says why) */
	struct MHD_OptionItem listen[] = {
	    {MHD_OPTION_LISTEN_SOCKET, opts->listen_fd, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	struct tls_front_opts front = {
	    .listen_fd = opts->listen_fd,
	    .cert_pem = opts->tls_cert_pem,
	    .key_pem = opts->tls_key_pem,
	    .handshake_timeout = opts->header_timeout,
	    .max_connections = opts->max_connections,
	    .max_per_client = opts->max_per_client,
	    .lg = opts->lg,
	};

	srv->opts = *opts;
	atomic_init(&srv->in_flight, 0);
	if (opts->tls_cert_pem != NULL) {
		flags |= MHD_USE_NO_LISTEN_SOCKET;
		listen[0].option = MHD_OPTION_END;
	}
	if (serve_deadlines_start(opts->header_timeout, opts->request_timeout, opts->lg, &srv->deadlines, err) != 0) {
		free(srv);
		return -1;
	}
	/*
	 * Past either connection limit libmicrohttpd accepts and closes at once, so
	 * one address holding max_per_client connections cannot crowd out others.
	 */
	srv->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, listen, MHD_OPTION_THREAD_POOL_SIZE, opts->threads,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, serve_deadlines_notify,
	    srv->deadlines, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVE_IDLE_TIMEOUT, MHD_OPTION_CONNECTION_LIMIT,
	    opts->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->max_per_client,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, (void *)opts->lg,
	    MHD_OPTION_END);
	if (srv->daemon == NULL) {
		serve_deadlines_stop(srv->deadlines);
		free(srv);
		return lerr_set(err, LADING_ERR_SYSTEM,
				"cannot start the HTTP server (libmicrohttpd refused; run with -v for its reason)");
	}
	front.daemon = srv->daemon;
	if (opts->tls_cert_pem != NULL && tls_front_start(&front, &srv->tls, err) != 0) {
		MHD_stop_daemon(srv->daemon);
		serve_deadlines_stop(srv->deadlines);
		free(srv);
		return -1;
	}
	*out = srv;
	return 0;
}

void serve_server_stop(struct serve_server *srv, unsigned grace_seconds)
{
	struct timespec tick = {0, 50 * 1000 * 1000};
	unsigned waited = 0;
	MHD_socket listen_fd;

	if (srv == NULL)
		return;
	/* Stop accepting; requests in flight may finish within the grace period. */
	tls_front_quiesce(srv->tls);
	listen_fd = srv->tls != NULL ? MHD_INVALID_SOCKET : MHD_quiesce_daemon(srv->daemon);
	while (atomic_load(&srv->in_flight) > 0 && waited < grace_seconds * 20) {
		nanosleep(&tick, NULL);
		waited++;
	}
	MHD_stop_daemon(srv->daemon);
	tls_front_stop(srv->tls);	      /* MHD closed its ends of the pairs: every relay ends */
	serve_deadlines_stop(srv->deadlines); /* every connection is closed now, so none is tracked */
	/* MHD leaves a passed-in listening socket to its owner: close it only now (libmicrohttpd docs). */
	close(listen_fd != MHD_INVALID_SOCKET ? listen_fd : srv->opts.listen_fd);
	free(srv);
}
