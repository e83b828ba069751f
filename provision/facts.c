#include "provision/facts.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "provision/facts_gpu.h"
#include "provision/steps.h"

#define FACTS_OUTPUT_MAX (1024 * 1024)
#define FACTS_FIELDS_MAX 8

/*
 * Prints "key<TAB>value..." lines; values never hold tabs or newlines, so the
 * C side builds the JSON (no escaping in sh). Everything is optional: a
 * missing file or tool leaves its key out.
 */
static const char facts_sh[] =
    "export LC_ALL=C\n"
    "clean() { tr -d '\\t\\r' | tr '\\n' ' ' | sed 's/ *$//'; }\n"
    "kv() { printf '%s\\t%s\\n' \"$1\" \"$(printf '%s' \"$2\" | clean)\"; }\n"
    "if [ -r /etc/os-release ]; then (\n"
    "  . /etc/os-release 2>/dev/null\n"
    "  kv os_id \"${ID:-}\"; kv os_version_id \"${VERSION_ID:-}\"\n"
    "  kv os_pretty_name \"${PRETTY_NAME:-}\"; kv os_codename \"${VERSION_CODENAME:-}\"\n"
    "); fi\n"
    "kv hostname \"$(uname -n)\"; kv kernel \"$(uname -r)\"; kv arch \"$(uname -m)\"\n"
    "n=$(getconf _NPROCESSORS_ONLN 2>/dev/null) || n=$(grep -c '^processor' /proc/cpuinfo)\n"
    "kv cpu_count \"$n\"\n"
    "kv cpu_model \"$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)\"\n"
    "kv mem_total_kb \"$(sed -n 's/^MemTotal:[[:space:]]*\\([0-9]*\\).*/\\1/p' /proc/meminfo 2>/dev/null)\"\n"
    "for d in /sys/block/*; do\n"
    "  [ -e \"$d/size\" ] || continue\n"
    "  name=${d##*/}\n"
    "  case $name in loop*|ram*) continue;; esac\n"
    "  size=$(cat \"$d/size\" 2>/dev/null) || size=0\n"
    "  rot=$(cat \"$d/queue/rotational\" 2>/dev/null) || rot=0\n"
    "  model=$(cat \"$d/device/model\" 2>/dev/null | clean)\n"
    "  printf 'disk\\t%s\\t%s\\t%s\\t%s\\n' \"$name\" \"$((size * 512))\" \"$rot\" \"$model\"\n"
    "done\n"
    /* PCI from sysfs, not lspci: targets may lack pciutils (SPECS-2 §4 "PCI sysfs"). */
    "for d in /sys/bus/pci/devices/*; do\n"
    "  [ -r \"$d/vendor\" ] || continue\n"
    "  v=$(cat \"$d/vendor\" 2>/dev/null)\n"
    "  [ \"$v\" = 0x10de ] || continue\n"
    "  printf 'pci_nvidia\\t%s\\t%s\\t%s\\t%s\\n' \"${d##*/}\" \"$v\" \"$(cat \"$d/device\" 2>/dev/null)\" "
    "\"$(cat \"$d/class\" 2>/dev/null)\"\n"
    "done\n"
    /* SecureBoot efivar: 4 attribute bytes, then the value (SPECS-2 §4 "Secure Boot"). */
    "if [ -d /sys/firmware/efi ]; then\n"
    "  kv efi 1\n"
    "  sb=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c\n"
    "  [ -r \"$sb\" ] && kv secure_boot \"$(od -An -tu1 -j4 -N1 \"$sb\" 2>/dev/null | tr -d ' ')\"\n"
    "else\n"
    "  kv efi 0\n"
    "fi\n"
    "if [ -d /sys/module/nouveau ]; then kv nouveau 1; else kv nouveau 0; fi\n"
    "if [ -d /sys/module/nvidia ]; then kv nvidia_module 1; else kv nvidia_module 0; fi\n"
    "if [ -r /sys/module/nvidia/version ]; then kv nvidia_version \"$(cat /sys/module/nvidia/version)\"\n"
    "elif [ -r /proc/driver/nvidia/version ]; then kv nvidia_proc_version \"$(head -n 1 "
    "/proc/driver/nvidia/version)\"\n"
    "fi\n"
    /* container engines, for the registry-mirror role: each writes its own mirror configuration */
    "for e in containerd podman crio dockerd; do\n"
    "  if command -v \"$e\" >/dev/null 2>&1; then kv \"engine_$e\" 1; else kv \"engine_$e\" 0; fi\n"
    "done\n"
    /* name last: it is the one field that may hold a comma. */
    "if command -v nvidia-smi >/dev/null 2>&1; then\n"
    "  out=$(nvidia-smi --query-gpu=index,uuid,memory.total,driver_version,pci.bus_id,mig.mode.current,name "
    "--format=csv,noheader,nounits 2>/dev/null)\n"
    "  kv nvidia_smi_exit $?\n"
    "  printf '%s\\n' \"$out\" | tr -d '\\t\\r' | while IFS= read -r line; do\n"
    "    [ -n \"$line\" ] && printf 'nvidia_smi\\t%s\\n' \"$line\"\n"
    "  done\n"
    "fi\n"
    "exit 0\n";

