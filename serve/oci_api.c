/*
 * The read-only OCI distribution API (distribution-spec v1.1 §Pull, §Content
 * discovery) over the catalog. Names and references from the URL are only
 * ever used as lookup keys; a blob path is built from a validated digest only.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "images/naming.h"
#include "lib/digest.h"
#include "lib/xmalloc.h"
#include "serve/catalog.h"
#include "serve/request.h"
#include "serve/respond_entry.h"

/* Largest page a client may ask for with ?n= */
#define OCI_PAGE_MAX 100000

static const struct serve_catalog *catalog_of(const struct serve_request *req)
{
	return req->opts->content->catalog;
}

/* 400 NAME_INVALID or 404 NAME_UNKNOWN unless name is a repository we serve. */
static int repo_check(struct serve_request *req, const char *name, enum MHD_Result *ret)
{
	if (!naming_repo_valid(name)) {
		*ret =
		    serve_respond_oci_error(req, MHD_HTTP_BAD_REQUEST, "NAME_INVALID", "invalid repository name", NULL);
		return -1;
	}
	if (catalog_of(req) == NULL || !serve_catalog_has_repo(catalog_of(req), name)) {
		*ret = serve_respond_oci_error(req, MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN",
					       "repository name not known to registry", name);
		return -1;
	}
	return 0;
}

static enum MHD_Result digest_invalid(struct serve_request *req)
{
	return serve_respond_oci_error(req, MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID",
				       "provided digest is not sha256:<64 lowercase hex>", NULL);
}

static enum MHD_Result send_blob(struct serve_request *req, const char *digest, const char *media_type)
{
	struct lerr err;
	struct serve_blob blob;

	if (serve_catalog_blob(catalog_of(req), digest, &blob, &err) != 0)
		return serve_respond_oci_error(req, MHD_HTTP_NOT_FOUND, "BLOB_UNKNOWN", "blob unknown to registry",
					       digest);
	return serve_respond_blob(req, &blob, media_type, digest);
}

static enum MHD_Result get_manifest(struct serve_request *req, const char *name, const char *reference)
{
	const char *digest = reference, *media_type;
	enum MHD_Result ret;

	if (strchr(reference, ':') != NULL) {
		if (!digest_is_sha256(reference))
			return digest_invalid(req);
	} else if (!naming_tag_valid(reference)) {
		return serve_respond_oci_error(req, MHD_HTTP_BAD_REQUEST, "TAG_INVALID", "invalid tag", NULL);
	}
	if (repo_check(req, name, &ret) != 0)
		return ret;
	if (digest == reference && strchr(reference, ':') == NULL)
		digest = serve_catalog_tag(catalog_of(req), name, reference);
	media_type = digest ? serve_catalog_manifest_type(catalog_of(req), name, digest) : NULL;
	if (media_type == NULL)
		return serve_respond_oci_error(req, MHD_HTTP_NOT_FOUND, "MANIFEST_UNKNOWN",
					       "manifest unknown to registry", reference);
	return send_blob(req, digest, media_type);
}

static enum MHD_Result get_blob(struct serve_request *req, const char *name, const char *digest)
{
	enum MHD_Result ret;

	if (!digest_is_sha256(digest))
		return digest_invalid(req);
	if (repo_check(req, name, &ret) != 0)
		return ret;
	/* Only what an image of this repository references: a name cannot reach any other blob. */
	if (!serve_catalog_blob_in_repo(catalog_of(req), name, digest))
		return serve_respond_oci_error(req, MHD_HTTP_NOT_FOUND, "BLOB_UNKNOWN", "blob unknown to registry",
					       digest);
	return send_blob(req, digest, "application/octet-stream");
}

