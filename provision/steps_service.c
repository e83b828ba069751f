/*
 * The service step (restart or reload when an earlier step of the role
 * changed something) and the facts step. Targets may have no init system at
 * all (containers, the test hosts): the service step then falls back to a
 * command from the inventory, or restarts the process in its pidfile with
 * the command line it was started with.
 */
#include "provision/steps.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "provision/facts.h"
#include "provision/steps_int.h"

/* "lading_service_<name>_<what>", with characters a variable name cannot hold as '_'. */
static char *service_var_name(const char *service, const char *what)
{
	char *name = xasprintf("lading_service_%s_%s", service, what);
	char *p;

	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
	return name;
}

static const char *service_var(struct step_host *host, const char *service, const char *what)
{
	char *name = service_var_name(service, what);
	const char *value = step_var(host, name);

	free(name);
	return value != NULL && value[0] != '\0' ? value : NULL;
}

/*
 * systemd when it runs, else the SysV script, else the pidfile: the process is
 * stopped (TERM, up to 30 s, then KILL) and started again, detached, from the argv saved
 * in /proc/<pid>/cmdline; its output goes to the log file.
 */
static void restart_script(struct buf *cmd, const char *service, int reload, const char *pidfile, const char *log)
{
	buf_puts(cmd, "n=");
	step_sh_quote(cmd, service);
	buf_puts(cmd, "; p=");
	step_sh_quote(cmd, pidfile);
	buf_puts(cmd, "; l=");
	step_sh_quote(cmd, log);
	buf_printf(cmd, "; a=%s\n", reload ? "reload" : "restart");
	buf_puts(
	    cmd,
	    "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then exec systemctl \"$a\" \"$n\"; fi\n"
	    "if [ -x \"/etc/init.d/$n\" ] && command -v service >/dev/null; then exec service \"$n\" \"$a\"; fi\n"
	    /* a zombie has stopped even though kill -0 still finds it; one reaped between the two looks has too */
	    "alive() { kill -0 \"$1\" 2>/dev/null && s=$(sed 's/.*) //' \"/proc/$1/stat\" 2>/dev/null) && [ -n \"$s\" "
	    "] && "
	    "[ \"${s#Z}\" = \"$s\" ]; }\n"
	    "pid=$(cat \"$p\" 2>/dev/null)\n"
	    "if [ -z \"$pid\" ] || ! alive \"$pid\"; then\n"
	    "  echo \"cannot $a $n: no systemd, no /etc/init.d/$n, no running process in $p\" >&2; exit 3\n"
	    "fi\n"
	    "if [ \"$a\" = reload ]; then exec kill -HUP \"$pid\"; fi\n"
	    "argv=$(mktemp) && cp \"/proc/$pid/cmdline\" \"$argv\" && dir=$(readlink \"/proc/$pid/cwd\") || exit 4\n"
	    "kill -TERM \"$pid\"; i=0\n"
	    "while alive \"$pid\" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done\n"
	    /* as systemd does after TimeoutStopSec: KILL what TERM did not stop */
	    "if alive \"$pid\"; then kill -KILL \"$pid\"; i=0; echo \"$n (pid $pid) did not stop in 30 s: killed\" "
	    ">&2; fi\n"
	    "while alive \"$pid\" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done\n"
	    "if alive \"$pid\"; then echo \"$n (pid $pid) did not stop, not even on KILL\" >&2; exit 5; fi\n"
	    "cd \"${dir:-/}\" && xargs -0 sh -c 'p=$1; shift; setsid \"$@\" </dev/null >>\"$0\" 2>&1 & echo $! "
	    ">\"$p\"' \"$l\" \"$p\" "
	    "<\"$argv\"\n"
	    "rm -f \"$argv\"; sleep 0.2; pid=$(cat \"$p\")\n"
	    "if ! alive \"$pid\"; then echo \"$n exited right after its restart; see $l\" >&2; exit 6; fi\n");
}

