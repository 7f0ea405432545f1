/*
 * jst: how the node shows times. Japanese local government works in JST
 * (UTC+9, no daylight saving), so every time the node prints, in text and
 * in JSON, is JST: RFC 3339 with "+09:00" for machines, "2026-11-22 09:31"
 * for the inbox list. Fixed offset, not the TZ database: the output must
 * not depend on the machine's TZ setting.
 */
#ifndef KAIRAN_NODE_JST_H
#define KAIRAN_NODE_JST_H

#include <stddef.h>
#include <stdint.h>

#define JST_BUFLEN	40

/* "2026-11-22T09:31:05+09:00" (milliseconds dropped). ms <= 0: "". */
const char	*jst_rfc3339(int64_t ms, char buf[JST_BUFLEN]);
/* "2026-11-22 09:31". ms <= 0: "-". */
const char	*jst_short(int64_t ms, char buf[JST_BUFLEN]);

#endif
