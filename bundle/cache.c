/* Where the cache lives; what is in it is images/'s business (atomic, verified writes). */
#include <stdlib.h>
#include <string.h>

#include "bundle/cache.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

int bundle_cache_path(char **out, struct lerr *err)
{
	const char *env = getenv("LADING_CACHE");
	const char *home = getenv("HOME");

	if (env != NULL && env[0] != '\0')
		*out = xstrdup(env);
	else if (home != NULL && home[0] == '/')
		*out = xasprintf("%s/.cache/lading", home);
	else
		return lerr_set(err, LADING_ERR_USAGE, "no cache directory: set LADING_CACHE or HOME");
	return 0;
}

int bundle_cache_dir(char **out, struct lerr *err)
{
	char *dir;
	char *blobs;
	int r;

	if (bundle_cache_path(&dir, err) != 0)
		return -1;
	blobs = xasprintf("%s/blobs/sha256", dir);
	r = fs_mkdir_p(blobs, err);
	free(blobs);
	if (r != 0) {
		lerr_prefix(err, "cache (LADING_CACHE)");
		free(dir);
		return -1;
	}
	*out = dir;
	return 0;
}

char *bundle_cache_blob_path(const char *cache_dir, const char *digest)
{
	if (!digest_is_sha256(digest))
		return NULL;
	return xasprintf("%s/blobs/sha256/%s", cache_dir, digest + strlen("sha256:"));
}