const char *facts_script(void)
{
	return facts_sh;
}

/* The object under key in parent, created when missing. */
static json_t *child(json_t *parent, const char *key)
{
	json_t *object = json_object_get(parent, key);

	if (object == NULL) {
		object = json_object();
		json_object_set_new(parent, key, object);
	}
	return object;
}

static void facts_scalar(json_t *facts, const char *key, const char *value)
{
	static const struct {
		const char *key, *object, *name;
		int number;
	} map[] = {
	    {"os_id", "os", "id", 0},
	    {"os_version_id", "os", "version_id", 0},
	    {"os_pretty_name", "os", "pretty_name", 0},
	    {"os_codename", "os", "codename", 0},
	    {"hostname", NULL, "hostname", 0},
	    {"kernel", NULL, "kernel", 0},
	    {"arch", NULL, "arch", 0},
	    {"cpu_count", "cpu", "count", 1},
	    {"cpu_model", "cpu", "model", 0},
	    {NULL, NULL, NULL, 0},
	};
	int i;

	for (i = 0; map[i].key != NULL; i++) {
		if (strcmp(map[i].key, key) != 0)
			continue;
		json_object_set_new(map[i].object != NULL ? child(facts, map[i].object) : facts, map[i].name,
				    map[i].number ? facts_integer_or_null(value) : json_string(value));
		return;
	}
	if (strncmp(key, "engine_", 7) == 0) {
		/* dockerd is the Docker Engine: "docker" in the facts */
		json_object_set_new(child(facts, "engines"), strcmp(key + 7, "dockerd") == 0 ? "docker" : key + 7,
				    json_boolean(strcmp(value, "1") == 0));
		return;
	}
	if (strcmp(key, "mem_total_kb") == 0) {
		json_t *kb = facts_integer_or_null(value);

		json_object_set_new(child(facts, "memory"), "total_bytes",
				    json_is_integer(kb) ? json_integer(json_integer_value(kb) * 1024) : json_null());
		json_decref(kb);
	}
}

static void facts_row(json_t *facts, char **field, int count)
{
	json_t *row;

	if (strcmp(field[0], "disk") == 0 && count == 5) {
		row = json_pack("{s:s, s:o, s:b, s:s}", "name", field[1], "size_bytes", facts_integer_or_null(field[2]),
				"rotational", strcmp(field[3], "1") == 0, "model", field[4]);
		json_array_append_new(json_object_get(facts, "disks"), row);
	} else if (facts_gpu_line(facts, field, count)) {
		return;
	} else if (count == 2) {
		facts_scalar(facts, field[0], field[1]);
	}
}

int facts_parse(const char *text, json_t **out, struct lerr *err)
{
	json_t *facts = json_pack("{s:[]}", "disks");
	char *copy = xstrdup(text);
	char *line, *save = NULL;

	facts_gpu_init(facts);

	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *field[FACTS_FIELDS_MAX];
		int count = 0;
		char *p = line;

		field[count++] = p;
		while (count < FACTS_FIELDS_MAX && (p = strchr(p, '\t')) != NULL) {
			*p++ = '\0';
			field[count++] = p;
		}
		facts_row(facts, field, count);
	}
	free(copy);
	if (json_object_get(facts, "arch") == NULL || json_object_get(facts, "kernel") == NULL) {
		json_decref(facts);
		return lerr_set(err, LADING_ERR_FORMAT,
				"facts: the output has no kernel or arch (is this a unix host?)");
	}
	*out = facts;
	return 0;
}

int facts_gather(struct ssh_conn *conn, json_t **out, struct lerr *err)
{
	struct buf output = BUF_INIT(FACTS_OUTPUT_MAX);
	struct buf errout = BUF_INIT(64 * 1024);
	int status = -1, rc = -1;

	if (conn != NULL) {
		if (ssh_exec(conn, facts_sh, 0, -1, &output, &errout, &status, err) != 0)
			goto out;
	} else {
		struct step_exec local;

		step_exec_local(&local);
		if (local.exec(local.ctx, facts_sh, 0, -1, &output, &errout, &status, err) != 0)
			goto out;
	}
	if (status != 0) {
		lerr_set(err, LADING_ERR_SYSTEM, "facts script failed (exit %d): %.200s", status,
			 errout.data != NULL ? errout.data : "");
		goto out;
	}
	rc = facts_parse(output.data != NULL ? output.data : "", out, err);
out:
	buf_free(&output);
	buf_free(&errout);
	return rc;
}
