/* Which entry names a bundle may carry: the one check extract relies on. */
#include <stddef.h>
#include <string.h>

#include "bundle/format/path.h"
#include "lib/fsutil.h"

int bundle_path_is_safe(const char *path)
{
	return fs_relpath_is_safe(path, BUNDLE_PATH_MAX);
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
