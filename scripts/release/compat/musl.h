/* Forced into every file of the release build (scripts/release/lading.sh, -include):
 * what glibc declares and Debian 12's musl 1.2.3 lacks. musl has the close_range
 * system call but no wrapper for it; bundle/gitrun.c calls close_range(). No header
 * is included here, so no file's feature macros change.
 * May include: nothing (no header at all, see above) */
int lading_close_range(unsigned int first, unsigned int last, int flags);
#define close_range(first, last, flags) lading_close_range((first), (last), (flags))
