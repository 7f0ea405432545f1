/*
 * refcache: the stored messages that receipts refer to, decoded once.
 *
 * Every receipt a relay holds the report of is checked against it
 * (frames.c check_receipt: its sender, its recipients, its digest). A
 * national broadcast's 1,788 DELIVERED receipts all name one report, and
 * each took it from the store and decoded its Envelope and its Message of
 * 1,788 recipients again, then searched them one by one: a third of the
 * relay's CPU in the broadcast, quadratic in the recipients. A stored
 * message never changes (the store deletes none), so the last
 * REFCACHE_MAX messages looked at are kept decoded, with their recipients
 * sorted for a binary search. Loop thread only.
 */
#ifndef KAIRAN_RELAY_REFCACHE_H
#define KAIRAN_RELAY_REFCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan/message.h"

#define REFCACHE_MAX	8

struct store;
struct refcache;

/* A message as check_receipt needs it; borrowed from the cache. */
struct ref {
	const Message	*msg;		/* decoded, not validated again */
	uint8_t		 digest[KAIRAN_DIGEST_LEN];	/* as stored */
};

struct refcache	*refcache_new(void);
void		 refcache_free(struct refcache *);	/* NULL is a no-op */

/*
 * The stored message id (KAIRAN_ID_LEN bytes): 1 with *out set (valid
 * until the next refcache_get), 0 if the store does not hold it, -1 if
 * the store failed (err says why). A stored envelope that does not decode
 * is a broken invariant (fatalx): the relay stored only what it verified.
 */
int		 refcache_get(struct refcache *, struct store *,
		    const uint8_t *id, const struct ref **out, char *err,
		    size_t errlen);

/* Whether entity is one of ref's message's recipients (binary search). */
int		 refcache_has_recipient(const struct ref *, const char *entity);

#endif
