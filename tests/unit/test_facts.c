#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "provision/facts.h"
#include "provision/facts_gpu.h"

#define BASE "hostname\tgpu-01\nkernel\t5.15.0-105-generic\narch\tx86_64\n"

static json_t *parse_ok(const char *text)
{
	json_t *facts = NULL;
	struct lerr err;

	assert_int_equal(facts_parse(text, &facts, &err), 0);
	assert_non_null(facts);
	return facts;
}

static json_t *gpu(json_t *facts, size_t i)
{
	return json_array_get(json_object_get(facts, "gpus"), i);
}

static const char *text_of(json_t *object, const char *key)
{
	return json_string_value(json_object_get(object, key));
}

static void parses_os_cpu_memory_and_disks(void **state)
{
	const char *text = "os_id\tubuntu\nos_version_id\t22.04\nos_pretty_name\tUbuntu 22.04.4 LTS\n" BASE
			   "cpu_count\t128\ncpu_model\tAMD EPYC 7763 64-Core Processor\nmem_total_kb\t2113645000\n"
			   "disk\tnvme0n1\t3840755982336\t0\tSAMSUNG MZQL23T8HCLS-00A07\n"
			   "unknown_key\tignored\n";
	json_t *facts = parse_ok(text);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(json_object_get(facts, "os"), "id")), "ubuntu");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(facts, "cpu"), "count")), 128);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(facts, "memory"), "total_bytes")),
			 2113645000LL * 1024);
	assert_int_equal(json_array_size(json_object_get(facts, "disks")), 1);
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(json_object_get(facts, "disks"), 0), "size_bytes")),
	    3840755982336LL);
	json_decref(facts);
}

/* sysfs rows as the script prints them: vendor, device and class exactly as the files hold them. */
static void sysfs_gpus_and_nvswitches_are_told_apart(void **state)
{
	const char *text = BASE "pci_nvidia\t0000:07:00.0\t0x10de\t0x20b2\t0x030200\n"
				"pci_nvidia\t0000:0f:00.0\t0x10de\t0x20b2\t0x030200\n"
				"pci_nvidia\t0000:01:00.0\t0x10de\t0x1eb8\t0x030000\n"
				"pci_nvidia\t0000:c4:00.0\t0x10de\t0x1af1\t0x068000\n"
				"pci_nvidia\t0000:c5:00.0\t0x10de\t0x1af1\t0x068000\n"
				"pci_nvidia\t0000:07:00.1\t0x10de\t0x1aef\t0x040300\n"
				"pci_nvidia\t0000:09:00.0\t0x8086\t0x1572\t0x030200\n";
	json_t *facts = parse_ok(text);

	(void)state;
	/* Three GPUs (0x0302xx 3D and 0x0300xx VGA); audio functions and other vendors are not GPUs. */
	assert_int_equal(json_array_size(json_object_get(facts, "gpus")), 3);
	assert_string_equal(text_of(gpu(facts, 0), "pci_address"), "0000:07:00.0");
	assert_string_equal(text_of(gpu(facts, 0), "vendor_id"), "0x10de");
	assert_string_equal(text_of(gpu(facts, 0), "device_id"), "0x20b2");
	assert_string_equal(text_of(gpu(facts, 0), "class"), "0x030200");
	assert_string_equal(text_of(gpu(facts, 2), "class"), "0x030000");
	assert_null(json_object_get(gpu(facts, 0), "uuid"));
	assert_int_equal(json_integer_value(json_object_get(facts, "nvswitches")), 2);
	assert_true(json_is_null(json_object_get(facts, "nvidia_smi_exit")));
	json_decref(facts);
}

