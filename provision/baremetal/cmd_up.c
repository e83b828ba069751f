/*
 * lading baremetal image|up: each node's live image, and the whole bring-up
 * (image, boot through the BMC, SSH with the host key lading put into the
 * image, an inventory, and optionally the site's roles through provision).
 */
#include "provision/baremetal/cmd_up.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/termsafe.h"
#include "lib/xmalloc.h"
#include "provision/baremetal/image.h"
#include "provision/baremetal/media_http.h"
#include "provision/baremetal/up.h"
#include "provision/cmd_provision.h"

#define UP_JOBS_DEFAULT 8
#define UP_TIMEOUT_DEFAULT 900
#define UP_POWER_TIMEOUT_DEFAULT 120

enum {
	OPT_SITE = 1,
	OPT_IMAGES,
	OPT_JOBS,
	OPT_TIMEOUT,
	OPT_POWER_TIMEOUT,
	OPT_GRACEFUL,
	OPT_INVENTORY_OUT,
	OPT_KNOWN_HOSTS,
	OPT_MEDIA_LISTEN,
	OPT_MEDIA_URL,
	OPT_PROVISION,
	OPT_LOG_DIR,
};

struct up_options {
	const char *site_file;
	const char *images;
	const char *inventory_out;
	const char *known_hosts;
	const char *media_listen;
	const char *media_url;
	const char *log_dir;
	long jobs, timeout_s, power_timeout_s;
	int graceful, provision;
};

