/*
 * store_imail: the internal mail (table internal_mail, schema 8): per
 * (message of ours, internal addressee) the mail to the municipality's
 * own chain, planned with the message and sent by mailout.c.
 */
#ifndef KAIRAN_NODE_STORE_IMAIL_H
#define KAIRAN_NODE_STORE_IMAIL_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan/message.h"

struct store;
struct config_addressee;

/*
 * The internal addressees (config.h), copied: from now on every report
 * (and advisory) store_outbox_insert writes gets, in its own transaction, one
 * internal_mail row per addressee whose levels take the report's level
 * (an advisory: per addressee with advisories), pending, due at once.
 * 0, or -1 with err (out of memory; the old list stays).
 */
int	store_imail_set(struct store *, const struct config_addressee *,
	    size_t n, char *err, size_t errlen);

enum store_imail_state {
	STORE_IMAIL_PENDING = 0,
	STORE_IMAIL_SENT = 1,
	STORE_IMAIL_FAILED = 2,
};

/* One internal mail row. */
struct store_imail {
	int64_t		 seq;
	uint8_t		 id[KAIRAN_ID_LEN];	/* the message of ours */
	char		*role;
	char		*address;
	int		 state;			/* enum store_imail_state */
	int		 attempts;		/* ended so far */
	long		 code;			/* last SMTP code; -1: none yet */
	char		*reply;			/* last reply text; may be NULL */
	int64_t		 due_ms;		/* next attempt (pending) */
	int64_t		 at_ms;			/* last attempt's end; 0: none */
	uint8_t		*env;			/* store_imail_due only */
	size_t		 envlen;
};

/*
 * At most max pending rows due at now_ms, earliest first, each with its
 * message's Envelope bytes. 0 with *rows (free with store_imail_free) and
 * *n, or -1 with err.
 */
int	store_imail_due(struct store *, int64_t now_ms, size_t max,
	    struct store_imail **rows, size_t *n, char *err, size_t errlen);
/* The earliest due_ms of a pending row: 1 with *due_ms, 0 none, -1. */
int	store_imail_next(struct store *, int64_t *due_ms, char *err,
	    size_t errlen);
/*
 * Pending row seq is being tried: not due again before until_ms (past
 * the attempt's timeout), so that nobody starts it twice. 0, or -1.
 */
int	store_imail_claim(struct store *, int64_t seq, int64_t until_ms,
	    char *err, size_t errlen);
/*
 * The end of an attempt on pending row seq: its new state, attempts so
 * far, the SMTP code (0: no reply) and reply, the next due time (pending)
 * and now. A row no longer pending is left as it is. 0, or -1 with err.
 */
int	store_imail_result(struct store *, int64_t seq, int state,
	    int attempts, long code, const char *reply, int64_t due_ms,
	    int64_t now_ms, char *err, size_t errlen);
/* The rows of message id, in the order written (no envelopes). 0 or -1. */
int	store_imail_list(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    struct store_imail **rows, size_t *n, char *err, size_t errlen);
void	store_imail_free(struct store_imail *, size_t n);

/* ---- for the store modules only ---- */

/*
 * Inside store_outbox_insert's transaction: the internal mail rows of
 * message m of ours (r: its report, NULL for an advisory), one per
 * addressee whose levels take r's level (or who takes advisories), due
 * at once. 0, or -1 with err.
 */
int	store_imail_plan(struct store *, const Message *m,
	    const IncidentReport *r, char *err, size_t errlen);

#endif
