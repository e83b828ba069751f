/* The set of trusted minisign public keys and signature checks against it. */
#include "sign/trust.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

void trust_init(struct trust_set *ts)
{
	ts->keys = NULL;
	ts->count = 0;
	ts->source = NULL;
}

int trust_add_file(struct trust_set *ts, const char *path, struct lerr *err)
{
	struct minisign_pubkey pk;

	if (minisign_pubkey_load(&pk, path, err) != 0)
		return -1;
	if (trust_find(ts, pk.key_id) != NULL)
		return 0;
	ts->keys = grow_array(ts->keys, ts->count, sizeof(*ts->keys));
	ts->keys[ts->count].pubkey = pk;
	ts->keys[ts->count].path = xstrdup(path);
	ts->count++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_pub_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".pub") == 0;
}

int trust_add_dir(struct trust_set *ts, const char *dir, struct lerr *err)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	char **names = NULL;
	size_t count = 0;
	size_t i;
	int r = -1;

	if (d == NULL)
		return errno == ENOENT ? 0 : lerr_sys(err, "cannot read the trust directory '%s'", dir);
	for (;;) {
		errno = 0;
		if ((entry = readdir(d)) == NULL)
			break;
		if (!is_pub_name(entry->d_name))
			continue;
		names = grow_array(names, count, sizeof(*names));
		names[count++] = xasprintf("%s/%s", dir, entry->d_name);
	}
	if (errno != 0) {
		lerr_sys(err, "cannot read the trust directory '%s'", dir);
		goto out;
	}
	if (count > 0)
		qsort(names, count, sizeof(*names), name_cmp);
	for (i = 0; i < count; i++)
		if (trust_add_file(ts, names[i], err) != 0)
			goto out;
	r = 0;
out:
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

int trust_load(struct trust_set *ts, char *const *pubkey_files, size_t count, struct lerr *err)
{
	const char *dir;
	size_t i;

	if (count > 0) {
		free(ts->source);
		ts->source = xstrdup("--pubkey");
		for (i = 0; i < count; i++)
			if (trust_add_file(ts, pubkey_files[i], err) != 0)
				return -1;
		return 0;
	}
	dir = getenv("LADING_TRUST_DIR");
	if (dir == NULL || dir[0] == '\0')
		dir = TRUST_DIR_DEFAULT;
	free(ts->source);
	ts->source = xstrdup(dir);
	return trust_add_dir(ts, dir, err);
}

const struct trust_key *trust_find(const struct trust_set *ts, const uint8_t key_id[MINISIGN_KEY_ID_LEN])
{
	size_t i;

	for (i = 0; i < ts->count; i++)
		if (memcmp(ts->keys[i].pubkey.key_id, key_id, MINISIGN_KEY_ID_LEN) == 0)
			return &ts->keys[i];
	return NULL;
}

/* Finds the signer or explains, naming the signature's key id and every trusted one. */
static const struct trust_key *trust_signer(const struct trust_set *ts, const struct minisign_sig *sig,
					    const char *what, struct lerr *err)
{
	const struct trust_key *key = trust_find(ts, sig->key_id);
	char id[MINISIGN_KEY_ID_HEX];
	struct buf ids = BUF_INIT(0);
	size_t i;

	if (key != NULL)
		return key;
	minisign_key_id_hex(sig->key_id, id);
	if (ts->count == 0) {
		lerr_set(err, LADING_ERR_SIGNATURE,
			 "%s: signed by key %s, but no key is trusted here (give --pubkey or put *.pub in %s)", what,
			 id, ts->source != NULL ? ts->source : TRUST_DIR_DEFAULT);
		return NULL;
	}
	for (i = 0; i < ts->count; i++) {
		char trusted[MINISIGN_KEY_ID_HEX];

		minisign_key_id_hex(ts->keys[i].pubkey.key_id, trusted);
		buf_printf(&ids, "%s%s", i > 0 ? ", " : "", trusted);
	}
	if (ts->count == 1)
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: signed by key %s, but the trusted public key is %s", what, id,
			 ids.data);
	else
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: signed by key %s, which is not trusted here (trusted: %s)",
			 what, id, ids.data);
	buf_free(&ids);
	return NULL;
}

int trust_verify_mem(const struct trust_set *ts, const struct minisign_sig *sig, const void *msg, size_t len,
		     const char *what, const struct trust_key **signer, struct lerr *err)
{
	const struct trust_key *key = trust_signer(ts, sig, what, err);

	if (key == NULL || minisign_verify_mem(&key->pubkey, sig, msg, len, what, err) != 0)
		return -1;
	if (signer != NULL)
		*signer = key;
	return 0;
}

int trust_verify_prehashed(const struct trust_set *ts, const struct minisign_sig *sig,
			   const uint8_t digest[MINISIGN_HASH_LEN], const char *what, const struct trust_key **signer,
			   struct lerr *err)
{
	const struct trust_key *key = trust_signer(ts, sig, what, err);

	if (key == NULL || minisign_verify_prehashed(&key->pubkey, sig, digest, what, err) != 0)
		return -1;
	if (signer != NULL)
		*signer = key;
	return 0;
}

void trust_free(struct trust_set *ts)
{
	size_t i;

	for (i = 0; i < ts->count; i++)
		free(ts->keys[i].path);
	free(ts->keys);
	free(ts->source);
	trust_init(ts);
}
