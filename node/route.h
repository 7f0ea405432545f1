/*
 * route: one configured route to a relay ([route NAME] url = wss://...):
 * a client link (include/kairan/link.h: the connection, its state
 * machine, Hello, backoff, watchdog, window) and what only the node does
 * with it: the envelopes it sends come from the store's outbox, an
 * Accepted or a final Refused is recorded there against the route, the
 * connection state goes to the store for `status`, and an envelope the
 * relay delivers goes to the route's owner (the daemon) through
 * route_hooks, so that route.c never calls the daemon.
 *
 * Every outbox message goes out on every route until that route's relay
 * answers Accepted or a final Refused; a bounded window of them is in
 * flight per connection, and whatever was unanswered when a connection
 * ended is sent again on the next one, at once once the relay says Hello.
 */
#ifndef KAIRAN_NODE_ROUTE_H
#define KAIRAN_NODE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "kairan/conn.h"
#include "kairan/envelope.h"
#include "kairan/identity.h"
#include "kairan/kairan.h"
#include "kairan/link.h"

#include "config.h"

#define ROUTE_WINDOW		LINK_WINDOW	/* envelopes in flight */

struct store;
struct route;

/* What the route's owner does for it (arg: route_init's). */
struct route_hooks {
	/*
	 * A Frame{envelope} that arrived on route r (already bounded and
	 * frame-decoded): verify, store, answer. Fills *ans and *anslen with
	 * the Accepted or Refused frame to send (LWS_PRE headroom; taken by
	 * the route). Returns 0, or -1 if the store failed: then nothing is
	 * answered and the connection is closed so that the relay sends it
	 * again.
	 */
	int	(*envelope)(void *arg, struct route *r, const Envelope *,
		    uint8_t **ans, size_t *anslen);
};

/*
 * The next outbox envelope route should send on this connection (its
 * bookkeeping fl, conn.h): the first one after the cursor that route has
 * not had answered and that is not in flight, so that a rewind (after
 * OVERLOADED, on the sweep) never sends again what is still in flight.
 * Moves the cursor past it (and past in-flight ones). Returns 1 with id,
 * *seq, *env (malloc'd) and *envlen; 0 if there is nothing (or the window
 * is full); -1 with err.
 */
int	route_next_envelope(struct conn_flight *fl, struct store *,
	    const char *route, uint8_t id[KAIRAN_ID_LEN], int64_t *seq,
	    uint8_t **env, size_t *envlen, char *err, size_t errlen);

struct route {
	struct link			 link;	/* link.peer: the relay, once checked */
	const struct config_route	*cfg;
	const char			*name;
	struct store			*store;
	const struct route_hooks	*hooks;
	void				*arg;
	char				 software[64];

	/* what was recorded in the store last (conn_up -1: nothing yet) */
	int				 conn_up;
	int64_t				 conn_since_ms;
	char				 conn_why[LINK_WHY_MAX];
};

/*
 * Sets r up (IDLE) for route cfg of the node ncfg, on the lws context
 * (whose protocols[0] callback passes the links' connections to
 * link_lws_callback), with the store (may be NULL only in tests that
 * never start it) and the owner's hooks.
 */
void	route_init(struct route *, const struct config *ncfg,
	    const struct config_route *cfg, struct lws_context *,
	    struct store *, const struct route_hooks *, void *arg);
/* IDLE -> CONNECTING, recorded as "not connected: connecting". */
void	route_start(struct route *);
/* New outbox rows (or a sweep): send what is unanswered, if READY. */
void	route_kick(struct route *, int rewind);
/* -> STOPPED: cancels timers, closes the connection. */
void	route_stop(struct route *);
/* Frees buffers (after route_stop or with the lws context gone). */
void	route_cleanup(struct route *);

/*
 * Route r is now connected (since now) or not (why): recorded in the
 * store for `status` when it differs from what was recorded last.
 */
void	route_conn_note(struct route *, int connected, const char *why);

#endif
