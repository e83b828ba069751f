#define _GNU_SOURCE /* nanosleep under -std=c11 */
#include "provision/vsphere/api.h"

#include <arpa/inet.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "provision/vsphere/internal.h"

int vs_ref_from_node(xmlNodePtr node, struct vs_ref *ref)
{
	/* The plain "type" attribute, not xsi:type (libxml2's xmlGetProp ignores namespaces). */
	xmlChar *type = node != NULL ? xmlGetNoNsProp(node, (const xmlChar *)"type") : NULL;
	char *value = vs_xml_text(node);
	int r = -1;

	if (type != NULL && value != NULL && value[0] != '\0' && strlen((const char *)type) < sizeof(ref->type) &&
	    strlen(value) < sizeof(ref->value)) {
		snprintf(ref->type, sizeof(ref->type), "%s", (const char *)type);
		snprintf(ref->value, sizeof(ref->value), "%s", value);
		r = 0;
	}
	xmlFree(type);
	free(value);
	return r;
}

int vs_call(struct vs_client *client, struct buf *body, xmlDocPtr *doc, xmlNodePtr *resp, struct lerr *err)
{
	return vs_soap_call(client->soap, body, doc, resp, err);
}

void vs_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int service_content(struct vs_client *client, struct lerr *err)
{
	struct buf body = BUF_INIT(0);
	xmlDocPtr doc = NULL;
	xmlNodePtr resp, content;
	int r = -1;

	buf_puts(&body, "<RetrieveServiceContent xmlns=\"urn:vim25\">"
			"<_this type=\"ServiceInstance\">ServiceInstance</_this></RetrieveServiceContent>");
	if (vs_call(client, &body, &doc, &resp, err) != 0)
		goto out;
	content = vs_xml_child(resp, "returnval");
	if (vs_ref_from_node(vs_xml_child(content, "propertyCollector"), &client->property_collector) != 0 ||
	    vs_ref_from_node(vs_xml_child(content, "searchIndex"), &client->search_index) != 0 ||
	    vs_ref_from_node(vs_xml_child(content, "sessionManager"), &client->session_manager) != 0) {
		lerr_set(err, LADING_ERR_FORMAT,
			 "%s: service content without a property collector, search index "
			 "or session manager: is this vCenter?",
			 client->url);
		goto out;
	}
	r = 0;
out:
	xmlFreeDoc(doc);
	buf_free(&body);
	return r;
}

int vs_login(const struct vs_soap_opts *opts, const char *username, const char *password, struct vs_client **out,
	     struct lerr *err)
{
	struct vs_client *client = xcalloc(1, sizeof(*client));
	struct buf body = BUF_INIT(0);
	xmlDocPtr doc = NULL;
	xmlNodePtr resp;
	int r = -1;

	client->url = xstrdup(opts->url);
	if (vs_soap_open(opts, &client->soap, err) != 0 || service_content(client, err) != 0)
		goto out;
	vs_xml_tmpl(&body,
		    "<Login xmlns=\"urn:vim25\"><_this type=\"SessionManager\">{}</_this>"
		    "<userName>{}</userName><password>{}</password></Login>",
		    client->session_manager.value, username, password);
	if (vs_call(client, &body, &doc, &resp, err) != 0) {
		if (strcmp(vs_soap_fault(client->soap), "InvalidLogin") == 0)
			lerr_set(
			    err, LADING_ERR_AUTH,
			    "%s: login as '%s' refused (InvalidLogin): check username and $LADING_VSPHERE_PASSWORD",
			    client->url, username);
		else
			lerr_prefix(err, "%s: login as '%s'", client->url, username);
		goto out;
	}
	client->logged_in = 1;
	*out = client;
	client = NULL;
	r = 0;
out:
	xmlFreeDoc(doc);
	buf_free(&body); /* wiped by vs_soap_call */
	if (client != NULL) {
		vs_soap_close(client->soap);
		free(client->url);
		free(client);
	}
	return r;
}

void vs_logout(struct vs_client *client)
{
	struct buf body = BUF_INIT(0);
	struct lerr ignored;
	xmlDocPtr doc = NULL;
	xmlNodePtr resp;

	if (client == NULL)
		return;
	if (client->logged_in) {
		vs_xml_tmpl(&body, "<Logout xmlns=\"urn:vim25\"><_this type=\"SessionManager\">{}</_this></Logout>",
			    client->session_manager.value);
		if (vs_call(client, &body, &doc, &resp, &ignored) == 0)
			xmlFreeDoc(doc);
		buf_free(&body);
	}
	vs_soap_close(client->soap);
	free(client->url);
	free(client);
}

