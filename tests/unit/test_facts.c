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

static void parses_a_gpu_node(void **state)
{
	const char *text = "os_id\tubuntu\nos_version_id\t22.04\nos_pretty_name\tUbuntu 22.04.4 LTS\n"
			   "hostname\tgpu-01\nkernel\t5.15.0-105-generic\narch\tx86_64\n"
			   "cpu_count\t128\ncpu_model\tAMD EPYC 7763 64-Core Processor\nmem_total_kb\t2113645000\n"
			   "disk\tnvme0n1\t3840755982336\t0\tSAMSUNG MZQL23T8HCLS-00A07\n"
			   "pci_nvidia\t0000:07:00.0\t0302\t10de:20b2\n"
			   "pci_nvidia\t0000:0f:00.0\t0302\t10de:20b2\n"
			   "pci_nvidia\t0000:c4:00.0\t0680\t10de:1af1\n"
			   "pci_nvidia\t0000:07:00.1\t0403\t10de:1aef\n"
			   "nvidia_smi\t0\tNVIDIA A100-SXM4-80GB\t81920\t550.127.05\t00000000:07:00.0\n"
			   "unknown_key\tignored\n";
	json_t *facts = NULL;
	struct lerr err;

	(void)state;
	assert_int_equal(facts_parse(text, &facts, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(facts, "os"), "id")), "ubuntu");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(facts, "cpu"), "count")), 128);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(facts, "memory"), "total_bytes")),
			 2113645000LL * 1024);
	assert_int_equal(json_array_size(json_object_get(facts, "disks")), 1);
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(json_object_get(facts, "disks"), 0), "size_bytes")),
	    3840755982336LL);
	/* Two GPUs (class 03xx); the NVSwitch is counted apart and the audio function is not a GPU. */
	assert_int_equal(json_array_size(json_object_get(facts, "gpus")), 2);
	assert_int_equal(json_integer_value(json_object_get(facts, "nvswitches")), 1);
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(json_object_get(facts, "nvidia_smi"), 0), "memory_mib")),
	    81920);
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
	json_decref(facts);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_a_gpu_node),
	    cmocka_unit_test(output_without_kernel_is_an_error),
	    cmocka_unit_test(the_script_runs_under_sh_here),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
