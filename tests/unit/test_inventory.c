/* inventory/: YAML and INI loading, Ansible's variable precedence, errors with file:line:col. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory/inventory.h"
#include "lib/fsutil.h"

static char tmpdir[] = "/tmp/lading-test-inventory.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct lerr err;

	(void)state;
	if (chdir("/") != 0)
		return -1;
	return fs_remove_tree(tmpdir, &err);
}

static void write_text(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static struct inventory *load_text(const char *name, const char *text)
{
	struct inventory *inv = NULL;
	struct lerr err;

	write_text(name, text);
	if (inv_load(name, &inv, &err) != 0)
		fail_msg("inv_load: %s", err.msg);
	return inv;
}

/* The error message of loading text, into msg. */
static void load_error(const char *name, const char *text, char *msg, size_t len)
{
	struct inventory *inv = NULL;
	struct lerr err;

	write_text(name, text);
	assert_int_equal(inv_load(name, &inv, &err), -1);
	assert_null(inv);
	snprintf(msg, len, "%s", err.msg);
}

static const char *var(const struct inventory *inv, const char *host, const char *name)
{
	const struct inv_host *h = inv_host_find(inv, host);

	assert_non_null(h);
	return inv_host_var(h, name);
}

static void yaml_child_group_beats_parent_and_host_beats_all(void **state)
{
	struct inventory *inv = load_text("p.yml", "all:\n"
						   "  vars: {x: all, only_all: 1}\n"
						   "  children:\n"
						   "    parent:\n"
						   "      vars: {x: parent}\n"
						   "      hosts: {h1: , h3: {x: host}}\n"
						   "      children:\n"
						   "        child:\n"
						   "          vars: {x: child}\n"
						   "          hosts: {h2: }\n");

	(void)state;
	assert_string_equal(var(inv, "h1", "x"), "parent");
	assert_string_equal(var(inv, "h2", "x"), "child");
	assert_string_equal(var(inv, "h3", "x"), "host");
	assert_string_equal(var(inv, "h2", "only_all"), "1");
	assert_int_equal(inv_host_var_full(inv_host_find(inv, "h2"), "only_all")->kind, INV_INT);
	assert_int_equal(inv_group_find(inv, "child")->depth, 2);
	inv_free(inv);
}

static void yaml_same_depth_groups_merge_alphabetically_unless_priority(void **state)
{
	struct inventory *inv =
	    load_text("a.yml", "zeta:\n  vars: {x: zeta}\n  hosts: {h: }\n"
			       "alpha:\n  vars: {x: alpha}\n  hosts: {h: }\n"
			       "beta:\n  vars: {y: beta, ansible_group_priority: 0}\n  hosts: {g: }\n"
			       "gamma:\n  vars: {y: gamma}\n  hosts: {g: }\n");

	(void)state;
	/* alpha < zeta by name: zeta is merged last and wins */
	assert_string_equal(var(inv, "h", "x"), "zeta");
	/* beta has priority 0 (< default 1): merged first, gamma wins */
	assert_string_equal(var(inv, "g", "y"), "gamma");
	assert_null(var(inv, "g", "ansible_group_priority"));
	inv_free(inv);
}

static void yaml_deeper_group_wins_whatever_its_name(void **state)
{
	struct inventory *inv = load_text("d.yml", "all:\n  children:\n"
						   "    a_top:\n      vars: {x: top}\n      hosts: {h: }\n"
						   "    m:\n      children:\n        z_inner:\n          children:\n"
						   "            a_deep: {vars: {x: deep}, hosts: {h: }}\n");

	(void)state;
	assert_string_equal(var(inv, "h", "x"), "deep");
	assert_int_equal(inv_group_find(inv, "a_deep")->depth, 3);
	inv_free(inv);
}

