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

#include "lib/digest.h"
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

static void script_reports_status_and_facts(void **state)
{
	struct fixture *f = *state;
	char msg[LERR_MSG_MAX];
	char *got, *acted = path_in(f, "acted");

	load_site(f, "roles:\n"
		     "  r:\n"
		     "    - script: |\n"
		     "        fact seen_gpus 2\n"
		     "        fact 'Bad Name' x\n"
		     "        checking && changed \"would act\"\n"
		     "        echo acted >%1$s/acted\n"
		     "        changed \"acted on $(cat %1$s/acted)\"\n"
		     "    - script: '[ \"{{ seen_gpus }}\" = 2 ] && ok \"saw {{ seen_gpus }}\"; fail nope'\n"
		     "    - script: 'skip \"no NVIDIA GPU\"'\n");
	f->host.check = 1;
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "changed,ok,skipped");
	assert_string_equal(msg, "no NVIDIA GPU");
	free(got);
	assert_false(fs_exists(acted)); /* check mode: the script stopped before acting */
	f->host.check = 0;
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "changed,ok,skipped");
	free(got);
	assert_true(fs_exists(acted));
	free(acted);
	assert_string_equal(step_var(&f->host, "seen_gpus"), "2");
	assert_null(step_var(&f->host, "Bad Name"));
}

static void script_without_status_or_with_a_failed_exit_fails(void **state)
{
	struct fixture *f = *state;
	char msg[LERR_MSG_MAX];
	char *got;

	load_site(f, "roles:\n  r:\n    - script: 'echo just talking'\n");
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "failed");
	assert_string_equal(msg, "the script ended without saying ok, changed, skipped or failed");
	free(got);
	load_site(f, "roles:\n  r:\n    - script: \"lading_status ok fine; echo 'disk full' >&2; exit 4\"\n");
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "failed");
	assert_string_equal(msg, "exit 4: disk full");
	free(got);
	load_site(f, "roles:\n  r:\n    - script: {run: 'fail \"headers missing: add linux-headers-6.1\"'}\n");
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "failed");
	assert_string_equal(msg, "headers missing: add linux-headers-6.1");
	free(got);
}

static void script_reboot_needs_reboot_allowed(void **state)
{
	struct fixture *f = *state;
	char msg[LERR_MSG_MAX];
	char *got;

	load_site(f, "roles:\n  r:\n    - script: 'need_reboot \"nouveau is loaded\"; changed \"blacklisted\"'\n");
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "failed");
	assert_string_equal(msg, "blacklisted; reboot needed (nouveau is loaded): reboot node-1 and run again, or set "
				 "reboot: allowed");
	free(got);
	f->host.check = 1;
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "changed");
	assert_string_equal(msg, "blacklisted; would reboot: nouveau is loaded");
	free(got);
	f->host.check = 0;
	load_site(f, "vars: {reboot: allowed}\n"
		     "roles:\n  r:\n    - script: 'need_reboot \"nouveau is loaded\"; changed \"blacklisted\"'\n");
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "failed");
	assert_string_equal(msg,
			    "blacklisted; reboot needed (nouveau is loaded): lading does not reboot the machine it "
			    "runs on");
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

/*
 * A node that is never touched: dpkg-query answers from dpkg_reply, apt-get
 * exits apt_status printing apt_output, the file probe says "absent" and
 * uploads land in uploaded. Every command is kept in commands.
 */
struct fake_node {
	const char *dpkg_reply;
	const char *apt_output;
	int apt_status;
	struct buf commands;
	struct buf uploaded;
	char uploaded_dest[256];
};

