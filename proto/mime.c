/*
 * mime: a mail's text, the parts every mail of kairan's uses (see
 * mime.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "kairan/form.h"
#include "kairan/labels.h"
#include "kairan/mime.h"
#include "kairan/text.h"

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

void
mime_crlf(struct mime_buf *b, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '\n') {
			mime_add(b, s + start, i - start);
			mime_add(b, "\r\n", 2);
			start = i + 1;
		}
	mime_add(b, s + start, n - start);
}

int
mime_form(struct mime_buf *b, const Message *m, const struct directory *dir,
    const struct form_context *ctx)
{
	struct form *f = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	int rc = -1;

	if (form_build(m, dir, ctx, &f) == -1)
		return -1;
	if ((fp = open_memstream(&text, &len)) == NULL)
		goto done;
	if (form_render(fp, f) == -1) {
		fclose(fp);
		goto done;
	}
	if (fclose(fp) != 0)
		goto done;
	mime_crlf(b, text, len);
	rc = 0;
done:
	free(text);
	form_free(f);
	return rc;
}

void
mime_report_nth(const IncidentReport *r, char *out, size_t len)
{
	if (r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL ||
	    r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE)
		snprintf(out, len, "第%u報", r->report_no);
	else
		snprintf(out, len, "第%u報（%s）", r->report_no,
		    label_phase(r->phase));
}

char *
mime_report_text(const struct mime_report *a, struct mime_buf *body)
{
	const Message *m = a->m;
	struct mime_buf h = MIME_BUF_INIT;
	char date[64], hex[KAIRAN_ID_HEXLEN + 1], boundary[80];

	message_hex(m->id.data, m->id.len, hex);
	snprintf(boundary, sizeof(boundary), "kairan-%s", hex);
	mime_date(a->now_ms, date, sizeof(date));
	mime_printf(&h, "Date: %s\r\n", date);
	mime_printf(&h, "From: kairan %s <%s>\r\n", a->host, a->from);
	mime_printf(&h, "To: <%s>\r\n", a->to);
	mime_printf(&h, "Message-ID: <%s.%s@%s.kairan.invalid>\r\n", hex,
	    a->tag, a->host);
	mime_str(&h, "Subject: ");
	mime_header_utf8(&h, a->subject);
	mime_printf(&h, "\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
	    "X-Kairan-Report: %s\r\n"
	    "X-Kairan-Status: %s\r\n\r\n", boundary, hex,
	    message_status_name(m->status));
	mime_str(&h, "This is a multipart message in MIME format.\r\n");
	mime_printf(&h, "--%s\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
	if (body->ok)
		mime_base64(&h, (const uint8_t *)body->p, body->len);
	mime_printf(&h, "--%s\r\n"
	    "Content-Type: application/octet-stream; name=\"%s.kairan\"\r\n"
	    "Content-Disposition: attachment; filename=\"%s.kairan\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", boundary, hex, hex);
	mime_base64(&h, a->env, a->envlen);
	mime_printf(&h, "--%s--\r\n", boundary);
	if (!body->ok || !h.ok) {
		free(h.p);
		h.p = NULL;
	}
	free(body->p);
	body->p = NULL;
	return h.p;
}
