/* Unit tests for git: entries of lading.yaml: URL, name and ref checks made before git ever runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/gitcarry.h"
#include "bundle/gitrun.h"
#include "bundle/sources_git.h"
#include "bundle/spec.h"
#include "lib/err.h"

static int parse(const char *text, struct bundle_spec *spec, struct lerr *err)
{
	char *full = NULL;
	int r;

	memset(spec, 0, sizeof(*spec));
	full = malloc(strlen(text) + 16);
	strcpy(full, "name: g\n");
	strcat(full, text);
	r = bundle_spec_parse("lading.yaml", full, strlen(full), spec, err);
	free(full);
	return r;
}

static void urls_refuse_helpers_options_and_ssh(void **state)
{
	static const char *const good[] = {"https://h/org/repo.git", "http://127.0.0.1:8080/r", "file:///srv/r.git"};
	static const char *const bad[] = {"ext::sh -c x",    "--upload-pack=x", "-u",	     "fd::3",
					  "git@h:org/r.git", "ssh://h/r",	"git://h/r", "https://",
					  "https://h/a b",   "/srv/r.git",	""};
	struct lerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(git_url_check(good[i], &err), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(git_url_check(bad[i], &err), -1);
		assert_int_equal(err.code, LADING_ERR_USAGE);
	}
}

static void names_come_from_the_last_component(void **state)
{
	struct lerr err;
	char *name = NULL;

	(void)state;
	assert_int_equal(git_name_from_url("https://h/org/infra.git", &name, &err), 0);
	assert_string_equal(name, "infra");
	free(name);
	assert_int_equal(git_name_from_url("file:///srv/git/apps/?x=1", &name, &err), 0);
	assert_string_equal(name, "apps");
	free(name);
	assert_int_equal(git_name_from_url("https://h/", &name, &err), -1);
	assert_int_equal(git_name_from_url("https://h/.git", &name, &err), -1);
}

static void refs_are_plain_names(void **state)
{
	static const char *const bad[] = {"-x", "--upload-pack=x", "a..b", "a b", "a:b", "*", "/a", "a/", "a@{1}", ""};
	struct lerr err;
	size_t i;

	(void)state;
	assert_int_equal(git_ref_check("main", &err), 0);
	assert_int_equal(git_ref_check("refs/tags/v1.2.0", &err), 0);
	assert_int_equal(git_ref_check("release/1.x", &err), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(git_ref_check(bad[i], &err), -1);
}

static void spec_reads_git_entries(void **state)
{
	struct bundle_spec spec;
	struct lerr err;

	(void)state;
	assert_int_equal(parse("git:\n  - url: https://h/org/infra.git\n  - url: file:///r/apps\n    name: a2\n"
			       "    refs: [main, v1.0.0]\n",
			       &spec, &err),
			 0);
	assert_int_equal(spec.sources.git_count, 2);
	assert_string_equal(spec.sources.gits[0].name, "infra");
	assert_int_equal(spec.sources.gits[0].ref_count, 0);
	assert_string_equal(spec.sources.gits[1].name, "a2");
	assert_int_equal(spec.sources.gits[1].ref_count, 2);
	assert_string_equal(spec.sources.gits[1].refs[1], "v1.0.0");
	bundle_spec_free(&spec);

	assert_int_equal(parse("git:\n  - url: https://h/a/infra.git\n  - url: https://k/b/infra\n", &spec, &err), -1);
	assert_non_null(strstr(err.msg, "lading.yaml:4:5: git repository name 'infra'"));
	assert_non_null(strstr(err.msg, "https://h/a/infra.git"));
	assert_non_null(strstr(err.msg, "lading.yaml:3:5"));
	bundle_spec_free(&spec);

	assert_int_equal(parse("git:\n  - url: \"ext::sh -c x\"\n", &spec, &err), -1);
	assert_non_null(strstr(err.msg, "lading.yaml:3:"));
	bundle_spec_free(&spec);
	assert_int_equal(parse("git:\n  - url: https://h/r\n    refs: [--upload-pack=x]\n", &spec, &err), -1);
	bundle_spec_free(&spec);
	assert_int_equal(parse("git:\n  - url: https://h/r\n    name: ../x\n", &spec, &err), -1);
	bundle_spec_free(&spec);
	assert_int_equal(parse("git:\n  - url: https://h/r\n    branch: main\n", &spec, &err), -1);
	bundle_spec_free(&spec);
}

/* The row ref of git/NAME.bundle carries the URL, HEAD and every ref with its id; inspect and serve parse it. */
static void row_refs_round_trip(void **state)
{
	static const char a[] = "1111111111111111111111111111111111111111",
			  b[] = "2222222222222222222222222222222222222222";
	struct git_ref_id refs[2] = {{(char *)"refs/heads/main", ""}, {(char *)"refs/tags/v1", ""}};
	struct git_result res = {0}, back = {0};
	struct lerr err;
	char *text;

	(void)state;
	memcpy(refs[0].id, a, sizeof(a));
	memcpy(refs[1].id, b, sizeof(b));
	res.url = (char *)"https://example.org/infra.git";
	res.head = (char *)"refs/heads/main";
	res.refs = refs;
	res.ref_count = 2;
	text = git_row_ref(&res);
	assert_string_equal(text, "https://example.org/infra.git HEAD=refs/heads/main "
				  "refs/heads/main=1111111111111111111111111111111111111111 "
				  "refs/tags/v1=2222222222222222222222222222222222222222");
	assert_int_equal(git_row_parse(text, &back, &err), 0);
	assert_string_equal(back.url, res.url);
	assert_string_equal(back.head, "refs/heads/main");
	assert_int_equal(back.ref_count, 2);
	assert_string_equal(back.refs[1].ref, "refs/tags/v1");
	assert_string_equal(back.refs[1].id, b);
	git_result_clear(&back);
	free(text);
	/* No refs, an id that is not one, a word that is not REF=ID: all refused. */
	assert_int_equal(git_row_parse("https://example.org/x.git", &back, &err), -1);
	assert_int_equal(git_row_parse("https://example.org/x.git refs/heads/main=xyz", &back, &err), -1);
	assert_int_equal(git_row_parse("https://example.org/x.git --upload-pack=x", &back, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
}

static int env_has(const struct git_env *env, const char *var)
{
	size_t i;

	for (i = 0; i < env->env_count; i++)
		if (strcmp(env->envp[i], var) == 0 ||
		    (strchr(var, '=') == NULL && strncmp(env->envp[i], var, strlen(var)) == 0 &&
		     env->envp[i][strlen(var)] == '='))
			return 1;
	return 0;
}

/* git runs with none of the caller's GIT_* or HOME, no system or global config and no prompt. */
static void git_gets_its_own_environment(void **state)
{
	struct git_env env;
	struct lerr err;

	(void)state;
	setenv("GIT_DIR", "/elsewhere", 1);
	setenv("GIT_SSH_COMMAND", "touch /tmp/pwned", 1);
	if (git_env_init(&env, "/tmp/lading-home", &err) != 0)
		skip(); /* no git on this machine */
	assert_false(env_has(&env, "GIT_DIR"));
	assert_false(env_has(&env, "GIT_SSH_COMMAND"));
	assert_true(env_has(&env, "HOME=/tmp/lading-home"));
	assert_true(env_has(&env, "GIT_CONFIG_NOSYSTEM=1"));
	assert_true(env_has(&env, "GIT_CONFIG_GLOBAL=/dev/null"));
	assert_true(env_has(&env, "GIT_TERMINAL_PROMPT=0"));
	assert_true(env_has(&env, "GIT_ALLOW_PROTOCOL=https:http:file"));
	git_env_tls(&env, "/etc/site-ca.pem", 1);
	assert_true(env_has(&env, "GIT_CONFIG_COUNT=2"));
	assert_true(env_has(&env, "GIT_CONFIG_VALUE_0=/etc/site-ca.pem"));
	assert_true(env_has(&env, "GIT_CONFIG_KEY_1=http.sslVerify"));
	git_env_free(&env);
	unsetenv("GIT_DIR");
	unsetenv("GIT_SSH_COMMAND");
}

/* Its output is captured; a failure is one line naming the subject with git's fatal: line. */
static void git_run_captures_and_names_failures(void **state)
{
	struct git_env env;
	struct buf out = BUF_INIT(4096);
	struct lerr err;

	(void)state;
	if (git_env_init(&env, "/tmp", &err) != 0)
		skip();
	assert_int_equal(
	    git_run(&env, &(struct git_io){NULL, -1, -1, &out}, (const char *[]){"version", NULL}, "t", &err), 0);
	assert_true(out.len > 12 && memcmp(out.data, "git version ", 12) == 0);
	assert_int_equal(git_run(&env, &(struct git_io){NULL, -1, -1, NULL},
				 (const char *[]){"ls-remote", "--", "file:///nonexistent/repo", NULL},
				 "git repository 'r' (file:///nonexistent/repo)", &err),
			 -1);
	assert_non_null(
	    strstr(err.msg, "git repository 'r' (file:///nonexistent/repo): git ls-remote failed: fatal: "));
	assert_null(strchr(err.msg, '\n'));
	buf_free(&out);
	git_env_free(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(urls_refuse_helpers_options_and_ssh),
	    cmocka_unit_test(names_come_from_the_last_component),
	    cmocka_unit_test(refs_are_plain_names),
	    cmocka_unit_test(spec_reads_git_entries),
	    cmocka_unit_test(row_refs_round_trip),
	    cmocka_unit_test(git_gets_its_own_environment),
	    cmocka_unit_test(git_run_captures_and_names_failures),
	};
	return cmocka_run_group_tests_name("git", tests, NULL, NULL);
}
