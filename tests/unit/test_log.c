/*
 * lib/log.c: levels, the warning prefix, progress drawn only on a TTY (and
 * never with --json or below LOG_INFO), byte formatting. Output goes to a
 * tmpfile the test reads back; log_init sees a pipe as its stderr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

/* A logger writing to a fresh tmpfile. */
static void logger_on_tmpfile(struct logger *lg, int level, int tty, int json)
{
	lg->out = tmpfile();
	assert_non_null(lg->out);
	lg->level = level;
	lg->tty = tty;
	lg->json = json;
}

/* Everything written to lg->out so far (NUL-terminated, caller frees); closes it. */
static char *drain(struct logger *lg)
{
	long len;
	char *text;

	fflush(lg->out);
	len = ftell(lg->out);
	assert_true(len >= 0);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	rewind(lg->out);
	assert_int_equal(fread(text, 1, (size_t)len, lg->out), (size_t)len);
	fclose(lg->out);
	lg->out = NULL;
	return text;
}

static size_t count_char(const char *text, char c)
{
	size_t n = 0;

	for (; *text != '\0'; text++)
		n += *text == c;
	return n;
}

static void messages_at_or_below_the_level_are_printed_others_dropped(void **state)
{
	struct logger lg;
	char *text;

	(void)state;
	logger_on_tmpfile(&lg, LOG_INFO, 0, 0);
	log_msg(&lg, LOG_ERROR, "e %d", 1);
	log_msg(&lg, LOG_INFO, "i %s", "two");
	log_msg(&lg, LOG_VERBOSE, "verbose dropped");
	log_msg(&lg, LOG_DEBUG, "debug dropped");
	text = drain(&lg);
	assert_string_equal(text, "lading: e 1\nlading: i two\n");
	free(text);

	logger_on_tmpfile(&lg, LOG_DEBUG, 0, 0);
	log_msg(&lg, LOG_DEBUG, "now shown");
	text = drain(&lg);
	assert_string_equal(text, "lading: now shown\n");
	free(text);

	logger_on_tmpfile(&lg, LOG_ERROR, 0, 0);
	log_msg(&lg, LOG_WARN, "warning dropped at -q");
	text = drain(&lg);
	assert_string_equal(text, "");
	free(text);
}

static void warnings_say_so_and_errors_do_not(void **state)
{
	struct logger lg;
	char *text;

	(void)state;
	logger_on_tmpfile(&lg, LOG_WARN, 0, 0);
	log_msg(&lg, LOG_WARN, "%s: manifest %zu has no annotation", "oci/index.json", (size_t)3);
	log_msg(&lg, LOG_ERROR, "cannot open '%s'", "x");
	text = drain(&lg);
	assert_string_equal(text, "lading: warning: oci/index.json: manifest 3 has no annotation\n"
				  "lading: cannot open 'x'\n");
	free(text);
}

static void a_null_logger_prints_nothing(void **state)
{
	struct progress p;

	(void)state;
	log_msg(NULL, LOG_ERROR, "nowhere %d", 1); /* must not crash */
	progress_start(&p, NULL, "nothing", 10);
	progress_add(&p, 5);
	progress_end(&p);
	assert_int_equal(p.done, 5);
	assert_int_equal(p.drawn, 0);
}

static void init_on_a_pipe_is_quiet_and_not_a_tty(void **state)
{
	struct logger lg;
	int fds[2], saved;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
	memset(&lg, 0x5a, sizeof(lg));
	log_init(&lg);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fds[0]);
	close(fds[1]);
	assert_ptr_equal(lg.out, stderr);
	assert_int_equal(lg.tty, 0);
	assert_int_equal(lg.level, LOG_WARN);
	assert_int_equal(lg.json, 0);
}

/* Adds bytes to a progress bar on lg, ends it, returns what was drawn. */
static char *run_progress(struct logger *lg, uint64_t total, struct progress *p)
{
	progress_start(p, lg, "verifying", total);
	progress_add(p, 3);
	progress_add(p, 4);
	progress_end(p);
	return drain(lg);
}

static void progress_is_not_drawn_off_a_tty(void **state)
{
	struct logger lg;
	struct progress p;
	char *text;

	(void)state;
	logger_on_tmpfile(&lg, LOG_DEBUG, 0, 0);
	text = run_progress(&lg, 10, &p);
	assert_string_equal(text, "");
	assert_int_equal(p.done, 7); /* counted all the same */
	assert_int_equal(p.drawn, 0);
	free(text);
}

