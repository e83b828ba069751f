/*
 * lib/urlstore.c: file:// and http:// URLs into STORE/blobs/sha256/<hex>. The
 * http:// cases talk to a small libmicrohttpd server started by this test on
 * 127.0.0.1 with a port the kernel chooses, answering from a fixed table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/fsutil.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"

#define CHART "chart bytes"

struct canned {
	const char *path;
	unsigned status;
	const char *body;
	const char *location; /* Location header, or NULL */
};

static const struct canned answers[] = {
    {"/chart.tgz", 200, CHART, NULL},
    {"/missing", 404, "{\"gone\":true}", NULL},
    {"/gone", 410, "", NULL},
    {"/broken", 500, "oops", NULL},
    {"/forbidden", 403, "no", NULL},
    {"/old/index.yaml", 302, "", "/new/index.yaml"},
    {"/new/index.yaml", 200, "apiVersion: v1\n", NULL},
};

struct fixture {
	char dir[64];
	char *store;
	char *blobs;
	char *local; /* a file holding CHART */
	char chart_hex[SHA256_HEX_LEN + 1];
	struct MHD_Daemon *daemon;
	unsigned port;
	struct http_session *http;
};

static atomic_int requests_seen;
/* The Range header of the last request to /resumable ("" when none). */
static char last_range[64];

/* /resumable honours "Range: bytes=N-" (206), as nginx does for static files. */
static enum MHD_Result answer_range(struct MHD_Connection *conn)
{
	const char *range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Range");
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned long from = 0;
	char content_range[64];