static void yaml_host_in_two_groups_gets_both_and_later_host_vars_win(void **state)
{
	struct inventory *inv = load_text("two.yml", "web:\n  hosts:\n    n1: {role: web, a: 1}\n"
						     "db:\n  hosts:\n    n1: {role: db}\n");
	const struct inv_host *h;

	(void)state;
	h = inv_host_find(inv, "n1");
	assert_int_equal(inv->host_count, 1);
	assert_int_equal(h->group_count, 3);
	assert_string_equal(h->groups[0], "all");
	assert_string_equal(h->groups[1], "db");
	assert_string_equal(h->groups[2], "web");
	assert_string_equal(inv_host_var(h, "role"), "db");
	assert_string_equal(inv_host_var(h, "a"), "1");
	inv_free(inv);
}

static void yaml_ranges_ports_and_ungrouped(void **state)
{
	struct inventory *inv =
	    load_text("r.yml", "all:\n  hosts:\n    lone:\n    gpu-[08:10]:\n      ansible_user: root\n"
			       "    web:2222:\n");
	const struct inv_group *ungrouped = inv_group_find(inv, "ungrouped");

	(void)state;
	assert_int_equal(inv->host_count, 5);
	assert_string_equal(inv->hosts[1].name, "gpu-08");
	assert_string_equal(inv->hosts[3].name, "gpu-10");
	assert_string_equal(var(inv, "gpu-09", "ansible_user"), "root");
	assert_string_equal(var(inv, "web", "ansible_port"), "2222");
	assert_int_equal(ungrouped->host_count, 5);
	inv_free(inv);
}

static void yaml_non_scalar_values_are_json(void **state)
{
	struct inventory *inv = load_text("j.yml", "all:\n  hosts:\n    h:\n      l: [1, \"2\", yes, ~]\n"
						   "      m: {k: v, n: 1.5}\n      s: 'yes'\n      b: off\n");
	const struct inv_host *h;

	(void)state;
	h = inv_host_find(inv, "h");
	assert_string_equal(inv_host_var(h, "l"), "[1,\"2\",true,null]");
	assert_string_equal(inv_host_var(h, "m"), "{\"k\":\"v\",\"n\":1.5}");
	assert_int_equal(inv_host_var_full(h, "m")->kind, INV_JSON);
	assert_string_equal(inv_host_var(h, "s"), "yes");
	assert_int_equal(inv_host_var_full(h, "s")->kind, INV_STRING);
	assert_string_equal(inv_host_var(h, "b"), "false");
	assert_int_equal(inv_host_var_full(h, "b")->kind, INV_BOOL);
	inv_free(inv);
}

static void yaml_unknown_group_key_names_position(void **state)
{
	char msg[LERR_MSG_MAX];

	(void)state;
	load_error("k.yml", "all:\n  children:\n    web:\n      host:\n        w1:\n", msg, sizeof(msg));
	assert_string_equal(msg,
			    "k.yml:4:7: unknown key 'host' in group 'web' (only hosts, vars and children are allowed)");
}

static void yaml_cycle_in_children_names_position(void **state)
{
	char msg[LERR_MSG_MAX];

	(void)state;
	load_error("c.yml",
		   "a:\n  children:\n    b:\n      children:\n        c:\n          children:\n            a:\n", msg,
		   sizeof(msg));
	assert_string_equal(msg, "c.yml:7:13: group 'a' as a child of 'c' makes a cycle in children; "
				 "remove one of the two edges");
}

static void yaml_bad_range_names_its_bracket(void **state)
{
	char msg[LERR_MSG_MAX];

	(void)state;
	load_error("br.yml", "all:\n  hosts:\n    gpu-[01:100]:\n", msg, sizeof(msg));
	assert_string_equal(msg, "br.yml:3:9: bad host range '[01:100]': a zero-padded begin and its end must have "
				 "the same width");
	load_error("br2.yml", "all:\n  hosts:\n    n-[9:2]:\n", msg, sizeof(msg));
	assert_string_equal(msg, "br2.yml:3:7: bad host range '[9:2]': begin is after end");
}

