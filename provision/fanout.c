#include "provision/fanout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/xmalloc.h"

struct fanout_run_ctx {
	struct fanout_opts *opts;
	struct fanout_result *results;
	fanout_action action;
	void *ctx;
};

static const char *const status_names[] = { "ok", "failed", "unreachable" };

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

void fanout_usage_common(FILE *out)
{
	fprintf(out, "  -i, --inventory FILE        Ansible inventory, YAML or INI (repeatable)\n"
		     "  -l, --limit PATTERN         only these hosts or groups (Ansible pattern)\n"
		     "  -f, --forks N               hosts in parallel (default 32)\n"
		     "  -b, --become                run through sudo -n on every host\n"
		     "      --known-hosts FILE      known_hosts to check and record (default ~/.ssh/known_hosts)\n"
		     "      --host-key-policy P     strict (default) or accept-new\n"
		     "      --connect-timeout SEC   connect, handshake and login (default 10)\n"
		     "      --timeout SEC           per command (default none)\n"
		     "      --json                  one JSON object per host on stdout\n"
		     "  -v, -q                      more or fewer messages\n");
}

/* The value of an option given as "--name=value" or "--name value". */
static const char *option_value(const char *name, int argc, char **argv, int *index)
{
	const char *arg = argv[*index];
	size_t len = strlen(name);

	if (strncmp(arg, name, len) == 0 && arg[len] == '=')
		return arg + len + 1;
	if (*index + 1 >= argc) {
		fprintf(stderr, "lading provision: option '%s' needs a value\n", name);
		return NULL;
	}
	return argv[++*index];
}

static int option_is(const char *arg, const char *short_name, const char *long_name)
{
	size_t len = strlen(long_name);

	if (short_name != NULL && strcmp(arg, short_name) == 0)
		return 1;
	return strncmp(arg, long_name, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

static int parse_number(const char *name, const char *text, int min, int max, int *out)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
		fprintf(stderr, "lading provision: %s '%s' must be a number from %d to %d\n", name, text, min, max);
		return -1;
	}
	*out = (int)value;
	return 0;
}

int fanout_parse_option(struct fanout_opts *o, int argc, char **argv, int *index)
{
	const char *arg = argv[*index];
	const char *value;
	int number;

	if (strcmp(arg, "--json") == 0) {
		o->json = o->lg.json = 1;
	} else if (strcmp(arg, "-v") == 0) {
		o->lg.level = o->lg.level < LOG_INFO ? LOG_VERBOSE : o->lg.level + 1;
	} else if (strcmp(arg, "-q") == 0) {
		o->lg.level = LOG_ERROR;
	} else if (option_is(arg, "-b", "--become")) {
		o->become = 1;
	} else if (option_is(arg, "-i", "--inventory")) {
		if ((value = option_value("--inventory", argc, argv, index)) == NULL)
			return -1;
		if (o->inventory_count == (int)(sizeof(o->inventories) / sizeof(o->inventories[0]))) {
			fprintf(stderr, "lading provision: too many inventories\n");
			return -1;
		}
		o->inventories[o->inventory_count++] = value;
	} else if (option_is(arg, "-l", "--limit")) {
		if ((o->limit = option_value("--limit", argc, argv, index)) == NULL)
			return -1;
	} else if (option_is(arg, "-f", "--forks")) {
		if ((value = option_value("--forks", argc, argv, index)) == NULL ||
		    parse_number("--forks", value, 1, 1024, &o->forks) != 0)
			return -1;
	} else if (option_is(arg, NULL, "--known-hosts")) {
		if ((o->ssh.known_hosts = option_value("--known-hosts", argc, argv, index)) == NULL)
			return -1;
	} else if (option_is(arg, NULL, "--host-key-policy")) {
		if ((value = option_value("--host-key-policy", argc, argv, index)) == NULL)
			return -1;
		if (strcmp(value, "strict") == 0) {
			o->ssh.host_key_policy = SSH_HOST_KEY_STRICT;
		} else if (strcmp(value, "accept-new") == 0) {
			o->ssh.host_key_policy = SSH_HOST_KEY_ACCEPT_NEW;
		} else {
			fprintf(stderr, "lading provision: --host-key-policy '%s': want strict or accept-new\n", value);
			return -1;
		}
	} else if (option_is(arg, NULL, "--connect-timeout")) {
		if ((value = option_value("--connect-timeout", argc, argv, index)) == NULL ||
		    parse_number("--connect-timeout", value, 1, 3600, &number) != 0)
			return -1;
		o->ssh.connect_timeout_ms = number * 1000;
	} else if (option_is(arg, NULL, "--timeout")) {
		if ((value = option_value("--timeout", argc, argv, index)) == NULL ||
		    parse_number("--timeout", value, 0, 86400 * 7, &number) != 0)
			return -1;
		o->ssh.command_timeout_ms = number * 1000;
	} else {
		return 0;
	}
	(*index)++;
	return 1;
}

/* Drops the "host: " our errors start with: the printer names the host itself. */
static char *strip_host(const char *msg, const char *name)
{
	size_t len = strlen(name);

	if (strncmp(msg, name, len) == 0 && msg[len] == ':' && msg[len + 1] == ' ')
		return xstrdup(msg + len + 2);
	return xstrdup(msg);
}

/* A pool job: the host's outcome goes to its result, never to the pool (one host failing never stops the others). */
static int fanout_worker(void *item, size_t worker, void *arg, struct lerr *unused)
{
	struct fanout_run_ctx *run = arg;
	struct fanout_result *r = item;
	struct ssh_conn *conn = NULL;
	struct lerr err;
	double start = log_now();

	(void)worker;
	(void)unused;
	lerr_clear(&err);
	r->status = FANOUT_FAILED;
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
		r->msg = strip_host(err.msg, r->host->name);
	ssh_conn_close(conn);
	r->seconds = log_now() - start;
	log_msg(&run->opts->lg, LOG_VERBOSE, "%s: %s (%.2f s)", r->host->name, status_names[r->status], r->seconds);
	return 0;
}

static void fanout_print_json(const struct fanout_result *r)
{
	json_t *line = json_pack("{s:s, s:s, s:f}", "host", r->host->name, "status", status_names[r->status],
				 "seconds", r->seconds);
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
	size_t counts[3] = { 0, 0, 0 };
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
	struct fanout_run_ctx run = { o, NULL, action, ctx };
	struct pool_opts popts = { 0 };
	size_t count = 0, i;
	struct lerr err;
	int status = 2;

	lerr_clear(&err);
	if (fanout_load(o, &inv, &err) != 0 || inv_select(inv, o->limit, &hosts, &count, &err) != 0) {
		fprintf(stderr, "lading provision %s: %s\n", verb, err.msg);
		status = err.code == LADING_ERR_USAGE || err.code == LADING_ERR_FORMAT || err.code == LADING_ERR_NOTFOUND
				 ? 2
				 : lerr_exit_code(&err);
		goto out;
	}
	if (count == 0) {
		fprintf(stderr, "lading provision %s: no hosts match '%s'\n", verb, o->limit ? o->limit : "all");
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
		fprintf(stderr, "lading provision %s: %s\n", verb, err.msg);
		status = lerr_exit_code(&err);
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
	free(run.results);
	free(hosts);
	if (inv != NULL)
		inv_free(inv);
	return status;
}
