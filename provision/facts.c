#include "provision/facts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"

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
    "if command -v lspci >/dev/null 2>&1; then\n"
    "  lspci -n -D 2>/dev/null | while read -r slot class ids rest; do\n"
    "    case $ids in 10de:*) printf 'pci_nvidia\\t%s\\t%s\\t%s\\n' \"$slot\" \"${class%:}\" \"$ids\";; esac\n"
    "  done\n"
    "fi\n"
    "if command -v nvidia-smi >/dev/null 2>&1; then\n"
    "  nvidia-smi --query-gpu=index,name,memory.total,driver_version,pci.bus_id --format=csv,noheader,nounits "
    "2>/dev/null |\n"
    "  while IFS=, read -r idx name mem drv bus; do\n"
    "    printf 'nvidia_smi\\t%s\\t%s\\t%s\\t%s\\t%s\\n' \"$idx\" \"$name\" \"$mem\" \"$drv\" \"$bus\" | sed "
    "'s/\\t */\\t/g'\n"
    "  done\n"
    "fi\n"
    "exit 0\n";

const char *facts_script(void)
{
	return facts_sh;
}

static json_t *json_number_or_null(const char *text)
{
	char *end;
	long long value;

	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0')
		return json_null();
	return json_integer(value);
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
				    map[i].number ? json_number_or_null(value) : json_string(value));
		return;
	}
	if (strcmp(key, "mem_total_kb") == 0) {
		json_t *kb = json_number_or_null(value);

		json_object_set_new(child(facts, "memory"), "total_bytes",
				    json_is_integer(kb) ? json_integer(json_integer_value(kb) * 1024) : json_null());
		json_decref(kb);
	}
}

static void facts_row(json_t *facts, char **field, int count)
{
	json_t *row;

	if (strcmp(field[0], "disk") == 0 && count == 5) {
		row = json_pack("{s:s, s:o, s:b, s:s}", "name", field[1], "size_bytes", json_number_or_null(field[2]),
				"rotational", strcmp(field[3], "1") == 0, "model", field[4]);
		json_array_append_new(json_object_get(facts, "disks"), row);
	} else if (strcmp(field[0], "pci_nvidia") == 0 && count == 4) {
		/* Class 03xx: display/3D controllers (GPUs); 0680: NVSwitch bridges (fabric manager). */
		if (strncmp(field[2], "03", 2) == 0) {
			row = json_pack("{s:s, s:s, s:s}", "pci_slot", field[1], "pci_id", field[3], "class", field[2]);
			json_array_append_new(json_object_get(facts, "gpus"), row);
		} else if (strcmp(field[2], "0680") == 0) {
			json_object_set_new(facts, "nvswitches",
					    json_integer(json_integer_value(json_object_get(facts, "nvswitches")) + 1));
		}
	} else if (strcmp(field[0], "nvidia_smi") == 0 && count == 6) {
		row =
		    json_pack("{s:o, s:s, s:o, s:s, s:s}", "index", json_number_or_null(field[1]), "name", field[2],
			      "memory_mib", json_number_or_null(field[3]), "driver", field[4], "pci_bus_id", field[5]);
		json_array_append_new(json_object_get(facts, "nvidia_smi"), row);
	} else if (count == 2) {
		facts_scalar(facts, field[0], field[1]);
	}
}

int facts_parse(const char *text, json_t **out, struct lerr *err)
{
	json_t *facts = json_pack("{s:[], s:[], s:i, s:[]}", "disks", "gpus", "nvswitches", 0, "nvidia_smi");
	char *copy = xstrdup(text);
	char *line, *save = NULL;

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

	if (ssh_exec(conn, facts_sh, 0, -1, &output, &errout, &status, err) != 0)
		goto out;
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
