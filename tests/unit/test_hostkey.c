#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "provision/baremetal/hostkey.h"

struct fixture {
	char dir[64];
	char *node;	    /* dir/node: not made yet, load_or_create makes it */
	char *private_path; /* node/ssh_host_ed25519_key */
	char *public_path;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-hostkey.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->node = xasprintf("%s/node", f->dir);
	f->private_path = xasprintf("%s/ssh_host_ed25519_key", f->node);
	f->public_path = xasprintf("%s/ssh_host_ed25519_key.pub", f->node);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct lerr err = {0};

	assert_int_equal(fs_remove_tree(f->dir, &err), 0);
	free(f->node);
	free(f->private_path);
	free(f->public_path);
	free(f);
	return 0;
}

static char *read_text(const char *path)
{
	struct buf b = BUF_INIT(1 << 20);
	struct lerr err = {0};

	if (fs_read_file(path, &b, &err) != 0)
		fail_msg("%s", err.msg);
	return buf_detach(&b, NULL);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	struct lerr err = {0};

	if (fs_write_file(path, text, strlen(text), mode, &err) != 0)
		fail_msg("%s", err.msg);
}

static void run(const char *command)
{
	char *quiet = xasprintf("%s >/dev/null 2>&1", command);

	assert_int_equal(system(quiet), 0);
	free(quiet);
}

/* OpenSSH is the judge of the files; a machine without it skips those tests. */
static int have_ssh_keygen(void)
{
	return system("command -v ssh-keygen >/dev/null 2>&1") == 0;
}

/* The first two words of a public key line (type and base64): what a key is, without its comment. */
static char *key_words(const char *line)
{
	size_t type = strcspn(line, " ");
	size_t b64 = strcspn(line + type + 1, " \r\n");

	return xstrndup(line, type + 1 + b64);
}

static char *command_output(const char *command)
{
	FILE *pipe = popen(command, "r");
	char line[4096];
	char *out;

	assert_non_null(pipe);
	if (fgets(line, sizeof(line), pipe) == NULL)
		line[0] = '\0';
	out = xstrdup(line);
	assert_int_equal(pclose(pipe), 0);
	return out;
}

static void blob_of_pub(const char *path, unsigned char *blob, size_t *blob_len)
{
	char *text = read_text(path);
	struct lerr err = {0};

	if (bm_hostkey_parse_public(text, blob, BM_HOSTKEY_BLOB_LEN, blob_len, &err) != 0)
		fail_msg("%s", err.msg);
	free(text);
}

