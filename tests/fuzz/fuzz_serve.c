/*
 * What `lading serve` does with the untrusted parts of a request: the /v2 path
 * (serve/oci_api.c: endpoint, repository name, tag or digest, ?n= and ?last=),
 * the Range header (serve/range.c) of a blob it answers, and a path looked up in
 * a file tree's allow-list (serve/tree.c). The input is lines:
 *   PATH-AFTER-/v2 \n RANGE \n N \n LAST \n TREE-PATH
 * (a missing line is an absent header or argument). The answers go to the stubs
 * below instead of libmicrohttpd (serve/respond.c is not linked); the catalog is
 * a small OCI layout made at start (repository test/a, tag 1) so the lookups
 * reach a real blob, and serve_respond_file applies the Range as respond.c does.
 */
#include "tests/fuzz/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <sys/stat.h>

#include "lib/digest.h"
#include "lib/xmalloc.h"
#include "serve/catalog.h"
#include "serve/content.h"
#include "serve/range.h"
#include "serve/request.h"
#include "serve/respond_entry.h"
#include "serve/tree.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096];
static struct serve_catalog *catalog;
static struct serve_tree *tree;
static struct serve_content content;
static struct serve_server_opts opts;
/* The current input's Range header and query arguments (NULL = absent). */
static const char *in_range, *in_n, *in_last;

/* ---- stubs for serve/respond.c and the one libmicrohttpd lookup oci_api.c makes ---- */

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
	(void)connection;
	if (kind == MHD_HEADER_KIND && strcmp(key, MHD_HTTP_HEADER_RANGE) == 0)
		return in_range;
	if (kind == MHD_GET_ARGUMENT_KIND && strcmp(key, "n") == 0)
		return in_n;
	if (kind == MHD_GET_ARGUMENT_KIND && strcmp(key, "last") == 0)
		return in_last;
	return NULL;
}

enum MHD_Result serve_respond(struct serve_request *req, unsigned status, struct MHD_Response *resp)
{
	req->status = status;
	if (resp != NULL)
		MHD_destroy_response(resp);
	return MHD_YES;
}

enum MHD_Result serve_respond_text(struct serve_request *req, unsigned status, const char *content_type,
				   const char *body, size_t len)
{
	(void)content_type, (void)body;
	req->bytes = len;
	return serve_respond(req, status, NULL);
}

enum MHD_Result serve_respond_file(struct serve_request *req, int fd, uint64_t size, const char *content_type,
				   const char *digest)
{
	uint64_t start = 0, length = size;
	char byte;

	(void)content_type, (void)digest;
	switch (http_range_parse(MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE), size,
				 &start, &length)) {
	case HTTP_RANGE_UNSATISFIABLE:
		close(fd);
		return serve_respond(req, MHD_HTTP_RANGE_NOT_SATISFIABLE, NULL);
	case HTTP_RANGE_OK:
		/* the range must lie inside the file: read its last byte */
		if (length == 0 || start + length > size || pread(fd, &byte, 1, (off_t)(start + length - 1)) != 1)
			abort();
		req->bytes = length;
		close(fd);
		return serve_respond(req, MHD_HTTP_PARTIAL_CONTENT, NULL);
	default:
		req->bytes = size;
		close(fd);
		return serve_respond(req, MHD_HTTP_OK, NULL);
	}
}

enum MHD_Result serve_respond_oci_error(struct serve_request *req, unsigned status, const char *code,
					const char *message, const char *detail)
{
	(void)code, (void)message, (void)detail;
	return serve_respond(req, status, NULL);
}

/* serve/respond_entry.h: a directory is fuzzed here, so a blob always comes as a file. */
enum MHD_Result serve_respond_blob(struct serve_request *req, struct serve_blob *b, const char *content_type,
				   const char *digest)
{
	int blob_fd = b->fd;

	b->fd = -1;
	if (blob_fd < 0)
		abort();
	return serve_respond_file(req, blob_fd, b->size, content_type, digest);
}

enum MHD_Result serve_respond_entry(struct serve_request *req, const struct bundle_view *bf,
				    const struct bundle_entry *e, const char *content_type, const char *digest)
{
	(void)req, (void)bf, (void)e, (void)content_type, (void)digest;
	abort(); /* never a bundle file here */
}

/* ---- a small OCI layout and file tree, made once ---- */

static void put(const char *rel, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", dir, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	close(fd);
	free(path);
}

