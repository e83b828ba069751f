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
#include "lib/xmalloc.h"
#include "provision/facts.h"
#include "provision/cmd_apply.h"
#include "provision/fanout.h"

#define SHELL_OUTPUT_MAX (1024 * 1024)

struct provision_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Positional arguments and verb options collected by verb_parse. */
struct verb_args {
	const char *positional[8];
	int positional_count;
	int mode;        /* copy --mode, -1 when not given */
	int help;
};

static int provision_ping(int argc, char **argv);
static int provision_facts(int argc, char **argv);
static int provision_shell(int argc, char **argv);
static int provision_copy(int argc, char **argv);

static const struct provision_verb verbs[] = {
	{ "apply", provision_apply, "bring hosts to the state the site file describes (the default)" },
	{ "ping", provision_ping, "connect, check host keys, log in and run a command" },
	{ "facts", provision_facts, "OS, kernel, arch, CPUs, memory, disks and GPUs as JSON" },
	{ "shell", provision_shell, "run a shell command on every host" },
	{ "copy", provision_copy, "upload a file to every host (temp name, then rename)" },
	{ NULL, NULL, NULL },
};

static void provision_usage(FILE *out)
{
	const struct provision_verb *verb;

	fprintf(out, "usage: lading provision <verb> -i INVENTORY [options]\n\nverbs:\n");
	for (verb = verbs; verb->name != NULL; verb++)
		fprintf(out, "  %-8s %s\n", verb->name, verb->summary);
	fprintf(out, "\nRun 'lading provision <verb> --help' for its options; see lading-provision(1).\n");
}

static void verb_usage(FILE *out, const char *synopsis)
{
	fprintf(out, "usage: lading provision %s\n\noptions:\n", synopsis);
	fanout_usage_common(out);
}

static int parse_mode(const char *text, int *mode)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 8);
	if (errno != 0 || end == text || *end != '\0' || value < 0 || value > 07777) {
		fprintf(stderr, "lading provision copy: --mode '%s' must be octal like 0644\n", text);
		return -1;
	}
	*mode = (int)value;
	return 0;
}

/* Common options, --mode (copy only) and positional arguments; returns 0 or the usage exit status 2. */
static int verb_parse(int argc, char **argv, struct fanout_opts *o, struct verb_args *a, int allow_mode)
{
	int i = 1, r, rest = 0;

	memset(a, 0, sizeof(*a));
	a->mode = -1;
	fanout_opts_init(o);
	while (i < argc) {
		const char *arg = argv[i];

		if (!rest && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
			a->help = 1;
			return 0;
		}
		if (!rest && strcmp(arg, "--") == 0) {
			rest = 1;
			i++;
			continue;
		}
		if (!rest && (r = fanout_parse_option(o, argc, argv, &i)) != 0) {
			if (r < 0)
				return 2;
			continue;
		}
		if (!rest && allow_mode && strcmp(arg, "--mode") == 0 && i + 1 < argc) {
			if (parse_mode(argv[i + 1], &a->mode) != 0)
				return 2;
			i += 2;
			continue;
		}
		if (!rest && arg[0] == '-' && arg[1] != '\0') {
			fprintf(stderr, "lading provision %s: unknown option '%s'\n", argv[0], arg);
			return 2;
		}
		if (a->positional_count == (int)(sizeof(a->positional) / sizeof(a->positional[0]))) {
			fprintf(stderr, "lading provision %s: too many arguments\n", argv[0]);
			return 2;
		}
		a->positional[a->positional_count++] = arg;
		i++;
	}
	return 0;
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
	r->text = xasprintf("%s@%s:%d%s%s%s", ssh_conn_user(conn), t->host, t->port > 0 ? t->port : 22,
			    t->jump != NULL ? " via " : "", t->jump != NULL ? t->jump : "", t->become ? " (become)" : "");
	r->detail = json_pack("{s:s, s:s, s:i, s:b}", "user", ssh_conn_user(conn), "address", t->host, "port",
			      t->port > 0 ? t->port : 22, "become", t->become);
	rc = 0;
out:
	buf_free(&out);
	return rc;
}