int vs_find(struct vs_client *client, const char *path, struct vs_ref *ref, int *found, struct lerr *err)
{
	struct buf body = BUF_INIT(0);
	xmlDocPtr doc = NULL;
	xmlNodePtr resp, val;
	int r = -1;

	/* FindByInventoryPath wants "DC0/vm/x": no leading slash. */
	while (*path == '/')
		path++;
	vs_xml_tmpl(&body,
		    "<FindByInventoryPath xmlns=\"urn:vim25\"><_this type=\"SearchIndex\">{}</_this>"
		    "<inventoryPath>{}</inventoryPath></FindByInventoryPath>",
		    client->search_index.value, path);
	if (vs_call(client, &body, &doc, &resp, err) != 0) {
		lerr_prefix(err, "'/%s'", path);
		goto out;
	}
	val = vs_xml_child(resp, "returnval");
	*found = val != NULL;
	if (val != NULL && vs_ref_from_node(val, ref) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "'/%s': malformed object reference in the reply", path);
		goto out;
	}
	r = 0;
out:
	xmlFreeDoc(doc);
	buf_free(&body);
	return r;
}

int vs_props(struct vs_client *client, const struct vs_ref *obj, const char *const *paths, xmlDocPtr *doc,
	     xmlNodePtr *object, struct lerr *err)
{
	struct buf body = BUF_INIT(0);
	xmlNodePtr resp;
	size_t i;
	int r = -1;

	*doc = NULL;
	vs_xml_tmpl(&body,
		    "<RetrievePropertiesEx xmlns=\"urn:vim25\"><_this type=\"PropertyCollector\">{}</_this>"
		    "<specSet><propSet><type>{}</type>",
		    client->property_collector.value, obj->type);
	for (i = 0; paths[i] != NULL; i++)
		vs_xml_tmpl(&body, "<pathSet>{}</pathSet>", paths[i]);
	vs_xml_tmpl(&body,
		    "</propSet><objectSet><obj type=\"{}\">{}</obj></objectSet></specSet><options/>"
		    "</RetrievePropertiesEx>",
		    obj->type, obj->value);
	if (vs_call(client, &body, doc, &resp, err) != 0)
		goto out;
	*object = vs_xml_child(vs_xml_child(resp, "returnval"), "objects");
	if (*object == NULL) {
		lerr_set(err, LADING_ERR_NOTFOUND, "%s %s: no longer exists", obj->type, obj->value);
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		xmlFreeDoc(*doc);
		*doc = NULL;
	}
	buf_free(&body);
	return r;
}

xmlNodePtr vs_prop(xmlNodePtr object, const char *name)
{
	xmlNodePtr set;

	for (set = vs_xml_child(object, "propSet"); set != NULL; set = vs_xml_next(set, "propSet")) {
		char *set_name = vs_xml_child_text(set, "name");
		int match = set_name != NULL && strcmp(set_name, name) == 0;

		free(set_name);
		if (match)
			return vs_xml_child(set, "val");
	}
	return NULL;
}

int vs_find_pool(struct vs_client *client, const char *path, struct vs_ref *pool, struct lerr *err)
{
	static const char *const paths[] = {"resourcePool", NULL};
	struct vs_ref found;
	xmlDocPtr doc = NULL;
	xmlNodePtr object;
	int exists, r = -1;

	if (vs_find(client, path, &found, &exists, err) != 0)
		return -1;
	if (!exists)
		return lerr_set(err, LADING_ERR_NOTFOUND,
				"'%s': not found (NotFound): check the cluster or resource_pool "
				"path",
				path);
	if (strcmp(found.type, "ResourcePool") == 0 || strcmp(found.type, "VirtualApp") == 0) {
		*pool = found;
		return 0;
	}
	if (strcmp(found.type, "ClusterComputeResource") != 0 && strcmp(found.type, "ComputeResource") != 0)
		return lerr_set(err, LADING_ERR_USAGE, "'%s' is a %s, not a cluster or resource pool", path,
				found.type);
	if (vs_props(client, &found, paths, &doc, &object, err) != 0 ||
	    vs_ref_from_node(vs_prop(object, "resourcePool"), pool) != 0) {
		if (doc != NULL)
			lerr_set(err, LADING_ERR_FORMAT, "'%s': cluster without a root resource pool", path);
		goto out;
	}
	r = 0;
out:
	xmlFreeDoc(doc);
	return r;
}

