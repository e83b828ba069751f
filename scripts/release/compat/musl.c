/* The functions scripts/release/compat/musl.h names, linked into the release binary. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>

int lading_close_range(unsigned int first, unsigned int last, int flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}
