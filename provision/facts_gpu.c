#include "provision/facts_gpu.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMI_FIELDS 7 /* index, uuid, memory.total, driver_version, pci.bus_id, mig.mode.current, name */

json_t *facts_integer_or_null(const char *text)
{
	char *end;
	long long value;

	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0')
		return json_null();
	return json_integer(value);
}

void facts_gpu_init(json_t *facts)
{
	json_object_set_new(facts, "gpus", json_array());
	json_object_set_new(facts, "nvswitches", json_integer(0));
	json_object_set_new(facts, "efi", json_false());
	json_object_set_new(facts, "secure_boot", json_null());
	json_object_set_new(facts, "nouveau_loaded", json_false());
	json_object_set_new(facts, "nvidia_module", json_pack("{s:b, s:n}", "loaded", 0, "version"));
	json_object_set_new(facts, "nvidia_smi_exit", json_null());
}

int facts_gpu_bus_id(const char *bus_id, char *out, size_t size)
{
	unsigned long domain;
	unsigned int bus, device, function;
	char *end;
	char tail;

	errno = 0;
	domain = strtoul(bus_id, &end, 16);
	if (errno != 0 || end == bus_id || *end != ':' || domain > 0xffff)
		return -1;
	if (sscanf(end + 1, "%2x:%2x.%1x%c", &bus, &device, &function, &tail) != 3)
		return -1;
	if (snprintf(out, size, "%04lx:%02x:%02x.%x", domain, bus, device, function) >= (int)size)
		return -1;
	return 0;
}

/* SPECS-2 §4: GPUs are class 0x0300xx (VGA) or 0x0302xx (3D); NVSwitches 0x0680xx. */
static void pci_line(json_t *facts, const char *address, const char *vendor, const char *device, const char *class)
{
	if (strcmp(vendor, "0x10de") != 0)
		return;
	if (strncmp(class, "0x0300", 6) == 0 || strncmp(class, "0x0302", 6) == 0)
		json_array_append_new(json_object_get(facts, "gpus"),
				      json_pack("{s:s, s:s, s:s, s:s}", "pci_address", address, "vendor_id", vendor,
						"device_id", device, "class", class));
	else if (strncmp(class, "0x0680", 6) == 0)
		json_object_set_new(facts, "nvswitches",
				    json_integer(json_integer_value(json_object_get(facts, "nvswitches")) + 1));
}

static char *trim(char *text)
{
	char *end;

	while (isspace((unsigned char)*text))
		text++;
	end = text + strlen(text);
	while (end > text && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return text;
}

/* The GPU row with this PCI address, appended (vendor, device and class null) when sysfs had none. */
static json_t *gpu_row(json_t *facts, const char *address)
{
	json_t *gpus = json_object_get(facts, "gpus"), *row;
	size_t i;

	json_array_foreach(gpus, i, row)
	{
		if (strcmp(json_string_value(json_object_get(row, "pci_address")), address) == 0)
			return row;
	}
	row = json_pack("{s:s, s:n, s:n, s:n}", "pci_address", address, "vendor_id", "device_id", "class");
	json_array_append_new(gpus, row);
	return row;
}

/* One --query-gpu line, fields joined by ", " (SPECS-2 §4); the name is last and may hold commas. */
static void smi_line(json_t *facts, char *line)
{
	char *field[SMI_FIELDS], address[32];
	json_t *row;
	int i;

	for (i = 0; i < SMI_FIELDS - 1; i++) {
		field[i] = line;
		if ((line = strchr(line, ',')) == NULL)
			return;
		*line++ = '\0';
		field[i] = trim(field[i]);
	}
	field[SMI_FIELDS - 1] = trim(line);
	if (facts_gpu_bus_id(field[4], address, sizeof(address)) != 0)
		return;
	row = gpu_row(facts, address);
	json_object_set_new(row, "index", facts_integer_or_null(field[0]));
	json_object_set_new(row, "uuid", json_string(field[1]));
	json_object_set_new(row, "memory_mib", facts_integer_or_null(field[2]));
	json_object_set_new(row, "driver_version", json_string(field[3]));
	json_object_set_new(row, "mig_mode", json_string(field[5]));
	json_object_set_new(row, "name", json_string(field[6]));
}

/* SPECS-2 §4: the version is the first token starting with a digit and containing a dot. */
static json_t *proc_version(const char *line)
{
	const char *p = line;
	size_t length;

	while (*p != '\0') {
		length = strcspn(p, " ");
		if (isdigit((unsigned char)*p) && memchr(p, '.', length) != NULL)
			return json_stringn(p, length);
		p += length;
		p += strspn(p, " ");
	}
	return json_null();
}

static void preflight_line(json_t *facts, const char *key, const char *value)
{
	json_t *module = json_object_get(facts, "nvidia_module");

	if (strcmp(key, "efi") == 0)
		json_object_set_new(facts, "efi", json_boolean(strcmp(value, "1") == 0));
	else if (strcmp(key, "secure_boot") == 0)
		json_object_set_new(facts, "secure_boot",
				    strcmp(value, "1") == 0   ? json_true()
				    : strcmp(value, "0") == 0 ? json_false()
							      : json_null());
	else if (strcmp(key, "nouveau") == 0)
		json_object_set_new(facts, "nouveau_loaded", json_boolean(strcmp(value, "1") == 0));
	else if (strcmp(key, "nvidia_module") == 0)
		json_object_set_new(module, "loaded", json_boolean(strcmp(value, "1") == 0));
	else if (strcmp(key, "nvidia_version") == 0)
		json_object_set_new(module, "version", json_string(value));
	else if (strcmp(key, "nvidia_proc_version") == 0)
		json_object_set_new(module, "version", proc_version(value));
	else if (strcmp(key, "nvidia_smi_exit") == 0)
		json_object_set_new(facts, "nvidia_smi_exit", facts_integer_or_null(value));
}

int facts_gpu_line(json_t *facts, char **field, int count)
{
	static const char *const preflight[] = {"efi",
						"secure_boot",
						"nouveau",
						"nvidia_module",
						"nvidia_version",
						"nvidia_proc_version",
						"nvidia_smi_exit",
						NULL};
	int i;

	if (strcmp(field[0], "pci_nvidia") == 0 && count == 5) {
		pci_line(facts, field[1], field[2], field[3], field[4]);
		return 1;
	}
	if (strcmp(field[0], "nvidia_smi") == 0 && count == 2) {
		smi_line(facts, field[1]);
		return 1;
	}
	for (i = 0; preflight[i] != NULL && count == 2; i++)
		if (strcmp(field[0], preflight[i]) == 0) {
			preflight_line(facts, field[0], field[1]);
			return 1;
		}
	return 0;
}
