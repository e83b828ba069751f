/*
 * The steps of a role (lading-site(5), "Steps"): one action key per step
 * plus name and when; every argument checked against a keyword table.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"
#include "provision/site.h"
#include "provision/site_int.h"

const char *site_step_kind_name(enum site_step_kind kind)
{
	switch (kind) {
	case STEP_COPY:
		return "copy";
	case STEP_TEMPLATE:
		return "template";
	case STEP_SHELL:
		return "shell";
	case STEP_SERVICE:
		return "service";
	case STEP_FACTS:
		return "facts";
	case STEP_REGISTRY_HOSTS:
		return "registry_hosts";
	case STEP_PACKAGE:
		return "package";
	case STEP_APT_SOURCE:
		return "apt_source";
	case STEP_SCRIPT:
		return "script";
	}
	return "step";
}

static int parse_file_step(const struct ynode *args, struct site_step *step, struct lerr *err)
{
	static const char *const keys[] = {"src", "content", "dest", "mode", "owner", "become", NULL};
	const char *what = site_step_kind_name(step->kind);

	if (ynode_check_keys(args, keys, what, err) != 0 || site_require(args, "dest", what, err) != 0)
		return -1;
	if ((ynode_get(args, "src") == NULL) == (ynode_get(args, "content") == NULL))
		return ynode_error(args, err, LADING_ERR_USAGE, "%s: give exactly one of 'src' and 'content'", what);
	if (site_get_string(args, "src", &step->src, err) != 0 ||
	    site_get_string(args, "content", &step->content, err) != 0 ||
	    site_get_string(args, "dest", &step->dest, err) != 0 ||
	    site_get_string(args, "owner", &step->owner, err) != 0 || site_get_mode(args, &step->mode, err) != 0 ||
	    site_get_bool(args, "become", &step->become, err) != 0)
		return -1;
	if (step->src != NULL) {
		char *resolved = site_resolve_path(step->base_dir, step->src);

		free(step->src);
		step->src = resolved;
	}
	return 0;
}

/* name: one package or a list; version only with one; state present or absent. */
static int parse_package_step(const struct ynode *args, struct site_step *step, struct lerr *err)
{
	static const char *const keys[] = {"name", "state", "version", "become", NULL};
	const struct ynode *names;
	char *state = NULL;
	size_t i;
	int rc = -1;

	if (ynode_check_keys(args, keys, "package", err) != 0 || site_require(args, "name", "package", err) != 0)
		return -1;
	names = ynode_get(args, "name");
	if (names->type == YNODE_SEQ) {
		if (names->count == 0)
			return ynode_error(names, err, LADING_ERR_USAGE, "package: 'name' is an empty list");
		step->packages = xcalloc(names->count, sizeof(char *));
		for (i = 0; i < names->count; i++) {
			if (site_get_string_node(names->items[i], &step->packages[i], err) != 0)
				return -1;
			step->package_count++;
		}
	} else {
		step->packages = xcalloc(1, sizeof(char *));
		if (site_get_string_node(names, &step->packages[0], err) != 0)
			return -1;
		step->package_count = 1;
	}
	if (site_get_string(args, "version", &step->version, err) != 0 ||
	    site_get_string(args, "state", &state, err) != 0 || site_get_bool(args, "become", &step->become, err) != 0)
		goto out;
	if (state != NULL && strcmp(state, "present") != 0 && strcmp(state, "absent") != 0) {
		ynode_error(ynode_get(args, "state"), err, LADING_ERR_USAGE,
			    "package: state must be 'present' or 'absent', got '%s'", state);
		goto out;
	}
	step->absent = state != NULL && strcmp(state, "absent") == 0;
	/* apt's NAME=VERSION pins one package; which of several a version meant would be a guess */
	if (step->version != NULL && (step->package_count != 1 || step->absent)) {
		ynode_error(ynode_get(args, "version"), err, LADING_ERR_USAGE,
			    step->absent ? "package: 'version' goes with state present only"
					 : "package: 'version' needs a single 'name', not a list");
		goto out;
	}
	rc = 0;
out:
	free(state);
	return rc;
}