static void create_writes_a_key_openssh_reads_then_loads_it(void **state)
{
	struct fixture *f = *state;
	struct bm_hostkey key = {0}, again = {0};
	struct lerr err = {0};
	struct stat st;
	int created = -1;
	char *text, *derived, *cmd, *want, *got;

	if (!have_ssh_keygen()) {
		print_message("# no ssh-keygen: not run\n");
		return;
	}
	if (bm_hostkey_load_or_create(f->node, "root@gpu-01", &key, &created, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(created, 1);
	assert_int_equal(key.blob_len, 51);
	assert_int_equal(stat(f->private_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(f->public_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644 & ~0022);
	text = read_text(f->private_path);
	assert_string_equal(text, key.private_pem);
	assert_int_equal(strncmp(text, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36), 0);
	free(text);
	text = read_text(f->public_path);
	assert_string_equal(text, key.public_line);
	assert_int_equal(strncmp(text, "ssh-ed25519 AAAA", 16), 0);
	assert_non_null(strstr(text, " root@gpu-01\n"));

	/* OpenSSH derives the same public key from the private file, and fingerprints it. */
	cmd = xasprintf("ssh-keygen -y -f '%s'", f->private_path);
	derived = command_output(cmd);
	want = key_words(text);
	got = key_words(derived);
	assert_string_equal(got, want);
	free(cmd);
	free(derived);
	free(want);
	free(got);
	free(text);
	cmd = xasprintf("ssh-keygen -l -f '%s'", f->private_path);
	run(cmd);
	free(cmd);

	/* The second call loads the same key and writes nothing. */
	if (bm_hostkey_load_or_create(f->node, "root@other", &again, &created, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(created, 0);
	assert_memory_equal(again.blob, key.blob, 51);
	assert_string_equal(again.public_line, key.public_line);
	assert_string_equal(again.private_pem, key.private_pem);
	bm_hostkey_free(&key);
	bm_hostkey_free(&again);
	bm_hostkey_free(&again); /* twice is fine */
}

static void sshd_accepts_the_created_key(void **state)
{
	struct fixture *f = *state;
	struct bm_hostkey key = {0};
	struct lerr err = {0};
	char *cmd;

	/*
	 * sshd -t insists on its privilege separation directory, which a build
	 * machine may lack: as root it gets one in a private mount namespace.
	 * (cmocka's skip() prints "not ok # SKIP", which prove counts as a failure.)
	 */
	if (access("/usr/sbin/sshd", X_OK) != 0 || (access("/run/sshd", F_OK) != 0 && geteuid() != 0)) {
		print_message("# no sshd, or no /run/sshd and not root: sshd -t not run\n");
		return;
	}
	if (bm_hostkey_load_or_create(f->node, "root@gpu-01", &key, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	if (access("/run/sshd", F_OK) == 0)
		cmd = xasprintf("/usr/sbin/sshd -t -f /dev/null -h '%s'", f->private_path);
	else
		cmd = xasprintf("unshare -m sh -c 'mount -t tmpfs tmpfs /run && mkdir /run/sshd && "
				"/usr/sbin/sshd -t -f /dev/null -h \"%s\"'",
				f->private_path);
	run(cmd);
	free(cmd);
	bm_hostkey_free(&key);
}

static void loads_a_key_written_by_ssh_keygen(void **state)
{
	struct fixture *f = *state;
	struct bm_hostkey key = {0};
	struct lerr err = {0};
	unsigned char blob[51];
	size_t blob_len = 0;
	int created = -1;
	char *cmd, *text;

	if (!have_ssh_keygen()) {
		print_message("# no ssh-keygen: not run\n");
		return;
	}
	assert_int_equal(fs_mkdir_p(f->node, &err), 0);
	cmd = xasprintf("ssh-keygen -q -t ed25519 -N '' -C 'root@made-by-openssh' -f '%s'", f->private_path);
	run(cmd);
	free(cmd);
	if (bm_hostkey_load_or_create(f->node, "root@ignored", &key, &created, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(created, 0);
	blob_of_pub(f->public_path, blob, &blob_len);
	assert_int_equal(blob_len, 51);
	assert_memory_equal(key.blob, blob, 51);
	text = read_text(f->private_path);
	assert_string_equal(key.private_pem, text);
	free(text);
	bm_hostkey_free(&key);

	/* A private key alone gets its .pub written again, with the key's own comment. */
	assert_int_equal(unlink(f->public_path), 0);
	if (bm_hostkey_load_or_create(f->node, "root@ignored", &key, &created, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(created, 0);
	text = read_text(f->public_path);
	assert_string_equal(text, key.public_line);
	assert_non_null(strstr(text, " root@made-by-openssh\n"));
	blob_of_pub(f->public_path, blob, &blob_len);
	assert_memory_equal(key.blob, blob, 51);
	free(text);
	bm_hostkey_free(&key);
}

/* load_or_create fails with one line naming path, and leaves path as it was. */
static void refused(struct fixture *f, const char *path, const char *says)
{
	struct bm_hostkey key = {0};
	struct lerr err = {0};
	int created = -1;
	char *before = read_text(path), *after;

	assert_int_equal(bm_hostkey_load_or_create(f->node, "root@gpu-01", &key, &created, &err), -1);
	assert_int_equal(created, -1);
	assert_null(key.private_pem);
	assert_null(key.public_line);
	if (strstr(err.msg, path) == NULL || strstr(err.msg, says) == NULL || strchr(err.msg, '\n') != NULL)
		fail_msg("message '%s' should name %s and say '%s'", err.msg, path, says);
	after = read_text(path);
	assert_string_equal(after, before);
	free(before);
	free(after);
}

static void keygen(struct fixture *f, const char *options)
{
	char *cmd = xasprintf("rm -f '%s' '%s' && ssh-keygen -q %s -f '%s'", f->private_path, f->public_path, options,
			      f->private_path);

	run(cmd);
	free(cmd);
}

static void refuses_keys_sshd_could_not_use(void **state)
{
	struct fixture *f = *state;
	struct lerr err = {0};
	char *text, *other_pub;

	if (!have_ssh_keygen()) {
		print_message("# no ssh-keygen: not run\n");
		return;
	}
	assert_int_equal(fs_mkdir_p(f->node, &err), 0);
	keygen(f, "-t ed25519 -N secret");
	refused(f, f->private_path, "sshd needs an unencrypted host key");
	keygen(f, "-t rsa -b 2048 -N ''");
	refused(f, f->private_path, "ssh-rsa, not ssh-ed25519");
	keygen(f, "-t ecdsa -N ''");
	refused(f, f->private_path, "not ssh-ed25519");

	/* Truncated: half the file, then all but the last base64 line. */
	keygen(f, "-t ed25519 -N ''");
	text = read_text(f->private_path);
	text[strlen(text) / 2] = '\0';
	write_text(f->private_path, text, 0600);
	refused(f, f->private_path, "truncated or damaged");
	free(text);
	keygen(f, "-t ed25519 -N ''");
	text = read_text(f->private_path);
	memmove(strrchr(text, '=') - 8, "\n-----END OPENSSH PRIVATE KEY-----\n",
		sizeof("\n-----END OPENSSH PRIVATE KEY-----\n"));
	write_text(f->private_path, text, 0600);
	refused(f, f->private_path, "truncated or damaged");
	free(text);

	/* Not an OpenSSH key at all: a PEM key, and garbage. */
	write_text(f->private_path,
		   "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n", 0600);
	refused(f, f->private_path, "not an OpenSSH private key");
	write_text(f->private_path,
		   "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH "
		   "PRIVATE KEY-----\n",
		   0600);
	refused(f, f->private_path, "truncated or damaged");

	/* Empty, and too large to be a key. */
	write_text(f->private_path, "", 0600);
	refused(f, f->private_path, "not an OpenSSH private key");
	text = xcalloc(1, 20000);
	memset(text, 'A', 19999);
	write_text(f->private_path, text, 0600);
	refused(f, f->private_path, "larger than 16384 bytes");
	free(text);

	/* A .pub of another key. */
	keygen(f, "-t ed25519 -N ''");
	other_pub = read_text(f->public_path);
	keygen(f, "-t ed25519 -N ''");
	write_text(f->public_path, other_pub, 0644);
	refused(f, f->public_path, "does not match the private key");
	write_text(f->public_path, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x\n", 0644);
	refused(f, f->public_path, "not an ssh-ed25519 public key");
	free(other_pub);

	/* A .pub alone: never replaced by a new key behind the user's back. */
	assert_int_equal(unlink(f->private_path), 0);
	refused(f, f->public_path, "without its private key");
	assert_int_equal(access(f->private_path, F_OK), -1);
}

static void parse_public_checks_the_blob(void **state)
{
	unsigned char blob[64];
	size_t blob_len = 0;
	struct lerr err = {0};
	/* 51 bytes: string "ssh-ed25519", string of 32 zero bytes */
	const char *zero = "AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

	(void)state;
	char *line = xasprintf("ssh-ed25519 %s", zero);
	assert_int_equal(bm_hostkey_parse_public(line, blob, sizeof(blob), &blob_len, &err), 0);
	assert_int_equal(blob_len, 51);
	assert_memory_equal(blob, "\0\0\0\13ssh-ed25519\0\0\0\40", 19);
	free(line);
	line = xasprintf("ssh-ed25519\t%s  comment with spaces\r\n", zero);
	assert_int_equal(bm_hostkey_parse_public(line, blob, sizeof(blob), &blob_len, &err), 0);
	assert_int_equal(bm_hostkey_parse_public(line, blob, 50, &blob_len, &err), -1);
	assert_int_equal(err.code, LADING_ERR_LIMIT);
	free(line);
	/* one byte short of the key, a wrong type inside, not base64, no key */
	assert_int_equal(bm_hostkey_parse_public(
			     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", blob,
			     sizeof(blob), &blob_len, &err),
			 -1);
	assert_int_equal(bm_hostkey_parse_public("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ==", blob, sizeof(blob),
						 &blob_len, &err),
			 -1);
	assert_int_equal(bm_hostkey_parse_public("ssh-ed25519 !!!!", blob, sizeof(blob), &blob_len, &err), -1);
	assert_int_equal(bm_hostkey_parse_public("ssh-ed25519", blob, sizeof(blob), &blob_len, &err), -1);
	assert_int_equal(bm_hostkey_parse_public("ssh-ed25519AAAA", blob, sizeof(blob), &blob_len, &err), -1);
	assert_int_equal(bm_hostkey_parse_public("", blob, sizeof(blob), &blob_len, &err), -1);
	assert_null(strchr(err.msg, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(create_writes_a_key_openssh_reads_then_loads_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(sshd_accepts_the_created_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(loads_a_key_written_by_ssh_keygen, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_keys_sshd_could_not_use, setup, teardown),
	    cmocka_unit_test(parse_public_checks_the_blob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
