/* Which entry names a bundle may carry: the one check extract relies on. */
#include <stddef.h>
#include <string.h>

#include "bundle/format/path.h"

int bundle_path_is_safe(const char *path)
{
	const char *component = path;
	size_t len = strlen(path);
	const char *p;

	if (len == 0 || len > BUNDLE_PATH_MAX || path[0] == '/' || path[len - 1] == '/')
		return 0;
	for (p = path;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t clen = (size_t)(p - component);

			if (clen == 0 || (clen == 1 && component[0] == '.') ||
			    (clen == 2 && component[0] == '.' && component[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			component = p + 1;
			continue;
		}
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	}
}

int bundle_path_normalise(const char *name, char *out, size_t out_len)
{
	size_t len;

	while (name[0] == '.' && name[1] == '/')
		name += 2;
	len = strlen(name);
	if (len > 1 && name[len - 1] == '/')
		len--;
	if (len + 1 > out_len)
		return -1;
	memcpy(out, name, len);
	out[len] = '\0';
	return 0;
}