static void yaml_conflicting_duplicate_in_one_group_fails(void **state)
{
	char msg[LERR_MSG_MAX];
	struct inventory *inv;

	(void)state;
	load_error("dup.yml", "web:\n  hosts:\n    w-[1:3]: {port: 1}\n    w-2: {port: 2}\n", msg, sizeof(msg));
	assert_string_equal(msg, "dup.yml:4:5: host 'w-2' is listed twice in group 'web' with conflicting values "
				 "for 'port' (first at line 3)");
	/* the same values again, or a different group, are fine */
	inv = load_text("dup2.yml", "web:\n  hosts:\n    w-[1:3]: {port: 1}\n    w-2: {port: 1}\n"
				    "db:\n  hosts:\n    w-2: {port: 2}\n");
	assert_string_equal(var(inv, "w-2", "port"), "2");
	inv_free(inv);
}

static void yaml_wrong_shapes_are_errors(void **state)
{
	char msg[LERR_MSG_MAX];

	(void)state;
	load_error("s1.yml", "- a\n- b\n", msg, sizeof(msg));
	assert_string_equal(msg, "s1.yml:1:1: an inventory must be a mapping of group names, got a sequence");
	load_error("s2.yml", "web:\n  hosts: [a, b]\n", msg, sizeof(msg));
	assert_string_equal(msg, "s2.yml:2:10: group 'web': 'hosts' must be a mapping, got a sequence");
	load_error("s3.yml", "web:\n  hosts:\n    1234:\n", msg, sizeof(msg));
	assert_string_equal(msg, "s3.yml:3:5: host name 1234 must be a string: quote it");
	load_error("s4.yml", "", msg, sizeof(msg));
	assert_string_equal(msg, "s4.yml: empty inventory");
}

static void ini_sections_children_and_vars(void **state)
{
	struct inventory *inv =
	    load_text("i.ini", "lone\n"
			       "[web]\n"
			       "web-[1:2] http_port=80 name=\"a b\" dq='\"x\"' flag=True t=true raw=007 # c\n"
			       "[prod:children]\nweb\ndb\n"
			       "[db]\ndb1:5432\n"
			       "[prod:vars]\nenv = prod\nq = \"a # b\"\n"
			       "[all:vars]\nenv=all\nansible_user=admin\n");
	const struct inv_host *h;

	(void)state;
	h = inv_host_find(inv, "web-2");
	assert_string_equal(inv_host_var(h, "http_port"), "80");
	assert_int_equal(inv_host_var_full(h, "http_port")->kind, INV_INT);
	assert_string_equal(inv_host_var(h, "name"), "a b");
	assert_string_equal(inv_host_var(h, "dq"), "x");
	assert_int_equal(inv_host_var_full(h, "flag")->kind, INV_BOOL);
	assert_int_equal(inv_host_var_full(h, "t")->kind, INV_STRING); /* Python: true is no literal */
	assert_string_equal(inv_host_var(h, "raw"), "007");
	assert_string_equal(inv_host_var(h, "env"), "prod");
	assert_string_equal(inv_host_var(h, "q"), "a # b");
	assert_string_equal(var(inv, "db1", "ansible_port"), "5432");
	assert_string_equal(var(inv, "db1", "env"), "prod");
	assert_string_equal(var(inv, "lone", "env"), "all");
	assert_int_equal(inv_group_find(inv, "ungrouped")->host_count, 1);
	inv_free(inv);
}

