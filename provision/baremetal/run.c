#include "provision/baremetal/run.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/pool.h"
#include "lib/xmalloc.h"
#include "provision/baremetal/redfish.h"

/* How often a node's PowerState is read while waiting for it to change. */
#define BM_POLL_MS 250

void bm_pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/*
 * A Reset is accepted before it is done (DSP0268: PowerState passes through
 * PoweringOn/PoweringOff), so the outcome is what the BMC reports afterwards.
 */
static int wait_power(struct rf_client *c, const char *want, const char *reset_type, long timeout_s, struct lerr *err)
{
	double deadline = log_now() + (double)timeout_s;

	for (;;) {
		if (rf_refresh(c, err) != 0)
			return -1;
		if (strcmp(rf_power_state(c), want) == 0)
			return 0;
		if (log_now() >= deadline)
			return lerr_set(err, LADING_ERR_NETWORK, "PowerState is still '%s' %ld s after ResetType %s",
					rf_power_state(c), timeout_s, reset_type);
		bm_pause_ms(BM_POLL_MS);
	}
}

static int reset_and_wait(const struct bm_run *run, struct rf_client *c, struct bm_result *res, const char *type,
			  const char *want, struct lerr *err)
{
	log_msg(run->lg, LOG_VERBOSE, "%s: ResetType %s", rf_system_path(c), type);
	res->action = type;
	res->changed = 1;
	if (rf_reset(c, type, err) != 0)
		return -1;
	return wait_power(c, want, type, run->timeout_s, err);
}

static const char *first_allowed(const struct rf_client *c, const char *const *types)
{
	for (; *types != NULL; types++)
		if (rf_reset_allowed(c, *types))
			return *types;
	return NULL;
}

static int power_off(const struct bm_run *run, struct rf_client *c, struct bm_result *res, struct lerr *err)
{
	static const char *const hard[] = {"ForceOff", "GracefulShutdown", NULL};
	const char *type;

	if (run->graceful && rf_reset_allowed(c, "GracefulShutdown")) {
		if (reset_and_wait(run, c, res, "GracefulShutdown", "Off", err) == 0)
			return 0;
		if (!rf_reset_allowed(c, "ForceOff"))
			return -1;
		/* A machine without an OS, or one that hangs, ignores the ACPI request. */
		log_msg(run->lg, LOG_INFO, "%s: %s: ForceOff", rf_system_path(c), err->msg);
		if (reset_and_wait(run, c, res, "ForceOff", "Off", err) != 0)
			return -1;
		res->action = "GracefulShutdown+ForceOff";
		return 0;
	}
	if ((type = first_allowed(c, hard)) == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "the BMC offers neither ForceOff nor GracefulShutdown");
	return reset_and_wait(run, c, res, type, "Off", err);
}

static int power_cycle(const struct bm_run *run, struct rf_client *c, struct bm_result *res, struct lerr *err)
{
	static const char *const cycles[] = {"PowerCycle", "ForceRestart", NULL};
	const char *type;

	/* A node that is off has nothing to cycle: it is powered on. */
	if (strcmp(rf_power_state(c), "Off") != 0 && (type = first_allowed(c, cycles)) != NULL)
		return reset_and_wait(run, c, res, type, "On", err);
	if (strcmp(rf_power_state(c), "Off") != 0) {
		if (!rf_reset_allowed(c, "ForceOff"))
			return lerr_set(err, LADING_ERR_FORMAT,
					"the BMC offers no PowerCycle, ForceRestart or ForceOff");
		if (reset_and_wait(run, c, res, "ForceOff", "Off", err) != 0)
			return -1;
	}
	if (!rf_reset_allowed(c, "On"))
		return lerr_set(err, LADING_ERR_FORMAT, "the BMC offers no ResetType On");
	return reset_and_wait(run, c, res, "On", "On", err);
}

