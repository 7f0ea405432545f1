/*
 * store_message: the messages the relay accepted or signed, their
 * deliveries (to nodes and forwards to links, direct copies dropped) and
 * the receipts seen, with their audit rows; the pending counts of
 * /metrics (store.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "kairan/log.h"

#include "storedb.h"

enum stmt {
	S_MSG_FIND, S_MSG_ADD, S_DELIV_ADD, S_DIRECT_GONE, S_DIRECT_HOME,
	S_DIRECT_ALL, S_RCPT_ADD, S_DELIV_END, S_DELIV_NEXT, S_MSG_GET,
	S_MSG_ENV,	S_PENDING, S_PENDING_OLDEST, S_PENDING_TO, S_NSTMT
};

static const char *const sql[S_NSTMT] = {
	[S_MSG_FIND] = "SELECT seq FROM message WHERE id = ?1",
	[S_MSG_ADD] = "INSERT INTO message (id, sender, body, status, digest, "
	    "envelope, origin, accepted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7, ?8)",
	[S_DELIV_ADD] = "INSERT OR IGNORE INTO delivery (recipient, "
	    "message_seq, state, home) VALUES (?2, ?1, 0, ?3)",
	[S_DIRECT_GONE] = "UPDATE delivery SET state = 3, detail = ?2, "
	    "done_at = ?3 WHERE recipient = ?1 AND home IS NOT NULL AND "
	    "state = 0",
	[S_DIRECT_HOME] = "UPDATE delivery SET state = 3, detail = ?3, "
	    "done_at = ?4 WHERE home = ?2 AND state = 0 AND message_seq = "
	    "(SELECT seq FROM message WHERE id = ?1)",
	[S_DIRECT_ALL] = "UPDATE delivery SET state = 3, detail = ?1, "
	    "done_at = ?2 WHERE home IS NOT NULL AND state = 0",
	[S_RCPT_ADD] = "INSERT OR IGNORE INTO receipt (message_seq, ref_id, "
	    "signer, state, by, note, subject, at) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?8)",
	[S_DELIV_END] = "UPDATE delivery SET state = ?3, detail = ?4, "
	    "done_at = ?5 WHERE recipient = ?2 AND state = 0 AND "
	    "message_seq = (SELECT seq FROM message WHERE id = ?1)",
	/* not the envelope: its overflow pages are read only for a new seq */
	[S_DELIV_NEXT] = "SELECT m.seq, m.id FROM delivery d "
	    "JOIN message m ON m.seq = d.message_seq WHERE d.recipient = ?1 "
	    "AND d.state = 0 AND d.message_seq > ?2 ORDER BY d.message_seq "
	    "LIMIT 1",
	[S_MSG_GET] = "SELECT envelope, digest FROM message WHERE id = ?1",
	[S_MSG_ENV] = "SELECT envelope FROM message WHERE seq = ?1",
	[S_PENDING] = "SELECT count(*) FROM delivery WHERE state = 0",
	[S_PENDING_OLDEST] = "SELECT count(*), min(m.accepted_at) FROM "
	    "delivery d JOIN message m ON m.seq = d.message_seq WHERE "
	    "d.state = 0",
	[S_PENDING_TO] = "SELECT count(*) FROM delivery WHERE recipient = ?1 "
	    "AND state = 0",
};
const struct storedb_sql store_message_sql = { sql, S_NSTMT };

const char *
store_body_name(const Message *m)
{
	switch (m->body_case) {
	case KAIRAN__V1__MESSAGE__BODY_RECEIPT:
		return "receipt";
	case KAIRAN__V1__MESSAGE__BODY_ADVISORY:
		return "advisory";
	default:
		return "report";
	}
}

int
store_message_add(struct store *s, const Message *m, const uint8_t *env,
    size_t envlen, const uint8_t digest[KAIRAN_DIGEST_LEN], const char *from,
    int64_t now_ms, int *dup, int64_t *seq, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_MSG_FIND);
	const char *body;
	char detail[128];
	int rc;

	*dup = 0;
	sqlite3_bind_blob(st, 1, m->id.data, KAIRAN_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*dup = 1;
		*seq = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return storedb_fail(s, "message find", err, errlen);

	body = store_body_name(m);
	st = storedb_stmt(s, STOREDB_MESSAGE, S_MSG_ADD);
	sqlite3_bind_blob(st, 1, m->id.data, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)m->status);
	sqlite3_bind_blob(st, 5, digest, KAIRAN_DIGEST_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, env, (int)envlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, from, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now_ms);
	if (storedb_step_done(s, st, err, errlen) == -1)
		return -1;
	*seq = storedb_last_rowid(s);
	snprintf(detail, sizeof(detail), "%s status=%s recipients=%zu", body,
	    message_status_name(m->status), m->n_recipients);
	return storedb_audit_add(s, "accepted", m->id.data, m->sender, digest, detail,
	    now_ms, err, errlen);
}

