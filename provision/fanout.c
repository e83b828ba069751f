#include "provision/fanout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/pool.h"
#include "lib/xmalloc.h"

struct fanout_run_ctx {
	struct fanout_opts *opts;
	struct fanout_result *results;
	fanout_action action;
	void *ctx;
};

static const char *const status_names[] = {"ok", "failed", "unreachable"};

void fanout_opts_init(struct fanout_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->forks = 32;
	o->ssh.host_key_policy = SSH_HOST_KEY_STRICT;
	o->ssh.connect_timeout_ms = 10000;
	o->ssh.keepalive_s = 15;
	log_init(&o->lg);
	o->ssh.lg = &o->lg;
}

const struct cli_option fanout_options[] = {
    {"inventory", 'i', "FILE", FANOUT_OPT_INVENTORY, "Ansible inventory, YAML or INI (repeatable)"},
    {"limit", 'l', "PATTERN", FANOUT_OPT_LIMIT, "only these hosts or groups (Ansible pattern)"},
    {"forks", 'f', "N", FANOUT_OPT_FORKS, "hosts in parallel, 1-1024 (default 32)"},
    {"become", 'b', NULL, FANOUT_OPT_BECOME, "run through sudo on every host"},
    {"ask-become-pass", 'K', NULL, FANOUT_OPT_ASK_BECOME_PASS, "ask once (no echo) for the sudo password"},
    {"known-hosts", 0, "FILE", FANOUT_OPT_KNOWN_HOSTS, "known_hosts to check and record (default ~/.ssh/known_hosts)"},
    {"host-key-policy", 0, "P", FANOUT_OPT_HOST_KEY_POLICY, "strict (default) or accept-new"},
    {"connect-timeout", 0, "SEC", FANOUT_OPT_CONNECT_TIMEOUT, "connect, handshake and login (default 10)"},
    {"timeout", 0, "SEC", FANOUT_OPT_TIMEOUT, "per command (default none)"},
    {NULL, 0, NULL, 0, NULL},
};

int fanout_apply_option(struct fanout_opts *o, const struct cli *cli, int id)
{
	long number;

	switch (id) {
	case FANOUT_OPT_BECOME:
		o->become = 1;
		break;
	case FANOUT_OPT_ASK_BECOME_PASS:
		o->ask_become_pass = 1;
		break;
	case FANOUT_OPT_INVENTORY:
		if (o->inventory_count == (int)(sizeof(o->inventories) / sizeof(o->inventories[0]))) {
			cli_usage_error(cli, "too many inventories");
			return -1;
		}
		o->inventories[o->inventory_count++] = cli->arg;
		break;
	case FANOUT_OPT_LIMIT:
		o->limit = cli->arg;
		break;
	case FANOUT_OPT_FORKS:
		if (cli_int(cli, 1, 1024, &number) != 0)
			return -1;
		o->forks = (int)number;
		break;
	case FANOUT_OPT_KNOWN_HOSTS:
		o->ssh.known_hosts = cli->arg;
		break;
	case FANOUT_OPT_HOST_KEY_POLICY:
		if (strcmp(cli->arg, "strict") == 0) {
			o->ssh.host_key_policy = SSH_HOST_KEY_STRICT;
		} else if (strcmp(cli->arg, "accept-new") == 0) {
			o->ssh.host_key_policy = SSH_HOST_KEY_ACCEPT_NEW;
		} else {
			cli_usage_error(cli, "--host-key-policy '%s': want strict or accept-new", cli->arg);
			return -1;
		}
		break;
	case FANOUT_OPT_CONNECT_TIMEOUT:
		if (cli_int(cli, 1, 3600, &number) != 0)
			return -1;
		o->ssh.connect_timeout_ms = (int)number * 1000;
		break;
	case FANOUT_OPT_TIMEOUT:
		if (cli_int(cli, 0, 86400 * 7, &number) != 0)
			return -1;
		o->ssh.command_timeout_ms = (int)number * 1000;
		break;
	default:
		return 0;
	}
	return 1;
}

void fanout_opts_finish(struct fanout_opts *o, const struct cli *cli)
{
	cli_logger(cli, &o->lg);
	o->json = cli->json;
}

int fanout_become_password(struct fanout_opts *o, struct lerr *err)
{
	const char *env = getenv("LADING_BECOME_PASSWORD");

	fanout_opts_clear(o);
	if (o->ask_become_pass) {
		if ((o->become_password = ssh_read_secret("BECOME password: ")) == NULL)
			return lerr_set(err, LADING_ERR_USAGE,
					"--ask-become-pass needs a terminal and there is none: set "
					"LADING_BECOME_PASSWORD or ansible_become_password instead");
	} else if (env != NULL && env[0] != '\0') {
		o->become_password = xstrdup(env);
	}
	o->ssh.become_password = o->become_password;
	return 0;
}

void fanout_opts_clear(struct fanout_opts *o)
{
	ssh_secret_free(o->become_password);
	o->become_password = NULL;
	o->ssh.become_password = NULL;
}

/*
 * Drops the "host: " our errors start with: the printer names the host itself.
 * The subject is the host, or starts with it ("h9: jump host 198.18.0.11").
 */
static char *strip_host(const struct lerr *err, const char *name)
{
	size_t len = strlen(name);

	if (lerr_named(err) && err->subject_len >= len && strncmp(err->msg, name, len) == 0 &&
	    strncmp(err->msg + len, ": ", 2) == 0)
		return xstrdup(err->msg + len + 2);
	return xstrdup(err->msg);
}

