/*
 * registry_hosts for podman/CRI-O and Docker Engine nodes (the registry-mirror
 * role; containerd's hosts.toml are in steps_file.c). The files are built here
 * (roles_mirror.c) and put in place like any file step: asked for their
 * digest first, written under a temporary name only when they differ.
 * daemon.json is read from the node and merged here with jansson, so the node
 * needs no jq or python, and a file that is not JSON is never touched.
 */
#include "provision/steps.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xmalloc.h"
#include "provision/roles.h"
#include "provision/steps_int.h"

#define DAEMON_JSON_MAX (1u << 20)

int step_keep_host(struct step_host *host)
{
	const char *value = step_var(host, "registry_keep_host");
	static const char *const yes[] = {"true", "yes", "on", "1"};
	size_t i;

	for (i = 0; value != NULL && i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(value, yes[i]) == 0)
			return 1;
	return 0;
}

/* The site CA as <dir>/certs.d/<registry>/ca.crt, when the registry speaks TLS with its own CA. */
static int put_ca(struct step_host *host, const struct site_step *step, int *changed, struct step_result *res)
{
	const struct site_registry *reg = &host->site->registry;
	char *dest;
	int rc;

	*changed = 0;
	if (reg->plain_http || reg->ca_file == NULL)
		return 0;
	dest = xasprintf("%s/certs.d/%s/ca.crt", step->dir, reg->address);
	rc = step_put_file(host, step, reg->ca_file, dest, changed, res);
	free(dest);
	return rc;
}

/* The step's summary once every file is done (res holds the last file's words until then). */
static void summary(struct step_host *host, struct step_result *res, const char *what, int changed, int ca_changed)
{
	if (res->status == STEP_STATUS_FAILED)
		return;
	if (changed || ca_changed)
		step_set(res, STEP_STATUS_CHANGED, "%s %s%s", host->check ? "would write" : "wrote",
			 changed ? what : "", ca_changed ? (changed ? " and the CA" : "the CA") : "");
	else
		step_set(res, STEP_STATUS_OK, "%s and the CA up to date", what);
}

/* Writes the runtime's configuration file, then the CA, and sums up the step. */
static int put_conf_and_ca(struct step_host *host, const struct site_step *step, const char *text, const char *dest,
			   struct step_result *res)
{
	int changed = 0, ca_changed = 0, rc;

	if ((rc = step_put_text(host, step, text, strlen(text), dest, &changed, res)) != 0 ||
	    res->status == STEP_STATUS_FAILED)
		return rc;
	if ((rc = put_ca(host, step, &ca_changed, res)) != 0)
		return rc;
	summary(host, res, dest, changed, ca_changed);
	return 0;
}

int step_registry_containers(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	const struct site_registry *reg = &host->site->registry;
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1u << 16);
	char why[256] = "", *conf = NULL, *dest = NULL;
	struct lerr err;
	int status = 0, rc = 0;

	/* drop-ins must share the main file's version: a version 1 file ([registries.search]) makes them an error */
	buf_puts(&cmd, "f=");
	step_sh_quote(&cmd, step->dir);
	buf_puts(&cmd, "/registries.conf; ! grep -Eq '^[[:space:]]*\\[registries\\.' \"$f\" 2>/dev/null");
	if (step_sh(host, cmd.data, step_become(host, step), &out, &status, why, sizeof(why), &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		rc = -1;
		goto out;
	}
	if (status != 0) {
		step_set(res, STEP_STATUS_FAILED,
			 "%s/registries.conf is in the version 1 format ([registries.*] tables), which refuses "
			 "version 2 drop-ins: convert it to version 2 ([[registry]] tables)",
			 step->dir);
		goto out;
	}
	conf = role_containers_conf(reg, step_keep_host(host));
	dest = xasprintf("%s/registries.conf.d/50-lading.conf", step->dir);
	rc = put_conf_and_ca(host, step, conf, dest, res);
out:
	free(conf);
	free(dest);
	buf_free(&cmd);
	buf_free(&out);
	return rc;
}

int step_registry_docker(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	const struct site_registry *reg = &host->site->registry;
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(DAEMON_JSON_MAX);
	char why[256] = "", *merged = NULL, *dest = xasprintf("%s/daemon.json", step->dir);
	struct lerr err;
	int status = 0, rc = 0;

	buf_puts(&cmd, "f=");
	step_sh_quote(&cmd, dest);
	buf_puts(&cmd,
		 "; if [ -f \"$f\" ]; then cat \"$f\"; elif [ -e \"$f\" ]; then echo \"$f is not a regular file\" "
		 ">&2; exit 3; fi");
	if (step_sh(host, cmd.data, step_become(host, step), &out, &status, why, sizeof(why), &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		rc = -1;
		goto out;
	}
	if (status != 0) {
		step_set(res, STEP_STATUS_FAILED, "cannot read %s: %s", dest, why);
		goto out;
	}
	if (role_docker_daemon_json(out.data, out.len, reg, step_keep_host(host), &merged, &err) != 0) {
		/* a refusal of the registry's naming stands alone; the file's faults name the file */
		if (err.code == LADING_ERR_USAGE)
			step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
		else
			step_set(res, STEP_STATUS_FAILED, "%s %s", dest, err.msg);
		goto out;
	}
	rc = put_conf_and_ca(host, step, merged, dest, res);
out:
	free(merged);
	free(dest);
	buf_free(&cmd);
	buf_free(&out);
	return rc;
}
