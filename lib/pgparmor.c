#include "lib/pgparmor.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

#define ARMOR_BEGIN "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define ARMOR_END "-----END PGP PUBLIC KEY BLOCK-----"

int pgp_is_armored(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	return len - i >= 15 && memcmp(data + i, "-----BEGIN PGP ", 15) == 0;
}

/* Appends the packets of the block starting at begin; *next gets the text after it. */
static int dearmor_block(const char *what, const char *begin, struct buf *out, const char **next, struct lerr *err)
{
	const char *body, *end, *p;
	struct buf b64 = BUF_INIT(0);
	unsigned char *bin = NULL;
	int len, pad = 0, r = -1;

	/* Headers end at the first empty line; the body ends at the "=CRC" line or END. */
	body = strstr(begin, "\n\n");
	if (body == NULL)
		body = strstr(begin, "\n\r\n");
	end = body != NULL ? strstr(body, ARMOR_END) : NULL;
	if (end == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: signing key is not an ASCII-armored public key", what);
		goto out;
	}
	for (p = body; p < end; p++) {
		if (*p == '\n' && p[1] == '=')
			break; /* the CRC line */
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			buf_add(&b64, p, 1, NULL);
	}
	if (b64.len == 0 || b64.len % 4 != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: signing key armor is damaged", what);
		goto out;
	}
	pad = (b64.data[b64.len - 1] == '=') + (b64.data[b64.len - 2] == '=');
	bin = xmalloc(b64.len / 4 * 3 + 1);
	len = EVP_DecodeBlock(bin, (const unsigned char *)b64.data, (int)b64.len);
	if (len < 0 || len < pad) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: signing key armor is not base64", what);
		goto out;
	}
	buf_add(out, bin, (size_t)(len - pad), NULL);
	*next = end + strlen(ARMOR_END);
	r = 0;
out:
	buf_free(&b64);
	free(bin);
	return r;
}

int pgp_dearmor_keys(const char *what, const char *text, struct buf *out, struct lerr *err)
{
	const char *begin = strstr(text, ARMOR_BEGIN);

	if (begin == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: signing key is not an ASCII-armored public key", what);
	while (begin != NULL) {
		if (dearmor_block(what, begin, out, &text, err) != 0)
			return -1;
		begin = strstr(text, ARMOR_BEGIN);
	}
	return 0;
}
