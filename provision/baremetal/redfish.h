#ifndef LADING_PROVISION_BAREMETAL_REDFISH_H
#define LADING_PROVISION_BAREMETAL_REDFISH_H

/*
 * A Redfish client for one node's BMC (DMTF DSP0266 protocol, DSP0268
 * schema) on lib/http.h: TLS always verified, a session (X-Auth-Token,
 * logged out on close) or Basic auth when the BMC has no session service,
 * the ComputerSystem and its Manager found from the service root,
 * ComputerSystem.Reset, the one-time boot override with If-Match, and the
 * virtual CD/DVD drive (redfish_media.c).
 * Errors carry the BMC's @Message.ExtendedInfo Message, on one line.
 * One client per thread.
 */
#include "lib/err.h"
#include "lib/log.h"

struct rf_client;

struct rf_opts {
	const char *url;       /* "https://host[:port]" */
	const char *ca_file;   /* PEM bundle for the BMC's certificate, or NULL: the system's store */
	const char *user;      /* kept by the client only until rf_open returns */
	const char *password;  /* likewise; wiped from every request buffer */
	const char *system_id; /* the ComputerSystem's Id, or NULL when the BMC has exactly one */
	const struct logger *lg;
};

/* Logs in and finds the system and its manager. Close with rf_close (also after a failure: *out stays NULL). */
int rf_open(const struct rf_opts *opts, struct rf_client **out, struct lerr *err);

/* Logs out (DELETE of the session) and frees; accepts NULL. */
void rf_close(struct rf_client *client);

/* Reads the system again: its PowerState, reset types, boot override and ETag. */
int rf_refresh(struct rf_client *client, struct lerr *err);

/* The PowerState of the last read ("On", "Off", "PoweringOn", ...; "" when the BMC gave none). */
const char *rf_power_state(const struct rf_client *client);

/*
 * Whether the system accepts this ResetType. A system that lists no
 * ResetType@Redfish.AllowableValues is taken to accept every type.
 */
int rf_reset_allowed(const struct rf_client *client, const char *reset_type);

/* POSTs ComputerSystem.Reset with reset_type. */
int rf_reset(struct rf_client *client, const char *reset_type, struct lerr *err);

/*
 * Sets the one-time boot override: BootSourceOverrideEnabled Once, the target
 * ("Pxe", "Cd"), BootSourceOverrideMode UEFI or Legacy; with If-Match when the
 * BMC gave an ETag, read again and repeated once on 412.
 */
int rf_boot_once(struct rf_client *client, const char *target, int uefi, struct lerr *err);

/*
 * Finds the node's virtual CD/DVD drive: the first VirtualMedia member whose
 * MediaTypes has CD or DVD, under the ComputerSystem (DSP0268 2021.1 and
 * later) or else under its Manager, and reads it.
 */
int rf_media_find(struct rf_client *client, struct lerr *err);

/* After rf_media_find: whether a medium is inserted, and its Image ("" when the BMC names none). */
int rf_media_inserted(const struct rf_client *client);
const char *rf_media_image(const struct rf_client *client);

/* VirtualMedia.InsertMedia with Image url (write-protected), then reads the drive again. */
int rf_media_insert(struct rf_client *client, const char *url, struct lerr *err);

/* VirtualMedia.EjectMedia, then reads the drive again. */
int rf_media_eject(struct rf_client *client, struct lerr *err);

/* The paths found by rf_open: the ComputerSystem and its Manager ("" when the system names none). */
const char *rf_system_path(const struct rf_client *client);
const char *rf_manager_path(const struct rf_client *client);

/* How the client authenticated: "session" or "basic". */
const char *rf_auth_kind(const struct rf_client *client);

#endif
