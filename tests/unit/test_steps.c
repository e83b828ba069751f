/*
 * Steps against this machine (step_exec_local) in a private directory: the
 * same guards and file checks that run over SSH, with real sh, sha256sum, stat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "provision/roles.h"
#include "provision/site.h"
#include "provision/steps.h"

struct fixture {
	char dir[64];
	struct step_exec exec;
	struct site *site;
	struct step_host host;
};

static char *path_in(struct fixture *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/lading-test-steps.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	step_exec_local(&f->exec);
	f->host.exec = &f->exec;
	f->host.name = "node-1";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct lerr err;

	step_host_clear(&f->host);
	site_free(f->site);
	fs_remove_tree(f->dir, &err);
	free(f);
	return 0;
}

/* Loads a site whose text may use %1$s for the fixture directory. */
static void load_site(struct fixture *f, const char *fmt)
{
	struct lerr err = {0};
	char *text;

	site_free(f->site);
	f->site = NULL;
	text = xasprintf(fmt, f->dir);
	if (site_load_string("site.yaml", f->dir, text, &f->site, &err) != 0)
		fail_msg("%s", err.msg);
	free(text);
	f->host.site = f->site;
}

/* Runs every step of role name; statuses as "ok,changed,...". Caller frees. */
static char *run_role(struct fixture *f, const char *name, char *last_msg, size_t last_len)
{
	const struct site_role *role = role_find(f->site, name);
	struct buf statuses = BUF_INIT(0);
	struct step_result res;
	size_t i;

	assert_non_null(role);
	f->host.role_changed = 0;
	for (i = 0; i < role->step_count; i++) {
		assert_int_equal(step_run(&f->host, &role->steps[i], &res), 0);
		buf_printf(&statuses, "%s%s", i > 0 ? "," : "", step_status_name(res.status));
		if (last_msg != NULL)
			snprintf(last_msg, last_len, "%s", res.msg);
	}
	return buf_detach(&statuses, NULL);
}

static void expect_run(struct fixture *f, const char *role, const char *want)
{
	char *got = run_role(f, role, NULL, 0);

	assert_string_equal(got, want);
	free(got);
}

static void shell_guards_decide_whether_it_runs(void **state)
{
	struct fixture *f = *state;
	char *marker = path_in(f, "ran"), *flag = path_in(f, "flag");

	load_site(f, "roles:\n"
		     "  r:\n"
		     "    - shell: {cmd: \"echo x >> %1$s/ran\", creates: \"%1$s/flag\"}\n"
		     "    - shell: {cmd: \"echo y >> %1$s/ran\", unless: \"test -e %1$s/flag\"}\n");
	f->host.check = 1;
	expect_run(f, "r", "changed,changed");
	assert_false(fs_exists(marker)); /* check mode ran nothing */
	f->host.check = 0;
	expect_run(f, "r", "changed,changed");
	assert_true(fs_exists(marker));
	assert_int_equal(fs_write_file(flag, "", 0, 0644, NULL), 0);
	unlink(marker);
	expect_run(f, "r", "ok,ok");
	assert_false(fs_exists(marker));
	free(marker);
	free(flag);
}

static void shell_failure_names_the_exit_and_stderr(void **state)
{
	struct fixture *f = *state;
	char msg[LERR_MSG_MAX];
	char *got;

	load_site(f, "roles:\n  r:\n    - shell: \"echo doing; echo 'no space left' >&2; exit 3\"\n");
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "failed");
	assert_string_equal(msg, "exit 3: no space left");
	free(got);
}

static void copy_uploads_only_when_the_digest_differs(void **state)
{
	struct fixture *f = *state;
	char *src = path_in(f, "src.txt"), *dest = path_in(f, "sub/dir/dest.txt");
	struct buf got = BUF_INIT(1024);
	struct stat st;

	assert_int_equal(fs_write_file(src, "hello\n", 6, 0644, NULL), 0);
	load_site(f, "roles:\n  r:\n    - copy: {src: src.txt, dest: \"%1$s/sub/dir/dest.txt\", mode: \"0600\"}\n");
	f->host.check = 1;
	expect_run(f, "r", "changed");
	assert_false(fs_exists(dest));
	f->host.check = 0;
	expect_run(f, "r", "changed");
	assert_int_equal(fs_read_file(dest, &got, NULL), 0);
	assert_string_equal(got.data, "hello\n");
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	expect_run(f, "r", "ok");
	/* a mode drift alone is repaired */
	assert_int_equal(chmod(dest, 0644), 0);
	expect_run(f, "r", "changed");
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* new content travels again */
	assert_int_equal(fs_write_file(src, "bye\n", 4, 0644, NULL), 0);
	expect_run(f, "r", "changed");
	buf_reset(&got);
	assert_int_equal(fs_read_file(dest, &got, NULL), 0);
	assert_string_equal(got.data, "bye\n");
	expect_run(f, "r", "ok");
	buf_free(&got);
	free(src);
	free(dest);
}

