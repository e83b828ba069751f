#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int lerr_set(struct lerr *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int lerr_sys(struct lerr *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	err->code = LADING_ERR_SYSTEM;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(saved));
	return -1;
}

int lerr_prefix(struct lerr *err, const char *fmt, ...)
{
	char prefix[LERR_MSG_MAX];
	size_t prefix_len;
	size_t old_len;
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
	va_end(ap);
	strcat(prefix, ": ");
	prefix_len = strlen(prefix);
	if (prefix_len >= sizeof(err->msg))
		prefix_len = sizeof(err->msg) - 1;
	old_len = strnlen(err->msg, sizeof(err->msg) - 1);
	if (prefix_len + old_len >= sizeof(err->msg))
		old_len = sizeof(err->msg) - 1 - prefix_len;
	memmove(err->msg + prefix_len, err->msg, old_len);
	memcpy(err->msg, prefix, prefix_len);
	err->msg[prefix_len + old_len] = '\0';
	return -1;
}

void lerr_clear(struct lerr *err)
{
	if (err == NULL)
		return;
	err->code = LADING_OK;
	err->msg[0] = '\0';
}

int lerr_exit_code(const struct lerr *err)
{
	if (err == NULL || err->code == LADING_OK)
		return 0;
	if (err->code == LADING_ERR_USAGE)
		return 2;
	return 1;
}
