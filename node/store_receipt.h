/*
 * store_receipt: the receipts that come back (table receipt_in), applied
 * to the recipients of our messages (table recipient).
 */
#ifndef KAIRAN_NODE_STORE_RECEIPT_H
#define KAIRAN_NODE_STORE_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/identity.h"
#include "kairan/message.h"

struct store;

enum store_receipt_result {
	STORE_RECEIPT_MATCHED = 1,	/* applied to a recipient of ours */
	STORE_RECEIPT_UNMATCHED,	/* stored, but refers to nothing of ours */
	STORE_RECEIPT_DUPLICATE,	/* this receipt id was already stored */
};

/*
 * Stores a verified receipt m (signed by signer) and applies it to the
 * referenced outbox message:
 *   DELIVERED / ACKNOWLEDGED: signer must be a recipient of that message;
 *   REJECTED: signer is a relay naming the recipient in receipt.subject,
 *   or the recipient itself;
 *   QUEUED: signer is a relay (role relay; checked before anything is
 *   read, also for a message we do not have) and receipt.held is not
 *   empty; each entry is a recipient of that message (the relay holding
 *   it is its home relay or the one its configuration makes serve it,
 *   PROTOCOL.md §2: not ours to check); each gets held_by = signer and
 *   held_ms = the receipt's created_at_ms, unless it already has a hold
 *   (the first is kept). A hold is recorded whatever the recipient's
 *   state and never moves it backwards (status_of ranks it below
 *   delivered and rejected);
 *   MAILED: signer is a relay (checked before anything is read) naming
 *   in receipt.subject a recipient of that message, which runs no node
 *   and was mailed the report; it gets mailed_by, mailed_ms and
 *   mailed_note (the first kept);
 *   OVERDUE: signer is a relay (checked before anything is read) naming
 *   in receipt.subject a recipient of that message that has not
 *   acknowledged by its deadline; it gets overdue_by = signer and
 *   overdue_ms = the receipt's time, unless it has them (the first kept);
 *   status shows it only while the recipient has not acknowledged;
 *   receipt.ref_digest must equal the stored message's digest.
 * No receipt is ever answered with a receipt: this only stores.
 * A receipt referring to no message of ours is stored, marked unmatched.
 * Returns 0 with *result; or -1 with *reason a Refused reason (the receipt
 * is wrong: nothing stored) and err, or with *reason 0 on a database error.
 */
int	store_receipt_add(struct store *, const Message *m,
	    const struct identity *signer, const uint8_t *env, size_t envlen,
	    const char *route, int64_t now_ms, int *result, int *reason,
	    char *err, size_t errlen);

#endif
