/*
 * store_status: the receipt state of one message of ours: each route's
 * answer, each recipient's receipts and phone confirmations (status.c
 * makes the matrix of it).
 */
#ifndef KAIRAN_NODE_STORE_STATUS_H
#define KAIRAN_NODE_STORE_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"

struct store;

struct store_route_state {
	char	*route;
	int64_t	 accepted_ms;	/* 0: not (yet) */
	int	 refused_reason;	/* 0: not refused */
	char	*refused_detail;
};

/* A phone confirmation the sender recorded (`confirm`): never a receipt. */
struct store_phone {
	char	*by;		/* who confirmed, as the sender wrote it */
	char	*note;
	int64_t	 at_ms;		/* when it was recorded */
};

struct store_rcpt_state {
	char	 entity[KAIRAN_ENTITY_MAX + 1];
	int64_t	 delivered_ms;
	int64_t	 acknowledged_ms;
	char	*acknowledged_by;
	char	*ack_note;
	int64_t	 rejected_ms;
	char	*rejected_reason;
	char	*rejected_by;
	char	*required;	/* policy rules that required it; NULL: none */
	char	*held_by;	/* the home relay holding it (QUEUED); NULL */
	int64_t	 held_ms;	/* since when (the relay's signed time); 0 */
	char	*overdue_by;	/* its home relay said: past the deadline */
	int64_t	 overdue_ms;	/* when it said so; 0: not overdue */
	int64_t	 done_ms;	/* 対応済 (an advisory's DONE); 0: not */
	char	*done_by;
	char	*done_note;
	char	*mailed_by;	/* its home relay mailed it (MAILED); NULL */
	int64_t	 mailed_ms;	/* when (the relay's signed time); 0 */
	char	*mailed_note;	/* the relay's note: the address, the reply */
	struct store_phone *phones;	/* phone confirmations, in order */
	size_t	 nphones;
};

struct store_status {
	struct store_route_state *routes;	/* routes that answered */
	size_t			  nroutes;
	struct store_rcpt_state	 *rcpts;	/* in the message's order */
	size_t			  nrcpts;
};

/* Per-route answers and per-recipient state of outbox message id. 1, 0 (no such message), -1. */
int	store_status(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    struct store_status *out, char *err, size_t errlen);
void	store_status_clear(struct store_status *);

#endif