/* A pool job: the host's outcome goes to its result, never to the pool (one host failing never stops the others). */
static int fanout_worker(void *item, size_t worker, void *arg, struct lerr *unused)
{
	struct fanout_run_ctx *run = arg;
	struct fanout_result *r = item;
	struct ssh_conn *conn = NULL;
	struct inv_conn how;
	struct lerr err;
	double start = log_now();

	(void)worker;
	(void)unused;
	lerr_clear(&err);
	r->status = FANOUT_FAILED;
	if (run->opts->allow_local && inv_host_conn(r->host, &how, &err) == 0) {
		int local = how.local;

		inv_conn_free(&how);
		if (local) {
			if (run->action(NULL, r, run->ctx, &err) == 0)
				r->status = FANOUT_OK;
			goto out;
		}
	}
	if (prov_target_from_inv(r->host, &r->target, &err) != 0)
		goto out;
	if (run->opts->become)
		r->target.ssh.become = 1;
	if (ssh_conn_open(&r->target.ssh, &run->opts->ssh, &conn, &err) != 0) {
		if (err.code == LADING_ERR_NETWORK)
			r->status = FANOUT_UNREACHABLE;
		goto out;
	}
	if (run->action(conn, r, run->ctx, &err) != 0)
		goto out;
	r->status = FANOUT_OK;
out:
	if (r->status != FANOUT_OK)
		r->msg = strip_host(&err, r->host->name);
	ssh_conn_close(conn);
	r->seconds = log_now() - start;
	log_msg(&run->opts->lg, LOG_VERBOSE, "%s: %s (%.2f s)", r->host->name, status_names[r->status], r->seconds);
	return 0;
}

static void fanout_print_json(const struct fanout_result *r)
{
	json_t *line = json_pack("{s:s, s:s, s:f}", "host", r->host->name, "status", status_names[r->status], "seconds",
				 r->seconds);
	char *text;

	if (r->msg != NULL)
		json_object_set_new(line, "msg", json_string(r->msg));
	if (r->detail != NULL)
		json_object_update(line, r->detail);
	text = json_dumps(line, JSON_COMPACT);
	printf("%s\n", text);
	free(text);
	json_decref(line);
}

/* Results in inventory order, ok hosts first and failed ones last; returns the failure count. */
static size_t fanout_print(const struct fanout_opts *o, struct fanout_result *results, size_t count)
{
	size_t counts[3] = {0, 0, 0};
	struct buf failed = BUF_INIT(0);
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < count; i++) {
			struct fanout_result *r = &results[i];

			if ((r->status == FANOUT_OK) != (pass == 0))
				continue;
			counts[r->status]++;
			if (r->status != FANOUT_OK)
				buf_printf(&failed, "%s%s", failed.len ? " " : "", r->host->name);
			if (o->json)
				fanout_print_json(r);
			else if (r->status == FANOUT_OK)
				printf("%s: ok%s%s\n", r->host->name, r->text != NULL ? ": " : "",
				       r->text != NULL ? r->text : "");
			else
				printf("%s: %s: %s\n", r->host->name, status_names[r->status], r->msg);
		}
	}
	if (o->json)
		printf("{\"summary\":{\"ok\":%zu,\"failed\":%zu,\"unreachable\":%zu}}\n", counts[0], counts[1],
		       counts[2]);
	fflush(stdout);
	if (failed.len > 0)
		fprintf(stderr, "lading: %zu of %zu hosts failed: %s\n", counts[1] + counts[2], count, failed.data);
	buf_free(&failed);
	return counts[1] + counts[2];
}

static int fanout_load(struct fanout_opts *o, struct inventory **inv, struct lerr *err)
{
	int i;

	if (o->inventory_count == 0)
		return lerr_set(err, LADING_ERR_USAGE, "an inventory is required (-i FILE)");
	if (inv_load(o->inventories[0], inv, err) != 0)
		return -1;
	for (i = 1; i < o->inventory_count; i++)
		if (inv_merge_file(*inv, o->inventories[i], err) != 0)
			return -1;
	return 0;
}

int fanout_run(struct fanout_opts *o, const char *verb, fanout_action action, void *ctx)
{
	struct inventory *inv = NULL;
	const struct inv_host **hosts = NULL;
	struct fanout_run_ctx run = {o, NULL, action, ctx};
	struct pool_opts popts = {0};
	size_t count = 0, i;
	struct lerr err;
	int status = 2;

	lerr_clear(&err);
	if (fanout_load(o, &inv, &err) != 0 || inv_select(inv, o->limit, &hosts, &count, &err) != 0 ||
	    fanout_become_password(o, &err) != 0) {
		lerr_prefix(&err, "provision %s", verb);
		status = cli_fail(&err);
		goto out;
	}
	if (count == 0) {
		lerr_set(&err, LADING_ERR_USAGE, "provision %s: no hosts match '%s'", verb,
			 o->limit ? o->limit : "all");
		status = cli_fail(&err);
		goto out;
	}
	run.results = xcalloc(count, sizeof(*run.results));
	for (i = 0; i < count; i++)
		run.results[i].host = hosts[i];
	popts.workers = o->forks;
	popts.mode = POOL_KEEP_GOING;
	popts.run = fanout_worker;
	popts.ctx = &run;
	if (pool_run_each(&popts, run.results, count, sizeof(*run.results), &err) != 0) {
		lerr_prefix(&err, "provision %s", verb);
		status = cli_fail(&err);
	} else {
		status = fanout_print(o, run.results, count) > 0 ? 1 : 0;
	}
	for (i = 0; i < count; i++) {
		prov_target_free(&run.results[i].target);
		free(run.results[i].msg);
		free(run.results[i].text);
		json_decref(run.results[i].detail);
	}
out:
	ssh_forget_passphrases();
	fanout_opts_clear(o);
	free(run.results);
	free(hosts);
	if (inv != NULL)
		inv_free(inv);
	return status;
}