/* Idempotent: the image already in the drive stays; another one is ejected first. */
static int media_insert(const struct bm_run *run, struct rf_client *c, struct bm_result *res, struct lerr *err)
{
	if (rf_media_find(c, err) != 0)
		return -1;
	if (rf_media_inserted(c) && strcmp(rf_media_image(c), run->media_url) == 0)
		return 0;
	res->changed = 1;
	res->action = "InsertMedia";
	if (rf_media_inserted(c)) {
		log_msg(run->lg, LOG_VERBOSE, "%s: ejecting '%s'", rf_system_path(c), rf_media_image(c));
		res->action = "EjectMedia+InsertMedia";
		if (rf_media_eject(c, err) != 0)
			return -1;
	}
	if (rf_media_insert(c, run->media_url, err) != 0)
		return -1;
	if (!rf_media_inserted(c))
		return lerr_set(err, LADING_ERR_FORMAT, "the BMC accepted InsertMedia but reports no medium inserted");
	return 0;
}

static int media_eject(struct rf_client *c, struct bm_result *res, struct lerr *err)
{
	if (rf_media_find(c, err) != 0)
		return -1;
	if (!rf_media_inserted(c))
		return 0;
	res->changed = 1;
	res->action = "EjectMedia";
	if (rf_media_eject(c, err) != 0)
		return -1;
	if (rf_media_inserted(c))
		return lerr_set(err, LADING_ERR_FORMAT,
				"the BMC accepted EjectMedia but still reports a medium inserted");
	return 0;
}

/* Power off, the one-time boot override, the image, power on: the node boots what lading chose. */
static int up_boot(const struct bm_run *run, struct rf_client *c, struct bm_result *res, struct lerr *err)
{
	const char *target = run->media_url != NULL ? "Cd" : "Pxe";

	if (strcmp(rf_power_state(c), "Off") != 0 && power_off(run, c, res, err) != 0)
		return -1;
	log_msg(run->lg, LOG_VERBOSE, "%s: boot once from %s (%s)", rf_system_path(c), target,
		run->uefi ? "UEFI" : "Legacy");
	if (rf_boot_once(c, target, run->uefi, err) != 0 ||
	    (run->media_url != NULL && media_insert(run, c, res, err) != 0))
		return -1;
	if (!rf_reset_allowed(c, "On"))
		return lerr_set(err, LADING_ERR_FORMAT, "the BMC offers no ResetType On");
	if (reset_and_wait(run, c, res, "On", "On", err) != 0)
		return -1;
	res->action = target;
	return 0;
}

static int act(const struct bm_run *run, struct rf_client *c, struct bm_result *res, struct lerr *err)
{
	const char *power = rf_power_state(c);

	switch (run->action) {
	case BM_POWER_STATUS:
		return 0;
	case BM_POWER_ON:
		if (strcmp(power, "On") == 0)
			return 0;
		if (!rf_reset_allowed(c, "On"))
			return lerr_set(err, LADING_ERR_FORMAT, "the BMC offers no ResetType On");
		return reset_and_wait(run, c, res, "On", "On", err);
	case BM_POWER_OFF:
		if (strcmp(power, "Off") == 0)
			return 0;
		return power_off(run, c, res, err);
	case BM_POWER_CYCLE:
		return power_cycle(run, c, res, err);
	case BM_BOOT_ONCE:
		res->action = run->boot_target;
		res->changed = 1;
		return rf_boot_once(c, run->boot_target, run->uefi, err);
	case BM_MEDIA_INSERT:
		return media_insert(run, c, res, err);
	case BM_MEDIA_EJECT:
		return media_eject(c, res, err);
	case BM_UP_BOOT:
		return up_boot(run, c, res, err);
	}
	return 0;
}

