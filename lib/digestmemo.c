#include "lib/digestmemo.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"

enum memo_state { MEMO_HASHING, MEMO_READY };

struct memo_entry {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	enum memo_state state;
	char hex[SHA256_HEX_LEN + 1];
};

struct digest_memo {
	pthread_mutex_t lock;
	pthread_cond_t done; /* an entry left MEMO_HASHING (ready, or removed after a failure) */
	struct memo_entry *entries;
	size_t count;
	uint64_t hashed, reused;
};

struct digest_memo *digest_memo_new(void)
{
	struct digest_memo *m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->done, NULL);
	return m;
}

void digest_memo_free(struct digest_memo *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->done);
	free(m->entries);
	free(m);
}

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static int entry_matches(const struct memo_entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
	       same_time(&e->mtime, &st->st_mtim) && same_time(&e->ctime, &st->st_ctim);
}

/* Under the lock: the entry for st, or NULL. */
static struct memo_entry *memo_find(struct digest_memo *m, const struct stat *st)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		if (entry_matches(&m->entries[i], st))
			return &m->entries[i];
	return NULL;
}

/* Under the lock: drops the entry for st (a failed hash), so the next caller tries itself. */
static void memo_drop(struct digest_memo *m, const struct stat *st)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		if (entry_matches(&m->entries[i], st)) {
			m->entries[i] = m->entries[--m->count];
			return;
		}
}

static int hash_open_file(int fd, const char *path, const struct stat *before, char hex[SHA256_HEX_LEN + 1],
			  uint64_t *size, struct lerr *err)
{
	struct stat after;

	if (sha256_fd(fd, path, hex, size, err) != 0)
		return -1;
	/* Changed while hashed: this digest may match no state the file was ever in. */
	if (fstat(fd, &after) != 0 || after.st_size != before->st_size || !same_time(&after.st_mtim, &before->st_mtim))
		return lerr_set(err, LADING_ERR_USAGE,
				"'%s' changed while it was hashed: copy it again once it is stable", path);
	return 0;
}

int digest_memo_file(struct digest_memo *m, const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *size,
		     struct lerr *err)
{
	struct memo_entry *e;
	struct stat st;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return lerr_sys(err, "cannot open '%s'", path);
	if (fstat(fd, &st) != 0) {
		lerr_sys(err, "cannot stat '%s'", path);
		close(fd);
		return -1;
	}
	if (m == NULL) {
		rc = hash_open_file(fd, path, &st, hex, size, err);
		close(fd);
		return rc;
	}
	pthread_mutex_lock(&m->lock);
	while ((e = memo_find(m, &st)) != NULL && e->state == MEMO_HASHING)
		pthread_cond_wait(&m->done, &m->lock);
	if (e != NULL) {
		memcpy(hex, e->hex, sizeof(e->hex));
		if (size != NULL)
			*size = (uint64_t)st.st_size;
		m->reused++;
		pthread_mutex_unlock(&m->lock);
		close(fd);
		return 0;
	}
	m->entries = grow_array(m->entries, m->count, sizeof(*m->entries));
	e = &m->entries[m->count++];
	memset(e, 0, sizeof(*e));
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
	e->ctime = st.st_ctim;
	e->state = MEMO_HASHING;
	m->hashed++;
	pthread_mutex_unlock(&m->lock);

	rc = hash_open_file(fd, path, &st, hex, size, err);
	close(fd);

	pthread_mutex_lock(&m->lock);
	/* entries may have moved (grow_array, memo_drop): find it again. */
	e = memo_find(m, &st);
	if (e != NULL) {
		if (rc == 0) {
			memcpy(e->hex, hex, sizeof(e->hex));
			e->state = MEMO_READY;
		} else {
			memo_drop(m, &st);
		}
	}
	pthread_cond_broadcast(&m->done);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void digest_memo_counts(struct digest_memo *m, uint64_t *hashed, uint64_t *reused)
{
	pthread_mutex_lock(&m->lock);
	*hashed = m->hashed;
	*reused = m->reused;
	pthread_mutex_unlock(&m->lock);
}
