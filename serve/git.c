#define _GNU_SOURCE /* mkstemp */
/* /git/NAME.git/…: the carried repositories over smart HTTP through git http-backend (see git.h). */
#include "serve/git.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bundle/cache.h"
#include "bundle/gitrun.h"
#include "bundle/spec_sources.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

/* An upload-pack request is wants and haves: even a big negotiation is far below this. */
#define GIT_BODY_MAX (256ull << 20)
/* The CGI's header block (Status, Content-Type, Cache-Control…). */
#define CGI_HEADERS_MAX (64u << 10)
#define CGI_IDLE_MS (120 * 1000)

struct serve_git {
	char **names; /* carried repositories, "NAME" of git/NAME.bundle */
	size_t count;
	char *root;	    /* the private directory: NAME.git mirrors, home/, request bodies */
	struct git_env env; /* .git is NULL when git is not installed */
	int idle_ms;	    /* a CGI silent this long is stuck (cgi_wait) */
};

struct serve_git_req {
	char *path_info; /* "/NAME.git/REST" */
	const char *query;
	int body_fd; /* POST: the request body, unlinked temporary file; else -1 */
	uint64_t body_len;
};

/* The CGI's output after its headers, handed to libmicrohttpd as it is read. */
struct cgi_stream {
	int fd;
	pid_t pid;
	struct buf pending; /* body bytes read together with the headers */
	size_t pending_off;
	uint64_t *bytes; /* the request's byte count, for the access log */
	int ended;
	int idle_ms;
};

static int add_name(struct serve_git *git, const char *name, size_t len)
{
	char *copy = xstrndup(name, len);

	if (!spec_name_is_valid(copy)) {
		free(copy);
		return 0;
	}
	git->names = grow_array(git->names, git->count, sizeof(*git->names));
	git->names[git->count++] = copy;
	return 1;
}

static int bundle_suffix(const char *name, size_t *len)
{
	size_t n = strlen(name);

	if (n <= 7 || strcmp(name + n - 7, ".bundle") != 0)
		return 0;
	*len = n - 7;
	return 1;
}

static void list_names(struct serve_git *git, const char *dir, const struct bundle_view *bf)
{
	size_t i, len;

	if (bf != NULL) {
		const struct bundle_manifest *m = bundle_view_manifest(bf);

		for (i = 0; i < m->entry_count; i++)
			if (strncmp(m->entries[i].path, "git/", 4) == 0 &&
			    strchr(m->entries[i].path + 4, '/') == NULL && bundle_suffix(m->entries[i].path + 4, &len))
				add_name(git, m->entries[i].path + 4, len);
	} else {
		char *path = xasprintf("%s/git", dir);
		DIR *d = opendir(path);
		struct dirent *de;

		while (d != NULL && (de = readdir(d)) != NULL)
			if (bundle_suffix(de->d_name, &len))
				add_name(git, de->d_name, len);
		if (d != NULL)
			closedir(d);
		free(path);
	}
}

/* "<16 hex>-<pid>" under cache_dir, the shape lib/leftover.c sweeps once its process is gone. */
static int make_root(struct serve_git *git, const char *cache_dir, struct lerr *err)
{
	char *base = NULL, *seed, hex[SHA256_HEX_LEN + 1];
	struct timespec now;
	int r = -1;

	if (cache_dir != NULL)
		base = xstrdup(cache_dir);
	else if (bundle_cache_dir(&seed, err) == 0) {
		base = xasprintf("%s/serve", seed);
		free(seed);
	}
	if (base == NULL || fs_mkdir_p(base, err) != 0)
		goto out;
	clock_gettime(CLOCK_REALTIME, &now);
	seed = xasprintf("git %s %ld %ld %ld", base, (long)getpid(), (long)now.tv_sec, (long)now.tv_nsec);
	sha256_hex(seed, strlen(seed), hex);
	free(seed);
	git->root = xasprintf("%s/%.16s-%ld", base, hex, (long)getpid());
	if (mkdir(git->root, 0700) != 0) {
		lerr_sys(err, "cannot create '%s'", git->root);
		free(git->root);
		git->root = NULL;
		goto out;
	}
	r = 0;
out:
	free(base);
	return r;
}

static int write_piece(void *ctx, const void *data, size_t len, struct lerr *err)
{
	return fs_write_all(*(int *)ctx, data, len, "git bundle", err);
}

