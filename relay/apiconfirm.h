/*
 * apiconfirm: POST /api/confirm (API.md), a phone confirmation: the one
 * write of the console's API. The body is checked whole before anything
 * is read or written (report and recipient of this relay, a name and a
 * note of valid UTF-8 within their lengths, no other key); then one
 * transaction of the store's writer (store_confirm_add: the row, the
 * audit, the recipient's pending mails cancelled), one log line and the
 * live feed told.
 */
#ifndef KAIRAN_RELAY_APICONFIRM_H
#define KAIRAN_RELAY_APICONFIRM_H

#include "apireply.h"

#define APICONFIRM_NAME_MAX	64	/* characters of a confirmation's name */
#define APICONFIRM_NOTE_MAX	500	/* ... of its note */

struct server;

/* POST /api/confirm, as api_handle. */
int	apiconfirm_post(struct server *s, const struct api_call *c,
	    struct api_reply *rp);

#endif
