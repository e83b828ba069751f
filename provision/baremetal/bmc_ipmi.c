/* IPMI 2.0 LAN power and boot device through libfreeipmi (see bmc_ipmi.h). */
#include "provision/baremetal/bmc_ipmi.h"

#ifdef LADING_NO_IPMI
/* Built with IPMI=0 (the static release binary, whose libraries have no FreeIPMI yet): every node says so. */
static int built_without(const struct ipmi_bmc *bmc, struct lerr *err)
{
	return lerr_set(err, LADING_ERR_USAGE,
			"%s (ipmi): this lading was built without IPMI (make IPMI=0): use a build with libfreeipmi, "
			"or the node's Redfish BMC",
			bmc->what);
}

int ipmi_bmc_power_get(const struct ipmi_bmc *bmc, int *on, struct lerr *err)
{
	*on = 0;
	return built_without(bmc, err);
}

int ipmi_bmc_power_set(const struct ipmi_bmc *bmc, enum ipmi_power_op op, struct lerr *err)
{
	(void)op;
	return built_without(bmc, err);
}

int ipmi_bmc_boot_once(const struct ipmi_bmc *bmc, enum ipmi_boot_device dev, int efi, struct lerr *err)
{
	(void)dev;
	(void)efi;
	return built_without(bmc, err);
}
#else
#include <freeipmi/freeipmi.h>
#include <stdint.h>
#include <string.h>

#define IPMI_DEFAULT_TIMEOUT_MS 10000u
#define IPMI_RETRANSMIT_MS 1000u

/* The error class of a failed open or command, from libfreeipmi's error number. */
static int error_code(int errnum)
{
	switch (errnum) {
	case IPMI_ERR_USERNAME_INVALID:
	case IPMI_ERR_PASSWORD_INVALID:
	case IPMI_ERR_K_G_INVALID:
	case IPMI_ERR_PRIVILEGE_LEVEL_INSUFFICIENT:
	case IPMI_ERR_PRIVILEGE_LEVEL_CANNOT_BE_OBTAINED:
	case IPMI_ERR_AUTHENTICATION_TYPE_UNAVAILABLE:
	case IPMI_ERR_CIPHER_SUITE_ID_UNAVAILABLE:
		return LADING_ERR_AUTH;
	case IPMI_ERR_CONNECTION_TIMEOUT:
	case IPMI_ERR_SESSION_TIMEOUT:
	case IPMI_ERR_BAD_COMPLETION_CODE:
	case IPMI_ERR_IPMI_ERROR:
		return LADING_ERR_NETWORK;
	case IPMI_ERR_HOSTNAME_INVALID:
		return LADING_ERR_USAGE;
	default:
		return LADING_ERR_NETWORK;
	}
}

/* "WHAT (ipmi): DOING: libfreeipmi's message", with a hint for the cases an installer can act on. */
static int ipmi_fail(const struct ipmi_bmc *bmc, ipmi_ctx_t ctx, const char *doing, struct lerr *err)
{
	int errnum = ipmi_ctx_errnum(ctx), code = error_code(errnum);
	const char *hint = code == LADING_ERR_AUTH ? " (check the user, the password and that the user may log in "
						     "over LAN as administrator)"
			   : errnum == IPMI_ERR_SESSION_TIMEOUT || errnum == IPMI_ERR_CONNECTION_TIMEOUT
			       ? " (check the address, that IPMI over LAN is enabled and that UDP 623 is reachable)"
			       : "";

	return lerr_set(err, code, "%s (ipmi): %s: %s%s", bmc->what, doing, ipmi_ctx_errormsg(ctx), hint);
}

static int try_open(const struct ipmi_bmc *bmc, ipmi_ctx_t ctx, unsigned int workarounds)
{
	unsigned int timeout = bmc->timeout_ms ? bmc->timeout_ms : IPMI_DEFAULT_TIMEOUT_MS;

	return ipmi_ctx_open_outofband_2_0(ctx, bmc->host, bmc->user, bmc->password, NULL, 0,
					   IPMI_PRIVILEGE_LEVEL_ADMIN, (uint8_t)bmc->cipher_suite, timeout,
					   IPMI_RETRANSMIT_MS, workarounds, IPMI_FLAGS_DEFAULT);
}

