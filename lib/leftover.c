/* Crash leftovers of dead runs: recognise, check dead (pid gone, lock free), measure, remove. */
#define _GNU_SOURCE
#include "lib/leftover.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define MAX_DEPTH 64

long leftover_parse_pid(const char *s)
{
	long pid = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]) || i >= 9)
			return -1;
		pid = pid * 10 + (s[i] - '0');
	}
	return pid > 1 ? pid : -1;
}

static int all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

long leftover_match_staging(const char *name, const void *base)
{
	static const char tag[] = ".lading-staging.";
	const char *b = base;
	const char *at;

	if (name[0] != '.')
		return -1;
	if (b != NULL) {
		size_t n = strlen(b);

		if (strncmp(name + 1, b, n) != 0 || strncmp(name + 1 + n, tag, sizeof(tag) - 1) != 0)
			return -1;
		return leftover_parse_pid(name + 1 + n + sizeof(tag) - 1);
	}
	at = strstr(name + 1, tag);
	if (at == NULL || at == name + 1)
		return -1;
	return leftover_parse_pid(at + sizeof(tag) - 1);
}

long leftover_match_serve(const char *name, const void *unused)
{
	(void)unused;
	if (strlen(name) < 18 || !all_hex(name, 16) || name[16] != '-')
		return -1;
	return leftover_parse_pid(name + 17);
}

long leftover_match_push(const char *name, const void *unused)
{
	static const char tag[] = "lading-push.";
	const char *dot;
	char digits[16];
	size_t n;

	(void)unused;
	if (strncmp(name, tag, sizeof(tag) - 1) != 0)
		return -1;
	name += sizeof(tag) - 1;
	dot = strchr(name, '.');
	if (dot == NULL || strlen(dot + 1) != 6 || strchr(dot + 1, '.') != NULL || (n = (size_t)(dot - name)) == 0 ||
	    n >= sizeof(digits))
		return -1;
	memcpy(digits, name, n);
	digits[n] = '\0';
	return leftover_parse_pid(digits);
}

long leftover_match_tmp(const char *name, const void *base)
{
	size_t n = strlen(base);

	if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp.", 5) != 0)
		return -1;
	return leftover_parse_pid(name + n + 5);
}

long leftover_match_partial(const char *name, const void *unused)
{
	(void)unused;
	return strlen(name) == 64 + 8 && all_hex(name, 64) && strcmp(name + 64, ".partial") == 0 ? 0 : -1;
}

int leftover_lock_fd(int fd, const char *path, struct lerr *err)
{
	while (flock(fd, LOCK_EX | LOCK_NB) != 0)
		if (errno != EINTR)
			return lerr_sys(err, "cannot lock '%s'", path);
	return 0;
}

int leftover_lock_path(const char *path, struct lerr *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return lerr_sys(err, "cannot open '%s'", path);
	if (leftover_lock_fd(fd, path, err) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int pid_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Bytes under fd (a file or a directory, links not followed). */
static uint64_t tree_bytes(int fd, int depth)
{
	struct stat st;
	uint64_t total = 0;
	DIR *dir;
	struct dirent *de;
	int dup_fd;

	if (fstat(fd, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (uint64_t)st.st_size;
	if (depth >= MAX_DEPTH || (dup_fd = dup(fd)) < 0)
		return 0;
	if ((dir = fdopendir(dup_fd)) == NULL) {
		close(dup_fd);
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		int child;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = openat(dirfd(dir), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (child < 0) {
			if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
				total += (uint64_t)st.st_size;
			continue;
		}
		total += tree_bytes(child, depth + 1);
		close(child);
	}
	closedir(dir);
	return total;
}

static int remove_path(const char *path, int is_dir, struct lerr *err)
{
	if (is_dir)
		return fs_remove_tree(path, err);
	return unlink(path) == 0 ? 0 : lerr_sys(err, "cannot remove '%s'", path);
}

/* Removes dir/name when its owner is dead; 1 removed, 0 kept. */
static int sweep_one(const char *dir, const char *name, long pid, const char *kind, const struct logger *lg,
		     struct leftover_stats *st)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat sb;
	struct lerr err;
	uint64_t bytes;
	int fd, removed = 0;

	/* Our own pid in a name is an earlier run's (pid reuse): the lock alone tells whether it is live. */
	if (pid > 0 && pid != (long)getpid() && pid_alive(pid))
		goto out;
	if (lstat(path, &sb) != 0 || !(S_ISDIR(sb.st_mode) || S_ISREG(sb.st_mode)))
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		goto out;
	/* Held by a live run (another pid namespace, or a reused pid that took it): not ours to touch. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		goto out;
	}
	bytes = tree_bytes(fd, 0);
	if (remove_path(path, S_ISDIR(sb.st_mode), &err) != 0)
		log_msg(lg, LOG_WARN, "%s: leftover of a dead run kept: %s", kind, err.msg);
	else {
		log_msg(lg, LOG_VERBOSE, "%s: removed leftover '%s' of dead run %ld (%llu bytes)", kind, path, pid,
			(unsigned long long)bytes);
		if (st != NULL) {
			st->count++;
			st->bytes += bytes;
		}
		removed = 1;
	}
	close(fd);
out:
	free(path);
	return removed;
}

unsigned long leftover_sweep(const char *dir, leftover_match_fn match, const void *arg, const char *kind,
			     const struct logger *lg, struct leftover_stats *st)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	long *pids = NULL;
	size_t n = 0, cap = 0, i;
	unsigned long removed = 0;

	if (d == NULL)
		return 0;
	/* Collect first: removing while readdir() walks the same directory may skip entries. */
	while ((de = readdir(d)) != NULL) {
		long pid = match(de->d_name, arg);

		if (pid < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			names = xrealloc(names, cap * sizeof(*names));
			pids = xrealloc(pids, cap * sizeof(*pids));
		}
		names[n] = xstrdup(de->d_name);
		pids[n++] = pid;
	}
	closedir(d);
	for (i = 0; i < n; i++) {
		removed += (unsigned long)sweep_one(dir, names[i], pids[i], kind, lg, st);
		free(names[i]);
	}
	free(names);
	free(pids);
	return removed;
}