/* ping and facts: no arguments besides the shared options, one action per host. */
static int provision_simple_verb(int argc, char **argv, const char *verb, fanout_action action)
{
	struct fanout_opts o;
	struct verb_args a;
	char *usage;
	int status;

	if ((status = verb_parse(argc, argv, &o, &a, 0)) != 0)
		return status;
	if (a.help) {
		usage = xasprintf("%s -i INVENTORY [options]", verb);
		verb_usage(stdout, usage);
		free(usage);
		return 0;
	}
	if (a.positional_count > 0) {
		fprintf(stderr, "lading provision %s: unexpected argument '%s'\n", verb, a.positional[0]);
		return 2;
	}
	return fanout_run(&o, verb, action, NULL);
}

static int provision_ping(int argc, char **argv)
{
	return provision_simple_verb(argc, argv, "ping", ping_action);
}

static const char *str_or(const char *value, const char *fallback)
{
	return value != NULL ? value : fallback;
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
	json_array_foreach (json_object_get(facts, "disks"), i, disk) {
		log_format_bytes((uint64_t)json_integer_value(json_object_get(disk, "size_bytes")), size, sizeof(size));
		buf_printf(&text, " %s %s", json_string_value(json_object_get(disk, "name")), size);
	}
	if (i == 0)
		buf_puts(&text, " none");
	buf_printf(&text, ", nvidia gpus: %zu", json_array_size(json_object_get(facts, "gpus")));
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
	return provision_simple_verb(argc, argv, "facts", facts_action);
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

	if ((status = verb_parse(argc, argv, &o, &a, 0)) != 0)
		return status;
	if (a.help) {
		verb_usage(stdout, "shell -i INVENTORY [options] [--] COMMAND");
		return 0;
	}
	if (a.positional_count != 1) {
		fprintf(stderr, "lading provision shell: want exactly one COMMAND (quote it)\n");
		return 2;
	}
	return fanout_run(&o, "shell", shell_action, (void *)a.positional[0]);
}

struct copy_job {
	const char *src;
	const char *dest;
	int mode;
	uint64_t size;
};

static int copy_action(struct ssh_conn *conn, struct fanout_result *r, void *ctx, struct lerr *err)
{
	const struct copy_job *job = ctx;
	char size[32];

	if (ssh_upload(conn, job->src, job->dest, job->mode, r->target.ssh.become, err) != 0)
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
	struct stat st;
	int status;

	if ((status = verb_parse(argc, argv, &o, &a, 1)) != 0)
		return status;
	if (a.help) {
		verb_usage(stdout, "copy -i INVENTORY [options] [--mode OCTAL] SRC DEST");
		printf("      --mode OCTAL            mode of DEST (default 0644)\n");
		return 0;
	}
	if (a.positional_count != 2) {
		fprintf(stderr, "lading provision copy: want SRC and DEST\n");
		return 2;
	}
	if (stat(a.positional[0], &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "lading provision copy: '%s' is not a readable regular file\n", a.positional[0]);
		return 2;
	}
	job.src = a.positional[0];
	job.dest = a.positional[1];
	job.mode = a.mode >= 0 ? a.mode : 0644;
	job.size = (uint64_t)st.st_size;
	return fanout_run(&o, "copy", copy_action, &job);
}

int cmd_provision(int argc, char **argv)
{
	const struct provision_verb *verb;

	if (argc < 2) {
		provision_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		provision_usage(stdout);
		return 0;
	}
	/* `lading provision -i INV -s SITE` (options first, no verb) is the site runner's. */
	if (argv[1][0] == '-')
		return provision_apply(argc, argv);
	for (verb = verbs; verb->name != NULL; verb++)
		if (strcmp(verb->name, argv[1]) == 0)
			return verb->run(argc - 1, argv + 1);
	fprintf(stderr, "lading provision: unknown verb '%s' (see 'lading provision --help')\n", argv[1]);
	return 2;
}
