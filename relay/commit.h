/*
 * commit: the relay's grouped commits. Envelopes verified by frames.c and
 * deliveries ended by a recipient's answer wait in the batch; one libev
 * timer pass later they are committed in one transaction (one fsync for a
 * burst): messages, deliveries and relay-signed REJECTED receipts
 * (routing.c), receipts, the audit rows. Only then are the Accepted frames
 * queued; a failed commit answers OVERLOADED and keeps the ended
 * deliveries for the next one.
 */
#ifndef KAIRAN_RELAY_COMMIT_H
#define KAIRAN_RELAY_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "kairan/envelope.h"

#include "store.h"

struct peer;
struct server;

/* Takes info->msg (info->msg is NULL after) and a copy of env into the batch. */
void	commit_add(struct peer *, struct envelope_info *info,
	    const Envelope *env);
/* The delivery of id to the peer's entity ended (DONE or REFUSED, detail). */
void	commit_end_delivery(struct peer *, const uint8_t *id,
	    enum delivery_state, const char *detail);
/* Arms the commit timer (COMMIT_DELAY) if it is not armed. */
void	commit_soon(struct server *);
/* The commit timer's callback; also called directly at stop. */
void	commit_timer_cb(struct ev_loop *, ev_timer *, int);
/* p is gone: its batched envelopes are still committed, unanswered. */
void	commit_forget_peer(struct server *, struct peer *);
/* Frees what is batched (at exit, nothing is committed). */
void	commit_clear(struct server *);

#endif
