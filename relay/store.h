/*
 * store: the relay's SQLite database — the only place with SQL. One
 * header for the store's modules (store.c the schema and opening,
 * storedb.c the connection, transactions, checkpoints and audit chain,
 * store_message.c, store_console.c, store_mail.c the rows).
 *
 * message   every envelope the relay accepted (or signed itself), once per
 *           Message id, as the exact Envelope bytes, in acceptance order
 *           (seq);
 * delivery  per (message, taker): pending until the taker answers
 *           Accepted (delivered) or Refused. The taker is a recipient's
 *           node (its entity id) or a link to a peer relay ("peer:NAME",
 *           routing.h): a forward is a delivery like any other. A direct
 *           delivery to a node this relay does not serve names the
 *           node's home relay, and is dropped when the node leaves or
 *           the home relay has the message;
 * receipt   every receipt seen, for monitoring;
 * escalation per (report, recipient, step): the steps of the escalation
 *           of an unacknowledged report (escalate.h), each with its
 *           absolute due time; pending until it ran (done), failed, or
 *           the recipient's ACKNOWLEDGED cancelled it;
 * audit     the hash-chained log of everything accepted and every receipt
 *           (audit.h), and of every operator added or deleted;
 * operator  the console's operators (operator.h: argon2id hashes);
 * session   the console's login sessions, with their expiry (for the
 *           console's pages, to come);
 * confirmation  the phone confirmations operators recorded (api.h): one
 *           row each, never changed or deleted, never a receipt;
 * node_seen per node, its last connect and disconnect (events.h), so that
 *           "offline since" survives a restart;
 * mailroute per (report, recipient without a node): the mail of the
 *           report to the recipient's point of contact (mailroute.h),
 *           pending until an SMTP server took it (sent) or it failed.
 *
 * WAL, synchronous=FULL; the server groups a burst of envelopes into one
 * transaction, so one fsync covers a batch: that transaction is begun with
 * store_begin_nosync, and its fsync runs on walsync's thread (walsync.h),
 * as do the WAL checkpoints (store_open_checkpointer).
 * Schema version in PRAGMA user_version, migrated at open.
 */
#ifndef KAIRAN_RELAY_STORE_H
#define KAIRAN_RELAY_STORE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan/message.h"

#include "audit.h"

#define STORE_SCHEMA_VERSION	8

enum delivery_state {
	DELIVERY_PENDING = 0,
	DELIVERY_DONE = 1,
	DELIVERY_REFUSED = 2,
	DELIVERY_DROPPED = 3,	/* a direct delivery no longer needed */
};

/* An escalation step's state: only ever forward, from PENDING. */
enum esc_state {
	ESC_PENDING = 0,
	ESC_DONE = 1,
	ESC_FAILED = 2,
	ESC_CANCELLED = 3,
};

/* A step that is due, with its report's Envelope bytes. */
struct store_esc_step {
	int64_t		 row;
	uint8_t		 id[KAIRAN_ID_LEN];	/* the report's */
	uint8_t		*env;			/* malloc'd */
	size_t		 envlen;
	char		 recipient[KAIRAN_ENTITY_MAX + 1];
	int		 step;			/* 0 overdue, k >= 1 the k-th mail */
	unsigned	 level;
	int64_t		 deadline_ms;
	int		 attempts;		/* before this one */
	int64_t		 due_ms;
};

/* A mail of the mail route: only ever forward, from PENDING. */
enum mailroute_state {
	MAILROUTE_PENDING = 0,
	MAILROUTE_SENT = 1,
	MAILROUTE_FAILED = 2,
};

/* A mail that is due, with its report's Envelope bytes. */
struct store_mail_row {
	int64_t		 row;
	uint8_t		 id[KAIRAN_ID_LEN];		/* the report's */
	uint8_t		 digest[KAIRAN_DIGEST_LEN];
	uint8_t		*env;				/* malloc'd */
	size_t		 envlen;
	char		 recipient[KAIRAN_ENTITY_MAX + 1];
	char		 address[320];
	int		 attempts;			/* before this one */
};

struct store;

/* Opens (creating, migrating) path. NULL with err on failure. */
struct store	*store_open(const char *path, char *err, size_t errlen);
/*
 * Opens an existing database read-only, migrating nothing (for `audit
 * verify`): NULL with err if it is missing or of a schema this relay does
 * not know.
 */
struct store	*store_open_readonly(const char *path, char *err,
		    size_t errlen);
/*
 * For `-n`, which only reads: 0 if path is a database this relay can
 * use (or does not exist yet, in a directory that does), else -1 with err.
 */
int		 store_check(const char *path, char *err, size_t errlen);
void		 store_close(struct store *);	/* NULL is a no-op */

