/*
 * store_inbox: what we received (table inbox): a verified report or
 * advisory with our DELIVERED receipt, our answers to it (受理確認, 対応済),
 * the inbox list.
 */
#ifndef KAIRAN_NODE_STORE_INBOX_H
#define KAIRAN_NODE_STORE_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan/message.h"

#include "store_msg.h"
#include "store_outbox.h"

struct store;

/*
 * Stores a verified report m (Envelope bytes env, digest) received on
 * route, and in the SAME transaction our DELIVERED receipt for it, which
 * seal (if not NULL) signs only once the report is known to be new, so
 * that a crash can never store one without the other and a duplicate is
 * never answered with a second receipt. If the id is already in the
 * inbox, nothing is signed or written and *dup is set to 1 (the caller
 * answers Accepted again).
 */
int	store_inbox_add(struct store *, const Message *m, const uint8_t *env,
	    size_t envlen, const uint8_t digest[KAIRAN_DIGEST_LEN],
	    const char *route, int64_t now_ms, store_seal_fn seal, void *arg,
	    int *dup, char *err, size_t errlen);

/*
 * A person's acknowledgement of inbox message id: stores our signed
 * ACKNOWLEDGED receipt (rm, renv, rdigest) in the outbox and marks the
 * inbox row acknowledged (by, note, now), one transaction. If it was
 * already acknowledged nothing is written and *already is set to 1.
 */
int	store_inbox_ack(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *by, const char *note, int64_t now_ms, const Message *rm,
	    const uint8_t *renv, size_t renvlen,
	    const uint8_t rdigest[KAIRAN_DIGEST_LEN], int *already, char *err,
	    size_t errlen);

/*
 * 対応済 of inbox advisory id: stores our signed DONE receipt (rm, renv,
 * rdigest) in the outbox and marks the inbox row done (by, note, now),
 * one transaction. An inbox report is refused (err says to use ack);
 * if it was already done nothing is written and *already is set to 1.
 */
int	store_inbox_done(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *by, const char *note, int64_t now_ms, const Message *rm,
	    const uint8_t *renv, size_t renvlen,
	    const uint8_t rdigest[KAIRAN_DIGEST_LEN], int *already, char *err,
	    size_t errlen);

/*
 * Inbox reports, newest first: with all, every one; otherwise every
 * unacknowledged one plus the `recent` most recently received
 * acknowledged ones. Returns count or -1.
 */
long	store_inbox_list(struct store *, int all, int recent,
	    struct store_msg **out, char *err, size_t errlen);

#endif