static int session_open(const struct ipmi_bmc *bmc, ipmi_ctx_t *out, struct lerr *err)
{
	ipmi_ctx_t ctx = ipmi_ctx_create();
	int r;

	if (ctx == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s (ipmi): out of memory", bmc->what);
	r = try_open(bmc, ctx, bmc->workarounds);
	/*
	 * Some BMCs (OpenIPMI's ipmi_sim among them) refuse the privilege named in the RMCP+ Open Session
	 * Request and grant it only when asked for "the highest the user has": FreeIPMI's "opensesspriv"
	 * workaround, tried once before giving up.
	 */
	if (r < 0 && ipmi_ctx_errnum(ctx) == IPMI_ERR_PRIVILEGE_LEVEL_CANNOT_BE_OBTAINED &&
	    !(bmc->workarounds & IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_OPEN_SESSION_PRIVILEGE)) {
		ipmi_ctx_destroy(ctx);
		if ((ctx = ipmi_ctx_create()) == NULL)
			return lerr_set(err, LADING_ERR_SYSTEM, "%s (ipmi): out of memory", bmc->what);
		r = try_open(bmc, ctx, bmc->workarounds | IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_OPEN_SESSION_PRIVILEGE);
	}
	if (r < 0) {
		ipmi_fail(bmc, ctx, "cannot open a session", err);
		ipmi_ctx_destroy(ctx);
		return -1;
	}
	*out = ctx;
	return 0;
}

static void session_close(ipmi_ctx_t ctx)
{
	ipmi_ctx_close(ctx);
	ipmi_ctx_destroy(ctx);
}

/* A session and an empty reply object of tmpl for one command; both freed by command_end. */
static int command_begin(const struct ipmi_bmc *bmc, fiid_template_t tmpl, ipmi_ctx_t *ctx, fiid_obj_t *rs,
			 struct lerr *err)
{
	if (session_open(bmc, ctx, err) != 0)
		return -1;
	if ((*rs = fiid_obj_create(tmpl)) == NULL) {
		session_close(*ctx);
		return lerr_set(err, LADING_ERR_SYSTEM, "%s (ipmi): out of memory", bmc->what);
	}
	return 0;
}

static void command_end(ipmi_ctx_t ctx, fiid_obj_t rs)
{
	fiid_obj_destroy(rs);
	session_close(ctx);
}

int ipmi_bmc_power_get(const struct ipmi_bmc *bmc, int *on, struct lerr *err)
{
	ipmi_ctx_t ctx;
	fiid_obj_t rs;
	uint64_t value = 0;
	int r = -1;

	if (command_begin(bmc, tmpl_cmd_get_chassis_status_rs, &ctx, &rs, err) != 0)
		return -1;
	if (ipmi_cmd_get_chassis_status(ctx, rs) < 0) {
		ipmi_fail(bmc, ctx, "Get Chassis Status", err);
		goto out;
	}
	if (fiid_obj_get(rs, "current_power_state.power_is_on", &value) < 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s (ipmi): Get Chassis Status: no power state in the reply",
			 bmc->what);
		goto out;
	}
	*on = value != 0;
	r = 0;
out:
	command_end(ctx, rs);
	return r;
}

int ipmi_bmc_power_set(const struct ipmi_bmc *bmc, enum ipmi_power_op op, struct lerr *err)
{
	static const uint8_t control[] = {
	    [IPMI_POWER_ON] = IPMI_CHASSIS_CONTROL_POWER_UP,
	    [IPMI_POWER_OFF] = IPMI_CHASSIS_CONTROL_POWER_DOWN,
	    [IPMI_POWER_SOFT] = IPMI_CHASSIS_CONTROL_INITIATE_SOFT_SHUTDOWN,
	    [IPMI_POWER_CYCLE] = IPMI_CHASSIS_CONTROL_POWER_CYCLE,
	    [IPMI_POWER_RESET] = IPMI_CHASSIS_CONTROL_HARD_RESET,
	};
	ipmi_ctx_t ctx;
	fiid_obj_t rs;
	int r = -1;

	if (command_begin(bmc, tmpl_cmd_chassis_control_rs, &ctx, &rs, err) != 0)
		return -1;
	if (ipmi_cmd_chassis_control(ctx, control[op], rs) < 0) {
		ipmi_fail(bmc, ctx, "Chassis Control", err);
		goto out;
	}
	r = 0;
out:
	command_end(ctx, rs);
	return r;
}

int ipmi_bmc_boot_once(const struct ipmi_bmc *bmc, enum ipmi_boot_device dev, int efi, struct lerr *err)
{
	static const uint8_t device[] = {
	    [IPMI_BOOT_PXE] = IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_BOOT_DEVICE_FORCE_PXE,
	    [IPMI_BOOT_CDROM] = IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_BOOT_DEVICE_FORCE_CD_DVD,
	    [IPMI_BOOT_DISK] = IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_BOOT_DEVICE_FORCE_HARD_DRIVE,
	};
	ipmi_ctx_t ctx;
	fiid_obj_t rs;
	int r = -1;

	if (command_begin(bmc, tmpl_cmd_set_system_boot_options_rs, &ctx, &rs, err) != 0)
		return -1;
	/* Valid for the next boot only: the BMC clears it after one boot, so a later reboot takes the disk. */
	if (ipmi_cmd_set_system_boot_options_boot_flags(
		ctx, IPMI_SYSTEM_BOOT_OPTIONS_PARAMETER_VALID_UNLOCKED,
		efi ? IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_BOOT_TYPE_EFI
		    : IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_BOOT_TYPE_PC_COMPATIBLE,
		IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_VALID_FOR_NEXT_BOOT, IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_VALID,
		IPMI_SYSTEM_BOOT_OPTION_DISABLE, IPMI_SYSTEM_BOOT_OPTION_DISABLE, device[dev],
		IPMI_SYSTEM_BOOT_OPTION_DISABLE, IPMI_SYSTEM_BOOT_OPTION_DISABLE,
		IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_CONSOLE_REDIRECTION_DEFAULT, IPMI_SYSTEM_BOOT_OPTION_DISABLE,
		IPMI_SYSTEM_BOOT_OPTION_DISABLE, IPMI_SYSTEM_BOOT_OPTION_DISABLE,
		IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAG_FIRMWARE_BIOS_VERBOSITY_DEFAULT, IPMI_SYSTEM_BOOT_OPTION_DISABLE,
		IPMI_SYSTEM_BOOT_OPTION_BOOT_FLAGS_SET_MUX_TO_RECOMENDED_AT_END_OF_POST,
		IPMI_SYSTEM_BOOT_OPTION_DISABLE, 0, rs) < 0) {
		ipmi_fail(bmc, ctx, "Set System Boot Options (boot flags)", err);
		goto out;
	}
	r = 0;
out:
	command_end(ctx, rs);
	return r;
}
#endif