int	store_begin(struct store *, char *err, size_t errlen);
int	store_commit(struct store *, char *err, size_t errlen);
void	store_rollback(struct store *);
/*
 * Like store_begin, but the store_commit that ends it does not fsync: the
 * transaction is then in the WAL, and nothing of it may be told to anyone
 * before walsync has synced the WAL.
 */
int	store_begin_nosync(struct store *, char *err, size_t errlen);
/* The highest message seq committed (0 if none). */
int64_t	store_last_seq(struct store *);
/*
 * Turns this connection's WAL checkpoints off: walsync's thread runs them.
 * From then on store_wal_bytes says how much the WAL holds after this
 * connection's last commit (its frames since the WAL last started over,
 * not the file's size: the file keeps its largest size, and is made that
 * large beforehand, walsync_new).
 */
int	store_checkpoint_elsewhere(struct store *, char *err, size_t errlen);
size_t	store_wal_bytes(const struct store *);
/*
 * Makes the WAL file at walpath at least bytes long (zeros past its end,
 * synced; under the write lock), so that commits overwrite instead of
 * extending it. 0, or -1 with err (only speed is lost).
 */
int	store_wal_presize(struct store *, const char *walpath, off_t bytes,
	    char *err, size_t errlen);
/*
 * A bare second connection to path, for store_checkpoint only (walsync's
 * thread: one connection per thread). Close with store_close.
 */
struct store *store_open_checkpointer(const char *path, char *err,
	    size_t errlen);
/*
 * A PASSIVE checkpoint of the WAL (never blocks the writer): the number of
 * WAL frames now in the database (0 if none, or busy), or -1.
 */
int	store_checkpoint(struct store *, char *err, size_t errlen);

/* message.body of m: "report", "receipt" or "advisory" (also for logs and /metrics). */
const char *store_body_name(const Message *m);

/*
 * Inside a transaction: adds a verified message (m decoded from env, its
 * digest, submitted by `from`) and its audit row. *dup = 1 if the id was
 * already stored (nothing is written then). *seq receives its sequence.
 */
int	store_message_add(struct store *, const Message *m, const uint8_t *env,
	    size_t envlen, const uint8_t digest[KAIRAN_DIGEST_LEN],
	    const char *from, int64_t now_ms, int *dup, int64_t *seq,
	    char *err, size_t errlen);
/*
 * Inside a transaction: a pending delivery of message seq to recipient (a
 * delivery key, routing.h); home non-NULL for a direct one to a node whose
 * home relay is home. A delivery that exists already is left as it is.
 */
int	store_delivery_add(struct store *, int64_t seq, const char *recipient,
	    const char *home, char *err, size_t errlen);
/*
 * Drops the pending direct deliveries: to recipient (its node left), of
 * message id whose home relay is home (it has the message), or all of
 * them (at start: no node is connected yet). The number dropped, or -1.
 */
int	store_direct_gone(struct store *, const char *recipient,
	    int64_t now_ms, char *err, size_t errlen);
int	store_direct_home(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *home, int64_t now_ms, char *err, size_t errlen);
int	store_direct_all(struct store *, int64_t now_ms, char *err,
	    size_t errlen);
/* Inside a transaction: records receipt message m (stored as seq) and its audit row. */
int	store_receipt_add(struct store *, int64_t seq, const Message *m,
	    const uint8_t digest[KAIRAN_DIGEST_LEN], int64_t now_ms, char *err,
	    size_t errlen);
/*
 * Ends the delivery of message id to recipient (DONE or REFUSED with
 * detail). Its own statement; call inside a transaction to group.
 * Returns 1 if a pending delivery changed, 0 if none, -1 on error.
 */
int	store_delivery_end(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *recipient, enum delivery_state, const char *detail,
	    int64_t now_ms, char *err, size_t errlen);

/*
 * The first pending delivery to recipient with seq > after. Returns 1 and
 * fills seq and id, 0 if none, -1 on error.
 */
int	store_next_delivery(struct store *, const char *recipient,
	    int64_t after, int64_t *seq, uint8_t id[KAIRAN_ID_LEN],
	    char *err, size_t errlen);
/*
 * The envelope of the message seq: 1 with *env (malloc'd, caller frees)
 * and *envlen, 0 if there is none, -1 on error. A message never changes
 * once stored, so what it returns for a seq may be kept.
 */
int	store_message_envelope(struct store *, int64_t seq, uint8_t **env,
	    size_t *envlen, char *err, size_t errlen);
/*
 * The message with id, if stored: 1 with *env (malloc'd, caller frees),
 * *envlen and digest; 0 if there is none; -1 on error.
 */
int	store_message_get(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    uint8_t **env, size_t *envlen, uint8_t digest[KAIRAN_DIGEST_LEN],
	    char *err, size_t errlen);
/* Number of pending deliveries (all recipients), -1 on error. */
long long store_pending_count(struct store *);

