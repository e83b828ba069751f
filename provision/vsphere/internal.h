#ifndef LADING_PROVISION_VSPHERE_INTERNAL_H
#define LADING_PROVISION_VSPHERE_INTERNAL_H

/* Shared between api.c and clone.c only. */
#include <libxml/tree.h>

#include "provision/vsphere/api.h"

struct vs_client {
	struct vs_soap *soap;
	char *url;
	int logged_in;
	struct vs_ref property_collector;
	struct vs_ref search_index;
	struct vs_ref session_manager;
};

/* One SOAP call on the client's session (see vs_soap_call). */
int vs_call(struct vs_client *client, struct buf *body, xmlDocPtr *doc, xmlNodePtr *resp, struct lerr *err);

/* RetrievePropertiesEx of paths (NULL-terminated) on obj; *object is the ObjectContent; free *doc. */
int vs_props(struct vs_client *client, const struct vs_ref *obj, const char *const *paths, xmlDocPtr *doc,
	     xmlNodePtr *object, struct lerr *err);
/* The <val> of property name in an ObjectContent, or NULL when unset. */
xmlNodePtr vs_prop(xmlNodePtr object, const char *name);

/* Fills ref from an element like <returnval type="Task">task-1</returnval>. */
int vs_ref_from_node(xmlNodePtr node, struct vs_ref *ref);

/*
 * Waits for a task to end (polling, bounded by timeout_s); on success *result
 * (may be NULL) gets info.result. A task error reads "<what> failed: <fault>: <message>".
 */
int vs_task_wait(struct vs_client *client, const char *what, const struct vs_ref *task, long timeout_s,
		 struct vs_ref *result, struct lerr *err);

void vs_sleep_ms(long ms);

#endif
