/*
 * log: the one logging module of kairan (library and both daemons).
 *
 * Lines go to stderr (journald picks them up), one event per line, as
 * "progname: level: message" where the message is written as key=value
 * fields, e.g. log_info("peer accepted entity=%s role=%s", id, role).
 * Modelled on OpenBSD's log.c: log_warn appends strerror(errno), log_warnx
 * does not; fatal/fatalx log and exit(1) and are only for start-up errors
 * and broken invariants.
 *
 * Peer-supplied strings (a Hello's software, a Refused.detail, a report's
 * title) go into a line only through log_str(), which quotes and escapes
 * them, so that a peer can neither end a field nor forge a line. As a
 * second layer, vlog escapes any control character left in a formatted
 * line (text.h), so no call site can write two lines.
 */
#ifndef KAIRAN_LOG_H
#define KAIRAN_LOG_H

#include <stdarg.h>

/* Sets the program name and verbosity (0 = info, 1 = debug, -1 = warnings only). */
void log_init(const char *progname, int verbose);
void log_setverbose(int verbose);
int  log_getverbose(void);

/*
 * s as a quoted log value: '"' + s escaped with TEXT_QUOTE + '"', cut at
 * LOG_STR_MAX bytes. The result lives in one of LOG_STR_SLOTS buffers of
 * the calling thread: use it only in the arguments of one log call.
 */
#define LOG_STR_MAX	512
#define LOG_STR_SLOTS	8
const char *log_str(const char *s);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Lines that must reach the journal whatever log_level says: a daemon's
 * start, listening address and stop (notice), the audit checkpoints
 * (audit).
 */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_audit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Buffering, for a daemon's event loop: after log_buffer_start, the info
 * and debug lines of the calling thread are kept in memory, in order, and
 * written to stderr by log_flush in one write(2) (the loop calls it once
 * per iteration, before it waits), or when 64 KiB are held. Any other
 * line (a warning, notice, audit or fatal line, or any line of another
 * thread) first writes what is held, then itself, so the order of lines is
 * kept and those lines are never held. A SIGKILL, or a crash (SIGSEGV,
 * abort), loses at most the buffered info and debug lines of the current
 * iteration; fatal() and exit() write them first. log_buffer_stop writes what is
 * held and ends buffering. Thread-safe.
 */
void log_buffer_start(void);
void log_buffer_stop(void);
void log_flush(void);

void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
