/*
 * The step runner (lading-provision(1), apply). One worker per host at a
 * time on the pool (lib/pool.c, keep-going: one host failing never stops the
 * others), one SSH session per worker; workers share only the output lock
 * and their own slot of the plans array.
 */
#include "provision/run.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/pool.h"
#include "lib/xmalloc.h"
#include "provision/roles.h"
#include "provision/steps.h"
#include "provision/target.h"

enum { HOST_OK, HOST_FAILED, HOST_UNREACHABLE };

struct host_plan {
	const struct inv_host *host;
	const struct site_role **roles;
	size_t role_count;
	int counts[STEP_STATUS_UNREACHABLE + 1];
	int status;
};

struct run {
	const struct site *site;
	const struct run_opts *opts;
	struct host_plan *plans;
	size_t plan_count;
	char *run_dir;
	struct digest_memo *digests;
	pthread_mutex_t lock;
};

/* The --json event; a message that is not UTF-8 (a remote command's stderr) gets its other bytes as '?'. */
static json_t *event_json(const char *host, const char *role, const char *step, enum step_status status,
			  const char *msg)
{
	json_t *event = json_pack("{s:s, s:s?, s:s, s:s, s:s}", "host", host, "role", role, "step", step, "status",
				  step_status_name(status), "msg", msg);
	char *ascii, *p;

	if (event != NULL)
		return event;
	ascii = xstrdup(msg);
	for (p = ascii; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	event = json_pack("{s:s, s:s?, s:s, s:s, s:s}", "host", host, "role", role, "step", step, "status",
			  step_status_name(status), "msg", ascii);
	free(ascii);
	return event;
}

/* Prints one event (and copies it to the host's log). */
static void emit(struct run *run, struct host_plan *plan, FILE *log, const char *role, const char *step,
		 enum step_status status, const char *msg)
{
	FILE *out = run->opts->out;

	plan->counts[status]++;
	pthread_mutex_lock(&run->lock);
	if (run->opts->json) {
		json_t *event = event_json(plan->host->name, role, step, status, msg);
		char *text = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);

		fprintf(out, "%s\n", text != NULL ? text : "{}");
		free(text);
		json_decref(event);
	} else {
		fprintf(out, "%-12s %s | %s | %s%s%s\n", step_status_name(status), plan->host->name,
			role != NULL ? role : "-", step, msg[0] != '\0' ? " | " : "", msg);
	}
	fflush(out);
	pthread_mutex_unlock(&run->lock);
	if (log != NULL) {
		fprintf(log, "[%s] %s / %s: %s%s%s\n", plan->host->name, role != NULL ? role : "-", step,
			step_status_name(status), msg[0] != '\0' ? ": " : "", msg);
		fflush(log);
	}
}

/* A host's SSH session, kept with what opened it so a reboot can open it again. */
struct ssh_session {
	struct ssh_conn *conn;
	struct prov_target target;
	const struct ssh_opts *opts;
};

static int ssh_exec_adapter(void *ctx, const char *cmd, int become, int stdin_fd, struct buf *out, struct buf *errout,
			    int *exit_status, struct lerr *err)
{
	struct ssh_session *session = ctx;

	if (session->conn == NULL) {
		lerr_set(err, LADING_ERR_NETWORK, "%s: not connected (reboot in progress)", session->target.ssh.host);
		return -1;
	}
	return ssh_exec(session->conn, cmd, become, stdin_fd, out, errout, exit_status, err);
}

static int ssh_upload_adapter(void *ctx, const char *local_path, const char *remote_path, int mode, int become,
			      const char *sha256_hex, struct lerr *err)
{
	struct ssh_session *session = ctx;

	if (session->conn == NULL) {
		lerr_set(err, LADING_ERR_NETWORK, "%s: not connected (reboot in progress)", session->target.ssh.host);
		return -1;
	}
	return ssh_upload(session->conn, local_path, remote_path, mode, become, sha256_hex, err);
}

static int ssh_reconnect_adapter(void *ctx, struct lerr *err)
{
	struct ssh_session *session = ctx;

	ssh_conn_close(session->conn);
	session->conn = NULL;
	return ssh_conn_open(&session->target.ssh, session->opts, &session->conn, err);
}

static FILE *open_host_log(struct run *run, const char *name)
{
	char *safe = xstrdup(name), *path, *p;
	FILE *log;

	for (p = safe; *p != '\0'; p++)
		if (*p == '/')
			*p = '_';
	path = xasprintf("%s/%s.log", run->run_dir, safe);
	log = fopen(path, "we");
	free(path);
	free(safe);
	return log;
}

