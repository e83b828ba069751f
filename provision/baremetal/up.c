#include "provision/baremetal/up.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "provision/baremetal/image.h"
#include "provision/baremetal/run.h"
#include "provision/ssh/knownhosts.h"
#include "provision/ssh/ssh.h"

/* Seconds between SSH attempts while a node boots, and the most one attempt may take. */
#define UP_RETRY_S 2
#define UP_CONNECT_MS 5000

static const char *node_var(const struct bm_node *node, const char *name)
{
	size_t i;

	for (i = 0; i < node->var_count; i++)
		if (strcmp(node->vars[i].name, name) == 0)
			return node->vars[i].value;
	return NULL;
}

/*
 * The node's key goes into known_hosts before it boots, so the first
 * connection is already strict. Another key for the address is refused:
 * lading never overwrites what someone else recorded.
 */
static int record_host_key(const struct bm_up *up, const struct bm_node *node, const struct bm_image *img,
			   struct lerr *err)
{
	struct kh_file *kh = kh_new();
	enum kh_status status;
	int r = 0;

	if (kh_load(kh, up->known_hosts, 1, err) != 0) {
		kh_free(kh);
		return -1;
	}
	status = kh_check(kh, node->address, 22, img->host_blob, img->host_blob_len);
	kh_free(kh);
	if (status == KH_MISMATCH || status == KH_REVOKED)
		return lerr_set(err, LADING_ERR_AUTH,
				"%s: %s already holds another ssh-ed25519 key for %s (an earlier install?): remove it "
				"with ssh-keygen -R %s -f %s, then run up again",
				node->name, up->known_hosts, node->address, node->address, up->known_hosts);
	if (status != KH_MATCH) {
		r = kh_append(up->known_hosts, node->address, 22, img->host_blob, img->host_blob_len, err);
		if (r == 0)
			log_msg(up->lg, LOG_INFO, "%s: host key %s recorded in %s for %s", node->name,
				img->host_fingerprint, up->known_hosts, node->address);
	}
	return r;
}

/* One SSH login with strict host keys: a node that answers this is up. */
static int ssh_check(const struct bm_up *up, const struct bm_node *node, int timeout_ms, struct lerr *err)
{
	struct ssh_target target;
	struct ssh_opts opts;
	struct ssh_conn *conn = NULL;

	memset(&target, 0, sizeof(target));
	memset(&opts, 0, sizeof(opts));
	target.name = node->name;
	target.host = node->address;
	target.port = node->ssh_port;
	target.user = node_var(node, "ansible_user") != NULL ? node_var(node, "ansible_user") : "root";
	target.key_file = node_var(node, "ansible_ssh_private_key_file"); /* NULL: the agent, then ~/.ssh/id_* */
	opts.known_hosts = up->known_hosts;
	opts.host_key_policy = SSH_HOST_KEY_STRICT;
	opts.connect_timeout_ms = timeout_ms;
	opts.lg = NULL; /* the attempts while a node boots are expected to fail: no noise */
	if (ssh_conn_open(&target, &opts, &conn, err) != 0)
		return -1;
	ssh_conn_close(conn);
	return 0;
}

/* Until SSH answers or the deadline; a refused host key or login ends the wait at once. */
static int wait_ssh(const struct bm_up *up, const struct bm_node *node, struct bm_up_result *res, struct lerr *err)
{
	double start = log_now(), deadline = start + (double)up->timeout_s;
	struct lerr last;

	for (;;) {
		double left = deadline - log_now();
		int timeout_ms = left * 1000.0 < UP_CONNECT_MS ? (int)(left * 1000.0) : UP_CONNECT_MS;

		lerr_clear(&last);
		if (ssh_check(up, node, timeout_ms > 100 ? timeout_ms : 100, &last) == 0) {
			res->seconds = log_now() - start;
			return 0;
		}
		if (last.code == LADING_ERR_AUTH) {
			*err = last;
			return -1;
		}
		if (log_now() + UP_RETRY_S >= deadline)
			return lerr_set(err, LADING_ERR_NETWORK,
					"%s: no SSH on %s %ld s after power-on (last: %s); see the node's console",
					node->name, node->address, up->timeout_s, last.msg);
		bm_pause_ms(UP_RETRY_S * 1000L);
	}
}

static int bmc_step(const struct bm_up *up, const struct bm_node *node, enum bm_action action, const char *media_url,
		    struct lerr *err)
{
	struct bm_run run;
	struct bm_result res;
	int r;

	memset(&run, 0, sizeof(run));
	memset(&res, 0, sizeof(res));
	run.site = up->site;
	run.action = action;
	run.uefi = node->uefi;
	run.media_url = media_url;
	run.graceful = up->graceful;
	run.timeout_s = up->power_timeout_s;
	run.jobs = 1;
	run.lg = up->lg;
	r = bm_node_work(&run, node, &res, err);
	if (r != 0)
		lerr_prefix(err, "%s", node->name);
	return r;
}

