/*
 * The name mapping shared by push and serve (see naming.h). images/ref.h is
 * not on main yet, so the reference parser lives here; it follows Docker's
 * normalisation (distribution/reference: docker.io, library/, latest).
 */
#include "naming.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* over [s, s+len). */
static int component_valid(const char *s, size_t len)
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

int naming_repo_valid(const char *name)
{
	const char *start = name, *slash;
	size_t len = strlen(name);

	if (len == 0 || len > NAMING_REPO_MAX)
		return 0;
	for (;;) {
		slash = strchr(start, '/');
		if (!component_valid(start, slash ? (size_t)(slash - start) : strlen(start)))
			return 0;
		if (slash == NULL)
			return 1;
		start = slash + 1;
	}
}

int naming_tag_valid(const char *tag)
{
	size_t i, len = strlen(tag);

	if (len == 0 || len > 128)
		return 0;
	for (i = 0; i < len; i++) {
		char c = tag[i];
		int word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';

		if (!word && (i == 0 || (c != '.' && c != '-')))
			return 0;
	}
	return 1;
}

/* Docker: the first component is a host when it has '.' or ':', is localhost, or has capitals. */
static int looks_like_host(const char *s, size_t len)
{
	size_t i;

	if (len == 9 && strncmp(s, "localhost", 9) == 0)
		return 1;
	for (i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == ':' || (s[i] >= 'A' && s[i] <= 'Z'))
			return 1;
	return 0;
}

static int ref_split_digest(char *work, const char *ref, struct naming_ref *out, struct lerr *err)
{
	char *at = strchr(work, '@');

	if (at == NULL)
		return 0;
	*at = '\0';
	if (!digest_is_sha256(at + 1))
		return lerr_set(err, LADING_ERR_FORMAT, "image reference '%s': digest is not sha256:<64 lowercase hex>",
				ref);
	memcpy(out->digest, at + 1, strlen(at + 1) + 1);
	return 0;
}

int naming_ref_parse(const char *ref, struct naming_ref *out, struct lerr *err)
{
	struct naming_ref parsed = {NULL, NULL, NULL, ""};
	char *work = xstrdup(ref), *rest, *slash, *colon;
	int r = -1;

	if (*ref == '\0' || strlen(ref) > 4096) {
		lerr_set(err, LADING_ERR_FORMAT, "image reference '%s': empty or too long", ref);
		goto out;
	}
	if (ref_split_digest(work, ref, &parsed, err) != 0)
		goto out;
	rest = work;
	slash = strchr(work, '/');
	if (slash != NULL && looks_like_host(work, (size_t)(slash - work))) {
		parsed.host = xstrndup(work, (size_t)(slash - work));
		rest = slash + 1;
	} else {
		parsed.host = xstrdup("docker.io");
	}
	if (strcmp(parsed.host, "index.docker.io") == 0) {
		free(parsed.host);
		parsed.host = xstrdup("docker.io");
	}
	slash = strrchr(rest, '/');
	colon = strrchr(slash ? slash : rest, ':');
	if (colon != NULL) {
		*colon = '\0';
		parsed.tag = xstrdup(colon + 1);
		if (!naming_tag_valid(parsed.tag)) {
			lerr_set(err, LADING_ERR_FORMAT, "image reference '%s': invalid tag '%s'", ref, parsed.tag);
			goto out;
		}
	} else if (parsed.digest[0] == '\0') {
		parsed.tag = xstrdup("latest");
	}
	if (strcmp(parsed.host, "docker.io") == 0 && strchr(rest, '/') == NULL)
		parsed.path = xasprintf("library/%s", rest);
	else
		parsed.path = xstrdup(rest);
	if (!naming_repo_valid(parsed.path)) {
		lerr_set(err, LADING_ERR_FORMAT, "image reference '%s': invalid repository path '%s'", ref,
			 parsed.path);
		goto out;
	}
	*out = parsed;
	memset(&parsed, 0, sizeof(parsed));
	r = 0;
out:
	naming_ref_free(&parsed);
	free(work);
	return r;
}

void naming_ref_free(struct naming_ref *ref)
{
	if (ref == NULL)
		return;
	free(ref->host);
	free(ref->path);
	free(ref->tag);
	ref->host = ref->path = ref->tag = NULL;
}

int naming_prefix_check(const char *prefix, struct lerr *err)
{
	size_t len;
	char *trimmed;
	int ok;

	if (prefix == NULL || *prefix == '\0')
		return 0;
	len = strlen(prefix);
	if (prefix[len - 1] == '/')
		len--;
	trimmed = xstrndup(prefix, len);
	ok = naming_repo_valid(trimmed);
	free(trimmed);
	if (!ok)
		return lerr_set(err, LADING_ERR_USAGE,
				"prefix '%s' is not a repository path (lowercase letters, digits, '.', '_', '-', '/')",
				prefix);
	return 0;
}

/* "registry.example.org:5000" -> "registry.example.org-5000", lowercase. */
static char *host_as_component(const char *host)
{
	char *out = xstrdup(host), *p;

	for (p = out; *p != '\0'; p++) {
		if (*p == ':')
			*p = '-';
		else if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return out;
}

int naming_map(const char *ref, const struct naming_opts *opts, struct naming_target *out, struct lerr *err)
{
	struct naming_ref parsed;
	struct naming_target target = {NULL, NULL, ""};
	char *host = NULL, *prefix = NULL;
	int r = -1;

	if (naming_prefix_check(opts->prefix, err) != 0)
		return -1;
	if (naming_ref_parse(ref, &parsed, err) != 0)
		return -1;
	if (opts->prefix != NULL && *opts->prefix != '\0') {
		size_t len = strlen(opts->prefix);

		prefix = xstrndup(opts->prefix, opts->prefix[len - 1] == '/' ? len - 1 : len);
	}
	if (opts->keep_host)
		host = host_as_component(parsed.host);
	target.repository = xasprintf("%s%s%s%s%s", prefix ? prefix : "", prefix ? "/" : "", host ? host : "",
				      host ? "/" : "", parsed.path);
	if (!naming_repo_valid(target.repository)) {
		lerr_set(err, LADING_ERR_USAGE, "image reference '%s': target name '%s' is not a valid repository name",
			 ref, target.repository);
		goto out;
	}
	target.tag = parsed.tag ? xstrdup(parsed.tag) : NULL;
	memcpy(target.digest, parsed.digest, sizeof(target.digest));
	*out = target;
	memset(&target, 0, sizeof(target));
	r = 0;
out:
	naming_target_free(&target);
	naming_ref_free(&parsed);
	free(host);
	free(prefix);
	return r;
}

void naming_target_free(struct naming_target *target)
{
	if (target == NULL)
		return;
	free(target->repository);
	free(target->tag);
	target->repository = target->tag = NULL;
}
