/*
 * store: the node's SQLite database, shared by the daemon and the command
 * line (each opens its own connection; WAL lets one write while the other
 * reads, busy_timeout makes writers wait for each other).
 *
 * outbox      every message this node signed (reports, advisories and
 *             receipts), as
 *             the exact Envelope bytes, in the order written (seq);
 * outbox_route per (message, route): accepted_at, or the final refusal;
 * recipient   per (report, recipient): held at its home relay (which,
 *             since when) / delivered / acknowledged (by whom) / rejected
 *             (why), filled from the receipts that come back;
 * inbox       every verified report or advisory received, once per
 *             message id;
 * receipt_in  every verified receipt received, once per id, marked
 *             whether it matched a message of ours;
 * route_state per route: connected or not, since when, why not (written
 *             by the daemon on each route transition, for `status`).
 *
 * Schema version 6 (PRAGMA user_version; older databases are migrated
 * in place): UNIQUE(incident, report_no) for our reports, the phase of
 * every report, route_state (2); recipient.required, the policy rules that
 * required a recipient of ours (3; NULL: not required, and for every row
 * written before); recipient.held_by and held_ms, the home relay holding
 * a report of ours for that recipient (4; NULL: no QUEUED receipt);
 * recipient.overdue_by and overdue_ms (5); advisories (6): outbox kind
 * 3, inbox.kind (1 report, 3 advisory) and 対応済 (done_ms, done_by,
 * done_note) in inbox and recipient; recipient.mailed_* and
 * phone_confirm (7); internal_mail (8): per (message of ours, internal
 * addressee) the mail to the municipality's own chain (mailout.h).
 *
 * All times are Unix milliseconds. Functions return 0 (or a count), or -1
 * with err; nothing is half-written: each call that writes is one
 * transaction.
 */
#ifndef KAIRAN_NODE_STORE_H
#define KAIRAN_NODE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/identity.h"
#include "kairan/kairan.h"
#include "kairan/message.h"

#define STORE_SCHEMA_VERSION	8
/*
 * The daemon's busy_timeout: it must never wait seconds on a lock held
 * by a command line process (its event loop stops while it waits). A
 * write that fails on it leaves nothing half-done and is answered so that
 * the peer sends again (Refused OVERLOADED), see daemon.c.
 */
#define STORE_DAEMON_BUSY_MS	100

struct store;
struct config_addressee;

/*
 * Opens (creating and migrating if needed) the database at path. Sets WAL,
 * synchronous=FULL, foreign keys, busy_timeout. Returns a store (close with
 * store_close) or NULL with err.
 */
struct store	*store_open(const char *path, char *err, size_t errlen);
void		 store_close(struct store *);	/* NULL is a no-op */
/* How long a write waits for another connection's lock (default 10 s). */
void		 store_set_busy_timeout(struct store *, int ms);
/* 1 if the last failed call failed on a lock (SQLITE_BUSY): try again. */
int		 store_busy(const struct store *);
/* PRAGMA user_version of the open database. */
int		 store_schema_version(struct store *);
/*
 * PRAGMA data_version: changes when another connection commits. Lets
 * `status --wait` skip re-reading when nothing happened. -1 on error.
 */
long long	 store_data_version(struct store *);

/* ---- outbox (what we signed) ---- */

/*
 * What a seal callback is told about the incident, inside the write
 * transaction: its highest-numbered report so far (found 0: none), whose
 * envelope stays valid during the callback only.
 */
struct store_last {
	int		 found;
	uint32_t	 report_no;
	int		 status;
	const uint8_t	*env;
	size_t		 envlen;
};

/*
 * A message the callback signed: it stays the callback's to free.
 * required (reports; may be NULL) runs parallel to m->recipients: the
 * policy rules that required each recipient ("a,b"), NULL for one that
 * none did (policy.h).
 */
struct store_sealed {
	const Message	*m;
	const uint8_t	*env;
	size_t		 envlen;
	const uint8_t	*digest;
	const char *const *required;
};

/*
 * Called inside a write transaction (last is NULL for store_inbox_add):
 * signs the message to insert and describes it in *out. Returns 0, or -1
 * with err: then nothing is written.
 */
