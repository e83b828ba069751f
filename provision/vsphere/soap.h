#ifndef LADING_PROVISION_VSPHERE_SOAP_H
#define LADING_PROVISION_VSPHERE_SOAP_H

/*
 * The vSphere Web Services (SOAP, urn:vim25) transport: requests built from
 * templates with XML escaping, POSTed over one libcurl handle that keeps the
 * vmware_soap_session cookie, replies parsed with libxml2 with namespaces
 * resolved. One handle per thread.
 */
#include <libxml/tree.h>

#include "lib/buf.h"
#include "lib/err.h"

#define VS_NS_VIM "urn:vim25"
#define VS_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

struct vs_soap;

struct vs_soap_opts {
	const char *url;     /* https://vcenter/sdk */
	const char *ca_file; /* PEM bundle to trust, or NULL for the system store */
	int insecure;	     /* skip TLS verification (explicit in the site file) */
	long timeout_s;	     /* per request; 0 = 60 */
};

/* Creates a handle (no network yet). Caller frees with vs_soap_close. */
int vs_soap_open(const struct vs_soap_opts *opts, struct vs_soap **out, struct lerr *err);
void vs_soap_close(struct vs_soap *soap);

/*
 * Sends one request whose Body holds body_xml (already escaped) and returns
 * the parsed reply (*doc, caller frees with xmlFreeDoc) and its first Body
 * element (*resp). A SOAP fault fails with "<fault>: <faultstring>" and the
 * fault's type name is kept for vs_soap_fault. The request body is wiped
 * (it may carry a password).
 */
int vs_soap_call(struct vs_soap *soap, struct buf *body_xml, xmlDocPtr *doc, xmlNodePtr *resp, struct lerr *err);

/* The type name of the last fault ("InvalidLogin", "NotFound"), or "" after a success. */
const char *vs_soap_fault(const struct vs_soap *soap);

/*
 * Appends tmpl to b, replacing each "{}" with the next const char * argument
 * XML-escaped (& < > " ' and tab/newline/CR as character references). The
 * number of arguments must match the number of "{}".
 */
void vs_xml_tmpl(struct buf *b, const char *tmpl, ...);

/* True when s holds no control characters XML 1.0 cannot carry. */
int vs_xml_text_ok(const char *s);

/* The first element child of node named name (any namespace), or NULL. */
xmlNodePtr vs_xml_child(xmlNodePtr node, const char *name);
/* The next element sibling after node named name, or NULL. */
xmlNodePtr vs_xml_next(xmlNodePtr node, const char *name);
/* The text of node (allocated, "" when empty); NULL node gives NULL. */
char *vs_xml_text(xmlNodePtr node);
/* The text of the first child named name, allocated, or NULL. */
char *vs_xml_child_text(xmlNodePtr node, const char *name);
/* The xsi:type of node, resolved by namespace (any prefix) and without a prefix of its own; allocated or NULL. */
char *vs_xml_type(xmlNodePtr node);

#endif
