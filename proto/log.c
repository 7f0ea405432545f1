/*
 * log: stderr logging with levels, for the library and both daemons.
 * See include/kairan/log.h for the conventions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kairan/log.h"
#include "kairan/text.h"

static const char *log_progname = "kairan";
static int log_verbose;

void
log_init(const char *progname, int verbose)
{
	if (progname != NULL)
		log_progname = progname;
	log_verbose = verbose;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

const char *
log_str(const char *s)
{
	static _Thread_local char slot[LOG_STR_SLOTS][LOG_STR_MAX + 3];
	static _Thread_local unsigned next;
	char *b = slot[next++ % LOG_STR_SLOTS];
	size_t n;

	text_escape_buf(b + 1, LOG_STR_MAX, s, TEXT_QUOTE);
	n = strlen(b + 1);
	b[0] = '"';
	b[n + 1] = '"';
	b[n + 2] = '\0';
	return b;
}

/*
 * One line, written with a single fprintf so that lines do not interleave;
 * whatever control character the arguments brought is escaped (text.h).
 */
static void
vlog(const char *level, int with_errno, int saved_errno, const char *fmt,
    va_list ap)
{
	char raw[2048], msg[2048];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	text_escape_buf(msg, sizeof(msg), raw, 0);
	if (with_errno)
		fprintf(stderr, "%s: %s: %s error=\"%s\"\n", log_progname,
		    level, msg, strerror(saved_errno));
	else
		fprintf(stderr, "%s: %s: %s\n", log_progname, level, msg);
	fflush(stderr);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_verbose < -1)
		return;
	va_start(ap, fmt);
	vlog("warning", 1, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < -1)
		return;
	va_start(ap, fmt);
	vlog("warning", 0, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 0)
		return;
	va_start(ap, fmt);
	vlog("info", 0, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog("debug", 0, 0, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("notice", 0, 0, fmt, ap);
	va_end(ap);
}

void
log_audit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("audit", 0, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", 1, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
