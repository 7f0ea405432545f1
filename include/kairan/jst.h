/*
 * jst: how kairan shows times to people. Japanese local government works
 * in JST (UTC+9, no daylight saving), so every time the node (and later
 * the relay's console) prints, in text and in JSON, is JST: RFC 3339 with
 * "+09:00" for machines, "2026-11-22 09:31" for lists, "2026年11月22日
 * 09時30分" on the report form. Fixed offset, not the TZ database: the
 * output must not depend on the machine's TZ setting.
 */
#ifndef KAIRAN_JST_H
#define KAIRAN_JST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define JST_BUFLEN	40

/* "2026-11-22T09:31:05+09:00" (milliseconds dropped). ms <= 0: "". */
const char	*jst_rfc3339(int64_t ms, char buf[JST_BUFLEN]);
/* "2026-11-22 09:31". ms <= 0: "-". */
const char	*jst_short(int64_t ms, char buf[JST_BUFLEN]);
/* "2026年11月22日 09時30分" (the 報告様式). ms <= 0: "未確認". */
const char	*jst_form(int64_t ms, char buf[JST_BUFLEN]);
/* The RFC 3339 form as a JSON string, or JSON null if ms <= 0. New reference. */
json_t		*jst_json(int64_t ms);

#endif
