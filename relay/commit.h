/*
 * commit: the relay's grouped commits. Envelopes verified by frames.c and
 * deliveries ended by a recipient's answer wait in the batch; when the
 * loop has read what was readable (ev_prepare) they are committed in one
 * transaction: messages, deliveries and relay-signed REJECTED receipts
 * (routing.c), receipts, the audit rows; the WAL's fsync runs on
 * walsync's thread while the loop reads and verifies the next batch (at
 * most one batch syncing, the next gathering). Only after the fsync are
 * the Accepted frames queued and the batch's messages delivered; a failed
 * commit answers OVERLOADED and keeps the ended deliveries for the next
 * one.
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
/* The batch is committed at the end of this loop pass (or after its sync). */
void	commit_soon(struct server *);
/* s->commit_prepare's callback: commits unless a sync is in flight. */
void	commit_prepare_cb(struct ev_loop *, ev_prepare *, int);
/* s->commit_timer's callback: a retry after a failed commit. */
void	commit_timer_cb(struct ev_loop *, ev_timer *, int);
/* walsync's callback (arg: the server): a sync ended, its batch answered. */
void	commit_synced_cb(void *arg);
/* At stop: everything batched committed, synced and answered, waiting. */
void	commit_flush(struct server *);
/* p is gone: its batched envelopes are still committed, unanswered. */
void	commit_forget_peer(struct server *, struct peer *);
/* Frees what is batched (at exit, nothing is committed). */
void	commit_clear(struct server *);

#endif