static const struct cli_option image_options[] = {
    {"site", 's', "FILE", OPT_SITE, "the site file with a baremetal: section (lading-site(5)); required"},
    {"images", 0, "DIR", OPT_IMAGES,
     "where each node's image goes, as DIR/NODE/ (default baremetal-images next to the site file)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option up_options[] = {
    {"site", 's', "FILE", OPT_SITE, "the site file with a baremetal: section (lading-site(5)); required"},
    {"images", 0, "DIR", OPT_IMAGES,
     "where each node's image goes, as DIR/NODE/ (default baremetal-images next to the site file)"},
    {"inventory-out", 'o', "FILE", OPT_INVENTORY_OUT,
     "inventory to write (default baremetal-inventory.yml next to the site file)"},
    {"known-hosts", 0, "FILE", OPT_KNOWN_HOSTS,
     "known_hosts that gets each node's host key before it boots (default ~/.ssh/known_hosts)"},
    {"media-listen", 0, "HOST:PORT", OPT_MEDIA_LISTEN,
     "serve the images to the BMCs over HTTP here (required for redfish nodes)"},
    {"media-url", 0, "URL", OPT_MEDIA_URL,
     "the base URL the BMCs fetch the images from (default http://HOST:PORT of --media-listen)"},
    {"jobs", 'j', "N", OPT_JOBS, "nodes in parallel, 1-256 (default 8)"},
    {"timeout", 't', "S", OPT_TIMEOUT, "seconds for a node to answer SSH after power-on, 10-86400 (default 900)"},
    {"power-timeout", 0, "S", OPT_POWER_TIMEOUT,
     "seconds for the BMC to report the asked power state, 1-3600 (default 120)"},
    {"graceful", 0, NULL, OPT_GRACEFUL, "power a running node off with GracefulShutdown first"},
    {"provision", 0, NULL, OPT_PROVISION, "then apply the site's roles to the nodes up (lading provision apply)"},
    {"log-dir", 0, "DIR", OPT_LOG_DIR,
     "with --provision: per-run host logs go to DIR/<time>/<host>.log (default runs)"},
    {NULL, 0, NULL, 0, NULL},
};

/* Returns -1 to go on, else the exit status to return now. */
static int parse_up_options(struct cli *cli, struct up_options *opts, struct logger *lg)
{
	int c, status = 2;

	opts->jobs = UP_JOBS_DEFAULT;
	opts->timeout_s = UP_TIMEOUT_DEFAULT;
	opts->power_timeout_s = UP_POWER_TIMEOUT_DEFAULT;
	cli->summary = BM_CLI_SUMMARY;
	while ((c = cli_next(cli)) > 0) {
		if (c == OPT_SITE)
			opts->site_file = cli->arg;
		else if (c == OPT_IMAGES)
			opts->images = cli->arg;
		else if (c == OPT_INVENTORY_OUT)
			opts->inventory_out = cli->arg;
		else if (c == OPT_KNOWN_HOSTS)
			opts->known_hosts = cli->arg;
		else if (c == OPT_MEDIA_LISTEN)
			opts->media_listen = cli->arg;
		else if (c == OPT_MEDIA_URL)
			opts->media_url = cli->arg;
		else if (c == OPT_JOBS && cli_int(cli, 1, 256, &opts->jobs) != 0)
			return status;
		else if (c == OPT_TIMEOUT && cli_int(cli, 10, 86400, &opts->timeout_s) != 0)
			return status;
		else if (c == OPT_POWER_TIMEOUT && cli_int(cli, 1, 3600, &opts->power_timeout_s) != 0)
			return status;
		else if (c == OPT_GRACEFUL)
			opts->graceful = 1;
		else if (c == OPT_PROVISION)
			opts->provision = 1;
		else if (c == OPT_LOG_DIR)
			opts->log_dir = cli->arg;
	}
	if ((status = bm_options_end(cli, c, opts->site_file, lg)) >= 0)
		return status;
	if (opts->media_url != NULL && strncmp(opts->media_url, "http://", 7) != 0 &&
	    strncmp(opts->media_url, "https://", 8) != 0)
		return cli_usage_error(cli, "--media-url '%s' is not an http:// or https:// URL", opts->media_url);
	return -1;
}

/* NAME next to the site file, unless given. */
static char *beside_site(const char *site_file, const char *given, const char *name)
{
	const char *slash = strrchr(site_file, '/');

	if (given != NULL)
		return xstrdup(given);
	if (slash == NULL)
		return xstrdup(name);
	return xasprintf("%.*s/%s", (int)(slash - site_file), site_file, name);
}

/* One line per failed node; most messages already start with the node's name. */
static void print_failure(const char *node, const char *message)
{
	size_t len = strlen(node);

	fprintf(stderr, "lading: baremetal: ");
	if (strncmp(message, node, len) != 0 || message[len] != ':')
		fprintf(stderr, "%s: ", node);
	termsafe_fputs(message, stderr);
	fputc('\n', stderr);
}

int baremetal_image(int argc, char **argv)
{
	struct up_options opts;
	struct bm_site *site = NULL;
	struct logger lg;
	struct cli cli;
	int *selected = NULL, status, failures = 0;
	char *out_dir = NULL;
	size_t i;

	memset(&opts, 0, sizeof(opts));
	cli_init(&cli, "lading baremetal image", "-s site.yaml [options] [NODE|GROUP...]", image_options,
		 CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	if ((status = parse_up_options(&cli, &opts, &lg)) >= 0 ||
	    (status = bm_load_selected(&cli, opts.site_file, 0, &site, &selected)) >= 0)
		goto out;
	out_dir = beside_site(opts.site_file, opts.images, "baremetal-images");
	for (i = 0; i < site->node_count; i++) {
		const struct bm_node *node = &site->nodes[i];
		struct bm_image img;
		struct lerr err;

		if (!selected[i])
			continue;
		lerr_clear(&err);
		if (bm_image_build(node, out_dir, &lg, &img, &err) != 0) {
			failures++;
			if (lg.json)
				cli_print_json(json_pack("{s:s, s:s, s:s}", "node", node->name, "status", "failed",
							 "error", err.msg));
			print_failure(node->name, err.msg);
			continue;
		}
		if (lg.json)
			cli_print_json(json_pack("{s:s, s:s, s:s*, s:s*, s:s*, s:b}", "node", node->name, "status",
						 "built", "initrd", img.initrd, "iso", img.iso, "host_key",
						 img.host_fingerprint[0] != '\0' ? img.host_fingerprint : NULL,
						 "key_created", img.key_created));
		else
			printf("%-24s %-50s %s\n", node->name, img.iso != NULL ? img.iso : img.initrd,
			       img.host_fingerprint[0] != '\0' ? img.host_fingerprint : "-");
		bm_image_free(&img);
	}
	status = failures > 0 ? 1 : 0;
out:
	free(out_dir);
	free(selected);
	bm_site_free(site);
	cli_free(&cli);
	return status;
}

/*
 * The entry point of every IPMI node's network boot: the site's DHCP gives
 * iPXE this URL, and it chains to the script of the MAC it booted from.
 */
static int publish_boot_ipxe(struct bm_up *up, const char *out_dir, const char *url, struct lerr *err)
{
	char *path = xasprintf("%s/boot.ipxe", out_dir);
	char *script = xasprintf("#!ipxe\nchain %s/pxe-${mac:hexhyp}.ipxe\n", url);
	int r = 0;

	if (fs_mkdir_p(out_dir, err) != 0 || fs_write_file(path, script, strlen(script), 0644, err) != 0 ||
	    bm_media_add(up->media, "/boot.ipxe", path, err) != 0)
		r = -1;
	free(path);
	free(script);
	return r;
}

/*
 * The media server when a selected node needs it (the ISO a Redfish BMC
 * inserts, the kernel and initrd an IPMI node loads over PXE), and its URL base.
 */
static int start_media(struct cli *cli, const struct up_options *opts, const struct bm_site *site, const int *selected,
		       const char *out_dir, const struct logger *lg, struct bm_up *up, char **url)
{
	struct lerr err;
	size_t i;
	int needed = 0, pxe = 0;
	char host[256];
	const char *colon;

	for (i = 0; i < site->node_count; i++) {
		needed |= selected[i];
		pxe |= selected[i] && site->nodes[i].protocol == BM_PROTOCOL_IPMI;
	}
	if (!needed)
		return 0;
	if (opts->media_listen == NULL)
		return cli_usage_error(
		    cli, "nodes boot images lading serves (the ISO to Redfish BMCs, kernel and initrd "
			 "over PXE to IPMI nodes): give --media-listen ADDRESS:PORT on an address they reach");
	colon = strrchr(opts->media_listen, ':');
	snprintf(host, sizeof(host), "%.*s", colon != NULL ? (int)(colon - opts->media_listen) : 0, opts->media_listen);
	if (opts->media_url == NULL && (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0))
		return cli_usage_error(cli,
				       "--media-listen '%s' names no address the BMCs can use: give --media-url "
				       "http://ADDRESS:PORT too",
				       opts->media_listen);
	if (bm_media_start(opts->media_listen, lg, &up->media, &err) != 0) {
		lerr_prefix(&err, "baremetal up");
		return cli_fail(&err);
	}
	if (opts->media_url != NULL) {
		size_t len = strlen(opts->media_url);

		while (len > 0 && opts->media_url[len - 1] == '/')
			len--;
		*url = xstrndup(opts->media_url, len);
	} else {
		*url = xasprintf("http://%s:%d", host, bm_media_port(up->media));
	}
	if (pxe && publish_boot_ipxe(up, out_dir, *url, &err) != 0) {
		lerr_prefix(&err, "baremetal up");
		return cli_fail(&err);
	}
	log_msg(lg, LOG_VERBOSE, "images served at %s/%s", *url, pxe ? " (PXE: boot.ipxe)" : "");
	return 0;
}

static void print_up(const struct bm_up *up, size_t i, int json)
{
	const struct bm_node *node = &up->site->nodes[i];
	const struct bm_up_result *res = &up->results[i];

	if (!res->done)
		return;
	if (json)
		cli_print_json(json_pack("{s:s, s:s, s:s*, s:b, s:s*, s:f, s:s*}", "node", node->name, "status",
					 res->status, "address", node->address, "changed", res->changed, "host_key",
					 res->fingerprint[0] != '\0' ? res->fingerprint : NULL, "seconds", res->seconds,
					 "error", res->failed ? res->error : NULL));
	else
		printf("%-24s %-12s %-15s %s\n", node->name, res->status, node->address != NULL ? node->address : "-",
		       res->fingerprint[0] != '\0' ? res->fingerprint : "-");
	if (res->failed)
		print_failure(node->name, res->error);
}

/* lading provision apply on the nodes that are up, with the same site, inventory and known_hosts. */
static int run_provision(const struct up_options *opts, const struct bm_up *up, const char *inventory,
			 const char *known_hosts, const struct logger *lg)
{
	struct buf limit = BUF_INIT(0);
	char *argv[16];
	int argc = 0, status;
	size_t i;

	for (i = 0; i < up->site->node_count; i++)
		if (up->results[i].done && !up->results[i].failed)
			buf_printf(&limit, "%s%s", limit.len > 0 ? "," : "", up->site->nodes[i].name);
	if (limit.len == 0) {
		buf_free(&limit);
		return 0;
	}
	argv[argc++] = "provision";
	argv[argc++] = "apply";
	argv[argc++] = "-i";
	argv[argc++] = (char *)inventory;
	argv[argc++] = "-s";
	argv[argc++] = (char *)opts->site_file;
	argv[argc++] = "--known-hosts";
	argv[argc++] = (char *)known_hosts;
	argv[argc++] = "--limit";
	argv[argc++] = limit.data;
	if (opts->log_dir != NULL) {
		argv[argc++] = "--log-dir";
		argv[argc++] = (char *)opts->log_dir;
	}
	if (lg->json)
		argv[argc++] = "--json";
	if (lg->level < LOG_WARN)
		argv[argc++] = "-q";
	argv[argc] = NULL;
	log_msg(lg, LOG_INFO, "provisioning %s", limit.data);
	status = cmd_provision(argc, argv);
	buf_free(&limit);
	return status;
}

int baremetal_up(int argc, char **argv)
{
	struct up_options opts;
	struct bm_site *site = NULL;
	struct bm_up up;
	struct logger lg;
	struct lerr err;
	struct cli cli;
	int *selected = NULL, status;
	char *out_dir = NULL, *inventory = NULL, *known_hosts = NULL, *url = NULL;
	size_t i;

	memset(&opts, 0, sizeof(opts));
	memset(&up, 0, sizeof(up));
	cli_init(&cli, "lading baremetal up", "-s site.yaml [options] [NODE|GROUP...]", up_options,
		 CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	if ((status = parse_up_options(&cli, &opts, &lg)) >= 0 ||
	    (status = bm_load_selected(&cli, opts.site_file, 0, &site, &selected)) >= 0)
		goto out;
	if (opts.known_hosts == NULL && getenv("HOME") == NULL) {
		status = cli_usage_error(&cli, "$HOME is not set: give --known-hosts FILE");
		goto out;
	}
	known_hosts =
	    opts.known_hosts != NULL ? xstrdup(opts.known_hosts) : xasprintf("%s/.ssh/known_hosts", getenv("HOME"));
	out_dir = beside_site(opts.site_file, opts.images, "baremetal-images");
	if ((status = start_media(&cli, &opts, site, selected, out_dir, &lg, &up, &url)) != 0)
		goto out;
	inventory = beside_site(opts.site_file, opts.inventory_out, "baremetal-inventory.yml");
	up.site = site;
	up.selected = selected;
	up.jobs = opts.jobs;
	up.timeout_s = opts.timeout_s;
	up.power_timeout_s = opts.power_timeout_s;
	up.graceful = opts.graceful;
	up.out_dir = out_dir;
	up.known_hosts = known_hosts;
	up.media_url = url;
	up.lg = &lg;
	if (bm_up_run(&up, &err) != 0) {
		lerr_prefix(&err, "baremetal up");
		status = cli_fail(&err);
		goto out;
	}
	bm_media_stop(up.media);
	up.media = NULL;
	for (i = 0; i < site->node_count; i++)
		print_up(&up, i, lg.json);
	if (bm_up_write_inventory(&up, inventory, &err) != 0) {
		lerr_prefix(&err, "baremetal up");
		status = cli_fail(&err);
		goto out;
	}
	log_msg(&lg, LOG_INFO, "inventory written to '%s'", inventory);
	status = up.failures > 0 ? 1 : 0;
	if (opts.provision) {
		int provisioned = run_provision(&opts, &up, inventory, known_hosts, &lg);

		status = status != 0 ? status : provisioned;
	}
out:
	bm_media_stop(up.media);
	bm_up_free(&up);
	free(url);
	free(out_dir);
	free(inventory);
	free(known_hosts);
	free(selected);
	bm_site_free(site);
	cli_free(&cli);
	return status;
}