/* Runs the host's roles in order; stops at the first failed step. */
static void run_roles(struct run *run, struct host_plan *plan, struct step_host *sh)
{
	struct step_result res;
	size_t r, s;

	for (r = 0; r < plan->role_count; r++) {
		const struct site_role *role = plan->roles[r];

		sh->role_changed = 0;
		for (s = 0; s < role->step_count; s++) {
			int rc = step_run(sh, &role->steps[s], &res);

			emit(run, plan, sh->log, role->name, role->steps[s].name, res.status, res.msg);
			if (rc != 0 || res.status == STEP_STATUS_UNREACHABLE) {
				plan->status = HOST_UNREACHABLE;
				return;
			}
			if (res.status == STEP_STATUS_FAILED) {
				plan->status = HOST_FAILED;
				return;
			}
		}
	}
}

/* A pool job: the host's outcome goes to its plan, never to the pool. */
static int run_host(void *item, size_t worker, void *ctx, struct lerr *unused)
{
	struct run *run = ctx;
	struct host_plan *plan = item;
	struct step_host sh = {0};
	struct step_exec exec;
	struct ssh_session session = {0};
	struct inv_conn how;
	struct lerr err = {0};
	int local = 0, have_target = 0;

	(void)worker;
	(void)unused;
	sh.log = open_host_log(run, plan->host->name);
	sh.site = run->site;
	sh.host = plan->host;
	sh.name = plan->host->name;
	sh.check = run->opts->check;
	sh.digests = run->digests;
	if (inv_host_conn(plan->host, &how, &err) == 0) {
		local = how.local;
		sh.become = how.become || run->opts->become;
		inv_conn_free(&how);
	} else {
		emit(run, plan, sh.log, NULL, "connect", STEP_STATUS_FAILED, err.msg);
		plan->status = HOST_FAILED;
		goto out;
	}
	if (local) {
		step_exec_local(&exec);
	} else {
		if (prov_target_from_inv(plan->host, &session.target, &err) != 0) {
			emit(run, plan, sh.log, NULL, "connect", STEP_STATUS_FAILED, err.msg);
			plan->status = HOST_FAILED;
			goto out;
		}
		have_target = 1;
		if (run->opts->become)
			session.target.ssh.become = 1;
		session.opts = run->opts->ssh;
		if (ssh_conn_open(&session.target.ssh, session.opts, &session.conn, &err) != 0) {
			/* as the other verbs: unreachable when the network failed, failed for keys and logins */
			int unreachable = err.code == LADING_ERR_NETWORK;

			emit(run, plan, sh.log, NULL, "connect",
			     unreachable ? STEP_STATUS_UNREACHABLE : STEP_STATUS_FAILED, err.msg);
			plan->status = unreachable ? HOST_UNREACHABLE : HOST_FAILED;
			goto out;
		}
		exec.exec = ssh_exec_adapter;
		exec.upload = ssh_upload_adapter;
		exec.reconnect = ssh_reconnect_adapter;
		exec.ctx = &session;
	}
	sh.exec = &exec;
	run_roles(run, plan, &sh);
out:
	ssh_conn_close(session.conn);
	if (have_target)
		prov_target_free(&session.target);
	step_host_clear(&sh);
	if (sh.log != NULL)
		fclose(sh.log);
	return 0;
}

static int in_list(const struct inv_host *const *list, size_t count, const struct inv_host *host)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (list[i] == host)
			return 1;
	return 0;
}

static void plan_add_role(struct host_plan *plan, const struct site_role *role)
{
	size_t i;

	/* A role listed for several of a host's groups runs once, where it first appears. */
	for (i = 0; i < plan->role_count; i++)
		if (plan->roles[i] == role)
			return;
	plan->roles = grow_array(plan->roles, plan->role_count, sizeof(*plan->roles));
	plan->roles[plan->role_count++] = role;
}

/* One plan per inventory host (in inventory order) with the roles apply gives it; hosts without roles dropped. */
static int build_plans(struct run *run, const struct inventory *inv, struct lerr *err)
{
	const struct inv_host **limited = NULL, **selected = NULL;
	size_t limited_count = 0, selected_count = 0, a, i, r, kept = 0;
	int rc = -1;

	run->plans = xcalloc(inv->host_count + 1, sizeof(*run->plans));
	for (i = 0; i < inv->host_count; i++)
		run->plans[i].host = &inv->hosts[i];
	if (run->opts->limit != NULL && inv_select(inv, run->opts->limit, &limited, &limited_count, err) != 0) {
		lerr_prefix(err, "--limit");
		goto out;
	}
	for (a = 0; a < run->site->apply_count; a++) {
		const struct site_apply *apply = &run->site->apply[a];

		free(selected);
		selected = NULL;
		if (inv_select(inv, apply->hosts, &selected, &selected_count, err) != 0) {
			lerr_prefix(err, "%s: hosts", apply->where);
			goto out;
		}
		for (i = 0; i < selected_count; i++) {
			struct host_plan *plan = &run->plans[selected[i] - inv->hosts];

			if (limited != NULL && !in_list(limited, limited_count, selected[i]))
				continue;
			for (r = 0; r < apply->role_count; r++)
				plan_add_role(plan, role_find(run->site, apply->roles[r]));
		}
	}
	for (i = 0; i < inv->host_count; i++) {
		if (run->plans[i].role_count == 0)
			continue;
		if (kept != i) {
			run->plans[kept] = run->plans[i];
			memset(&run->plans[i], 0, sizeof(run->plans[i]));
		}
		kept++;
	}
	run->plan_count = kept;
	rc = 0;
out:
	free(limited);
	free(selected);
	return rc;
}