static void template_renders_host_and_site_vars(void **state)
{
	struct fixture *f = *state;
	char *tmpl = path_in(f, "motd.j2"), *dest = path_in(f, "motd");
	struct buf got = BUF_INIT(1024);
	char msg[LERR_MSG_MAX];
	char *statuses;

	assert_int_equal(fs_write_file(tmpl, "{{ inventory_hostname }} uses {{ ntp }}\n", 40, 0644, NULL), 0);
	load_site(f, "vars: {ntp: 198.18.0.1}\nroles:\n  r:\n    - template: {src: motd.j2, dest: \"%1$s/motd\"}\n");
	expect_run(f, "r", "changed");
	assert_int_equal(fs_read_file(dest, &got, NULL), 0);
	assert_string_equal(got.data, "node-1 uses 198.18.0.1\n");
	expect_run(f, "r", "ok");
	load_site(f, "roles:\n  r:\n    - template: {src: motd.j2, dest: \"%1$s/motd\"}\n");
	statuses = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(statuses, "failed");
	assert_non_null(strstr(msg, "undefined variable 'ntp'"));
	free(statuses);
	buf_free(&got);
	free(tmpl);
	free(dest);
}

static void when_skips_and_service_restarts_only_after_a_change(void **state)
{
	struct fixture *f = *state;
	char *restarted = path_in(f, "restarted");

	load_site(f, "vars: {lading_service_web_restart: \"echo r >> %1$s/restarted\"}\n"
		     "roles:\n"
		     "  r:\n"
		     "    - shell: {cmd: \"touch %1$s/conf\", creates: \"%1$s/conf\"}\n"
		     "    - {name: optional, when: extra, shell: \"false\"}\n"
		     "    - service: {name: web}\n");
	expect_run(f, "r", "changed,skipped,changed");
	assert_true(fs_exists(restarted));
	unlink(restarted);
	expect_run(f, "r", "ok,skipped,ok");
	assert_false(fs_exists(restarted));
	free(restarted);
}

/* No init system: the process in the pidfile is stopped and started again with its own argv. */
static void service_restarts_from_the_pidfile(void **state)
{
	struct fixture *f = *state;
	char *pidfile = path_in(f, "sleeper.pid");
	struct buf text = BUF_INIT(64);
	pid_t first, second, child;
	int status = 0;

	/* double fork: the sleeper belongs to init, so it does not linger as our zombie once stopped */
	assert_int_equal(fs_write_file(pidfile, "", 0, 0644, NULL), 0);
	child = fork();
	if (child == 0) {
		pid_t sleeper = fork();

		if (sleeper == 0) {
			execlp("sleep", "sleep", "600", (char *)NULL);
			_exit(127);
		}
		buf_printf(&text, "%d\n", (int)sleeper);
		_exit(fs_write_file(pidfile, text.data, text.len, 0644, NULL) == 0 ? 0 : 1);
	}
	assert_true(child > 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(status, 0);
	assert_int_equal(fs_read_file(pidfile, &text, NULL), 0);
	first = (pid_t)atoi(text.data);
	assert_true(first > 0);
	load_site(f, "vars: {lading_service_sleeper_pidfile: \"%1$s/sleeper.pid\","
		     " lading_service_sleeper_log: \"%1$s/sleeper.log\"}\n"
		     "roles:\n  r:\n    - shell: \"true\"\n    - service: {name: sleeper}\n");
	expect_run(f, "r", "changed,changed");
	buf_reset(&text);
	assert_int_equal(fs_read_file(pidfile, &text, NULL), 0);
	second = (pid_t)atoi(text.data);
	assert_true(second > 0);
	assert_int_not_equal(second, first);
	assert_int_equal(kill(second, 0), 0);
	kill(second, SIGKILL);
	buf_free(&text);
	free(pidfile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(shell_guards_decide_whether_it_runs, setup, teardown),
	    cmocka_unit_test_setup_teardown(shell_failure_names_the_exit_and_stderr, setup, teardown),
	    cmocka_unit_test_setup_teardown(copy_uploads_only_when_the_digest_differs, setup, teardown),
	    cmocka_unit_test_setup_teardown(template_renders_host_and_site_vars, setup, teardown),
	    cmocka_unit_test_setup_teardown(when_skips_and_service_restarts_only_after_a_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(service_restarts_from_the_pidfile, setup, teardown),
	};
	return cmocka_run_group_tests_name("steps", tests, NULL, NULL);
}
