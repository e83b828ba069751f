#include "images/manifest.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"

int oci_media_is_index(const char *media_type)
{
	return media_type != NULL &&
	       (strcmp(media_type, MEDIA_OCI_INDEX) == 0 || strcmp(media_type, MEDIA_DOCKER_LIST) == 0);
}

static int media_is_manifest(const char *media_type)
{
	return strcmp(media_type, MEDIA_OCI_MANIFEST) == 0 || strcmp(media_type, MEDIA_DOCKER_MANIFEST) == 0;
}

/* Content-Type without parameters, newly allocated. */
static char *media_type_bare(const char *content_type)
{
	size_t len = strcspn(content_type, "; \t");

	return xstrndup(content_type, len);
}

static const char *json_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int parse_platform(const json_t *obj, struct oci_platform *out, struct lerr *err)
{
	const char *os = json_str(obj, "os");
	const char *arch = json_str(obj, "architecture");
	const char *variant = json_str(obj, "variant");

	if (os == NULL || arch == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "platform without os or architecture");
	out->os = xstrdup(os);
	out->architecture = xstrdup(arch);
	out->variant = variant != NULL && *variant != '\0' ? xstrdup(variant) : NULL;
	return 0;
}

static int parse_descriptor(const json_t *obj, struct oci_descriptor *out, const char *what, struct lerr *err)
{
	const char *media = json_str(obj, "mediaType");
	const char *digest = json_str(obj, "digest");
	const json_t *size = json_object_get(obj, "size");
	const json_t *platform = json_object_get(obj, "platform");
	const char *ref;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: descriptor is not an object", what);
	if (digest == NULL || !digest_is_sha256(digest))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: digest '%s' is not a sha256 digest", what,
				digest ? digest : "(missing)");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s %s: size missing or negative", what, digest);
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	out->size = (uint64_t)json_integer_value(size);
	out->media_type = xstrdup(media ? media : "");
	if (json_is_object(platform)) {
		if (parse_platform(platform, &out->platform, err) != 0)
			return lerr_prefix(err, "%s %s", what, digest);
		out->has_platform = 1;
	}
	ref = json_str(json_object_get(obj, "annotations"), "vnd.docker.reference.digest");
	if (ref != NULL && digest_is_sha256(ref))
		out->ref_digest = xstrdup(ref);
	if (strcmp(what, "manifests") == 0)
		out->json = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	return 0;
}

static int parse_descriptor_list(const json_t *array, struct oci_descriptor **out, size_t *count, const char *what,
				 struct lerr *err)
{
	size_t i;

	if (!json_is_array(array))
		return lerr_set(err, LADING_ERR_FORMAT, "'%s' is missing or not a list", what);
	*count = 0;
	*out = xcalloc(json_array_size(array) + 1, sizeof(**out));
	for (i = 0; i < json_array_size(array); i++) {
		if (parse_descriptor(json_array_get(array, i), &(*out)[i], what, err) != 0)
			return -1;
		(*count)++;
	}
	return 0;
}

/* Chooses the media type from the body and the reply header; they must agree. */
static int resolve_media_type(const json_t *root, const char *content_type, char **out, struct lerr *err)
{
	const char *body_type = json_str(root, "mediaType");
	char *header_type = content_type ? media_type_bare(content_type) : NULL;
	int r = -1;

	if (body_type != NULL && header_type != NULL && *header_type != '\0' &&
	    strcmp(header_type, "application/json") != 0 && strcmp(body_type, header_type) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "Content-Type '%s' differs from the mediaType '%s' in the body",
			 header_type, body_type);
		goto out;
	}
	if (body_type != NULL)
		*out = xstrdup(body_type);
	else if (header_type != NULL && (oci_media_is_index(header_type) || media_is_manifest(header_type)))
		*out = xstrdup(header_type);
	else if (json_object_get(root, "manifests") != NULL)
		*out = xstrdup(MEDIA_OCI_INDEX);
	else
		*out = xstrdup(MEDIA_OCI_MANIFEST);
	r = 0;
out:
	free(header_type);
	return r;
}

int oci_manifest_parse(const char *data, size_t len, const char *content_type, struct oci_manifest *out,
		       struct lerr *err)
{
	json_error_t jerr;
	json_t *root;
	const json_t *schema;
	int r = -1;

