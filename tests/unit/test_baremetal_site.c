#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "provision/baremetal/site.h"

static const char example[] = "vsphere: {ignored: here}\n"
			      "baremetal:\n"
			      "  user: admin\n"
			      "  password_env: BM_TEST_PASSWORD\n"
			      "  ca: certs/bmc-ca.pem\n"
			      "  nodes:\n"
			      "    - name: gpu-01\n"
			      "      bmc: https://10.0.9.11/\n"
			      "      address: 10.0.20.11\n"
			      "      mac: 52:54:00:AB:CD:EF\n"
			      "      groups: [gpu_workers, rack1]\n"
			      "      vars: {ansible_user: ops}\n"
			      "    - name: gpu-02\n"
			      "      bmc: bmc-02.site.internal:6230\n"
			      "      system: System.Embedded.1\n"
			      "      protocol: ipmi\n"
			      "      user_env: BM_TEST_USER\n"
			      "      password_file: /etc/lading/bmc-02.pass\n"
			      "      address: 2001:db8::12\n"
			      "      groups: gpu_workers\n";

static struct bm_site *parse(const char *text, struct lerr *err)
{
	struct bm_site *site = NULL;

	if (bm_site_parse("/srv/site/site.yaml", text, strlen(text), &site, err) != 0)
		return NULL;
	return site;
}

static void site_reads_nodes_and_section_defaults(void **state)
{
	struct lerr err = {0};
	struct bm_site *site = parse(example, &err);
	const struct bm_node *first, *second;

	(void)state;
	assert_non_null(site);
	assert_int_equal(site->node_count, 2);
	first = &site->nodes[0];
	second = &site->nodes[1];
	assert_string_equal(first->bmc, "https://10.0.9.11"); /* trailing '/' dropped */
	assert_int_equal(first->protocol, BM_PROTOCOL_REDFISH);
	assert_null(first->system);
	assert_string_equal(first->user, "admin");		      /* from the section */
	assert_string_equal(first->password_env, "BM_TEST_PASSWORD"); /* from the section */
	assert_string_equal(first->ca_file, "/srv/site/certs/bmc-ca.pem");
	assert_string_equal(first->mac, "52:54:00:ab:cd:ef");
	assert_int_equal(first->group_count, 2);
	assert_string_equal(first->groups[1], "rack1");
	assert_int_equal(first->var_count, 1);
	assert_string_equal(first->vars[0].value, "ops");
	assert_int_equal(second->protocol, BM_PROTOCOL_IPMI);
	assert_string_equal(second->system, "System.Embedded.1");
	/* a node's own keys win over the section's: user_env here, so no section user... */
	assert_string_equal(second->user_env, "BM_TEST_USER");
	assert_string_equal(second->password_file, "/etc/lading/bmc-02.pass");
	assert_int_equal(second->group_count, 1);
	assert_string_equal(second->address, "2001:db8::12");
	bm_site_free(site);
}

/* A node with what it needs, but for the key that follows. */
#define NODE "{name: n, bmc: 'https://h', user: u, password_env: P, "