/* Answers {key: [names after ?last=, at most ?n=]} plus a Link to the next page. */
static enum MHD_Result send_page(struct serve_request *req, json_t *body, const char *key, const char **names,
				 size_t count, const char *link_path)
{
	const char *n_text = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "n");
	const char *last = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "last");
	json_t *list = json_array();
	size_t i = 0, limit = count;
	char *text, *end, *link = NULL;
	struct MHD_Response *resp;
	long n;

	if (n_text != NULL) {
		n = strtol(n_text, &end, 10);
		if (*n_text == '\0' || *end != '\0' || n < 0 || n > OCI_PAGE_MAX) {
			json_decref(list);
			json_decref(body);
			return serve_respond_oci_error(req, MHD_HTTP_BAD_REQUEST, "PAGINATION_NUMBER_INVALID",
						       "invalid number of results requested", NULL);
		}
		limit = (size_t)n;
	}
	while (last != NULL && i < count && strcmp(names[i], last) <= 0)
		i++;
	for (; i < count && json_array_size(list) < limit; i++)
		json_array_append_new(list, json_string(names[i]));
	if (i < count && json_array_size(list) > 0)
		link = xasprintf("<%s?last=%s&n=%zu>; rel=\"next\"", link_path,
				 json_string_value(json_array_get(list, json_array_size(list) - 1)), limit);
	json_object_set_new(body, key, list);
	text = json_dumps(body, JSON_COMPACT);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (resp != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		if (link != NULL)
			MHD_add_response_header(resp, "Link", link);
		req->bytes = req->head ? 0 : strlen(text);
	} else {
		free(text);
	}
	free(link);
	json_decref(body);
	return serve_respond(req, MHD_HTTP_OK, resp);
}

static enum MHD_Result get_tags(struct serve_request *req, const char *name)
{
	const char **names;
	char *link_path;
	enum MHD_Result ret;
	size_t count;

	if (repo_check(req, name, &ret) != 0)
		return ret;
	names = serve_catalog_tag_names(catalog_of(req), name, &count);
	link_path = xasprintf("/v2/%s/tags/list", name);
	ret = send_page(req, json_pack("{s:s}", "name", name), "tags", names, count, link_path);
	free(link_path);
	free(names);
	return ret;
}

static enum MHD_Result get_catalog(struct serve_request *req)
{
	const char **names = NULL;
	size_t count = 0;
	enum MHD_Result ret;

	if (catalog_of(req) != NULL)
		names = serve_catalog_repo_names(catalog_of(req), &count);
	ret = send_page(req, json_object(), "repositories", names, count, "/v2/_catalog");
	free(names);
	return ret;
}

/* rest is the path after "/v2": "", "/", "/_catalog", "/<name>/tags/list", "/<name>/(manifests|blobs)/<ref>". */
enum MHD_Result serve_oci_handle(struct serve_request *req, const char *rest)
{
	size_t len = strlen(rest);
	char *name = NULL;
	const char *slash;
	enum MHD_Result ret;

	if (len == 0 || strcmp(rest, "/") == 0)
		return serve_respond_text(req, MHD_HTTP_OK, "application/json", "{}", 2);
	if (strcmp(rest, "/_catalog") == 0)
		return get_catalog(req);
	if (len > 11 && strcmp(rest + len - 10, "/tags/list") == 0) {
		name = xstrndup(rest + 1, len - 11);
		ret = get_tags(req, name);
	} else if ((slash = strrchr(rest, '/')) != NULL && slash - rest >= 11 &&
		   strncmp(slash - 10, "/manifests", 10) == 0) {
		name = xstrndup(rest + 1, (size_t)(slash - rest) - 11);
		ret = get_manifest(req, name, slash + 1);
	} else if (slash != NULL && slash - rest >= 7 && strncmp(slash - 6, "/blobs", 6) == 0) {
		name = xstrndup(rest + 1, (size_t)(slash - rest) - 7);
		ret = get_blob(req, name, slash + 1);
	} else {
		ret = serve_respond_oci_error(req, MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN",
					      "no such endpoint in this registry", NULL);
	}
	free(name);
	return ret;
}
