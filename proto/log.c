/*
 * log: stderr logging with levels, for the library and both daemons.
 * See include/kairan/log.h for the conventions.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kairan/log.h"
#include "kairan/text.h"

static const char *log_progname = "kairan";
static int log_verbose;

/*
 * The buffer of log_buffer_start: info and debug lines of the buffering
 * thread, written to stderr by log_flush in one write(2). lock orders
 * every line of every thread: a line written at once first flushes what
 * is buffered.
 */
#define LOG_BUF_SIZE	65536
static pthread_mutex_t	log_lock = PTHREAD_MUTEX_INITIALIZER;
static char		log_buf[LOG_BUF_SIZE];
static size_t		log_buflen;
static int		log_buffering;
static pthread_t	log_buffer_thread;

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

/* All of p to stderr (a short write or EINTR goes on); log_lock held. */
static void
write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(STDERR_FILENO, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return;		/* nowhere to say it */
		}
		p += w;
		n -= (size_t)w;
	}
}

/* log_lock held. */
static void
flush_locked(void)
{
	write_all(log_buf, log_buflen);
	log_buflen = 0;
}

void
log_buffer_start(void)
{
	static int registered;

	/* an exit() elsewhere (not fatal: it is urgent) still writes them */
	if (!registered && atexit(log_flush) == 0)
		registered = 1;
	pthread_mutex_lock(&log_lock);
	log_buffer_thread = pthread_self();
	log_buffering = 1;
	pthread_mutex_unlock(&log_lock);
}

void
log_buffer_stop(void)
{
	pthread_mutex_lock(&log_lock);
	flush_locked();
	log_buffering = 0;
	pthread_mutex_unlock(&log_lock);
}

void
log_flush(void)
{
	pthread_mutex_lock(&log_lock);
	flush_locked();
	pthread_mutex_unlock(&log_lock);
}

/*
 * One line, written whole (one write(2), or appended whole to the buffer)
 * so that lines do not interleave; whatever control character the
 * arguments brought is escaped (text.h). An urgent line (warning, notice,
 * audit, fatal), or any line of another thread or while not buffering,
 * goes out at once, after what was buffered before it.
 */
static void
vlog(const char *level, int urgent, int with_errno, int saved_errno,
    const char *fmt, va_list ap)
{
	char raw[2048], msg[2048], line[4400];
	int n;
	int saved = errno;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	text_escape_buf(msg, sizeof(msg), raw, 0);
	if (with_errno)
		n = snprintf(line, sizeof(line), "%s: %s: %s error=\"%s\"\n",
		    log_progname, level, msg, strerror(saved_errno));
	else
		n = snprintf(line, sizeof(line), "%s: %s: %s\n", log_progname,
		    level, msg);
	if (n < 0)
		goto done;
	if ((size_t)n >= sizeof(line)) {	/* cut: still one whole line */
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	pthread_mutex_lock(&log_lock);
	if (!urgent && log_buffering &&
	    pthread_equal(pthread_self(), log_buffer_thread)) {
		if (log_buflen + (size_t)n > sizeof(log_buf))
			flush_locked();
		memcpy(log_buf + log_buflen, line, (size_t)n);
		log_buflen += (size_t)n;
	} else {
		flush_locked();
		write_all(line, (size_t)n);
	}
	pthread_mutex_unlock(&log_lock);
 done:
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_verbose < -1)
		return;
	va_start(ap, fmt);
	vlog("warning", 1, 1, saved, fmt, ap);
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
	vlog("warning", 1, 0, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 0)
		return;
	va_start(ap, fmt);
	vlog("info", 0, 0, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog("debug", 0, 0, 0, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("notice", 1, 0, 0, fmt, ap);
	va_end(ap);
}

void
log_audit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("audit", 1, 0, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", 1, 1, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", 1, 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
