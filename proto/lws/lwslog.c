/*
 * lwslog: libwebsockets' own log lines, through kairan's log module (for
 * lws_set_log_level): errors as warnings, the rest at debug level. It
 * lives apart from proto/log.c, in the library of the code that needs
 * libwebsockets (proto/lws/), so that the protocol code (frames,
 * envelopes, messages) builds and fuzzes without libwebsockets.
 */
#include <stdio.h>
#include <string.h>

#include <libwebsockets.h>

#include "kairan/log.h"
#include "kairan/lwslog.h"

void
lwslog_line(int level, const char *line)
{
	char buf[512];
	size_t n;

	snprintf(buf, sizeof(buf), "%s", line);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (level & LLL_ERR)
		log_warnx("lws: %s", buf);
	else
		log_debug("lws: %s", buf);
}