static void ini_errors_name_line_and_column(void **state)
{
	char msg[LERR_MSG_MAX];

	(void)state;
	load_error("e1.ini", "[p:children]\n  missing\n[x]\nh\n", msg, sizeof(msg));
	assert_string_equal(msg,
			    "e1.ini:2:3: unknown group 'missing' in [p:children]: declare it with a [missing] section");
	load_error("e2.ini", "[v:vars]\na=1\n", msg, sizeof(msg));
	assert_string_equal(msg,
			    "e2.ini:1:2: section [v:vars] is for group 'v', which has no [v] or [v:children] section");
	load_error("e3.ini", "[a:children]\nb\n[b:children]\na\n", msg, sizeof(msg));
	assert_string_equal(
	    msg, "e3.ini:4:1: group 'a' as a child of 'b' makes a cycle in children; remove one of the two edges");
	load_error("e4.ini", "[g]\nh1 port=1\nh1  port=2\n", msg, sizeof(msg));
	assert_string_equal(
	    msg,
	    "e4.ini:3:1: host 'h1' is listed twice in group 'g' with conflicting values for 'port' (first at line 2)");
	load_error("e5.ini", "[g]\nhost  novalue\n", msg, sizeof(msg));
	assert_string_equal(msg, "e5.ini:2:7: expected key=value host variable, got 'novalue'");
	load_error("e6.ini", "[g:hostz]\n", msg, sizeof(msg));
	assert_string_equal(msg, "e6.ini:1:4: unknown section type 'hostz' (expected hosts, children or vars)");
	load_error("e7.ini", "[g]\n  n-[a:]\n", msg, sizeof(msg));
	assert_string_equal(msg, "e7.ini:2:5: bad host range '[a:]': no end value");
	load_error("e8.ini", "[g]\nh x='unterminated\n", msg, sizeof(msg));
	assert_string_equal(msg, "e8.ini:2:5: unterminated quote in 'h x='unterminated'");
}

static void yaml_vault_values_are_refused_by_name(void **state)
{
	char msg[LERR_MSG_MAX];

	(void)state;
	load_error("v.yml",
		   "all:\n  hosts:\n    h:\n      secret: !vault |\n"
		   "        $ANSIBLE_VAULT;1.1;AES256\n        6162636465\n",
		   msg, sizeof(msg));
	assert_string_equal(msg, "v.yml:4:15: variable 'secret' is encrypted with ansible-vault, which lading cannot "
				 "decrypt; give it in clear or through the site file");
}

static void merge_file_adds_hosts_and_overrides(void **state)
{
	struct inventory *inv = load_text("m1.yml", "gpu:\n  vars: {x: 1}\n  hosts: {g1: , g2: }\n");
	struct lerr err;

	(void)state;
	write_text("m2.ini", "[gpu]\ng3\n[gpu:vars]\nx=2\n");
	assert_int_equal(inv_merge_file(inv, "m2.ini", &err), 0);
	assert_int_equal(inv->host_count, 3);
	assert_string_equal(var(inv, "g1", "x"), "2");
	assert_string_equal(inv->hosts[2].name, "g3");
	assert_int_equal(inv_merge_file(inv, "absent.yml", &err), -1);
	assert_non_null(strstr(err.msg, "absent.yml"));
	assert_int_equal(inv->host_count, 3);
	inv_free(inv);
}