	snprintf(last_range, sizeof(last_range), "%s", range != NULL ? range : "");
	if (range == NULL || sscanf(range, "bytes=%lu-", &from) != 1) {
		resp = MHD_create_response_from_buffer(strlen(CHART), (void *)CHART, MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(conn, 200, resp);
	} else if (from >= strlen(CHART)) {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(conn, 416, resp);
	} else {
		snprintf(content_range, sizeof(content_range), "bytes %lu-%zu/%zu", from, strlen(CHART) - 1,
			 strlen(CHART));
		resp =
		    MHD_create_response_from_buffer(strlen(CHART) - from, (void *)&CHART[from], MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Content-Range", content_range);
		ret = MHD_queue_response(conn, 206, resp);
	}
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	const struct canned *c = NULL;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t i;

	(void)cls, (void)method, (void)version, (void)upload_data, (void)upload_data_size, (void)con_cls;
	atomic_fetch_add(&requests_seen, 1);
	if (strcmp(url, "/resumable") == 0)
		return answer_range(conn);
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]) && c == NULL; i++)
		if (strcmp(answers[i].path, url) == 0)
			c = &answers[i];
	if (c == NULL) {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(conn, 599, resp);
	} else {
		resp = MHD_create_response_from_buffer(strlen(c->body), (void *)c->body, MHD_RESPMEM_PERSISTENT);
		if (c->location != NULL)
			MHD_add_response_header(resp, "Location", c->location);
		ret = MHD_queue_response(conn, c->status, resp);
	}
	MHD_destroy_response(resp);
	return ret;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct sockaddr_in loopback;
	const union MHD_DaemonInfo *info;
	struct lerr err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-unit-urlstore.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->store = xasprintf("%s/store", f->dir);
	f->blobs = xasprintf("%s/blobs/sha256", f->store);
	f->local = xasprintf("%s/chart.tgz", f->dir);
	assert_int_equal(fs_write_file(f->local, CHART, strlen(CHART), 0644, &err), 0);
	sha256_hex(CHART, strlen(CHART), f->chart_hex);

	memset(&loopback, 0, sizeof(loopback));
	loopback.sin_family = AF_INET;
	loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	loopback.sin_port = 0;
	f->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR,
				     (struct sockaddr *)&loopback, MHD_OPTION_END);
	assert_non_null(f->daemon);
	info = MHD_get_daemon_info(f->daemon, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	f->port = info->port;
	f->http = http_session_new(NULL);
	http_session_set_retries(f->http, 1, 1); /* a 5xx is answered at once, not after backoff */
	atomic_store(&requests_seen, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	http_session_free(f->http);
	MHD_stop_daemon(f->daemon);
	fs_remove_tree(f->dir, NULL);
	free(f->local);
	free(f->blobs);
	free(f->store);
	free(f);
	return 0;
}

static char *url_of(const struct fixture *f, const char *path)
{
	return xasprintf("http://127.0.0.1:%u%s", f->port, path);
}

/* Number of entries in the store's blob directory (0 when it does not exist). */
static int blob_dir_entries(const struct fixture *f)
{
	DIR *d = opendir(f->blobs);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void assert_one_line(const struct lerr *err)
{
	assert_true(err->msg[0] != '\0');
	assert_null(strchr(err->msg, '\n'));
}

/* The stored file for hex holds exactly text. */
static void assert_stored(const struct fixture *f, const char *hex, const char *text)
{
	char *path = urlstore_path(f->store, hex);
	struct buf b = BUF_INIT(1 << 20);
	struct lerr err;

	assert_int_equal(fs_read_file(path, &b, &err), 0);
	assert_int_equal(b.len, strlen(text));
	assert_memory_equal(b.data, text, b.len);
	buf_free(&b);
	free(path);
}

static void path_is_blobs_sha256_hex_under_the_store(void **state)
{
	char *path = urlstore_path("/var/cache/lading", "ab12");

	(void)state;
	assert_string_equal(path, "/var/cache/lading/blobs/sha256/ab12");
	free(path);
}

static void file_url_is_stored_under_its_digest(void **state)
{
	struct fixture *f = *state;
	char *url = xasprintf("file://%s", f->local);
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	if (urlstore_fetch(f->http, url, f->store, NULL, 0, "file notes", hex, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(hex, f->chart_hex);
	assert_int_equal(size, strlen(CHART));
	assert_stored(f, hex, CHART);
	assert_int_equal(blob_dir_entries(f), 1); /* no temporary file left behind */
	free(url);
}

static void wrong_expected_digest_stores_nothing(void **state)
{
	struct fixture *f = *state;
	char *url = xasprintf("file://%s", f->local);
	char want[SHA256_HEX_LEN + 1], hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;
	char *expected;

	memset(want, 'a', SHA256_HEX_LEN);
	want[SHA256_HEX_LEN] = '\0';
	assert_int_equal(urlstore_fetch(f->http, url, f->store, want, 0, "chart demo 1.2.3", hex, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	expected =
	    xasprintf("chart demo 1.2.3: sha256 mismatch for '%s' (expected %s, got %s)", url, want, f->chart_hex);
	assert_string_equal(err.msg, expected);
	assert_one_line(&err);
	assert_int_equal(blob_dir_entries(f), 0);
	free(expected);
	free(url);
}

static void blob_already_stored_is_not_fetched_again(void **state)
{
	struct fixture *f = *state;
	char *url = url_of(f, "/chart.tgz");
	char *path = urlstore_path(f->store, f->chart_hex);
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	assert_int_equal(fs_mkdir_p(f->blobs, &err), 0);
	assert_int_equal(fs_write_file(path, CHART, strlen(CHART), 0644, &err), 0);
	if (urlstore_fetch(f->http, url, f->store, f->chart_hex, 0, "chart demo", hex, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(atomic_load(&requests_seen), 0);
	assert_string_equal(hex, f->chart_hex);
	assert_int_equal(size, strlen(CHART));
	free(path);
	free(url);
}

static void damaged_stored_blob_is_fetched_again(void **state)
{
	struct fixture *f = *state;
	char *url = url_of(f, "/chart.tgz");
	char *path = urlstore_path(f->store, f->chart_hex);
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	assert_int_equal(fs_mkdir_p(f->blobs, &err), 0);
	assert_int_equal(fs_write_file(path, "chart BYTES", 11, 0644, &err), 0);
	if (urlstore_fetch(f->http, url, f->store, f->chart_hex, 0, "chart demo", hex, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(atomic_load(&requests_seen), 1);
	assert_string_equal(hex, f->chart_hex);
	assert_stored(f, hex, CHART);
	free(path);
	free(url);
}

/* Leaves len bytes of text as the partial download of hex. */
static void write_partial(const struct fixture *f, const char *hex, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s.partial", f->blobs, hex);
	struct lerr err;

	assert_int_equal(fs_mkdir_p(f->blobs, &err), 0);
	assert_int_equal(fs_write_file(path, text, len, 0644, &err), 0);
	free(path);
}

static void partial_download_resumes_with_a_range_request(void **state)
{
	struct fixture *f = *state;
	char *url = url_of(f, "/resumable");
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	write_partial(f, f->chart_hex, CHART, 5);
	if (urlstore_fetch(f->http, url, f->store, f->chart_hex, 0, "package demo", hex, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(last_range, "bytes=5-");
	assert_string_equal(hex, f->chart_hex);
	assert_int_equal(size, strlen(CHART));
	assert_stored(f, hex, CHART);
	assert_int_equal(blob_dir_entries(f), 1); /* the partial file became the blob */
	free(url);
}

static void complete_partial_download_is_checked_and_kept(void **state)
{
	struct fixture *f = *state;
	char *url = url_of(f, "/resumable");
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	/* Every byte is there already: the server answers 416 to the Range, the hash decides. */
	write_partial(f, f->chart_hex, CHART, strlen(CHART));
	if (urlstore_fetch(f->http, url, f->store, f->chart_hex, 0, "package demo", hex, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_stored(f, hex, CHART);
	assert_int_equal(blob_dir_entries(f), 1);
	free(url);
}

static void server_ignoring_range_restarts_from_zero(void **state)
{
	struct fixture *f = *state;
	char *url = url_of(f, "/chart.tgz");
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	write_partial(f, f->chart_hex, CHART, 5);
	if (urlstore_fetch(f->http, url, f->store, f->chart_hex, 0, "package demo", hex, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(size, strlen(CHART));
	assert_stored(f, hex, CHART); /* the 200 body replaced the partial bytes, not appended to them */
	assert_int_equal(blob_dir_entries(f), 1);
	free(url);
}

static void bad_partial_bytes_are_fetched_again_from_zero(void **state)
{
	struct fixture *f = *state;
	char *url = url_of(f, "/resumable");
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	write_partial(f, f->chart_hex, "XXXXX", 5);
	if (urlstore_fetch(f->http, url, f->store, f->chart_hex, 0, "package demo", hex, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(atomic_load(&requests_seen), 2);
	assert_string_equal(last_range, "");
	assert_stored(f, hex, CHART);
	free(url);
}

static void http_mismatch_keeps_no_partial_file(void **state)
{
	struct fixture *f = *state;
	char *url = url_of(f, "/resumable");
	char want[SHA256_HEX_LEN + 1], hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	memset(want, 'b', SHA256_HEX_LEN);
	want[SHA256_HEX_LEN] = '\0';
	assert_int_equal(urlstore_fetch(f->http, url, f->store, want, 0, "package demo", hex, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	assert_non_null(strstr(err.msg, "package demo: sha256 mismatch"));
	assert_int_equal(blob_dir_entries(f), 0);
	free(url);
}

static void size_cap_is_a_limit_error_and_stores_nothing(void **state)
{
	struct fixture *f = *state;
	char *url = xasprintf("file://%s", f->local);
	char *expected = xasprintf("provider x: '%s' is larger than 10 bytes", url);
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	assert_int_equal(
	    urlstore_fetch(f->http, url, f->store, NULL, strlen(CHART) - 1, "provider x", hex, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_LIMIT);
	assert_string_equal(err.msg, expected);
	assert_int_equal(blob_dir_entries(f), 0);
	/* Exactly the cap is allowed. */
	if (urlstore_fetch(f->http, url, f->store, NULL, strlen(CHART), "provider x", hex, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(size, strlen(CHART));
	free(expected);
	free(url);
}

static void missing_local_file_is_not_found(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/nope.tgz", f->dir);
	char *url = xasprintf("file://%s", path);
	char *expected = xasprintf("file a: cannot open '%s': No such file or directory", path);
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	assert_int_equal(urlstore_fetch(f->http, url, f->store, NULL, 0, "file a", hex, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NOTFOUND);
	assert_string_equal(err.msg, expected);
	assert_int_equal(blob_dir_entries(f), 0);
	free(expected);
	free(url);
	free(path);
}

static void unsupported_scheme_is_a_usage_error(void **state)
{
	struct fixture *f = *state;
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	assert_int_equal(
	    urlstore_fetch(f->http, "ftp://127.0.0.1/x.zip", f->store, NULL, 0, "file b", hex, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_string_equal(err.msg, "file b: unsupported URL 'ftp://127.0.0.1/x.zip' (http, https or file)");
	assert_int_equal(blob_dir_entries(f), 0);
	assert_int_equal(atomic_load(&requests_seen), 0);
}

static void http_url_is_streamed_into_the_store(void **state)
{
	struct fixture *f = *state;
	char *url = url_of(f, "/chart.tgz");
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	if (urlstore_fetch(f->http, url, f->store, f->chart_hex, 0, "chart demo", hex, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(hex, f->chart_hex);
	assert_int_equal(size, strlen(CHART));
	assert_stored(f, hex, CHART);
	assert_int_equal(blob_dir_entries(f), 1);
	free(url);
}

/* A failed fetch of path gives code and "what: 'URL' answered HTTP status", leaving nothing. */
static void expect_status_error(struct fixture *f, const char *path, int code, int status)
{
	char *url = url_of(f, path);
	char *expected = xasprintf("chart demo: '%s' answered HTTP %d", url, status);
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct buf body = BUF_INIT(1024);
	struct lerr err;

	assert_int_equal(urlstore_fetch(f->http, url, f->store, NULL, 0, "chart demo", hex, &size, &err), -1);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, expected);
	assert_int_equal(blob_dir_entries(f), 0);
	lerr_clear(&err);
	assert_int_equal(urlstore_get(f->http, url, "chart demo", &body, NULL, &err), -1);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, expected);
	buf_free(&body);
	free(expected);
	free(url);
}

static void http_404_and_410_are_not_found(void **state)
{
	struct fixture *f = *state;

	expect_status_error(f, "/missing", LADING_ERR_NOTFOUND, 404);
	expect_status_error(f, "/gone", LADING_ERR_NOTFOUND, 410);
}

static void other_http_failures_are_network_errors(void **state)
{
	struct fixture *f = *state;

	expect_status_error(f, "/broken", LADING_ERR_NETWORK, 500);
	expect_status_error(f, "/forbidden", LADING_ERR_NETWORK, 403);
}

static void closed_port_is_a_network_error_naming_the_subject(void **state)
{
	struct fixture *f = *state;
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct lerr err;

	/* Port 1 on loopback: nothing listens there in a test environment. */
	assert_int_equal(
	    urlstore_fetch(f->http, "http://127.0.0.1:1/x.zip", f->store, NULL, 0, "provider y", hex, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NETWORK);
	assert_int_equal(strncmp(err.msg, "provider y: ", 12), 0);
	assert_one_line(&err);
	assert_int_equal(blob_dir_entries(f), 0);
}

static void get_follows_redirects_and_reports_the_final_url(void **state)
{
	struct fixture *f = *state;
	char *url = url_of(f, "/old/index.yaml");
	char *want = url_of(f, "/new/index.yaml");
	struct buf body = BUF_INIT(1024);
	char *final_url = NULL;
	struct lerr err;

	if (urlstore_get(f->http, url, "chart repo", &body, &final_url, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(body.data, "apiVersion: v1\n");
	assert_string_equal(final_url, want);
	free(final_url);
	buf_free(&body);
	free(want);
	free(url);
}

static void get_body_larger_than_its_cap_is_a_limit_error(void **state)
{
	struct fixture *f = *state;
	char *url = url_of(f, "/new/index.yaml");
	struct buf body = BUF_INIT(4);
	char *final_url = NULL;
	struct lerr err;

	assert_int_equal(urlstore_get(f->http, url, "chart repo", &body, &final_url, &err), -1);
	assert_int_equal(err.code, LADING_ERR_LIMIT);
	assert_int_equal(strncmp(err.msg, "chart repo: ", 12), 0);
	assert_one_line(&err);
	assert_null(final_url);
	buf_free(&body);
	free(url);
}

static void get_reads_file_urls_and_names_missing_ones(void **state)
{
	struct fixture *f = *state;
	char *url = xasprintf("file://%s", f->local);
	char *missing = xasprintf("file://%s/none.yaml", f->dir);
	struct buf body = BUF_INIT(1024);
	char *final_url = NULL;
	struct lerr err;

	if (urlstore_get(f->http, url, "index", &body, &final_url, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(body.data, CHART);
	assert_string_equal(final_url, url);
	free(final_url);
	final_url = NULL;
	buf_free(&body);
	buf_init(&body, 1024);
	assert_int_equal(urlstore_get(f->http, missing, "index", &body, &final_url, &err), -1);
	assert_int_equal(strncmp(err.msg, "index: ", 7), 0);
	assert_non_null(strstr(err.msg, "none.yaml"));
	assert_one_line(&err);
	assert_null(final_url);
	buf_free(&body);
	free(missing);
	free(url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(path_is_blobs_sha256_hex_under_the_store),
	    cmocka_unit_test_setup_teardown(file_url_is_stored_under_its_digest, setup, teardown),
	    cmocka_unit_test_setup_teardown(wrong_expected_digest_stores_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(blob_already_stored_is_not_fetched_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(damaged_stored_blob_is_fetched_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(size_cap_is_a_limit_error_and_stores_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(missing_local_file_is_not_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(unsupported_scheme_is_a_usage_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(http_url_is_streamed_into_the_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(http_404_and_410_are_not_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(partial_download_resumes_with_a_range_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(complete_partial_download_is_checked_and_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(server_ignoring_range_restarts_from_zero, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_partial_bytes_are_fetched_again_from_zero, setup, teardown),
	    cmocka_unit_test_setup_teardown(http_mismatch_keeps_no_partial_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(other_http_failures_are_network_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(closed_port_is_a_network_error_naming_the_subject, setup, teardown),
	    cmocka_unit_test_setup_teardown(get_follows_redirects_and_reports_the_final_url, setup, teardown),
	    cmocka_unit_test_setup_teardown(get_body_larger_than_its_cap_is_a_limit_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(get_reads_file_urls_and_names_missing_ones, setup, teardown),
	};
	int failed;

	setenv("no_proxy", "*", 1); /* only ever 127.0.0.1, whatever proxy the environment names */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	failed = cmocka_run_group_tests_name("urlstore", tests, NULL, NULL);
	curl_global_cleanup();
	return failed;
}