static void append_msg(struct lerr *err, const char *fmt, const char *value)
{
	size_t len = strlen(err->msg);

	snprintf(err->msg + len, sizeof(err->msg) - len, fmt, value);
}

/* "DuplicateName: Cannot create a VM named 'x'" from a LocalizedMethodFault. */
static void task_fault(xmlNodePtr error, const char *what, struct lerr *err)
{
	xmlNodePtr fault = vs_xml_child(error, "fault");
	char *type = fault != NULL ? vs_xml_type(fault) : NULL;
	char *message = vs_xml_child_text(error, "localizedMessage");
	char *property = fault != NULL ? vs_xml_child_text(fault, "invalidProperty") : NULL;
	char *name = fault != NULL ? vs_xml_child_text(fault, "name") : NULL;
	int code = LADING_ERR_NETWORK;

	if (type != NULL && (strcmp(type, "NotFound") == 0 || strcmp(type, "ManagedObjectNotFound") == 0))
		code = LADING_ERR_NOTFOUND;
	/* A message that only repeats the fault's type ("*types.NotFound" from the simulator) adds nothing. */
	if (message != NULL && type != NULL && strchr(message, ' ') == NULL && strstr(message, type) != NULL)
		message[0] = '\0';
	lerr_set(err, code, "%s failed: %s%s%s", what, type != NULL ? type : "unknown fault",
		 message != NULL && message[0] != '\0' ? ": " : "", message != NULL ? message : "");
	if (property != NULL)
		append_msg(err, " (property %s)", property);
	if (name != NULL && (message == NULL || strstr(message, name) == NULL))
		append_msg(err, " ('%s')", name);
	free(type);
	free(message);
	free(property);
	free(name);
}

int vs_task_wait(struct vs_client *client, const char *what, const struct vs_ref *task, long timeout_s,
		 struct vs_ref *result, struct lerr *err)
{
	static const char *const paths[] = {"info", NULL};
	double deadline = log_now() + (double)timeout_s;
	long delay_ms = 100;

	for (;;) {
		xmlDocPtr doc = NULL;
		xmlNodePtr object, info;
		char *state;
		int r = 1;

		if (vs_props(client, task, paths, &doc, &object, err) != 0)
			return -1;
		info = vs_prop(object, "info");
		state = vs_xml_child_text(info, "state");
		if (state == NULL) {
			r = lerr_set(err, LADING_ERR_FORMAT, "task %s: reply without info.state", task->value);
		} else if (strcmp(state, "success") == 0) {
			r = 0;
			if (result != NULL && vs_ref_from_node(vs_xml_child(info, "result"), result) != 0)
				memset(result, 0, sizeof(*result));
		} else if (strcmp(state, "error") == 0) {
			task_fault(vs_xml_child(info, "error"), what, err);
			r = -1;
		}
		free(state);
		xmlFreeDoc(doc);
		if (r <= 0)
			return r;
		if (log_now() + (double)delay_ms / 1000.0 > deadline)
			return lerr_set(err, LADING_ERR_NETWORK, "%s (%s) still running after %ld s (--timeout)", what,
					task->value, timeout_s);
		vs_sleep_ms(delay_ms);
		delay_ms = delay_ms * 2 > 2000 ? 2000 : delay_ms * 2;
	}
}

/* Calls a *_Task method on obj with extra (escaped) arguments and waits for it. */
static int run_task(struct vs_client *client, const char *method, const struct vs_ref *obj, long timeout_s,
		    struct lerr *err)
{
	struct buf body = BUF_INIT(0);
	xmlDocPtr doc = NULL;
	xmlNodePtr resp;
	struct vs_ref task;
	int r = -1;

	vs_xml_tmpl(&body, "<{} xmlns=\"urn:vim25\"><_this type=\"{}\">{}</_this></{}>", method, obj->type, obj->value,
		    method);
	if (vs_call(client, &body, &doc, &resp, err) != 0) {
		lerr_prefix(err, "%s", method);
		goto out;
	}
	if (vs_ref_from_node(vs_xml_child(resp, "returnval"), &task) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: reply without a task", method);
		goto out;
	}
	r = vs_task_wait(client, method, &task, timeout_s, NULL, err);
out:
	xmlFreeDoc(doc);
	buf_free(&body);
	return r;
}

