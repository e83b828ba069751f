/*
 * File steps: copy, template, registry_hosts (containerd's; podman/CRI-O and
 * Docker Engine are in steps_mirror.c) and apt_source. The host is asked for the
 * file's sha256, mode and owner first; content travels only when the digest
 * differs, and lands under a temporary name that is renamed into place
 * (ssh_upload), so a reader never sees half a file.
 */
#include "provision/steps.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/digest.h"
#include "lib/digestmemo.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "provision/roles.h"
#include "provision/steps_int.h"

enum {
	FILE_DIFF_CONTENT = 1,
	FILE_DIFF_MODE = 2,
	FILE_DIFF_OWNER = 4,
};

struct file_want {
	const char *local_path; /* what to upload */
	char local_hex[SHA256_HEX_LEN + 1];
	const char *dest;
	int mode;	   /* -1: keep an existing file's mode, 0644 for a new one */
	const char *owner; /* "user" or "user:group", or NULL */
	int become;
};

struct file_state {
	int exists;
	unsigned mode;
	char user[64];
	char group[64];
	char hex[SHA256_HEX_LEN + 1];
};

static int owner_differs(const char *owner, const struct file_state *state)
{
	const char *colon = strchr(owner, ':');

	if (colon == NULL)
		return strcmp(owner, state->user) != 0;
	return strncmp(owner, state->user, (size_t)(colon - owner)) != 0 || state->user[colon - owner] != '\0' ||
	       strcmp(colon + 1, state->group) != 0;
}

/* Asks the host what dest is now. -1 = transport failure; a malformed reply fails the step. */
static int file_probe(struct step_host *host, const struct file_want *want, struct file_state *state,
		      struct step_result *res)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1u << 16);
	struct lerr err;
	int status = 0, rc = -1;
	char why[256] = "";

	memset(state, 0, sizeof(*state));
	buf_puts(&cmd, "f=");
	step_sh_quote(&cmd, want->dest);
	buf_puts(&cmd, "; if [ -f \"$f\" ]; then sha256sum <\"$f\" | cut -c1-64 && stat -c '%a %U %G' \"$f\"; "
		       "elif [ -e \"$f\" ]; then echo notfile; else echo absent; fi");
	if (step_sh(host, cmd.data, want->become, &out, &status, why, sizeof(why), &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		goto out;
	}
	rc = 0;
	if (status != 0) {
		step_set(res, STEP_STATUS_FAILED, "cannot inspect %s: %s", want->dest, why);
		rc = 1;
	} else if (strncmp(out.data, "absent", 6) == 0) {
		state->exists = 0;
	} else if (strncmp(out.data, "notfile", 7) == 0) {
		step_set(res, STEP_STATUS_FAILED, "%s exists and is not a regular file", want->dest);
		rc = 1;
	} else if (sscanf(out.data, "%64s %o %63s %63s", state->hex, &state->mode, state->user, state->group) != 4 ||
		   !hex_is_sha256(state->hex)) {
		step_set(res, STEP_STATUS_FAILED, "cannot inspect %s: unexpected reply (need sha256sum and stat)",
			 want->dest);
		rc = 1;
	} else {
		state->exists = 1;
	}
out:
	buf_free(&cmd);
	buf_free(&out);
	return rc;
}

/* Runs a fix-up command (mkdir, chmod, chown); 1 = it failed (res says so), -1 = transport. */
static int file_fixup(struct step_host *host, const struct file_want *want, const char *verb, const char *arg,
		      int quote_dirname, struct step_result *res)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1u << 16);
	struct lerr err;
	int status = 0, rc = 0;
	char why[256] = "";

	buf_printf(&cmd, "%s ", verb);
	if (arg != NULL) {
		step_sh_quote(&cmd, arg);
		buf_puts(&cmd, " ");
	}
	if (quote_dirname) {
		buf_puts(&cmd, "\"$(dirname ");
		step_sh_quote(&cmd, want->dest);
		buf_puts(&cmd, ")\"");
	} else {
		step_sh_quote(&cmd, want->dest);
	}
	if (step_sh(host, cmd.data, want->become, &out, &status, why, sizeof(why), &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		rc = -1;
	} else if (status != 0) {
		step_set(res, STEP_STATUS_FAILED, "%s %s: %s", verb, want->dest, why);
		rc = 1;
	}
	buf_free(&cmd);
	buf_free(&out);
	return rc;
}

