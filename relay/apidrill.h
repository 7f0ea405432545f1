/*
 * apidrill: 訓練の結果 of an exercise incident (API.md "GET
 * /api/drill/ID"): for each recipient of its 第1報, the seconds to the
 * delivery and to the 受理確認, as JSON or as CSV for Excel (UTF-8 with a
 * byte order mark, a cell that would run as a formula quoted as text).
 */
#ifndef KAIRAN_RELAY_APIDRILL_H
#define KAIRAN_RELAY_APIDRILL_H

#include <stddef.h>

#include "apireply.h"

struct server;

/* GET /api/drill/ID (csv 0) and /api/drill/ID.csv (csv 1), as api_handle. */
int	apidrill_get(struct server *s, const struct api_call *c,
	    struct api_reply *rp, const char *hex, size_t len, int csv);

#endif