static int fake_exec(void *ctx, const char *cmd, int become, int stdin_fd, struct buf *out, struct buf *errout,
		     int *exit_status, struct lerr *err)
{
	struct fake_node *node = ctx;

	(void)become;
	(void)stdin_fd;
	(void)errout;
	(void)err;
	buf_printf(&node->commands, "%s\n---\n", cmd);
	*exit_status = 0;
	if (strstr(cmd, "dpkg-query") != NULL)
		buf_puts(out, node->dpkg_reply);
	else if (strstr(cmd, "apt-get") != NULL) {
		buf_puts(out, node->apt_output != NULL ? node->apt_output : "");
		*exit_status = node->apt_status;
	} else if (strstr(cmd, "sha256sum") != NULL)
		buf_puts(out, "absent\n");
	return 0;
}

static int fake_upload(void *ctx, const char *local_path, const char *remote_path, int mode, int become,
		       const char *want_hex, struct lerr *err)
{
	struct fake_node *node = ctx;
	char got[SHA256_HEX_LEN + 1];

	(void)mode;
	(void)become;
	snprintf(node->uploaded_dest, sizeof(node->uploaded_dest), "%s", remote_path);
	buf_reset(&node->uploaded);
	if (fs_read_file(local_path, &node->uploaded, err) != 0)
		return -1;
	/* As a real host does: what arrived must have the digest the step computed. */
	sha256_hex(node->uploaded.data, node->uploaded.len, got);
	assert_non_null(want_hex);
	assert_string_equal(got, want_hex);
	return 0;
}

static void use_fake_node(struct fixture *f, struct fake_node *node)
{
	memset(node, 0, sizeof(*node));
	node->commands = (struct buf)BUF_INIT(0);
	node->uploaded = (struct buf)BUF_INIT(1u << 20);
	f->exec.exec = fake_exec;
	f->exec.upload = fake_upload;
	f->exec.ctx = node;
}

static void fake_node_free(struct fake_node *node)
{
	buf_free(&node->commands);
	buf_free(&node->uploaded);
}

static void package_installs_only_what_is_missing(void **state)
{
	struct fixture *f = *state;
	struct fake_node node;
	char msg[LERR_MSG_MAX];
	char *got;

	use_fake_node(f, &node);
	load_site(f, "roles:\n  r:\n    - package: {name: [jq, curl]}\n");
	node.dpkg_reply = "jq|install ok installed 1.6-2.1\ncurl|unknown ok not-installed\n";
	f->host.check = 1;
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "changed");
	assert_string_equal(msg, "would install curl");
	assert_null(strstr(node.commands.data, "apt-get")); /* check mode asks, never installs */
	free(got);
	f->host.check = 0;
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "changed");
	assert_string_equal(msg, "installed curl");
	assert_non_null(strstr(node.commands.data, "DEBIAN_FRONTEND=noninteractive apt-get"));
	assert_non_null(strstr(node.commands.data, " install --no-install-recommends 'curl' 2>&1"));
	free(got);
	node.dpkg_reply = "jq|install ok installed 1.6-2.1\ncurl|install ok installed 7.88.1-10\n";
	buf_reset(&node.commands);
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "ok");
	assert_null(strstr(node.commands.data, "apt-get"));
	free(got);
	fake_node_free(&node);
}

static void package_version_and_absent(void **state)
{
	struct fixture *f = *state;
	struct fake_node node;
	char msg[LERR_MSG_MAX];
	char *got;

	use_fake_node(f, &node);
	load_site(f, "roles:\n  r:\n    - package: {name: curl, version: \"7.88.1-10+deb12u8\"}\n"
		     "  gone:\n    - package: {name: [jq, curl], state: absent}\n");
	node.dpkg_reply = "curl|install ok installed 7.88.1-10\n";
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "changed");
	assert_string_equal(msg, "installed curl=7.88.1-10+deb12u8 (was 7.88.1-10)");
	assert_non_null(strstr(node.commands.data, " 'curl'=7.88.1-10+deb12u8 2>&1"));
	free(got);
	node.dpkg_reply = "curl|install ok installed 7.88.1-10+deb12u8\n";
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "ok");
	assert_string_equal(msg, "curl 7.88.1-10+deb12u8 installed");
	free(got);
	/* config-files left by an earlier remove count as absent */
	node.dpkg_reply = "jq|deinstall ok config-files 1.6-2.1\ncurl|install ok installed 7.88.1-10\n";
	buf_reset(&node.commands);
	got = run_role(f, "gone", msg, sizeof(msg));
	assert_string_equal(got, "changed");
	assert_string_equal(msg, "removed curl");
	assert_non_null(strstr(node.commands.data, " remove 'curl' 2>&1"));
	free(got);
	fake_node_free(&node);
}

