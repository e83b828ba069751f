/*
 * `lading provision VERB`: ad-hoc work on inventory hosts over SSH (ping,
 * facts, shell, copy). Verbs come from the table below; each parses the
 * common options (provision/fanout.c) plus its own.
 */
#include "provision/cmd_provision.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/cli.h"
#include "lib/digest.h"
#include "lib/xmalloc.h"
#include "provision/facts.h"
#include "provision/cmd_apply.h"
#include "provision/fanout.h"

#define SHELL_OUTPUT_MAX (1024 * 1024)

/* Operands and verb options collected by verb_parse. */
struct verb_args {
	struct cli cli; /* its operands; free with cli_free */
	int mode;	/* copy --mode, -1 when not given */
};

enum { OPT_MODE = 1 };

static const struct cli_option copy_options[] = {
    {"mode", 0, "OCTAL", OPT_MODE, "mode of DEST (default 0644)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option no_options[] = {
    {NULL, 0, NULL, 0, NULL},
};

static int parse_mode(const struct cli *cli, int *mode)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(cli->arg, &end, 8);
	if (errno != 0 || end == cli->arg || *end != '\0' || value < 0 || value > 07777) {
		cli_usage_error(cli, "--mode '%s' must be octal like 0644", cli->arg);
		return -1;
	}
	*mode = (int)value;
	return 0;
}

/*
 * The shared options, --mode (copy) and operands (min..max of them). Returns -1
 * to go on, else the exit status to return (help, or 2 after a usage error).
 */
static int verb_parse(int argc, char **argv, const char *prog, const char *synopsis, const struct cli_option *table,
		      struct fanout_opts *o, struct verb_args *a, size_t min, int max, const char *what)
{
	int opt, used;

