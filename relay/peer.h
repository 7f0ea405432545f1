/*
 * peer: one connected node, as the relay sees it — its identity (from its
 * certificate), its state, and its connection's bookkeeping (conn.h):
 * what it sent that is not yet a whole frame, the control frames (Hello,
 * Accepted, Refused) waiting to be written, the deliveries in flight.
 *
 *   OPEN ──hello──▶ READY ──(refusal that ends it, reload, shutdown)──▶ CLOSING
 *     └──────────────(refusal)───────────────────────────────────────────▲
 *   any ──(the connection closed)──▶ NEW
 *
 * The struct is libwebsockets' per-session data: lws zeroes it before
 * ESTABLISHED and frees it after CLOSED; the server keeps the peers of a
 * vhost on a list between the two.
 */
#ifndef KAIRAN_RELAY_PEER_H
#define KAIRAN_RELAY_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "kairan/conn.h"
#include "kairan/identity.h"
#include "kairan/kairan.h"

#include "routing.h"

struct lws;
struct server;
struct dial;

enum peer_state {
	PEER_NEW = 0,		/* zeroed by lws, before ESTABLISHED */
	PEER_OPEN,		/* identified; waiting for its Hello */
	PEER_READY,		/* Hello seen: envelopes both ways */
	PEER_CLOSING,		/* writing its last frames, then closed */
};

struct peer {
	struct server		*srv;
	struct lws		*wsi;
	struct peer		*prev, *next;	/* the server's list */
	enum peer_state		 state;
	struct identity		 who;
	int			 link;		/* index in cfg->peers; -1: a node */
	uint32_t		 features;	/* its Hello's KAIRAN_FEATURE_* */
	char			 key[ROUTING_KEY_MAX];	/* its deliveries' key */
	struct peer		*knext;		/* peer_index's chain */
	struct dial		*dial;		/* a link we dialled, else NULL */
	char			 addr[64];
	X509			*leaf, *issuer;	/* for re-checks on reload */

	struct conn_rx		 rx;		/* the message being reassembled */
	int			 rx_paused;
	int			 rx_pause_wanted;	/* applied outside lws */
	struct conn_ctl		 ctl;		/* Hello, Accepted, Refused */
	struct conn_flight	 flight;	/* deliveries in flight, cursor */
	int			 retry_pending;	/* OVERLOADED: cursor rewinds later */
	double			 last_rx;	/* loop time it last sent anything */
	char			 why[200];	/* why we refused it, if we did */
};

const char	*peer_state_name(enum peer_state);
/* The one place a peer changes state; logs old -> new. */
void		 peer_transition(struct peer *, enum peer_state);

/* Frees everything the peer holds (not the struct itself, which is lws's). */
void		 peer_clear(struct peer *);

/*
 * The server's peers by delivery key (p->key, set before a peer is added):
 * the few a commit gave deliveries to are found without walking every
 * connection (a relay holds thousands). A peer is in it from its
 * session's open to its close, whatever its state: callers check it.
 */
#define PEER_INDEX_BUCKETS	4096
struct peer_index {
	struct peer	**bucket;	/* PEER_INDEX_BUCKETS, on first add */
};
void		 peer_index_add(struct peer_index *, struct peer *);
void		 peer_index_remove(struct peer_index *, struct peer *);
/* The next peer of key after `after` (NULL: the first), or NULL. */
struct peer	*peer_index_next(const struct peer_index *, const char *key,
		    const struct peer *after);
void		 peer_index_free(struct peer_index *);	/* the buckets */

#endif
