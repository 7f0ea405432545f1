/*
 * dial: the links this relay keeps up to the peer relays it is configured
 * to dial ([peer NAME] with a url). Each is a client link (kairan/link.h:
 * connect, the Hello timeout, backoff with jitter, capped and reset once
 * the peer has said Hello, redial) carrying kairan.v1 both ways, as an
 * accepted connection does: the link is given the relay's session code as
 * its wire callbacks, so that the same struct peer, frames and deliveries
 * (session.c, frames.c, deliver.c) serve both, here owned by the dial
 * rather than by lws.
 *
 *   IDLE -> CONNECTING -> HELLO -> READY -> BACKOFF -> CONNECTING ...
 *   (link.h; logged "link=NAME old -> new"), STOPPED once drained at stop.
 *
 * A link whose window of forwards stays full while the peer says nothing
 * for resend_after is stalled (a black-holed path): it is closed and
 * dialled again (dial_watch, for accepted links as well).
 */
#ifndef KAIRAN_RELAY_DIAL_H
#define KAIRAN_RELAY_DIAL_H

#include <stddef.h>

#include "kairan/link.h"

#include "peer.h"

struct lws;
struct server;
struct config_peer;

#define DIAL_BACKOFF_MIN_MS	250
#define DIAL_BACKOFF_MAX_MS	10000

struct dial {
	struct server		*srv;
	const struct config_peer *cfg;
	int			 index;		/* in cfg->peers */
	struct link		 link;		/* the connection's life */
	struct peer		 peer;		/* the connection's session */
};

/* Dials every [peer] with a url (s->dials, s->ndials). */
void		 dial_start_all(struct server *);
/*
 * No more redials (at stop); a connected link drains with the others and
 * is stopped when it closes.
 */
void		 dial_stop_all(struct server *);
/* Frees the dials (after the lws context is gone). */
void		 dial_free_all(struct server *);
/* Closes links that are stalled (see above); called once a second. */
void		 dial_watch(struct server *);
/*
 * The lws callback of client connections (reasons LWS_CALLBACK_CLIENT_*
 * and WSI_DESTROY of a dialled wsi), handed to its link. Returns lws's
 * verdict; 0 for a wsi that is not a dial's.
 */
int		 dial_callback(struct server *, struct lws *, int reason,
		    void *user, void *in, size_t len);

#endif
