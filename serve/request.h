#ifndef LADING_SERVE_REQUEST_H
#define LADING_SERVE_REQUEST_H

/*
 * Internal to serve/: one request as the handlers see it, and the ways to
 * answer it. Every answer goes through serve_respond so the access log knows
 * its status and size.
 */
#include <microhttpd.h>
#include <stdint.h>

#include "serve/server.h"

struct serve_git_req;

struct serve_request {
	const struct serve_server_opts *opts;
	struct MHD_Connection *conn;
	const char *method;
	char *path; /* the decoded path (MHD unescapes %XX), owned */
	int head;   /* HEAD: headers only */
	double started;
	unsigned status;
	uint64_t bytes;		   /* body bytes of the answer */
	struct serve_git_req *git; /* /git/ requests: the body kept so far (serve/git.c), else NULL */
};

/* Queues resp with status (and destroys the caller's reference); records status and size. */
enum MHD_Result serve_respond(struct serve_request *req, unsigned status, struct MHD_Response *resp);

/* A body copied from memory. */
enum MHD_Result serve_respond_text(struct serve_request *req, unsigned status, const char *content_type,
				   const char *body, size_t len);

/*
 * An open file (fd is always consumed): honours Range (206 + Content-Range,
 * 416), answers from the file without reading it into memory. digest, when not
 * NULL, goes out as Docker-Content-Digest and ETag.
 */
enum MHD_Result serve_respond_file(struct serve_request *req, int fd, uint64_t size, const char *content_type,
				   const char *digest);

/* {"errors":[{"code":...,"message":...,"detail":...}]} (OCI distribution §Error Codes). */
enum MHD_Result serve_respond_oci_error(struct serve_request *req, unsigned status, const char *code,
					const char *message, const char *detail);

/* The registry API under /v2 (oci_api.c). */
enum MHD_Result serve_oci_handle(struct serve_request *req, const char *rest);

#endif
