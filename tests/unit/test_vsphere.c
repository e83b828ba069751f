#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libxml/parser.h>
#include <string.h>

#include "lib/buf.h"
#include "provision/vsphere_site.h"
#include "provision/vsphere_soap.h"

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

static void range_keeps_padding_and_letters(void **state)
{
	struct lerr err;
	char **items;
	size_t count;

	(void)state;
	assert_int_equal(vs_range_expand("gpu-worker-[08:11]", &items, &count, &err), 0);
	assert_int_equal(count, 4);
	assert_string_equal(items[0], "gpu-worker-08");
	assert_string_equal(items[3], "gpu-worker-11");
	vs_strv_free(items, count);
	assert_int_equal(vs_range_expand("10.0.20.[9:11]/24", &items, &count, &err), 0);
	assert_int_equal(count, 3);
	assert_string_equal(items[0], "10.0.20.9/24");
	assert_string_equal(items[2], "10.0.20.11/24");
	vs_strv_free(items, count);
	assert_int_equal(vs_range_expand("rack-[a:c]", &items, &count, &err), 0);
	assert_int_equal(count, 3);
	assert_string_equal(items[2], "rack-c");
	vs_strv_free(items, count);
	assert_int_equal(vs_range_expand("plain", &items, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_string_equal(items[0], "plain");
	vs_strv_free(items, count);
}

static void range_refuses_malformed(void **state)
{
	struct lerr err;
	char **items;
	size_t count;

	(void)state;
	assert_int_equal(vs_range_expand("gpu-[4:1]", &items, &count, &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_int_equal(vs_range_expand("gpu-[1:a]", &items, &count, &err), -1);
	assert_int_equal(vs_range_expand("gpu-[1:2]-[1:2]", &items, &count, &err), -1);
	assert_int_equal(vs_range_expand("gpu-[1:99999]", &items, &count, &err), -1);
	assert_int_equal(err.code, LADING_ERR_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(xml_tmpl_escapes_every_argument), cmocka_unit_test(xml_text_ok_refuses_control_characters),
	    cmocka_unit_test(xml_type_resolves_any_prefix),    cmocka_unit_test(range_keeps_padding_and_letters),
	    cmocka_unit_test(range_refuses_malformed),
	};

	return cmocka_run_group_tests_name("vsphere", tests, NULL, NULL);
}
