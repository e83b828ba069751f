#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "providers/module.h"

static void source_needs_a_dotted_host_and_four_parts(void **state)
{
	char *host = NULL, *ns = NULL, *name = NULL, *system = NULL;
	struct lerr err;

	(void)state;
	assert_int_equal(module_source_parse("Registry.Example.com/Acme/RDS/aws", &host, &ns, &name, &system, &err), 0);
	assert_string_equal(host, "registry.example.com");
	assert_string_equal(ns, "acme");
	assert_string_equal(name, "rds");
	assert_string_equal(system, "aws");
	free(host);
	free(ns);
	free(name);
	free(system);
	assert_int_equal(module_source_parse("127.0.0.1:8443/ns/n/s", &host, &ns, &name, &system, &err), 0);
	assert_string_equal(host, "127.0.0.1:8443");
	free(host);
	free(ns);
	free(name);
	free(system);
	/* SPECS-2 §7: "localhost:8443/…" is refused by Terraform (the host needs a dot). */
	assert_int_equal(module_source_parse("localhost:8443/ns/n/s", &host, &ns, &name, &system, &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_int_equal(module_source_parse("acme/rds/aws", &host, &ns, &name, &system, &err), -1);
	assert_int_equal(module_source_parse("h.example/a/b/c/d", &host, &ns, &name, &system, &err), -1);
	assert_int_equal(module_source_parse("h.example//b/c", &host, &ns, &name, &system, &err), -1);
	assert_int_equal(module_source_parse("h.example/a/b/c/", &host, &ns, &name, &system, &err), -1);
	assert_int_equal(module_source_parse("h.example/a/b c/d", &host, &ns, &name, &system, &err), -1);
}

static const char *const dl = "https://reg.example.com/v1/modules/acme/net/aws/1.0.0/download";

/* Parses location and checks url/subdir/archive; NULL expect_url = must fail. */
static void loc(const char *location, const char *expect_url, const char *expect_subdir, const char *expect_archive)
{
	struct module_location l;
	struct lerr err;
	int r = module_location_parse(dl, location, "module x", &l, &err);

	if (expect_url == NULL) {
		assert_int_equal(r, -1);
		assert_int_equal(err.code, LADING_ERR_FORMAT);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(l.url, expect_url);
	if (expect_subdir == NULL)
		assert_null(l.subdir);
	else
		assert_string_equal(l.subdir, expect_subdir);
	assert_string_equal(l.archive, expect_archive);
	module_location_free(&l);
}

static void locations_resolve_as_terraform_does(void **state)
{
	(void)state;
	loc("https://cdn.example.com/net-1.0.0.tar.gz", "https://cdn.example.com/net-1.0.0.tar.gz", NULL, "tar.gz");
	loc("/archives/net.tgz", "https://reg.example.com/archives/net.tgz", NULL, "tgz");
	loc("./net.zip", "https://reg.example.com/v1/modules/acme/net/aws/1.0.0/net.zip", NULL, "zip");
	loc("../../x.tar.gz", "https://reg.example.com/v1/modules/acme/net/x.tar.gz", NULL, "tar.gz");
	/* go-getter: "//" after the scheme and before the query splits the subdir; the query stays on the URL. */
	loc("https://h.example/p.tar.gz//modules/vpc", "https://h.example/p.tar.gz", "modules/vpc", "tar.gz");
	loc("/blob/abc//sub/?archive=tar.gz&sig=1", "https://reg.example.com/blob/abc?sig=1", "sub", "tar.gz");
	loc("https://h.example/dl?archive=zip", "https://h.example/dl", NULL, "zip");
	loc("https://h.example/net.tar.gz?token=a&b=c", "https://h.example/net.tar.gz?token=a&b=c", NULL, "tar.gz");
}

/* A git:: location: url without ref=/depth= and the subdir; NULL expect_url = must fail. */
static void git_loc(const char *location, const char *expect_url, const char *expect_subdir, const char *expect_ref)
{
	struct module_location l;
	struct lerr err;
	int r = module_location_parse(dl, location, "module x", &l, &err);

	if (expect_url == NULL) {
		assert_int_equal(r, -1);
		assert_int_equal(err.code, LADING_ERR_FORMAT);
		return;
	}
	assert_int_equal(r, 0);
	assert_true(l.git);
	assert_null(l.archive);
	assert_string_equal(l.url, expect_url);
	if (expect_subdir == NULL)
		assert_null(l.subdir);
	else
		assert_string_equal(l.subdir, expect_subdir);
	if (expect_ref == NULL)
		assert_null(l.ref);
	else
		assert_string_equal(l.ref, expect_ref);
	module_location_free(&l);
}

static void git_locations_as_go_getter_reads_them(void **state)
{
	(void)state;
	git_loc("git::https://example.com/net.git?ref=v1", "https://example.com/net.git", NULL, "v1");
	git_loc("git::https://example.com/infra.git//modules/vpc/?ref=v1.2.0&depth=1", "https://example.com/infra.git",
		"modules/vpc", "v1.2.0");
	git_loc("git::https://example.com/net.git", "https://example.com/net.git", NULL, NULL);
	git_loc("git::http://example.com/net.git?ref=feature%2Fx", "http://example.com/net.git", NULL, "feature/x");
	git_loc("git::https://example.com/net.git?ref=0123456789abcdef0123456789abcdef01234567&x=1",
		"https://example.com/net.git?x=1", NULL, "0123456789abcdef0123456789abcdef01234567");
	git_loc("git::ssh://git@example.com/net.git?ref=v1", NULL, NULL, NULL);	    /* SSH is not carried */
	git_loc("git::git@example.com:acme/net.git", NULL, NULL, NULL);		    /* scp-like SSH */
	git_loc("git::file:///srv/net.git", NULL, NULL, NULL);			    /* not http(s) */
	git_loc("git::https://example.com/net.git?sshkey=abc", NULL, NULL, NULL);   /* an SSH key */
	git_loc("git::https://example.com/net.git//../x?ref=v1", NULL, NULL, NULL); /* subdir escapes */
	git_loc("git::https://example.com/net.git?ref=--upload-pack=x", NULL, NULL, NULL);
	git_loc("git::https://example.com/net.git?ref=v1..v2", NULL, NULL, NULL);
	git_loc("git::https://example.com/net.git?ref=", NULL, NULL, NULL);
	git_loc("git::https://example.com/net.git?ref=a%00b", NULL, NULL, NULL);
}

static void locations_refused(void **state)
{
	(void)state;
	loc("git@github.com:acme/net.git", NULL, NULL, NULL);
	loc("s3::https://s3.amazonaws.com/b/net.zip", NULL, NULL, NULL);
	loc("github.com/acme/net", NULL, NULL, NULL);			/* detector shorthand */
	loc("net.tar.gz", NULL, NULL, NULL);				/* bare: "Invalid package location" */
	loc("ftp://h.example/net.tar.gz", NULL, NULL, NULL);		/* not http(s) */
	loc("https://h.example/net", NULL, NULL, NULL);			/* no archive type */
	loc("https://h.example/p.tar.gz//../etc", NULL, NULL, NULL);	/* subdir escapes */
	loc("https://h.example/p.tar.gz//a/../../b", NULL, NULL, NULL); /* subdir escapes */
	loc("https://h.example/p.tar.gz///abs", NULL, NULL, NULL);	/* absolute subdir */
	loc("https://h.example/dl?archive=../x", NULL, NULL, NULL);	/* bad archive type */
}

static int entry(const char *name, const char *subdir, const char *expect)
{
	char *out = NULL;
	int r = module_entry_path(name, subdir, &out);

	if (r == 1)
		assert_string_equal(out, expect);
	else
		assert_null(out);
	free(out);
	return r;
}

static void entries_keep_the_subtree_and_refuse_escapes(void **state)
{
	(void)state;
	assert_int_equal(entry("main.tf", NULL, "main.tf"), 1);
	assert_int_equal(entry("./modules/sub/main.tf", NULL, "modules/sub/main.tf"), 1);
	assert_int_equal(entry("modules/sub/", NULL, "modules/sub"), 1);
	assert_int_equal(entry("./", NULL, NULL), 0);
	assert_int_equal(entry(".", NULL, NULL), 0);
	assert_int_equal(entry("modules/vpc/main.tf", "modules/vpc", "main.tf"), 1);
	assert_int_equal(entry("modules/vpc", "modules/vpc", NULL), 0);
	assert_int_equal(entry("modules/vpc2/main.tf", "modules/vpc", NULL), 0);
	assert_int_equal(entry("README.md", "modules/vpc", NULL), 0);
	assert_int_equal(entry("../evil.tf", NULL, NULL), -1);
	assert_int_equal(entry("a/../../evil.tf", NULL, NULL), -1);
	assert_int_equal(entry("modules/vpc/../../x", "modules/vpc", NULL), -1);
	assert_int_equal(entry("/etc/passwd", NULL, NULL), -1);
	assert_int_equal(entry("..", NULL, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(source_needs_a_dotted_host_and_four_parts),
	    cmocka_unit_test(locations_resolve_as_terraform_does),
	    cmocka_unit_test(locations_refused),
	    cmocka_unit_test(git_locations_as_go_getter_reads_them),
	    cmocka_unit_test(entries_keep_the_subtree_and_refuse_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
