/* Terraform registry tokens: the CLI config's credentials blocks, TF_TOKEN_ names, precedence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "providers/tfcreds.h"

static const char config[] = "# Terraform CLI configuration\n"
			     "plugin_cache_dir = \"$HOME/.terraform.d/plugin-cache\"\n"
			     "disable_checkpoint = true\n"
			     "provider_installation {\n"
			     "  network_mirror { url = \"https://mirror.example/\" }\n"
			     "  direct { exclude = [\"example.com/*/*\"] }\n"
			     "}\n"
			     "/* a block comment { with braces } */\n"
			     "credentials \"App.Terraform.io\" {\n"
			     "  token = \"tok\\\"en-1\"  // escaped quote\n"
			     "}\n"
			     "credentials \"registry.example-corp.io:8443\" {\n"
			     "  token = \"tok-2\"\n"
			     "}\n"
			     "credentials_helper \"vault\" { args = [\"--x\"] }\n";

static void credentials_blocks_are_read_and_the_rest_skipped(void **state)
{
	struct tf_credentials creds = {0};
	struct lerr err;
	char *auth;

	(void)state;
	unsetenv("TF_TOKEN_app_terraform_io");
	assert_int_equal(tf_credentials_parse_hcl(&creds, config, strlen(config), "'rc'", &err), 0);
	assert_int_equal(creds.count, 2);
	auth = tf_credentials_auth("app.terraform.io", &creds);
	assert_string_equal(auth, "Bearer tok\"en-1");
	free(auth);
	auth = tf_credentials_auth("registry.example-corp.io:8443", &creds);
	assert_string_equal(auth, "Bearer tok-2");
	free(auth);
	assert_null(tf_credentials_auth("registry.example-corp.io", &creds));
	assert_null(tf_credentials_auth("other.example", &creds));
	/* The environment wins over the file, as in Terraform. */
	setenv("TF_TOKEN_app_terraform_io", "from-env", 1);
	auth = tf_credentials_auth("app.terraform.io", &creds);
	assert_string_equal(auth, "Bearer from-env");
	free(auth);
	unsetenv("TF_TOKEN_app_terraform_io");
	tf_credentials_free(&creds);
}

static void env_names_follow_terraform(void **state)
{
	char *name = tf_credentials_env_name("registry.example-corp.io");
	char *auth;

	(void)state;
	assert_string_equal(name, "TF_TOKEN_registry_example__corp_io");
	setenv(name, "t", 1);
	auth = tf_credentials_auth("Registry.Example-Corp.io", NULL);
	assert_string_equal(auth, "Bearer t");
	free(auth);
	unsetenv(name);
	free(name);
}

static void bad_config_names_file_and_line(void **state)
{
	static const char bad[] = "credentials \"h\" {\n  token = \"x\"\n  oops\n}\n";
	static const char open[] = "provider_installation {\n  direct {\n";
	struct tf_credentials creds = {0};
	struct lerr err;

	(void)state;
	assert_int_equal(tf_credentials_parse_hcl(&creds, bad, strlen(bad), "'rc'", &err), -1);
	assert_string_equal(err.msg, "'rc':4: want NAME = \"VALUE\" in a credentials block (the Terraform CLI "
				     "configuration); fix the file");
	tf_credentials_free(&creds);
	assert_int_equal(tf_credentials_parse_hcl(&creds, open, strlen(open), "'rc'", &err), -1);
	assert_non_null(strstr(err.msg, "unterminated block"));
	tf_credentials_free(&creds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(credentials_blocks_are_read_and_the_rest_skipped),
	    cmocka_unit_test(env_names_follow_terraform),
	    cmocka_unit_test(bad_config_names_file_and_line),
	};
	return cmocka_run_group_tests_name("tfcreds", tests, NULL, NULL);
}
