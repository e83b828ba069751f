/* Control characters kept away from terminals and logs. */
#include "lib/termsafe.h"

#include <string.h>

/* The length of the control character at s (1 or 2 bytes), or 0 when s[0] starts none. */
static size_t control_len(const unsigned char *s, size_t left)
{
	if (s[0] < 0x20 || s[0] == 0x7f)
		return 1;
	if (s[0] == 0xc2 && left >= 2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2; /* U+0080..U+009F */
	return 0;
}

size_t termsafe_find_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (control_len((const unsigned char *)s + i, len - i) > 0)
			return i;
	return len;
}

void termsafe_fputs(const char *s, FILE *out)
{
	size_t len = strlen(s);
	size_t i = 0;

	while (i < len) {
		size_t plain = termsafe_find_control(s + i, len - i);
		size_t n, k;

		fwrite(s + i, 1, plain, out);
		i += plain;
		if (i == len)
			break;
		n = control_len((const unsigned char *)s + i, len - i);
		for (k = 0; k < n; k++)
			fprintf(out, "\\x%02x", (unsigned char)s[i + k]);
		i += n;
	}
}
