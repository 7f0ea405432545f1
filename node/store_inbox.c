/*
 * store_inbox: what we received (see store_inbox.h): the inbox row and,
 * in the same transaction, our receipt for it; our 受理確認 and 対応済.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_inbox.h"
#include "store_msg.h"
#include "store_outbox.h"
#include "store_sql.h"

int
store_inbox_add(struct store *st, const Message *m, const uint8_t *env,
    size_t envlen, const uint8_t digest[KAIRAN_DIGEST_LEN], const char *route,
    int64_t now_ms, store_seal_fn seal, void *arg, int *dup, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const IncidentReport *r = NULL;
	struct store_sealed rc;
	int found;

	*dup = 0;
	if ((m->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT &&
	    m->body_case != KAIRAN__V1__MESSAGE__BODY_ADVISORY) ||
	    m->id.len != KAIRAN_ID_LEN) {
		snprintf(err, errlen, "inbox: not a report or an advisory");
		return -1;
	}
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT)
		r = m->report;
	if (store_sql_begin(st, err, errlen) == -1)
		return -1;
	if (store_sql_exists(st, "SELECT 1 FROM inbox WHERE id = ?", m->id.data,
	    &found, err, errlen) == -1)
		goto fail;
	if (found) {
		*dup = 1;
		store_sql_rollback(st);
		return 0;
	}
	if (store_sql_prepare(st, &s, "INSERT INTO inbox(id, sender, incident, "
	    "report_no, status, created_ms, received_ms, route, envelope, "
	    "digest, phase, kind) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, m->id.data, (int)m->id.len, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, m->sender, -1, SQLITE_TRANSIENT);
	/* an advisory has no incident, number or phase: NULL */
	if (r != NULL) {
		sqlite3_bind_blob(s, 3, r->incident_id.data,
		    (int)r->incident_id.len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, r->report_no);
		sqlite3_bind_int(s, 11, r->phase);
	}
	sqlite3_bind_int(s, 12, r != NULL ? 1 : 3);
	sqlite3_bind_int(s, 5, m->status);
	sqlite3_bind_int64(s, 6, m->created_at_ms);
	sqlite3_bind_int64(s, 7, now_ms);
	store_sql_bind_text(s, 8, route);
	sqlite3_bind_blob(s, 9, env, (int)envlen, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 10, digest, KAIRAN_DIGEST_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_sql_err(st, err, errlen, "inbox insert");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	/* Our receipt is signed only now that the report is new. */
	memset(&rc, 0, sizeof(rc));
	if (seal != NULL) {
		if (seal(arg, NULL, &rc, err, errlen) == -1)
			goto fail;
		if (store_outbox_insert(st, rc.m, rc.env, rc.envlen, rc.digest,
		    NULL, err, errlen) == -1)
			goto fail;
	}
	if (store_sql_commit(st, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(s);
	store_sql_rollback(st);
	return -1;
}

/*
 * The answer to inbox message id, in one transaction: done 0 is a
 * 受理確認 (acknowledged_*), done 1 a 対応済 (done_*, an advisory only).
 * Stores our signed receipt (rm, renv, rdigest) in the outbox and marks
 * the inbox row (by, note, now). Already answered so: nothing written,
 * *already = 1. Returns 0, or -1 with err.
 */
static int
inbox_answer(struct store *st, int done, const uint8_t id[KAIRAN_ID_LEN],
    const char *by, const char *note, int64_t now_ms, const Message *rm,
    const uint8_t *renv, size_t renvlen,
    const uint8_t rdigest[KAIRAN_DIGEST_LEN], int *already, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv;

	*already = 0;
	if (store_sql_begin(st, err, errlen) == -1)
		return -1;
	if (store_sql_prepare(st, &s, done ?
	    "SELECT kind, done_ms FROM inbox WHERE id = ?" :
	    "SELECT kind, acknowledged_ms FROM inbox WHERE id = ?", err,
	    errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	rv = sqlite3_step(s);
	if (rv == SQLITE_DONE) {
		snprintf(err, errlen, "no such message in the inbox");
		goto fail;
	} else if (rv != SQLITE_ROW) {
		store_sql_err(st, err, errlen, "inbox lookup");
		goto fail;
	}
	if (done && sqlite3_column_int(s, 0) != 3) {
		snprintf(err, errlen, "対応済 (done) is only for an advisory; "
		    "this is an incident report (acknowledge it with ack)");
		goto fail;
	}
	if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
		*already = 1;
		sqlite3_finalize(s);
		store_sql_rollback(st);
		return 0;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (store_sql_prepare(st, &s, done ?
	    "UPDATE inbox SET done_ms = ?, done_by = ?, done_note = ? "
	    "WHERE id = ?" :
	    "UPDATE inbox SET acknowledged_ms = ?, acknowledged_by = ?, "
	    "ack_note = ? WHERE id = ?", err, errlen) == -1)
		goto fail;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_text(s, 2, by, -1, SQLITE_TRANSIENT);
	store_sql_bind_text(s, 3, note);
	sqlite3_bind_blob(s, 4, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_sql_err(st, err, errlen, "inbox update");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (store_outbox_insert(st, rm, renv, renvlen, rdigest, NULL, err,
	    errlen) == -1)
		goto fail;
	if (store_sql_commit(st, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(s);
	store_sql_rollback(st);
	return -1;
}

int
store_inbox_ack(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    const char *by, const char *note, int64_t now_ms, const Message *rm,
    const uint8_t *renv, size_t renvlen,
    const uint8_t rdigest[KAIRAN_DIGEST_LEN], int *already, char *err,
    size_t errlen)
{
	return inbox_answer(st, 0, id, by, note, now_ms, rm, renv, renvlen,
	    rdigest, already, err, errlen);
}

int
store_inbox_done(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    const char *by, const char *note, int64_t now_ms, const Message *rm,
    const uint8_t *renv, size_t renvlen,
    const uint8_t rdigest[KAIRAN_DIGEST_LEN], int *already, char *err,
    size_t errlen)
{
	return inbox_answer(st, 1, id, by, note, now_ms, rm, renv, renvlen,
	    rdigest, already, err, errlen);
}

long
store_inbox_list(struct store *st, int all, int recent,
    struct store_msg **out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	long n;

	if (store_sql_prepare(st, &s, all ? "SELECT " STORE_MSG_IN_COLS
	    " FROM inbox ORDER BY seq DESC" : "SELECT " STORE_MSG_IN_COLS
	    " FROM inbox WHERE acknowledged_ms IS NULL OR seq IN (SELECT seq "
	    "FROM inbox WHERE acknowledged_ms IS NOT NULL ORDER BY seq DESC "
	    "LIMIT ?) ORDER BY seq DESC", err, errlen) == -1)
		return -1;
	if (!all)
		sqlite3_bind_int(s, 1, recent);
	n = store_msg_collect(st, s, STORE_IN, out, err, errlen);
	sqlite3_finalize(s);
	return n;
}
