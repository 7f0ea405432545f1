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

const char *
jst_rfc3339(int64_t ms, char buf[JST_BUFLEN])
{
	struct tm tm;

	buf[0] = '\0';
	if (ms <= 0 || jst_tm(ms, &tm) == -1)
		return buf;
	strftime(buf, JST_BUFLEN, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
	return buf;
}

const char *
jst_short(int64_t ms, char buf[JST_BUFLEN])
{
	struct tm tm;

	snprintf(buf, JST_BUFLEN, "-");
	if (ms <= 0 || jst_tm(ms, &tm) == -1)
		return buf;
	strftime(buf, JST_BUFLEN, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

const char *
jst_form(int64_t ms, char buf[JST_BUFLEN])
{
	struct tm tm;

	snprintf(buf, JST_BUFLEN, "未確認");
	if (ms <= 0 || jst_tm(ms, &tm) == -1)
		return buf;
	strftime(buf, JST_BUFLEN, "%Y年%m月%d日 %H時%M分", &tm);
	return buf;
}

json_t *
jst_json(int64_t ms)
{
	char t[JST_BUFLEN];

	if (ms <= 0 || jst_rfc3339(ms, t)[0] == '\0')
		return json_null();
	return json_string(t);
}
