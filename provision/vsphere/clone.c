/*
 * CloneVM_Task with a VirtualMachineCloneSpec (vSphere API reference,
 * vim.vm.CloneSpec): relocate to a pool/datastore and the NIC onto a network,
 * config with CPU, memory and extraConfig, and a CustomizationSpec with
 * LinuxPrep + FixedIp. Element order follows the WSDL sequences: vCenter
 * rejects misordered elements.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "provision/vsphere/internal.h"

/* vim.vm.device.VirtualEthernetCard subtypes. */
static const char *const nic_types[] = {"VirtualE1000",
					"VirtualE1000e",
					"VirtualPCNet32",
					"VirtualVmxnet",
					"VirtualVmxnet2",
					"VirtualVmxnet3",
					"VirtualVmxnet3Vrdma",
					"VirtualSriovEthernetCard",
					NULL};

struct nic {
	char type[64];
	char *network;	 /* backing deviceName */
	struct buf head; /* the device's elements before its backing (key, deviceInfo) */
	struct buf tail; /* and after it (connectable, controllerKey, macAddress ...) */
};

/*
 * The whole device goes back in the edit with only the backing replaced, as
 * the vSphere SDK samples do: an edit with just key + backing is refused by
 * some servers (the simulator needs deviceInfo).
 */
static void keep_device(xmlDocPtr doc, xmlNodePtr device, struct nic *nic)
{
	xmlNodePtr child;

	for (child = device->children; child != NULL; child = child->next) {
		xmlBufferPtr dump;

		if (child->type != XML_ELEMENT_NODE || strcmp((const char *)child->name, "backing") == 0)
			continue;
		dump = xmlBufferCreate();
		if (dump == NULL || xmlNodeDump(dump, doc, child, 0, 0) < 0) {
			xmlBufferFree(dump);
			continue;
		}
		buf_add(strcmp((const char *)child->name, "key") == 0 ||
				strcmp((const char *)child->name, "deviceInfo") == 0
			    ? &nic->head
			    : &nic->tail,
			xmlBufferContent(dump), (size_t)xmlBufferLength(dump), NULL);
		xmlBufferFree(dump);
	}
}

static int is_nic(const char *type)
{
	size_t i;

	for (i = 0; nic_types[i] != NULL; i++)
		if (strcmp(type, nic_types[i]) == 0)
			return 1;
	return 0;
}

/* The source's NICs: the first one is moved to the site's network; all count for the customization. */
static int source_nics(struct vs_client *client, const struct vs_ref *source, struct nic *first, size_t *count,
		       struct lerr *err)
{
	static const char *const paths[] = {"config.hardware.device", NULL};
	xmlDocPtr doc = NULL;
	xmlNodePtr object, device;

	*count = 0;
	if (vs_props(client, source, paths, &doc, &object, err) != 0)
		return -1;
	device = vs_prop(object, "config.hardware.device");
	for (device = device != NULL ? device->children : NULL; device != NULL; device = device->next) {
		char *type = device->type == XML_ELEMENT_NODE ? vs_xml_type(device) : NULL;

		if (type == NULL || !is_nic(type) || vs_xml_child(device, "key") == NULL) {
			free(type);
			continue;
		}
		if ((*count)++ == 0) {
			snprintf(first->type, sizeof(first->type), "%s", type);
			first->network = vs_xml_child_text(vs_xml_child(device, "backing"), "deviceName");
			keep_device(doc, device, first);
		}
		free(type);
	}
	xmlFreeDoc(doc);
	return 0;
}

