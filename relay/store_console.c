/*
 * store_console: the console's rows (store.h): operators, their login
 * sessions and bearer tokens, each change its own transaction with its
 * audit row; the phone confirmations; each node's last connect and
 * disconnect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "kairan/log.h"

#include "storedb.h"

enum stmt {
	S_OP_ADD, S_OP_DEL, S_OP_HASH, S_OP_LIST, S_OP_TOKEN, S_OP_BY_TOKEN,
	S_SESS_ADD, S_SESS_GET, S_SESS_DEL, S_SESS_EXPIRE, S_CONFIRM_ADD,
	S_CONFIRM_CANCEL, S_SEEN_PUT, S_NSTMT
};

static const char *const sql[S_NSTMT] = {
	[S_OP_ADD] = "INSERT OR IGNORE INTO operator (name, hash, created_at) "
	    "VALUES (?1, ?2, ?3)",
	[S_OP_DEL] = "DELETE FROM operator WHERE name = ?1",
	[S_OP_HASH] = "SELECT hash FROM operator WHERE name = ?1",
	[S_OP_LIST] = "SELECT name, created_at FROM operator ORDER BY name",
	[S_OP_TOKEN] = "UPDATE operator SET token_hash = ?2 WHERE name = ?1",
	[S_OP_BY_TOKEN] = "SELECT name FROM operator WHERE token_hash = ?1",
	[S_SESS_ADD] = "INSERT INTO session (token_hash, operator, csrf, "
	    "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_SESS_GET] = "SELECT operator, csrf, expires_at FROM session "
	    "WHERE token_hash = ?1 AND expires_at > ?2",
	[S_SESS_DEL] = "DELETE FROM session WHERE token_hash = ?1",
	[S_SESS_EXPIRE] = "DELETE FROM session WHERE expires_at <= ?1",
	[S_CONFIRM_ADD] = "INSERT INTO confirmation (message_seq, recipient, "
	    "operator, name, note, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/* the mails only: step 0 (overdue) is a fact, not a chase */
	[S_CONFIRM_CANCEL] = "UPDATE escalation SET state = 3, done_at = ?3, "
	    "reply = 'confirmed by phone' WHERE state = 0 AND step >= 1 AND "
	    "message_seq = ?1 AND recipient = ?2",
	[S_SEEN_PUT] = "INSERT INTO node_seen (entity, connected_at, "
	    "disconnected_at) VALUES (?1, ?2, ?3) ON CONFLICT (entity) DO "
	    "UPDATE SET connected_at = excluded.connected_at, "
	    "disconnected_at = excluded.disconnected_at",
};
const struct storedb_sql store_console_sql = { sql, S_NSTMT };

/*
 * An audit row about an operator: no message, so id and digest are
 * zeros; the entity is "operator:NAME". Inside the transaction.
 */
static int
audit_operator(struct store *s, const char *event, const char *name,
    const char *detail, int64_t now_ms, char *err, size_t errlen)
{
	static const uint8_t zero[KAIRAN_DIGEST_LEN];
	char entity[128];

	snprintf(entity, sizeof(entity), "operator:%s", name);
	return storedb_audit_add(s, event, zero, entity, zero, detail, now_ms, err,
	    errlen);
}

/*
 * The end of a change of the console's operators and sessions, inside
 * the transaction store_begin opened, with st's parameters bound:
 * runs it; if it changed no row, rolls back and returns 1; else writes
 * the audit row (event, entity "operator:NAME", detail) and commits: 0,
 * or -1 with err (rolled back).
 */
static int
operator_change(struct store *s, sqlite3_stmt *st, const char *event,
    const char *name, const char *detail, int64_t now_ms, char *err,
    size_t errlen)
{
	int changed;

	if ((changed = storedb_step_changes(s, st, err, errlen)) == -1)
		goto fail;
	if (changed == 0) {
		store_rollback(s);
		return 1;
	}
	if (audit_operator(s, event, name, detail, now_ms, err, errlen) == -1 ||
	    store_commit(s, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_operator_add(struct store *s, const char *name, const char *hash,
    const char *by, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_CONSOLE, S_OP_ADD);
	char detail[256];

	if (store_begin(s, err, errlen) == -1)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	snprintf(detail, sizeof(detail), "operator added by %s", by);
	return operator_change(s, st, "operator-add", name, detail,
	    now_ms, err, errlen);
}

int
store_operator_del(struct store *s, const char *name, const char *by,
    int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_CONSOLE, S_OP_DEL);
	char detail[256];

	if (store_begin(s, err, errlen) == -1)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	/* its sessions go with it (ON DELETE CASCADE) */
	snprintf(detail, sizeof(detail), "operator deleted by %s", by);
	return operator_change(s, st, "operator-del", name, detail,
	    now_ms, err, errlen);
}

int
store_operator_hash(struct store *s, const char *name, char *hash,
    size_t hashlen, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_CONSOLE, S_OP_HASH);
	int rc, found = 0;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(hash, hashlen, "%s", storedb_col_text(st, 0));
		found = 1;
	}
	return storedb_row_result(s, st, rc, found, "operator", err, errlen);
}

