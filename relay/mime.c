/*
 * mime: a mail's text, the parts both of the relay's mails use (see
 * mime.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "kairan/text.h"

#include "mime.h"

void
mime_add(struct mime_buf *b, const char *s, size_t n)
{
	char *q;
	size_t cap;

	if (!b->ok)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((q = realloc(b->p, cap)) == NULL) {
			b->ok = 0;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
mime_str(struct mime_buf *b, const char *s)
{
	mime_add(b, s, strlen(s));
}

void
mime_printf(struct mime_buf *b, const char *fmt, ...)
{
	char tmp[2048], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		mime_add(b, tmp, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		b->ok = 0;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	mime_add(b, big, (size_t)n);
	free(big);
}

void
mime_base64(struct mime_buf *b, const void *s, size_t n)
{
	const unsigned char *in = s;
	unsigned char out[4 * 64 / 3 + 8];
	size_t off, k;
	int m;

	/* 57 bytes of input are one line of 76 characters */
	for (off = 0; off < n; off += k) {
		k = n - off < 57 ? n - off : 57;
		m = EVP_EncodeBlock(out, in + off, (int)k);
		mime_add(b, (const char *)out, (size_t)m);
		mime_add(b, "\r\n", 2);
	}
}

void
mime_header_utf8(struct mime_buf *b, const char *s)
{
	unsigned char out[64];
	size_t n = strlen(s), off = 0, k, c;
	unsigned cp;
	int m, first = 1;

	while (off < n) {
		for (k = 0; off + k < n; k += c) {
			c = text_utf8_next((const unsigned char *)s + off + k,
			    n - off - k, &cp);
			if (c == 0)
				c = 1;	/* validated before; never cut a byte */
			if (k + c > 39)
				break;
		}
		m = EVP_EncodeBlock(out, (const unsigned char *)s + off, (int)k);
		mime_printf(b, "%s=?UTF-8?B?%.*s?=", first ? "" : "\r\n ", m,
		    (const char *)out);
		first = 0;
		off += k;
	}
}

void
mime_date(int64_t ms, char *out, size_t len)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(ms / 1000) + 9 * 3600;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d +0900",
	    wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}
