/*
 * store_mail: the rows of the mails the relay sends (store.h): the steps
 * of an unacknowledged report's escalation (escalate.h) and the mails
 * of the mail route (mailroute.h). Both tables are read and ended the
 * same way (the earliest due time, the first due row, end, retry): one
 * helper each, on either table's statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "kairan/log.h"

#include "storedb.h"

enum stmt {
	S_ESC_ADD, S_ESC_ACK, S_ESC_WITHDRAW, S_ESC_NEXT, S_ESC_DUE,
	S_ESC_END, S_ESC_RETRY, S_ESC_OVERDUE, S_MR_ADD, S_MR_NEXT, S_MR_DUE,
	S_MR_END, S_MR_RETRY, S_MR_STATE, S_NSTMT
};

static const char *const sql[S_NSTMT] = {
	[S_ESC_ADD] = "INSERT OR IGNORE INTO escalation (message_seq, "
	    "recipient, step, sender, incident, level, deadline, due_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_ESC_ACK] = "UPDATE escalation SET state = 3, done_at = ?3, "
	    "reply = 'acknowledged' WHERE state = 0 AND recipient = ?2 AND "
	    "message_seq = (SELECT seq FROM message WHERE id = ?1)",
	[S_ESC_WITHDRAW] = "UPDATE escalation SET state = 3, done_at = ?3, "
	    "reply = 'withdrawn' WHERE state = 0 AND sender = ?1 AND "
	    "incident = ?2",
	[S_ESC_NEXT] = "SELECT min(due_at) FROM escalation WHERE state = 0",
	[S_ESC_DUE] = "SELECT e.rowid, m.id, m.envelope, e.recipient, e.step, "
	    "e.level, e.deadline, e.attempts, e.due_at FROM escalation e "
	    "JOIN message m "
	    "ON m.seq = e.message_seq WHERE e.state = 0 AND e.due_at <= ?1 "
	    "AND (e.due_at, e.step, e.rowid) > (?2, ?3, ?4) "
	    "ORDER BY e.due_at, e.step, e.rowid LIMIT 1",
	[S_ESC_END] = "UPDATE escalation SET state = ?2, attempts = attempts "
	    "+ ?3, code = ?4, reply = ?5, done_at = ?6 WHERE rowid = ?1 AND "
	    "state = 0",
	[S_ESC_RETRY] = "UPDATE escalation SET attempts = attempts + 1, "
	    "code = ?2, reply = ?3, due_at = ?4 WHERE rowid = ?1 AND state = 0",
	[S_ESC_OVERDUE] = "SELECT count(*) FROM escalation e JOIN message m ON "
	    "m.seq = e.message_seq WHERE e.step = 0 AND e.state = 1 AND NOT "
	    "EXISTS (SELECT 1 FROM receipt r WHERE r.ref_id = m.id AND "
	    "r.signer = e.recipient AND r.state = 2)",
	[S_MR_ADD] = "INSERT OR IGNORE INTO mailroute (message_seq, recipient, "
	    "address, due_at) VALUES (?1, ?2, ?3, ?4)",
	[S_MR_NEXT] = "SELECT min(due_at) FROM mailroute WHERE state = 0 AND "
	    "due_at > ?1",
	[S_MR_DUE] = "SELECT r.rowid, m.id, m.envelope, m.digest, r.recipient, "
	    "r.address, r.attempts FROM mailroute r JOIN message m ON m.seq = "
	    "r.message_seq WHERE r.state = 0 AND r.due_at <= ?1 AND r.rowid > "
	    "?2 AND NOT (r.message_seq > ?3 AND r.message_seq <= ?4) ORDER BY "
	    "r.rowid LIMIT 1",
	[S_MR_END] = "UPDATE mailroute SET state = ?2, attempts = attempts + "
	    "?3, code = ?4, reply = ?5, done_at = ?6 WHERE rowid = ?1 AND "
	    "state = 0",
	[S_MR_RETRY] = "UPDATE mailroute SET attempts = attempts + 1, code = "
	    "?2, reply = ?3, due_at = ?4 WHERE rowid = ?1 AND state = 0",
	[S_MR_STATE] = "SELECT r.state, r.attempts, r.code, r.address FROM "
	    "mailroute r JOIN message m ON m.seq = r.message_seq WHERE m.id = "
	    "?1 AND r.recipient = ?2",
};
const struct storedb_sql store_mail_sql = { sql, S_NSTMT };

static sqlite3_stmt *
stmt(struct store *s, enum stmt i)
{
	return storedb_stmt(s, STOREDB_MAIL, i);
}

/*
 * The min(due_at) of st (its parameters bound): 1 with *due_ms, 0 if no
 * row is pending, -1 with err naming what.
 */
