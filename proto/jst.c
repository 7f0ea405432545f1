/*
 * jst: JST time formatting for people (see kairan/jst.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "kairan/jst.h"

#define JST_OFFSET_S	(9 * 3600)

static int
jst_tm(int64_t ms, struct tm *tm)
{
	time_t t = (time_t)(ms / 1000) + JST_OFFSET_S;

	return gmtime_r(&t, tm) != NULL ? 0 : -1;
}

/* ms in JST by strftime format fmt into buf, or dflt if ms is unknown. */
static const char *
jst_fmt(int64_t ms, const char *fmt, const char *dflt, char buf[JST_BUFLEN])
{
	struct tm tm;

	snprintf(buf, JST_BUFLEN, "%s", dflt);
	if (ms <= 0 || jst_tm(ms, &tm) == -1)
		return buf;
	if (strftime(buf, JST_BUFLEN, fmt, &tm) == 0)
		snprintf(buf, JST_BUFLEN, "%s", dflt);
	return buf;
}

const char *
jst_rfc3339(int64_t ms, char buf[JST_BUFLEN])
{
	return jst_fmt(ms, "%Y-%m-%dT%H:%M:%S+09:00", "", buf);
}

const char *
jst_short(int64_t ms, char buf[JST_BUFLEN])
{
	return jst_fmt(ms, "%Y-%m-%d %H:%M", "-", buf);
}

const char *
jst_form(int64_t ms, char buf[JST_BUFLEN])
{
	return jst_fmt(ms, "%Y年%m月%d日 %H時%M分", "未確認", buf);
}

json_t *
jst_json(int64_t ms)
{
	char t[JST_BUFLEN];

	if (ms <= 0 || jst_rfc3339(ms, t)[0] == '\0')
		return json_null();
	return json_string(t);
}
