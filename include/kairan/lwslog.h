/*
 * lwslog: the bridge from libwebsockets' log to kairan's (see
 * proto/lws/lwslog.c): pass lwslog_line to lws_set_log_level.
 */
#ifndef KAIRAN_LWSLOG_H
#define KAIRAN_LWSLOG_H

/* One lws log line: errors as warnings, the rest at debug level. */
void	lwslog_line(int level, const char *line);

#endif