static int
due_min(struct store *s, sqlite3_stmt *st, int64_t *due_ms, const char *what,
    char *err, size_t errlen)
{
	int rc, found = 0;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* min() of no rows is one row of NULL */
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			rc = SQLITE_DONE;
		else {
			*due_ms = sqlite3_column_int64(st, 0);
			found = 1;
		}
	}
	return storedb_row_result(s, st, rc, found, what, err, errlen);
}

/*
 * Ends pending row (statement which: ESC_END or MR_END) in state,
 * counting an attempt if attempted, with the last reply (code > 0: the
 * SMTP code). 1 if it was pending, 0 if it had ended already, -1.
 */
static int
row_end(struct store *s, enum stmt which, int64_t row, int state,
    int attempted, int code, const char *reply, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = stmt(s, which);

	sqlite3_bind_int64(st, 1, row);
	sqlite3_bind_int(st, 2, state);
	sqlite3_bind_int(st, 3, attempted ? 1 : 0);
	if (code > 0)
		sqlite3_bind_int(st, 4, code);
	if (reply != NULL)
		sqlite3_bind_text(st, 5, reply, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now_ms);
	if (storedb_step_done(s, st, err, errlen) == -1)
		return -1;
	return storedb_changes(s) > 0 ? 1 : 0;
}

/*
 * A failed attempt of pending row (statement which: ESC_RETRY or
 * MR_RETRY), to try again at due_ms: 1, 0 (ended), -1.
 */
static int
row_retry(struct store *s, enum stmt which, int64_t row, int code,
    const char *reply, int64_t due_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, which);

	sqlite3_bind_int64(st, 1, row);
	if (code > 0)
		sqlite3_bind_int(st, 2, code);
	if (reply != NULL)
		sqlite3_bind_text(st, 3, reply, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, due_ms);
	if (storedb_step_done(s, st, err, errlen) == -1)
		return -1;
	return storedb_changes(s) > 0 ? 1 : 0;
}

int
store_escalation_add(struct store *s, int64_t seq, const char *recipient,
    int step, const char *sender, const uint8_t *incident, size_t incidentlen,
    unsigned level, int64_t deadline_ms, int64_t due_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = stmt(s, S_ESC_ADD);

	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, step);
	sqlite3_bind_text(st, 4, sender, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, incident, (int)incidentlen, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, (int)level);
	sqlite3_bind_int64(st, 7, deadline_ms);
	sqlite3_bind_int64(st, 8, due_ms);
	return storedb_step_changes(s, st, err, errlen);
}

int
store_escalation_ack(struct store *s, const uint8_t id[KAIRAN_ID_LEN],
    const char *recipient, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, S_ESC_ACK);

	sqlite3_bind_blob(st, 1, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	return storedb_step_changes(s, st, err, errlen);
}

int
store_escalation_withdraw(struct store *s, const char *sender,
    const uint8_t *incident, size_t incidentlen, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = stmt(s, S_ESC_WITHDRAW);

	sqlite3_bind_text(st, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, incident, (int)incidentlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	return storedb_step_changes(s, st, err, errlen);
}

int
store_escalation_next(struct store *s, int64_t *due_ms, char *err,
    size_t errlen)
{
	return due_min(s, stmt(s, S_ESC_NEXT), due_ms, "escalation next", err,
	    errlen);
}

int
store_escalation_due(struct store *s, int64_t now_ms,
    struct store_esc_step *out, char *err, size_t errlen)
{
	return store_escalation_due_after(s, now_ms, NULL, out, err, errlen);
}

int
store_escalation_due_after(struct store *s, int64_t now_ms,
    const struct store_esc_step *after, struct store_esc_step *out,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, S_ESC_DUE);
	int rc, found = 0;

	/* after NULL: before every row (steps are >= 0, rowids >= 1) */
	sqlite3_bind_int64(st, 2, after != NULL ? after->due_ms : INT64_MIN);
	sqlite3_bind_int(st, 3, after != NULL ? after->step : -1);
	sqlite3_bind_int64(st, 4, after != NULL ? after->row : -1);
	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, now_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->row = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != KAIRAN_ID_LEN)
			fatalx("%s: stored id of bad length", __func__);
		memcpy(out->id, sqlite3_column_blob(st, 1), KAIRAN_ID_LEN);
		snprintf(out->recipient, sizeof(out->recipient), "%s",
		    storedb_col_text(st, 3));
		out->step = sqlite3_column_int(st, 4);
		out->level = (unsigned)sqlite3_column_int(st, 5);
		out->deadline_ms = sqlite3_column_int64(st, 6);
		out->attempts = sqlite3_column_int(st, 7);
		out->due_ms = sqlite3_column_int64(st, 8);
		if (storedb_column_dup(st, 2, &out->env, &out->envlen) == -1)
			rc = SQLITE_NOMEM;
		else
			found = 1;
	}
	return storedb_row_result(s, st, rc, found, "escalation due", err, errlen);
}

