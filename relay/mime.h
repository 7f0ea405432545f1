/*
 * mime: the pieces of a mail's text that the relay's two mails share
 * (escalate.c's reminder to a point of contact, mailroute.c's report to a
 * recipient without a node): a growing buffer, base64 in lines of 76,
 * RFC 2047 words of UTF-8 that never cut a character, and the RFC 5322
 * Date in JST.
 */
#ifndef KAIRAN_RELAY_MIME_H
#define KAIRAN_RELAY_MIME_H

#include <stddef.h>
#include <stdint.h>

/* A growing string; on out of memory, ok = 0 and the text is dropped. */
struct mime_buf {
	char	*p;		/* NUL-terminated; malloc'd, the owner frees */
	size_t	 len, cap;
	int	 ok;
};
#define MIME_BUF_INIT	{ NULL, 0, 0, 1 }

void	mime_add(struct mime_buf *, const char *s, size_t n);
void	mime_str(struct mime_buf *, const char *s);
void	mime_printf(struct mime_buf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Base64 of s[0..n), in lines of 76 characters ending in CRLF. */
void	mime_base64(struct mime_buf *, const void *s, size_t n);
/*
 * s (valid UTF-8) as an RFC 2047 header value: base64 words of at most
 * 39 bytes of text (64 characters a word), cut between two characters,
 * each further word folded onto a line of its own.
 */
void	mime_header_utf8(struct mime_buf *, const char *s);
/* "Wed, 02 Dec 2026 09:53:09 +0900": RFC 5322, in JST, locale-free. */
void	mime_date(int64_t ms, char *out, size_t len);

#endif