	memset(out, 0, sizeof(*out));
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "manifest is not valid JSON: %s (line %d)", jerr.text,
				jerr.line);
	schema = json_object_get(root, "schemaVersion");
	if (!json_is_object(root) || !json_is_integer(schema) || json_integer_value(schema) != 2) {
		lerr_set(err, LADING_ERR_FORMAT, "manifest is not schemaVersion 2 (schema1 is not supported)");
		goto out;
	}
	if (resolve_media_type(root, content_type, &out->media_type, err) != 0)
		goto out;
	if (oci_media_is_index(out->media_type)) {
		out->is_index = 1;
		if (parse_descriptor_list(json_object_get(root, "manifests"), &out->manifests, &out->manifest_count,
					  "manifests", err) != 0)
			goto out;
	} else if (media_is_manifest(out->media_type)) {
		if (parse_descriptor(json_object_get(root, "config"), &out->config, "config", err) != 0)
			goto out;
		if (parse_descriptor_list(json_object_get(root, "layers"), &out->layers, &out->layer_count, "layers",
					  err) != 0)
			goto out;
	} else {
		lerr_set(err, LADING_ERR_FORMAT, "unsupported manifest media type '%s'", out->media_type);
		goto out;
	}
	r = 0;
out:
	json_decref(root);
	if (r != 0)
		oci_manifest_free(out);
	return r;
}

static void descriptor_free(struct oci_descriptor *d)
{
	free(d->media_type);
	free(d->ref_digest);
	free(d->json);
	oci_platform_free(&d->platform);
}

void oci_manifest_free(struct oci_manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->media_type);
	descriptor_free(&m->config);
	for (i = 0; m->layers != NULL && i < m->layer_count; i++)
		descriptor_free(&m->layers[i]);
	for (i = 0; m->manifests != NULL && i < m->manifest_count; i++)
		descriptor_free(&m->manifests[i]);
	/* A failed parse may leave a half-filled entry past the count. */
	if (m->layers != NULL)
		descriptor_free(&m->layers[m->layer_count]);
	if (m->manifests != NULL)
		descriptor_free(&m->manifests[m->manifest_count]);
	free(m->layers);
	free(m->manifests);
	memset(m, 0, sizeof(*m));
}

static int platform_part_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

int oci_platform_parse(const char *text, struct oci_platform *out, struct lerr *err)
{
	const char *first = strchr(text, '/');
	const char *second = first ? strchr(first + 1, '/') : NULL;
	const char *arch_end = second ? second : text + strlen(text);

	memset(out, 0, sizeof(*out));
	if (first == NULL || !platform_part_valid(text, (size_t)(first - text)) ||
	    !platform_part_valid(first + 1, (size_t)(arch_end - first - 1)) ||
	    (second != NULL && !platform_part_valid(second + 1, strlen(second + 1))))
		return lerr_set(err, LADING_ERR_USAGE, "'%s': not a platform (want os/arch or os/arch/variant)", text);
	out->os = xstrndup(text, (size_t)(first - text));
	out->architecture = xstrndup(first + 1, (size_t)(arch_end - first - 1));
	out->variant = second ? xstrdup(second + 1) : NULL;
	return 0;
}

char *oci_platform_string(const struct oci_platform *p)
{
	return xasprintf("%s/%s%s%s", p->os ? p->os : "?", p->architecture ? p->architecture : "?",
			 p->variant ? "/" : "", p->variant ? p->variant : "");
}

static const char *normal_variant(const struct oci_platform *p)
{
	/* containerd's normalisation: arm64 means arm64/v8. */
	if (p->variant == NULL && p->architecture != NULL && strcmp(p->architecture, "arm64") == 0)
		return "v8";
	return p->variant;
}

int oci_platform_match(const struct oci_platform *want, const struct oci_platform *have)
{
	const char *want_variant = normal_variant(want);
	const char *have_variant = normal_variant(have);

	if (have->os == NULL || have->architecture == NULL || strcmp(want->os, have->os) != 0 ||
	    strcmp(want->architecture, have->architecture) != 0)
		return 0;
	if (want->variant == NULL)
		return 1;
	return have_variant != NULL && strcmp(want_variant, have_variant) == 0;
}

void oci_platform_free(struct oci_platform *p)
{
	if (p == NULL)
		return;
	free(p->os);
	free(p->architecture);
	free(p->variant);
	memset(p, 0, sizeof(*p));
}

static void list_platforms(const struct oci_manifest *index, struct buf *out)
{
	size_t i;

	for (i = 0; i < index->manifest_count; i++) {
		const struct oci_descriptor *d = &index->manifests[i];
		char *text;

		if (!d->has_platform)
			continue;
		text = oci_platform_string(&d->platform);
		buf_printf(out, "%s%s", out->len > 0 ? ", " : "", text);
		free(text);
	}
	if (out->len == 0)
		buf_puts(out, "none");
}