static void conn_reads_ansible_variables_and_proxy_jump(void **state)
{
	struct inventory *inv =
	    load_text("conn.yml",
		      "all:\n  hosts:\n"
		      "    a: {ansible_host: 198.18.0.2, ansible_port: 2222, ansible_user: ops,\n"
		      "        ansible_ssh_private_key_file: k, ansible_become: yes,\n"
		      "        ansible_ssh_common_args: '-o StrictHostKeyChecking=no -o ProxyJump=jump@bastion:2200'}\n"
		      "    b: {lading_jump: 'root@[fd00::1]:22', ansible_ssh_common_args: '-J x@y'}\n"
		      "    c: {ansible_ssh_common_args: '-oProxyJump=y'}\n"
		      "    e: {lading_jump: 'a,b'}\n"
		      "    f: {ansible_ssh_host: 198.18.0.7, ansible_ssh_user: old, ansible_ssh_port: 2200,\n"
		      "        ansible_become_user: svc,\n"
		      "        ansible_ssh_common_args: '-o ProxyCommand=\"ssh -W %h:%p -q -p 2022 -l ops bastion\"'}\n"
		      "    g: {ansible_ssh_common_args: '-o ProxyCommand=\"nc -x proxy %h %p\"'}\n"
		      "    l: {ansible_connection: local}\n"
		      "    w: {ansible_connection: winrm}\n");
	struct inv_conn conn;
	struct lerr err;

	(void)state;
	assert_int_equal(inv_host_conn(inv_host_find(inv, "a"), &conn, &err), 0);
	assert_string_equal(conn.address, "198.18.0.2");
	assert_int_equal(conn.port, 2222);
	assert_string_equal(conn.user, "ops");
	assert_string_equal(conn.key_file, "k");
	assert_int_equal(conn.become, 1);
	assert_string_equal(conn.jump_user, "jump");
	assert_string_equal(conn.jump_host, "bastion");
	assert_int_equal(conn.jump_port, 2200);
	inv_conn_free(&conn);
	assert_int_equal(inv_host_conn(inv_host_find(inv, "b"), &conn, &err), 0);
	assert_string_equal(conn.address, "b");
	assert_string_equal(conn.jump_host, "fd00::1"); /* lading_jump wins over the ssh args */
	assert_int_equal(conn.jump_port, 22);
	inv_conn_free(&conn);
	assert_int_equal(inv_host_conn(inv_host_find(inv, "c"), &conn, &err), 0);
	assert_null(conn.jump_user);
	assert_string_equal(conn.jump_host, "y");
	assert_int_equal(conn.become, 0);
	inv_conn_free(&conn);
	assert_int_equal(inv_host_conn(inv_host_find(inv, "e"), &conn, &err), -1);
	assert_non_null(strstr(err.msg, "chained jumps are not supported"));
	assert_int_equal(inv_host_conn(inv_host_find(inv, "f"), &conn, &err), 0);
	assert_string_equal(conn.address, "198.18.0.7");
	assert_string_equal(conn.user, "old");
	assert_int_equal(conn.port, 2200);
	assert_string_equal(conn.become_user, "svc");
	assert_string_equal(conn.jump_user, "ops");
	assert_string_equal(conn.jump_host, "bastion");
	assert_int_equal(conn.jump_port, 2022);
	inv_conn_free(&conn);
	assert_int_equal(inv_host_conn(inv_host_find(inv, "g"), &conn, &err), -1);
	assert_string_equal(err.msg, "host 'g': ansible_ssh_common_args: only a ProxyCommand of the form "
				     "'ssh -W %h:%p [user@]host' is understood; use -o ProxyJump= or lading_jump");
	assert_int_equal(inv_host_conn(inv_host_find(inv, "l"), &conn, &err), 0);
	assert_int_equal(conn.local, 1);
	inv_conn_free(&conn);
	assert_int_equal(inv_host_conn(inv_host_find(inv, "w"), &conn, &err), -1);
	assert_string_equal(err.msg, "host 'w': ansible_connection 'winrm' is not supported (ssh or local)");
	inv_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(yaml_child_group_beats_parent_and_host_beats_all),
	    cmocka_unit_test(yaml_same_depth_groups_merge_alphabetically_unless_priority),
	    cmocka_unit_test(yaml_deeper_group_wins_whatever_its_name),
	    cmocka_unit_test(yaml_host_in_two_groups_gets_both_and_later_host_vars_win),
	    cmocka_unit_test(yaml_ranges_ports_and_ungrouped),
	    cmocka_unit_test(yaml_non_scalar_values_are_json),
	    cmocka_unit_test(yaml_unknown_group_key_names_position),
	    cmocka_unit_test(yaml_cycle_in_children_names_position),
	    cmocka_unit_test(yaml_bad_range_names_its_bracket),
	    cmocka_unit_test(yaml_conflicting_duplicate_in_one_group_fails),
	    cmocka_unit_test(yaml_wrong_shapes_are_errors),
	    cmocka_unit_test(ini_sections_children_and_vars),
	    cmocka_unit_test(ini_errors_name_line_and_column),
	    cmocka_unit_test(yaml_vault_values_are_refused_by_name),
	    cmocka_unit_test(merge_file_adds_hosts_and_overrides),
	    cmocka_unit_test(conn_reads_ansible_variables_and_proxy_jump),
	};
	return cmocka_run_group_tests_name("inventory", tests, setup, teardown);
}
