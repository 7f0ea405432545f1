/*
 * deliver: what the relay writes to each peer, from its WRITEABLE
 * callback: control frames first (Hello, Accepted, Refused), then pending
 * deliveries from the store in acceptance order, at most `window` in
 * flight, never one twice; and the back-pressure on a peer that does not
 * read its answers (rx paused at 4 x window queued, outside lws).
 */
#ifndef KAIRAN_RELAY_DELIVER_H
#define KAIRAN_RELAY_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

struct peer;
struct server;

/* Asks lws for a WRITEABLE callback of p. */
void	deliver_wake(struct peer *);
/* Pauses reading p (outside lws, from deliver_pause_cb) if too much waits. */
void	deliver_maybe_pause(struct peer *);
void	deliver_pause_cb(struct ev_loop *, ev_check *, int);
/*
 * Queues Refused for id (idlen 0: none) with reason and detail, logs why;
 * with close, the connection ends after writing it.
 */
void	deliver_refuse(struct peer *, const uint8_t *id, size_t idlen,
	    int reason, const char *detail, int close);
/* Timers: the retry after OVERLOADED, the resend of unanswered deliveries. */
void	deliver_retry_cb(struct ev_loop *, ev_timer *, int);
void	deliver_resend_cb(struct ev_loop *, ev_timer *, int);
/* 1 if all that was written to p has left (lws and the socket). */
int	deliver_flushed(struct peer *);
/* The bytes written to p still in its socket, not read by the peer yet. */
size_t	deliver_unread(struct peer *);
/*
 * The WRITEABLE callback: what is queued, in order (an accepted
 * connection gets up to 32 KB of frames in one write); -1 to close it.
 */
int	deliver_writeable(struct peer *);
/* Frees the frames kept of the last messages delivered (none: a no-op). */
void	deliver_frames_free(struct server *);

#endif
