/*
 * text: escaping of peer-supplied text for terminals and logs, and display
 * widths (see include/kairan/text.h for what is escaped and why).
 */
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "kairan/text.h"

size_t
text_utf8_next(const unsigned char *s, size_t len, unsigned *cp)
{
	unsigned c = s[0], v, min;
	size_t n, k;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		v = c & 0x07;
		min = 0x10000;
	} else
		return 0;	/* continuation byte, 0xc0/0xc1, > 0xf4 */
	if (len <= n)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n + 1;
}

/* 1 if code point cp must be shown as an escape. */
static int
must_escape(unsigned cp, int flags)
{
	if (cp < 0x20)
		return !((flags & TEXT_MULTILINE) && (cp == '\n' || cp == '\t'));
	if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return 1;
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x2028 || cp == 0x2029)
		return 1;
	if ((flags & TEXT_QUOTE) && (cp == '"' || cp == '\\'))
		return 1;
	return 0;
}

/*
 * The next piece of s escaped: either *n raw bytes to copy (returns NULL)
 * or an escape sequence in esc (returns esc). *used is how many bytes of
 * s it covers; *cp the code point (for widths), or -1u for a bad byte.
 */
static const char *
next_piece(const unsigned char *s, size_t len, int flags, char esc[16],
    size_t *used, unsigned *cp)
{
	size_t n;

	if ((n = text_utf8_next(s, len, cp)) == 0) {
		snprintf(esc, 16, "\\x%02x", s[0]);
		*used = 1;
		*cp = -1u;
		return esc;
	}
	*used = n;
	if (!must_escape(*cp, flags))
		return NULL;
	if ((flags & TEXT_QUOTE) && (*cp == '"' || *cp == '\\'))
		snprintf(esc, 16, "\\%c", (char)*cp);
	else if (*cp < 0x80)
		snprintf(esc, 16, "\\x%02x", *cp);
	else
		snprintf(esc, 16, "\\u%04x", *cp);
	return esc;
}

size_t
text_escape_buf(char *buf, size_t bufsize, const char *s, int flags)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p), need = 0, at = 0, used, n;
	const char *e;
	char esc[16];
	unsigned cp;
	int cut = 0;

	while (len > 0) {
		e = next_piece(p, len, flags, esc, &used, &cp);
		n = e != NULL ? strlen(e) : used;
		if (!cut && at + n < bufsize) {
			memcpy(buf + at, e != NULL ? e : (const char *)p, n);
			at += n;
		} else
			cut = 1;
		need += n;
		p += used;
		len -= used;
	}
	if (cut && bufsize > 4) {
		/* back to a character boundary that leaves room for "..." */
		if (at > bufsize - 4)
			at = bufsize - 4;
		while (at > 0 && ((unsigned char)buf[at] & 0xc0) == 0x80)
			at--;
		memcpy(buf + at, "...", 3);
		at += 3;
	} else if (at >= bufsize)
		at = bufsize - 1;
	buf[at] = '\0';
	return need;
}

char *
text_escape(const char *s, int flags)
{
	char one;
	size_t n = text_escape_buf(&one, 1, s, flags);
	char *out;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	text_escape_buf(out, n + 1, s, flags);
	return out;
}

int
text_fputs(const char *s, int flags, FILE *fp)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p), used;
	const char *e;
	char esc[16];
	unsigned cp;

	while (len > 0) {
		e = next_piece(p, len, flags, esc, &used, &cp);
		if (e != NULL ? fputs(e, fp) == EOF :
		    fwrite(p, 1, used, fp) != used)
			return -1;
		p += used;
		len -= used;
	}
	return 0;
}

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

/* Made once per process, shared by every thread, never freed. */
static void
utf8_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* wcwidth() in C.UTF-8, whatever the process's locale is. */
static int
cp_width(unsigned cp)
{
	locale_t old;
	int w;

	if (cp < 0x7f)
		return 1;
	pthread_once(&utf8_once, utf8_init);
	if (utf8_locale == (locale_t)0)
		return 1;
	old = uselocale(utf8_locale);
	w = wcwidth((wchar_t)cp);
	uselocale(old);
	return w < 0 ? 1 : w;
}

size_t
text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p), w = 0, used;
	const char *e;
	char esc[16];
	unsigned cp;

	while (len > 0) {
		e = next_piece(p, len, 0, esc, &used, &cp);
		w += e != NULL ? strlen(e) : (size_t)cp_width(cp);
		p += used;
		len -= used;
	}
	return w;
}

int
text_fpad(FILE *fp, const char *s, size_t width)
{
	size_t w = text_width(s);

	if (text_fputs(s, 0, fp) == -1)
		return -1;
	for (; w < width; w++)
		if (fputc(' ', fp) == EOF)
			return -1;
	return 0;
}

int
text_fputs_lines(const char *s, const char *first, const char *indent,
    FILE *fp)
{
	const char *nl;
	char *one;
	int rc = 0;

	if (s == NULL)
		s = "";
	if (fputs(first, fp) == EOF)
		return -1;
	for (;;) {
		if ((nl = strchr(s, '\n')) == NULL)
			return text_fputs(s, TEXT_MULTILINE, fp) == -1 ||
			    fputc('\n', fp) == EOF ? -1 : rc;
		if ((one = strndup(s, (size_t)(nl - s))) == NULL)
			return -1;
		if (text_fputs(one, TEXT_MULTILINE, fp) == -1 ||
		    fputc('\n', fp) == EOF || fputs(indent, fp) == EOF)
			rc = -1;
		free(one);
		s = nl + 1;
	}
}
