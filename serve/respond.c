/* Building and queueing answers (see request.h). */
#include "serve/request.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xmalloc.h"
#include "serve/range.h"
#include "serve/respond_entry.h"

enum MHD_Result serve_respond(struct serve_request *req, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	if (strncmp(req->path, "/v2", 3) == 0)
		MHD_add_response_header(resp, "Docker-Distribution-API-Version", "registry/2.0");
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	req->status = status;
	return ret;
}

enum MHD_Result serve_respond_text(struct serve_request *req, unsigned status, const char *content_type,
				   const char *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	req->bytes = req->head ? 0 : len;
	return serve_respond(req, status, resp);
}

enum MHD_Result serve_respond_oci_error(struct serve_request *req, unsigned status, const char *code,
					const char *message, const char *detail)
{
	json_t *body = json_pack("{s:[{s:s,s:s,s:s*}]}", "errors", "code", code, "message", message, "detail", detail);
	char *text = json_dumps(body, JSON_COMPACT);
	enum MHD_Result ret;

	ret = serve_respond_text(req, status, "application/json", text, strlen(text));
	free(text);
	json_decref(body);
	return ret;
}

static enum MHD_Result respond_unsatisfiable(struct serve_request *req, uint64_t size)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	char range[64];

	if (resp == NULL)
		return MHD_NO;
	snprintf(range, sizeof(range), "bytes */%" PRIu64, size);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, range);
	return serve_respond(req, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp);
}

/* The headers and status every file or entry answer has; queues resp (NULL: MHD_NO). */
static enum MHD_Result respond_body(struct serve_request *req, struct MHD_Response *resp, enum http_range range,
				    uint64_t start, uint64_t length, uint64_t size, const char *content_type,
				    const char *digest)
{
	char value[128];
	unsigned status = MHD_HTTP_OK;

	if (resp == NULL)
		return MHD_NO;
	if (range == HTTP_RANGE_OK) {
		snprintf(value, sizeof(value), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start, start + length - 1,
			 size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, value);
		status = MHD_HTTP_PARTIAL_CONTENT;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (digest != NULL) {
		MHD_add_response_header(resp, "Docker-Content-Digest", digest);
		snprintf(value, sizeof(value), "\"%s\"", digest);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, value);
	}
	req->bytes = req->head ? 0 : length;
	return serve_respond(req, status, resp);
}

enum MHD_Result serve_respond_file(struct serve_request *req, int fd, uint64_t size, const char *content_type,
				   const char *digest)
{
	const char *header = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	uint64_t start = 0, length = size;
	enum http_range range = http_range_parse(header, size, &start, &length);
	struct MHD_Response *resp;

	if (range == HTTP_RANGE_UNSATISFIABLE) {
		close(fd);
		return respond_unsatisfiable(req, size);
	}
	/* A file-backed answer: MHD reads (or sendfile()s) it in chunks, never the whole blob. */
	resp = MHD_create_response_from_fd_at_offset64(length, fd, start);
	if (resp == NULL)
		close(fd);
	return respond_body(req, resp, range, start, length, size, content_type, digest);
}

#define ENTRY_BLOCK (256u << 10)

/* One answer's reader over a bundle entry: which bytes of it, nothing held between reads. */
struct entry_reader {
	const struct bundle_view *bf;
	const struct bundle_entry *e;
	const struct logger *lg;
	uint64_t start, end; /* the answer's bytes of the entry */
};

/*
 * Copies from the verified chunk holding byte at, pinned only for the copy:
 * between calls a download holds no chunk, so memory is the view's bounded
 * cache whatever the number of downloads (bundle/format/chunkcache.h).
 */
static ssize_t read_entry(void *cls, uint64_t pos, char *out, size_t max)
{
	struct entry_reader *r = cls;
	uint64_t at = r->start + pos;
	struct chunk_ref ref;
	size_t n;
	struct lerr err;

	if (at >= r->end)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (bundle_view_chunk_get(r->bf, r->e, at, &ref, &err) != 0) {
		/* Content-Length is already out: ending early makes the client see a short, failed body. */
		log_msg(r->lg, LOG_ERROR, "%s (this request fails, others go on)", err.msg);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	n = (size_t)(ref.start + ref.len - at);
	if (n > r->end - at)
		n = (size_t)(r->end - at);
	if (n > max)
		n = max;
	memcpy(out, ref.data + (at - ref.start), n);
	bundle_view_chunk_put(r->bf, &ref);
	return (ssize_t)n;
}

enum MHD_Result serve_respond_entry(struct serve_request *req, const struct bundle_view *bf,
				    const struct bundle_entry *e, const char *content_type, const char *digest)
{
	const char *header = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	uint64_t start = 0, length = e->size;
	enum http_range range = http_range_parse(header, e->size, &start, &length);
	struct entry_reader *r;
	struct MHD_Response *resp;

	if (range == HTTP_RANGE_UNSATISFIABLE)
		return respond_unsatisfiable(req, e->size);
	r = xcalloc(1, sizeof(*r));
	r->bf = bf;
	r->e = e;
	r->lg = req->opts->lg;
	r->start = start;
	r->end = start + length;
	/*
	 * MHD's buffer, allocated per answer: 256 KiB (less for a smaller answer) is what one
	 * call copies out of a pinned chunk, so when more downloads are in flight than the cache
	 * has chunks, a chunk is read again at most 16 times, not 64.
	 */
	resp = MHD_create_response_from_callback(length, length < ENTRY_BLOCK ? (size_t)length + 1 : ENTRY_BLOCK,
						 read_entry, r, free);
	if (resp == NULL)
		free(r);
	return respond_body(req, resp, range, start, length, e->size, content_type, digest);
}

enum MHD_Result serve_respond_blob(struct serve_request *req, struct serve_blob *b, const char *content_type,
				   const char *digest)
{
	int fd = b->fd;

	b->fd = -1;
	if (fd >= 0)
		return serve_respond_file(req, fd, b->size, content_type, digest);
	return serve_respond_entry(req, b->bf, b->entry, content_type, digest);
}
