/*
 * The built-in roles, as the YAML a user would write under `roles:` in a
 * site file (lading-site(5)). provision/roles_text.c holds them as string
 * literals (scripts/embed-roles writes it from provision/roles/NAME.yaml) so the
 * binary carries them; tests/unit/test_roles.c parses every one.
 */
#include <stddef.h>
#include <string.h>

#include "provision/roles.h"
#include "provision/roles_text.h"

const char *roles_builtin_names(void)
{
	return "apt-repo, nvidia-gpu, registry-mirror";
}

const char *roles_builtin_text(const char *name)
{
	const struct role_text *role;

	for (role = role_texts; role->name != NULL; role++)
		if (strcmp(role->name, name) == 0)
			return role->yaml;
	return NULL;
}

size_t roles_builtin_count(void)
{
	size_t count = 0;

	while (role_texts[count].name != NULL)
		count++;
	return count;
}

const char *roles_builtin_name(size_t index)
{
	return role_texts[index].name;
}