static void progress_is_not_drawn_with_json_even_on_a_tty(void **state)
{
	struct logger lg;
	struct progress p;
	char *text;

	(void)state;
	logger_on_tmpfile(&lg, LOG_INFO, 1, 1);
	text = run_progress(&lg, 10, &p);
	assert_string_equal(text, "");
	free(text);
}

static void progress_is_not_drawn_below_info(void **state)
{
	struct logger lg;
	struct progress p;
	char *text;

	(void)state;
	logger_on_tmpfile(&lg, LOG_WARN, 1, 0);
	text = run_progress(&lg, 10, &p);
	assert_string_equal(text, "");
	free(text);
}

static void progress_on_a_tty_redraws_in_place_and_ends_the_line(void **state)
{
	struct logger lg;
	struct progress p;
	char *text, *last;

	(void)state;
	logger_on_tmpfile(&lg, LOG_INFO, 1, 0);
	text = run_progress(&lg, 10, &p);
	assert_int_equal(p.drawn, 1);
	/* The first add draws; the second, within 0.1 s, does not; the end draws once more. */
	assert_int_equal(count_char(text, '\r'), 2);
	assert_int_equal(count_char(text, '\n'), 1);
	assert_int_equal(strncmp(text, "\r\033[Kverifying  3 B / 10 B  ", 27), 0);
	last = strrchr(text, '\r');
	assert_int_equal(strncmp(last, "\r\033[Kverifying  7 B / 10 B  ", 27), 0);
	assert_non_null(strstr(last, "ETA "));
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);
}

static void progress_of_unknown_total_shows_no_eta(void **state)
{
	struct logger lg;
	struct progress p;
	char *text;

	(void)state;
	logger_on_tmpfile(&lg, LOG_INFO, 1, 0);
	text = run_progress(&lg, 0, &p);
	assert_int_equal(strncmp(strrchr(text, '\r'), "\r\033[Kverifying  7 B  ", 20), 0);
	assert_null(strstr(text, "ETA"));
	assert_null(strstr(text, " / "));
	free(text);
}

static void progress_label_is_cut_to_fit(void **state)
{
	struct progress p;
	char what[300];

	(void)state;
	memset(what, 'w', sizeof(what) - 1);
	what[sizeof(what) - 1] = '\0';
	progress_start(&p, NULL, what, 1);
	assert_int_equal(strlen(p.what), sizeof(p.what) - 1);
}

static void expect_bytes(uint64_t bytes, const char *want)
{
	char out[32];

	log_format_bytes(bytes, out, sizeof(out));
	assert_string_equal(out, want);
}

static void bytes_are_shown_in_binary_units(void **state)
{
	char small[6];

	(void)state;
	expect_bytes(0, "0 B");
	expect_bytes(1023, "1023 B");
	expect_bytes(1024, "1.0 KiB");
	expect_bytes(1536, "1.5 KiB");
	expect_bytes(5u << 20, "5.0 MiB");
	expect_bytes(3ull << 30, "3.0 GiB");
	expect_bytes(2ull << 40, "2.0 TiB");
	/* TiB is the largest unit: no running off the end of the table. */
	expect_bytes(1ull << 60, "1048576.0 TiB");
	expect_bytes(UINT64_MAX, "16777216.0 TiB");
	/* A short buffer is cut, never overrun. */
	log_format_bytes(5u << 20, small, sizeof(small));
	assert_string_equal(small, "5.0 M");
}

static void clock_never_goes_back(void **state)
{
	double before, after;
	int i;

	(void)state;
	before = log_now();
	for (i = 0; i < 1000; i++) {
		after = log_now();
		assert_true(after >= before);
		before = after;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(messages_at_or_below_the_level_are_printed_others_dropped),
	    cmocka_unit_test(warnings_say_so_and_errors_do_not),
	    cmocka_unit_test(a_null_logger_prints_nothing),
	    cmocka_unit_test(init_on_a_pipe_is_quiet_and_not_a_tty),
	    cmocka_unit_test(progress_is_not_drawn_off_a_tty),
	    cmocka_unit_test(progress_is_not_drawn_with_json_even_on_a_tty),
	    cmocka_unit_test(progress_is_not_drawn_below_info),
	    cmocka_unit_test(progress_on_a_tty_redraws_in_place_and_ends_the_line),
	    cmocka_unit_test(progress_of_unknown_total_shows_no_eta),
	    cmocka_unit_test(progress_label_is_cut_to_fit),
	    cmocka_unit_test(bytes_are_shown_in_binary_units),
	    cmocka_unit_test(clock_never_goes_back),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