/* Puts the content and attributes in place; diff says what differs. */
static int file_apply(struct step_host *host, const struct file_want *want, const struct file_state *state, int diff,
		      struct step_result *res)
{
	struct lerr err;
	char mode_text[16];
	int rc, mode = want->mode >= 0 ? want->mode : state->exists ? (int)state->mode : 0644;

	if (diff & FILE_DIFF_CONTENT) {
		if ((rc = file_fixup(host, want, "mkdir -p", NULL, 1, res)) != 0)
			return rc;
		if (host->exec->upload(host->exec->ctx, want->local_path, want->dest, mode, want->become,
				       want->local_hex, &err) != 0) {
			step_log(host, "  upload failed: %s\n", err.msg);
			step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
			return 1;
		}
		step_log(host, "  uploaded %s (sha256 %s)\n", want->dest, want->local_hex);
	} else if (diff & FILE_DIFF_MODE) {
		snprintf(mode_text, sizeof(mode_text), "%o", (unsigned)mode);
		if ((rc = file_fixup(host, want, "chmod", mode_text, 0, res)) != 0)
			return rc;
	}
	if (diff & FILE_DIFF_OWNER)
		return file_fixup(host, want, "chown", want->owner, 0, res);
	return 0;
}

/*
 * Makes dest match want; *changed is set when something differed (in check
 * mode: would differ). 0 = done or failed (res says which), -1 = transport.
 */
static int file_ensure(struct step_host *host, const struct file_want *want, int *changed, struct step_result *res)
{
	struct file_state state;
	int diff = 0, rc;

	*changed = 0;
	if ((rc = file_probe(host, want, &state, res)) != 0)
		return rc < 0 ? -1 : 0;
	if (!state.exists || strcmp(state.hex, want->local_hex) != 0)
		diff |= FILE_DIFF_CONTENT;
	if (want->mode >= 0 && (!state.exists || state.mode != (unsigned)want->mode))
		diff |= FILE_DIFF_MODE;
	if (want->owner != NULL && (!state.exists || owner_differs(want->owner, &state)))
		diff |= FILE_DIFF_OWNER;
	if (diff == 0) {
		step_set(res, STEP_STATUS_OK, "%s up to date", want->dest);
		return 0;
	}
	*changed = 1;
	step_set(res, STEP_STATUS_CHANGED, "%s%s %s%s%s", host->check ? "would " : "",
		 !state.exists ? (host->check ? "create" : "created") : (host->check ? "update" : "updated"),
		 want->dest, state.exists && (diff & FILE_DIFF_CONTENT) ? " (content)" : "",
		 state.exists && !(diff & FILE_DIFF_CONTENT) ? " (mode/owner)" : "");
	if (host->check)
		return 0;
	rc = file_apply(host, want, &state, diff, res);
	return rc < 0 ? -1 : 0;
}

/* Writes generated content to a private temporary file and hashes it. Caller unlinks and frees *path. */
static int stage_content(const char *data, size_t len, struct file_want *want, char **path, struct lerr *err)
{
	const char *tmpdir = getenv("TMPDIR");
	char *name = xasprintf("%s/lading-step.XXXXXX", tmpdir != NULL && tmpdir[0] != '\0' ? tmpdir : "/tmp");
	int fd = mkstemp(name);

	if (fd < 0) {
		lerr_sys(err, "cannot create a temporary file in %s", tmpdir != NULL ? tmpdir : "/tmp");
		free(name);
		return -1;
	}
	if (fs_write_all(fd, data, len, name, err) != 0) {
		close(fd);
		unlink(name);
		free(name);
		return -1;
	}
	close(fd);
	sha256_hex(data, len, want->local_hex);
	want->local_path = name;
	*path = name;
	return 0;
}

/* The local file to upload: src itself for copy, else the rendered text staged in a temporary file. */
static int file_source(struct step_host *host, const struct site_step *step, struct file_want *want, char **staged,
		       struct lerr *err)
{
	struct buf rendered = BUF_INIT(1u << 20);
	char *src = NULL, *text = NULL;
	int rc = -1;

