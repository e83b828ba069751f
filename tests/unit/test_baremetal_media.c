#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "provision/baremetal/media_http.h"

/*
 * --media-listen's port is digits, 0-65535: getaddrinfo alone takes "+80" and
 * " 80", and wraps 99999 into another port (99999 - 65536 = 34463).
 */
static void media_listen_refuses_ports_out_of_range(void **state)
{
	static const char *const bad[] = {"127.0.0.1:99999", "127.0.0.1:65536", "127.0.0.1:+0", "127.0.0.1: 0",
					  "127.0.0.1:0x50",  "[::1]:70000",	"127.0.0.1:-1", "127.0.0.1:abc"};
	struct bm_media_server *srv = NULL;
	struct lerr err = {0};
	char want[96];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bm_media_start(bad[i], NULL, &srv, &err) == 0) {
			int port = bm_media_port(srv);

			bm_media_stop(srv);
			fail_msg("'%s' was accepted (listening on port %d)", bad[i], port);
		}
		snprintf(want, sizeof(want), "cannot listen on %s: ", bad[i]);
		if (strncmp(err.msg, want, strlen(want)) != 0 || strstr(err.msg, "0-65535") == NULL)
			fail_msg("'%s': '%s' does not say the port is out of range", bad[i], err.msg);
		assert_null(strchr(err.msg, '\n'));
	}
	assert_int_equal(bm_media_start("127.0.0.1:0", NULL, &srv, &err), 0); /* 0: any free port */
	assert_true(bm_media_port(srv) > 0);
	bm_media_stop(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(media_listen_refuses_ports_out_of_range),
	};
	return cmocka_run_group_tests_name("baremetal_media", tests, NULL, NULL);
}
