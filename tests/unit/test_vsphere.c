#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "provision/vsphere/site.h"
#include "provision/vsphere/soap.h"

static void xml_tmpl_escapes_every_argument(void **state)
{
	struct buf b = BUF_INIT(0);

	(void)state;
	vs_xml_tmpl(&b, "<userName>{}</userName><password>{}</password>", "a&b<c>", "\"q'\t\n");
	assert_string_equal(b.data, "<userName>a&amp;b&lt;c&gt;</userName>"
				    "<password>&quot;q&apos;&#9;&#10;</password>");
	buf_free(&b);
}

static void xml_text_ok_refuses_control_characters(void **state)
{
	(void)state;
	assert_true(vs_xml_text_ok("VM Network\t"));
	assert_false(vs_xml_text_ok("bad\001name"));
}

static void xml_type_resolves_any_prefix(void **state)
{
	static const char reply[] =
	    "<r xmlns=\"urn:vim25\"><val xmlns:XMLSchema-instance=\"http://www.w3.org/2001/XMLSchema-instance\""
	    " XMLSchema-instance:type=\"ManagedObjectReference\" type=\"ResourcePool\">resgroup-1</val>"
	    "<v2 xmlns:x=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:vim=\"urn:vim25\" "
	    "x:type=\"vim:VirtualVmxnet3\"/>"
	    "<v3 type=\"NotAnXsiType\"/></r>";
	xmlDocPtr doc = xmlReadMemory(reply, (int)strlen(reply), "r.xml", NULL, XML_PARSE_NONET);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char *type;

	(void)state;
	type = vs_xml_type(vs_xml_child(root, "val"));
	assert_string_equal(type, "ManagedObjectReference");
	free(type);
	type = vs_xml_type(vs_xml_child(root, "v2"));
	assert_string_equal(type, "VirtualVmxnet3");
	free(type);
	assert_null(vs_xml_type(vs_xml_child(root, "v3")));
	type = vs_xml_child_text(root, "val");
	assert_string_equal(type, "resgroup-1");
	free(type);
	xmlFreeDoc(doc);
}

static void site_expands_names_and_addresses(void **state)
{
	static const char yaml[] =
	    "registry: {address: x}\n"
	    "vsphere:\n"
	    "  url: https://vc/sdk\n"
	    "  username: u\n"
	    "  datacenter: DC0\n"
	    "  template: vm/templates/t\n"
	    "  resource_pool: /DC0/host/C/Resources\n"
	    "  folder: vm/lading\n"
	    "  vms:\n"
	    "    - {name: 'gpu-[08:10]', group: gpu, ip: '10.0.20.[9:11]/23', dns: [10.0.20.2]}\n"
	    "    - {name: cpu-1, group: cpu}\n";
	char path[] = "/tmp/lading-test-site.XXXXXX";
	struct vs_site *site = NULL;
	struct lerr err;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, sizeof(yaml) - 1), (ssize_t)(sizeof(yaml) - 1));
	close(fd);
	assert_int_equal(vs_site_load(path, &site, &err), 0);
	unlink(path);
	assert_int_equal(site->vm_count, 4);
	assert_string_equal(site->vms[0].name, "gpu-08");
	assert_string_equal(site->vms[2].name, "gpu-10");
	assert_string_equal(site->vms[2].ip, "10.0.20.11");
	assert_int_equal(site->vms[2].prefix_len, 23);
	assert_string_equal(site->vms[1].dns[0], "10.0.20.2");
	assert_null(site->vms[3].ip);
	assert_string_equal(site->vms[3].group, "cpu");
	assert_string_equal(site->template_path, "/DC0/vm/templates/t");
	assert_string_equal(site->folder, "/DC0/vm/lading");
	assert_string_equal(site->domain, "local");
	assert_false(site->insecure);
	vs_site_free(site);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(xml_tmpl_escapes_every_argument),
	    cmocka_unit_test(xml_text_ok_refuses_control_characters),
	    cmocka_unit_test(xml_type_resolves_any_prefix),
	    cmocka_unit_test(site_expands_names_and_addresses),
	};

	return cmocka_run_group_tests_name("vsphere", tests, NULL, NULL);
}
