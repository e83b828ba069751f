/*
 * The name mapping shared by push and serve (see naming.h). References are
 * parsed by images/ref.h (Docker's normalisation: docker.io, library/, latest).
 */
#include "naming.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/ref.h"
#include "lib/xmalloc.h"

int naming_repo_valid(const char *name)
{
	const char *start = name, *slash;
	size_t len = strlen(name);

	if (len == 0 || len > NAMING_REPO_MAX)
		return 0;
	for (;;) {
		slash = strchr(start, '/');
		if (!image_ref_component_valid(start, slash ? (size_t)(slash - start) : strlen(start)))
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
	struct image_ref parsed = {NULL, NULL, NULL, NULL};
	struct naming_target target = {NULL, NULL, ""};
	char *host = NULL, *prefix = NULL;
	int r = -1;

	if (naming_prefix_check(opts->prefix, err) != 0)
		return -1;
	if (image_ref_parse(ref, &parsed, err) != 0) {
		lerr_recode(err, LADING_ERR_FORMAT); /* a ref in a bundle, not a command line */
		return -1;
	}
	if (opts->prefix != NULL && *opts->prefix != '\0') {
		size_t len = strlen(opts->prefix);

		prefix = xstrndup(opts->prefix, opts->prefix[len - 1] == '/' ? len - 1 : len);
	}
	if (opts->keep_host)
		host = host_as_component(parsed.domain);
	target.repository = xasprintf("%s%s%s%s%s", prefix ? prefix : "", prefix ? "/" : "", host ? host : "",
				      host ? "/" : "", parsed.repository);
	if (!naming_repo_valid(target.repository)) {
		lerr_set(err, LADING_ERR_USAGE, "image reference '%s': target name '%s' is not a valid repository name",
			 ref, target.repository);
		goto out;
	}
	target.tag = parsed.tag ? xstrdup(parsed.tag) : NULL;
	if (parsed.digest != NULL)
		snprintf(target.digest, sizeof(target.digest), "%s", parsed.digest);
	*out = target;
	memset(&target, 0, sizeof(target));
	r = 0;
out:
	naming_target_free(&target);
	image_ref_free(&parsed);
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
