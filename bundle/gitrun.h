#ifndef LADING_BUNDLE_GITRUN_H
#define LADING_BUNDLE_GITRUN_H

/*
 * Running the git CLI (issue 20): argv only, never a shell; an environment of our own (no system or global
 * config, no terminal prompt, a private HOME, none of the caller's GIT_* variables, only the https, http and
 * file transports); stdin /dev/null unless
 * a file is given; stderr kept so a failure shows git's last line.
 */
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/err.h"

struct git_env {
	char *git;   /* the git program found on PATH */
	char **envp; /* NULL-terminated; values may hold secrets (wiped by git_env_free) */
	size_t env_count;
};

/*
 * Finds git on PATH and builds its environment with HOME=home. LADING_ERR_USAGE ("git is not installed")
 * when git is missing; fills env (git_env_free) only on success.
 */
int git_env_init(struct git_env *env, const char *home, struct lerr *err);

/* Adds or replaces NAME=value in env (credentials, CGI variables). */
void git_env_set(struct git_env *env, const char *name, const char *value);

/* A copy of src in dst (git_env_free), to add per-call variables to. */
void git_env_copy(struct git_env *dst, const struct git_env *src);

/*
 * HTTP basic credentials for git: an askpass helper written into dir (0700) that prints
 * LADING_GIT_USERNAME / LADING_GIT_PASSWORD of its own environment, both set in env; the secret is on no
 * command line and in no file.
 */
int git_env_credentials(struct git_env *env, const char *dir, const char *username, const char *password,
			struct lerr *err);

/* http.sslCAInfo (ca_file not NULL) and http.sslVerify=false (insecure) through GIT_CONFIG_COUNT/KEY/VALUE. */
void git_env_tls(struct git_env *env, const char *ca_file, int insecure);

/* Frees env, wiping every variable first; NULL-safe. */
void git_env_free(struct git_env *env);

struct git_io {
	const char *cwd; /* NULL: the current directory */
	int in_fd;	 /* -1: /dev/null */
	int out_fd;	 /* -1: stdout into out (or discarded when out is NULL) */
	struct buf *out; /* its cap bounds what git may print (LADING_ERR_LIMIT) */
};

/*
 * Runs "git ARGS…" and waits. A non-zero exit fails with LADING_ERR_NETWORK as "WHAT: git CMD failed:
 * <git's last stderr line>"; not being able to start it is LADING_ERR_SYSTEM.
 */
int git_run(const struct git_env *env, const struct git_io *io, const char *const *args, const char *what,
	    struct lerr *err);

/*
 * Starts "git ARGS…" in cwd with stdin from in_fd (-1: /dev/null), stderr to /dev/null and stdout on a
 * pipe whose read end goes to *out_fd; the caller reads it, closes it and reaps *pid (git_wait).
 */
int git_spawn(const struct git_env *env, const char *cwd, const char *const *args, int in_fd, int *out_fd, pid_t *pid,
	      struct lerr *err);

/* Waits for pid; 0 when it exited with status 0. */
int git_wait(pid_t pid);

#endif
