#include "provision/baremetal/redfish.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/http.h"
#include "lib/xmalloc.h"
#include "provision/baremetal/internal.h"
#include "provision/baremetal/run.h"

/* Redfish documents are small; a BMC listing thousands of members still fits. */
#define RF_REPLY_MAX (4u * 1024 * 1024)
/* The BMC's own message is quoted, not trusted: one line, this long at most. */
#define RF_MESSAGE_MAX 300
/* A task monitor is polled this often, this many times (two minutes) before lading gives up. */
#define RF_TASK_POLL_MS 500
#define RF_TASK_POLLS 240

void rf_reply_free(struct rf_reply *reply)
{
	free(reply->etag);
	if (reply->token != NULL)
		OPENSSL_cleanse(reply->token, strlen(reply->token));
	free(reply->token);
	free(reply->location);
	json_decref(reply->body);
	memset(reply, 0, sizeof(*reply));
}

static void secret_free(char *secret)
{
	if (secret != NULL)
		OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

static const struct http_tls *tls_for_bmc(const char *hostport, void *arg)
{
	(void)hostport;
	return &((struct rf_client *)arg)->tls;
}

/* The text a client shows of a Redfish error (DSP0266 §9.6): ExtendedInfo's first Message, else message. */
static void error_text(long status, const struct buf *body, char *out, size_t out_len)
{
	json_t *doc = body->len > 0 ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	json_t *error = json_object_get(doc, "error");
	json_t *info = json_array_get(json_object_get(error, "@Message.ExtendedInfo"), 0);
	const char *text = json_string_value(json_object_get(info, "Message"));
	size_t i, len;

	if (text == NULL)
		text = json_string_value(json_object_get(error, "message"));
	if (text == NULL)
		text = "no Redfish error message";
	len = (size_t)snprintf(out, out_len, "HTTP %ld: %.*s", status, RF_MESSAGE_MAX, text);
	for (i = 0; i < len && i < out_len; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
	json_decref(doc);
}

static char *header_copy(const struct http_response *resp, const char *name)
{
	const char *value = http_response_header(resp, name);

	return value != NULL ? xstrdup(value) : NULL;
}

/*
 * One request; path is a Redfish path ("/redfish/v1/...") or an absolute URL.
 * Returns 0 when a reply came, whatever its status (reply->status); -1 with
 * err when none did (connection, TLS) or a 2xx body is not a JSON object.
 */
static int rf_call(struct rf_client *c, const char *method, const char *path, const char *body, const char *if_match,
		   struct rf_reply *reply, struct lerr *err)
{
	struct http_request req;
	struct http_response resp;
	struct buf data = BUF_INIT(RF_REPLY_MAX);
	const char *headers[7];
	char *url = http_url_resolve(c->base, path), *if_match_header = NULL;
	size_t n = 0;
	int r = -1;

	memset(reply, 0, sizeof(*reply));
	memset(&resp, 0, sizeof(resp));
	if (url == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: the BMC named a path lading cannot use: '%.200s'", c->base,
				path);
	headers[n++] = "Accept: application/json";
	headers[n++] = "OData-Version: 4.0";
	if (body != NULL)
		headers[n++] = "Content-Type: application/json; charset=utf-8";
	if (c->token_header != NULL)
		headers[n++] = c->token_header;
	if (if_match != NULL) {
		if_match_header = xasprintf("If-Match: %s", if_match);
		headers[n++] = if_match_header;
	}
	headers[n] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.authorization = c->token_header == NULL ? c->basic : NULL;
	req.body = &data;
	req.upload = body;
	req.upload_len_mem = body != NULL ? strlen(body) : 0;
	/* A Reset or a login must not happen twice because a reply was slow. */
	req.no_retry = strcmp(method, "GET") != 0;
	if (http_do(c->http, &req, &resp, err) != 0) {
		if (err->code == LADING_ERR_AUTH) /* lib/http's advice names registries */
			lerr_set(err, LADING_ERR_AUTH,
				 "%s: TLS verification failed: the BMC's certificate is not signed by the CA in 'ca'",
				 c->base);
		goto out;
	}
	reply->status = resp.status;
	reply->etag = header_copy(&resp, "ETag");
	reply->token = header_copy(&resp, "X-Auth-Token");
	reply->location = header_copy(&resp, "Location");
	if (resp.status < 200 || resp.status > 299) {
		error_text(resp.status, &resp.error_body, reply->message, sizeof(reply->message));
	} else if (data.len > 0) {
		reply->body = json_loadb(data.data, data.len, 0, NULL);
		if (!json_is_object(reply->body)) {
			lerr_set(err, LADING_ERR_FORMAT, "%s: %s %s: the reply is not a JSON object", c->base, method,
				 path);
			goto out;
		}
	}
	r = 0;
out:
	if (r != 0)
		rf_reply_free(reply);
	http_response_free(&resp);
	buf_free(&data);
	free(if_match_header);
	free(url);
	return r;
}

/*
 * DSP0266 asynchronous operations: a 202 names a task monitor in Location;
 * it answers 202 while the task runs, then the operation's own response,
 * which replaces reply.
 */
static int wait_task(struct rf_client *c, struct rf_reply *reply, struct lerr *err)
{
	char *monitor = xstrdup(reply->location);
	int polls, r = 0;

	for (polls = 0; reply->status == 202; polls++) {
		if (polls == RF_TASK_POLLS) {
			r = lerr_set(err, LADING_ERR_NETWORK, "task monitor %s: still running after %d s", monitor,
				     RF_TASK_POLLS * RF_TASK_POLL_MS / 1000);
			break;
		}
		bm_pause_ms(RF_TASK_POLL_MS);
		rf_reply_free(reply);
		if ((r = rf_call(c, "GET", monitor, NULL, NULL, reply, err)) != 0)
			break;
	}
	free(monitor);
	return r;
}

int rf_expect(struct rf_client *c, const char *method, const char *path, const char *body, const char *if_match,
	      struct rf_reply *reply, struct lerr *err)
{
	int code;

	if (rf_call(c, method, path, body, if_match, reply, err) != 0)
		return -1;
	if (reply->status == 202 && reply->location != NULL && strcmp(method, "GET") != 0 &&
	    wait_task(c, reply, err) != 0) {
		rf_reply_free(reply);
		return lerr_prefix(err, "%s %s", method, path);
	}
	if (reply->status >= 200 && reply->status <= 299)
		return 0;
	code = reply->status == 401 || reply->status == 403 ? LADING_ERR_AUTH
	       : reply->status == 404			    ? LADING_ERR_NOTFOUND
	       : reply->status >= 500			    ? LADING_ERR_NETWORK
							    : LADING_ERR_FORMAT;
	lerr_set(err, code, "%s %s: %s", method, path, reply->message);
	rf_reply_free(reply);
	return -1;
}

const char *rf_link(const json_t *doc, const char *key)
{
	const json_t *link = json_object_get(doc, key);

	if (link == NULL)
		link = json_object_get(json_object_get(doc, "Links"), key);
	return json_string_value(json_object_get(link, "@odata.id"));
}

static char *basic_value(const char *user, const char *password)
{
	char *pair = xasprintf("%s:%s", user, password);
	size_t len = strlen(pair);
	unsigned char *encoded = xmalloc(4 * ((len + 2) / 3) + 1);
	char *value;

	EVP_EncodeBlock(encoded, (const unsigned char *)pair, (int)len);
	value = xasprintf("Basic %s", (char *)encoded);
	OPENSSL_cleanse(pair, len);
	OPENSSL_cleanse(encoded, strlen((char *)encoded));
	free(pair);
	free(encoded);
	return value;
}

/*
 * DSP0266 §13.3: POST the credentials to the sessions collection; the token
 * comes back in X-Auth-Token. A BMC without sessions (no collection, 404, 405,
 * 501) gets Basic auth instead; a refusal is final.
 */
static int login(struct rf_client *c, const json_t *root, const struct rf_opts *opts, struct lerr *err)
{
	const char *sessions = rf_link(root, "Sessions");
	json_t *request;
	char *body;
	struct rf_reply reply;
	int r;

	c->basic = basic_value(opts->user, opts->password);
	if (sessions == NULL)
		return 0;
	request = json_pack("{s:s, s:s}", "UserName", opts->user, "Password", opts->password);
	body = request != NULL ? json_dumps(request, JSON_COMPACT) : NULL;
	json_decref(request); /* jansson copied the password; its copy is freed with the object */
	if (body == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot build the session request", c->base);
	/* The session request itself carries no Basic header: the credentials are its body. */
	secret_free(c->basic);
	c->basic = NULL;
	r = rf_call(c, "POST", sessions, body, NULL, &reply, err);
	secret_free(body);
	c->basic = basic_value(opts->user, opts->password);
	if (r != 0)
		return -1;
	if (reply.status == 404 || reply.status == 405 || reply.status == 501) {
		rf_reply_free(&reply);
		return 0;
	}
	if (reply.status < 200 || reply.status > 299 || reply.token == NULL) {
		lerr_set(err, reply.status == 401 || reply.status == 403 ? LADING_ERR_AUTH : LADING_ERR_FORMAT,
			 "login as '%s' refused by %s (%s)", opts->user, c->base,
			 reply.status >= 200 && reply.status <= 299 ? "no X-Auth-Token in the reply" : reply.message);
		rf_reply_free(&reply);
		return -1;
	}
	c->token_header = xasprintf("X-Auth-Token: %s", reply.token);
	if (reply.location != NULL)
		c->session_url = xstrdup(reply.location);
	secret_free(c->basic);
	c->basic = NULL;
	rf_reply_free(&reply);
	return 0;
}

/* The Systems member to drive: the one named by system_id (its Id), else the only one. */
static int find_system(struct rf_client *c, const json_t *root, const char *system_id, struct lerr *err)
{
	const char *systems = rf_link(root, "Systems"), *path;
	struct rf_reply reply;
	json_t *members, *member;
	struct buf listed = BUF_INIT(0);
	size_t i;
	int r = -1;

	if (systems == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: the service root links no Systems collection", c->base);
	if (rf_expect(c, "GET", systems, NULL, NULL, &reply, err) != 0) {
		if (err->code == LADING_ERR_AUTH)
			lerr_prefix(err, "credentials refused by %s", c->base);
		return -1;
	}
	members = json_object_get(reply.body, "Members");
	json_array_foreach(members, i, member)
	{
		const char *slash;

		if ((path = json_string_value(json_object_get(member, "@odata.id"))) == NULL)
			continue;
		slash = strrchr(path, '/');
		buf_printf(&listed, "%s%s", listed.len > 0 ? ", " : "", slash != NULL ? slash + 1 : path);
		if (system_id != NULL ? slash != NULL && strcmp(slash + 1, system_id) == 0
				      : json_array_size(members) == 1)
			c->system_path = xstrdup(path);
	}
	if (c->system_path == NULL) {
		if (system_id != NULL)
			lerr_set(err, LADING_ERR_NOTFOUND, "%s lists no system '%s' (it lists: %s)", c->base, system_id,
				 listed.len > 0 ? listed.data : "none");
		else
			lerr_set(err, LADING_ERR_USAGE, "%s lists %zu systems (%s): set 'system' to one of them",
				 c->base, json_array_size(members), listed.len > 0 ? listed.data : "none");
		goto out;
	}
	r = 0;
out:
	buf_free(&listed);
	rf_reply_free(&reply);
	return r;
}

int rf_refresh(struct rf_client *c, struct lerr *err)
{
	struct rf_reply reply;
	const json_t *etag;

	if (rf_expect(c, "GET", c->system_path, NULL, NULL, &reply, err) != 0)
		return -1;
	json_decref(c->system);
	c->system = json_incref(reply.body);
	free(c->etag);
	/* DSP0266 §7.5: the ETag header, or the @odata.etag property of the resource. */
	etag = json_object_get(c->system, "@odata.etag");
	c->etag = reply.etag != NULL	 ? xstrdup(reply.etag)
		  : json_is_string(etag) ? xstrdup(json_string_value(etag))
					 : NULL;
	rf_reply_free(&reply);
	return 0;
}

int rf_open(const struct rf_opts *opts, struct rf_client **out, struct lerr *err)
{
	struct rf_client *c = xcalloc(1, sizeof(*c));
	struct rf_reply root;
	const json_t *managers;
	const char *manager;

	*out = NULL;
	c->base = xstrdup(opts->url);
	c->tls.ca_file = opts->ca_file;
	c->http = http_session_new(opts->lg);
	http_session_set_tls(c->http, tls_for_bmc, c);
	http_session_set_retries(c->http, 2, 250);
	/* DSP0266 §9.2: the service root needs no authentication. */
	if (rf_expect(c, "GET", "/redfish/v1/", NULL, NULL, &root, err) != 0)
		goto fail;
	if (login(c, root.body, opts, err) != 0 || find_system(c, root.body, opts->system_id, err) != 0) {
		rf_reply_free(&root);
		goto fail;
	}
	rf_reply_free(&root);
	if (rf_refresh(c, err) != 0)
		goto fail;
	managers = json_object_get(json_object_get(c->system, "Links"), "ManagedBy");
	manager = json_string_value(json_object_get(json_array_get(managers, 0), "@odata.id"));
	c->manager_path = xstrdup(manager != NULL ? manager : "");
	*out = c;
	return 0;
fail:
	rf_close(c);
	return -1;
}

void rf_close(struct rf_client *c)
{
	struct rf_reply reply;
	struct lerr ignored;

	if (c == NULL)
		return;
	/* A session left open holds one of the BMC's few session slots until it times out. */
	if (c->session_url != NULL && rf_call(c, "DELETE", c->session_url, NULL, NULL, &reply, &ignored) == 0)
		rf_reply_free(&reply);
	http_session_free(c->http);
	secret_free(c->token_header);
	secret_free(c->basic);
	free(c->session_url);
	free(c->base);
	free(c->system_path);
	free(c->manager_path);
	free(c->etag);
	json_decref(c->system);
	free(c->media_path);
	json_decref(c->media);
	free(c);
}

const char *rf_power_state(const struct rf_client *c)
{
	const char *state = json_string_value(json_object_get(c->system, "PowerState"));

	return state != NULL ? state : "";
}

int rf_allowed(const json_t *values, const char *value)
{
	const json_t *item;
	size_t i;

	if (!json_is_array(values))
		return 1;
	json_array_foreach(values, i,
			   item) if (json_is_string(item) && strcmp(json_string_value(item), value) == 0) return 1;
	return 0;
}

int rf_reset_allowed(const struct rf_client *c, const char *reset_type)
{
	const json_t *action = json_object_get(json_object_get(c->system, "Actions"), "#ComputerSystem.Reset");

	if (action == NULL)
		return 0;
	return rf_allowed(json_object_get(action, "ResetType@Redfish.AllowableValues"), reset_type);
}

int rf_reset(struct rf_client *c, const char *reset_type, struct lerr *err)
{
	const json_t *action = json_object_get(json_object_get(c->system, "Actions"), "#ComputerSystem.Reset");
	const char *target = json_string_value(json_object_get(action, "target"));
	char *body;
	struct rf_reply reply;

	if (target == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s has no #ComputerSystem.Reset action", c->base,
				c->system_path);
	body = xasprintf("{\"ResetType\":\"%s\"}", reset_type); /* reset_type is one of lading's own words */
	if (rf_expect(c, "POST", target, body, NULL, &reply, err) != 0) {
		free(body);
		return -1;
	}
	free(body);
	rf_reply_free(&reply);
	return 0;
}

static int patch_boot(struct rf_client *c, const char *body, long *status, struct lerr *err)
{
	struct rf_reply reply;

	if (rf_call(c, "PATCH", c->system_path, body, c->etag, &reply, err) != 0)
		return -1;
	if (reply.status == 202 && reply.location != NULL && wait_task(c, &reply, err) != 0) {
		rf_reply_free(&reply);
		return lerr_prefix(err, "PATCH %s", c->system_path);
	}
	*status = reply.status;
	if (reply.status == 412) { /* changed since we read it: the caller reads again */
		rf_reply_free(&reply);
		return 0;
	}
	if (reply.status < 200 || reply.status > 299) {
		lerr_set(err, reply.status == 401 || reply.status == 403 ? LADING_ERR_AUTH : LADING_ERR_FORMAT,
			 "PATCH %s: %s", c->system_path, reply.message);
		rf_reply_free(&reply);
		return -1;
	}
	rf_reply_free(&reply);
	return 0;
}

int rf_boot_once(struct rf_client *c, const char *target, int uefi, struct lerr *err)
{
	const json_t *boot = json_object_get(c->system, "Boot");
	char *body;
	long status = 0;
	int attempt, r = -1;

	if (boot == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s has no Boot property", c->base, c->system_path);
	if (!rf_allowed(json_object_get(boot, "BootSourceOverrideTarget@Redfish.AllowableValues"), target))
		return lerr_set(err, LADING_ERR_USAGE, "%s: %s does not offer boot target '%s'", c->base,
				c->system_path, target);
	body = xasprintf("{\"Boot\":{\"BootSourceOverrideEnabled\":\"Once\",\"BootSourceOverrideTarget\":\"%s\","
			 "\"BootSourceOverrideMode\":\"%s\"}}",
			 target, uefi ? "UEFI" : "Legacy");
	for (attempt = 0; attempt < 2; attempt++) {
		if (patch_boot(c, body, &status, err) != 0)
			goto out;
		if (status != 412)
			break;
		if (rf_refresh(c, err) != 0)
			goto out;
	}
	if (status == 412) {
		lerr_set(err, LADING_ERR_FORMAT, "PATCH %s: the ETag changed twice while lading set the boot override",
			 c->system_path);
		goto out;
	}
	r = rf_refresh(c, err);
out:
	free(body);
	return r;
}

const char *rf_system_path(const struct rf_client *c)
{
	return c->system_path;
}

const char *rf_manager_path(const struct rf_client *c)
{
	return c->manager_path;
}

const char *rf_auth_kind(const struct rf_client *c)
{
	return c->token_header != NULL ? "session" : "basic";
}
