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
 * This header is the connection (open, close, locks, versions); the
 * tables are written and read by the store modules, each with its own
 * header: store_outbox.h (outbox, recipient), store_route.h (outbox_route,
 * route_state), store_inbox.h (inbox), store_receipt.h (receipt_in),
 * store_confirm.h (phone_confirm), store_msg.h (a message read back),
 * store_status.h, store_sent.h (what we sent, counted) and store_imail.h
 * (internal_mail). They alone speak SQL (store_sql.h).
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

/* Frees n malloc'd strings and the array (store_outbox_recipients). */
void	store_strings_free(char **, size_t n);

#endif