int vs_power(struct vs_client *client, const struct vs_ref *vm, int on, long timeout_s, struct lerr *err)
{
	return run_task(client, on ? "PowerOnVM_Task" : "PowerOffVM_Task", vm, timeout_s, err);
}

int vs_destroy(struct vs_client *client, const struct vs_ref *vm, long timeout_s, struct lerr *err)
{
	return run_task(client, "Destroy_Task", vm, timeout_s, err);
}

void vs_vm_info_clear(struct vs_vm_info *info)
{
	free(info->ip);
	memset(info, 0, sizeof(*info));
}

static int marker_set(xmlNodePtr extra)
{
	xmlNodePtr option;
	int managed = 0;

	for (option = extra != NULL ? extra->children : NULL; option != NULL && !managed; option = option->next) {
		char *key, *value;

		if (option->type != XML_ELEMENT_NODE)
			continue;
		key = vs_xml_child_text(option, "key");
		value = vs_xml_child_text(option, "value");
		managed = key != NULL && value != NULL && strcmp(key, VS_MARKER_KEY) == 0 && strcmp(value, "true") == 0;
		free(key);
		free(value);
	}
	return managed;
}

int vs_vm_info(struct vs_client *client, const struct vs_ref *vm, struct vs_vm_info *info, struct lerr *err)
{
	static const char *const paths[] = {"runtime.powerState",
					    "guest.ipAddress",
					    "config.extraConfig",
					    "config.template",
					    "config.hardware.numCPU",
					    "config.hardware.memoryMB",
					    NULL};
	xmlDocPtr doc = NULL;
	xmlNodePtr object;
	char *text;

	memset(info, 0, sizeof(*info));
	if (vs_props(client, vm, paths, &doc, &object, err) != 0)
		return -1;
	text = vs_xml_text(vs_prop(object, "runtime.powerState"));
	snprintf(info->power, sizeof(info->power), "%s", text != NULL ? text : "unknown");
	free(text);
	info->ip = vs_xml_text(vs_prop(object, "guest.ipAddress"));
	if (info->ip != NULL && info->ip[0] == '\0') {
		free(info->ip);
		info->ip = NULL;
	}
	info->managed = marker_set(vs_prop(object, "config.extraConfig"));
	text = vs_xml_text(vs_prop(object, "config.template"));
	info->is_template = text != NULL && strcmp(text, "true") == 0;
	free(text);
	text = vs_xml_text(vs_prop(object, "config.hardware.numCPU"));
	info->cpus = text != NULL ? strtol(text, NULL, 10) : 0;
	free(text);
	text = vs_xml_text(vs_prop(object, "config.hardware.memoryMB"));
	info->memory_mb = text != NULL ? strtol(text, NULL, 10) : 0;
	free(text);
	xmlFreeDoc(doc);
	return 0;
}

static int usable_ipv4(const char *ip)
{
	struct in_addr addr;

	return ip != NULL && inet_pton(AF_INET, ip, &addr) == 1 && strncmp(ip, "169.254.", 8) != 0 &&
	       strncmp(ip, "127.", 4) != 0;
}

int vs_wait_ip(struct vs_client *client, const struct vs_ref *vm, const char *want, long timeout_s, char **ip,
	       struct lerr *err)
{
	double deadline = log_now() + (double)timeout_s;
	char *last = NULL;
	long delay_ms = 200;

	for (;;) {
		struct vs_vm_info info;

		if (vs_vm_info(client, vm, &info, err) != 0) {
			free(last);
			return -1;
		}
		free(last);
		last = info.ip;
		info.ip = NULL;
		if (usable_ipv4(last) && (want == NULL || strcmp(last, want) == 0)) {
			*ip = last;
			return 0;
		}
		if (log_now() + (double)delay_ms / 1000.0 > deadline) {
			if (last == NULL)
				lerr_set(
				    err, LADING_ERR_NETWORK,
				    "no IP address from VMware Tools after %ld s (is the guest up with tools running?)",
				    timeout_s);
			else
				lerr_set(err, LADING_ERR_NETWORK, "VMware Tools reports %s, not %s, after %ld s", last,
					 want != NULL ? want : "a usable IPv4 address", timeout_s);
			free(last);
			return -1;
		}
		vs_sleep_ms(delay_ms);
		delay_ms = delay_ms * 2 > 2000 ? 2000 : delay_ms * 2;
	}
}
