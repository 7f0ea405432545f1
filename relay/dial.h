/*
 * dial: the links this relay keeps up to the peer relays it is configured
 * to dial ([peer NAME] with a url). Each is a libwebsockets client
 * connection carrying kairan.v1 both ways, as an accepted one does: the
 * same struct peer, frames and deliveries (frames.c, deliver.c), here
 * owned by the dial rather than by lws.
 *
 *   IDLE ──start──▶ CONNECTING ──(TLS, its certificate checked)──▶ UP
 *     BACKOFF ◀──(error, close, stall)── CONNECTING, UP
 *     BACKOFF ──(timer: jittered, doubling, capped; reset once the
 *                peer has said Hello)──▶ CONNECTING
 *   any ──stop──▶ STOPPED
 *
 * A link whose window of forwards stays full while the peer says nothing
 * for resend_after is stalled (a black-holed path): it is closed and
 * dialled again.
 */
#ifndef KAIRAN_RELAY_DIAL_H
#define KAIRAN_RELAY_DIAL_H

#include <stddef.h>

#include <ev.h>

#include "peer.h"

struct lws;
struct server;
struct config_peer;

#define DIAL_BACKOFF_MIN_MS	250
#define DIAL_BACKOFF_MAX_MS	10000

enum dial_state {
	DIAL_IDLE = 0,
	DIAL_CONNECTING,
	DIAL_UP,		/* TLS done and the peer is who it must be */
	DIAL_BACKOFF,
	DIAL_STOPPED,
};

struct dial {
	struct server		*srv;
	const struct config_peer *cfg;
	int			 index;		/* in cfg->peers */
	enum dial_state		 state;
	struct lws		*wsi;
	struct peer		 peer;		/* the connection's */
	unsigned		 backoff_ms;
	ev_timer		 retry;
	char			 why[192];	/* why it went down, if known */
};

const char	*dial_state_name(enum dial_state);
/* Dials every [peer] with a url (s->dials, s->ndials). */
void		 dial_start_all(struct server *);
/* No more redials (at stop); lws closes the connections. */
void		 dial_stop_all(struct server *);
/* Frees the dials (after the lws context is gone). */
void		 dial_free_all(struct server *);
/* Closes links that are stalled (see above); called once a second. */
void		 dial_watch(struct server *);
/*
 * The lws callback of client connections (reasons LWS_CALLBACK_CLIENT_*
 * and WSI_DESTROY of a dialled wsi). Returns lws's verdict.
 */
int		 dial_callback(struct server *, struct lws *, int reason,
		    void *in, size_t len);

#endif
