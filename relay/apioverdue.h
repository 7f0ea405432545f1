/*
 * apioverdue: GET /api/overdue (API.md): every recipient past its
 * deadline that has not acknowledged (the oldest VIEW_OVERDUE_MAX first),
 * with its point of contact from the directory, the escalation's mail and
 * the latest phone confirmation.
 */
#ifndef KAIRAN_RELAY_APIOVERDUE_H
#define KAIRAN_RELAY_APIOVERDUE_H

#include "apireply.h"

struct server;

/* GET /api/overdue, as api_handle. */
int	apioverdue_get(struct server *s, const struct api_call *c,
	    struct api_reply *rp);

#endif
