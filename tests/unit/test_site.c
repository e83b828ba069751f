#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/err.h"
#include "provision/roles.h"
#include "provision/site.h"

static const char example[] =
    "registry:\n"
    "  address: 10.0.0.5:5000\n"
    "  plain_http: false\n"
    "  ca_file: certs/internal-ca.pem\n"
    "  prefix: /mirror/\n"
    "  mirrors: [docker.io, harbor.example.org]\n"
    "vars: {ntp_server: 10.0.0.1, dns: [a, b]}\n"
    "apply:\n"
    "  - hosts: all\n"
    "    roles: [registry-mirror]\n"
    "  - hosts: gpu_nodes\n"
    "    roles: [hello]\n"
    "roles:\n"
    "  hello:\n"
    "    - shell: {cmd: \"echo {{ inventory_hostname }} > /etc/hello\", creates: /etc/hello}\n"
    "    - name: motd\n"
    "      template: {src: motd.j2, dest: /etc/motd, mode: \"0640\", owner: root:adm}\n"
    "vsphere:\n"
    "  anything: [goes, here]\n";

static void site_reads_the_issue_example(void **state)
{
	struct site *site = NULL;
	struct lerr err = {0};
	const struct site_role *hello;

	(void)state;
	assert_int_equal(site_load_string("site.yaml", "/srv/site", example, &site, &err), 0);
	assert_string_equal(site->registry.address, "10.0.0.5:5000");
	assert_string_equal(site->registry.prefix, "mirror");
	assert_string_equal(site->registry.ca_file, "/srv/site/certs/internal-ca.pem");
	/* the five well-known upstreams plus the listed one, docker.io once */
	assert_int_equal(site->registry.mirror_count, 6);
	assert_string_equal(site->registry.mirrors[5], "harbor.example.org");
	assert_string_equal(site_var(site, "ntp_server"), "10.0.0.1");
	assert_string_equal(site_var(site, "dns"), "[\"a\",\"b\"]");
	assert_int_equal(site->apply_count, 2);
	assert_string_equal(site->apply[1].hosts, "gpu_nodes");
	hello = role_find(site, "hello");
	assert_non_null(hello);
	assert_int_equal(hello->step_count, 2);
	assert_int_equal(hello->steps[0].kind, STEP_SHELL);
	assert_string_equal(hello->steps[0].creates, "/etc/hello");
	assert_string_equal(hello->steps[0].name, "shell echo {{ inventory_hostname }} > /etc/hello");
	assert_int_equal(hello->steps[1].kind, STEP_TEMPLATE);
	assert_string_equal(hello->steps[1].name, "motd");
	assert_string_equal(hello->steps[1].src, "/srv/site/motd.j2");
	assert_int_equal(hello->steps[1].mode, 0640);
	assert_string_equal(hello->steps[1].owner, "root:adm");
	assert_string_equal(hello->steps[1].where, "site.yaml:16:7");
	assert_non_null(role_find(site, "registry-mirror"));
	site_free(site);
}

/* Each bad file must fail with exactly this message (position included). */
static void expect_error(const char *text, const char *message)
{
	struct site *site = NULL;
	struct lerr err = {0};

	assert_int_equal(site_load_string("site.yaml", "/srv", text, &site, &err), -1);
	assert_null(site);
	assert_string_equal(err.msg, message);
}

