/*
 * text: peer-supplied text made safe to show, and measured for terminals.
 *
 * Strings from the network (a report's title, a relay's Refused.detail, a
 * Hello's software) reach log lines and people's terminals. The protocol
 * refuses control characters (PROTOCOL.md §6), but old data and other
 * implementations may still carry them, so every surface escapes what it
 * prints: C0 controls (0x00-0x1f; with TEXT_MULTILINE, \n and \t are
 * kept), DEL, C1 controls (U+0080-U+009F), the bidi embeddings, overrides
 * and isolates (U+202A-U+202E, U+2066-U+2069), the line and paragraph
 * separators U+2028/U+2029, and bytes that are not UTF-8. ASCII bytes and
 * invalid bytes become "\xNN", code points "\u202e". With TEXT_QUOTE, '"'
 * and '\' become '\"' and '\\' too, so that a value can sit between quotes
 * in a key="value" log field without ending it.
 *
 * Widths are display columns (East Asian Width: wide and fullwidth
 * characters take two), measured with the C library's wcwidth() in the
 * C.UTF-8 locale, independent of the caller's locale.
 */
#ifndef KAIRAN_TEXT_H
#define KAIRAN_TEXT_H

#include <stddef.h>
#include <stdio.h>

#define TEXT_MULTILINE	0x1	/* keep \n and \t */
#define TEXT_QUOTE	0x2	/* escape " and \ as well */

/*
 * Escapes s (NUL-terminated, NULL counts as "") into buf (bufsize > 0),
 * always NUL-terminated; a value that does not fit is cut on a character
 * boundary and ends in "..." . Returns the length the whole escaped string
 * needs (without the NUL), like snprintf.
 */
size_t	 text_escape_buf(char *buf, size_t bufsize, const char *s, int flags);
/* The escaped copy of s, malloc'd (caller frees); NULL if out of memory. */
char	*text_escape(const char *s, int flags);
/* Writes s escaped to fp. Returns 0, or -1 on a write error. */
int	 text_fputs(const char *s, int flags, FILE *fp);

/*
 * Decodes one UTF-8 character at s (len bytes available, len > 0) in the
 * strict form of RFC 3629: shortest encoding only, no surrogates, nothing
 * above U+10FFFF. Returns its length (1..4) with *cp set, or 0 if the
 * bytes at s are not a valid character (then s[0] is one bad byte).
 */
size_t	 text_utf8_next(const unsigned char *s, size_t len, unsigned *cp);

/* Display columns of s once escaped (single-line: \n counts as "\x0a"). */
size_t	 text_width(const char *s);
/*
 * Writes s escaped (single-line) to fp, then spaces up to width columns
 * (nothing more if s is wider). Returns 0, or -1 on a write error.
 */
int	 text_fpad(FILE *fp, const char *s, size_t width);

/*
 * Writes a long text (summary, damage, ...) escaped with TEXT_MULTILINE,
 * one line at a time: first before its first line, indent before every
 * other, a newline after the last. Indenting what follows the first line
 * keeps a line of the text from passing for a line of the surface around
 * it. Returns 0, or -1 on a write error or if out of memory.
 */
int	 text_fputs_lines(const char *s, const char *first, const char *indent,
	    FILE *fp);

#endif