int
store_delivery_add(struct store *s, int64_t seq, const char *recipient,
    const char *home, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_DELIV_ADD);

	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	if (home != NULL)
		sqlite3_bind_text(st, 3, home, -1, SQLITE_STATIC);
	return storedb_step_done(s, st, err, errlen);
}

int
store_direct_gone(struct store *s, const char *recipient, int64_t now_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_DIRECT_GONE);

	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "node left", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	return storedb_step_changes(s, st, err, errlen);
}

int
store_direct_home(struct store *s, const uint8_t id[KAIRAN_ID_LEN],
    const char *home, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_DIRECT_HOME);

	sqlite3_bind_blob(st, 1, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, home, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, "home relay has it", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	return storedb_step_changes(s, st, err, errlen);
}

int
store_direct_all(struct store *s, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_DIRECT_ALL);

	sqlite3_bind_text(st, 1, "relay restarted", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	return storedb_step_changes(s, st, err, errlen);
}

int
store_receipt_add(struct store *s, int64_t seq, const Message *m,
    const uint8_t digest[KAIRAN_DIGEST_LEN], int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_RCPT_ADD);
	const Receipt *r = m->receipt;
	char detail[512], ref[KAIRAN_ID_HEXLEN + 1];

	if (r == NULL)
		fatalx("%s: not a receipt", __func__);
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_blob(st, 2, r->ref_id.data, (int)r->ref_id.len,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->sender, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)r->state);
	sqlite3_bind_text(st, 5, r->by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now_ms);
	if (storedb_step_done(s, st, err, errlen) == -1)
		return -1;
	message_hex(r->ref_id.data, r->ref_id.len, ref);
	snprintf(detail, sizeof(detail), "%s ref=%s%s%s",
	    message_receipt_state_name(r->state), ref,
	    r->subject[0] != '\0' ? " subject=" : "", r->subject);
	/* a batched QUEUED: the others are in its stored envelope */
	if (r->n_more > 0)
		snprintf(detail + strlen(detail), sizeof(detail) -
		    strlen(detail), " more=%zu", r->n_more);
	return storedb_audit_add(s, "receipt", m->id.data, m->sender, digest, detail,
	    now_ms, err, errlen);
}

int
store_delivery_end(struct store *s, const uint8_t id[KAIRAN_ID_LEN],
    const char *recipient, enum delivery_state state, const char *detail,
    int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_DELIV_END);

	switch (state) {
	case DELIVERY_DONE:
	case DELIVERY_REFUSED:
		break;
	default:
		fatalx("%s: state %d", __func__, (int)state);
	}
	sqlite3_bind_blob(st, 1, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)state);
	if (detail != NULL)
		sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now_ms);
	if (storedb_step_done(s, st, err, errlen) == -1)
		return -1;
	return storedb_changes(s) > 0 ? 1 : 0;
}

int
store_next_delivery(struct store *s, const char *recipient, int64_t after,
    int64_t *seq, uint8_t id[KAIRAN_ID_LEN], char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_DELIV_NEXT);
	int rc, found = 0;

	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != KAIRAN_ID_LEN)
			fatalx("%s: stored id of bad length", __func__);
		memcpy(id, sqlite3_column_blob(st, 1), KAIRAN_ID_LEN);
		found = 1;
	}
	return storedb_row_result(s, st, rc, found, "next delivery", err, errlen);
}

int
store_message_envelope(struct store *s, int64_t seq, uint8_t **env,
    size_t *envlen, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_MSG_ENV);
	int rc, found = 0;

	*env = NULL;
	sqlite3_bind_int64(st, 1, seq);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (storedb_column_dup(st, 0, env, envlen) == -1)
			rc = SQLITE_NOMEM;
		else
			found = 1;
	}
	return storedb_row_result(s, st, rc, found, "message envelope", err,
	    errlen);
}

int
store_message_get(struct store *s, const uint8_t id[KAIRAN_ID_LEN],
    uint8_t **env, size_t *envlen, uint8_t digest[KAIRAN_DIGEST_LEN],
    char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_MSG_GET);
	int rc, found = 0;

	*env = NULL;
	sqlite3_bind_blob(st, 1, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != KAIRAN_DIGEST_LEN)
			fatalx("%s: stored digest of bad length", __func__);
		memcpy(digest, sqlite3_column_blob(st, 1), KAIRAN_DIGEST_LEN);
		if (storedb_column_dup(st, 0, env, envlen) == -1)
			rc = SQLITE_NOMEM;
		else
			found = 1;
	}
	return storedb_row_result(s, st, rc, found, "message get", err, errlen);
}

long long
store_pending_count(struct store *s)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_PENDING);
	long long n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
store_pending_oldest(struct store *s, long long *count, int64_t *oldest_ms)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_PENDING_OLDEST);
	int rc;

	*count = 0;
	*oldest_ms = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			*oldest_ms = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

long long
store_pending_to(struct store *s, const char *recipient)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_MESSAGE, S_PENDING_TO);
	long long n = -1;

	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}
