/*
 * conn: the bookkeeping of one kairan.v1 connection that both programs
 * need, apart from libwebsockets (so it builds, fuzzes and tests without
 * it): the reassembly of one WebSocket message, bounded before anything
 * is parsed; the queue of control frames waiting to be written (Hello,
 * Accepted, Refused, which go before any envelope); and the window of
 * envelopes in flight, with the cursor into the sender's queue, so that a
 * rewind (after OVERLOADED, a sweep, a resend) never sends again what is
 * still in flight. The relay's peers and the node's routes each keep one
 * of each per connection.
 */
#ifndef KAIRAN_CONN_H
#define KAIRAN_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"

/* One message being reassembled from its fragments. */
struct conn_rx {
	uint8_t		*buf;
	size_t		 len, cap;
};

/*
 * Appends len bytes of a fragment. Returns 0, or -1 (nothing appended)
 * if the message would exceed max bytes.
 */
int	conn_rx_append(struct conn_rx *, const void *in, size_t len,
	    size_t max);
/* The message was handled: empty again; a big buffer is given back. */
void	conn_rx_reset(struct conn_rx *);
void	conn_rx_free(struct conn_rx *);

/* A frame to write: headroom (LWS_PRE) then len bytes of frame. */
struct conn_frame {
	struct conn_frame	*next;
	uint8_t			*buf;
	size_t			 len;
};

struct conn_ctl {
	struct conn_frame	*head, *tail;
	size_t			 n;
};

/* Queues a frame (takes buf, made with the writer's headroom). */
void	conn_ctl_push(struct conn_ctl *, uint8_t *buf, size_t len);
/* The first queued frame, removed (free with conn_frame_free), or NULL. */
struct conn_frame *conn_ctl_pop(struct conn_ctl *);
void	conn_frame_free(struct conn_frame *);	/* NULL is a no-op */
void	conn_ctl_clear(struct conn_ctl *);

struct conn_flight_entry {
	int64_t		 seq;		/* in the sender's queue */
	uint8_t		 id[KAIRAN_ID_LEN];
	double		 sent_at;	/* loop time, seconds */
};

struct conn_flight {
	struct conn_flight_entry *v;	/* window entries */
	unsigned	 n, window;
	int64_t		 cursor;	/* last seq of the queue looked at */
};

/* An empty window of `window` entries (allocated on first use). */
void	conn_flight_init(struct conn_flight *, unsigned window);
/* A new connection: nothing in flight, the queue from its start. */
void	conn_flight_clear(struct conn_flight *);
void	conn_flight_free(struct conn_flight *);
int	conn_flight_full(const struct conn_flight *);
/* 0, or -1 if the window is full or id is already in flight. */
int	conn_flight_add(struct conn_flight *, int64_t seq,
	    const uint8_t id[KAIRAN_ID_LEN], double now);
int	conn_flight_has(const struct conn_flight *,
	    const uint8_t id[KAIRAN_ID_LEN]);
/* Removes id: 1 (with *seq if not NULL), or 0 if it was not in flight. */
int	conn_flight_remove(struct conn_flight *,
	    const uint8_t id[KAIRAN_ID_LEN], int64_t *seq);
/* The cursor goes back to just before seq (if it is past it). */
void	conn_flight_rewind(struct conn_flight *, int64_t seq);
/*
 * If an entry has been in flight since before `before`, forgets every one
 * and moves the cursor back before the oldest, so that all are written
 * again in order. Returns 1 if it did, 0 if nothing was that old.
 */
int	conn_flight_expire(struct conn_flight *, double before);

#endif
