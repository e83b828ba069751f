#ifndef LADING_PROVISION_BAREMETAL_BMC_IPMI_H
#define LADING_PROVISION_BAREMETAL_BMC_IPMI_H

/*
 * A BMC over IPMI 2.0 LAN (RMCP+, "lanplus") through FreeIPMI's libfreeipmi, not protocol code of our own
 * (issue 19): chassis power and the one-time boot device. Each call opens one authenticated session at
 * ADMINISTRATOR privilege, sends its commands and closes it; nothing is kept between calls.
 */
#include "lib/err.h"

struct ipmi_bmc {
	const char *host;	   /* "ADDRESS" or "ADDRESS:PORT" (default port 623) */
	const char *user;	   /* may be "" (the anonymous user) */
	const char *password;	   /* never logged */
	const char *what;	   /* "BMC HOST", the start of every message */
	unsigned int timeout_ms;   /* session timeout; 0 = 10 s */
	unsigned int cipher_suite; /* RMCP+ cipher suite id; 3 (HMAC-SHA1, AES-CBC-128) is what most BMCs take */
	unsigned int workarounds;  /* FreeIPMI's IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_* for odd BMCs; usually 0 */
};

enum ipmi_power_op {
	IPMI_POWER_ON,
	IPMI_POWER_OFF,	  /* immediate, like pulling the cord */
	IPMI_POWER_SOFT,  /* ask the OS to shut down (ACPI) */
	IPMI_POWER_CYCLE, /* off, then on */
	IPMI_POWER_RESET, /* hard reset */
};

enum ipmi_boot_device { IPMI_BOOT_PXE, IPMI_BOOT_CDROM, IPMI_BOOT_DISK };

/* *on = 1 when the chassis reports power on. LADING_ERR_AUTH for refused credentials, NETWORK for no answer. */
int ipmi_bmc_power_get(const struct ipmi_bmc *bmc, int *on, struct lerr *err);

/* Chassis Control with op. */
int ipmi_bmc_power_set(const struct ipmi_bmc *bmc, enum ipmi_power_op op, struct lerr *err);

/* The boot device for the next boot only (boot flags valid, not persistent), UEFI when efi is set. */
int ipmi_bmc_boot_once(const struct ipmi_bmc *bmc, enum ipmi_boot_device dev, int efi, struct lerr *err);

#endif
