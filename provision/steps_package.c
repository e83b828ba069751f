/*
 * The package step: Debian packages through apt-get. The node is asked first
 * (dpkg-query, one call for every name), and apt-get runs only for the names
 * not yet as wanted, so a second run reports ok and installs nothing. The step
 * does not run `apt-get update`: the lists come from the apt-repo role (or
 * whatever configured the node's sources).
 */
#include "provision/steps.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "provision/steps_int.h"

#define PACKAGE_OUTPUT_MAX (4u << 20)

/* Debian policy §5.6.1 names (plus ":arch"), §5.6.12 versions; neither may start like an option. */
static int package_name_ok(const char *name)
{
	return name[0] != '\0' && name[0] != '-' && name[0] != '.' && name[0] != '+' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789+-.:") == strlen(name);
}

static int package_version_ok(const char *version)
{
	return version[0] != '\0' && version[0] != '-' &&
	       strspn(version, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.+~:-") ==
		   strlen(version);
}

struct package_state {
	char status[64]; /* the third word of dpkg's Status: installed, not-installed, config-files, ... */
	char version[256];
};

/*
 * One "NAME|STATUS VERSION" line per name, in the order asked. A name dpkg
 * never heard of answers "unknown ok not-installed" with no version.
 */
static void probe_script(struct buf *cmd, char *const *names, size_t count)
{
	size_t i;

	buf_puts(cmd, "command -v dpkg-query >/dev/null || "
		      "{ echo 'dpkg-query not found: the package step needs a Debian-family node' >&2; exit 3; }\n"
		      "for p in");
	for (i = 0; i < count; i++) {
		buf_puts(cmd, " ");
		step_sh_quote(cmd, names[i]);
	}
	buf_puts(cmd, "; do\n"
		      "  s=$(dpkg-query -W -f='${Status} ${Version}\\n' \"$p\" 2>/dev/null | head -n 1)\n"
		      "  printf '%s|%s\\n' \"$p\" \"${s:-unknown ok not-installed}\"\n"
		      "done");
}

/* Reads the probe's reply into states (count entries, in order). 0 = as expected. */
static int probe_parse(const char *reply, char *const *names, size_t count, struct package_state *states)
{
	const char *line = reply;
	char want_word[64], flag[64];
	size_t i, name_len;

	for (i = 0; i < count; i++) {
		name_len = strlen(names[i]);
		if (strncmp(line, names[i], name_len) != 0 || line[name_len] != '|')
			return -1;
		line += name_len + 1;
		states[i].version[0] = '\0';
		if (sscanf(line, "%63s %63s %63s %255[^\n]", want_word, flag, states[i].status, states[i].version) < 3)
			return -1;
		line = strchr(line, '\n');
		if (line == NULL)
			return i + 1 == count ? 0 : -1;
		line++;
	}
	return 0;
}

/* Whether the package is as the step wants it (present at the version asked, or absent). */
static int package_as_wanted(const struct site_step *step, const char *version, const struct package_state *state)
{
	int installed = strcmp(state->status, "installed") == 0;

	if (step->absent)
		/* half-installed, unpacked, ... count as there: remove finishes what they left */
		return strcmp(state->status, "not-installed") == 0 || strcmp(state->status, "config-files") == 0;
	return installed && (version == NULL || strcmp(state->version, version) == 0);
}

/* apt's last "E: " line in output, else its last non-empty line: the one-line reason of a failure. */
static void apt_reason(const char *output, char *why, size_t why_len)
{
	const char *line, *next, *last_error = NULL, *last_line = NULL;

	for (line = output; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (next > line)
			last_line = line;
		if (strncmp(line, "E: ", 3) == 0)
			last_error = line;
		if (*next == '\n')
			next++;
	}
	line = last_error != NULL ? last_error : last_line;
	snprintf(why, why_len, "%.*s", line != NULL ? (int)strcspn(line, "\n") : 0, line != NULL ? line : "");
}

/* Renders and checks the names and the version; 1 = failed (res says why). */
static int package_render(struct step_host *host, const struct site_step *step, char **names, char **version,
			  struct step_result *res)
{
	struct lerr err;
	size_t i;

	for (i = 0; i < step->package_count; i++) {
		if (step_render(host, step, step->packages[i], &names[i], &err) != 0) {
			step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
			return 1;
		}
		if (!package_name_ok(names[i])) {
			step_set(res, STEP_STATUS_FAILED, "package: '%s' is not a Debian package name", names[i]);
			return 1;
		}
	}
	if (step->version == NULL)
		return 0;
	if (step_render(host, step, step->version, version, &err) != 0) {
		step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
		return 1;
	}
	if (!package_version_ok(*version)) {
		step_set(res, STEP_STATUS_FAILED, "package: '%s' is not a Debian version", *version);
		return 1;
	}
	return 0;
}

/* Runs apt-get for the listed names (todo); fills res. -1 = transport failure. */
static int package_apply(struct step_host *host, const struct site_step *step, const struct buf *todo,
			 const char *todo_text, struct step_result *res)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(PACKAGE_OUTPUT_MAX);
	const char *verb = step->absent ? "remove" : "install";
	char why[256] = "";
	struct lerr err;
	int status = 0, rc = 0;

	/*
	 * noninteractive: debconf takes the defaults; --force-confold keeps a
	 * conffile the admin changed instead of asking; the lock timeout waits
	 * for an apt run already going (unattended-upgrades) rather than failing.
	 * stderr joins stdout so that apt's own E: line can be reported.
	 */
	buf_printf(&cmd,
		   "DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 "
		   "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold %s%s%s 2>&1",
		   verb, step->absent ? "" : " --no-install-recommends", todo->data);
	if (step_sh(host, cmd.data, step_become(host, step), &out, &status, NULL, 0, &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		rc = -1;
	} else if (status != 0) {
		apt_reason(out.len > 0 ? out.data : "", why, sizeof(why));
		step_set(res, STEP_STATUS_FAILED, "apt-get %s %s: exit %d%s%s", verb, todo_text, status,
			 why[0] != '\0' ? ": " : "", why);
	} else {
		step_set(res, STEP_STATUS_CHANGED, "%s %s", step->absent ? "removed" : "installed", todo_text);
	}
	buf_free(&cmd);
	buf_free(&out);
	return rc;
}

int step_package(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1u << 20), todo = BUF_INIT(0), todo_text = BUF_INIT(0);
	char **names = xcalloc(step->package_count, sizeof(char *)), *version = NULL, why[256] = "";
	struct package_state *states = xcalloc(step->package_count, sizeof(*states));
	struct lerr err;
	int status = 0, rc = 0;
	size_t i;

	if (package_render(host, step, names, &version, res) != 0)
		goto out;
	probe_script(&cmd, names, step->package_count);
	if (step_sh(host, cmd.data, step_become(host, step), &out, &status, why, sizeof(why), &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		rc = -1;
		goto out;
	}
	if (status != 0 || probe_parse(out.len > 0 ? out.data : "", names, step->package_count, states) != 0) {
		step_set(res, STEP_STATUS_FAILED, "cannot ask dpkg about %s: %s", names[0],
			 status != 0 ? why : "unexpected reply");
		goto out;
	}
	for (i = 0; i < step->package_count; i++) {
		if (package_as_wanted(step, version, &states[i]))
			continue;
		buf_puts(&todo, " ");
		step_sh_quote(&todo, names[i]);
		buf_printf(&todo_text, "%s%s", todo_text.len > 0 ? ", " : "", names[i]);
		if (version != NULL) {
			buf_printf(&todo, "=%s", version);
			buf_printf(&todo_text, "=%s", version);
		}
		if (!step->absent && states[i].version[0] != '\0' && strcmp(states[i].status, "installed") == 0)
			buf_printf(&todo_text, " (was %s)", states[i].version);
	}
	if (todo.len == 0) {
		if (version != NULL)
			step_set(res, STEP_STATUS_OK, "%s %s installed", names[0], version);
		else
			step_set(res, STEP_STATUS_OK, "%s%s %s", names[0], step->package_count > 1 ? ", ..." : "",
				 step->absent ? "not installed" : "installed");
		goto out;
	}
	if (host->check) {
		step_set(res, STEP_STATUS_CHANGED, "would %s %s", step->absent ? "remove" : "install", todo_text.data);
		goto out;
	}
	rc = package_apply(host, step, &todo, todo_text.data, res);
out:
	for (i = 0; i < step->package_count; i++)
		free(names[i]);
	free(names);
	free(version);
	free(states);
	buf_free(&cmd);
	buf_free(&out);
	buf_free(&todo);
	buf_free(&todo_text);
	return rc;
}
