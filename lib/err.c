#include "lib/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set_code(struct lerr *err, int code)
{
	err->code = code;
	err->exit_class = code == LADING_ERR_USAGE ? LERR_INPUT : LERR_FAILED;
	err->subject_len = 0;
}

int lerr_set(struct lerr *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	set_code(err, code);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int lerr_about(struct lerr *err, int code, const char *subject, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (err == NULL)
		return -1;
	set_code(err, code);
	len = snprintf(err->msg, sizeof(err->msg), "%s: ", subject);
	if (len >= 2 && (size_t)len < sizeof(err->msg)) {
		va_start(ap, fmt);
		vsnprintf(err->msg + len, sizeof(err->msg) - (size_t)len, fmt, ap);
		va_end(ap);
		err->subject_len = (size_t)len - 2;
	}
	return -1;
}

int lerr_sys(struct lerr *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	set_code(err, LADING_ERR_SYSTEM);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(saved));
	return -1;
}

static void prefix_va(struct lerr *err, const char *fmt, va_list ap)
{
	char prefix[LERR_MSG_MAX];
	size_t prefix_len;
	size_t old_len;

	vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
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
	err->subject_len = prefix_len >= 2 && strncmp(err->msg + prefix_len - 2, ": ", 2) == 0 ? prefix_len - 2 : 0;
}

int lerr_prefix(struct lerr *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	prefix_va(err, fmt, ap);
	va_end(ap);
	return -1;
}

int lerr_name(struct lerr *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->subject_len > 0)
		return -1;
	va_start(ap, fmt);
	prefix_va(err, fmt, ap);
	va_end(ap);
	return -1;
}

int lerr_recode(struct lerr *err, int code)
{
	size_t subject_len;

	if (err == NULL)
		return -1;
	subject_len = err->subject_len;
	set_code(err, code);
	err->subject_len = subject_len;
	return -1;
}

int lerr_named(const struct lerr *err)
{
	return err != NULL && err->subject_len > 0;
}

int lerr_input(struct lerr *err)
{
	if (err != NULL)
		err->exit_class = LERR_INPUT;
	return -1;
}

void lerr_clear(struct lerr *err)
{
	if (err == NULL)
		return;
	set_code(err, LADING_OK);
	err->msg[0] = '\0';
}

int lerr_exit_code(const struct lerr *err)
{
	if (err == NULL || err->code == LADING_OK)
		return 0;
	return err->exit_class == LERR_INPUT ? 2 : 1;
}
