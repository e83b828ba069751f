/*
 * Step dispatch, variables, guards, and the shell, service and facts steps.
 * File steps (copy, template, registry_hosts) are in steps_file.c.
 */
#include "provision/steps.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inventory/template.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "provision/steps_int.h"

#define STEP_OUTPUT_MAX (1u << 20)

const char *step_status_name(enum step_status status)
{
	switch (status) {
	case STEP_STATUS_OK:
		return "ok";
	case STEP_STATUS_CHANGED:
		return "changed";
	case STEP_STATUS_SKIPPED:
		return "skipped";
	case STEP_STATUS_FAILED:
		return "failed";
	case STEP_STATUS_UNREACHABLE:
		return "unreachable";
	}
	return "unknown";
}

void step_sh_quote(struct buf *b, const char *s)
{
	buf_puts(b, "'");
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_puts(b, "'\\''");
		else
			buf_add(b, s, 1, NULL);
	}
	buf_puts(b, "'");
}

static const char *registry_var(const struct site_registry *reg, const char *name)
{
	if (reg->address == NULL)
		return NULL;
	if (strcmp(name, "registry_address") == 0)
		return reg->address;
	if (strcmp(name, "registry_prefix") == 0)
		return reg->prefix;
	if (strcmp(name, "registry_ca_file") == 0)
		return reg->ca_file;
	if (strcmp(name, "registry_plain_http") == 0)
		return reg->plain_http ? "true" : "false";
	if (strcmp(name, "registry_scheme") == 0)
		return reg->plain_http ? "http" : "https";
	return NULL;
}

const char *step_var(struct step_host *host, const char *name)
{
	const char *value;
	size_t i;

	for (i = 0; i < host->fact_count; i++)
		if (strcmp(host->facts[i].name, name) == 0)
			return host->facts[i].value;
	if (strcmp(name, "inventory_hostname") == 0 && host->name != NULL)
		return host->name;
	/* Inventory over site vars: a host or group may override a site-wide default. */
	if (host->host != NULL && (value = inv_host_var(host->host, name)) != NULL)
		return value;
	if (host->site == NULL)
		return NULL;
	if ((value = site_var(host->site, name)) != NULL)
		return value;
	return registry_var(&host->site->registry, name);
}

static const char *lookup(void *ctx, const char *name)
{
	return step_var(ctx, name);
}

int step_render(struct step_host *host, const struct site_step *step, const char *text, char **out, struct lerr *err)
{
	struct buf rendered = BUF_INIT(STEP_OUTPUT_MAX);

	if (tmpl_render(text, strlen(text), step->file, step->line, lookup, host, &rendered, err) != 0) {
		buf_free(&rendered);
		return -1;
	}
	*out = buf_detach(&rendered, NULL);
	return 0;
}

int step_render_file(struct step_host *host, const char *path, struct buf *out, struct lerr *err)
{
	return tmpl_render_file(path, STEP_OUTPUT_MAX, lookup, host, out, err);
}

