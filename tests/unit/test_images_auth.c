#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/auth.h"
#include "lib/err.h"

static void bearer_challenge_params_in_any_order(void **state)
{
	struct auth_challenge ch;
	struct lerr err;

	(void)state;
	assert_int_equal(
	    auth_challenge_parse("Bearer service=\"registry.docker.io\",scope=\"repository:library/nginx:pull\","
				 "realm=\"https://auth.docker.io/token\"",
				 &ch, &err),
	    0);
	assert_string_equal(ch.scheme, "Bearer");
	assert_string_equal(ch.realm, "https://auth.docker.io/token");
	assert_string_equal(ch.service, "registry.docker.io");
	assert_string_equal(ch.scope, "repository:library/nginx:pull");
	assert_null(ch.error);
	auth_challenge_free(&ch);

	/* Token values, spaces after commas, escaped quotes, several scopes, an error param. */
	assert_int_equal(auth_challenge_parse("bearer realm=http://127.0.0.1:8080/token, service=reg, "
					      "scope=\"repository:a/b:pull repository:c:pull,push\", "
					      "error=\"insufficient_scope\", x=\"q\\\"uote\"",
					      &ch, &err),
			 0);
	assert_string_equal(ch.realm, "http://127.0.0.1:8080/token");
	assert_string_equal(ch.service, "reg");
	assert_string_equal(ch.scope, "repository:a/b:pull repository:c:pull,push");
	assert_string_equal(ch.error, "insufficient_scope");
	auth_challenge_free(&ch);
}

static void basic_and_bad_challenges(void **state)
{
	struct auth_challenge ch;
	struct lerr err;

	(void)state;
	assert_int_equal(auth_challenge_parse("Basic realm=\"Registry Realm\"", &ch, &err), 0);
	assert_string_equal(ch.scheme, "Basic");
	assert_string_equal(ch.realm, "Registry Realm");
	auth_challenge_free(&ch);
	assert_int_equal(auth_challenge_parse("Bearer service=\"x\"", &ch, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	assert_int_equal(auth_challenge_parse("Bearer realm=\"unterminated", &ch, &err), -1);
	assert_int_equal(auth_challenge_parse("", &ch, &err), -1);
}

static void docker_config_auths_match_hosts(void **state)
{
	/* dXNlcjpwYXNzOndvcmQ= is "user:pass:word"; YWRtaW46czNjcjN0 is "admin:s3cr3t". */
	static const char json[] = "{\"auths\":{"
				   "\"https://index.docker.io/v1/\":{\"auth\":\"dXNlcjpwYXNzOndvcmQ=\"},"
				   "\"https://127.0.0.1:5000\":{\"auth\":\"YWRtaW46czNjcjN0\"},"
				   "\"legacy.example\":{\"username\":\"u\",\"password\":\"p\"},"
				   "\"tok.example\":{\"registrytoken\":\"abc\"},"
				   "\"id.example\":{\"auth\":\"\",\"identitytoken\":\"refresh-me\"}},"
				   "\"credsStore\":\"desktop\"}";
	struct auth_creds creds;
	struct lerr err;
	int found;

	(void)state;
	assert_int_equal(auth_creds_from_json(json, strlen(json), "c.json", "docker.io", &creds, &found, &err), 0);
	assert_int_equal(found, 1);
	assert_string_equal(creds.username, "user");
	assert_string_equal(creds.password, "pass:word");
	auth_creds_free(&creds);
	assert_int_equal(auth_creds_from_json(json, strlen(json), "c.json", "127.0.0.1:5000", &creds, &found, &err), 0);
	assert_int_equal(found, 1);
	assert_string_equal(creds.username, "admin");
	assert_string_equal(creds.password, "s3cr3t");
	auth_creds_free(&creds);
	assert_int_equal(auth_creds_from_json(json, strlen(json), "c.json", "legacy.example", &creds, &found, &err), 0);
	assert_string_equal(creds.password, "p");
	auth_creds_free(&creds);
	assert_int_equal(auth_creds_from_json(json, strlen(json), "c.json", "tok.example", &creds, &found, &err), 0);
	assert_string_equal(creds.registry_token, "abc");
	auth_creds_free(&creds);
	assert_int_equal(auth_creds_from_json(json, strlen(json), "c.json", "id.example", &creds, &found, &err), 0);
	assert_int_equal(found, 1);
	assert_string_equal(creds.identity_token, "refresh-me");
	assert_null(creds.username);
	auth_creds_free(&creds);
	assert_int_equal(auth_creds_from_json(json, strlen(json), "c.json", "127.0.0.1:5001", &creds, &found, &err), 0);
	assert_int_equal(found, 0);
	assert_null(creds.username);
}

static void docker_config_errors_name_the_file(void **state)
{
	static const char bad_b64[] = "{\"auths\":{\"h\":{\"auth\":\"***\"}}}";
	static const char no_colon[] = "{\"auths\":{\"h\":{\"auth\":\"dXNlcg==\"}}}";
	struct auth_creds creds;
	struct lerr err;
	int found;

	(void)state;
	assert_int_equal(auth_creds_from_json("{", 1, "c.json", "h", &creds, &found, &err), -1);
	assert_non_null(strstr(err.msg, "c.json:"));
	assert_int_equal(auth_creds_from_json(bad_b64, strlen(bad_b64), "c.json", "h", &creds, &found, &err), -1);
	assert_non_null(strstr(err.msg, "not base64"));
	assert_int_equal(auth_creds_from_json(no_colon, strlen(no_colon), "c.json", "h", &creds, &found, &err), -1);
}

static void basic_value_is_base64_user_colon_password(void **state)
{
	struct auth_creds creds = {"admin", "s3cr3t", NULL, NULL};
	char *value;

	(void)state;
	value = auth_basic_value(&creds);
	assert_string_equal(value, "Basic YWRtaW46czNjcjN0");
	auth_secret_free(value);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bearer_challenge_params_in_any_order),
	    cmocka_unit_test(basic_and_bad_challenges),
	    cmocka_unit_test(docker_config_auths_match_hosts),
	    cmocka_unit_test(docker_config_errors_name_the_file),
	    cmocka_unit_test(basic_value_is_base64_user_colon_password),
	};
	return cmocka_run_group_tests_name("images_auth", tests, NULL, NULL);
}
