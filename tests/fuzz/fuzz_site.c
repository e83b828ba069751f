/*
 * site.yaml: provision/site*.c (registry, vars, apply, roles and their steps) from
 * memory, and, when the text has a vsphere: key, the vSphere section reader
 * (provision/vsphere/site.c), which takes a path.
 */
#include "tests/fuzz/common.h"

#include "provision/site.h"
#include "provision/vsphere/site.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct site *site = NULL;
	struct vs_site *vs = NULL;
	struct lerr err;
	char *text;

	if (size > (1u << 20))
		return 0;
	text = fuzz_text(data, size);
	if (site_load_string("site.yaml", "/nonexistent-lading-fuzz", text, &site, &err) == 0) {
		(void)site_var(site, "registry");
		site_free(site);
	}
	if (strstr(text, "vsphere") != NULL && vs_site_load(fuzz_tmp_file(data, size, ".yaml"), &vs, &err) == 0)
		vs_site_free(vs);
	free(text);
	return 0;
}