/* Writes text as a blob and its "sha256:<hex>" into digest. */
static void put_blob(const char *text, char digest[DIGEST_STR_MAX])
{
	char hex[SHA256_HEX_LEN + 1], rel[128];

	sha256_hex(text, strlen(text), hex);
	snprintf(rel, sizeof(rel), "oci/blobs/sha256/%s", hex);
	put(rel, text, strlen(text));
	snprintf(digest, DIGEST_STR_MAX, "sha256:%s", hex);
}

/* Removes what Initialize made under dir (nothing else is there). */
static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", path, e->d_name);
		if (e->d_type == DT_DIR)
			remove_tree(p);
		else
			unlink(p);
		free(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(path);
}

static void cleanup(void)
{
	serve_catalog_free(catalog);
	serve_tree_free(tree);
	remove_tree(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const dirs[] = {"oci", "oci/blobs", "oci/blobs/sha256", "files", "files/sub"};
	char layer[DIGEST_STR_MAX], config[DIGEST_STR_MAX], manifest[DIGEST_STR_MAX];
	static const char config_text[] =
	    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	struct naming_opts naming = {NULL, 0};
	char *text;
	struct lerr err;
	size_t i;

	(void)argc, (void)argv;
	snprintf(dir, sizeof(dir), "%s/lading-fuzz-serve-XXXXXX", fuzz_tmpdir());
	if (mkdtemp(dir) == NULL)
		abort();
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = xasprintf("%s/%s", dir, dirs[i]);

		if (mkdir(p, 0755) != 0)
			abort();
		free(p);
	}
	put_blob("0123456789abcdefghijklmnopqrstuvwxyz", layer);
	put_blob(config_text, config);
	text = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			 "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
			 "\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
			 "\"digest\":\"%s\",\"size\":36}]}",
			 config, strlen(config_text), layer);
	put_blob(text, manifest);
	i = strlen(text);
	free(text);
	text = xasprintf(
	    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	    "\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":"
	    "\"registry.example/test/a:1\"}}]}",
	    manifest, i);
	put("oci/index.json", text, strlen(text));
	free(text);
	put("oci/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	put("files/a.txt", "a\n", 2);
	put("files/sub/b.txt", "b\n", 2);
	text = xasprintf("%s/oci", dir);
	if (serve_catalog_load(text, &naming, 1, NULL, &catalog, &err) != 0) {
		fprintf(stderr, "fuzz_serve: test layout: %s\n", err.msg);
		abort();
	}
	free(text);
	text = xasprintf("%s/files", dir);
	if (serve_tree_load(text, NULL, &tree, &err) != 0) {
		fprintf(stderr, "fuzz_serve: test tree: %s\n", err.msg);
		abort();
	}
	free(text);
	content.catalog = catalog;
	opts.content = &content;
	atexit(cleanup);
	return 0;
}

/* The next line of the input (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **pos)
{
	char *line = *pos, *nl;

	if (line == NULL)
		return NULL;
	nl = strchr(line, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*pos = nl + 1;
	} else {
		*pos = NULL;
	}
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serve_request req;
	char *text, *pos, *path, *rel;
	uint64_t start, length;
	int fd;
	struct lerr err;

	if (size > 65536)
		return 0;
	text = fuzz_text(data, size);
	pos = text;
	path = next_line(&pos);
	in_range = next_line(&pos);
	in_n = next_line(&pos);
	in_last = next_line(&pos);
	rel = next_line(&pos);
	memset(&req, 0, sizeof(req));
	req.opts = &opts;
	req.method = "GET";
	req.path = path;
	(void)serve_oci_handle(&req, path);
	if (getenv("FUZZ_DEBUG") != NULL) /* to check what a seed reaches */
		fprintf(stderr, "%s: %u, %llu bytes\n", path, req.status, (unsigned long long)req.bytes);
	/* Range against a few sizes, checked to stay inside the resource */
	if (http_range_parse(in_range, 0, &start, &length) == HTTP_RANGE_OK)
		abort();
	if (http_range_parse(in_range, 1000, &start, &length) == HTTP_RANGE_OK &&
	    (length == 0 || start + length > 1000))
		abort();
	if (http_range_parse(in_range, UINT64_MAX, &start, &length) == HTTP_RANGE_OK &&
	    (length == 0 || start > UINT64_MAX - length))
		abort();
	if (rel != NULL && serve_tree_has(tree, rel)) {
		if (serve_tree_open(tree, rel, &fd, &start, &err) != 0)
			abort();
		close(fd);
	}
	free(text);
	return 0;
}
