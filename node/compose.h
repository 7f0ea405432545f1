/*
 * compose: the messages this node writes and signs itself: receipts
 * (DELIVERED by the daemon, ACKNOWLEDGED by `ack`, DONE by `done`),
 * incident reports (`send`, `update`, `close`) and advisories (`advise`). A composed message keeps the Message it
 * signed (for store_outbox_add, which reads its fields) and the sealed
 * Envelope bytes with their digest.
 */
#ifndef KAIRAN_NODE_COMPOSE_H
#define KAIRAN_NODE_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/envelope.h"
#include "kairan/kairan.h"
#include "kairan/message.h"

struct composed {
	Message		 msg;		/* points into the fields below */
	Receipt		 receipt;
	uint8_t		 id[KAIRAN_ID_LEN];
	char		 sender[KAIRAN_ENTITY_MAX + 1];
	char		 to[KAIRAN_ENTITY_MAX + 1];
	char		*rcpt[1];
	uint8_t		*env;		/* sealed Envelope, malloc'd */
	size_t		 envlen;
	uint8_t		 digest[KAIRAN_DIGEST_LEN];
};

/*
 * A receipt from us (signer) about message id `ref_id` of `ref_sender`,
 * whose envelope digest is ref_digest: state DELIVERED, ACKNOWLEDGED
 * (by, note) or DONE (by, note; advisories), same status as the referenced message (an exercise's
 * receipts are exercise too). Returns 0 (c filled; compose_clear) or -1.
 */
int	compose_receipt(struct composed *c, struct signer *s,
	    const char *ref_sender, const uint8_t ref_id[KAIRAN_ID_LEN],
	    const uint8_t ref_digest[KAIRAN_DIGEST_LEN], int status, int state,
	    const char *by, const char *note, char *err, size_t errlen);

/*
 * Seals a report or an advisory: fills m->id (fresh), m->sender (the signer),
 * m->created_at_ms (now) and validates m before signing. m->recipients,
 * m->status and m->report are the caller's. On success *env (malloc'd,
 * caller frees), *envlen and digest are set. Returns 0 or -1 with err
 * naming the field.
 */
int	compose_seal(struct signer *s, Message *m, uint8_t id[KAIRAN_ID_LEN],
	    char sender[KAIRAN_ENTITY_MAX + 1], uint8_t **env, size_t *envlen,
	    uint8_t digest[KAIRAN_DIGEST_LEN], char *err, size_t errlen);

void	compose_clear(struct composed *);

#endif
