#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"

static void urls_resolve_and_split(void **state)
{
	char *s;

	(void)state;
	s = http_url_resolve("http://127.0.0.1:5000/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u1?_state=x");
	assert_string_equal(s, "http://127.0.0.1:5000/v2/a/blobs/uploads/u1?_state=x");
	free(s);
	s = http_url_resolve("https://reg.example/v2/a/blobs/sha256:1", "https://s3.example/bucket/obj?sig=1");
	assert_string_equal(s, "https://s3.example/bucket/obj?sig=1");
	free(s);
	s = http_url_hostport("https://reg.example:8443/v2/");
	assert_string_equal(s, "reg.example:8443");
	free(s);
	s = http_url_hostport("https://reg.example/v2/");
	assert_string_equal(s, "reg.example");
	free(s);
	s = http_escape("repository:a/b:pull,push x");
	assert_string_equal(s, "repository%3Aa%2Fb%3Apull%2Cpush%20x");
	free(s);
}

static void retry_after_forms(void **state)
{
	(void)state;
	assert_int_equal(http_retry_after_seconds("7"), 7);
	assert_int_equal(http_retry_after_seconds(NULL), -1);
	assert_int_equal(http_retry_after_seconds("7x"), -1);
	assert_int_equal(http_retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"), 0);
	assert_int_equal(http_retry_after_seconds("garbage"), -1);
}

static void urls_for_logs_lose_userinfo_and_redacted_queries(void **state)
{
	static const struct {
		const char *url;
		int redact;
		const char *want;
	} cases[] = {
	    {"https://h:1/p/a?X-Amz-Signature=s#f", 1, "https://h:1/p/a?[redacted]"},
	    {"https://h:1/p/a?x=1", 0, "https://h:1/p/a?x=1"},
	    {"https://user:pw@h/p?x", 0, "https://h/p?x"},
	    {"https://user:pw@h/p?x", 1, "https://h/p?[redacted]"},
	    {"https://h/p@q", 1, "https://h/p@q"},
	    {"https://h", 1, "https://h"},
	    {"http://h?q", 1, "http://h?[redacted]"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = http_url_for_log(cases[i].url, cases[i].redact);

		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(urls_resolve_and_split),
	    cmocka_unit_test(retry_after_forms),
	    cmocka_unit_test(urls_for_logs_lose_userinfo_and_redacted_queries),
	};
	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
