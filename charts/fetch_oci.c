#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charts/fetch.h"
#include "images/registry.h"
#include "images/registry_tags.h"
#include "images/store.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"

/* Helm stores "+" of a version as "_" in the tag (SPECS §3.4). */
static char *swap_char(const char *s, char from, char to)
{
	char *copy = xstrdup(s), *p;

	for (p = copy; *p; p++)
		if (*p == from)
			*p = to;
	return copy;
}

static int split_ref(const char *oci, char **domain, char **repository, struct lerr *err)
{
	const char *rest, *slash;

	if (strncmp(oci, "oci://", 6) != 0)
		return lerr_set(err, LADING_ERR_USAGE, "chart '%s': an OCI chart is oci://HOST/PATH/NAME", oci);
	rest = oci + 6;
	slash = strchr(rest, '/');
	if (slash == NULL || slash == rest || slash[1] == '\0' || strchr(slash, ':') != NULL || strchr(slash, '@'))
		return lerr_set(err, LADING_ERR_USAGE,
				"chart '%s': an OCI chart is oci://HOST/PATH/NAME (the version goes in version:)", oci);
	*domain = xstrndup(rest, (size_t)(slash - rest));
	*repository = xstrdup(slash + 1);
	return 0;
}

static int choose_tag(struct registry_client *c, const struct chart_request *req, char **version, struct lerr *err)
{
	char **tags = NULL;
	size_t count = 0, i;
	const char *chosen;
	int r = -1;

	if (req->locked_version != NULL) {
		*version = xstrdup(req->locked_version);
		return 0;
	}
	if (registry_tags_list(c, &tags, &count, err) != 0) {
		lerr_prefix(err, "chart %s", req->oci);
		return -1;
	}
	for (i = 0; i < count; i++) {
		char *plus = swap_char(tags[i], '_', '+');

		free(tags[i]);
		tags[i] = plus;
	}
	if (chart_pick_version(req->oci, tags, count, req->version, &chosen, err) != 0)
		goto out;
	*version = xstrdup(chosen);
	r = 0;
out:
	for (i = 0; i < count; i++)
		free(tags[i]);
	free(tags);
	return r;
}

/* Reads a descriptor's digest and size; -1 when it is not one. */
static int read_descriptor(json_t *desc, const char **media_type, const char **digest, uint64_t *size)
{
	json_t *sz = json_object_get(desc, "size");

	*media_type = json_string_value(json_object_get(desc, "mediaType"));
	*digest = json_string_value(json_object_get(desc, "digest"));
	if (*media_type == NULL || *digest == NULL || !digest_is_sha256(*digest) || !json_is_integer(sz) ||
	    json_integer_value(sz) < 0)
		return -1;
	*size = (uint64_t)json_integer_value(sz);
	return 0;
}

/* Checks the manifest is a Helm chart and fills the config and layer descriptors of res. */
static int parse_manifest(const char *what, const struct buf *body, struct chart_result *res, struct lerr *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(body->data, body->len, 0, &jerr), *layers;
	const char *media_type, *digest;
	uint64_t size;
	size_t i;
	int r = -1;

	if (root == NULL || read_descriptor(json_object_get(root, "config"), &media_type, &digest, &size) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: the manifest is not an OCI image manifest", what);
		goto out;
	}
	if (strcmp(media_type, CHART_CONFIG_MEDIA_TYPE) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: not a Helm chart (config media type '%s')", what, media_type);
		goto out;
	}
	snprintf(res->config_digest, sizeof(res->config_digest), "%s", digest);
	res->config_size = size;
	layers = json_object_get(root, "layers");
	for (i = 0; i < json_array_size(layers); i++) {
		if (read_descriptor(json_array_get(layers, i), &media_type, &digest, &size) != 0)
			continue;
		if (strcmp(media_type, CHART_LAYER_MEDIA_TYPE) == 0 ||
		    strcmp(media_type, CHART_LAYER_LEGACY_MEDIA_TYPE) == 0) {
			if (size > CHART_MAX_BYTES) {
				lerr_set(err, LADING_ERR_LIMIT, "%s: chart layer of %llu bytes is over the limit", what,
					 (unsigned long long)size);
				goto out;
			}
			snprintf(res->digest, sizeof(res->digest), "%s", digest);
			res->size = size;
			r = 0;
			goto out;
		}
	}
	lerr_set(err, LADING_ERR_FORMAT, "%s: the manifest has no %s layer", what, CHART_LAYER_MEDIA_TYPE);
out:
	json_decref(root);
	return r;
}

static int fetch_artifact(const struct chart_fetch_opts *opts, struct registry_client *c, const char *what,
			  const char *tag, const struct chart_request *req, struct chart_result *res, struct lerr *err)
{
	struct buf body = BUF_INIT(0);
	char *content_type = NULL;
	int r = -1;

	if (registry_manifest_get(c, tag, &body, &content_type, res->manifest_digest, err) != 0) {
		lerr_prefix(err, "%s", what);
		goto out;
	}
	res->manifest_size = body.len;
	if (parse_manifest(what, &body, res, err) != 0)
		goto out;
	if (req->locked_digest != NULL && strcmp(req->locked_digest, res->digest) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: chart layer is %s but lading.lock has %s", what, res->digest,
			 req->locked_digest);
		goto out;
	}
	if (store_put(opts->store_dir, res->manifest_digest, body.data, body.len, err) != 0 ||
	    registry_blob_fetch(c, opts->store_dir, res->config_digest, res->config_size, NULL, NULL, err) != 0 ||
	    registry_blob_fetch(c, opts->store_dir, res->digest, res->size, NULL, NULL, err) != 0) {
		lerr_prefix(err, "%s", what);
		goto out;
	}
	r = 0;
out:
	free(content_type);
	buf_free(&body);
	return r;
}

int chart_fetch_oci(const struct chart_fetch_opts *opts, const struct chart_request *req, struct chart_result *res,
		    struct lerr *err)
{
	struct registry_client_opts ropts = {opts->registries, opts->auth_file, 0, opts->lg};
	struct registry_client *c = NULL;
	char *domain = NULL, *repository = NULL, *version = NULL, *tag = NULL, *what = NULL;
	int r = -1;

	if (split_ref(req->oci, &domain, &repository, err) != 0)
		goto out;
	if (registry_client_new(domain, repository, &ropts, &c, err) != 0)
		goto out;
	if (choose_tag(c, req, &version, err) != 0)
		goto out;
	tag = swap_char(version, '+', '_');
	what = xasprintf("chart %s:%s", req->oci, tag);
	if (fetch_artifact(opts, c, what, tag, req, res, err) != 0)
		goto out;
	res->version = version;
	version = NULL;
	r = 0;
out:
	registry_client_free(c);
	free(domain);
	free(repository);
	free(version);
	free(tag);
	free(what);
	return r;
}