typedef int	(*store_seal_fn)(void *arg, const struct store_last *last,
		    struct store_sealed *out, char *err, size_t errlen);

/*
 * The next report of an incident of ours, numbered in the same write
 * transaction: reads the incident's last report, calls seal (which picks
 * report_no = last.report_no + 1, checks the phase transition and signs),
 * inserts it like store_outbox_add and commits. Two processes never get
 * the same number: the second waits for the first's commit (BEGIN
 * IMMEDIATE) and UNIQUE(incident, report_no) backs it up.
 */
int	store_report_add(struct store *, const uint8_t incident[KAIRAN_ID_LEN],
	    store_seal_fn seal, void *arg, char *err, size_t errlen);

/*
 * Adds a sealed message of ours: m (already validated, report or receipt),
 * its Envelope bytes and digest. For a report, one recipient row per
 * m->recipients. Same id twice: error. One transaction.
 */
int	store_outbox_add(struct store *, const Message *m, const uint8_t *env,
	    size_t envlen, const uint8_t digest[KAIRAN_DIGEST_LEN], char *err,
	    size_t errlen);

/*
 * For the sender of route: the first outbox message after seq `after` that
 * route has neither accepted nor finally refused. Returns 1 with *seq, id,
 * *env (malloc'd, caller frees) and *envlen; 0 if there is none; -1.
 */
int	store_outbox_next(struct store *, const char *route, int64_t after,
	    int64_t *seq, uint8_t id[KAIRAN_ID_LEN], uint8_t **env,
	    size_t *envlen, char *err, size_t errlen);
/* Number of outbox messages route has not answered (for logs). -1 on error. */
long long store_outbox_unanswered(struct store *, const char *route);

/*
 * Route answers. Unknown id: nothing happens, returns 0 (it may have come
 * from another database). Accepted keeps the first time; Refused records
 * reason and detail (OVERLOADED is not final and must not be recorded).
 */
int	store_route_accepted(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *route, int64_t now_ms, char *err, size_t errlen);
int	store_route_refused(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *route, int reason, const char *detail, int64_t now_ms,
	    char *err, size_t errlen);

/* ---- inbox (what we received) ---- */

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
 * A phone confirmation of report id of ours by recipient entity (`kairan-
 * node confirm`): by and note as the sender wrote them, at now_ms; its
 * own transaction. Returns 1 recorded, 0 with err if id is no report of
 * ours or entity is not one of its recipients (nothing written), -1.
 */
int	store_confirm_add(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *entity, const char *by, const char *note,
	    int64_t now_ms, char *err, size_t errlen);

/* ---- reading, for the command line ---- */

enum store_dir { STORE_IN = 1, STORE_OUT = 2 };

struct store_msg {
	enum store_dir	 dir;
	int64_t		 seq;
	uint8_t		 id[KAIRAN_ID_LEN];
	int		 is_report;
	int		 is_advisory;		/* an advisory (outbox kind 3) */
	uint8_t		 incident[KAIRAN_ID_LEN];	/* reports */
	uint32_t	 report_no;
	int		 phase;			/* IncidentReport.phase; 0: v1 row */
	int		 status;		/* Status enum */
	char		 sender[KAIRAN_ENTITY_MAX + 1];	/* inbox */
	int64_t		 created_ms;
	int64_t		 received_ms;		/* inbox */
	char		*route;			/* inbox: first route seen */
	int64_t		 ack_ms;		/* inbox: 0 = not acknowledged */
	char		*ack_by;
	char		*ack_note;
	int64_t		 done_ms;		/* inbox advisory: 0 = not 対応済 */
	char		*done_by;
	char		*done_note;
	uint8_t		*env;
	size_t		 envlen;
	uint8_t		 digest[KAIRAN_DIGEST_LEN];
};

void	store_msg_clear(struct store_msg *);
void	store_msgs_free(struct store_msg *, size_t n);	/* NULL is a no-op */

/* One message by id in dir. Returns 1 found, 0 not, -1 error. */
int	store_get(struct store *, enum store_dir, const uint8_t id[KAIRAN_ID_LEN],
	    struct store_msg *out, char *err, size_t errlen);
