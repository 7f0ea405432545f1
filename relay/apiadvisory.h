/*
 * apiadvisory: the advisories (注意喚起・情報提供・要請, PROTOCOL.md §6.3)
 * of the console's API, apart from the incidents (API.md):
 *
 *   GET  /api/advisories       the newest VIEW_ADVISORIES_MAX, with counts
 *   GET  /api/advisories/ID    what it asks, and each recipient's answer
 *
 * The texts only the stored envelope has (summary, actions, references,
 * severity) are read from it for one advisory.
 */
#ifndef KAIRAN_RELAY_APIADVISORY_H
#define KAIRAN_RELAY_APIADVISORY_H

#include <stddef.h>

#include "apireply.h"

struct server;

/* GET /api/advisories and /api/advisories/ID, as api_handle. */
int	apiadvisory_list(struct server *s, const struct api_call *c,
	    struct api_reply *rp);
int	apiadvisory_get(struct server *s, const struct api_call *c,
	    struct api_reply *rp, const char *hex, size_t len);

#endif