	*staged = NULL;
	if (step->content != NULL) {
		if (step_render(host, step, step->content, &text, err) == 0)
			rc = stage_content(text, strlen(text), want, staged, err);
		goto out;
	}
	if (step_render(host, step, step->src, &src, err) != 0)
		goto out;
	/* a path that only a variable gave (built-in roles: apt_repo_keyring) is relative to the site file */
	if (src[0] != '/' && (step->base_dir != NULL || (host->site != NULL && host->site->dir != NULL))) {
		char *resolved = xasprintf("%s/%s", step->base_dir != NULL ? step->base_dir : host->site->dir, src);

		free(src);
		src = resolved;
	}
	if (step->kind == STEP_COPY) {
		/* Streamed from disk by the upload; only its digest is computed here. */
		if (digest_memo_file(host->digests, src, want->local_hex, NULL, err) != 0)
			goto out;
		want->local_path = src;
		*staged = src;
		src = NULL;
		rc = 1;
		goto out;
	}
	if (step_render_file(host, src, &rendered, err) == 0)
		rc = stage_content(rendered.data != NULL ? rendered.data : "", rendered.len, want, staged, err);
out:
	free(src);
	free(text);
	buf_free(&rendered);
	return rc;
}

int step_file(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	struct file_want want = {0};
	char *staged = NULL, *dest = NULL;
	struct lerr err;
	int changed = 0, rc = 0, kind;

	want.mode = step->mode;
	want.owner = step->owner;
	want.become = step_become(host, step);
	if ((kind = file_source(host, step, &want, &staged, &err)) < 0 ||
	    step_render(host, step, step->dest, &dest, &err) != 0) {
		step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
		goto out;
	}
	want.dest = dest;
	rc = file_ensure(host, &want, &changed, res);
out:
	/* kind 1: staged is the user's own src file, never removed. */
	if (staged != NULL && kind == 0)
		unlink(staged);
	free(staged);
	free(dest);
	return rc;
}

int step_put_text(struct step_host *host, const struct site_step *step, const char *text, size_t len, const char *dest,
		  int *changed, struct step_result *res)
{
	struct file_want want = {0};
	struct lerr err;
	char *staged = NULL;
	int rc = 0;

	*changed = 0;
	want.mode = 0644;
	want.become = step_become(host, step);
	want.dest = dest;
	if (stage_content(text, len, &want, &staged, &err) != 0)
		step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
	else
		rc = file_ensure(host, &want, changed, res);
	if (staged != NULL)
		unlink(staged);
	free(staged);
	return rc;
}

int step_put_file(struct step_host *host, const struct site_step *step, const char *local_path, const char *dest,
		  int *changed, struct step_result *res)
{
	struct file_want want = {0};
	struct lerr err;

	*changed = 0;
	want.mode = 0644;
	want.become = step_become(host, step);
	want.dest = dest;
	want.local_path = local_path;
	if (digest_memo_file(host->digests, local_path, want.local_hex, NULL, &err) != 0) {
		step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
		return 0;
	}
	return file_ensure(host, &want, changed, res);
}

static int ensure_hosts_toml(struct step_host *host, const struct site_step *step, const char *upstream,
			     const char *ca_path, int *changed, struct step_result *res)
{
	char *toml = role_hosts_toml_named(&host->site->registry, upstream, ca_path, step_keep_host(host));
	char *dest = xasprintf("%s/%s/hosts.toml", step->dir, upstream);
	int rc = step_put_text(host, step, toml, strlen(toml), dest, changed, res);

	free(toml);
	free(dest);
	return rc;
}

int step_registry_hosts(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	const struct site_registry *reg = &host->site->registry;
	struct buf changed_list = BUF_INIT(0);
	char *ca_path = NULL;
	struct lerr err;
	size_t i, changed_count = 0;
	int changed, rc = 0;

	if (reg->address == NULL) {
		step_set(res, STEP_STATUS_FAILED, "the site file has no 'registry:' section to point containerd at");
		return 0;
	}
	switch (role_mirror_kind(step->dir)) {
	case ROLE_MIRROR_CONTAINERS:
		return step_registry_containers(host, step, res);
	case ROLE_MIRROR_DOCKER:
		return step_registry_docker(host, step, res);
	default:
		break;
	}
	if (step->ca != NULL && step_render(host, step, step->ca, &ca_path, &err) != 0) {
		step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
		return 0;
	}
	for (i = 0; i < reg->mirror_count; i++) {
		if ((rc = ensure_hosts_toml(host, step, reg->mirrors[i], ca_path, &changed, res)) != 0 ||
		    res->status == STEP_STATUS_FAILED)
			goto out;
		if (changed) {
			buf_printf(&changed_list, "%s%s", changed_count > 0 ? ", " : "", reg->mirrors[i]);
			changed_count++;
		}
	}
	if (changed_count > 0)
		step_set(res, STEP_STATUS_CHANGED, "%s %s/{%s}/hosts.toml", host->check ? "would write" : "wrote",
			 step->dir, changed_list.data);
	else
		step_set(res, STEP_STATUS_OK, "%zu hosts.toml files up to date", reg->mirror_count);
out:
	free(ca_path);
	buf_free(&changed_list);
	return rc;
}

