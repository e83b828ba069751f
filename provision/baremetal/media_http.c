/* The HTTP server for boot ISOs fetched by BMCs as virtual media (see media_http.h). */
#define _GNU_SOURCE
#include "provision/baremetal/media_http.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/xmalloc.h"
#include "provision/baremetal/site.h"

/* A BMC reads an ISO over a few connections at most; a site has tens of nodes. */
#define MEDIA_THREADS 4
#define MEDIA_MAX_CONNECTIONS 128
#define MEDIA_MAX_PER_CLIENT 16
/* A connection idle this long is closed (a BMC between reads stays well under it). */
#define MEDIA_IDLE_SECONDS 60
#define MEDIA_BACKLOG 64

struct media_entry {
	char *url_path;
	char *path;
	unsigned long fetches;
};

struct bm_media_server {
	struct MHD_Daemon *daemon;
	const struct logger *lg;
	int listen_fd;
	int port;
	pthread_mutex_t lock; /* guards entries: bm_media_add runs beside the request threads */
	struct media_entry *entries;
	size_t count;
};

/* "/" then one or more of [A-Za-z0-9._-], and not "/." or "/..": a name, never a path. */
static int url_path_ok(const char *url_path)
{
	const char *name;

	if (url_path == NULL || url_path[0] != '/' || url_path[1] == '\0')
		return 0;
	name = url_path + 1;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (; *name != '\0'; name++) {
		char c = *name;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* The entry for url_path, or NULL; the caller holds srv->lock. */
static struct media_entry *find_entry(struct bm_media_server *srv, const char *url_path)
{
	for (size_t i = 0; i < srv->count; i++)
		if (strcmp(srv->entries[i].url_path, url_path) == 0)
			return &srv->entries[i];
	return NULL;
}

int bm_media_add(struct bm_media_server *srv, const char *url_path, const char *path, struct lerr *err)
{
	struct media_entry *entry;

	if (!url_path_ok(url_path))
		return lerr_set(err, LADING_ERR_USAGE,
				"media path '%s': expected '/' and a name of letters, digits, '.', '_' or '-'",
				url_path != NULL ? url_path : "(null)");
	pthread_mutex_lock(&srv->lock);
	entry = find_entry(srv, url_path);
	if (entry != NULL) {
		free(entry->path);
		entry->path = xstrdup(path);
	} else {
		srv->entries = xreallocarray(srv->entries, srv->count + 1, sizeof(*srv->entries));
		entry = &srv->entries[srv->count++];
		entry->url_path = xstrdup(url_path);
		entry->path = xstrdup(path);
		entry->fetches = 0;
	}
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

unsigned long bm_media_requests(struct bm_media_server *srv, const char *url_path)
{
	struct media_entry *entry;
	unsigned long n = 0;

	if (srv == NULL || url_path == NULL)
		return 0;
	pthread_mutex_lock(&srv->lock);
	entry = find_entry(srv, url_path);
	if (entry != NULL)
		n = entry->fetches;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

int bm_media_port(const struct bm_media_server *srv)
{
	return srv->port;
}

/* What a Range header asks of a file of size bytes. */
enum media_range {
	MEDIA_WHOLE = 0,	 /* no header, one we ignore (RFC 9110 allows), or several ranges: 200 */
	MEDIA_PART = 1,		 /* one satisfiable range in *offset, *length: 206 */
	MEDIA_UNSATISFIABLE = 2, /* 416 */
};

/* Reads a decimal number at *p and moves past it; 0 when there are no digits or it overflows. */
static int read_decimal(const char **p, uint64_t *value)
{
	const char *s = *p;

	*value = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (*value > (UINT64_MAX - 9) / 10)
			return 0;
		*value = *value * 10 + (uint64_t)(*s - '0');
	}
	if (s == *p)
		return 0;
	*p = s;
	return 1;
}

/* One "bytes=a-b", "bytes=a-" or "bytes=-n"; anything else is served whole. */
static enum media_range parse_range(const char *header, uint64_t size, uint64_t *offset, uint64_t *length)
{
	uint64_t a = 0, b = 0;
	const char *p = header;
	int have_a, have_b;

	if (p == NULL || strncasecmp(p, "bytes=", 6) != 0 || strchr(p, ',') != NULL)
		return MEDIA_WHOLE;
	p += 6;
	have_a = read_decimal(&p, &a);
	if (*p != '-')
		return MEDIA_WHOLE;
	p++;
	have_b = read_decimal(&p, &b);
	if (*p != '\0' || (!have_a && !have_b) || (have_a && have_b && b < a))
		return MEDIA_WHOLE;
	if (!have_a) { /* the last b bytes */
		if (b == 0 || size == 0)
			return MEDIA_UNSATISFIABLE;
		*offset = b < size ? size - b : 0;
		*length = size - *offset;
		return MEDIA_PART;
	}
	if (a >= size)
		return MEDIA_UNSATISFIABLE;
	*offset = a;
	*length = (have_b && b < size ? b + 1 : size) - a;
	return MEDIA_PART;
}

/* Copies network text for the log: printable ASCII kept, anything else '?', at most out_len - 1 bytes. */
static void log_safe(char *out, size_t out_len, const char *text)
{
	size_t i = 0;

	for (; text != NULL && text[i] != '\0' && i + 1 < out_len; i++)
		out[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
	out[i] = '\0';
}

static void log_request(const struct bm_media_server *srv, struct MHD_Connection *conn, const char *method,
			const char *url, unsigned status)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char from[NI_MAXHOST] = "-", safe_method[32], safe_url[256];

	if (srv->lg == NULL || srv->lg->level < LOG_VERBOSE)
		return;
	if (info != NULL && info->client_addr != NULL) {
		socklen_t len =
		    info->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

		if (getnameinfo(info->client_addr, len, from, sizeof(from), NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(from, sizeof(from), "-");
	}
	log_safe(safe_method, sizeof(safe_method), method);
	log_safe(safe_url, sizeof(safe_url), url);
	log_msg(srv->lg, LOG_VERBOSE, "media: %s %s %u from %s", safe_method, safe_url, status, from);
}

/* Queues a short text reply with status and an optional extra header; frees the response. */
static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text, const char *header,
				  const char *value)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (header != NULL)
		MHD_add_response_header(resp, header, value);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static const char *content_type(const char *url_path)
{
	size_t len = strlen(url_path);

	if (len > 4 && strcasecmp(url_path + len - 4, ".iso") == 0)
		return "application/x-iso9660-image";
	return "application/octet-stream";
}

/*
 * Opens the file published under url (a copy of its path is taken under the
 * lock, so bm_media_add may replace it meanwhile). Returns the descriptor, or
 * -1 with *status 404 (unpublished or gone) or 500.
 */
static int open_published(struct bm_media_server *srv, const char *url, unsigned *status)
{
	struct media_entry *entry;
	char *path = NULL;
	int fd;

	pthread_mutex_lock(&srv->lock);
	entry = url_path_ok(url) ? find_entry(srv, url) : NULL;
	if (entry != NULL)
		path = xstrdup(entry->path);
	pthread_mutex_unlock(&srv->lock);
	*status = MHD_HTTP_NOT_FOUND;
	if (path == NULL)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); /* a FIFO must not hold the thread */
	if (fd < 0) {
		if (errno != ENOENT)
			*status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		log_msg(srv->lg, LOG_WARN, "media: cannot open %s for %s: %s", path, url, strerror(errno));
	}
	free(path);
	return fd;
}

static void count_fetch(struct bm_media_server *srv, const char *url)
{
	struct media_entry *entry;

	pthread_mutex_lock(&srv->lock);
	entry = find_entry(srv, url);
	if (entry != NULL)
		entry->fetches++;
	pthread_mutex_unlock(&srv->lock);
}

/* Answers GET or HEAD for url from its file: 200, 206, 416, 404 or 500; sets *status. */
static enum MHD_Result serve_file(struct bm_media_server *srv, struct MHD_Connection *conn, const char *url, int head,
				  unsigned *status)
{
	const char *range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	struct MHD_Response *resp;
	uint64_t offset = 0, length, size;
	char content_range[96];
	enum MHD_Result ret;
	struct stat st;
	int fd = open_published(srv, url, status);

	if (fd < 0)
		return reply_text(conn, *status, *status == MHD_HTTP_NOT_FOUND ? "not found\n" : "cannot read\n", NULL,
				  NULL);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_msg(srv->lg, LOG_WARN, "media: %s is not a readable regular file", url);
		close(fd);
		*status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		return reply_text(conn, *status, "cannot read\n", NULL, NULL);
	}
	size = (uint64_t)st.st_size;
	length = size;
	switch (parse_range(range, size, &offset, &length)) {
	case MEDIA_UNSATISFIABLE:
		close(fd);
		snprintf(content_range, sizeof(content_range), "bytes */%" PRIu64, size);
		*status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
		return reply_text(conn, *status, "range not satisfiable\n", MHD_HTTP_HEADER_CONTENT_RANGE,
				  content_range);
	case MEDIA_PART:
		snprintf(content_range, sizeof(content_range), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, offset,
			 offset + length - 1, size);
		*status = MHD_HTTP_PARTIAL_CONTENT;
		break;
	default:
		*status = MHD_HTTP_OK;
		break;
	}
	/* Streamed from the descriptor (sendfile where it can): an ISO is never held in memory. MHD closes fd. */
	resp = MHD_create_response_from_fd_at_offset64(length, fd, (int64_t)offset);
	if (resp == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(url));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (*status == MHD_HTTP_PARTIAL_CONTENT)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, content_range);
	ret = MHD_queue_response(conn, *status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES && !head)
		count_fetch(srv, url);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct bm_media_server *srv = cls;
	int head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	unsigned status;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
		/* Answered before any body is read; MHD then closes the connection instead of reading it. */
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		ret = reply_text(conn, status, "only GET and HEAD\n", MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	} else if (*con_cls == NULL) {
		/*
		 * The first call comes once the headers are in. Answering only on the
		 * next, with the request complete, keeps the connection open for the
		 * next range read (an answer given early makes MHD close it).
		 */
		*con_cls = srv;
		return MHD_YES;
	} else if (*upload_data_size != 0) {
		*upload_data_size = 0; /* a body on GET: read and dropped */
		return MHD_YES;
	} else {
		ret = serve_file(srv, conn, url, head, &status);
	}
	log_request(srv, conn, method, url, status);
	return ret;
}

/*
 * Leaves the path as sent: published names need no decoding, and decoding
 * would let "%00" cut a path short or "%2e%2e" spell "..". A request that
 * percent-encodes a published name just gets 404.
 */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *text)
{
	(void)cls;
	(void)conn;
	return strlen(text);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char text[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	text[strcspn(text, "\n")] = '\0';
	log_msg(cls, LOG_VERBOSE, "media: http: %s", text);
}

/* Splits listen into host (NULL for every address) and port, both allocated; 0 or -1. */
static int split_listen(const char *address, char **host, char **port)
{
	const char *sep;

	*host = NULL;
	*port = NULL;
	if (address[0] == '[') {
		sep = strchr(address, ']');
		if (sep == NULL || sep[1] != ':' || sep[2] == '\0')
			return -1;
		*host = xstrndup(address + 1, (size_t)(sep - address - 1));
		*port = xstrdup(sep + 2);
		return 0;
	}
	sep = strrchr(address, ':');
	if (sep == NULL || sep[1] == '\0' || memchr(address, ':', (size_t)(sep - address)) != NULL)
		return -1; /* a bare IPv6 address needs its brackets */
	if (sep != address)
		*host = xstrndup(address, (size_t)(sep - address));
	*port = xstrdup(sep + 1);
	return 0;
}

/* Opens the listening socket on address; fills *fd and *port. */
static int open_listener(const char *address, int *fd, int *port, struct lerr *err)
{
	struct addrinfo hints = {0}, *ai = NULL;
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);
	char *host, *service;
	int rc, on = 1, sock = -1, r = -1;
	long port_number;

	if (split_listen(address, &host, &service) != 0)
		return lerr_set(err, LADING_ERR_USAGE, "cannot listen on %s: expected HOST:PORT or [IPv6]:PORT",
				address);
	if (bm_whole_number(service, 0, 65535, &port_number) != 0) {
		lerr_set(err, LADING_ERR_USAGE, "cannot listen on %s: the port is not a number 0-65535", address);
		goto out;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, service, &hints, &ai);
	if (rc != 0) {
		lerr_set(err, LADING_ERR_USAGE, "cannot listen on %s: %s", address,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		goto out;
	}
	sock = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (sock < 0 || setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    bind(sock, ai->ai_addr, ai->ai_addrlen) != 0 || listen(sock, MEDIA_BACKLOG) != 0 ||
	    getsockname(sock, (struct sockaddr *)&bound, &bound_len) != 0) {
		lerr_sys(err, "cannot listen on %s", address);
		goto out;
	}
	*port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						  : ((struct sockaddr_in *)&bound)->sin_port);
	*fd = sock;
	sock = -1;
	r = 0;
out:
	if (sock >= 0)
		close(sock);
	if (ai != NULL)
		freeaddrinfo(ai);
	free(host);
	free(service);
	return r;
}