static int parse_apt_source_step(const struct ynode *args, struct site_step *step, struct lerr *err)
{
	static const char *const keys[] = {"name",	"uris",	   "suites", "components", "architectures",
					   "signed_by", "keyring", "become", NULL};

	if (ynode_check_keys(args, keys, "apt_source", err) != 0 ||
	    site_require(args, "suites", "apt_source", err) != 0)
		return -1;
	return site_get_string(args, "name", &step->source, err) || site_get_string(args, "uris", &step->uris, err) ||
		       site_get_string(args, "suites", &step->suites, err) ||
		       site_get_string(args, "components", &step->components, err) ||
		       site_get_string(args, "architectures", &step->architectures, err) ||
		       site_get_string(args, "signed_by", &step->signed_by, err) ||
		       site_get_string(args, "keyring", &step->keyring, err) ||
		       site_get_bool(args, "become", &step->become, err)
		   ? -1
		   : 0;
}

static int parse_step_args(const struct ynode *args, struct site_step *step, struct lerr *err)
{
	static const char *const shell_keys[] = {"cmd", "creates", "unless", "become", NULL};
	static const char *const script_keys[] = {"run", "become", NULL};
	static const char *const service_keys[] = {"name", "state", "become", NULL};
	static const char *const hosts_keys[] = {"dir", "ca", "become", NULL};
	static const char *const no_keys[] = {NULL};
	char *state = NULL;
	int rc = -1;

	switch (step->kind) {
	case STEP_COPY:
	case STEP_TEMPLATE:
		return parse_file_step(args, step, err);
	case STEP_SHELL:
		if (args->type == YNODE_SCALAR)
			return site_get_string_node(args, &step->cmd, err);
		if (ynode_check_keys(args, shell_keys, "shell", err) != 0 ||
		    site_require(args, "cmd", "shell", err) != 0)
			return -1;
		return site_get_string(args, "cmd", &step->cmd, err) ||
			       site_get_string(args, "creates", &step->creates, err) ||
			       site_get_string(args, "unless", &step->unless, err) ||
			       site_get_bool(args, "become", &step->become, err)
			   ? -1
			   : 0;
	case STEP_SERVICE:
		if (ynode_check_keys(args, service_keys, "service", err) != 0 ||
		    site_require(args, "name", "service", err) != 0 ||
		    site_get_string(args, "name", &step->service, err) != 0 ||
		    site_get_string(args, "state", &state, err) != 0 ||
		    site_get_bool(args, "become", &step->become, err) != 0)
			goto out;
		if (state != NULL && strcmp(state, "restarted") != 0 && strcmp(state, "reloaded") != 0) {
			ynode_error(ynode_get(args, "state"), err, LADING_ERR_USAGE,
				    "service: state must be 'restarted' or 'reloaded', got '%s'", state);
			goto out;
		}
		step->reload = state != NULL && strcmp(state, "reloaded") == 0;
		rc = 0;
		goto out;
	case STEP_FACTS:
		if (args->type == YNODE_SCALAR && args->value[0] == '\0')
			return 0;
		return ynode_check_keys(args, no_keys, "facts", err);
	case STEP_REGISTRY_HOSTS:
		if (args->type == YNODE_SCALAR && args->value[0] == '\0')
			return 0;
		if (ynode_check_keys(args, hosts_keys, "registry_hosts", err) != 0)
			return -1;
		return site_get_string(args, "dir", &step->dir, err) || site_get_string(args, "ca", &step->ca, err) ||
			       site_get_bool(args, "become", &step->become, err)
			   ? -1
			   : 0;
	case STEP_PACKAGE:
		return parse_package_step(args, step, err);
	case STEP_APT_SOURCE:
		return parse_apt_source_step(args, step, err);
	case STEP_SCRIPT:
		if (args->type == YNODE_SCALAR)
			return site_get_string_node(args, &step->cmd, err);
		if (ynode_check_keys(args, script_keys, "script", err) != 0 ||
		    site_require(args, "run", "script", err) != 0)
			return -1;
		return site_get_string(args, "run", &step->cmd, err) ||
			       site_get_bool(args, "become", &step->become, err)
			   ? -1
			   : 0;
	}
out:
	free(state);
	return rc;
}

/* What the step acts on, for its default name; *joined holds a list's text (caller frees). */
static const char *step_subject(const struct site_step *step, char **joined)
{
	struct buf names = BUF_INIT(0);
	size_t i;

	switch (step->kind) {
	case STEP_COPY:
	case STEP_TEMPLATE:
		return step->dest;
	case STEP_SHELL:
	case STEP_SCRIPT:
		return step->cmd;
	case STEP_SERVICE:
		return step->service;
	case STEP_REGISTRY_HOSTS:
		return step->dir;
	case STEP_PACKAGE:
		for (i = 0; i < step->package_count; i++)
			buf_printf(&names, "%s%s", i > 0 ? " " : "", step->packages[i]);
		if (step->absent)
			buf_puts(&names, " (absent)");
		*joined = buf_detach(&names, NULL);
		return *joined;
	case STEP_APT_SOURCE:
		return step->source;
	case STEP_FACTS:
		break;
	}
	return NULL;
}

