#ifndef LADING_SERVE_GIT_H
#define LADING_SERVE_GIT_H

/*
 * Internal to serve/: the carried git/NAME.bundle repositories answered read-only as smart HTTP under
 * /git/NAME.git/ (SPECS-2 §8; v0/v1 and v2). Each bundle is cloned once at start (git clone --mirror) into
 * a private directory, and each request runs `git http-backend` as a CGI: only GET info/refs (upload-pack
 * or dumb), GET HEAD and POST git-upload-pack; receive-pack is 403 (no REMOTE_USER is ever set, so
 * http-backend would refuse a push too). Needs the git command on the serving host for /git/ only.
 */
#include <stddef.h>

#include "bundle/format/view.h"
#include "lib/err.h"
#include "lib/log.h"
#include "serve/request.h"

struct serve_git;

/*
 * Loads the repositories of dir/git/ (dir not NULL) or of bf's git/ entries, each bundle cloned into a new
 * directory under cache_dir (NULL: $LADING_CACHE/serve). Without git installed it logs one warning line and
 * loads none (their requests answer 503). *out (serve_git_free) is set on success, even with no
 * repositories; fails naming the bundle when one cannot be cloned.
 */
int serve_git_load(const char *dir, const struct bundle_view *bf, const char *cache_dir, const struct logger *lg,
		   struct serve_git **out, struct lerr *err);

/* How many repositories it answers for (carried ones, even when git is missing); 0 for NULL. */
size_t serve_git_count(const struct serve_git *git);

/* Removes the private directory and frees git; NULL-safe. */
void serve_git_free(struct serve_git *git);

/* True when path is answered here ("/git/…"). */
int serve_git_route(const char *path);

/*
 * The three steps of one request: begin on the first call (answers at once when the route or the method is
 * refused), body for each piece of an uploaded body (kept in a temporary file, capped), answer when the
 * body is complete. request_free releases what begin kept (from the completion callback).
 */
enum MHD_Result serve_git_begin(struct serve_request *req, const struct serve_git *git);
enum MHD_Result serve_git_body(struct serve_request *req, const char *data, size_t len);
enum MHD_Result serve_git_answer(struct serve_request *req, const struct serve_git *git);
void serve_git_request_free(struct serve_request *req);

#endif
