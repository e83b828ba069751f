/*
 * serve's request path as libmicrohttpd drives it (serve/server.c, included
 * here so its static functions are reached): the URL unescaped as MHD would
 * (%00 kept), the Host header count check, read-only method check, routing by
 * prefix among /v2, /charts/index.yaml (rewritten with the Host as base URL),
 * /charts/, /providers/, /files/ and /apt/, and the access log line. The input
 * is lines: METHOD \n URL \n VERSION \n RANGE \n HOST... (each further line one
 * Host header; a missing line is an empty string or an absent header). The
 * answers go to the stubs below (serve/respond.c is not linked); the content is
 * a small extracted bundle made at start, without oci/ (fuzz_serve covers /v2).
 */
#include "serve/server.c"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "serve/content.h"
#include "serve/respond_entry.h"
#include "tests/fuzz/common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HOSTS_MAX 8

static char root[4096];
static struct serve_content bundle;
static struct logger access_lg;
static struct serve_server server;
/* The current input's headers (NULL = absent). */
static const char *hdr_range;
static const char *hdr_host[HOSTS_MAX];
static unsigned hdr_hosts;

/* ---- libmicrohttpd lookups server.c and deadline.c make, answered from the input ---- */

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
	(void)connection;
	if (kind != MHD_HEADER_KIND)
		return NULL;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		return hdr_hosts > 0 ? hdr_host[0] : NULL;
	return strcasecmp(key, MHD_HTTP_HEADER_RANGE) == 0 ? hdr_range : NULL;
}

int MHD_get_connection_values(struct MHD_Connection *connection, enum MHD_ValueKind kind, MHD_KeyValueIterator iterator,
			      void *iterator_cls)
{
	unsigned i;

	(void)connection;
	for (i = 0; i < hdr_hosts && (kind & MHD_HEADER_KIND); i++)
		iterator(iterator_cls, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST, hdr_host[i]);
	if (hdr_range != NULL && (kind & MHD_HEADER_KIND))
		iterator(iterator_cls, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE, hdr_range);
	return (int)hdr_hosts + (hdr_range != NULL);
}

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
							enum MHD_ConnectionInfoType info_type, ...)
{
	(void)connection, (void)info_type;
	return NULL; /* no socket context (deadline.c skips), no client address ("-") */
}

/* ---- serve/respond.c: record the status; a file answer must be a regular file of that size ---- */

enum MHD_Result serve_respond(struct serve_request *req, unsigned status, struct MHD_Response *resp)
{
	if (req->status != 0) /* one answer per request */
		abort();
	req->status = status;
	if (resp != NULL)
		MHD_destroy_response(resp);
	return MHD_YES;
}

enum MHD_Result serve_respond_text(struct serve_request *req, unsigned status, const char *content_type,
				   const char *body, size_t len)
{
	if (content_type == NULL || (len > 0 && body == NULL))
		abort();
	req->bytes = len;
	return serve_respond(req, status, NULL);
}

