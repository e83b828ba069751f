#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/http.h"

static void options_that_all_apply_pass_the_check(void **state)
{
	CURL *curl = http_curl_new();
	struct http_setup so = HTTP_SETUP_INIT(curl);
	struct lerr err;
	char *url = NULL;

	(void)state;
	lerr_clear(&err);
	assert_int_equal(HTTP_SET(&so, CURLOPT_URL, "https://reg.example/v2/"), CURLE_OK);
	HTTP_SET(&so, CURLOPT_PROTOCOLS_STR, "http,https");
	HTTP_SET(&so, CURLOPT_NOSIGNAL, 1L);
	assert_int_equal(http_setup_check(&so, "reg.example", &err), 0);
	assert_int_equal(err.code, LADING_OK);
	assert_int_equal(curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &url), CURLE_OK);
	curl_easy_cleanup(curl);
}

/* A refused protocol allow-list must stop the request, not leave every protocol allowed. */
static void the_first_refused_option_is_reported_and_the_rest_skipped(void **state)
{
	CURL *curl = http_curl_new();
	struct http_setup so = HTTP_SETUP_INIT(curl);
	struct lerr err;
	char *mark = NULL;
	char expected[LERR_MSG_MAX];
	CURLcode refused;

	(void)state;
	lerr_clear(&err);
	HTTP_SET(&so, CURLOPT_URL, "https://reg.example/v2/");
	refused = HTTP_SET(&so, CURLOPT_PROTOCOLS_STR, "no-such-protocol");
	assert_int_not_equal(refused, CURLE_OK);
	/* Skipped: it would succeed, and a second refusal must not replace the first. */
	HTTP_SET(&so, CURLOPT_PRIVATE, (void *)"set");
	HTTP_SET(&so, CURLOPT_REDIR_PROTOCOLS_STR, "no-such-protocol-either");
	assert_int_equal(curl_easy_getinfo(curl, CURLINFO_PRIVATE, &mark), CURLE_OK);
	assert_null(mark);
	assert_int_equal(http_setup_check(&so, "reg.example", &err), -1);
	assert_int_equal(err.code, LADING_ERR_SYSTEM);
	snprintf(expected, sizeof(expected), "reg.example: cannot set libcurl option CURLOPT_PROTOCOLS_STR: %s",
		 curl_easy_strerror(refused));
	assert_string_equal(err.msg, expected);
	curl_easy_cleanup(curl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(options_that_all_apply_pass_the_check),
	    cmocka_unit_test(the_first_refused_option_is_reported_and_the_rest_skipped),
	};
	return cmocka_run_group_tests_name("http_setup", tests, NULL, NULL);
}
