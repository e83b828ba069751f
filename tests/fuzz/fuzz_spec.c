/* lading.yaml (bundle/spec.c): the spec reader with its charts/providers/files/packages sections. */
#include "tests/fuzz/common.h"

#include "bundle/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_spec spec;
	struct lerr err;
	char *text;

	if (size > BUNDLE_SPEC_MAX)
		return 0;
	text = fuzz_text(data, size);
	memset(&spec, 0, sizeof(spec));
	if (bundle_spec_parse("lading.yaml", text, size, &spec, &err) == 0)
		bundle_spec_free(&spec);
	free(text);
	return 0;
}
