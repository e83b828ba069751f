#define _GNU_SOURCE
#include "provision/ssh/knownhosts.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

#define KH_LINE_MAX 16384
#define KH_SALT_LEN 20

enum kh_marker {
	KH_MARK_NONE = 0,
	KH_MARK_REVOKED = 1,
};

struct kh_entry {
	int marker;
	char *hosts;	     /* pattern list, or NULL when hashed */
	unsigned char *salt; /* hashed entries */
	size_t salt_len;
	unsigned char *hash;
	size_t hash_len;
	char *key_type;
	unsigned char *blob;
	size_t blob_len;
};

struct kh_file {
	struct kh_entry *entries;
	size_t count;
};

static pthread_mutex_t kh_append_lock = PTHREAD_MUTEX_INITIALIZER;

struct kh_file *kh_new(void)
{
	return xcalloc(1, sizeof(struct kh_file));
}

void kh_free(struct kh_file *kh)
{
	size_t i;

	if (kh == NULL)
		return;
	for (i = 0; i < kh->count; i++) {
		free(kh->entries[i].hosts);
		free(kh->entries[i].salt);
		free(kh->entries[i].hash);
		free(kh->entries[i].key_type);
		free(kh->entries[i].blob);
	}
	free(kh->entries);
	free(kh);
}

int kh_base64_decode(const char *text, size_t text_len, unsigned char **out, size_t *out_len)
{
	unsigned char *data;
	int decoded;
	size_t pad = 0;

	if (text_len == 0 || text_len % 4 != 0 || text_len > INT32_MAX)
		return -1;
	if (text[text_len - 1] == '=')
		pad++;
	if (text_len > 1 && text[text_len - 2] == '=')
		pad++;
	data = xmalloc(text_len / 4 * 3 + 1);
	decoded = EVP_DecodeBlock(data, (const unsigned char *)text, (int)text_len);
	if (decoded < 0 || (size_t)decoded < pad) {
		free(data);
		return -1;
	}
	*out = data;
	*out_len = (size_t)decoded - pad;
	return 0;
}

static char *kh_base64_encode(const unsigned char *data, size_t len)
{
	char *text = xmalloc((len + 2) / 3 * 4 + 1);

	EVP_EncodeBlock((unsigned char *)text, data, (int)len);
	return text;
}

int kh_blob_type(const unsigned char *blob, size_t blob_len, char *out, size_t out_len)
{
	uint32_t name_len;

	if (blob_len < 4)
		return -1;
	name_len = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	if (name_len == 0 || name_len > blob_len - 4 || name_len >= out_len)
		return -1;
	memcpy(out, blob + 4, name_len);
	out[name_len] = '\0';
	return 0;
}

void kh_fingerprint(const unsigned char *blob, size_t blob_len, char *out, size_t out_len)
{
	unsigned char md[32];
	unsigned int md_len = 0;
	char *text;
	size_t len;

	EVP_Digest(blob, blob_len, md, &md_len, EVP_sha256(), NULL);
	text = kh_base64_encode(md, md_len);
	len = strlen(text);
	while (len > 0 && text[len - 1] == '=')
		text[--len] = '\0';
	snprintf(out, out_len, "SHA256:%s", text);
	free(text);
}

/* Splits the next whitespace-separated field off *line. */
static char *kh_field(char **line)
{
	char *start = *line;
	char *end;

	while (*start == ' ' || *start == '\t')
		start++;
	if (*start == '\0')
		return NULL;
	end = start;
	while (*end != '\0' && *end != ' ' && *end != '\t')
		end++;
	if (*end != '\0')
		*end++ = '\0';
	*line = end;
	return start;
}

/* "|1|salt|hash" into the entry; -1 when it is not a hashed name. */
static int kh_parse_hashed(struct kh_entry *entry, const char *hosts)
{
	const char *salt = hosts + 3;
	const char *bar = strchr(salt, '|');

	if (bar == NULL)
		return -1;
	if (kh_base64_decode(salt, (size_t)(bar - salt), &entry->salt, &entry->salt_len) != 0)
		return -1;
	if (kh_base64_decode(bar + 1, strlen(bar + 1), &entry->hash, &entry->hash_len) != 0 || entry->hash_len != 20) {
		free(entry->salt);
		free(entry->hash);
		entry->salt = entry->hash = NULL;
		return -1;
	}
	return 0;
}