/* The bundle of name as a file: dir's own, or the view's entry copied (verified as it is read) into root. */
static int bundle_file(const struct serve_git *git, const char *dir, const struct bundle_view *bf, const char *name,
		       char **out, struct lerr *err)
{
	char *entry = xasprintf("git/%s.bundle", name);
	const struct bundle_entry *e;
	int fd, r = -1;

	if (bf == NULL) {
		*out = xasprintf("%s/%s", dir, entry);
		free(entry);
		return 0;
	}
	e = bundle_view_find(bf, entry);
	*out = xasprintf("%s/%s.bundle", git->root, name);
	fd = open(*out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		lerr_sys(err, "cannot create '%s'", *out);
	else if (e != NULL && bundle_view_read_range(bf, e, 0, e->size, write_piece, &fd, err) == 0)
		r = 0;
	if (fd >= 0)
		close(fd);
	if (r != 0) {
		unlink(*out);
		free(*out);
		*out = NULL;
	}
	free(entry);
	return r;
}

/* git clone --mirror of the bundle: git checks the pack as it indexes it. */
static int materialize(struct serve_git *git, const char *dir, const struct bundle_view *bf, const char *name,
		       struct lerr *err)
{
	char *file = NULL, *repo = xasprintf("%s/%s.git", git->root, name), *what = xasprintf("git/%s.bundle", name);
	int r = -1;

	if (bundle_file(git, dir, bf, name, &file, err) != 0)
		goto out;
	if (git_run(&git->env, &(struct git_io){NULL, -1, -1, NULL},
		    (const char *[]){"clone", "--mirror", "-q", "--", file, repo, NULL}, what, err) != 0 ||
	    git_run(&git->env, &(struct git_io){repo, -1, -1, NULL},
		    (const char *[]){"config", "http.receivepack", "false", NULL}, what, err) != 0)
		goto out;
	r = 0;
out:
	if (bf != NULL && file != NULL)
		unlink(file);
	free(file);
	free(repo);
	free(what);
	return r;
}

int serve_git_load(const char *dir, const struct bundle_view *bf, const char *cache_dir, const struct logger *lg,
		   struct serve_git **out, struct lerr *err)
{
	struct serve_git *git = xcalloc(1, sizeof(*git));
	const char *idle = getenv("LADING_SERVE_GIT_IDLE_S");
	char *home = NULL;
	size_t i;
	int r = -1;

	/* Seconds; tests shorten it to see a stuck CGI end. */
	git->idle_ms = idle != NULL && atoi(idle) > 0 && atoi(idle) <= 3600 ? atoi(idle) * 1000 : CGI_IDLE_MS;
	list_names(git, dir, bf);
	if (git->count == 0) {
		*out = git;
		return 0;
	}
	if (make_root(git, cache_dir, err) != 0)
		goto out;
	home = xasprintf("%s/home", git->root);
	if (fs_mkdir_p(home, err) != 0)
		goto out;
	if (git_env_init(&git->env, home, err) != 0) {
		log_msg(lg, LOG_WARN,
			"serve: %zu git repositor%s carried but git is not installed: /git/ answers 503, everything "
			"else is served (install git to serve them)",
			git->count, git->count == 1 ? "y" : "ies");
		*out = git;
		git = NULL;
		r = 0;
		goto out;
	}
	for (i = 0; i < git->count; i++)
		if (materialize(git, dir, bf, git->names[i], err) != 0)
			goto out;
	log_msg(lg, LOG_VERBOSE, "serve: %zu git repositor%s under /git/", git->count, git->count == 1 ? "y" : "ies");
	*out = git;
	git = NULL;
	r = 0;
out:
	serve_git_free(git);
	free(home);
	return r;
}

size_t serve_git_count(const struct serve_git *git)
{
	return git != NULL ? git->count : 0;
}

void serve_git_free(struct serve_git *git)
{
	size_t i;

	if (git == NULL)
		return;
	if (git->root != NULL)
		fs_remove_tree(git->root, NULL);
	for (i = 0; i < git->count; i++)
		free(git->names[i]);
	free(git->names);
	free(git->root);
	git_env_free(&git->env);
	free(git);
}

int serve_git_route(const char *path)
{
	return strncmp(path, "/git/", 5) == 0;
}

static enum MHD_Result answer_text(struct serve_request *req, unsigned status, const char *text)
{
	return serve_respond_text(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* "/git/NAME.git/REST" with NAME carried: NAME's index, else -1; *rest points into path. */
static int repo_of(const struct serve_git *git, const char *path, const char **rest)
{
	const char *name = path + 5, *dot = strstr(name, ".git/");
	size_t i;

	if (dot == NULL)
		return -1;
	for (i = 0; i < git->count; i++)
		if (strlen(git->names[i]) == (size_t)(dot - name) && strncmp(git->names[i], name, dot - name) == 0) {
			*rest = dot + 5;
			return (int)i;
		}
	return -1;
}

enum MHD_Result serve_git_begin(struct serve_request *req, const struct serve_git *git)
{
	const char *rest = NULL, *service;
	int post = strcmp(req->method, MHD_HTTP_METHOD_POST) == 0, get = strcmp(req->method, MHD_HTTP_METHOD_GET) == 0;
	struct serve_git_req *state;

	if (git == NULL || repo_of(git, req->path, &rest) < 0)
		return answer_text(req, MHD_HTTP_NOT_FOUND, "404 not found\n");
	service = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "service");
	if (strcmp(rest, "git-receive-pack") == 0 ||
	    (strcmp(rest, "info/refs") == 0 && service != NULL && strcmp(service, "git-upload-pack") != 0))
		return answer_text(req, MHD_HTTP_FORBIDDEN, "403 forbidden: this server is read-only\n");
	if (strcmp(rest, "info/refs") != 0 && strcmp(rest, "HEAD") != 0 && strcmp(rest, "git-upload-pack") != 0)
		return answer_text(req, MHD_HTTP_NOT_FOUND, "404 not found\n");
	if (strcmp(rest, "git-upload-pack") == 0 ? !post : !get)
		return answer_text(req, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed\n");
	if (git->env.git == NULL)
		return answer_text(req, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "503 service unavailable: git is not installed on this server\n");
	state = xcalloc(1, sizeof(*state));
	state->path_info = xstrdup(req->path + 4);
	state->query = service != NULL ? "service=git-upload-pack" : "";
	state->body_fd = -1;
	if (post) {
		char *tmp = xasprintf("%s/.body-XXXXXX", git->root);

		state->body_fd = mkstemp(tmp);
		if (state->body_fd >= 0)
			unlink(tmp);
		free(tmp);
	}
	req->git = state;
	if (post && state->body_fd < 0)
		return answer_text(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 cannot keep the request body\n");
	return MHD_YES;
}

enum MHD_Result serve_git_body(struct serve_request *req, const char *data, size_t len)
{
	struct serve_git_req *state = req->git;

	if (state == NULL || state->body_fd < 0 || state->body_len > GIT_BODY_MAX)
		return MHD_YES;
	state->body_len += len;
	if (state->body_len <= GIT_BODY_MAX && fs_write_all(state->body_fd, data, len, "request body", NULL) != 0)
		state->body_len = GIT_BODY_MAX + 1;
	return MHD_YES;
}

/* A header value the CGI may be given: printable ASCII only. */
static const char *header(struct serve_request *req, const char *name)
{
	const char *value = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
	const char *p;

	if (value == NULL)
		return NULL;
	for (p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return NULL;
	return value;
}

/* The CGI environment of SPECS-2 §8; no REMOTE_USER, so http-backend refuses receive-pack as well. */
static void cgi_env(struct serve_request *req, const struct serve_git *git, struct git_env *env)
{
	const struct serve_git_req *state = req->git;
	const char *value;
	char length[32];

	git_env_copy(env, &git->env);
	git_env_set(env, "GIT_PROJECT_ROOT", git->root);
	git_env_set(env, "GIT_HTTP_EXPORT_ALL", "1");
	git_env_set(env, "PATH_INFO", state->path_info);
	git_env_set(env, "QUERY_STRING", state->query);
	git_env_set(env, "REQUEST_METHOD", req->method);
	git_env_set(env, "GATEWAY_INTERFACE", "CGI/1.1");
	if ((value = header(req, MHD_HTTP_HEADER_CONTENT_TYPE)) != NULL)
		git_env_set(env, "CONTENT_TYPE", value);
	if ((value = header(req, "Content-Encoding")) != NULL)
		git_env_set(env, "HTTP_CONTENT_ENCODING", value);
	if ((value = header(req, "Git-Protocol")) != NULL)
		git_env_set(env, "GIT_PROTOCOL", value);
	if (state->body_fd >= 0) {
		snprintf(length, sizeof(length), "%llu", (unsigned long long)state->body_len);
		git_env_set(env, "CONTENT_LENGTH", length);
	}
}

/*
 * Waits until the CGI has something to read. A git http-backend that says nothing for idle_ms is taken
 * as stuck: the request fails (cgi_free then ends the CGI) rather than holding a server thread for good.
 * upload-pack sends keepalives while it computes a pack, so a slow but working one never idles this long.
 */
static int cgi_wait(const struct cgi_stream *s)
{
	struct pollfd p = {s->fd, POLLIN, 0};
	int n;

	do
		n = poll(&p, 1, s->idle_ms);
	while (n < 0 && errno == EINTR);
	return n > 0 ? 0 : -1;
}

static ssize_t cgi_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct cgi_stream *s = cls;
	ssize_t got;

	(void)pos;
	if (s->pending_off < s->pending.len) {
		size_t n = s->pending.len - s->pending_off < max ? s->pending.len - s->pending_off : max;

		memcpy(out, s->pending.data + s->pending_off, n);
		s->pending_off += n;
		*s->bytes += n;
		return (ssize_t)n;
	}
	if (cgi_wait(s) != 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	do
		got = read(s->fd, out, max);
	while (got < 0 && errno == EINTR);
	if (got == 0) {
		s->ended = 1;
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (got < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	*s->bytes += (uint64_t)got;
	return got;
}

static void cgi_free(void *cls)
{
	struct cgi_stream *s = cls;

	close(s->fd);
	/* A client that left early: the CGI may still be writing. */
	if (!s->ended)
		kill(s->pid, SIGTERM);
	git_wait(s->pid);
	buf_free(&s->pending);
	free(s);
}

/* Reads the CGI's header block; what follows it stays in s->pending. */
static int read_headers(struct cgi_stream *s, struct buf *headers)
{
	char chunk[4096], *end;

	for (;;) {
		ssize_t got;

		if (cgi_wait(s) != 0)
			return -1;
		got = read(s->fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || buf_add(&s->pending, chunk, (size_t)got, NULL) != 0)
			return -1;
		buf_add(&s->pending, "", 1, NULL); /* a terminator for strstr, dropped below */
		s->pending.len--;
		end = strstr(s->pending.data, "\r\n\r\n");
		if (end != NULL || (end = strstr(s->pending.data, "\n\n")) != NULL) {
			size_t head = (size_t)(end - s->pending.data) + (end[0] == '\r' ? 4 : 2);

			buf_add(headers, s->pending.data, head, NULL);
			buf_add(headers, "", 1, NULL);
			s->pending_off = head;
			return 0;
		}
	}
}

/* Copies the CGI's headers to resp; its Status line gives *status. */
static void apply_headers(char *text, struct MHD_Response *resp, unsigned *status)
{
	char *save = NULL, *line;

	for (line = strtok_r(text, "\r\n", &save); line != NULL; line = strtok_r(NULL, "\r\n", &save)) {
		char *colon = strchr(line, ':'), *value;

		if (colon == NULL)
			continue;
		*colon = '\0';
		for (value = colon + 1; *value == ' '; value++)
			;
		if (strcasecmp(line, "Status") == 0)
			*status = (unsigned)strtoul(value, NULL, 10);
		else if (strcasecmp(line, "Content-Length") != 0 && strcasecmp(line, "Transfer-Encoding") != 0 &&
			 strcasecmp(line, "Connection") != 0)
			MHD_add_response_header(resp, line, value);
	}
	if (*status < 100 || *status > 599)
		*status = MHD_HTTP_BAD_GATEWAY;
}

enum MHD_Result serve_git_answer(struct serve_request *req, const struct serve_git *git)
{
	struct serve_git_req *state = req->git;
	struct cgi_stream *s;
	struct MHD_Response *resp;
	struct buf headers = BUF_INIT(CGI_HEADERS_MAX);
	struct git_env env;
	struct lerr err;
	unsigned status = MHD_HTTP_OK;

	if (state->body_len > GIT_BODY_MAX)
		return answer_text(req, MHD_HTTP_CONTENT_TOO_LARGE, "413 request body too large\n");
	if (state->body_fd >= 0 && lseek(state->body_fd, 0, SEEK_SET) != 0)
		return answer_text(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 cannot read the request body\n");
	s = xcalloc(1, sizeof(*s));
	s->pending = (struct buf)BUF_INIT(CGI_HEADERS_MAX + 16384);
	s->bytes = &req->bytes;
	s->idle_ms = git->idle_ms;
	cgi_env(req, git, &env);
	if (git_spawn(&env, NULL, (const char *[]){"http-backend", NULL}, state->body_fd, &s->fd, &s->pid, &err) != 0) {
		git_env_free(&env);
		free(s);
		return answer_text(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 cannot run git http-backend\n");
	}
	git_env_free(&env);
	if (read_headers(s, &headers) != 0) {
		s->ended = 0;
		cgi_free(s);
		buf_free(&headers);
		return answer_text(req, MHD_HTTP_BAD_GATEWAY, "502 git http-backend gave no answer\n");
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, cgi_read, s, cgi_free);
	if (resp == NULL) {
		cgi_free(s);
		buf_free(&headers);
		return MHD_NO;
	}
	apply_headers(headers.data, resp, &status);
	buf_free(&headers);
	req->bytes = 0;
	return serve_respond(req, status, resp);
}

void serve_git_request_free(struct serve_request *req)
{
	struct serve_git_req *state = req->git;

	if (state == NULL)
		return;
	if (state->body_fd >= 0)
		close(state->body_fd);
	free(state->path_info);
	free(state);
	req->git = NULL;
}