/* One bad field each: the message, one line, names the file, line and column, and the field. */
static void site_errors_name_the_field(void **state)
{
	static const struct {
		const char *node;
		const char *message;
	} cases[] = {
	    {"{name: n, bmc: 'http://10.0.0.1', user: u, password_env: P}", "bmc: 'http://10.0.0.1' must start"},
	    {"{name: n, bmc: 'https://u:p@h', user: u, password_env: P}", "bmc: 'https://u:p@h' is not"},
	    {"{name: n, bmc: 'https://h', user: u, password: secret}",
	     "unknown key 'password' in baremetal.nodes entry"},
	    {"{name: n, bmc: 'https://h', user: u}",
	     "node 'n': give exactly one of 'password_env' and 'password_file'"},
	    {"{name: n, bmc: 'https://h', password_env: P}", "node 'n': give exactly one of 'user' and 'user_env'"},
	    {"{name: n, bmc: 'https://h', user: u, password_env: P, mac: '52:54'}", "mac: '52:54' is not a MAC"},
	    {"{name: n, bmc: 'https://h', user: u, password_env: P, address: 10.0.0}", "address: '10.0.0' is not"},
	    {"{name: n, bmc: 'https://h', user: u, password_env: P, protocol: snmp}", "protocol: 'snmp' is not"},
	    {"{name: 'a b', bmc: 'https://h', user: u, password_env: P}", "name: 'a b' is not a host name"},
	    {"{bmc: 'https://h', user: u, password_env: P}", "missing required key 'name'"},
	    {"{name: n, user: u, password_env: P}", "node 'n': missing required key 'bmc'"},
	    /* numbers are digits in range: no atoi's 0 for "abc", no sign, no space, no overflow */
	    {NODE "vars: {ansible_port: abc}}", "n: ansible_port 'abc': not a port number (1-65535)"},
	    {NODE "vars: {ansible_port: '0'}}", "n: ansible_port '0': not a port number (1-65535)"},
	    {NODE "vars: {ansible_port: '65536'}}", "n: ansible_port '65536': not a port number (1-65535)"},
	    {NODE "vars: {ansible_port: '22x'}}", "n: ansible_port '22x': not a port number (1-65535)"},
	    {NODE "vars: {ansible_port: '+22'}}", "n: ansible_port '+22': not a port number (1-65535)"},
	    {NODE "vars: {ansible_port: ' 22'}}", "n: ansible_port ' 22': not a port number (1-65535)"},
	    {NODE "vars: {ansible_port: '99999999999999999999'}}", "n: ansible_port '99999999999999999999': not a"},
	    {NODE "vars: {ansible_port: ''}}", "n: ansible_port '': not a port number (1-65535)"},
	    {"{name: n, bmc: 'h:+623', protocol: ipmi, user: u, password_env: P}", "bmc: 'h:+623' is not HOST[:PORT]"},
	    {"{name: n, bmc: 'h: 623', protocol: ipmi, user: u, password_env: P}", "bmc: 'h: 623' is not HOST[:PORT]"},
	    {NODE "address: 10.0.0.1, prefix: '+24'}", "prefix: '+24' is not a prefix length"},
	    {NODE "address: 10.0.0.1, prefix: ' 24'}", "prefix: ' 24' is not a prefix length"},
	};
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lerr err = {0};

		snprintf(text, sizeof(text), "baremetal:\n  nodes:\n    - %s\n", cases[i].node);
		assert_null(parse(text, &err));
		if (strstr(err.msg, cases[i].message) == NULL || strncmp(err.msg, "/srv/site/site.yaml:3:", 22) != 0)
			fail_msg("case %zu: '%s' does not hold '%s'", i, err.msg, cases[i].message);
		assert_null(strchr(err.msg, '\n'));
		assert_int_equal(lerr_exit_code(&err), 2);
	}
}

static void site_refuses_duplicates_and_empty_sections(void **state)
{
	struct lerr err = {0};

	(void)state;
	assert_null(parse("baremetal:\n  user: u\n  password_env: P\n  nodes:\n"
			  "    - {name: n, bmc: 'https://a'}\n    - {name: n, bmc: 'https://b'}\n",
			  &err));
	assert_non_null(strstr(err.msg, "name: 'n' is listed twice"));
	assert_null(parse("baremetal:\n  nodes: []\n", &err));
	assert_non_null(strstr(err.msg, "nodes: no nodes listed"));
	assert_null(parse("vsphere: {}\n", &err));
	assert_non_null(strstr(err.msg, "no 'baremetal' section"));
	assert_null(parse("baremetal:\n  colour: blue\n  nodes: []\n", &err));
	assert_non_null(strstr(err.msg, "colour"));
}

