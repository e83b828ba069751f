/* Text pieces shared by minisign keys and signatures: lines, base64, key ids, comments. */
#include "sign/minisign.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

void minisign_key_id_hex(const uint8_t key_id[MINISIGN_KEY_ID_LEN], char out[MINISIGN_KEY_ID_HEX])
{
	unsigned long long value = 0;
	int i;

	for (i = MINISIGN_KEY_ID_LEN - 1; i >= 0; i--)
		value = (value << 8) | key_id[i];
	snprintf(out, MINISIGN_KEY_ID_HEX, "%016llX", value);
}

void minisign_lines_init(struct minisign_lines *lines, const char *text, size_t len)
{
	lines->pos = text;
	lines->left = len;
	lines->number = 0;
}

int minisign_lines_next(struct minisign_lines *lines, const char **line, size_t *len)
{
	const char *nl;
	size_t line_len;

	if (lines->left == 0)
		return 0;
	nl = memchr(lines->pos, '\n', lines->left);
	line_len = nl != NULL ? (size_t)(nl - lines->pos) : lines->left;
	*line = lines->pos;
	*len = line_len;
	if (line_len > 0 && lines->pos[line_len - 1] == '\r')
		(*len)--;
	lines->pos += line_len + (nl != NULL);
	lines->left -= line_len + (nl != NULL);
	lines->number++;
	return 1;
}

static int b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int minisign_b64_decode(const char *text, size_t len, uint8_t *out, size_t want, const char *what, unsigned line,
			const char *kind, struct lerr *err)
{
	size_t expect_len = (want + 2) / 3 * 4;
	size_t pad = (3 - want % 3) % 3;
	unsigned char *tmp;
	size_t i;
	int got;
	int r = -1;

	if (len != expect_len)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%u: %s has %zu base64 characters instead of %zu", what,
				line, kind, len, expect_len);
	for (i = 0; i < len; i++) {
		if (i < len - pad ? b64_char(text[i]) : text[i] == '=')
			continue;
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%u:%zu: %s is not valid base64", what, line, i + 1, kind);
	}
	tmp = xmalloc(len / 4 * 3);
	got = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)len);
	if (got < 0 || (size_t)got != len / 4 * 3) {
		lerr_set(err, LADING_ERR_FORMAT, "%s:%u: %s is not valid base64", what, line, kind);
		goto out;
	}
	memcpy(out, tmp, want);
	r = 0;
out:
	OPENSSL_cleanse(tmp, len / 4 * 3);
	free(tmp);
	return r;
}

int minisign_openssl_fail(struct lerr *err, const char *what)
{
	unsigned long code = ERR_get_error();
	char text[256] = "unknown error";

	if (code != 0)
		ERR_error_string_n(code, text, sizeof(text));
	ERR_clear_error();
	return lerr_set(err, LADING_ERR_SYSTEM, "%s failed in OpenSSL: %s", what, text);
}

char *minisign_b64_encode(const uint8_t *data, size_t len)
{
	char *text = xmalloc((len + 2) / 3 * 4 + 1);

	EVP_EncodeBlock((unsigned char *)text, data, (int)len);
	return text;
}

/* Length of the UTF-8 sequence at s (at most left bytes), or 0 when it is not valid. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
	size_t need;
	uint32_t cp;
	size_t i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (left < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

int minisign_comment_check(const char *comment, size_t len, const char *kind, struct lerr *err)
{
	const unsigned char *s = (const unsigned char *)comment;
	size_t i = 0;

	if (len > MINISIGN_COMMENT_MAX)
		return lerr_set(err, LADING_ERR_USAGE, "%s is %zu bytes long (at most %d)", kind, len,
				MINISIGN_COMMENT_MAX);
	while (i < len) {
		size_t step = utf8_sequence(s + i, len - i);

		if (step == 0)
			return lerr_set(err, LADING_ERR_USAGE, "%s is not valid UTF-8 at byte %zu", kind, i + 1);
		if (step == 1 && ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f))
			return lerr_set(err, LADING_ERR_USAGE, "%s has a control character at byte %zu", kind, i + 1);
		i += step;
	}
	return 0;
}