/*
 * Inside a transaction: step `step` of the escalation of report seq (of
 * sender and incident) for recipient, due at due_ms. Returns 1 if added,
 * 0 if that (report, recipient, step) exists already (it is left as it
 * is), -1 on error.
 */
int	store_escalation_add(struct store *, int64_t seq, const char *recipient,
	    int step, const char *sender, const uint8_t *incident,
	    size_t incidentlen, unsigned level, int64_t deadline_ms,
	    int64_t due_ms, char *err, size_t errlen);
/*
 * Inside the transaction of recipient's ACKNOWLEDGED receipt for report
 * id: cancels every pending step of it. The number cancelled, or -1.
 */
int	store_escalation_ack(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *recipient, int64_t now_ms, char *err, size_t errlen);
/* The same for every report of an incident its sender withdrew. */
int	store_escalation_withdraw(struct store *, const char *sender,
	    const uint8_t *incident, size_t incidentlen, int64_t now_ms,
	    char *err, size_t errlen);
/* The earliest due time of a pending step: 1 with *due_ms, 0 none, -1. */
int	store_escalation_next(struct store *, int64_t *due_ms, char *err,
	    size_t errlen);
/*
 * The pending step due first at now_ms or before: 1 with *out (out->env
 * malloc'd, caller frees), 0 if none is due, -1 on error.
 */
int	store_escalation_due(struct store *, int64_t now_ms,
	    struct store_esc_step *out, char *err, size_t errlen);
/*
 * The same, for the first step after `after` in that order (due time,
 * step, row; NULL: from the first): escalate.c walks past the steps it
 * has in flight. out may not be after.
 */
int	store_escalation_due_after(struct store *, int64_t now_ms,
	    const struct store_esc_step *after, struct store_esc_step *out,
	    char *err, size_t errlen);
/*
 * Ends pending step row in state (DONE, FAILED, CANCELLED), counting an
 * attempt if attempted, with the last reply (code > 0: the SMTP code).
 * Returns 1 if it was pending, 0 if it had ended already, -1 on error.
 */
int	store_escalation_end(struct store *, int64_t row, enum esc_state,
	    int attempted, int code, const char *reply, int64_t now_ms,
	    char *err, size_t errlen);
/* A failed attempt to try again at due_ms (a 4xx): 1, 0 (ended), -1. */
/*
 * (report, recipient) pairs past their deadline (step 0 done) whose
 * recipient has not acknowledged since: -1 on error.
 */
long long store_overdue_count(struct store *);
int	store_escalation_retry(struct store *, int64_t row, int code,
	    const char *reply, int64_t due_ms, char *err, size_t errlen);

/* The committed audit chain's length and head (32 zero bytes if empty). */
void	store_audit_head(const struct store *, int64_t *rows,
	    uint8_t head[AUDIT_HASH_LEN]);
/* The hash of audit row seq: 1 found, 0 no such row, -1 error. */
int	store_audit_row_hash(struct store *, int64_t seq,
	    uint8_t hash[AUDIT_HASH_LEN], char *err, size_t errlen);

/*
 * The operators (each its own transaction, with its audit row
 * "operator-add" / "operator-del", entity "operator:NAME", detail naming
 * `by`, who ran the command). name must be operator_name_valid, hash an
 * encoded argon2id hash. add: 0 added, 1 the name exists (nothing
 * written); del: 0 deleted (its sessions too), 1 no such operator;
 * -1 with err on failure.
 */
int	store_operator_add(struct store *, const char *name, const char *hash,
	    const char *by, int64_t now_ms, char *err, size_t errlen);
int	store_operator_del(struct store *, const char *name, const char *by,
	    int64_t now_ms, char *err, size_t errlen);
/* The operator's encoded hash into hash: 1 found, 0 none, -1 error. */
int	store_operator_hash(struct store *, const char *name, char *hash,
	    size_t hashlen, char *err, size_t errlen);
/* fn(arg, name, created_at_ms) for each operator by name; their number or -1. */
int	store_operator_list(struct store *, void (*fn)(void *, const char *,
	    int64_t), void *arg, char *err, size_t errlen);

/*
 * The console's login (auth.c). A session is known by the SHA-256 of its
 * cookie (token_hash), carries its operator, its CSRF token (csrflen
 * bytes) and its expiry.
 *   session_add  its own transaction: the expired sessions deleted, the
 *                new one written, an audit row "login" (detail: from
 *                where). 0, or -1 with err.
 *   session_get  1 found and not expired at now_ms (operator, csrf and
 *                *expires_ms filled), 0 not (unknown, expired), -1 error.
 *   session_del  its own transaction with an audit row "logout": 0
 *                ended, 1 no such session, -1 error.
 * An operator's bearer token (the SHA-256 of it; one per operator, a new
 * one replaces the old): operator_token 0 set (audit row
 * "operator-token"), 1 no such operator, -1 error; operator_by_token 1
 * found (name filled), 0 none, -1 error.
 */
