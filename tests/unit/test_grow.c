#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/grow.h"

/* Under ASan a write past the room grow_array gave is a crash, so filling every slot checks the capacity. */
static void appending_keeps_every_element(void **state)
{
	size_t *items = NULL;
	size_t count = 0, i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		items = grow_array(items, count, sizeof(*items));
		items[count++] = i * 7;
	}
	for (i = 0; i < count; i++)
		assert_int_equal(items[i], i * 7);
	free(items);
}

static void room_is_made_only_when_a_power_of_two_is_full(void **state)
{
	int *items = NULL;
	int *before;
	size_t count;

	(void)state;
	items = grow_array(items, 0, sizeof(*items));
	assert_non_null(items);
	for (count = 1; count < 300; count++) {
		before = items;
		items = grow_array(items, count, sizeof(*items));
		if (count < 4 || (count & (count - 1)) != 0)
			assert_ptr_equal(items, before);
		items[count] = (int)count;
	}
	free(items);
}

static void a_count_that_overflows_is_fatal(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A power of two above SIZE_MAX / 2: doubling it would wrap to 0 bytes. */
		void *p = grow_array(NULL, (SIZE_MAX >> 1) + 1, 2);

		_exit(p != NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(appending_keeps_every_element),
	    cmocka_unit_test(room_is_made_only_when_a_power_of_two_is_full),
	    cmocka_unit_test(a_count_that_overflows_is_fatal),
	};
	return cmocka_run_group_tests_name("grow", tests, NULL, NULL);
}
