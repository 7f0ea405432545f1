/*
 * store_imail: the internal_mail table (schema 8; see store_imail.h and
 * mailout.h): the rows planned when a report or advisory of ours is
 * written, and the sender's claims and results on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "store.h"
#include "store_imail.h"
#include "store_sql.h"

int
store_imail_plan(struct store *st, const Message *m, const IncidentReport *r,
    char *err, size_t errlen)
{
	const struct config_addressee *all, *a;
	sqlite3_stmt *s = NULL;
	size_t i, n;
	int rv = -1;

	all = store_sql_imail(st, &n);
	for (i = 0; i < n; i++) {
		a = &all[i];
		if (r != NULL ? r->level > 3 || !(a->levels & (1u << r->level)) :
		    !a->advisories)
			continue;
		if (s == NULL && store_sql_prepare(st, &s,
		    "INSERT INTO internal_mail(id, role, address, due_ms) "
		    "VALUES(?, ?, ?, ?)", err, errlen) == -1)
			return -1;
		sqlite3_reset(s);
		sqlite3_bind_blob(s, 1, m->id.data, (int)m->id.len,
		    SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, a->role, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, a->address, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, m->created_at_ms);
		if (sqlite3_step(s) != SQLITE_DONE) {
			store_sql_err(st, err, errlen, "internal_mail insert");
			goto fail;
		}
	}
	rv = 0;
fail:
	sqlite3_finalize(s);
	return rv;
}

int
store_imail_set(struct store *st, const struct config_addressee *a, size_t n,
    char *err, size_t errlen)
{
	struct config_addressee *copy = NULL;

	if (n > 0 && (copy = calloc(n, sizeof(*copy))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (n > 0)
		memcpy(copy, a, n * sizeof(*copy));
	store_sql_imail_set(st, copy, n);
	return 0;
}


/*
 * The rows of stmt s (columns seq, id, role, address, state, attempts,
 * code, reply, due_ms, at_ms[, envelope]) into *rows (malloc'd, *n of
 * them). 0, or -1 with err (nothing returned).
 */
static int
imail_rows(struct store *st, sqlite3_stmt *s, int with_env,
    struct store_imail **rows, size_t *n, char *err, size_t errlen)
{
	struct store_imail *v = NULL, *x, *q;
	size_t cap = 0, k = 0;
	int rc, len;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 8;
			if ((q = realloc(v, cap * sizeof(*v))) == NULL)
				goto oom;
			v = q;
		}
		x = &v[k++];
		memset(x, 0, sizeof(*x));
		x->seq = sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) == KAIRAN_ID_LEN)
			memcpy(x->id, sqlite3_column_blob(s, 1), KAIRAN_ID_LEN);
		x->role = store_sql_strdup(s, 2);
		x->address = store_sql_strdup(s, 3);
		x->state = sqlite3_column_int(s, 4);
		x->attempts = sqlite3_column_int(s, 5);
		x->code = sqlite3_column_type(s, 6) == SQLITE_NULL ? -1 :
		    (long)sqlite3_column_int64(s, 6);
		x->reply = store_sql_strdup(s, 7);
		x->due_ms = sqlite3_column_int64(s, 8);
		x->at_ms = sqlite3_column_int64(s, 9);
		if (x->role == NULL || x->address == NULL)
			goto oom;
		if (with_env && (len = sqlite3_column_bytes(s, 10)) > 0) {
			if ((x->env = malloc((size_t)len)) == NULL)
				goto oom;
			memcpy(x->env, sqlite3_column_blob(s, 10), (size_t)len);
			x->envlen = (size_t)len;
		}
	}
	if (rc != SQLITE_DONE) {
		store_sql_err(st, err, errlen, "internal_mail read");
		goto fail;
	}
	*rows = v;
	*n = k;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	store_imail_free(v, k);
	return -1;
}

int
store_imail_due(struct store *st, int64_t now_ms, size_t max,
    struct store_imail **rows, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv;

	*rows = NULL;
	*n = 0;
	if (store_sql_prepare(st, &s, "SELECT m.seq, m.id, m.role, m.address, "
	    "m.state, m.attempts, m.code, m.reply, m.due_ms, m.at_ms, "
	    "o.envelope FROM internal_mail m JOIN outbox o ON o.id = m.id "
	    "WHERE m.state = 0 AND m.due_ms <= ? ORDER BY m.due_ms, m.seq "
	    "LIMIT ?", err, errlen) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	rv = imail_rows(st, s, 1, rows, n, err, errlen);
	sqlite3_finalize(s);
	return rv;
}

int
store_imail_next(struct store *st, int64_t *due_ms, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv;

	if (store_sql_prepare(st, &s, "SELECT MIN(due_ms) FROM internal_mail "
	    "WHERE state = 0", err, errlen) == -1)
		return -1;
	if ((rv = sqlite3_step(s)) != SQLITE_ROW) {
		store_sql_err(st, err, errlen, "internal_mail next");
		sqlite3_finalize(s);
		return -1;
	}
	rv = sqlite3_column_type(s, 0) != SQLITE_NULL;
	if (rv)
		*due_ms = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rv;
}

int
store_imail_result(struct store *st, int64_t seq, int state, int attempts,
    long code, const char *reply, int64_t due_ms, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv = -1;

	/* one statement: its own transaction; only a pending row moves */
	if (store_sql_prepare(st, &s, "UPDATE internal_mail SET state = ?, "
	    "attempts = ?, code = ?, reply = ?, due_ms = ?, at_ms = ? "
	    "WHERE seq = ? AND state = 0", err, errlen) == -1)
		return -1;
	sqlite3_bind_int(s, 1, state);
	sqlite3_bind_int(s, 2, attempts);
	sqlite3_bind_int64(s, 3, code);
	store_sql_bind_text(s, 4, reply);
	sqlite3_bind_int64(s, 5, due_ms);
	sqlite3_bind_int64(s, 6, now_ms);
	sqlite3_bind_int64(s, 7, seq);
	if (sqlite3_step(s) != SQLITE_DONE)
		store_sql_err(st, err, errlen, "internal_mail update");
	else
		rv = 0;
	sqlite3_finalize(s);
	return rv;
}

int
store_imail_claim(struct store *st, int64_t seq, int64_t until_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv = -1;

	if (store_sql_prepare(st, &s, "UPDATE internal_mail SET due_ms = ? "
	    "WHERE seq = ? AND state = 0", err, errlen) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, until_ms);
	sqlite3_bind_int64(s, 2, seq);
	if (sqlite3_step(s) != SQLITE_DONE)
		store_sql_err(st, err, errlen, "internal_mail claim");
	else
		rv = 0;
	sqlite3_finalize(s);
	return rv;
}

int
store_imail_list(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    struct store_imail **rows, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv;

	*rows = NULL;
	*n = 0;
	if (store_sql_prepare(st, &s, "SELECT seq, id, role, address, state, "
	    "attempts, code, reply, due_ms, at_ms FROM internal_mail "
	    "WHERE id = ? ORDER BY seq", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	rv = imail_rows(st, s, 0, rows, n, err, errlen);
	sqlite3_finalize(s);
	return rv;
}

void
store_imail_free(struct store_imail *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].role);
		free(v[i].address);
		free(v[i].reply);
		free(v[i].env);
	}
	free(v);
}