/* The backing of a NIC on a standard or distributed port group. */
static int network_backing(struct vs_client *client, const struct vs_clone_req *req, struct buf *spec, struct lerr *err)
{
	static const char *const pg_paths[] = {"key", "config.distributedVirtualSwitch", NULL};
	static const char *const dvs_paths[] = {"uuid", NULL};
	xmlDocPtr pg_doc = NULL, dvs_doc = NULL;
	xmlNodePtr pg, dvs;
	struct vs_ref dvs_ref;
	char *key = NULL, *uuid = NULL;
	int r = -1;

	if (strcmp(req->network->type, "DistributedVirtualPortgroup") != 0) {
		vs_xml_tmpl(spec,
			    "<backing xsi:type=\"VirtualEthernetCardNetworkBackingInfo\"><deviceName>{}</deviceName>"
			    "<network type=\"{}\">{}</network></backing>",
			    req->network_name, req->network->type, req->network->value);
		return 0;
	}
	if (vs_props(client, req->network, pg_paths, &pg_doc, &pg, err) != 0 ||
	    vs_ref_from_node(vs_prop(pg, "config.distributedVirtualSwitch"), &dvs_ref) != 0 ||
	    vs_props(client, &dvs_ref, dvs_paths, &dvs_doc, &dvs, err) != 0) {
		if (err->msg[0] == '\0' || pg_doc != NULL)
			lerr_set(err, LADING_ERR_FORMAT, "network '%s': port group without a switch",
				 req->network_name);
		goto out;
	}
	key = vs_xml_text(vs_prop(pg, "key"));
	uuid = vs_xml_text(vs_prop(dvs, "uuid"));
	if (key == NULL || uuid == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "network '%s': port group without key or switch uuid",
			 req->network_name);
		goto out;
	}
	vs_xml_tmpl(spec,
		    "<backing xsi:type=\"VirtualEthernetCardDistributedVirtualPortBackingInfo\"><port>"
		    "<switchUuid>{}</switchUuid><portgroupKey>{}</portgroupKey></port></backing>",
		    uuid, key);
	r = 0;
out:
	free(key);
	free(uuid);
	xmlFreeDoc(pg_doc);
	xmlFreeDoc(dvs_doc);
	return r;
}

static void relocate_spec(const struct vs_clone_req *req, struct buf *spec)
{
	/* vim.vm.RelocateSpec: service, folder, datastore, diskMoveType, pool, host, disk, transform, deviceChange. */
	buf_puts(spec, "<location>");
	if (req->datastore != NULL)
		vs_xml_tmpl(spec, "<datastore type=\"{}\">{}</datastore>", req->datastore->type, req->datastore->value);
	vs_xml_tmpl(spec, "<pool type=\"{}\">{}</pool>", req->pool->type, req->pool->value);
}

static void config_spec(const struct vs_clone_req *req, struct buf *spec)
{
	char number[32];
	size_t i;

	/* vim.vm.ConfigSpec: ... numCPUs, numCoresPerSocket, memoryMB, ... extraConfig ... */
	buf_puts(spec, "<config>");
	if (req->cpus > 0) {
		snprintf(number, sizeof(number), "%ld", req->cpus);
		vs_xml_tmpl(spec, "<numCPUs>{}</numCPUs>", number);
	}
	if (req->memory_mb > 0) {
		snprintf(number, sizeof(number), "%ld", req->memory_mb);
		vs_xml_tmpl(spec, "<memoryMB>{}</memoryMB>", number);
	}
	for (i = 0; i < req->extra_count; i++)
		vs_xml_tmpl(spec,
			    "<extraConfig xsi:type=\"OptionValue\"><key>{}</key>"
			    "<value xsi:type=\"xsd:string\">{}</value></extraConfig>",
			    req->extra[i].key, req->extra[i].value);
	buf_puts(spec, "</config>");
}

static void customization_spec(const struct vs_clone_req *req, size_t nic_count, struct buf *spec)
{
	char mask[INET_ADDRSTRLEN];
	struct in_addr addr;
	size_t i;

	addr.s_addr = htonl(req->prefix_len >= 32 ? 0xffffffffu : ~(0xffffffffu >> req->prefix_len));
	inet_ntop(AF_INET, &addr, mask, sizeof(mask));
	/* vim.vm.customization.Specification: options, identity, globalIPSettings, nicSettingMap. */
	vs_xml_tmpl(spec,
		    "<customization><identity xsi:type=\"CustomizationLinuxPrep\">"
		    "<hostName xsi:type=\"CustomizationFixedName\"><name>{}</name></hostName>"
		    "<domain>{}</domain></identity><globalIPSettings>",
		    req->name, req->domain);
	for (i = 0; i < req->dns_count; i++)
		vs_xml_tmpl(spec, "<dnsServerList>{}</dnsServerList>", req->dns[i]);
	buf_puts(spec, "</globalIPSettings>");
	/* One adapter per NIC (vCenter: NicSettingMismatch otherwise); the first gets the fixed IP. */
	vs_xml_tmpl(spec,
		    "<nicSettingMap><adapter><ip xsi:type=\"CustomizationFixedIp\"><ipAddress>{}</ipAddress>"
		    "</ip><subnetMask>{}</subnetMask>",
		    req->ip, mask);
	if (req->gateway != NULL)
		vs_xml_tmpl(spec, "<gateway>{}</gateway>", req->gateway);
	buf_puts(spec, "</adapter></nicSettingMap>");
	for (i = 1; i < nic_count; i++)
		buf_puts(spec, "<nicSettingMap><adapter><ip xsi:type=\"CustomizationDhcpIpGenerator\"/></adapter>"
			       "</nicSettingMap>");
	buf_puts(spec, "</customization>");
}