static void package_failure_names_apts_error(void **state)
{
	struct fixture *f = *state;
	struct fake_node node;
	char msg[LERR_MSG_MAX];
	char *got;

	use_fake_node(f, &node);
	load_site(f, "roles:\n  r:\n    - package: {name: \"{{ pkg }}\"}\n  bad:\n    - package: {name: \"-o=x\"}\n");
	f->host.check = 0;
	node.dpkg_reply = "nvidia-driver|unknown ok not-installed\n";
	node.apt_status = 100;
	node.apt_output = "Reading package lists...\nE: Unable to locate package nvidia-driver\nN: a note\n";
	load_site(f, "vars: {pkg: nvidia-driver}\nroles:\n  r:\n    - package: {name: \"{{ pkg }}\"}\n"
		     "  bad:\n    - package: {name: \"-o=x\"}\n");
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "failed");
	assert_string_equal(msg, "apt-get install nvidia-driver: exit 100: E: Unable to locate package nvidia-driver");
	free(got);
	/* a name that apt-get would read as an option never reaches the node */
	buf_reset(&node.commands);
	got = run_role(f, "bad", msg, sizeof(msg));
	assert_string_equal(got, "failed");
	assert_string_equal(msg, "package: '-o=x' is not a Debian package name");
	assert_int_equal(node.commands.len, 0);
	free(got);
	fake_node_free(&node);
}

static void apt_source_defaults_to_the_site_registry(void **state)
{
	struct fixture *f = *state;
	struct fake_node node;
	char msg[LERR_MSG_MAX];
	char *got;

	use_fake_node(f, &node);
	load_site(f,
		  "registry: {address: \"198.18.0.1:5000\", plain_http: true}\n"
		  "roles:\n  r:\n    - apt_source: {name: lab, suites: bookworm, components: main, keyring: k.gpg}\n");
	f->host.check = 1;
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "changed");
	assert_string_equal(msg, "would create /etc/apt/sources.list.d/lading-lab.sources");
	assert_int_equal(node.uploaded.len, 0);
	free(got);
	f->host.check = 0;
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "changed");
	assert_string_equal(node.uploaded_dest, "/etc/apt/sources.list.d/lading-lab.sources");
	assert_non_null(strstr(node.uploaded.data, "\nURIs: http://198.18.0.1:5000/apt/lab\n"));
	assert_non_null(strstr(node.uploaded.data, "\nSigned-By: /etc/apt/keyrings/lading-lab.gpg\n"));
	assert_null(strstr(node.uploaded.data, "Architectures"));
	free(got);
	/* without a registry the URL must be given */
	load_site(f, "roles:\n  r:\n    - apt_source: {suites: bookworm}\n");
	got = run_role(f, "r", msg, sizeof(msg));
	assert_string_equal(got, "failed");
	assert_non_null(strstr(msg, "no 'uris'"));
	free(got);
	fake_node_free(&node);
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
	    cmocka_unit_test_setup_teardown(package_installs_only_what_is_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(package_version_and_absent, setup, teardown),
	    cmocka_unit_test_setup_teardown(package_failure_names_apts_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(apt_source_defaults_to_the_site_registry, setup, teardown),
	    cmocka_unit_test_setup_teardown(script_reports_status_and_facts, setup, teardown),
	    cmocka_unit_test_setup_teardown(script_without_status_or_with_a_failed_exit_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(script_reboot_needs_reboot_allowed, setup, teardown),
	};
	return cmocka_run_group_tests_name("steps", tests, NULL, NULL);
}