/* A name nobody can guess: the images hold the node's private host key, and are served only during up. */
static int secret_name(const struct bm_node *node, const char *suffix, char **out, struct lerr *err)
{
	unsigned char nonce[12];
	char hex[sizeof(nonce) * 2 + 1];
	size_t i;

	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: no random bytes for the image's URL", node->name);
	for (i = 0; i < sizeof(nonce); i++)
		snprintf(hex + 2 * i, 3, "%02x", nonce[i]);
	*out = xasprintf("/%s-%s%s", node->name, hex, suffix);
	return 0;
}

/* Redfish: the ISO goes into the virtual drive by URL. */
static int publish_iso(const struct bm_up *up, const struct bm_node *node, const struct bm_image *img, char **url,
		       struct lerr *err)
{
	char *path = NULL;
	int r;

	if (img->iso == NULL)
		return lerr_set(err, LADING_ERR_USAGE,
				"%s: no ISO to boot: give 'isolinux' (lading builds one) or 'iso' in the site file",
				node->name);
	if (secret_name(node, ".iso", &path, err) != 0)
		return -1;
	r = bm_media_add(up->media, path, img->iso, err);
	if (r == 0)
		*url = xasprintf("%s%s", up->media_url, path);
	free(path);
	return r;
}

/*
 * IPMI has no virtual media: the node boots from the network. The site's
 * DHCP hands iPXE the URL of boot.ipxe, which chains to the script of the
 * node's MAC (pxe-aa-bb-cc-dd-ee-ff.ipxe), which loads its kernel and initrd.
 */
static int publish_pxe(const struct bm_up *up, const struct bm_node *node, const struct bm_image *img, struct lerr *err)
{
	char *kernel = NULL, *initrd = NULL, *script = NULL, *script_path = NULL, *name = NULL;
	int r = -1;

	if (img->initrd == NULL || node->kernel == NULL)
		return lerr_set(
		    err, LADING_ERR_USAGE,
		    "%s: an IPMI node boots the live kernel and initrd over PXE: give 'kernel' and 'initrd'",
		    node->name);
	if (node->mac == NULL)
		return lerr_set(err, LADING_ERR_USAGE,
				"%s: give 'mac': the node's PXE script is chosen by the MAC it boots from", node->name);
	if (secret_name(node, "-vmlinuz", &kernel, err) != 0 || secret_name(node, "-initrd.img", &initrd, err) != 0)
		goto out;
	script = xasprintf("#!ipxe\n"
			   "kernel %s%s initrd=initrd.img console=tty0 console=ttyS0,115200n8 panic=30\n"
			   "initrd --name initrd.img %s%s\n"
			   "boot\n",
			   up->media_url, kernel, up->media_url, initrd);
	script_path = xasprintf("%s/pxe.ipxe", img->dir);
	name = xasprintf("/pxe-%s.ipxe", node->mac);
	for (char *p = name; *p != '\0'; p++)
		*p = *p == ':' ? '-' : *p;
	if (fs_write_file(script_path, script, strlen(script), 0600, err) != 0 ||
	    bm_media_add(up->media, kernel, node->kernel, err) != 0 ||
	    bm_media_add(up->media, initrd, img->initrd, err) != 0 ||
	    bm_media_add(up->media, name, script_path, err) != 0)
		goto out;
	log_msg(up->lg, LOG_VERBOSE, "%s: PXE script %s%s", node->name, up->media_url, name);
	r = 0;
out:
	free(kernel);
	free(initrd);
	free(script);
	free(script_path);
	free(name);
	return r;
}

static int up_node(const struct bm_up *up, const struct bm_node *node, struct bm_up_result *res, struct lerr *err)
{
	struct bm_image img;
	char *url = NULL;
	int r = -1;

	if (node->address == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "%s: no 'address': up needs it to reach the node over SSH",
				node->name);
	if (bm_image_build(node, up->out_dir, up->lg, &img, err) != 0)
		return -1;
	snprintf(res->fingerprint, sizeof(res->fingerprint), "%s", img.host_fingerprint);
	if (img.host_blob_len > 0 && record_host_key(up, node, &img, err) != 0)
		goto out;
	if (ssh_check(up, node, UP_CONNECT_MS, err) == 0) {
		res->status = "already-up";
		r = 0;
		goto out;
	}
	log_msg(up->lg, LOG_VERBOSE, "%s: not up yet (%s): booting it", node->name, err->msg);
	lerr_clear(err);
	if (node->protocol == BM_PROTOCOL_REDFISH ? publish_iso(up, node, &img, &url, err) != 0
						  : publish_pxe(up, node, &img, err) != 0)
		goto out;
	log_msg(up->lg, LOG_INFO, "%s: booting %s", node->name, url != NULL ? url : "from the network (PXE)");
	if (bmc_step(up, node, BM_UP_BOOT, url, err) != 0)
		goto out;
	res->changed = 1;
	if (wait_ssh(up, node, res, err) != 0)
		goto out;
	res->status = "up";
	log_msg(up->lg, LOG_INFO, "%s: up over SSH at %s after %.0f s", node->name, node->address, res->seconds);
	if (url != NULL) {
		struct lerr eject;

		/* The node runs from memory: the drive is free again. A BMC that will not eject is only noted. */
		lerr_clear(&eject);
		if (bmc_step(up, node, BM_MEDIA_EJECT, NULL, &eject) != 0)
			log_msg(up->lg, LOG_WARN, "%s", eject.msg);
	}
	r = 0;
out:
	free(url);
	bm_image_free(&img);
	return r;
}