/* Reports of an incident in dir, by report_no then seq. Returns count or -1. */
long	store_incident(struct store *, enum store_dir,
	    const uint8_t incident[KAIRAN_ID_LEN], struct store_msg **out,
	    char *err, size_t errlen);
/*
 * Inbox reports, newest first: with all, every one; otherwise every
 * unacknowledged one plus the `recent` most recently received
 * acknowledged ones. Returns count or -1.
 */
long	store_inbox_list(struct store *, int all, int recent,
	    struct store_msg **out, char *err, size_t errlen);
/*
 * Distinct recipients of every report of an incident of ours, sorted.
 * Returns count (array of malloc'd strings, free with
 * directory_list_free-style store_strings_free) or -1.
 */
long	store_incident_recipients(struct store *,
	    const uint8_t incident[KAIRAN_ID_LEN], char ***out, char *err,
	    size_t errlen);
void	store_strings_free(char **, size_t n);

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

/* ---- the daemon's routes, for `status` ---- */

struct store_route_conn {
	int	 connected;
	int64_t	 since_ms;
	char	*reason;	/* why not connected (NULL if connected) */
	long	 pid;		/* the daemon that wrote it */
};

/* Records route's state (one short autocommit statement). 0 or -1. */
int	store_route_conn_set(struct store *, const char *route, int connected,
	    int64_t since_ms, const char *reason, long pid, char *err,
	    size_t errlen);
/* 1 found, 0 never recorded, -1. Clear with store_route_conn_clear. */
int	store_route_conn_get(struct store *, const char *route,
	    struct store_route_conn *out, char *err, size_t errlen);
void	store_route_conn_clear(struct store_route_conn *);

/* ---- ids by prefix ---- */

#define STORE_ID_IN_MSG		0x1	/* a received message */
#define STORE_ID_IN_INC		0x2	/* an incident we received reports of */
#define STORE_ID_OUT_MSG	0x4	/* a message of ours */
#define STORE_ID_OUT_INC	0x8	/* an incident of ours */
#define STORE_ID_ANY		0xf

/*
 * Every id of the kinds in `what` whose hex starts with prefix (hex
 * digits, either case), sorted, each with the STORE_ID_* bits it was
 * found as in (*kinds)[i]. Returns the count (arrays malloc'd, caller
 * frees both), or -1.
 */
long	store_id_prefix(struct store *, const char *prefix, unsigned what,
	    uint8_t (**out)[KAIRAN_ID_LEN], unsigned **kinds, char *err,
	    size_t errlen);

/* ---- what we sent ---- */

struct store_sent {
	struct store_msg msg;		/* a report or advisory of ours */
	long		 total;
	long		 delivered;	/* delivered or acknowledged (or done) */
	long		 acknowledged;	/* acknowledged or done */
	long		 rejected;	/* rejected and not delivered */
	long		 overdue;	/* past the deadline, not acknowledged */
	long		 done;		/* 対応済 (advisories) */
	long		 mailed;	/* mailed, not delivered or acknowledged */
	long		 unconfirmed;	/* of those, no phone confirmation */
	long		 imail;		/* internal mails (mailout.h) */
	long		 imail_sent, imail_failed;
};

/*
 * Our reports, incidents with the latest activity first, each incident's
 * reports newest first. Count or -1; free with store_sent_free.
 */
long	store_sent_list(struct store *, struct store_sent **out, char *err,
	    size_t errlen);
/* Our advisories, newest first, counted the same way (done: 対応済). */
long	store_sent_advisories(struct store *, struct store_sent **out,
	    char *err, size_t errlen);
void	store_sent_free(struct store_sent *, size_t n);

/*
 * The withdrawal (report of phase WITHDRAWN) of incident in dir, if any:
 * 1 with *out (store_msg_clear), 0 none, -1.
 */
int	store_withdrawal(struct store *, enum store_dir,
	    const uint8_t incident[KAIRAN_ID_LEN], struct store_msg *out,
	    char *err, size_t errlen);

/* ---- internal mail (mailout.h) ---- */

/*
 * The internal addressees (config.h), copied: from now on every report
 * (and advisory) outbox_insert writes gets, in its own transaction, one
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

#endif
