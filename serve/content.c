/* Loading the served directory (see content.h). */
#include "content.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "serve/git.h"
#include "serve/helmindex.h"
#include "serve/modules.h"

/* A Helm index of thousands of chart versions stays well under this. */
#define HELM_INDEX_MAX (32u << 20)

static int chart_file_served(const char *file, void *arg)
{
	const struct serve_tree *charts = arg;

	return serve_tree_has(charts, file) && strchr(file, '/') == NULL ? 0 : -1;
}

static int load_helm_index(struct serve_content *content, const char *root, const struct bundle_view *bf,
			   struct lerr *err)
{
	char *path = xasprintf(bf != NULL ? "%s: charts/index.yaml" : "%s/charts/index.yaml", root);
	struct buf text = BUF_INIT(HELM_INDEX_MAX);
	int r = -1;

	if (!serve_tree_has(content->charts, "index.yaml")) {
		r = 0;
		goto out;
	}
	if (bf != NULL ? bundle_view_read_all(bf, "charts/index.yaml", HELM_INDEX_MAX, &text, err)
		       : fs_read_file(path, &text, err))
		goto out;
	/* Every chart URL must name a tgz we serve: a broken index is refused at start, not at pull time. */
	if (helm_index_each_file(path, text.data, text.len, chart_file_served, content->charts, err) != 0)
		goto out;
	content->helm_index = buf_detach(&text, &content->helm_index_len);
	r = 0;
out:
	buf_free(&text);
	free(path);
	return r;
}

/* Fails when content holds nothing at all (root names it). */
static int nothing_to_serve(const struct serve_content *out, const char *root, struct lerr *err)
{
	if (out->catalog == NULL && serve_tree_count(out->charts) == 0 && serve_tree_count(out->providers) == 0 &&
	    serve_tree_count(out->modules) == 0 && serve_tree_count(out->files) == 0 &&
	    serve_tree_count(out->apt) == 0 && serve_git_count(out->git) == 0)
		return lerr_set(
		    err, LADING_ERR_USAGE,
		    "'%s' holds none of oci/, charts/, providers/, files/, apt/, modules/, git/: nothing to serve",
		    root);
	return 0;
}

static int load_tree(const char *root, const char *part, const struct logger *lg, struct serve_tree **out,
		     struct lerr *err)
{
	char *dir = xasprintf("%s/%s", root, part);
	int r = serve_tree_load(dir, lg, out, err);

	free(dir);
	return r;
}

int serve_content_load(const char *root, const struct naming_opts *naming, int verify_blobs, const char *cache_dir,
		       const struct logger *lg, struct serve_content *out, struct lerr *err)
{
	char *oci = xasprintf("%s/oci", root);
	struct stat st;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		lerr_set(err, LADING_ERR_USAGE, "'%s' is not a directory or a bundle file", root);
		goto out;
	}
	if (fs_exists(oci) && serve_catalog_load(oci, naming, verify_blobs, lg, &out->catalog, err) != 0)
		goto out;
	if (load_tree(root, "charts", lg, &out->charts, err) != 0 ||
	    load_tree(root, "providers", lg, &out->providers, err) != 0 ||
	    load_tree(root, "modules", lg, &out->modules, err) != 0 ||
	    load_tree(root, "files", lg, &out->files, err) != 0 || load_tree(root, "apt", lg, &out->apt, err) != 0 ||
	    serve_git_load(root, NULL, cache_dir, lg, &out->git, err) != 0)
		goto out;
	if (load_helm_index(out, root, NULL, err) != 0 || nothing_to_serve(out, root, err) ||
	    serve_modules_check(out->modules, root, err) != 0)
		goto out;
	r = 0;
out:
	free(oci);
	return r;
}

int serve_content_load_bundle(const struct bundle_view *bf, const struct naming_opts *naming, const char *cache_dir,
			      const struct logger *lg, struct serve_content *out, struct lerr *err)
{
	static const char *const parts[] = {"charts", "providers", "modules", "files", "apt"};
	struct serve_tree **trees[] = {&out->charts, &out->providers, &out->modules, &out->files, &out->apt};
	const char *path = bundle_view_path(bf);
	size_t i;

	memset(out, 0, sizeof(*out));
	if (bundle_view_find(bf, "oci/index.json") != NULL &&
	    serve_catalog_load_bundle(bf, naming, lg, &out->catalog, err) != 0)
		return -1;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (serve_tree_load_bundle(bf, parts[i], trees[i], err) != 0)
			return -1;
	if (serve_git_load(NULL, bf, cache_dir, lg, &out->git, err) != 0)
		return -1;
	if (load_helm_index(out, path, bf, err) != 0 || nothing_to_serve(out, path, err) ||
	    serve_modules_check(out->modules, path, err) != 0)
		return -1;
	return 0;
}

void serve_content_free(struct serve_content *content)
{
	if (content == NULL)
		return;
	serve_catalog_free(content->catalog);
	serve_tree_free(content->charts);
	serve_tree_free(content->providers);
	serve_tree_free(content->modules);
	serve_tree_free(content->files);
	serve_tree_free(content->apt);
	serve_git_free(content->git);
	free(content->helm_index);
	memset(content, 0, sizeof(*content));
}