int bm_node_work(const struct bm_run *run, const struct bm_node *node, struct bm_result *res, struct lerr *err)
{
	struct rf_opts opts;
	struct rf_client *client = NULL;
	char *user = NULL, *password = NULL;
	int r = -1;

	if (node->protocol == BM_PROTOCOL_IPMI)
		return bm_ipmi_work(run, node, res, err);
	if (bm_node_credentials(node, &user, &password, err) != 0)
		return -1;
	memset(&opts, 0, sizeof(opts));
	opts.url = node->bmc;
	opts.ca_file = node->ca_file;
	opts.user = user;
	opts.password = password;
	opts.system_id = node->system;
	opts.lg = run->lg;
	r = rf_open(&opts, &client, err);
	OPENSSL_cleanse(password, strlen(password));
	free(password);
	free(user);
	if (r != 0)
		return -1;
	log_msg(run->lg, LOG_VERBOSE, "%s: %s%s (%s auth)", node->name, node->bmc, rf_system_path(client),
		rf_auth_kind(client));
	r = act(run, client, res, err);
	snprintf(res->power, sizeof(res->power), "%s", rf_power_state(client));
	for (size_t i = 0; res->power[i] != '\0'; i++) /* the BMC's word, printed as a column */
		if ((unsigned char)res->power[i] <= ' ' || res->power[i] == 0x7f)
			res->power[i] = '?';
	rf_close(client);
	return r;
}

struct each {
	bm_node_fn fn;
	void *ctx;
	int *failed; /* one flag per site node: each job writes its own */
};

static int each_job(void *job, size_t worker, void *ctx, struct lerr *unused)
{
	struct each *each = ctx;
	size_t index = *(size_t *)job;

	(void)worker;
	(void)unused;
	each->failed[index] = each->fn(each->ctx, index) != 0;
	return 0;
}

int bm_each_selected(const struct bm_site *site, const int *selected, long jobs, bm_node_fn fn, void *ctx,
		     size_t *failures, struct lerr *err)
{
	struct pool_opts opts;
	struct each each = {fn, ctx, xcalloc(site->node_count + 1, sizeof(int))};
	size_t *indexes = xcalloc(site->node_count + 1, sizeof(size_t));
	size_t count = 0, i;
	int r;

	for (i = 0; i < site->node_count; i++)
		if (selected[i])
			indexes[count++] = i;
	memset(&opts, 0, sizeof(opts));
	opts.workers = (int)jobs;
	opts.mode = POOL_KEEP_GOING;
	opts.run = each_job;
	opts.ctx = &each;
	r = pool_run_each(&opts, indexes, count, sizeof(size_t), err);
	*failures = 0;
	for (i = 0; i < site->node_count; i++)
		*failures += each.failed[i] ? 1 : 0;
	free(indexes);
	free(each.failed);
	return r;
}

static int node_job(void *ctx, size_t index)
{
	struct bm_run *run = ctx;
	const struct bm_node *node = &run->site->nodes[index];
	struct bm_result *res = &run->results[index];
	struct lerr err;

	lerr_clear(&err);
	res->done = 1;
	if (bm_node_work(run, node, res, &err) != 0) {
		res->failed = 1;
		res->status = "failed";
		snprintf(res->error, sizeof(res->error), "%s", err.msg);
		return -1;
	}
	if (run->action == BM_POWER_STATUS)
		res->status = strcmp(res->power, "On") == 0 ? "on" : strcmp(res->power, "Off") == 0 ? "off" : "unknown";
	else if (run->action == BM_BOOT_ONCE)
		res->status = "set";
	else if (run->action == BM_MEDIA_INSERT)
		res->status = res->changed ? "inserted" : "already-inserted";
	else if (run->action == BM_MEDIA_EJECT)
		res->status = res->changed ? "ejected" : "already-ejected";
	else if (!res->changed)
		res->status = strcmp(res->power, "On") == 0 ? "already-on" : "already-off";
	else
		res->status = strcmp(res->power, "On") == 0 ? "powered-on" : "powered-off";
	return 0;
}

int bm_run_nodes(struct bm_run *run, struct lerr *err)
{
	run->results = xcalloc(run->site->node_count + 1, sizeof(*run->results));
	return bm_each_selected(run->site, run->selected, run->jobs, node_job, run, &run->failures, err);
}

void bm_run_free(struct bm_run *run)
{
	free(run->results);
	run->results = NULL;
}
