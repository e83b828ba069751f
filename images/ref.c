#include "images/ref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/digest.h"
#include "lib/xmalloc.h"

#define REF_NAME_MAX 255
#define TAG_MAX 128

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int image_ref_component_valid(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return 0;
	while (i < len) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
		} else if (s[i] == '-') {
			while (i < len && s[i] == '-')
				i++;
		} else {
			return 0;
		}
		if (i >= len || !is_lower_alnum(s[i]))
			return 0;
	}
	return 1;
}

static int repository_valid(const char *repo)
{
	const char *p = repo;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (!image_ref_component_valid(p, len))
			return 0;
		if (slash == NULL)
			return 1;
		p = slash + 1;
	}
}

static int tag_valid(const char *tag)
{
	size_t i, len = strlen(tag);

	if (len == 0 || len > TAG_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tag[i];

		if (isalnum(c) || c == '_' || (i > 0 && (c == '.' || c == '-')))
			continue;
		return 0;
	}
	return 1;
}

/* host[:port] or [ipv6][:port]; letters, digits, dots and dashes in the host. */
static int domain_valid(const char *domain)
{
	const char *p = domain;
	const char *colon;

	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (close == NULL || close == p + 1)
			return 0;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL)
			return 0;
	} else {
		colon = strchr(p, ':');
		if (colon == p || *p == '\0')
			return 0;
		for (; *p != '\0' && p != colon; p++)
			if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
				return 0;
	}
	if (colon != NULL) {
		if (colon[1] == '\0' || strlen(colon + 1) > 5)
			return 0;
		for (p = colon + 1; *p != '\0'; p++)
			if (!isdigit((unsigned char)*p))
				return 0;
	}
	return 1;
}

static int looks_like_domain(const char *first, size_t len)
{
	return memchr(first, '.', len) != NULL || memchr(first, ':', len) != NULL ||
	       (len == 9 && memcmp(first, "localhost", 9) == 0) || (len > 0 && first[0] == '[');
}

/* Splits "name[:tag]" (no digest) into domain, repository and tag. */
static int split_name(const char *name, struct image_ref *out)
{
	const char *slash = strchr(name, '/');
	const char *rest = name;
	const char *last_slash, *colon;

	if (slash != NULL && looks_like_domain(name, (size_t)(slash - name))) {
		out->domain = xstrndup(name, (size_t)(slash - name));
		rest = slash + 1;
	} else {
		out->domain = xstrdup("docker.io");
	}
	if (strcmp(out->domain, "index.docker.io") == 0 || strcmp(out->domain, "registry-1.docker.io") == 0) {
		free(out->domain);
		out->domain = xstrdup("docker.io");
	}
	last_slash = strrchr(rest, '/');
	colon = strrchr(last_slash ? last_slash : rest, ':');
	if (colon != NULL) {
		out->tag = xstrdup(colon + 1);
		out->repository = xstrndup(rest, (size_t)(colon - rest));
	} else {
		out->repository = xstrdup(rest);
	}
	if (strcmp(out->domain, "docker.io") == 0 && strchr(out->repository, '/') == NULL) {
		char *full = xasprintf("library/%s", out->repository);

		free(out->repository);
		out->repository = full;
	}
	return 0;
}

int image_ref_parse(const char *text, struct image_ref *out, struct lerr *err)
{
	const char *at;
	char *name = NULL;
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	if (*text == '\0' || strlen(text) > REF_NAME_MAX + 1 + TAG_MAX + DIGEST_STR_MAX)
		return lerr_set(err, LADING_ERR_USAGE, "'%s': not an image reference", text);
	at = strchr(text, '@');
	if (at != NULL) {
		out->digest = xstrdup(at + 1);
		name = xstrndup(text, (size_t)(at - text));
		if (strncmp(out->digest, "sha256:", 7) != 0 && strchr(out->digest, ':') != NULL)
			why = "only sha256 digests are supported";
		else if (!digest_is_sha256(out->digest))
			why = "digest must be sha256: and 64 lowercase hex digits";
	} else {
		name = xstrdup(text);
	}
	if (why == NULL) {
		split_name(name, out);
		if (!domain_valid(out->domain))
			why = "invalid registry host";
		else if (strlen(out->domain) + 1 + strlen(out->repository) > REF_NAME_MAX)
			why = "name longer than 255 characters";
		else if (!repository_valid(out->repository))
			why = "invalid repository name (lowercase letters, digits, '.', '_', '-' and '/')";
		else if (out->tag != NULL && !tag_valid(out->tag))
			why = "invalid tag";
	}
	free(name);
	if (why != NULL) {
		image_ref_free(out);
		return lerr_set(err, LADING_ERR_USAGE, "'%s': not an image reference: %s", text, why);
	}
	if (out->tag == NULL && out->digest == NULL)
		out->tag = xstrdup("latest");
	return 0;
}

char *image_ref_string(const struct image_ref *ref)
{
	return xasprintf("%s/%s%s%s%s%s", ref->domain, ref->repository, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
			 ref->digest ? "@" : "", ref->digest ? ref->digest : "");
}

const char *image_ref_api_host(const struct image_ref *ref)
{
	return strcmp(ref->domain, "docker.io") == 0 ? "registry-1.docker.io" : ref->domain;
}

void image_ref_free(struct image_ref *ref)
{
	if (ref == NULL)
		return;
	free(ref->domain);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}
