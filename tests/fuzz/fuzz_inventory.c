/*
 * Ansible inventories (inventory/: INI and YAML, detected by content): load from a
 * temp file, then what provision does with one: select hosts by a few patterns
 * and read each host's connection variables.
 */
#include "tests/fuzz/common.h"

#include "inventory/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const patterns[] = {"all", "web*:&gpu:!db", "web[0:2]", "~^n.*"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv = NULL;
	struct lerr err;
	size_t i, j;

	if (size > (1u << 20))
		return 0;
	if (inv_load(fuzz_tmp_file(data, size, ".ini"), &inv, &err) != 0)
		return 0;
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		const struct inv_host **hosts = NULL;
		size_t count = 0;

		if (inv_select(inv, patterns[i], &hosts, &count, &err) != 0)
			continue;
		for (j = 0; j < count; j++) {
			struct inv_conn conn;

			if (inv_host_conn(hosts[j], &conn, &err) == 0)
				inv_conn_free(&conn);
		}
		free(hosts);
	}
	inv_free(inv);
	return 0;
}
