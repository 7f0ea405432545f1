/*
 * log: the one logging module of kairan (library and both daemons).
 *
 * Lines go to stderr (journald picks them up), one event per line, as
 * "progname: level: message" where the message is written as key=value
 * fields, e.g. log_info("peer accepted entity=%s role=%s", id, role).
 * Modelled on OpenBSD's log.c: log_warn appends strerror(errno), log_warnx
 * does not; fatal/fatalx log and exit(1) and are only for start-up errors
 * and broken invariants.
 */
#ifndef KAIRAN_LOG_H
#define KAIRAN_LOG_H

#include <stdarg.h>

/* Sets the program name and verbosity (0 = info, 1 = debug, -1 = warnings only). */
void log_init(const char *progname, int verbose);
void log_setverbose(int verbose);
int  log_getverbose(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * libwebsockets' own log lines, through ours (for lws_set_log_level):
 * errors as warnings, the rest at debug level.
 */
void log_lws(int level, const char *line);
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