void step_log(struct step_host *host, const char *fmt, ...)
{
	va_list ap;

	if (host->log == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(host->log, fmt, ap);
	va_end(ap);
	fflush(host->log);
}

static void log_output(struct step_host *host, const char *label, const struct buf *b)
{
	if (b->len == 0)
		return;
	step_log(host, "  %s:\n", label);
	step_log(host, "%s%s", b->data, b->data[b->len - 1] == '\n' ? "" : "\n");
}

/* The last non-empty line of text, at most 200 bytes, for one-line messages. */
static void last_line(const char *text, char *out, size_t out_len)
{
	const char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	if ((size_t)(end - start) >= out_len)
		start = end - (out_len - 1);
	memcpy(out, start, (size_t)(end - start));
	out[end - start] = '\0';
}

int step_sh(struct step_host *host, const char *cmd, int become, struct buf *out, int *status, char *why,
	    size_t why_len, struct lerr *err)
{
	struct buf errout = BUF_INIT(STEP_OUTPUT_MAX);
	int rc;

	step_log(host, "$ %s%s\n", become ? "(become) " : "", cmd);
	buf_reset(out);
	*status = -1;
	rc = host->exec->exec(host->exec->ctx, cmd, become, -1, out, &errout, status, err);
	if (rc != 0 && err->code == LADING_ERR_NETWORK) {
		step_log(host, "  transport error: %s\n", err->msg);
		buf_free(&errout);
		return -1;
	}
	if (rc != 0) {
		/* the session is fine but the command could not run as asked (sudo wants a password, output cap) */
		step_log(host, "  error: %s\n", err->msg);
		if (*status <= 0)
			*status = 255;
		if (why != NULL)
			snprintf(why, why_len, "%s", err->msg);
		buf_free(&errout);
		return 0;
	}
	log_output(host, "stdout", out);
	log_output(host, "stderr", &errout);
	step_log(host, "  exit %d\n", *status);
	if (why != NULL)
		last_line(errout.len > 0 ? errout.data : out->len > 0 ? out->data : "", why, why_len);
	buf_free(&errout);
	return 0;
}

void step_set(struct step_result *res, enum step_status status, const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
}

int step_become(const struct step_host *host, const struct site_step *step)
{
	return step->become >= 0 ? step->become : host->become;
}

/* `when: var`: Ansible's truthiness for a plain variable. */
static int var_is_true(const char *value)
{
	static const char *const false_words[] = {"", "false", "no", "off", "0", "none", "null", NULL};
	size_t i;

	if (value == NULL)
		return 0;
	for (i = 0; false_words[i] != NULL; i++)
		if (strcasecmp(value, false_words[i]) == 0)
			return 0;
	return 1;
}

/* Runs a guard command; *holds = 1 when it exits 0. */
static int guard(struct step_host *host, const struct site_step *step, const char *cmd, int *holds,
		 struct step_result *res)
{
	struct buf out = BUF_INIT(STEP_OUTPUT_MAX);
	struct lerr err;
	int status = 0;

	if (step_sh(host, cmd, step_become(host, step), &out, &status, NULL, 0, &err) != 0) {
		buf_free(&out);
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		return -1;
	}
	buf_free(&out);
	*holds = status == 0;
	return 0;
}

/* A step is done when it succeeded, the message then says why it changed nothing. */
static int step_shell(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	char *cmd = NULL, *creates = NULL, *unless = NULL, why[256] = "";
	struct buf out = BUF_INIT(STEP_OUTPUT_MAX), test = BUF_INIT(0);
	struct lerr err;
	int status = 0, holds = 0, rc = -1;

	if (step_render(host, step, step->cmd, &cmd, &err) != 0 ||
	    (step->creates != NULL && step_render(host, step, step->creates, &creates, &err) != 0) ||
	    (step->unless != NULL && step_render(host, step, step->unless, &unless, &err) != 0)) {
		step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
		rc = 0;
		goto out;
	}
	if (creates != NULL) {
		buf_puts(&test, "test -e ");
		step_sh_quote(&test, creates);
		if (guard(host, step, test.data, &holds, res) != 0)
			goto out;
		if (holds) {
			step_set(res, STEP_STATUS_OK, "%s exists", creates);
			rc = 0;
			goto out;
		}
	}
	if (unless != NULL) {
		if (guard(host, step, unless, &holds, res) != 0)
			goto out;
		if (holds) {
			step_set(res, STEP_STATUS_OK, "unless: condition holds");
			rc = 0;
			goto out;
		}
	}
	if (host->check) {
		step_set(res, STEP_STATUS_CHANGED, "would run (check mode)");
		rc = 0;
		goto out;
	}
	if (step_sh(host, cmd, step_become(host, step), &out, &status, why, sizeof(why), &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		goto out;
	}
	if (status != 0)
		step_set(res, STEP_STATUS_FAILED, "exit %d%s%s", status, why[0] != '\0' ? ": " : "", why);
	else
		step_set(res, STEP_STATUS_CHANGED, "ran");
	rc = 0;
out:
	free(cmd);
	free(creates);
	free(unless);
	buf_free(&out);
	buf_free(&test);
	return rc;
}

int step_run(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	int rc = 0;

	res->msg[0] = '\0';
	if (step->when != NULL && !var_is_true(step_var(host, step->when))) {
		step_set(res, STEP_STATUS_SKIPPED, "when: %s is not set", step->when);
		return 0;
	}
	step_log(host, "--- %s (%s)\n", step->name, step->where);
	switch (step->kind) {
	case STEP_COPY:
	case STEP_TEMPLATE:
		rc = step_file(host, step, res);
		break;
	case STEP_REGISTRY_HOSTS:
		rc = step_registry_hosts(host, step, res);
		break;
	case STEP_SHELL:
		rc = step_shell(host, step, res);
		break;
	case STEP_SERVICE:
		rc = step_service(host, step, res);
		break;
	case STEP_FACTS:
		rc = step_facts(host, step, res);
		break;
	case STEP_PACKAGE:
		rc = step_package(host, step, res);
		break;
	case STEP_APT_SOURCE:
		rc = step_apt_source(host, step, res);
		break;
	case STEP_SCRIPT:
		rc = step_script(host, step, res);
		break;
	}
	if (rc != 0)
		res->status = STEP_STATUS_UNREACHABLE;
	if (res->status == STEP_STATUS_CHANGED)
		host->role_changed = 1;
	step_log(host, "=> %s%s%s\n", step_status_name(res->status), res->msg[0] != '\0' ? ": " : "", res->msg);
	return rc;
}

void step_fact_set(struct step_host *host, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < host->fact_count; i++)
		if (strcmp(host->facts[i].name, name) == 0) {
			free(host->facts[i].value);
			host->facts[i].value = xstrdup(value != NULL ? value : "");
			return;
		}
	host->facts = grow_array(host->facts, host->fact_count, sizeof(*host->facts));
	host->facts[host->fact_count].name = xstrdup(name);
	host->facts[host->fact_count].value = xstrdup(value != NULL ? value : "");
	host->fact_count++;
}

void step_host_clear(struct step_host *host)
{
	size_t i;

	for (i = 0; i < host->fact_count; i++) {
		free(host->facts[i].name);
		free(host->facts[i].value);
	}
	free(host->facts);
	host->facts = NULL;
	host->fact_count = 0;
}
