/*
 * routing: where the copy of a message for each recipient goes: a
 * delivery here for the recipients this relay serves, a REJECTED receipt
 * signed by the relay for the others (until federation routes them to
 * their home relay).
 */
#ifndef KAIRAN_RELAY_ROUTING_H
#define KAIRAN_RELAY_ROUTING_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan/message.h"

struct server;

/* Why recipient cannot be served here (into buf), or NULL if it can. */
const char	*routing_unserved(struct server *, const char *recipient,
		    char *buf, size_t len);
/*
 * Inside the open transaction: a REJECTED receipt signed by the relay,
 * saying why (`why`) recipient will not get message ref (its digest),
 * addressed to ref's sender and queued for delivery to it. Returns 0 or
 * -1 with err.
 */
int		 routing_reject(struct server *, const Message *ref,
		    const uint8_t ref_digest[KAIRAN_DIGEST_LEN],
		    const char *recipient, const char *why, int64_t now,
		    char *err, size_t errlen);

#endif