	memset(a, 0, sizeof(*a));
	a->mode = -1;
	fanout_opts_init(o);
	cli_init(&a->cli, prog, synopsis, table, CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	a->cli.shared = fanout_options;
	while ((opt = cli_next(&a->cli)) > 0) {
		if ((used = fanout_apply_option(o, &a->cli, opt)) < 0)
			goto usage;
		if (used == 0 && opt == OPT_MODE && parse_mode(&a->cli, &a->mode) != 0)
			goto usage;
	}
	if (opt < 0 || a->cli.help) {
		opt = cli_finish(&a->cli);
		cli_free(&a->cli);
		return opt;
	}
	if (cli_operands(&a->cli, min, max, what) != 0)
		goto usage;
	fanout_opts_finish(o, &a->cli);
	return -1;
usage:
	cli_free(&a->cli);
	return 2;
}

static int ping_action(struct ssh_conn *conn, struct fanout_result *r, void *ctx, struct lerr *err)
{
	struct buf out = BUF_INIT(256);
	int status = -1, rc = -1;
	const struct ssh_target *t = &r->target.ssh;

	(void)ctx;
	if (ssh_exec(conn, "echo pong", t->become, -1, &out, NULL, &status, err) != 0)
		goto out;
	if (status != 0 || out.data == NULL || strcmp(out.data, "pong\n") != 0) {
		lerr_set(err, LADING_ERR_SYSTEM, "'echo pong' answered %s (exit %d): is sh the shell there?",
			 out.data != NULL ? "something else" : "nothing", status);
		goto out;
	}
	r->text =
	    xasprintf("%s@%s:%d%s%s%s", ssh_conn_user(conn), t->host, t->port > 0 ? t->port : 22,
		      t->jump != NULL ? " via " : "", t->jump != NULL ? t->jump : "", t->become ? " (become)" : "");
	r->detail = json_pack("{s:s, s:s, s:i, s:b}", "user", ssh_conn_user(conn), "address", t->host, "port",
			      t->port > 0 ? t->port : 22, "become", t->become);
	rc = 0;
out:
	buf_free(&out);
	return rc;
}

/* ping and facts: no arguments besides the shared options, one action per host. */
static int provision_simple_verb(int argc, char **argv, const char *prog, const char *verb, fanout_action action,
				 int allow_local)
{
	struct fanout_opts o;
	struct verb_args a;
	int status;

	if ((status =
		 verb_parse(argc, argv, prog, "-i INVENTORY [options]", no_options, &o, &a, 0, 0, "no operands")) >= 0)
		return status;
	cli_free(&a.cli);
	o.allow_local = allow_local;
	return fanout_run(&o, verb, action, NULL);
}

static int provision_ping(int argc, char **argv)
{
	return provision_simple_verb(argc, argv, "lading provision ping", "ping", ping_action, 0);
}

static const char *str_or(const char *value, const char *fallback)
{
	return value != NULL ? value : fallback;
}

static const char *yes_no_unknown(json_t *value)
{
	return json_is_true(value) ? "on" : json_is_false(value) ? "off" : "not EFI";
}

/*
 * One line per GPU after the summary, and the preflight state when there are
 * GPUs: "  gpu 0000:3b:00.0 0x2330 NVIDIA H100 80GB HBM3 GPU-… 81559 MiB driver 535.216.03 mig Disabled".
 */
static void facts_gpu_summary(json_t *facts, struct buf *text)
{
	json_t *gpu, *module = json_object_get(facts, "nvidia_module");
	size_t i;

	json_array_foreach(json_object_get(facts, "gpus"), i, gpu)
	{
		buf_printf(text, "\n  gpu %s %s", str_or(json_string_value(json_object_get(gpu, "pci_address")), "?"),
			   str_or(json_string_value(json_object_get(gpu, "device_id")), "?"));
		if (json_object_get(gpu, "uuid") != NULL)
			buf_printf(text, " %s %s %lld MiB driver %s mig %s",
				   str_or(json_string_value(json_object_get(gpu, "name")), "?"),
				   str_or(json_string_value(json_object_get(gpu, "uuid")), "?"),
				   json_integer_value(json_object_get(gpu, "memory_mib")),
				   str_or(json_string_value(json_object_get(gpu, "driver_version")), "?"),
				   str_or(json_string_value(json_object_get(gpu, "mig_mode")), "?"));
	}
	if (i == 0)
		return;
	buf_printf(text, "\n  nvswitches %lld, secure boot %s, nouveau %s, nvidia module %s",
		   json_integer_value(json_object_get(facts, "nvswitches")),
		   yes_no_unknown(json_object_get(facts, "secure_boot")),
		   json_is_true(json_object_get(facts, "nouveau_loaded")) ? "loaded" : "not loaded",
		   json_is_true(json_object_get(module, "loaded"))
		       ? str_or(json_string_value(json_object_get(module, "version")), "loaded")
		       : "not loaded");
}

/* "debian 12, x86_64, kernel 6.1.0-18-amd64, 2 cpus, 7.8 GiB, disks: sda 20.0 GiB, gpus: 0" */
static char *facts_summary(json_t *facts)
{
	struct buf text = BUF_INIT(0);
	char size[32];
	json_t *disk;
	size_t i;

	buf_printf(&text, "%s %s, %s, kernel %s, %lld cpus",
		   str_or(json_string_value(json_object_get(json_object_get(facts, "os"), "id")), "unknown-os"),
		   str_or(json_string_value(json_object_get(json_object_get(facts, "os"), "version_id")), ""),
		   str_or(json_string_value(json_object_get(facts, "arch")), "?"),
		   str_or(json_string_value(json_object_get(facts, "kernel")), "?"),
		   json_integer_value(json_object_get(json_object_get(facts, "cpu"), "count")));
	log_format_bytes((uint64_t)json_integer_value(json_object_get(json_object_get(facts, "memory"), "total_bytes")),
			 size, sizeof(size));
	buf_printf(&text, ", %s memory, disks:", size);
	json_array_foreach(json_object_get(facts, "disks"), i, disk)
	{
		log_format_bytes((uint64_t)json_integer_value(json_object_get(disk, "size_bytes")), size, sizeof(size));
		buf_printf(&text, " %s %s", json_string_value(json_object_get(disk, "name")), size);
	}
	if (i == 0)
		buf_puts(&text, " none");
	buf_printf(&text, ", nvidia gpus: %zu", json_array_size(json_object_get(facts, "gpus")));
	facts_gpu_summary(facts, &text);
	return buf_detach(&text, NULL);
}

static int facts_action(struct ssh_conn *conn, struct fanout_result *r, void *ctx, struct lerr *err)
{
	json_t *facts = NULL;

	(void)ctx;
	if (facts_gather(conn, &facts, err) != 0)
		return -1;
	r->text = facts_summary(facts);
	r->detail = json_pack("{s:o}", "facts", facts);
	return 0;
}

static int provision_facts(int argc, char **argv)
{
	/* facts also for ansible_connection local: scripts/gpu-check asks the machine it runs on */
	return provision_simple_verb(argc, argv, "lading provision facts", "facts", facts_action, 1);
}

static int shell_action(struct ssh_conn *conn, struct fanout_result *r, void *ctx, struct lerr *err)
{
	struct buf out = BUF_INIT(SHELL_OUTPUT_MAX), errout = BUF_INIT(SHELL_OUTPUT_MAX);
	const char *cmd = ctx;
	int status = -1, rc = -1;

	if (ssh_exec(conn, cmd, r->target.ssh.become, -1, &out, &errout, &status, err) != 0)
		goto out;
	r->detail = json_pack("{s:i, s:s, s:s}", "rc", status, "stdout", out.data ? out.data : "", "stderr",
			      errout.data ? errout.data : "");
	if (status != 0) {
		char *nl = errout.data != NULL ? strchr(errout.data, '\n') : NULL;

		if (nl != NULL)
			*nl = '\0';
		lerr_set(err, LADING_ERR_SYSTEM, "exit %d%s%s", status, errout.data ? ": " : "",
			 errout.data ? errout.data : "");
		goto out;
	}
	r->text = xasprintf("rc 0%s%s", out.len ? "\n" : "", out.data ? out.data : "");
	if (out.len && r->text[strlen(r->text) - 1] == '\n')
		r->text[strlen(r->text) - 1] = '\0';
	rc = 0;
out:
	buf_free(&out);
	buf_free(&errout);
	return rc;
}

static int provision_shell(int argc, char **argv)
{
	struct fanout_opts o;
	struct verb_args a;
	int status;

	if ((status = verb_parse(argc, argv, "lading provision shell", "-i INVENTORY [options] [--] COMMAND",
				 no_options, &o, &a, 1, 1, "exactly one COMMAND (quote it)")) >= 0)
		return status;
	status = fanout_run(&o, "shell", shell_action, a.cli.operands[0]);
	cli_free(&a.cli);
	return status;
}

struct copy_job {
	const char *src;
	const char *dest;
	int mode;
	uint64_t size;
	char sha256[SHA256_HEX_LEN + 1]; /* hashed once for all hosts; each host checks what it got */
};

static int copy_action(struct ssh_conn *conn, struct fanout_result *r, void *ctx, struct lerr *err)
{
	const struct copy_job *job = ctx;
	char size[32];

	if (ssh_upload(conn, job->src, job->dest, job->mode, r->target.ssh.become, job->sha256, err) != 0)
		return -1;
	log_format_bytes(job->size, size, sizeof(size));
	r->text = xasprintf("%s (%s)", job->dest, size);
	r->detail = json_pack("{s:s, s:I}", "dest", job->dest, "bytes", (json_int_t)job->size);
	return 0;
}

static int provision_copy(int argc, char **argv)
{
	struct fanout_opts o;
	struct verb_args a;
	struct copy_job job;
	struct lerr err;
	struct stat st;
	int status;

	if ((status = verb_parse(argc, argv, "lading provision copy", "-i INVENTORY [options] [--mode OCTAL] SRC DEST",
				 copy_options, &o, &a, 2, 2, "SRC and DEST")) >= 0)
		return status;
	if (stat(a.cli.operands[0], &st) != 0 || !S_ISREG(st.st_mode)) {
		status = cli_usage_error(&a.cli, "'%s' is not a readable regular file", a.cli.operands[0]);
		cli_free(&a.cli);
		return status;
	}
	if (sha256_file(a.cli.operands[0], job.sha256, &job.size, &err) != 0) {
		status = cli_usage_error(&a.cli, "%s", err.msg);
		cli_free(&a.cli);
		return status;
	}
	job.src = a.cli.operands[0];
	job.dest = a.cli.operands[1];
	job.mode = a.mode >= 0 ? a.mode : 0644;
	status = fanout_run(&o, "copy", copy_action, &job);
	cli_free(&a.cli);
	return status;
}

static const struct cli_verb verbs[] = {
    {"apply", provision_apply, "bring hosts to the state the site file describes (the default)"},
    {"ping", provision_ping, "connect, check host keys, log in and run a command"},
    {"facts", provision_facts, "OS, kernel, arch, CPUs, memory, disks and GPUs as JSON"},
    {"shell", provision_shell, "run a shell command on every host"},
    {"copy", provision_copy, "upload a file to every host (temp name, then rename)"},
    {NULL, NULL, NULL},
};

int cmd_provision(int argc, char **argv)
{
	/* `lading provision -i INV -s SITE` (options first, no verb) is the site runner's. */
	if (argc >= 2 && argv[1][0] == '-' && strcmp(argv[1], "-h") != 0 && strcmp(argv[1], "--help") != 0)
		return provision_apply(argc, argv);
	return cli_dispatch("lading provision", verbs, argc, argv);
}
