#include "bundle/sources_git.h"

#include <stdlib.h>
#include <string.h>

#include "bundle/spec_sources.h"
#include "lib/xmalloc.h"

int git_url_check(const char *url, struct lerr *err)
{
	static const char *const schemes[] = {"https://", "http://", "file://", NULL};
	const char *p;
	size_t i;

	for (i = 0; schemes[i] != NULL; i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
			break;
	/* Everything else is refused: "ext::" and "fd::" run commands, "-..." would be read as an option,
	 * scp-like "host:path" runs ssh, which the connected side is not asked to configure. */
	if (schemes[i] == NULL)
		return lerr_set(err, LADING_ERR_USAGE,
				"git url '%s' must be an https://, http:// or file:// URL (ext::, ssh and options are "
				"refused)",
				url);
	if (url[strlen(schemes[i])] == '\0')
		return lerr_set(err, LADING_ERR_USAGE, "git url '%s' names no repository", url);
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return lerr_set(err, LADING_ERR_USAGE,
					"git url '%s' has a space or control character (percent-encode it)", url);
	return 0;
}

int git_name_from_url(const char *url, char **out, struct lerr *err)
{
	const char *start = strstr(url, "://"), *end, *p;
	char *name;
	size_t len;

	start = start != NULL ? start + 3 : url;
	end = start + strcspn(start, "?#");
	while (end > start && end[-1] == '/')
		end--;
	for (p = end; p > start && p[-1] != '/'; p--)
		;
	len = (size_t)(end - p);
	if (len > 4 && strncmp(end - 4, ".git", 4) == 0)
		len -= 4;
	name = xstrndup(p, len);
	if (p == start || !spec_name_is_valid(name)) {
		lerr_set(err, LADING_ERR_USAGE,
			 "git url '%s': no repository name in its last path component (give 'name:')", url);
		free(name);
		return -1;
	}
	*out = name;
	return 0;
}

int git_ref_check(const char *ref, struct lerr *err)
{
	const char *p;

	if (ref[0] == '\0' || ref[0] == '-' || ref[0] == '/' || ref[strlen(ref) - 1] == '/' ||
	    strstr(ref, "..") != NULL || strstr(ref, "//") != NULL || strstr(ref, "@{") != NULL || strlen(ref) > 255)
		goto bad;
	for (p = ref; *p != '\0'; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f || strchr("~^:?*[\\", *p) != NULL)
			goto bad;
	return 0;
bad:
	return lerr_set(err, LADING_ERR_USAGE, "git ref '%s' is not a branch or tag name", ref);
}
