#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "provision/baremetal/media_http.h"

/* Just over 1 MiB, so a whole fetch takes several writes. */
#define FILE_SIZE ((size_t)(1024 * 1024 + 4097))

struct fixture {
	struct bm_media_server *srv;
	char path[64];
	unsigned char *data;
	struct logger lg;
	FILE *log;
	char *log_text;
	size_t log_len;
};

struct reply {
	long status;
	char *body;
	size_t body_len;
	char headers[4096];
	size_t headers_len;
};

static size_t on_body(char *ptr, size_t size, size_t n, void *cls)
{
	struct reply *r = cls;

	r->body = realloc(r->body, r->body_len + size * n + 1);
	memcpy(r->body + r->body_len, ptr, size * n);
	r->body_len += size * n;
	return size * n;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *cls)
{
	struct reply *r = cls;
	size_t len = size * n;

	if (r->headers_len + len < sizeof(r->headers)) {
		memcpy(r->headers + r->headers_len, ptr, len);
		r->headers_len += len;
		r->headers[r->headers_len] = '\0';
	}
	return len;
}

/* method "GET", "HEAD" or "POST"; range NULL or "a-b". With curl NULL, on a connection of its own. */
static void fetch_on(CURL *reuse, const struct fixture *f, const char *method, const char *url_path, const char *range,
		     struct reply *r)
{
	CURL *curl = reuse != NULL ? reuse : curl_easy_init();
	char url[256];

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", bm_media_port(f->srv), url_path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L); /* send "/../etc/passwd" as written */
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
	if (range != NULL)
		curl_easy_setopt(curl, CURLOPT_RANGE, range);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "POST") == 0)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "x=1");
	else
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L); /* a reused handle may have done a HEAD */
	assert_int_equal(curl_easy_perform(curl), CURLE_OK);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (reuse == NULL)
		curl_easy_cleanup(curl);
}

static void fetch(const struct fixture *f, const char *method, const char *url_path, const char *range, struct reply *r)
{
	fetch_on(NULL, f, method, url_path, range, r);
}