static int build_spec(struct vs_client *client, const struct vs_clone_req *req, struct buf *spec, struct lerr *err)
{
	struct nic first = {"", NULL, BUF_INIT(0), BUF_INIT(0)};
	size_t nic_count = 0;
	int r = -1;

	if (source_nics(client, req->source, &first, &nic_count, err) != 0)
		return -1;
	relocate_spec(req, spec);
	if (req->network != NULL) {
		if (nic_count == 0) {
			lerr_set(err, LADING_ERR_USAGE, "the template has no network adapter to put on '%s'",
				 req->network_name);
			goto out;
		}
		/* Moving a NIC already on the network would only reset its connection state. */
		if (first.network == NULL || strcmp(first.network, req->network_name) != 0) {
			vs_xml_tmpl(spec, "<deviceChange><operation>edit</operation><device xsi:type=\"{}\">",
				    first.type);
			buf_add(spec, first.head.data, first.head.len, NULL);
			if (network_backing(client, req, spec, err) != 0)
				goto out;
			buf_add(spec, first.tail.data, first.tail.len, NULL);
			buf_puts(spec, "</device></deviceChange>");
		}
	}
	buf_puts(spec, "</location><template>false</template>");
	config_spec(req, spec);
	if (req->ip != NULL) {
		if (nic_count == 0) {
			lerr_set(err, LADING_ERR_USAGE, "the template has no network adapter for ip %s", req->ip);
			goto out;
		}
		customization_spec(req, nic_count, spec);
	}
	/* Powered on separately: PowerOnVM_Task runs the pending customization. */
	buf_puts(spec, "<powerOn>false</powerOn>");
	r = 0;
out:
	free(first.network);
	buf_free(&first.head);
	buf_free(&first.tail);
	return r;
}

int vs_clone(struct vs_client *client, const struct vs_clone_req *req, struct vs_ref *vm, struct lerr *err)
{
	struct buf body = BUF_INIT(0);
	xmlDocPtr doc = NULL;
	xmlNodePtr resp;
	struct vs_ref task;
	int r = -1;

	vs_xml_tmpl(&body,
		    "<CloneVM_Task xmlns=\"urn:vim25\"><_this type=\"{}\">{}</_this>"
		    "<folder type=\"{}\">{}</folder><name>{}</name><spec>",
		    req->source->type, req->source->value, req->folder->type, req->folder->value, req->name);
	if (build_spec(client, req, &body, err) != 0)
		goto out;
	buf_puts(&body, "</spec></CloneVM_Task>");
	if (vs_call(client, &body, &doc, &resp, err) != 0) {
		lerr_prefix(err, "CloneVM_Task");
		goto out;
	}
	if (vs_ref_from_node(vs_xml_child(resp, "returnval"), &task) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "CloneVM_Task: reply without a task");
		goto out;
	}
	if (vs_task_wait(client, "CloneVM_Task", &task, req->timeout_s, vm, err) != 0)
		goto out;
	if (vm->value[0] == '\0') {
		lerr_set(err, LADING_ERR_FORMAT, "CloneVM_Task %s: no VM in the task result", task.value);
		goto out;
	}
	r = 0;
out:
	xmlFreeDoc(doc);
	buf_free(&body);
	return r;
}