int step_service(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	const char *verb = step->reload ? "reload" : "restart", *custom, *pidfile, *log;
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1u << 16);
	char *default_pidfile = NULL, *default_log = NULL, why[256] = "";
	struct lerr err;
	int status = 0, rc = 0;

	if (!host->role_changed) {
		step_set(res, STEP_STATUS_OK, "nothing in the role changed; %s not %sed", step->service, verb);
		goto out;
	}
	if (host->check) {
		step_set(res, STEP_STATUS_CHANGED, "would %s %s", verb, step->service);
		goto out;
	}
	custom = service_var(host, step->service, step->reload ? "reload" : "restart");
	if (custom != NULL) {
		buf_puts(&cmd, custom);
	} else {
		default_pidfile = xasprintf("/run/%s.pid", step->service);
		default_log = xasprintf("/var/log/%s.log", step->service);
		pidfile = service_var(host, step->service, "pidfile");
		log = service_var(host, step->service, "log");
		restart_script(&cmd, step->service, step->reload, pidfile != NULL ? pidfile : default_pidfile,
			       log != NULL ? log : default_log);
	}
	if (step_sh(host, cmd.data, step_become(host, step), &out, &status, why, sizeof(why), &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		rc = -1;
	} else if (status != 0) {
		step_set(res, STEP_STATUS_FAILED, "%s %s: exit %d%s%s", verb, step->service, status,
			 why[0] != '\0' ? ": " : "", why);
	} else {
		step_set(res, STEP_STATUS_CHANGED, "%sed %s", verb, step->service);
	}
out:
	free(default_pidfile);
	free(default_log);
	buf_free(&cmd);
	buf_free(&out);
	return rc;
}

static void add_fact(struct step_host *host, const char *key, const char *value)
{
	char *name = xasprintf("lading_facts_%s", key);

	step_fact_set(host, name, value);
	free(name);
}

/*
 * lading_facts_containerd, _podman, _crio, _docker ("true"/"false") and
 * lading_facts_containers (podman or CRI-O: /etc/containers): what the
 * registry-mirror role's `when:` keys ask.
 */
static void set_engine_facts(struct step_host *host, json_t *engines)
{
	static const char *const names[] = {"containerd", "podman", "crio", "docker"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		add_fact(host, names[i], json_is_true(json_object_get(engines, names[i])) ? "true" : "false");
	add_fact(host, "containers",
		 json_is_true(json_object_get(engines, "podman")) || json_is_true(json_object_get(engines, "crio"))
		     ? "true"
		     : "false");
}

/* The facts as template variables: lading_facts (the JSON) and lading_facts_<name> for the common ones. */
static void set_facts(struct step_host *host, json_t *facts)
{
	json_t *gpus = json_object_get(facts, "gpus");
	json_int_t memory = json_integer_value(json_object_get(json_object_get(facts, "memory"), "total_bytes"));
	const char *pretty = json_string_value(json_object_get(json_object_get(facts, "os"), "pretty_name"));
	char *text = json_dumps(facts, JSON_COMPACT), number[32];

	add_fact(host, "json", text != NULL ? text : "{}");
	free(text);
	add_fact(host, "os", pretty != NULL ? pretty : "");
	add_fact(host, "kernel", json_string_value(json_object_get(facts, "kernel")));
	add_fact(host, "arch", json_string_value(json_object_get(facts, "arch")));
	snprintf(number, sizeof(number), "%lld",
		 (long long)json_integer_value(json_object_get(json_object_get(facts, "cpu"), "count")));
	add_fact(host, "cpus", number);
	snprintf(number, sizeof(number), "%lld", (long long)(memory / (1024 * 1024)));
	add_fact(host, "memory_mb", number);
	snprintf(number, sizeof(number), "%zu", json_is_array(gpus) ? json_array_size(gpus) : (size_t)0);
	add_fact(host, "gpus", number);
	set_engine_facts(host, json_object_get(facts, "engines"));
}

static const char *fact(struct step_host *host, const char *key)
{
	size_t i;

	for (i = 0; i < host->fact_count; i++)
		if (strcmp(host->facts[i].name + strlen("lading_facts_"), key) == 0)
			return host->facts[i].value;
	return "?";
}

int step_facts(struct step_host *host, const struct site_step *step, struct step_result *res)
{
	struct buf out = BUF_INIT(1u << 20);
	char why[256] = "";
	struct lerr err;
	json_t *facts = NULL;
	int status = 0;

	(void)step;
	/* the same script as `lading provision facts` (provision/facts.c) */
	if (step_sh(host, facts_script(), 0, &out, &status, why, sizeof(why), &err) != 0) {
		step_set(res, STEP_STATUS_UNREACHABLE, "%s", err.msg);
		buf_free(&out);
		return -1;
	}
	if (status != 0)
		step_set(res, STEP_STATUS_FAILED, "facts: exit %d: %s", status, why);
	else if (facts_parse(out.len > 0 ? out.data : "", &facts, &err) != 0)
		step_set(res, STEP_STATUS_FAILED, "%s", err.msg);
	else {
		set_facts(host, facts);
		step_set(res, STEP_STATUS_OK, "%s, %s, %s, %s cpus, %s MiB, %s gpus", fact(host, "os"),
			 fact(host, "kernel"), fact(host, "arch"), fact(host, "cpus"), fact(host, "memory_mb"),
			 fact(host, "gpus"));
	}
	json_decref(facts);
	buf_free(&out);
	return 0;
}