/* runs/20261123T101500Z (then -2, -3 ... when a run in the same second took the name). */
static int make_run_dir(struct run *run, struct lerr *err)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (fs_mkdir_p(run->opts->log_dir, err) != 0)
		return -1;
	for (n = 1; n < 100; n++) {
		free(run->run_dir);
		run->run_dir = n == 1 ? xasprintf("%s/%s", run->opts->log_dir, stamp)
				      : xasprintf("%s/%s-%d", run->opts->log_dir, stamp, n);
		if (mkdir(run->run_dir, 0755) == 0)
			return 0;
		if (errno != EEXIST)
			return lerr_sys(err, "cannot create the log directory '%s'", run->run_dir);
	}
	return lerr_set(err, LADING_ERR_SYSTEM, "cannot create a log directory under '%s': too many runs this second",
			run->opts->log_dir);
}

static json_t *counts_json(const struct host_plan *plan)
{
	return json_pack("{s:i, s:i, s:i, s:i, s:i}", "ok", plan->counts[STEP_STATUS_OK], "changed",
			 plan->counts[STEP_STATUS_CHANGED], "skipped", plan->counts[STEP_STATUS_SKIPPED], "failed",
			 plan->counts[STEP_STATUS_FAILED], "unreachable", plan->counts[STEP_STATUS_UNREACHABLE]);
}

/* Hosts that did fine first, failed and unreachable ones last (each group in inventory order). */
static void print_recap(struct run *run)
{
	FILE *out = run->opts->out;
	json_t *recap = json_object();
	size_t i;
	int pass;

	if (!run->opts->json)
		fprintf(out, "\nPLAY RECAP%s\n", run->opts->check ? " (check mode: nothing was changed)" : "");
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < run->plan_count; i++) {
			const struct host_plan *plan = &run->plans[i];

			if ((plan->status != HOST_OK) != pass)
				continue;
			if (run->opts->json) {
				json_object_set_new(recap, plan->host->name, counts_json(plan));
				continue;
			}
			fprintf(out, "%-24s ok=%-4d changed=%-4d skipped=%-4d failed=%-4d unreachable=%d%s\n",
				plan->host->name, plan->counts[STEP_STATUS_OK], plan->counts[STEP_STATUS_CHANGED],
				plan->counts[STEP_STATUS_SKIPPED], plan->counts[STEP_STATUS_FAILED],
				plan->counts[STEP_STATUS_UNREACHABLE],
				plan->status == HOST_FAILED	   ? "  FAILED"
				: plan->status == HOST_UNREACHABLE ? "  UNREACHABLE"
								   : "");
		}
	if (run->opts->json) {
		json_t *line = json_pack("{s:o}", "recap", recap);
		char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);

		fprintf(out, "%s\n", text != NULL ? text : "{}");
		free(text);
		json_decref(line);
	} else {
		json_decref(recap);
	}
	fflush(out);
}

int run_site(const struct site *site, const struct inventory *inv, const struct run_opts *opts, int *failed_hosts,
	     struct lerr *err)
{
	struct run run = {0};
	struct pool_opts popts = {0};
	uint64_t hashed, reused;
	size_t i;
	int rc = -1;

	run.site = site;
	run.opts = opts;
	run.digests = digest_memo_new();
	pthread_mutex_init(&run.lock, NULL);
	*failed_hosts = 0;
	if (build_plans(&run, inv, err) != 0 || make_run_dir(&run, err) != 0)
		goto out;
	log_msg(opts->lg, LOG_INFO, "%zu hosts, logs in %s/", run.plan_count, run.run_dir);
	popts.workers = opts->forks > 0 ? opts->forks : 32;
	popts.mode = POOL_KEEP_GOING;
	popts.run = run_host;
	popts.ctx = &run;
	if (pool_run_each(&popts, run.plans, run.plan_count, sizeof(*run.plans), err) != 0)
		goto out;
	print_recap(&run);
	digest_memo_counts(run.digests, &hashed, &reused);
	log_msg(opts->lg, LOG_VERBOSE, "sources hashed: %llu, reused for other hosts: %llu", (unsigned long long)hashed,
		(unsigned long long)reused);
	for (i = 0; i < run.plan_count; i++)
		if (run.plans[i].status != HOST_OK)
			(*failed_hosts)++;
	rc = 0;
out:
	for (i = 0; run.plans != NULL && i < inv->host_count; i++)
		free(run.plans[i].roles);
	free(run.plans);
	free(run.run_dir);
	digest_memo_free(run.digests);
	pthread_mutex_destroy(&run.lock);
	return rc;
}