/* SPECS-2 §4: nvidia-smi writes 00000000:07:00.0 (upper case) for sysfs's 0000:07:00.0. */
static void nvidia_smi_rows_merge_by_pci_address(void **state)
{
	const char *text =
	    BASE "pci_nvidia\t0000:07:00.0\t0x10de\t0x20b2\t0x030200\n"
		 "pci_nvidia\t0000:0f:00.0\t0x10de\t0x20b2\t0x030200\n"
		 "nvidia_smi_exit\t0\n"
		 "nvidia_smi\t1, GPU-9c2e1a9b-0000-4000-8000-00000000000f, 81920, 550.127.05, 00000000:0F:00.0, "
		 "Enabled, NVIDIA A100-SXM4-80GB\n"
		 "nvidia_smi\t0, GPU-4101de38-535a-4255-ac14-a63e072d7a10, 81920, 550.127.05, 00000000:07:00.0, "
		 "Disabled, NVIDIA A100, rev. B\n"
		 "nvidia_smi\t2, GPU-11111111-2222-3333-4444-555555555555, [N/A], 550.127.05, 00000001:AB:1F.0, "
		 "[N/A], NVIDIA H100\n"
		 "nvidia_smi\tNo devices were found\n";
	json_t *facts = parse_ok(text);

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(facts, "nvidia_smi_exit")), 0);
	/* The two sysfs GPUs got their nvidia-smi view; the third one sysfs did not show is appended. */
	assert_int_equal(json_array_size(json_object_get(facts, "gpus")), 3);
	assert_int_equal(json_integer_value(json_object_get(gpu(facts, 0), "index")), 0);
	assert_string_equal(text_of(gpu(facts, 0), "uuid"), "GPU-4101de38-535a-4255-ac14-a63e072d7a10");
	assert_string_equal(text_of(gpu(facts, 0), "name"), "NVIDIA A100, rev. B");
	assert_string_equal(text_of(gpu(facts, 0), "mig_mode"), "Disabled");
	assert_string_equal(text_of(gpu(facts, 0), "device_id"), "0x20b2");
	assert_int_equal(json_integer_value(json_object_get(gpu(facts, 1), "index")), 1);
	assert_string_equal(text_of(gpu(facts, 1), "uuid"), "GPU-9c2e1a9b-0000-4000-8000-00000000000f");
	assert_int_equal(json_integer_value(json_object_get(gpu(facts, 1), "memory_mib")), 81920);
	assert_string_equal(text_of(gpu(facts, 1), "driver_version"), "550.127.05");
	assert_string_equal(text_of(gpu(facts, 1), "mig_mode"), "Enabled");
	assert_string_equal(text_of(gpu(facts, 2), "pci_address"), "0001:ab:1f.0");
	assert_true(json_is_null(json_object_get(gpu(facts, 2), "device_id")));
	assert_true(json_is_null(json_object_get(gpu(facts, 2), "memory_mib")));
	json_decref(facts);
}

static void bus_ids_are_written_as_sysfs_does(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(facts_gpu_bus_id("00000000:3B:00.0", out, sizeof(out)), 0);
	assert_string_equal(out, "0000:3b:00.0");
	assert_int_equal(facts_gpu_bus_id("0000:3b:00.1", out, sizeof(out)), 0);
	assert_string_equal(out, "0000:3b:00.1");
	assert_int_equal(facts_gpu_bus_id("3B:00.0", out, sizeof(out)), -1);
	assert_int_equal(facts_gpu_bus_id("00000000:3B:00.0 x", out, sizeof(out)), -1);
	assert_int_equal(facts_gpu_bus_id("[N/A]", out, sizeof(out)), -1);
	assert_int_equal(facts_gpu_bus_id("00000000:3B:00.0", out, 8), -1);
}

static void secure_boot_on_off_and_not_efi(void **state)
{
	json_t *facts;

	(void)state;
	facts = parse_ok(BASE "efi\t1\nsecure_boot\t1\n");
	assert_true(json_is_true(json_object_get(facts, "efi")));
	assert_true(json_is_true(json_object_get(facts, "secure_boot")));
	json_decref(facts);
	facts = parse_ok(BASE "efi\t1\nsecure_boot\t0\n");
	assert_true(json_is_false(json_object_get(facts, "secure_boot")));
	json_decref(facts);
	/* EFI without a SecureBoot variable: unknown, not "off". */
	facts = parse_ok(BASE "efi\t1\n");
	assert_true(json_is_null(json_object_get(facts, "secure_boot")));
	json_decref(facts);
	facts = parse_ok(BASE "efi\t0\n");
	assert_true(json_is_false(json_object_get(facts, "efi")));
	assert_true(json_is_null(json_object_get(facts, "secure_boot")));
	json_decref(facts);
}

