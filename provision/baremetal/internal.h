#ifndef LADING_PROVISION_BAREMETAL_INTERNAL_H
#define LADING_PROVISION_BAREMETAL_INTERNAL_H

/* Shared by redfish.c and redfish_media.c only. */
#include <jansson.h>

#include "lib/http.h"
#include "provision/baremetal/redfish.h"

struct rf_client {
	struct http_session *http;
	struct http_tls tls;
	char *base;	    /* https://host[:port] */
	char *token_header; /* "X-Auth-Token: ..." (a secret), or NULL */
	char *session_url;  /* the session to DELETE on close */
	char *basic;	    /* "Basic ..." (a secret) when there is no session */
	char *system_path;
	char *manager_path;
	json_t *system; /* the last read of the ComputerSystem */
	char *etag;
	char *media_path; /* the virtual CD/DVD drive, once rf_media_find found it */
	json_t *media;	  /* its last read */
};

/* One request's outcome beyond the parsed body. */
struct rf_reply {
	long status;
	char *etag;	    /* ETag header, or NULL */
	char *token;	    /* X-Auth-Token header (a secret), or NULL */
	char *location;	    /* Location header, or NULL */
	json_t *body;	    /* a 2xx reply's JSON object, or NULL */
	char message[1024]; /* a failed reply's "HTTP N: <the BMC's message>" */
};

/* Frees what a reply holds (wiping the token) and zeroes it. */
void rf_reply_free(struct rf_reply *reply);

/*
 * One request on the client's session; a reply outside 2xx is an error naming
 * the request and quoting the BMC's message. path: a Redfish path or a URL;
 * body: JSON text or NULL; if_match: an ETag or NULL. Free reply with rf_reply_free.
 */
int rf_expect(struct rf_client *c, const char *method, const char *path, const char *body, const char *if_match,
	      struct rf_reply *reply, struct lerr *err);

/* The "@odata.id" of doc's key, or of Links.key when doc has no key; NULL when neither. */
const char *rf_link(const json_t *doc, const char *key);

/* value is listed in values, or values is no array (DSP0268: then every value is allowed). */
int rf_allowed(const json_t *values, const char *value);

#endif