int bm_media_start(const char *address, const struct logger *lg, struct bm_media_server **out, struct lerr *err)
{
	struct bm_media_server *srv;
	/* A small pool over epoll: sendfile keeps each thread cheap, and idle BMCs cost no thread. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	int fd = -1, port = 0;

	if (open_listener(address, &fd, &port, err) != 0)
		return -1;
	srv = xcalloc(1, sizeof(*srv));
	srv->lg = lg;
	srv->listen_fd = fd;
	srv->port = port;
	pthread_mutex_init(&srv->lock, NULL);
	srv->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, (void *)lg,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)MEDIA_THREADS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)MEDIA_IDLE_SECONDS, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)MEDIA_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MEDIA_MAX_PER_CLIENT,
	    MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_END);
	if (srv->daemon == NULL) {
		close(fd);
		pthread_mutex_destroy(&srv->lock);
		free(srv);
		return lerr_set(err, LADING_ERR_SYSTEM,
				"cannot listen on %s: libmicrohttpd refused to start (run with -v for its reason)",
				address);
	}
	log_msg(lg, LOG_VERBOSE, "media: serving on %s (port %d)", address, port);
	*out = srv;
	return 0;
}

void bm_media_stop(struct bm_media_server *srv)
{
	MHD_socket fd;

	if (srv == NULL)
		return;
	/* Quiesced first so the socket comes back to us: it is ours to close, not MHD's. */
	fd = MHD_quiesce_daemon(srv->daemon);
	MHD_stop_daemon(srv->daemon);
	close(fd != MHD_INVALID_SOCKET ? fd : srv->listen_fd);
	for (size_t i = 0; i < srv->count; i++) {
		free(srv->entries[i].url_path);
		free(srv->entries[i].path);
	}
	free(srv->entries);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