static int has_header(const struct reply *r, const char *line)
{
	return strcasestr(r->headers, line) != NULL;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lerr err = {0};
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/test_media_http.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	f->data = malloc(FILE_SIZE);
	for (size_t i = 0; i < FILE_SIZE; i++)
		f->data[i] = (unsigned char)((i * 7 + i / 251) & 0xff);
	assert_int_equal(write(fd, f->data, FILE_SIZE), (ssize_t)FILE_SIZE);
	close(fd);
	f->log = open_memstream(&f->log_text, &f->log_len);
	f->lg.out = f->log;
	f->lg.level = LOG_VERBOSE;
	if (bm_media_start("127.0.0.1:0", &f->lg, &f->srv, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(bm_media_port(f->srv) > 0);
	assert_int_equal(bm_media_add(f->srv, "/n1.iso", f->path, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bm_media_stop(f->srv);
	unlink(f->path);
	fclose(f->log);
	free(f->log_text);
	free(f->data);
	free(f);
	return 0;
}

static void whole_file_and_head(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	char length[64];

	fetch(f, "GET", "/n1.iso", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, FILE_SIZE);
	assert_memory_equal(r.body, f->data, FILE_SIZE);
	snprintf(length, sizeof(length), "Content-Length: %zu\r\n", FILE_SIZE);
	assert_true(has_header(&r, length));
	assert_true(has_header(&r, "Accept-Ranges: bytes\r\n"));
	assert_true(has_header(&r, "Content-Type: application/x-iso9660-image\r\n"));
	free(r.body);

	fetch(f, "HEAD", "/n1.iso", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_true(has_header(&r, length));
	assert_true(has_header(&r, "Accept-Ranges: bytes\r\n"));
	free(r.body);
	assert_int_equal(bm_media_requests(f->srv, "/n1.iso"), 1); /* HEAD fetches nothing */

	fflush(f->log);
	assert_non_null(strstr(f->log_text, "media: GET /n1.iso 200 from 127.0.0.1\n"));
	assert_non_null(strstr(f->log_text, "media: HEAD /n1.iso 200 from 127.0.0.1\n"));
}

static void check_range(const struct fixture *f, const char *range, size_t start, size_t length)
{
	struct reply r;
	char expect[128];

	fetch(f, "GET", "/n1.iso", range, &r);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.body_len, length);
	assert_memory_equal(r.body, f->data + start, length);
	snprintf(expect, sizeof(expect), "Content-Range: bytes %zu-%zu/%zu\r\n", start, start + length - 1, FILE_SIZE);
	if (!has_header(&r, expect))
		fail_msg("range %s: no '%s' in:\n%s", range, expect, r.headers);
	snprintf(expect, sizeof(expect), "Content-Length: %zu\r\n", length);
	assert_true(has_header(&r, expect));
	free(r.body);
}

static void ranges(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	char range[64];

	check_range(f, "100-199", 100, 100);
	check_range(f, "0-0", 0, 1);
	snprintf(range, sizeof(range), "%zu-", FILE_SIZE - 10);
	check_range(f, range, FILE_SIZE - 10, 10);
	check_range(f, "-4097", FILE_SIZE - 4097, 4097);
	check_range(f, "1048000-99999999", 1048000, FILE_SIZE - 1048000); /* the end clamped to the size */
	assert_int_equal(bm_media_requests(f->srv, "/n1.iso"), 5);

	snprintf(range, sizeof(range), "%zu-", FILE_SIZE);
	fetch(f, "GET", "/n1.iso", range, &r);
	assert_int_equal(r.status, 416);
	snprintf(range, sizeof(range), "Content-Range: bytes */%zu\r\n", FILE_SIZE);
	assert_true(has_header(&r, range));
	free(r.body);

	fetch(f, "GET", "/n1.iso", "0-1,5-6", &r); /* several ranges: the whole file is allowed */
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, FILE_SIZE);
	free(r.body);

	fetch(f, "GET", "/n1.iso", "9-3", &r); /* invalid: ignored */
	assert_int_equal(r.status, 200);
	free(r.body);
	assert_int_equal(bm_media_requests(f->srv, "/n1.iso"), 7); /* the 416 fetched nothing */

	fflush(f->log);
	assert_non_null(strstr(f->log_text, "media: GET /n1.iso 206 from 127.0.0.1\n"));
	assert_non_null(strstr(f->log_text, "media: GET /n1.iso 416 from 127.0.0.1\n"));
}

/* A BMC reads an ISO by many ranges: they must share one connection, not reconnect each time. */
static void range_reads_keep_the_connection(void **state)
{
	struct fixture *f = *state;
	CURL *curl = curl_easy_init();
	struct reply r;
	long connects = -1;

	for (int i = 0; i < 3; i++) {
		char range[64];

		snprintf(range, sizeof(range), "%d-%d", i * 2048, i * 2048 + 2047);
		fetch_on(curl, f, i == 1 ? "HEAD" : "GET", "/n1.iso", range, &r);
		assert_int_equal(r.status, 206);
		if (i != 1)
			assert_memory_equal(r.body, f->data + i * 2048, 2048);
		free(r.body);
		curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
		assert_int_equal(connects, i == 0 ? 1 : 0);
	}
	curl_easy_cleanup(curl);
	assert_int_equal(bm_media_requests(f->srv, "/n1.iso"), 2);
}

static void only_published_paths_and_methods(void **state)
{
	struct fixture *f = *state;
	static const char *const refused[] = {"/n2.iso",	"/../etc/passwd", "/etc/passwd", "/",
					      "/n1.iso%00.txt", "/N1.ISO",	  "/n1.iso/",	 "/./n1.iso"};
	struct reply r;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		fetch(f, "GET", refused[i], NULL, &r);
		if (r.status != 404)
			fail_msg("%s: status %ld, expected 404", refused[i], r.status);
		free(r.body);
	}
	fetch(f, "POST", "/n1.iso", NULL, &r);
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "Allow: GET, HEAD\r\n"));
	free(r.body);
	assert_int_equal(bm_media_requests(f->srv, "/n1.iso"), 0);
	assert_int_equal(bm_media_requests(f->srv, "/n2.iso"), 0);
}

