/*
 * audit: the relay's tamper-evident log (DESIGN.md §7). Each row of the
 * audit table (kept by storedb.c) carries hash = SHA-256 over the previous
 * row's hash and this row's fields, so altering, removing or reordering
 * any row breaks every hash after it. This module is the hash; the rows
 * live in the store.
 */
#ifndef KAIRAN_RELAY_AUDIT_H
#define KAIRAN_RELAY_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_LEN	32

struct audit_row {
	int64_t		 seq;
	int64_t		 at;		/* Unix ms */
	const char	*event;		/* "accepted", "receipt", "rejected" */
	const uint8_t	*message_id;	/* 16 bytes */
	const char	*entity;	/* who it came from */
	const uint8_t	*digest;	/* 32 bytes: SHA-256 of Envelope.message */
	const char	*detail;
};

/*
 * out = SHA-256(prev || seq (8 bytes, big-endian) || at (8) || event NUL ||
 * message_id (16) || entity NUL || digest (32) || detail NUL).
 * prev is 32 zero bytes for the first row. Returns 0 or -1.
 */
int	audit_hash(const uint8_t prev[AUDIT_HASH_LEN], const struct audit_row *,
	    uint8_t out[AUDIT_HASH_LEN]);

#endif