static int up_job(void *ctx, size_t index)
{
	struct bm_up *up = ctx;
	struct bm_up_result *res = &up->results[index];
	struct lerr err;

	lerr_clear(&err);
	res->done = 1;
	if (up_node(up, &up->site->nodes[index], res, &err) != 0) {
		res->failed = 1;
		res->status = "failed";
		snprintf(res->error, sizeof(res->error), "%s", err.msg);
		return -1;
	}
	return 0;
}

int bm_up_run(struct bm_up *up, struct lerr *err)
{
	up->results = xcalloc(up->site->node_count + 1, sizeof(*up->results));
	return bm_each_selected(up->site, up->selected, up->jobs, up_job, up, &up->failures, err);
}

/* A YAML double-quoted scalar: JSON's string syntax is one. */
static void yaml_string(struct buf *out, const char *text)
{
	json_t *s = json_string(text);
	char *quoted = s != NULL ? json_dumps(s, JSON_ENCODE_ANY) : NULL;

	buf_puts(out, quoted != NULL ? quoted : "\"\"");
	free(quoted);
	json_decref(s);
}

static int is_up(const struct bm_up *up, size_t i)
{
	return up->results[i].done && !up->results[i].failed;
}

static void group_block(const struct bm_up *up, struct buf *out, const char *group)
{
	size_t i, j;
	int any = 0;

	buf_puts(out, "    ");
	yaml_string(out, group);
	buf_puts(out, ":\n      hosts:");
	for (i = 0; i < up->site->node_count; i++) {
		const struct bm_node *node = &up->site->nodes[i];
		int member = strcmp(group, "baremetal") == 0;

		for (j = 0; j < node->group_count && !member; j++)
			member = strcmp(node->groups[j], group) == 0;
		if (!member || !is_up(up, i))
			continue;
		buf_puts(out, any ? "" : "\n");
		any = 1;
		buf_puts(out, "        ");
		yaml_string(out, node->name);
		buf_puts(out, ": {}\n");
	}
	if (!any)
		buf_puts(out, " {}\n");
}

int bm_up_write_inventory(const struct bm_up *up, const char *path, struct lerr *err)
{
	const struct bm_site *site = up->site;
	struct buf out = BUF_INIT(0);
	size_t i, j, k, l;
	int r, any = 0;

	buf_printf(&out,
		   "# Written by lading baremetal up from %s: the nodes up over SSH.\nall:\n  hosts:", site->file);
	for (i = 0; i < site->node_count; i++) {
		const struct bm_node *node = &site->nodes[i];

		if (!is_up(up, i))
			continue;
		buf_puts(&out, any ? "" : "\n");
		any = 1;
		buf_puts(&out, "    ");
		yaml_string(&out, node->name);
		buf_puts(&out, ":\n      ansible_host: ");
		yaml_string(&out, node->address);
		buf_puts(&out, "\n");
		for (k = 0; k < node->var_count; k++) {
			buf_puts(&out, "      ");
			yaml_string(&out, node->vars[k].name);
			buf_puts(&out, ": ");
			yaml_string(&out, node->vars[k].value);
			buf_puts(&out, "\n");
		}
	}
	if (!any)
		buf_puts(&out, " {}\n");
	buf_puts(&out, "  children:\n");
	group_block(up, &out, "baremetal");
	for (i = 0; i < site->node_count; i++)
		for (j = 0; j < site->nodes[i].group_count; j++) {
			const char *group = site->nodes[i].groups[j];
			int seen = strcmp(group, "baremetal") == 0;

			for (k = 0; k <= i && !seen; k++)
				for (l = 0; l < site->nodes[k].group_count && !seen; l++)
					seen = (k < i || l < j) && strcmp(site->nodes[k].groups[l], group) == 0;
			if (!seen)
				group_block(up, &out, group);
		}
	r = fs_write_file(path, out.data, out.len, 0644, err);
	buf_free(&out);
	return r;
}

void bm_up_free(struct bm_up *up)
{
	free(up->results);
	up->results = NULL;
}
