#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "provision/roles.h"
#include "provision/site.h"

static void builtin_role_is_the_yaml_file(void **state)
{
	struct buf file = BUF_INIT(1u << 20);
	struct lerr err = {0};
	char path[128];
	size_t i;

	(void)state;
	assert_int_equal(roles_builtin_count(), 3);
	for (i = 0; i < roles_builtin_count(); i++) {
		/* make check runs from the top of the tree; scripts/embed-roles rewrites roles_text.c */
		snprintf(path, sizeof(path), "provision/roles/%s.yaml", roles_builtin_name(i));
		buf_reset(&file);
		assert_int_equal(fs_read_file(path, &file, &err), 0);
		assert_string_equal(roles_builtin_text(roles_builtin_name(i)), file.data);
	}
	assert_null(roles_builtin_text("nope"));
	buf_free(&file);
}

static void builtin_roles_parse(void **state)
{
	struct site_role *roles = NULL;
	struct lerr err = {0};
	size_t count = 0, i;

	(void)state;
	assert_int_equal(roles_builtin_parse(&roles, &count, &err), 0);
	/* in file name order */
	assert_int_equal(count, 3);
	assert_string_equal(roles[0].name, "apt-repo");
	assert_int_equal(roles[0].step_count, 6);
	assert_int_equal(roles[0].steps[4].kind, STEP_APT_SOURCE);
	assert_string_equal(roles[0].steps[4].suites, "{{ apt_repo_suites }}");
	assert_string_equal(roles[1].name, "nvidia-gpu");
	assert_int_equal(roles[1].step_count, 12);
	assert_int_equal(roles[1].steps[0].kind, STEP_SCRIPT);
	assert_string_equal(roles[1].steps[0].name, "preflight");
	assert_int_equal(roles[1].steps[8].kind, STEP_SERVICE);
	assert_string_equal(roles[1].steps[8].when, "nvidia_containerd_changed");
	assert_string_equal(roles[2].name, "registry-mirror");
	assert_int_equal(roles[2].step_count, 10);
	assert_int_equal(roles[2].steps[0].kind, STEP_FACTS);
	assert_int_equal(roles[2].steps[3].kind, STEP_REGISTRY_HOSTS);
	assert_string_equal(roles[2].steps[3].dir, "/etc/containerd/certs.d");
	assert_int_equal(roles[2].steps[5].kind, STEP_SERVICE);
	assert_string_equal(roles[2].steps[5].service, "containerd");
	assert_string_equal(roles[2].steps[6].dir, "/etc/containers");
	assert_string_equal(roles[2].steps[8].dir, "/etc/docker");
	for (i = 0; i < count; i++) {
		free(roles[i].name);
		site_steps_free(roles[i].steps, roles[i].step_count);
	}
	free(roles);
}

static void hosts_toml_plain_http_without_prefix(void **state)
{
	struct site_registry reg = {.address = "198.18.0.1:5000", .plain_http = 1, .prefix = ""};
	char *toml = role_hosts_toml(&reg, "docker.io", "/ca.crt");

	(void)state;
	assert_string_equal(toml, "# written by lading (registry-mirror): pulls of docker.io go to 198.18.0.1:5000\n"
				  "server = \"https://registry-1.docker.io\"\n\n"
				  "[host.\"http://198.18.0.1:5000\"]\n"
				  "  capabilities = [\"pull\", \"resolve\"]\n");
	free(toml);
}

static void hosts_toml_tls_with_prefix_and_ca(void **state)
{
	struct site_registry reg = {.address = "reg.lan:443", .ca_file = "/site/ca.pem", .prefix = "mirror/x"};
	char *toml = role_hosts_toml(&reg, "nvcr.io", "/usr/local/share/ca-certificates/lading-registry.crt");

	(void)state;
	assert_string_equal(toml, "# written by lading (registry-mirror): pulls of nvcr.io go to reg.lan:443\n"
				  "server = \"https://nvcr.io\"\n\n"
				  "[host.\"https://reg.lan:443/v2/mirror/x\"]\n"
				  "  capabilities = [\"pull\", \"resolve\"]\n"
				  "  override_path = true\n"
				  "  ca = \"/usr/local/share/ca-certificates/lading-registry.crt\"\n");
	free(toml);
	reg.skip_verify = 1;
	reg.ca_file = NULL;
	toml = role_hosts_toml(&reg, "quay.io", "/ca.crt");
	assert_non_null(strstr(toml, "  override_path = true\n  skip_verify = true\n"));
	assert_null(strstr(toml, "ca = "));
	free(toml);
}

static void apt_sources_is_deb822_without_trusted(void **state)
{
	struct role_apt_source src = {.uris = "http://198.18.0.1:8080/apt/lab",
				      .suites = "lab lab-updates",
				      .components = "main contrib",
				      .architectures = "",
				      .signed_by = "/etc/apt/keyrings/lading-lab.gpg"};
	char *text = role_apt_sources(&src), *body;

	(void)state;
	/* the comment block explains Check-Valid-Until; the fields follow it */
	body = strstr(text, "\nTypes: deb\n");
	assert_non_null(body);
	assert_string_equal(body + 1, "Types: deb\n"
				      "URIs: http://198.18.0.1:8080/apt/lab\n"
				      "Suites: lab lab-updates\n"
				      "Components: main contrib\n"
				      "Signed-By: /etc/apt/keyrings/lading-lab.gpg\n"
				      "Check-Valid-Until: no\n");
	assert_null(strstr(text, "Trusted"));
	assert_null(strstr(text, "trusted"));
	free(text);
	/* no Signed-By: apt's own keyrings (trusted.gpg.d) verify the archive */
	src.signed_by = NULL;
	text = role_apt_sources(&src);
	assert_null(strstr(text, "\nSigned-By:"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(builtin_role_is_the_yaml_file),
	    cmocka_unit_test(builtin_roles_parse),
	    cmocka_unit_test(hosts_toml_plain_http_without_prefix),
	    cmocka_unit_test(hosts_toml_tls_with_prefix_and_ca),
	    cmocka_unit_test(apt_sources_is_deb822_without_trusted),
	};
	return cmocka_run_group_tests_name("roles", tests, NULL, NULL);
}