static void nouveau_and_the_nvidia_module(void **state)
{
	json_t *facts, *module;

	(void)state;
	facts = parse_ok(BASE "nouveau\t1\nnvidia_module\t0\n");
	module = json_object_get(facts, "nvidia_module");
	assert_true(json_is_true(json_object_get(facts, "nouveau_loaded")));
	assert_true(json_is_false(json_object_get(module, "loaded")));
	assert_true(json_is_null(json_object_get(module, "version")));
	json_decref(facts);
	facts = parse_ok(BASE "nouveau\t0\nnvidia_module\t1\nnvidia_version\t535.216.03\n");
	module = json_object_get(facts, "nvidia_module");
	assert_true(json_is_false(json_object_get(facts, "nouveau_loaded")));
	assert_true(json_is_true(json_object_get(module, "loaded")));
	assert_string_equal(text_of(module, "version"), "535.216.03");
	json_decref(facts);
	/* SPECS-2 §4: /proc/driver/nvidia/version line 1, proprietary and open module wordings. */
	facts = parse_ok(BASE "nvidia_module\t1\nnvidia_proc_version\tNVRM version: NVIDIA UNIX x86_64 Kernel "
			      "Module  535.216.03  Thu Oct 10 00:00:00 UTC 2024\n");
	assert_string_equal(text_of(json_object_get(facts, "nvidia_module"), "version"), "535.216.03");
	json_decref(facts);
	facts = parse_ok(BASE "nvidia_module\t1\nnvidia_proc_version\tNVRM version: NVIDIA UNIX Open Kernel "
			      "Module for x86_64  570.86.15  Release Build  (dvs-builder@U16-I3-B03-4-3)\n");
	assert_string_equal(text_of(json_object_get(facts, "nvidia_module"), "version"), "570.86.15");
	json_decref(facts);
}

static void a_host_without_gpus_has_empty_gpu_facts(void **state)
{
	json_t *facts = parse_ok(BASE "efi\t0\nnouveau\t0\nnvidia_module\t0\n");

	(void)state;
	assert_int_equal(json_array_size(json_object_get(facts, "gpus")), 0);
	assert_int_equal(json_integer_value(json_object_get(facts, "nvswitches")), 0);
	assert_true(json_is_false(json_object_get(facts, "nouveau_loaded")));
	assert_true(json_is_null(json_object_get(facts, "nvidia_smi_exit")));
	json_decref(facts);
}

static void output_without_kernel_is_an_error(void **state)
{
	json_t *facts = NULL;
	struct lerr err;

	(void)state;
	assert_int_equal(facts_parse("hello\n", &facts, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	assert_null(facts);
}

/* The real script under this machine's /bin/sh, then parsed: what a target would send. */
static void the_script_runs_under_sh_here(void **state)
{
	struct buf out = BUF_INIT(1024 * 1024);
	struct utsname uts;
	json_t *facts = NULL;
	struct lerr err;
	char chunk[4096];
	size_t n;
	FILE *pipe;

	(void)state;
	{
		char path[] = "/tmp/test_facts.XXXXXX";
		int fd = mkstemp(path);
		FILE *script;
		char *cmd;

		assert_true(fd >= 0);
		script = fdopen(fd, "w");
		fputs(facts_script(), script);
		fclose(script);
		cmd = malloc(strlen(path) + 16);
		sprintf(cmd, "/bin/sh %s", path);
		pipe = popen(cmd, "r");
		assert_non_null(pipe);
		while ((n = fread(chunk, 1, sizeof(chunk), pipe)) > 0)
			assert_int_equal(buf_add(&out, chunk, n, &err), 0);
		assert_int_equal(WEXITSTATUS(pclose(pipe)), 0);
		unlink(path);
		free(cmd);
	}
	assert_int_equal(facts_parse(out.data, &facts, &err), 0);
	assert_int_equal(uname(&uts), 0);
	assert_string_equal(json_string_value(json_object_get(facts, "arch")), uts.machine);
	assert_string_equal(json_string_value(json_object_get(facts, "kernel")), uts.release);
	assert_true(json_integer_value(json_object_get(json_object_get(facts, "memory"), "total_bytes")) > 0);
	assert_true(json_integer_value(json_object_get(json_object_get(facts, "cpu"), "count")) >= 1);
	/* The preflight facts say what this machine's /sys says. */
	assert_int_equal(json_is_true(json_object_get(facts, "efi")), access("/sys/firmware/efi", F_OK) == 0);
	assert_int_equal(json_is_true(json_object_get(facts, "nouveau_loaded")),
			 access("/sys/module/nouveau", F_OK) == 0);
	assert_true(json_is_array(json_object_get(facts, "gpus")));
	json_decref(facts);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_os_cpu_memory_and_disks),
	    cmocka_unit_test(sysfs_gpus_and_nvswitches_are_told_apart),
	    cmocka_unit_test(nvidia_smi_rows_merge_by_pci_address),
	    cmocka_unit_test(bus_ids_are_written_as_sysfs_does),
	    cmocka_unit_test(secure_boot_on_off_and_not_efi),
	    cmocka_unit_test(nouveau_and_the_nvidia_module),
	    cmocka_unit_test(a_host_without_gpus_has_empty_gpu_facts),
	    cmocka_unit_test(output_without_kernel_is_an_error),
	    cmocka_unit_test(the_script_runs_under_sh_here),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