int
store_operator_list(struct store *s, void (*fn)(void *, const char *,
    int64_t), void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_CONSOLE, S_OP_LIST);
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(arg, storedb_col_text(st, 0), sqlite3_column_int64(st, 1));
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return storedb_fail(s, "operator list", err, errlen);
	return n;
}

/*
 * The console's sessions and tokens (auth.c). A session's row is the
 * SHA-256 of its cookie; logging in and out are operator actions, so
 * each is its own transaction with its audit row ("login", "logout",
 * "operator-token"; entity "operator:NAME").
 */
int
store_session_add(struct store *s, const uint8_t token_hash[32],
    const char *operator, const uint8_t *csrf, size_t csrflen,
    int64_t now_ms, int64_t expires_ms, const char *detail, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	if (store_begin(s, err, errlen) == -1)
		return -1;
	/* the expired ones go first: the table holds live sessions only */
	st = storedb_stmt(s, STOREDB_CONSOLE, S_SESS_EXPIRE);
	sqlite3_bind_int64(st, 1, now_ms);
	if (storedb_step_done(s, st, err, errlen) == -1)
		goto fail;
	st = storedb_stmt(s, STOREDB_CONSOLE, S_SESS_ADD);
	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, operator, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, csrf, (int)csrflen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int64(st, 5, expires_ms);
	if (storedb_step_done(s, st, err, errlen) == -1 ||
	    audit_operator(s, "login", operator, detail, now_ms, err,
	    errlen) == -1 || store_commit(s, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_session_get(struct store *s, const uint8_t token_hash[32],
    int64_t now_ms, char *operator, size_t oplen, uint8_t *csrf,
    size_t csrflen, int64_t *expires_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_CONSOLE, S_SESS_GET);
	const void *b;
	int rc, found = 0;

	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (size_t)sqlite3_column_bytes(st, 1) == csrflen &&
	    (b = sqlite3_column_blob(st, 1)) != NULL) {
		snprintf(operator, oplen, "%s", storedb_col_text(st, 0));
		memcpy(csrf, b, csrflen);
		*expires_ms = sqlite3_column_int64(st, 2);
		found = 1;
	}
	return storedb_row_result(s, st, rc, found, "session", err, errlen);
}

int
store_session_del(struct store *s, const uint8_t token_hash[32],
    const char *operator, int64_t now_ms, const char *detail, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_CONSOLE, S_SESS_DEL);

	if (store_begin(s, err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	return operator_change(s, st, "logout", operator, detail,
	    now_ms, err, errlen);
}

int
store_operator_token(struct store *s, const char *name,
    const uint8_t token_hash[32], const char *by, int64_t now_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_CONSOLE, S_OP_TOKEN);
	char detail[256];

	if (store_begin(s, err, errlen) == -1)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, token_hash, 32, SQLITE_STATIC);
	snprintf(detail, sizeof(detail), "bearer token issued by %s", by);
	return operator_change(s, st, "operator-token", name, detail,
	    now_ms, err, errlen);
}

int
store_operator_by_token(struct store *s, const uint8_t token_hash[32],
    char *name, size_t namelen, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_CONSOLE, S_OP_BY_TOKEN);
	int rc, found = 0;

	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(name, namelen, "%s", storedb_col_text(st, 0));
		found = 1;
	}
	return storedb_row_result(s, st, rc, found, "operator token", err, errlen);
}

int
store_confirm_add(struct store *s, const struct store_confirm *c,
    int64_t now_ms, int *cancelled, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_CONSOLE, S_CONFIRM_ADD);
	char detail[1024], ref[KAIRAN_ID_HEXLEN + 1], entity[128];
	int n;

	*cancelled = 0;
	if (store_begin(s, err, errlen) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, c->seq);
	sqlite3_bind_text(st, 2, c->recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->operator_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now_ms);
	if (storedb_step_done(s, st, err, errlen) == -1)
		goto fail;
	st = storedb_stmt(s, STOREDB_CONSOLE, S_CONFIRM_CANCEL);
	sqlite3_bind_int64(st, 1, c->seq);
	sqlite3_bind_text(st, 2, c->recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	if ((n = storedb_step_changes(s, st, err, errlen)) == -1)
		goto fail;
	message_hex(c->id, KAIRAN_ID_LEN, ref);
	snprintf(detail, sizeof(detail), "confirmed by phone ref=%s "
	    "recipient=%s name=%s mails_cancelled=%d%s%s", ref, c->recipient,
	    c->name, n, c->note[0] != '\0' ? " note=" : "", c->note);
	snprintf(entity, sizeof(entity), "operator:%s", c->operator_name);
	if (storedb_audit_add(s, "confirm", c->id, entity, c->digest, detail, now_ms,
	    err, errlen) == -1 || store_commit(s, err, errlen) == -1)
		goto fail;
	*cancelled = n;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_node_seen_put(struct store *s, const char *entity,
    int64_t connected_ms, int64_t disconnected_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = storedb_stmt(s, STOREDB_CONSOLE, S_SEEN_PUT);

	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	if (connected_ms > 0)
		sqlite3_bind_int64(st, 2, connected_ms);
	if (disconnected_ms > 0)
		sqlite3_bind_int64(st, 3, disconnected_ms);
	return storedb_step_done(s, st, err, errlen);
}