static int parse_step(const struct ynode *node, const char *base_dir, struct site_step *step, struct lerr *err)
{
	/* in enum site_step_kind order */
	static const char *const kinds[] = {"copy",	      "template", "shell",	"service", "facts",
					    "registry_hosts", "package",  "apt_source", "script"};
	const struct ynode *args = NULL;
	const char *subject;
	char *joined = NULL;
	size_t i, k, len;

	memset(step, 0, sizeof(*step));
	step->become = -1;
	step->mode = -1;
	step->where = site_node_where(node);
	step->file = xstrdup(node->file);
	step->line = node->line;
	step->base_dir = base_dir != NULL ? xstrdup(base_dir) : NULL;
	if (ynode_expect(node, YNODE_MAP, "step", err) != 0)
		return -1;
	for (i = 0; i < node->count; i++) {
		const struct ynode *key = node->pairs[i].key;

		if (strcmp(key->value, "name") == 0) {
			if (site_get_string_node(node->pairs[i].value, &step->name, err) != 0)
				return -1;
			continue;
		}
		if (strcmp(key->value, "when") == 0) {
			if (site_get_string_node(node->pairs[i].value, &step->when, err) != 0)
				return -1;
			continue;
		}
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(key->value, kinds[k]) == 0)
				break;
		if (k == sizeof(kinds) / sizeof(kinds[0]))
			return ynode_error(key, err, LADING_ERR_USAGE,
					   "unknown key '%s' in step (expected one of copy, template, shell, service, "
					   "facts, registry_hosts, package, apt_source, script, name, when)",
					   key->value);
		if (args != NULL)
			return ynode_error(key, err, LADING_ERR_USAGE, "step has two actions; split it in two steps");
		args = node->pairs[i].value;
		step->kind = (enum site_step_kind)k;
	}
	if (args == NULL)
		return ynode_error(node, err, LADING_ERR_USAGE,
				   "step has no action (copy, template, shell, service, ...)");
	if (parse_step_args(args, step, err) != 0)
		return -1;
	if (step->kind == STEP_REGISTRY_HOSTS && step->dir == NULL)
		step->dir = xstrdup("/etc/containerd/certs.d");
	if (step->kind == STEP_APT_SOURCE && step->source == NULL)
		step->source = xstrdup("site");
	if (step->name == NULL) {
		/* the first line of the subject, at most 60 bytes: names are for reading */
		subject = step_subject(step, &joined);
		len = subject != NULL ? strcspn(subject, "\n") : 0;
		step->name = subject != NULL
				 ? xasprintf("%s %.*s%s", site_step_kind_name(step->kind), (int)(len > 60 ? 60 : len),
					     subject, len > 60 || subject[len] != '\0' ? "..." : "")
				 : xstrdup(site_step_kind_name(step->kind));
		free(joined);
	}
	return 0;
}

static void step_free(struct site_step *step)
{
	size_t i;

	free(step->name);
	free(step->where);
	free(step->file);
	free(step->base_dir);
	free(step->when);
	free(step->src);
	free(step->content);
	free(step->dest);
	free(step->owner);
	free(step->cmd);
	free(step->creates);
	free(step->unless);
	free(step->service);
	free(step->dir);
	free(step->ca);
	for (i = 0; i < step->package_count; i++)
		free(step->packages[i]);
	free(step->packages);
	free(step->version);
	free(step->source);
	free(step->uris);
	free(step->suites);
	free(step->components);
	free(step->architectures);
	free(step->signed_by);
	free(step->keyring);
}

void site_steps_free(struct site_step *steps, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		step_free(&steps[i]);
	free(steps);
}

int site_steps_parse(const struct ynode *seq, const char *base_dir, struct site_step **steps, size_t *count,
		     struct lerr *err)
{
	struct site_step *list = NULL;
	size_t i;

	if (ynode_expect(seq, YNODE_SEQ, "role", err) != 0)
		return -1;
	list = xcalloc(seq->count + 1, sizeof(*list));
	for (i = 0; i < seq->count; i++)
		if (parse_step(seq->items[i], base_dir, &list[i], err) != 0) {
			site_steps_free(list, i + 1);
			return -1;
		}
	*steps = list;
	*count = seq->count;
	return 0;
}