static void site_names_the_position_of_errors(void **state)
{
	(void)state;
	expect_error("registy:\n  address: x\n", "site.yaml:1:1: unknown key 'registy' in site file");
	expect_error("registry:\n  address: r:5000\n  plain-http: true\n",
		     "site.yaml:3:3: unknown key 'plain-http' in registry");
	expect_error("registry:\n  plain_http: true\n", "site.yaml:2:3: registry: missing 'address'");
	expect_error("registry: {address: r, plain_http: maybe}\n",
		     "site.yaml:1:36: plain_http: expected true or false, got 'maybe'");
	expect_error("apply:\n  - hosts: all\n    roles: [nope]\n",
		     "site.yaml:3:13: unknown role 'nope' (define it under 'roles:' or use a built-in one: "
		     "apt-repo, nvidia-gpu, registry-mirror)");
	expect_error("roles:\n  r:\n    - shell: {cmd: x, creats: /a}\n",
		     "role 'r': site.yaml:3:23: unknown key 'creats' in shell");
	expect_error("roles:\n  r:\n    - copy: {src: a, dest: /b, mode: rw}\n",
		     "role 'r': site.yaml:3:38: mode: expected an octal mode like '0644', got 'rw'");
	expect_error("roles:\n  r:\n    - shell: x\n      copy: {src: a, dest: /b}\n",
		     "role 'r': site.yaml:4:7: step has two actions; split it in two steps");
	expect_error("roles:\n  r:\n    - cmd: x\n",
		     "role 'r': site.yaml:3:7: unknown key 'cmd' in step (expected one of copy, template, shell, "
		     "service, facts, registry_hosts, package, apt_source, script, name, when)");
	expect_error("roles:\n  r:\n    - copy: {dest: /b}\n",
		     "role 'r': site.yaml:3:13: copy: give exactly one of 'src' and 'content'");
	expect_error("roles:\n  r:\n    - package: {name: [a, b], version: \"1.0\"}\n",
		     "role 'r': site.yaml:3:40: package: 'version' needs a single 'name', not a list");
	expect_error("roles:\n  r:\n    - package: {name: a, state: latest}\n",
		     "role 'r': site.yaml:3:33: package: state must be 'present' or 'absent', got 'latest'");
	expect_error("roles:\n  r:\n    - package: {name: a, state: absent, version: \"1\"}\n",
		     "role 'r': site.yaml:3:50: package: 'version' goes with state present only");
	expect_error("roles:\n  r:\n    - package: {name: []}\n",
		     "role 'r': site.yaml:3:23: package: 'name' is an empty list");
	expect_error("roles:\n  r:\n    - package: {state: present}\n",
		     "role 'r': site.yaml:3:16: package: missing 'name'");
	expect_error("roles:\n  r:\n    - apt_source: {uris: http://x/}\n",
		     "role 'r': site.yaml:3:19: apt_source: missing 'suites'");
	expect_error("vars: {a: 1, a: 2}\n", "site.yaml:1:14: duplicate variable 'a' in vars");
	expect_error("registry: {address: \"http://r\"}\n",
		     "site.yaml:1:21: registry.address: expected host[:port], got 'http://r'");
}

static void package_steps_take_one_name_or_a_list(void **state)
{
	struct site *site = NULL;
	struct lerr err = {0};
	const struct site_role *role;

	(void)state;
	assert_int_equal(site_load_string("site.yaml", "/srv",
					  "roles:\n"
					  "  r:\n"
					  "    - package: {name: curl, version: \"7.88.1-10+deb12u8\"}\n"
					  "    - package: {name: [jq, \"{{ extra }}\"], state: absent}\n"
					  "    - apt_source: {suites: bookworm}\n",
					  &site, &err),
			 0);
	role = role_find(site, "r");
	assert_non_null(role);
	assert_int_equal(role->steps[0].kind, STEP_PACKAGE);
	assert_int_equal(role->steps[0].package_count, 1);
	assert_string_equal(role->steps[0].packages[0], "curl");
	assert_string_equal(role->steps[0].version, "7.88.1-10+deb12u8");
	assert_false(role->steps[0].absent);
	assert_string_equal(role->steps[0].name, "package curl");
	assert_int_equal(role->steps[1].package_count, 2);
	assert_string_equal(role->steps[1].packages[1], "{{ extra }}");
	assert_true(role->steps[1].absent);
	assert_null(role->steps[1].version);
	assert_string_equal(role->steps[1].name, "package jq {{ extra }} (absent)");
	assert_int_equal(role->steps[2].kind, STEP_APT_SOURCE);
	assert_string_equal(role->steps[2].source, "site");
	assert_string_equal(role->steps[2].suites, "bookworm");
	site_free(site);
}

static void site_accepts_vsphere_and_an_empty_file(void **state)
{
	struct site *site = NULL;
	struct lerr err = {0};

	(void)state;
	assert_int_equal(site_load_string("site.yaml", "/srv", "vsphere: {server: vc}\n", &site, &err), 0);
	assert_null(site->registry.address);
	site_free(site);
	assert_int_equal(site_load_string("site.yaml", "/srv", "", &site, &err), 0);
	assert_int_equal(site->apply_count, 0);
	site_free(site);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(site_reads_the_issue_example),
	    cmocka_unit_test(site_names_the_position_of_errors),
	    cmocka_unit_test(package_steps_take_one_name_or_a_list),
	    cmocka_unit_test(site_accepts_vsphere_and_an_empty_file),
	};
	return cmocka_run_group_tests_name("site", tests, NULL, NULL);
}
