#ifndef LADING_SERVE_RESPOND_ENTRY_H
#define LADING_SERVE_RESPOND_ENTRY_H

/*
 * Answering from an entry of the bundle file served from (bundle/format/view.h)
 * instead of an extracted file: the body is produced as MHD asks for it, one
 * verified chunk at a time, so only the frames a request (or its Range) needs
 * are decompressed and no unverified byte is ever sent. A chunk that fails its
 * check ends that response early (the client sees a short body against its
 * Content-Length) and logs one error line naming the bundle, the entry and the
 * chunk; other requests go on.
 */
#include "bundle/format/manifest.h"
#include "serve/blob.h"
#include "serve/request.h"

/* Answers with b (serve_respond_file or serve_respond_entry); consumes b's fd. */
enum MHD_Result serve_respond_blob(struct serve_request *req, struct serve_blob *b, const char *content_type,
				   const char *digest);

/* Like serve_respond_file (Range, 416, digest headers) for entry e of bf. */
enum MHD_Result serve_respond_entry(struct serve_request *req, const struct bundle_view *bf,
				    const struct bundle_entry *e, const char *content_type, const char *digest);

#endif