int	store_session_add(struct store *, const uint8_t token_hash[32],
	    const char *operator, const uint8_t *csrf, size_t csrflen,
	    int64_t now_ms, int64_t expires_ms, const char *detail, char *err,
	    size_t errlen);
int	store_session_get(struct store *, const uint8_t token_hash[32],
	    int64_t now_ms, char *operator, size_t oplen, uint8_t *csrf,
	    size_t csrflen, int64_t *expires_ms, char *err, size_t errlen);
int	store_session_del(struct store *, const uint8_t token_hash[32],
	    const char *operator, int64_t now_ms, const char *detail,
	    char *err, size_t errlen);
int	store_operator_token(struct store *, const char *name,
	    const uint8_t token_hash[32], const char *by, int64_t now_ms,
	    char *err, size_t errlen);
int	store_operator_by_token(struct store *, const uint8_t token_hash[32],
	    char *name, size_t namelen, char *err, size_t errlen);

/*
 * For /metrics: the pending deliveries and the acceptance time of the
 * oldest one's message (0 if none). 0, or -1.
 */
int	store_pending_oldest(struct store *, long long *count,
	    int64_t *oldest_ms);
/* Pending deliveries to one taker (a node or "peer:NAME"), -1 on error. */
long long store_pending_to(struct store *, const char *recipient);

/* A phone confirmation (POST /api/confirm), checked by the caller. */
struct store_confirm {
	int64_t		 seq;			/* the report's */
	const uint8_t	*id;			/* its id, KAIRAN_ID_LEN */
	const uint8_t	*digest;		/* its digest */
	const char	*recipient;		/* one of its recipients */
	const char	*operator_name;
	const char	*name;			/* who was reached */
	const char	*note;			/* "" if none */
};
/*
 * Its own transaction: the confirmation row, the recipient's pending
 * mail steps of that report cancelled (*cancelled: how many; step 0, the
 * overdue mark, stays), and the audit row "confirm" (entity
 * "operator:NAME", the report's id and digest). 0, or -1 with err and
 * nothing written.
 */
int	store_confirm_add(struct store *, const struct store_confirm *,
	    int64_t now_ms, int *cancelled, char *err, size_t errlen);
/*
 * Inside a transaction: node entity's last connect and disconnect (Unix
 * ms; 0 for none). 0, or -1 with err.
 */
int	store_node_seen_put(struct store *, const char *entity,
	    int64_t connected_ms, int64_t disconnected_ms, char *err,
	    size_t errlen);

/*
 * Walks the audit chain. Returns 0 if every row's hash is right, 1 if not
 * (*bad = the seq of the first broken row), -1 on error.
 */
int	store_audit_verify(struct store *, int64_t *bad, long long *rows,
	    char *err, size_t errlen);

/*
 * The mail route (mailroute.h). add: inside the report's transaction, the
 * mail of report seq to recipient at address, due at due_ms: 1 added, 0
 * it exists (left as it is), -1. next: the earliest due time after
 * after_ms of a pending mail (the runner's next wake-up; INT64_MIN: any):
 * 1, 0 none, -1. due: the first pending mail due at now_ms with a
 * row after `after` (0: from the first; the runner walks past those in
 * flight): 1 with *out (out->env malloc'd), 0, -1. end: SENT or FAILED
 * with the last reply (code > 0: the SMTP code): 1 if it was pending, 0,
 * -1. retry: a 4xx (or no reply) tried again at due_ms: 1, 0, -1.
 * state: the mail of report id to recipient: 1 found (state, attempts,
 * code, address), 0 none, -1.
 */
int	store_mailroute_add(struct store *, int64_t seq, const char *recipient,
	    const char *address, int64_t due_ms, char *err, size_t errlen);
int	store_mailroute_next(struct store *, int64_t after_ms,
	    int64_t *due_ms, char *err, size_t errlen);
/*
 * due skips the rows of messages of seq in (hold_lo, hold_hi]: their batch
 * is committed but its fsync not done (commit.c), and nothing of it goes
 * out before (hold_lo = hold_hi: nothing held).
 */
int	store_mailroute_due(struct store *, int64_t now_ms, int64_t after,
	    int64_t hold_lo, int64_t hold_hi, struct store_mail_row *out,
	    char *err, size_t errlen);
int	store_mailroute_end(struct store *, int64_t row,
	    enum mailroute_state, int attempted, int code, const char *reply,
	    int64_t now_ms, char *err, size_t errlen);
int	store_mailroute_retry(struct store *, int64_t row, int code,
	    const char *reply, int64_t due_ms, char *err, size_t errlen);
int	store_mailroute_state(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *recipient, int *state, int *attempts, int *code,
	    char *address, size_t addrlen, char *err, size_t errlen);

#endif
