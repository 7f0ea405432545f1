/*
 * peer: one connected node, as the relay sees it — its identity (from its
 * certificate), its state, what it sent that is not yet a whole frame,
 * the control frames (Hello, Accepted, Refused) waiting to be written, and
 * the deliveries in flight to it.
 *
 *   OPEN ──hello──▶ READY ──(refusal that ends it, reload, shutdown)──▶ CLOSING
 *     └──────────────(refusal)───────────────────────────────────────────▲
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

#include "kairan/identity.h"
#include "kairan/kairan.h"

struct lws;
struct server;

enum peer_state {
	PEER_NEW = 0,		/* zeroed by lws, before ESTABLISHED */
	PEER_OPEN,		/* identified; waiting for its Hello */
	PEER_READY,		/* Hello seen: envelopes both ways */
	PEER_CLOSING,		/* writing its last frames, then closed */
};

struct peer_ctl {
	struct peer_ctl	*next;
	uint8_t		*buf;		/* LWS_PRE headroom, then the frame */
	size_t		 len;		/* of the frame */
};

struct peer_flight {
	int64_t		 seq;
	uint8_t		 id[KAIRAN_ID_LEN];
	double		 sent_at;	/* loop time, seconds */
};

struct peer {
	struct server		*srv;
	struct lws		*wsi;
	struct peer		*prev, *next;	/* the server's list */
	enum peer_state		 state;
	struct identity		 who;
	char			 addr[64];
	X509			*leaf, *issuer;	/* for re-checks on reload */

	uint8_t			*rx;		/* frame being reassembled */
	size_t			 rxlen, rxcap;
	int			 rx_paused;
	int			 rx_pause_wanted;	/* applied outside lws */

	struct peer_ctl		*ctl_head, *ctl_tail;
	size_t			 nctl;

	int64_t			 cursor;	/* last delivery seq written */
	struct peer_flight	*flight;	/* window entries */
	unsigned		 nflight;
	int			 retry_pending;	/* OVERLOADED: cursor rewinds later */
};

const char	*peer_state_name(enum peer_state);
/* The one place a peer changes state; logs old -> new. */
void		 peer_transition(struct peer *, enum peer_state);

/* Queues a control frame (takes buf, made with LWS_PRE headroom). */
void		 peer_ctl_push(struct peer *, uint8_t *buf, size_t len);
/* The first queued control frame, removed; NULL if none. Free with peer_ctl_free. */
struct peer_ctl	*peer_ctl_pop(struct peer *);
void		 peer_ctl_free(struct peer_ctl *);

/* Appends len bytes of a fragment; -1 if the frame would exceed max. */
int		 peer_rx_append(struct peer *, const void *in, size_t len,
		    size_t max);
void		 peer_rx_reset(struct peer *);

/* In-flight deliveries: add (0, or -1 if the window is full), remove by id (1 found, 0 not). */
int		 peer_flight_add(struct peer *, unsigned window, int64_t seq,
		    const uint8_t id[KAIRAN_ID_LEN], double now);
int		 peer_flight_remove(struct peer *, const uint8_t id[KAIRAN_ID_LEN],
		    int64_t *seq);

/*
 * If a delivery has been in flight since before `before`, forgets every
 * one in flight and moves the cursor back so that they are all written
 * again, in order. Returns 1 if it did, 0 if nothing was that old.
 */
int		 peer_flight_expire(struct peer *, double before);

/* Frees everything the peer holds (not the struct itself, which is lws's). */
void		 peer_clear(struct peer *);

#endif