/* Parses one line; returns 0 with *entry filled, 1 for lines to skip. */
static int kh_parse_line(char *line, struct kh_entry *entry)
{
	char *hosts;
	char *type;
	char *key;
	char type_in_blob[64];

	memset(entry, 0, sizeof(*entry));
	line[strcspn(line, "\r\n")] = '\0';
	if ((hosts = kh_field(&line)) == NULL || hosts[0] == '#')
		return 1;
	if (hosts[0] == '@') {
		/* @cert-authority lines need certificate support: skipped. */
		if (strcmp(hosts, "@revoked") != 0)
			return 1;
		entry->marker = KH_MARK_REVOKED;
		if ((hosts = kh_field(&line)) == NULL)
			return 1;
	}
	if ((type = kh_field(&line)) == NULL || (key = kh_field(&line)) == NULL)
		return 1;
	if (kh_base64_decode(key, strlen(key), &entry->blob, &entry->blob_len) != 0)
		return 1;
	if (kh_blob_type(entry->blob, entry->blob_len, type_in_blob, sizeof(type_in_blob)) != 0 ||
	    strcmp(type_in_blob, type) != 0)
		goto skip;
	if (strncmp(hosts, "|1|", 3) == 0) {
		if (kh_parse_hashed(entry, hosts) != 0)
			goto skip;
	} else {
		entry->hosts = xstrdup(hosts);
	}
	entry->key_type = xstrdup(type);
	return 0;
skip:
	free(entry->blob);
	entry->blob = NULL;
	return 1;
}