int
store_escalation_end(struct store *s, int64_t row, enum esc_state state,
    int attempted, int code, const char *reply, int64_t now_ms, char *err,
    size_t errlen)
{
	if (state != ESC_DONE && state != ESC_FAILED && state != ESC_CANCELLED)
		fatalx("%s: state %d", __func__, (int)state);
	return row_end(s, S_ESC_END, row, (int)state, attempted, code, reply,
	    now_ms, err, errlen);
}

long long
store_overdue_count(struct store *s)
{
	sqlite3_stmt *st = stmt(s, S_ESC_OVERDUE);
	long long n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
store_escalation_retry(struct store *s, int64_t row, int code,
    const char *reply, int64_t due_ms, char *err, size_t errlen)
{
	return row_retry(s, S_ESC_RETRY, row, code, reply, due_ms, err,
	    errlen);
}

int
store_mailroute_add(struct store *s, int64_t seq, const char *recipient,
    const char *address, int64_t due_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, S_MR_ADD);

	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, due_ms);
	return storedb_step_changes(s, st, err, errlen);
}

int
store_mailroute_next(struct store *s, int64_t after_ms, int64_t *due_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, S_MR_NEXT);

	sqlite3_bind_int64(st, 1, after_ms);
	return due_min(s, st, due_ms, "mailroute next", err, errlen);
}

int
store_mailroute_due(struct store *s, int64_t now_ms, int64_t after,
    int64_t hold_lo, int64_t hold_hi, struct store_mail_row *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = stmt(s, S_MR_DUE);
	int rc, found = 0;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, hold_lo);
	sqlite3_bind_int64(st, 4, hold_hi);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->row = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != KAIRAN_ID_LEN ||
		    sqlite3_column_bytes(st, 3) != KAIRAN_DIGEST_LEN)
			fatalx("%s: stored id or digest of bad length",
			    __func__);
		memcpy(out->id, sqlite3_column_blob(st, 1), KAIRAN_ID_LEN);
		memcpy(out->digest, sqlite3_column_blob(st, 3),
		    KAIRAN_DIGEST_LEN);
		snprintf(out->recipient, sizeof(out->recipient), "%s",
		    storedb_col_text(st, 4));
		snprintf(out->address, sizeof(out->address), "%s",
		    storedb_col_text(st, 5));
		out->attempts = sqlite3_column_int(st, 6);
		if (storedb_column_dup(st, 2, &out->env, &out->envlen) == -1)
			rc = SQLITE_NOMEM;
		else
			found = 1;
	}
	return storedb_row_result(s, st, rc, found, "mailroute due", err, errlen);
}

int
store_mailroute_end(struct store *s, int64_t row, enum mailroute_state state,
    int attempted, int code, const char *reply, int64_t now_ms, char *err,
    size_t errlen)
{
	if (state != MAILROUTE_SENT && state != MAILROUTE_FAILED)
		fatalx("%s: state %d", __func__, (int)state);
	return row_end(s, S_MR_END, row, (int)state, attempted, code, reply,
	    now_ms, err, errlen);
}

int
store_mailroute_retry(struct store *s, int64_t row, int code,
    const char *reply, int64_t due_ms, char *err, size_t errlen)
{
	return row_retry(s, S_MR_RETRY, row, code, reply, due_ms, err, errlen);
}

int
store_mailroute_state(struct store *s, const uint8_t id[KAIRAN_ID_LEN],
    const char *recipient, int *state, int *attempts, int *code,
    char *address, size_t addrlen, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, S_MR_STATE);
	int rc, found = 0;

	sqlite3_bind_blob(st, 1, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*state = sqlite3_column_int(st, 0);
		*attempts = sqlite3_column_int(st, 1);
		*code = sqlite3_column_int(st, 2);
		snprintf(address, addrlen, "%s", storedb_col_text(st, 3));
		found = 1;
	}
	return storedb_row_result(s, st, rc, found, "mailroute state", err, errlen);
}
