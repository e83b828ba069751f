/*
 * The script step (lading-site(5), "script"): a shell script that looks at
 * the host, acts unless in check mode, and says what it found in lines of its
 * own on stdout: its status, facts for later steps, and whether the host must
 * reboot. Reboots happen only with `reboot: allowed`, and the step then waits
 * for the host's SSH to come back with a new boot id and runs the script again.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "provision/steps_int.h"

#define SCRIPT_OUTPUT_MAX (1u << 20)
#define REBOOT_TIMEOUT_DEFAULT 600
#define REBOOT_POLL_S 3

/* The functions every script may call; each status word ends the script. */
static const char script_prelude[] =
    "lading_status() { s=$1; shift; printf 'lading-status: %s %s\\n' \"$s\" \"$*\"; }\n"
    "ok() { lading_status ok \"$@\"; exit 0; }\n"
    "changed() { lading_status changed \"$@\"; exit 0; }\n"
    "skip() { lading_status skipped \"$@\"; exit 0; }\n"
    "fail() { lading_status failed \"$@\"; exit 1; }\n"
    "fact() { printf 'lading-fact: %s=%s\\n' \"$1\" \"$2\"; }\n"
    "need_reboot() { printf 'lading-reboot: %s\\n' \"$*\"; }\n"
    "checking() { [ \"$LADING_CHECK\" = 1 ]; }\n";

struct script_report {
	enum step_status status;
	int has_status;
	char msg[LERR_MSG_MAX];
	char reboot[LERR_MSG_MAX]; /* "" = no reboot asked */
};

static int fact_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return 0;
	return 1;
}

static int status_word(const char *word, size_t len, enum step_status *status)
{
	static const struct {
		const char *word;
		enum step_status status;
	} words[] = {{"ok", STEP_STATUS_OK},
		     {"changed", STEP_STATUS_CHANGED},
		     {"skipped", STEP_STATUS_SKIPPED},
		     {"failed", STEP_STATUS_FAILED}};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == len && strncmp(word, words[i].word, len) == 0) {
			*status = words[i].status;
			return 0;
		}
	return -1;
}

/* Reads the script's protocol lines; facts go to the host at once, so later steps see them. */
static void report_parse(struct step_host *host, const char *out, struct script_report *rep)
{
	const char *line = out, *end, *value;
	size_t len, word;

	while (*line != '\0') {
		end = strchr(line, '\n');
		len = end != NULL ? (size_t)(end - line) : strlen(line);
		if (len > 15 && strncmp(line, "lading-status: ", 15) == 0) {
			value = line + 15;
			word = strcspn(value, " \n");
			if (status_word(value, word, &rep->status) == 0) {
				rep->has_status = 1;
				value += word;
				if (*value == ' ')
					value++;
				snprintf(rep->msg, sizeof(rep->msg), "%.*s", (int)(len - (size_t)(value - line)),
					 value);
			}
		} else if (len > 13 && strncmp(line, "lading-fact: ", 13) == 0) {
			value = memchr(line + 13, '=', len - 13);
			if (value != NULL && fact_name_ok(line + 13, (size_t)(value - line - 13))) {
				char *name = xstrndup(line + 13, (size_t)(value - line - 13));
				char *text = xstrndup(value + 1, len - (size_t)(value + 1 - line));

				step_fact_set(host, name, text);
				free(name);
				free(text);
			}
		} else if (len > 15 && strncmp(line, "lading-reboot: ", 15) == 0) {
			snprintf(rep->reboot, sizeof(rep->reboot), "%.*s", (int)(len - 15), line + 15);
		}
		line += len;
		if (*line == '\n')
			line++;
	}
}

/* Runs the rendered script once; -1 = transport failure (res says unreachable). */
static int script_once(struct step_host *host, const struct site_step *step, const char *script,
		       struct script_report *rep, struct step_result *res)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(SCRIPT_OUTPUT_MAX);
	char why[256] = "";
	struct lerr err;
	int status = 0;

	memset(rep, 0, sizeof(*rep));
	buf_printf(&cmd, "LADING_CHECK=%d; export LADING_CHECK\n%s", host->check ? 1 : 0, script_prelude);
	buf_puts(&cmd, script);
	if (step_sh(host, cmd.data, step_become(host, step), &out, &status, why, sizeof(why), &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		buf_free(&cmd);
		buf_free(&out);
		return -1;
	}
	report_parse(host, out.len > 0 ? out.data : "", rep);
	if (status != 0 && (!rep->has_status || rep->status != STEP_STATUS_FAILED)) {
		rep->status = STEP_STATUS_FAILED;
		snprintf(rep->msg, sizeof(rep->msg), "exit %d%s%s", status, why[0] != '\0' ? ": " : "", why);
	} else if (!rep->has_status) {
		rep->status = STEP_STATUS_FAILED;
		snprintf(rep->msg, sizeof(rep->msg), "the script ended without saying ok, changed, skipped or failed");
	}
	buf_free(&cmd);
	buf_free(&out);
	return 0;
}

static int var_int(struct step_host *host, const char *name, int fallback)
{
	const char *value = step_var(host, name);
	char *end;
	long n;

	if (value == NULL || value[0] == '\0')
		return fallback;
	n = strtol(value, &end, 10);
	return *end == '\0' && n > 0 && n < 86400 ? (int)n : fallback;
}