int kh_load(struct kh_file *kh, const char *path, int missing_ok, struct lerr *err)
{
	FILE *file;
	char *line = NULL;
	size_t line_alloc = 0;
	ssize_t line_len;
	struct kh_entry entry;
	int rc = -1;

	if ((file = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && missing_ok)
			return 0;
		return lerr_sys(err, "cannot open known hosts file '%s'", path);
	}
	while ((line_len = getline(&line, &line_alloc, file)) != -1) {
		if (line_len > KH_LINE_MAX)
			continue;
		if (kh_parse_line(line, &entry) != 0)
			continue;
		kh->entries = grow_array(kh->entries, kh->count, sizeof(*kh->entries));
		kh->entries[kh->count++] = entry;
	}
	if (ferror(file)) {
		lerr_sys(err, "cannot read known hosts file '%s'", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(file);
	return rc;
}

/* OpenSSH's match_pattern: '*' and '?' only (no brackets: "[host]:port" is literal), case-insensitive. */
static int kh_glob(const char *pattern, size_t pattern_len, const char *name)
{
	if (pattern_len == 0)
		return *name == '\0';
	if (*pattern == '*') {
		for (;;) {
			if (kh_glob(pattern + 1, pattern_len - 1, name))
				return 1;
			if (*name == '\0')
				return 0;
			name++;
		}
	}
	if (*name == '\0')
		return 0;
	if (*pattern != '?' && tolower((unsigned char)*pattern) != tolower((unsigned char)*name))
		return 0;
	return kh_glob(pattern + 1, pattern_len - 1, name + 1);
}

/* A comma-separated pattern list: any negated match refuses, else any positive match accepts. */
static int kh_match_list(const char *list, const char *name)
{
	const char *item = list;
	int matched = 0;

	while (*item != '\0') {
		size_t len = strcspn(item, ",");
		int negated = item[0] == '!';
		const char *pattern = negated ? item + 1 : item;
		size_t pattern_len = negated ? len - 1 : len;

		if (kh_glob(pattern, pattern_len, name)) {
			if (negated)
				return 0;
			matched = 1;
		}
		item += len;
		if (*item == ',')
			item++;
	}
	return matched;
}

static int kh_entry_names(const struct kh_entry *entry, const char *name)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (entry->hosts != NULL)
		return kh_match_list(entry->hosts, name);
	if (HMAC(EVP_sha1(), entry->salt, (int)entry->salt_len, (const unsigned char *)name, strlen(name), md,
		 &md_len) == NULL)
		return 0;
	return md_len == entry->hash_len && memcmp(md, entry->hash, md_len) == 0;
}

/* The name OpenSSH looks up: "host" on port 22, "[host]:port" otherwise. */
static char *kh_lookup_name(const char *host, int port)
{
	char *name;
	char *p;

	name = port == 22 ? xstrdup(host) : xasprintf("[%s]:%d", host, port);
	for (p = name; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return name;
}

enum kh_status kh_check(const struct kh_file *kh, const char *host, int port, const unsigned char *blob,
			size_t blob_len)
{
	char type[64];
	char *name = kh_lookup_name(host, port);
	int matched = 0, same_type = 0, other_type = 0, revoked = 0;
	size_t i;

	if (kh_blob_type(blob, blob_len, type, sizeof(type)) != 0)
		type[0] = '\0';
	for (i = 0; i < kh->count; i++) {
		const struct kh_entry *entry = &kh->entries[i];
		int equal = entry->blob_len == blob_len && memcmp(entry->blob, blob, blob_len) == 0;

		/* A revoked key is refused whichever host names it (sshd(8)). */
		if (entry->marker == KH_MARK_REVOKED) {
			revoked |= equal;
			continue;
		}
		if (!kh_entry_names(entry, name))
			continue;
		if (equal)
			matched = 1;
		else if (strcmp(entry->key_type, type) == 0)
			same_type = 1;
		else
			other_type = 1;
	}
	free(name);
	if (revoked)
		return KH_REVOKED;
	if (matched)
		return KH_MATCH;
	if (same_type)
		return KH_MISMATCH;
	return other_type ? KH_OTHER_TYPE : KH_NOTFOUND;
}

char *kh_known_types(const struct kh_file *kh, const char *host, int port)
{
	char *name = kh_lookup_name(host, port);
	char *types = xstrdup("");
	size_t i;

	for (i = 0; i < kh->count; i++) {
		const struct kh_entry *entry = &kh->entries[i];
		char *joined;

		if (entry->marker != KH_MARK_NONE || !kh_entry_names(entry, name))
			continue;
		if (kh_match_list(types, entry->key_type))
			continue;
		joined = types[0] == '\0' ? xstrdup(entry->key_type) : xasprintf("%s,%s", types, entry->key_type);
		free(types);
		types = joined;
	}
	free(name);
	return types;
}

/* Creates the directory holding path (mode 0700, like ~/.ssh) when missing. */
static int kh_make_parent(const char *path, struct lerr *err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			rc = lerr_sys(err, "cannot create directory '%s'", dir);
	}
	free(dir);
	return rc;
}

int kh_append(const char *path, const char *host, int port, const unsigned char *blob, size_t blob_len,
	      struct lerr *err)
{
	unsigned char salt[KH_SALT_LEN];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char type[64];
	char *name = kh_lookup_name(host, port);
	char *salt_text = NULL, *hash_text = NULL, *key_text = NULL, *line = NULL;
	int fd = -1;
	int rc = -1;

	if (kh_blob_type(blob, blob_len, type, sizeof(type)) != 0) {
		lerr_about(err, LADING_ERR_FORMAT, host, "malformed host key");
		goto out;
	}
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    HMAC(EVP_sha1(), salt, sizeof(salt), (const unsigned char *)name, strlen(name), md, &md_len) == NULL) {
		lerr_about(err, LADING_ERR_SYSTEM, host, "cannot hash the host name for '%s'", path);
		goto out;
	}
	salt_text = kh_base64_encode(salt, sizeof(salt));
	hash_text = kh_base64_encode(md, md_len);
	key_text = kh_base64_encode(blob, blob_len);
	line = xasprintf("|1|%s|%s %s %s\n", salt_text, hash_text, type, key_text);
	pthread_mutex_lock(&kh_append_lock);
	if (kh_make_parent(path, err) == 0) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			lerr_sys(err, "cannot open known hosts file '%s'", path);
		else if (fs_write_all(fd, line, strlen(line), path, err) == 0)
			rc = 0;
		if (fd >= 0 && close(fd) != 0 && rc == 0)
			rc = lerr_sys(err, "cannot write known hosts file '%s'", path);
	}
	pthread_mutex_unlock(&kh_append_lock);
out:
	free(name);
	free(salt_text);
	free(hash_text);
	free(key_text);
	free(line);
	return rc;
}
