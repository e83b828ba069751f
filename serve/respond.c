/* Building and queueing answers (see request.h). */
#include "serve/request.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "serve/range.h"

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

static enum MHD_Result respond_unsatisfiable(struct serve_request *req, int fd, uint64_t size)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	char range[64];

	close(fd);
	if (resp == NULL)
		return MHD_NO;
	snprintf(range, sizeof(range), "bytes */%" PRIu64, size);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, range);
	return serve_respond(req, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp);
}

enum MHD_Result serve_respond_file(struct serve_request *req, int fd, uint64_t size, const char *content_type,
				   const char *digest)
{
	const char *header = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	uint64_t start = 0, length = size;
	enum http_range range = http_range_parse(header, size, &start, &length);
	struct MHD_Response *resp;
	char value[128];
	unsigned status = MHD_HTTP_OK;

	if (range == HTTP_RANGE_UNSATISFIABLE)
		return respond_unsatisfiable(req, fd, size);
	/* A file-backed answer: MHD reads (or sendfile()s) it in chunks, never the whole blob. */
	resp = MHD_create_response_from_fd_at_offset64(length, fd, start);
	if (resp == NULL) {
		close(fd);
		return MHD_NO;
	}
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
