/*
 * mime: the pieces of a mail's text that kairan's mails share (the
 * relay's escalate.c reminder to a point of contact and mailroute.c
 * report to a recipient without a node; the node's mailout.c report to
 * its internal addressees): a growing buffer, base64 in lines of 76,
 * RFC 2047 words of UTF-8 that never cut a character, the RFC 5322 Date
 * in JST, and a report's mail: the 報告様式 as the text, the signed
 * envelope attached as ID.kairan (so that `kairan-node verify` reads it).
 */
#ifndef KAIRAN_MIME_H
#define KAIRAN_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/message.h"

struct directory;
struct form_context;

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
/* s[0..n) (LF line ends, as form_render writes) with CRLF ends. */
void	mime_crlf(struct mime_buf *, const char *s, size_t n);
/*
 * The 報告様式 of report m (form_build, form_render: the text of
 * `kairan-node show --form`), with CRLF ends; dir names the entities (may
 * be NULL). ctx is what the form cannot know from m alone, the proxy-log
 * lines (kairan/form.h; the caller computes it from the incident's reports
 * with deadline_form_context, as show --form does); NULL: none. 0, or -1
 * (m is no report, or out of memory).
 */
int	mime_form(struct mime_buf *, const Message *m,
	    const struct directory *dir, const struct form_context *ctx);
/* "第3報", or "第4報（収束宣言）" for a phase other than 第1報 and 続報. */
void	mime_report_nth(const IncidentReport *r, char *out, size_t len);

/* A report's mail: what mime_report_text needs. */
struct mime_report {
	const Message	*m;		/* the report (or an advisory) */
	const uint8_t	*env;		/* its Envelope bytes, attached */
	size_t		 envlen;
	const char	*host;		/* who mails: a relay's or node's id */
	const char	*tag;		/* tells this mail of m from others */
	const char	*from;		/* bare addresses */
	const char	*to;
	const char	*subject;	/* UTF-8 */
	int64_t		 now_ms;	/* the Date header */
};
/*
 * The whole mail: RFC 5322 headers (From "kairan HOST <from>",
 * Message-ID <ID.TAG@HOST.kairan.invalid>, the subject in RFC 2047), a
 * multipart/mixed body of two parts, CRLF line ends: body (UTF-8, CRLF
 * ends) as text/plain in base64, and the envelope bytes as
 * application/octet-stream in base64, named ID.kairan. A malloc'd string
 * (the caller frees), or NULL on out of memory (also when body->ok is 0).
 * body is freed (its text handed over or dropped).
 */
char	*mime_report_text(const struct mime_report *, struct mime_buf *body);

#endif