/* The host's boot id (changes on every boot), or "" when it cannot be read. */
static int boot_id(struct step_host *host, char *id, size_t id_len, struct lerr *err)
{
	struct buf out = BUF_INIT(4096);
	int status = 0;

	id[0] = '\0';
	if (step_sh(host, "cat /proc/sys/kernel/random/boot_id", 0, &out, &status, NULL, 0, err) != 0) {
		buf_free(&out);
		return -1;
	}
	if (status == 0 && out.len > 0)
		snprintf(id, id_len, "%.*s", (int)strcspn(out.data, "\n"), out.data);
	buf_free(&out);
	return 0;
}

/*
 * Reboots the host and waits until it answers over SSH with another boot id.
 * Fills res and returns -1 when it did not come back in time.
 */
static int reboot_and_wait(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	const char *custom = step_var(host, "reboot_command");
	int timeout = var_int(host, "reboot_timeout", REBOOT_TIMEOUT_DEFAULT), status = 0;
	struct buf cmd = BUF_INIT(0), inner = BUF_INIT(0), out = BUF_INIT(4096);
	char before[64], after[64] = "";
	struct lerr err = {0};
	time_t deadline;

	if (boot_id(host, before, sizeof(before), &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		goto fail;
	}
	/* detached and delayed, so the command that asks for it returns before the session drops */
	buf_puts(&inner, "sleep 2; ");
	buf_puts(&inner, custom != NULL && custom[0] != '\0' ? custom : "systemctl reboot || reboot");
	buf_puts(&cmd, "nohup sh -c ");
	step_sh_quote(&cmd, inner.data);
	buf_puts(&cmd, " >/dev/null 2>&1 </dev/null &");
	step_log(host, "  rebooting (up to %d s)\n", timeout);
	if (step_sh(host, cmd.data, step_become(host, step), &out, &status, NULL, 0, &err) != 0 || status != 0) {
		step_set(res, STEP_STATUS_FAILED, "cannot start the reboot: %s",
			 err.msg[0] != '\0' ? err.msg : "the command failed");
		goto fail;
	}
	deadline = time(NULL) + timeout;
	while (time(NULL) < deadline) {
		struct timespec pause = {REBOOT_POLL_S, 0};

		nanosleep(&pause, NULL);
		if (host->exec->reconnect(host->exec->ctx, &err) != 0) {
			step_log(host, "  not back yet: %s\n", err.msg);
			continue;
		}
		if (boot_id(host, after, sizeof(after), &err) != 0)
			continue;
		if (after[0] != '\0' && strcmp(after, before) != 0) {
			step_log(host, "  back with boot id %s\n", after);
			buf_free(&cmd);
			buf_free(&inner);
			buf_free(&out);
			return 0;
		}
	}
	step_set(res, STEP_STATUS_FAILED,
		 "rebooted but did not come back with a new boot id within %d s (reboot_timeout); check the console",
		 timeout);
fail:
	buf_free(&cmd);
	buf_free(&inner);
	buf_free(&out);
	return -1;
}

int step_script(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	struct script_report rep;
	char *script = NULL;
	struct lerr err;
	const char *allowed;
	int rc = 0;

	if (step_render(host, step, step->cmd, &script, &err) != 0) {
		step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
		return 0;
	}
	if (script_once(host, step, script, &rep, res) != 0) {
		rc = -1;
		goto out;
	}
	if (rep.reboot[0] == '\0' || rep.status == STEP_STATUS_FAILED || rep.status == STEP_STATUS_SKIPPED) {
		step_set(res, rep.status, "%s", rep.msg);
		goto out;
	}
	if (host->check) {
		step_set(res, STEP_STATUS_CHANGED, "%s; would reboot: %s", rep.msg, rep.reboot);
		goto out;
	}
	allowed = step_var(host, "reboot");
	if (allowed == NULL || strcasecmp(allowed, "allowed") != 0) {
		step_set(res, STEP_STATUS_FAILED,
			 "%s; reboot needed (%s): reboot %s and run again, or set reboot: allowed", rep.msg, rep.reboot,
			 host->name != NULL ? host->name : "the host");
		goto out;
	}
	if (host->exec->reconnect == NULL) {
		step_set(res, STEP_STATUS_FAILED,
			 "%s; reboot needed (%s): lading does not reboot the machine it runs on", rep.msg, rep.reboot);
		goto out;
	}
	if (reboot_and_wait(host, step, res) != 0) {
		rc = res->status == STEP_STATUS_UNREACHABLE ? -1 : 0;
		goto out;
	}
	if (script_once(host, step, script, &rep, res) != 0) {
		rc = -1;
		goto out;
	}
	if (rep.reboot[0] != '\0' && rep.status != STEP_STATUS_FAILED)
		step_set(res, STEP_STATUS_FAILED, "rebooted, and still: %s", rep.reboot);
	else
		step_set(res, rep.status == STEP_STATUS_OK ? STEP_STATUS_CHANGED : rep.status, "rebooted; %s", rep.msg);
out:
	free(script);
	return rc;
}