static void site_reads_the_boot_image_and_network(void **state)
{
	static const char text[] =
	    "baremetal:\n"
	    "  user: admin\n"
	    "  password_env: BM_TEST_PASSWORD\n"
	    "  kernel: live/vmlinuz\n"
	    "  initrd: /srv/live/base.cpio.zst\n"
	    "  isolinux: live/isolinux\n"
	    "  authorized_key: keys/site.pub\n"
	    "  boot_mode: uefi\n"
	    "  dns: [10.0.0.53, 10.0.0.54]\n"
	    "  nodes:\n"
	    "    - {name: a, bmc: \"https://b\", address: 10.0.1.5, prefix: 16, gateway: 10.0.0.1}\n"
	    "    - {name: b, bmc: \"https://b\", network: dhcp, boot_mode: legacy, dns: 10.9.9.9}\n"
	    "    - {name: c, bmc: \"https://b\", address: \"2001:db8::5\", registry_ca: ca.pem}\n";
	struct lerr err = {0};
	struct bm_site *site = parse(text, &err);

	(void)state;
	assert_non_null(site);
	assert_string_equal(site->nodes[0].kernel, "/srv/site/live/vmlinuz");
	assert_string_equal(site->nodes[0].initrd, "/srv/live/base.cpio.zst");
	assert_string_equal(site->nodes[0].isolinux, "/srv/site/live/isolinux");
	assert_string_equal(site->nodes[0].authorized_key, "/srv/site/keys/site.pub");
	assert_int_equal(site->nodes[0].uefi, 1);
	assert_int_equal(site->nodes[0].dhcp, 0);
	assert_int_equal(site->nodes[0].prefix, 16);
	assert_string_equal(site->nodes[0].gateway, "10.0.0.1");
	assert_string_equal(site->nodes[0].dns, "10.0.0.53 10.0.0.54");
	assert_null(site->nodes[0].registry_ca);
	assert_int_equal(site->nodes[1].uefi, 0);
	assert_int_equal(site->nodes[1].dhcp, 1);
	assert_string_equal(site->nodes[1].dns, "10.9.9.9");
	assert_int_equal(site->nodes[2].prefix, 64);
	assert_string_equal(site->nodes[2].registry_ca, "/srv/site/ca.pem");
	bm_site_free(site);

	site = parse(
	    "baremetal:\n  nodes: [{name: a, bmc: \"https://b\", user: u, password_env: P, boot_mode: bios}]\n", &err);
	assert_null(site);
	assert_non_null(strstr(err.msg, "boot_mode: 'bios' is not uefi or legacy"));
	site = parse("baremetal:\n  nodes: [{name: a, bmc: \"https://b\", user: u, password_env: P, address: 10.0.0.1, "
		     "prefix: 33}]\n",
		     &err);
	assert_null(site);
	assert_non_null(strstr(err.msg, "prefix: '33' is not a prefix length"));
	site = parse("baremetal:\n  nodes: [{name: a, bmc: \"https://b\", user: u, password_env: P, iso: x.iso, "
		     "kernel: k}]\n",
		     &err);
	assert_null(site);
	assert_non_null(strstr(err.msg, "give either 'iso'"));
	site = parse("baremetal:\n  nodes: [{name: a, bmc: \"https://b\", user: u, password_env: P, dns: [nope]}]\n",
		     &err);
	assert_null(site);
	assert_non_null(strstr(err.msg, "dns: 'nope' is not an IPv4 or IPv6 address"));
}

/* ansible_port is up's SSH port: 22 unless given. */
static void site_reads_the_ssh_port(void **state)
{
	struct lerr err = {0};
	struct bm_site *site = parse("baremetal:\n  user: u\n  password_env: P\n  nodes:\n"
				     "    - {name: a, bmc: 'https://h', vars: {ansible_port: '2222'}}\n"
				     "    - {name: b, bmc: 'https://h'}\n",
				     &err);

	(void)state;
	assert_non_null(site);
	assert_int_equal(site->nodes[0].ssh_port, 2222);
	assert_int_equal(site->nodes[1].ssh_port, 22);
	bm_site_free(site);
}

static void credentials_come_from_the_environment_or_a_file(void **state)
{
	struct lerr err = {0};
	struct bm_site *site = parse(example, &err);
	char path[] = "/tmp/lading-test-bm-XXXXXX";
	char *user = NULL, *password = NULL;
	int fd;

	(void)state;
	assert_non_null(site);
	unsetenv("BM_TEST_PASSWORD");
	assert_int_equal(bm_node_credentials(&site->nodes[0], &user, &password, &err), -1);
	assert_non_null(strstr(err.msg, "gpu-01: password_env: $BM_TEST_PASSWORD is not set"));
	assert_null(user);
	setenv("BM_TEST_PASSWORD", "from-env", 1);
	assert_int_equal(bm_node_credentials(&site->nodes[0], &user, &password, &err), 0);
	assert_string_equal(user, "admin");
	assert_string_equal(password, "from-env");
	free(user);
	free(password);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "from-file\n\n", 11), 11);
	close(fd);
	free(site->nodes[1].password_file);
	site->nodes[1].password_file = strdup(path);
	setenv("BM_TEST_USER", "root", 1);
	assert_int_equal(bm_node_credentials(&site->nodes[1], &user, &password, &err), 0);
	assert_string_equal(user, "root");
	assert_string_equal(password, "from-file"); /* trailing newlines dropped */
	free(user);
	free(password);
	unlink(path);
	assert_int_equal(bm_node_credentials(&site->nodes[1], &user, &password, &err), -1);
	assert_non_null(strstr(err.msg, "gpu-02: password_file"));
	bm_site_free(site);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(site_reads_nodes_and_section_defaults),
	    cmocka_unit_test(site_errors_name_the_field),
	    cmocka_unit_test(site_refuses_duplicates_and_empty_sections),
	    cmocka_unit_test(site_reads_the_boot_image_and_network),
	    cmocka_unit_test(site_reads_the_ssh_port),
	    cmocka_unit_test(credentials_come_from_the_environment_or_a_file),
	};
	return cmocka_run_group_tests_name("baremetal_site", tests, NULL, NULL);
}
