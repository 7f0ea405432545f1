/*
 * route: one configured route to a relay ([route NAME] url = wss://...),
 * held as one libwebsockets client connection, with its own state machine:
 *
 *   IDLE -> CONNECTING -> HELLO -> READY -> BACKOFF -> CONNECTING ...
 *                 \________\_________\____/
 *   (any) -> STOPPED at shutdown
 *
 * CONNECTING: TCP + TLS + WebSocket upgrade under way.
 * HELLO:      connected, the relay's certificate checked (role relay), our
 *             Hello sent; waiting for the relay's Hello.
 * READY:      the relay said Hello: outbox messages flow (logged once as
 *             "route=NAME ready").
 * BACKOFF:    the connection is gone; a timer (exponential, 0.5 s to 30 s,
 *             with jitter) brings it back to CONNECTING.
 *
 * Every outbox message goes out on every route until that route's relay
 * answers Accepted or a final Refused; a bounded window of them is in
 * flight per connection, and whatever was unanswered when a connection
 * ended is sent again on the next one.
 */
#ifndef KAIRAN_NODE_ROUTE_H
#define KAIRAN_NODE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "kairan/conn.h"
#include "kairan/identity.h"
#include "kairan/kairan.h"

#include "config.h"

#define ROUTE_WINDOW		32	/* envelopes in flight per connection */
#define ROUTE_MAX_CTL		256	/* queued answers: the relay is not reading */
#define ROUTE_BACKOFF_MIN_MS	500
#define ROUTE_BACKOFF_MAX_MS	30000
#define ROUTE_HELLO_TIMEOUT_S	15

enum route_state {
	ROUTE_IDLE,
	ROUTE_CONNECTING,
	ROUTE_HELLO,
	ROUTE_READY,
	ROUTE_BACKOFF,
	ROUTE_STOPPED,
};

struct daemon;

struct store;

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
	struct daemon			*d;
	const struct config_route	*cfg;
	const char			*name;
	enum route_state		 state;
	struct lws			*wsi;
	struct identity			 peer;		/* the relay, once checked */
	uint32_t			 backoff_ms;	/* next delay */
	lws_sorted_usec_list_t		 sul_retry;
	lws_sorted_usec_list_t		 sul_rewind;	/* OVERLOADED retry */

	/* this connection's bookkeeping (conn.h) */
	struct conn_rx			 rx;	/* one message, reassembled */
	struct conn_ctl			 ctl;	/* our Hello and answers first */
	int				 hello_sent;
	struct conn_flight		 flight; /* outbox envelopes in flight */
	uint64_t			 sent, accepted, refused;
	char				 down_why[160];	/* why it is closing */

	/* what daemon_route_conn recorded last (conn_up -1: nothing yet) */
	int				 conn_up;
	int64_t				 conn_since_ms;
	char				 conn_why[160];
};

const char	*route_state_name(enum route_state);

void	route_init(struct route *, struct daemon *,
	    const struct config_route *);
/* IDLE -> CONNECTING. */
void	route_start(struct route *);
/* New outbox rows (or a sweep): send what is unanswered, if READY. */
void	route_kick(struct route *, int rewind);
/* -> STOPPED: closes the connection, cancels timers. */
void	route_stop(struct route *);
/* Frees buffers (after the lws context is gone). */
void	route_cleanup(struct route *);

/* The lws callback of protocol "kairan.v1" (protocols[0]). */
int	route_lws_callback(struct lws *, enum lws_callback_reasons, void *,
	    void *, size_t);

#endif