static void add_refuses_paths_that_are_not_names(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {"", "/", "n1.iso", "/a/b", "/../x", "/..", "/.", "/a b", "/a%2f", "//x"};
	struct lerr err = {0};
	struct reply r;
	char fifo[80];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lerr_clear(&err);
		if (bm_media_add(f->srv, bad[i], f->path, &err) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err.msg, "media path"));
	}
	assert_int_equal(bm_media_add(f->srv, "/Node_2-a.img", f->path, &err), 0);
	fetch(f, "GET", "/Node_2-a.img", "-1", &r);
	assert_int_equal(r.status, 206);
	assert_true(has_header(&r, "Content-Type: application/octet-stream\r\n"));
	free(r.body);
	assert_int_equal(bm_media_requests(f->srv, "/Node_2-a.img"), 1);

	snprintf(fifo, sizeof(fifo), "%s.fifo", f->path);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(bm_media_add(f->srv, "/fifo.iso", fifo, &err), 0);
	fetch(f, "GET", "/fifo.iso", NULL, &r); /* refused at once, not read (nor waited on) */
	assert_int_equal(r.status, 500);
	free(r.body);
	unlink(fifo);

	unlink(f->path); /* published but gone: 404, not 500 */
	fetch(f, "GET", "/n1.iso", NULL, &r);
	assert_int_equal(r.status, 404);
	free(r.body);
}

/* A raw request: no client library tidies the path or the method. */
static void raw_request_with_dot_segments(void **state)
{
	struct fixture *f = *state;
	const char request[] = "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct sockaddr_in sin = {0};
	struct timeval tv = {10, 0};
	char reply[512];
	ssize_t n;
	int sock = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)bm_media_port(f->srv));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(sock, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(sock, request, sizeof(request) - 1), (ssize_t)(sizeof(request) - 1));
	n = read(sock, reply, sizeof(reply) - 1);
	assert_true(n > 12);
	reply[n] = '\0';
	assert_memory_equal(reply, "HTTP/1.1 404", 12);
	close(sock);
}

static void listen_errors_name_the_address(void **state)
{
	struct bm_media_server *srv = NULL;
	struct lerr err = {0};
	char taken[64];

	snprintf(taken, sizeof(taken), "127.0.0.1:%d", bm_media_port(((struct fixture *)*state)->srv));
	assert_int_equal(bm_media_start(taken, NULL, &srv, &err), -1);
	assert_null(srv);
	assert_non_null(strstr(err.msg, "cannot listen on "));
	assert_non_null(strstr(err.msg, taken));
	assert_int_equal(bm_media_start("no-port", NULL, &srv, &err), -1);
	assert_non_null(strstr(err.msg, "cannot listen on no-port: "));
	assert_int_equal(bm_media_start("::1:80", NULL, &srv, &err), -1); /* brackets needed */
	assert_int_equal(bm_media_start("[::1]:0", NULL, &srv, &err) == 0 || strstr(err.msg, "[::1]:0") != NULL, 1);
	if (srv != NULL)
		assert_true(bm_media_port(srv) > 0);
	bm_media_stop(srv);
	bm_media_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(whole_file_and_head, setup, teardown),
	    cmocka_unit_test_setup_teardown(ranges, setup, teardown),
	    cmocka_unit_test_setup_teardown(range_reads_keep_the_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(only_published_paths_and_methods, setup, teardown),
	    cmocka_unit_test_setup_teardown(add_refuses_paths_that_are_not_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(raw_request_with_dot_segments, setup, teardown),
	    cmocka_unit_test_setup_teardown(listen_errors_name_the_address, setup, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("media_http", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