/* A field of a .sources file: one line, so it cannot add fields of its own (Trusted: yes). */
static int apt_field_ok(const char *value)
{
	return strpbrk(value, "\n\r") == NULL;
}

/* The source's name becomes a file name: letters, digits, '.', '_', '-'. */
static int apt_name_ok(const char *name)
{
	return name[0] != '\0' && name[0] != '.' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == strlen(name);
}

/* Renders the step's fields; an empty URIs becomes the site registry's /apt/<name>. 1 = failed (res says why). */
static int apt_source_render(struct step_host *host, const struct site_step *step, char **fields[7],
			     struct step_result *res)
{
	const char *texts[7] = {step->source,	     step->uris,      step->suites, step->components,
				step->architectures, step->signed_by, step->keyring};
	const struct site_registry *reg = &host->site->registry;
	struct lerr err;
	size_t i;

	for (i = 0; i < 7; i++)
		if (step_render(host, step, texts[i] != NULL ? texts[i] : "", fields[i], &err) != 0) {
			step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
			return 1;
		}
	if (!apt_name_ok(*fields[0])) {
		step_set(res, STEP_STATUS_FAILED, "apt_source: name '%s' is not a file name (letters, digits, . _ -)",
			 *fields[0]);
		return 1;
	}
	for (i = 1; i < 7; i++)
		if (!apt_field_ok(*fields[i])) {
			step_set(res, STEP_STATUS_FAILED, "apt_source: a field spans several lines");
			return 1;
		}
	if ((*fields[2])[0] == '\0') {
		step_set(res, STEP_STATUS_FAILED, "apt_source: 'suites' is empty (apt-repo: set apt_repo_suites)");
		return 1;
	}
	if ((*fields[1])[0] == '\0') {
		if (reg->address == NULL) {
			step_set(res, STEP_STATUS_FAILED,
				 "apt_source: no 'uris' and the site file has no 'registry:' to default to "
				 "(apt-repo: set apt_repo_url)");
			return 1;
		}
		free(*fields[1]);
		*fields[1] = xasprintf("%s://%s/apt/%s", reg->plain_http ? "http" : "https", reg->address, *fields[0]);
	}
	/* a keyring the role copied to the node wins over a Signed-By given as text */
	if ((*fields[6])[0] != '\0') {
		free(*fields[5]);
		*fields[5] = xasprintf("/etc/apt/keyrings/lading-%s.gpg", *fields[0]);
	}
	return 0;
}

int step_apt_source(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	char *name = NULL, *uris = NULL, *suites = NULL, *components = NULL, *architectures = NULL, *signed_by = NULL,
	     *keyring = NULL, *text = NULL, *staged = NULL, *dest = NULL;
	char **fields[7] = {&name, &uris, &suites, &components, &architectures, &signed_by, &keyring};
	struct role_apt_source src;
	struct file_want want = {0};
	struct lerr err;
	int changed = 0, rc = 0;
	size_t i;

	if (apt_source_render(host, step, fields, res) != 0)
		goto out;
	src.uris = uris;
	src.suites = suites;
	src.components = components;
	src.architectures = architectures;
	src.signed_by = signed_by;
	text = role_apt_sources(&src);
	dest = xasprintf("/etc/apt/sources.list.d/lading-%s.sources", name);
	want.mode = 0644;
	want.become = step_become(host, step);
	want.dest = dest;
	if (stage_content(text, strlen(text), &want, &staged, &err) != 0)
		step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
	else
		rc = file_ensure(host, &want, &changed, res);
out:
	if (staged != NULL)
		unlink(staged);
	free(staged);
	free(text);
	free(dest);
	for (i = 0; i < 7; i++)
		free(*fields[i]);
	return rc;
}
