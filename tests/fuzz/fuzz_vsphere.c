/*
 * The vSphere SOAP/XML reader (provision/vsphere/): replies as vCenter sends
 * them, parsed by soap.c's parse_reply (faults included) and walked by api.c
 * and clone.c. soap.c is compiled into this file with its network call renamed,
 * and vs_soap_call below answers each request with the next reply of the input
 * instead of HTTP. The input is replies separated by NUL bytes; a reply that
 * starts with '!' comes with HTTP status 500. Replies are used in this order:
 * RetrieveServiceContent, Login, FindByInventoryPath, vs_find_pool's calls,
 * vs_vm_info's, a power task (timeout 0: no sleeping), a clone, vs_wait_ip's
 * poll, Logout; once the input runs out every call fails as a transport error.
 */
#define _DEFAULT_SOURCE /* tests/fuzz/common.h: mkstemps */
#define vs_soap_call vs_soap_call_over_http
#include "provision/vsphere/soap.c"
#undef vs_soap_call

#include "provision/vsphere/api.h"
#include "tests/fuzz/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The replies not used yet. */
static const uint8_t *replies;
static size_t replies_left;
static int replies_done;

int vs_soap_call(struct vs_soap *soap, struct buf *body_xml, xmlDocPtr *doc, xmlNodePtr *resp, struct lerr *err)
{
	struct buf reply = BUF_INIT(VS_REPLY_MAX);
	const uint8_t *end;
	size_t len;
	long status = 200;
	int r;

	soap->fault[0] = '\0';
	buf_free(body_xml);
	if (replies_done)
		return lerr_set(err, LADING_ERR_NETWORK, "%s: no more replies in the fuzz input", soap->url);
	end = memchr(replies, '\0', replies_left);
	len = end != NULL ? (size_t)(end - replies) : replies_left;
	if (len > 0 && replies[0] == '!') {
		status = 500;
		buf_add(&reply, replies + 1, len - 1, NULL);
	} else {
		buf_add(&reply, replies, len, NULL);
	}
	if (end != NULL) {
		replies = end + 1;
		replies_left -= len + 1;
	} else {
		replies_done = 1;
	}
	r = parse_reply(soap, &reply, status, doc, resp, err);
	buf_free(&reply);
	if (getenv("FUZZ_DEBUG") != NULL) /* to check what a seed reaches */
		fprintf(stderr, "reply %zu: %s\n", len, r == 0 ? (const char *)(*resp)->name : err->msg);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vs_soap_opts opts = {"https://vcenter.fuzz.invalid/sdk", NULL, 0, 0};
	static const struct vs_option extra[] = {{VS_MARKER_KEY, "true"}};
	static const char *const dns[] = {"10.0.20.2"};
	struct vs_client *client = NULL;
	struct vs_ref vm, pool, clone;
	struct vs_vm_info info;
	struct lerr err;
	char *ip = NULL;
	int found = 0;

	if (size > (1u << 20))
		return 0;
	replies = data;
	replies_left = size;
	replies_done = 0;
	if (vs_login(&opts, "fuzz@vsphere.local", "secret", &client, &err) != 0)
		return 0;
	memset(&vm, 0, sizeof(vm));
	(void)vs_find(client, "/DC0/vm/lading/gpu-01", &vm, &found, &err);
	if (vs_find_pool(client, "/DC0/host/Cluster", &pool, &err) != 0)
		memset(&pool, 0, sizeof(pool));
	memset(&info, 0, sizeof(info));
	if (vs_vm_info(client, &vm, &info, &err) == 0)
		vs_vm_info_clear(&info);
	(void)vs_power(client, &vm, 1, 0, &err);
	{
		struct vs_clone_req req = {
		    .source = &vm,
		    .folder = &vm,
		    .pool = &pool,
		    .network = &vm,
		    .network_name = "VM Network",
		    .name = "gpu-02",
		    .cpus = 4,
		    .memory_mb = 8192,
		    .extra = extra,
		    .extra_count = 1,
		    .ip = "10.0.20.12",
		    .prefix_len = 24,
		    .gateway = "10.0.20.1",
		    .dns = dns,
		    .dns_count = 1,
		    .domain = "site.internal",
		    .timeout_s = 0,
		};
		(void)vs_clone(client, &req, &clone, &err);
	}
	if (vs_wait_ip(client, &vm, NULL, 0, &ip, &err) == 0)
		free(ip);
	vs_logout(client);
	return 0;
}
