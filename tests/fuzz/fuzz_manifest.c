/*
 * OCI and Docker manifests and indexes (images/manifest.c) as a registry sends
 * them: parse under each Content-Type, then for an index choose platforms and
 * write the filtered index, and read the body as an image config.
 */
#include "tests/fuzz/common.h"

#include "images/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
    NULL, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST, MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST, "application/json"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_platform want[2], config;
	struct oci_manifest m;
	struct lerr err;
	const char *type;
	size_t chosen[2];

	if (size < 1 || size > MANIFEST_MAX_BYTES)
		return 0;
	/* the first byte picks the Content-Type the "registry" sent */
	type = content_types[data[0] % (sizeof(content_types) / sizeof(content_types[0]))];
	data++, size--;
	memset(&m, 0, sizeof(m));
	if (oci_manifest_parse((const char *)data, size, type, &m, &err) == 0) {
		if (m.is_index && oci_platform_parse("linux/amd64", &want[0], &err) == 0) {
			if (oci_platform_parse("linux/arm64", &want[1], &err) == 0) {
				size_t n = m.manifest_count > 1 ? 2 : 1;
				char *out = NULL;
				size_t out_len = 0;

				if (oci_index_select(&m, want, n, chosen, &err) == 0) {
					(void)oci_index_selection_is_all(&m, chosen, n);
					if (oci_index_filter(
						(const char *)data, size, chosen, n,
						"sha256:"
						"0000000000000000000000000000000000000000000000000000000000000000",
						&out, &out_len, &err) == 0)
						free(out);
				}
				oci_platform_free(&want[1]);
			}
			oci_platform_free(&want[0]);
		}
		oci_manifest_free(&m);
	}
	memset(&config, 0, sizeof(config));
	if (oci_config_platform((const char *)data, size, &config, &err) == 0) {
		char *s = oci_platform_string(&config);

		free(s);
		oci_platform_free(&config);
	}
	return 0;
}