enum MHD_Result serve_respond_file(struct serve_request *req, int fd, uint64_t size, const char *content_type,
				   const char *digest)
{
	struct stat st;

	(void)digest;
	if (content_type == NULL || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		abort();
	close(fd);
	req->bytes = size;
	return serve_respond(req, MHD_HTTP_OK, NULL);
}

enum MHD_Result serve_respond_oci_error(struct serve_request *req, unsigned status, const char *code,
					const char *message, const char *detail)
{
	(void)detail;
	if (code == NULL || message == NULL)
		abort();
	return serve_respond(req, status, NULL);
}

/* serve/respond_entry.h: the fuzzed content is a directory, so every blob is an open file. */
enum MHD_Result serve_respond_entry(struct serve_request *req, const struct bundle_view *bf,
				    const struct bundle_entry *e, const char *content_type, const char *digest)
{
	(void)req, (void)bf, (void)e, (void)content_type, (void)digest;
	abort();
}

enum MHD_Result serve_respond_blob(struct serve_request *req, struct serve_blob *b, const char *content_type,
				   const char *digest)
{
	int fd = b->fd;

	if (fd < 0)
		abort();
	b->fd = -1;
	return serve_respond_file(req, fd, b->size, content_type, digest);
}

/* ---- a small extracted bundle, made once ---- */

static void make(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", root, rel);
	char *slash;
	FILE *f;

	/* parents first, one level at a time */
	for (slash = strchr(path + strlen(root) + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			abort();
		*slash = '/';
	}
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
	free(path);
}

static void unmake(void)
{
	static const char *const made[] = {"files/a.txt",
					   "files/sub/b.tgz",
					   "files/sub",
					   "files",
					   "charts/x-1.0.0.tgz",
					   "charts/index.yaml",
					   "charts",
					   "providers/registry.terraform.io/hashicorp/null/index.json",
					   "providers/registry.terraform.io/hashicorp/null",
					   "providers/registry.terraform.io/hashicorp",
					   "providers/registry.terraform.io",
					   "providers",
					   "apt/main/dists/stable/InRelease",
					   "apt/main/dists/stable",
					   "apt/main/dists",
					   "apt/main",
					   "apt"};
	size_t i;

	serve_content_free(&bundle);
	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		char *path = xasprintf("%s/%s", root, made[i]);

		if (unlink(path) != 0)
			rmdir(path);
		free(path);
	}
	rmdir(root);
	if (access_lg.out != NULL)
		fclose(access_lg.out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct naming_opts naming = {NULL, 0};
	struct lerr err;

	(void)argc, (void)argv;
	snprintf(root, sizeof(root), "%s/lading-fuzz-dispatch-XXXXXX", fuzz_tmpdir());
	if (mkdtemp(root) == NULL)
		abort();
	make("files/a.txt", "a\n");
	make("files/sub/b.tgz", "b\n");
	make("charts/x-1.0.0.tgz", "not really a tgz\n");
	make("charts/index.yaml", "apiVersion: v1\nentries:\n  x:\n  - name: x\n    version: 1.0.0\n    urls:\n"
				  "    - x-1.0.0.tgz\n    digest: sha256:00\ngenerated: \"2026-11-01T10:00:00Z\"\n");
	make("providers/registry.terraform.io/hashicorp/null/index.json", "{\"versions\":{\"3.2.2\":{}}}\n");
	make("apt/main/dists/stable/InRelease", "Origin: test\n");
	atexit(unmake);
	if (serve_content_load(root, &naming, 1, NULL, NULL, &bundle, &err) != 0) {
		fprintf(stderr, "fuzz_dispatch: test content: %s\n", err.msg);
		abort();
	}
	if ((access_lg.out = fopen("/dev/null", "w")) == NULL)
		abort();
	server.opts.content = &bundle;
	server.opts.lg = &access_lg;
	return 0;
}

/* The next line of the input (NUL-terminated in place), or NULL at the end. */
static char *take_line(char **pos)
{
	char *line = *pos, *nl;

	if (line == NULL)
		return NULL;
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	*pos = nl != NULL ? nl + 1 : NULL;
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char root_url[2];
	char *text, *pos, *method, *url, *version, *line;
	size_t upload = 0;
	void *con_cls = NULL;
	struct serve_request *req;

	if (size > 16384)
		return 0;
	text = fuzz_text(data, size);
	pos = text;
	method = take_line(&pos);
	url = take_line(&pos);
	version = take_line(&pos);
	hdr_range = take_line(&pos);
	for (hdr_hosts = 0; hdr_hosts < HOSTS_MAX && (line = take_line(&pos)) != NULL;)
		hdr_host[hdr_hosts++] = line;
	if (method == NULL)
		method = (char *)MHD_HTTP_METHOD_GET;
	if (url == NULL)
		url = strcpy(root_url, "/");
	if (version == NULL)
		version = (char *)MHD_HTTP_VERSION_1_1;
	/* ?args are split off by MHD before the path is unescaped */
	if ((line = strchr(url, '?')) != NULL)
		*line = '\0';
	unescape(NULL, NULL, url);
	/* MHD's two calls for a request without a body, then the completion callback */
	if (on_request(&server, NULL, url, method, version, NULL, &upload, &con_cls) != MHD_YES && con_cls == NULL)
		abort();
	req = con_cls;
	if (req->status == 0)
		(void)on_request(&server, NULL, url, method, version, NULL, &upload, &con_cls);
	if (req->status == 0 && strcmp(req->path, "/v2") != 0) /* every request gets an answer */
		abort();
	if (getenv("FUZZ_DEBUG") != NULL) /* to check what a seed reaches */
		fprintf(stderr, "%s %s: %u, %llu bytes\n", method, req->path, req->status,
			(unsigned long long)req->bytes);
	on_completed(&server, NULL, &con_cls, MHD_REQUEST_TERMINATED_COMPLETED_OK);
	free(text);
	return 0;
}
