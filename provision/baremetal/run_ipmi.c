/* One baremetal action on a node whose BMC speaks IPMI (see run.h, bmc_ipmi.h). */
#include "provision/baremetal/run.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "provision/baremetal/bmc_ipmi.h"

/* How often the chassis power is read while waiting for it to change. */
#define IPMI_POLL_MS 500

struct ipmi_node {
	const struct bm_run *run;
	struct ipmi_bmc bmc;
	struct bm_result *res;
	int on;
};

static int read_power(struct ipmi_node *n, struct lerr *err)
{
	if (ipmi_bmc_power_get(&n->bmc, &n->on, err) != 0)
		return -1;
	snprintf(n->res->power, sizeof(n->res->power), "%s", n->on ? "On" : "Off");
	return 0;
}

/* Chassis Control is answered before the chassis has changed: the outcome is what it reports afterwards. */
static int control_and_wait(struct ipmi_node *n, enum ipmi_power_op op, const char *name, int want_on, struct lerr *err)
{
	double deadline = log_now() + (double)n->run->timeout_s;

	log_msg(n->run->lg, LOG_VERBOSE, "%s: chassis control %s", n->bmc.what, name);
	n->res->action = name;
	n->res->changed = 1;
	if (ipmi_bmc_power_set(&n->bmc, op, err) != 0)
		return -1;
	for (;;) {
		if (read_power(n, err) != 0)
			return -1;
		if (n->on == want_on)
			return 0;
		if (log_now() >= deadline)
			return lerr_set(err, LADING_ERR_NETWORK, "%s (ipmi): the chassis is still %s %ld s after %s",
					n->bmc.what, n->on ? "on" : "off", n->run->timeout_s, name);
		bm_pause_ms(IPMI_POLL_MS);
	}
}

static int power_off(struct ipmi_node *n, struct lerr *err)
{
	if (!n->on)
		return 0;
	if (n->run->graceful) {
		if (control_and_wait(n, IPMI_POWER_SOFT, "soft", 0, err) == 0)
			return 0;
		/* A machine without an OS, or one that hangs, ignores the ACPI request. */
		log_msg(n->run->lg, LOG_INFO, "%s: power down", err->msg);
		if (control_and_wait(n, IPMI_POWER_OFF, "off", 0, err) != 0)
			return -1;
		n->res->action = "soft+off";
		return 0;
	}
	return control_and_wait(n, IPMI_POWER_OFF, "off", 0, err);
}

static int act(struct ipmi_node *n, struct lerr *err)
{
	const struct bm_run *run = n->run;

	switch (run->action) {
	case BM_POWER_STATUS:
		return 0;
	case BM_POWER_ON:
		return n->on ? 0 : control_and_wait(n, IPMI_POWER_ON, "on", 1, err);
	case BM_POWER_OFF:
		return power_off(n, err);
	case BM_POWER_CYCLE:
		/* A node that is off has nothing to cycle: it is powered on. */
		return control_and_wait(n, n->on ? IPMI_POWER_CYCLE : IPMI_POWER_ON, n->on ? "cycle" : "on", 1, err);
	case BM_BOOT_ONCE:
		n->res->action = strcmp(run->boot_target, "Pxe") == 0 ? "pxe" : "cdrom";
		n->res->changed = 1;
		return ipmi_bmc_boot_once(
		    &n->bmc, strcmp(run->boot_target, "Pxe") == 0 ? IPMI_BOOT_PXE : IPMI_BOOT_CDROM, run->uefi, err);
	case BM_UP_BOOT:
		/* The site's PXE service hands the node its image: IPMI cannot insert media. */
		if (power_off(n, err) != 0 || ipmi_bmc_boot_once(&n->bmc, IPMI_BOOT_PXE, run->uefi, err) != 0 ||
		    control_and_wait(n, IPMI_POWER_ON, "on", 1, err) != 0)
			return -1;
		n->res->action = "pxe";
		return 0;
	case BM_MEDIA_INSERT:
	case BM_MEDIA_EJECT:
		return lerr_set(err, LADING_ERR_USAGE,
				"%s: IPMI has no virtual media: boot the node from the network (boot pxe) or give it a "
				"Redfish BMC",
				n->bmc.what);
	}
	return 0;
}

int bm_ipmi_work(const struct bm_run *run, const struct bm_node *node, struct bm_result *res, struct lerr *err)
{
	struct ipmi_node n;
	char *user = NULL, *password = NULL, *what;
	int r;

	if (bm_node_credentials(node, &user, &password, err) != 0)
		return -1;
	what = xasprintf("BMC %s", node->bmc);
	memset(&n, 0, sizeof(n));
	n.run = run;
	n.res = res;
	n.bmc = (struct ipmi_bmc){node->bmc, user, password, what, 0, 3, 0};
	r = read_power(&n, err);
	if (r == 0)
		r = act(&n, err);
	OPENSSL_cleanse(password, strlen(password));
	free(password);
	free(user);
	free(what);
	return r;
}