int oci_index_select(const struct oci_manifest *index, const struct oci_platform *want, size_t count, size_t *chosen,
		     struct lerr *err)
{
	size_t w, i;

	for (w = 0; w < count; w++) {
		size_t found = index->manifest_count;

		/* An exact variant match wins over a variant-less request taking any variant. */
		for (i = 0; i < index->manifest_count && found == index->manifest_count; i++) {
			const struct oci_descriptor *d = &index->manifests[i];

			if (d->has_platform && oci_platform_match(&want[w], &d->platform) &&
			    (want[w].variant != NULL || d->platform.variant == NULL))
				found = i;
		}
		for (i = 0; i < index->manifest_count && found == index->manifest_count; i++)
			if (index->manifests[i].has_platform &&
			    oci_platform_match(&want[w], &index->manifests[i].platform))
				found = i;
		if (found == index->manifest_count) {
			struct buf have = BUF_INIT(0);
			char *text = oci_platform_string(&want[w]);

			list_platforms(index, &have);
			lerr_set(err, LADING_ERR_NOTFOUND, "no platform %s in the image index (it has %s)", text,
				 have.data);
			free(text);
			buf_free(&have);
			return -1;
		}
		chosen[w] = found;
	}
	return 0;
}

int oci_index_selection_is_all(const struct oci_manifest *index, const size_t *chosen, size_t count)
{
	size_t i, c;

	for (i = 0; i < index->manifest_count; i++) {
		int seen = 0;

		for (c = 0; c < count && !seen; c++)
			seen = chosen[c] == i;
		if (!seen)
			return 0;
	}
	return 1;
}

/* Puts kept in root's "manifests", names the source index in its annotations, and writes root out (freeing it). */
static int index_finish(json_t *root, json_t *kept, const char *source_digest, char **out, size_t *out_len)
{
	json_t *annotations;
	char *text;

	json_object_set_new(root, "manifests", kept);
	annotations = json_object_get(root, "annotations");
	if (!json_is_object(annotations)) {
		annotations = json_object();
		json_object_set_new(root, "annotations", annotations);
	}
	json_object_set_new(annotations, "io.lading.source-index", json_string(source_digest));
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	*out = xstrdup(text);
	*out_len = strlen(text);
	free(text);
	return 0;
}

int oci_index_filter(const char *data, size_t len, const size_t *chosen, size_t count, const char *source_digest,
		     char **out, size_t *out_len, struct lerr *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *entries, *kept;
	size_t c, d;

	if (root == NULL || !json_is_array(json_object_get(root, "manifests"))) {
		json_decref(root);
		return lerr_set(err, LADING_ERR_FORMAT, "image index is not valid JSON");
	}
	entries = json_object_get(root, "manifests");
	kept = json_array();
	for (c = 0; c < count; c++) {
		for (d = 0; d < c && chosen[d] != chosen[c]; d++)
			;
		if (d == c && chosen[c] < json_array_size(entries))
			json_array_append(kept, json_array_get(entries, chosen[c]));
	}
	return index_finish(root, kept, source_digest, out, out_len);
}

int oci_descriptor_is_attestation(const struct oci_descriptor *d)
{
	/* buildx: platform unknown/unknown, vnd.docker.reference.type attestation-manifest and the subject's digest */
	return d->ref_digest != NULL;
}

int oci_index_rebuild(const char *data, size_t len, const struct oci_descriptor *const *keep, size_t count,
		      const char *source_digest, char **out, size_t *out_len, struct lerr *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *kept;
	size_t i;

	if (!json_is_object(root) || !json_is_array(json_object_get(root, "manifests"))) {
		json_decref(root);
		return lerr_set(err, LADING_ERR_FORMAT, "image index is not valid JSON");
	}
	kept = json_array();
	for (i = 0; i < count; i++) {
		json_t *entry = keep[i]->json ? json_loads(keep[i]->json, 0, &jerr) : NULL;

		if (entry == NULL) {
			json_decref(kept);
			json_decref(root);
			return lerr_set(err, LADING_ERR_FORMAT, "image index entry %s has no JSON", keep[i]->digest);
		}
		json_array_append_new(kept, entry);
	}
	return index_finish(root, kept, source_digest, out, out_len);
}

int oci_config_platform(const char *data, size_t len, struct oci_platform *out, struct lerr *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, 0, &jerr);
	int r;

	memset(out, 0, sizeof(*out));
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return lerr_set(err, LADING_ERR_FORMAT, "image config is not a JSON object");
	}
	r = parse_platform(root, out, err);
	json_decref(root);
	return r;
}
