/* UTC times and durations; timegm is a GNU/BSD extension, as in every libc lading targets. */
#define _GNU_SOURCE
#include "lib/utctime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void utc_time_format(int64_t seconds, char out[UTC_TIME_MAX])
{
	time_t t = (time_t)seconds;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, UTC_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, UTC_TIME_MAX, "1970-01-01T00:00:00Z");
}

int utc_time_parse(const char *text, int64_t *seconds)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*seconds = (int64_t)timegm(&tm);
	return 0;
}

int duration_parse(const char *text, int64_t *seconds)
{
	static const struct {
		char unit;
		int64_t seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	const int64_t max = 253402300799LL; /* 9999-12-31T23:59:59Z */
	char *end;
	long long value;
	size_t i;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || value <= 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].unit == end[0]) {
			if (value > max / units[i].seconds)
				return -1;
			*seconds = (int64_t)value * units[i].seconds;
			return 0;
		}
	return -1;
}
