/*
 * store_msg: stored messages read back (see store_msg.h): one row as a
 * struct store_msg, by id, by incident, a withdrawal, ids by prefix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_msg.h"
#include "store_sql.h"

int
store_msg_read(sqlite3_stmt *s, enum store_dir dir, struct store_msg *m)
{
	const unsigned char *t;
	int n;

	memset(m, 0, sizeof(*m));
	m->dir = dir;
	m->seq = sqlite3_column_int64(s, 0);
	store_sql_blob(s, 1, m->id, KAIRAN_ID_LEN);
	m->is_report = sqlite3_column_int(s, 2) == 1;
	m->is_advisory = sqlite3_column_int(s, 2) == 3;
	store_sql_blob(s, 3, m->incident, KAIRAN_ID_LEN);
	m->report_no = (uint32_t)sqlite3_column_int64(s, 4);
	m->status = sqlite3_column_int(s, 5);
	m->created_ms = sqlite3_column_int64(s, 6);
	n = sqlite3_column_bytes(s, 7);
	if (n > 0) {
		if ((m->env = malloc((size_t)n)) == NULL)
			return -1;
		memcpy(m->env, sqlite3_column_blob(s, 7), (size_t)n);
		m->envlen = (size_t)n;
	}
	store_sql_blob(s, 8, m->digest, KAIRAN_DIGEST_LEN);
	m->phase = sqlite3_column_int(s, dir == STORE_IN ? 15 : 9);
	if (dir == STORE_IN) {
		t = sqlite3_column_text(s, 9);
		snprintf(m->sender, sizeof(m->sender), "%s",
		    t != NULL ? (const char *)t : "");
		m->received_ms = sqlite3_column_int64(s, 10);
		m->route = store_sql_strdup(s, 11);
		m->ack_ms = sqlite3_column_int64(s, 12);
		m->ack_by = store_sql_strdup(s, 13);
		m->ack_note = store_sql_strdup(s, 14);
		m->done_ms = sqlite3_column_int64(s, 16);
		m->done_by = store_sql_strdup(s, 17);
		m->done_note = store_sql_strdup(s, 18);
	}
	return 0;
}

void
store_msg_clear(struct store_msg *m)
{
	if (m == NULL)
		return;
	free(m->route);
	free(m->ack_by);
	free(m->ack_note);
	free(m->done_by);
	free(m->done_note);
	free(m->env);
	memset(m, 0, sizeof(*m));
}

void
store_msgs_free(struct store_msg *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_msg_clear(&v[i]);
	free(v);
}

/* Runs s (bound) and collects all rows. Returns count or -1. */
long
store_msg_collect(struct store *st, sqlite3_stmt *s, enum store_dir dir,
    struct store_msg **out, char *err, size_t errlen)
{
	struct store_msg *v = NULL, *nv;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((nv = store_sql_grow(v, &cap, n, sizeof(*v), 16)) == NULL)
			goto oom;
		v = nv;
		if (store_msg_read(s, dir, &v[n]) == -1) {
			n++;
			goto oom;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		store_msgs_free(v, n);
		return store_sql_err(st, err, errlen, "read");
	}
	*out = v;
	return (long)n;
oom:
	store_msgs_free(v, n);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
store_msg_get(struct store *st, enum store_dir dir,
    const uint8_t id[KAIRAN_ID_LEN], struct store_msg *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	struct store_msg *v;
	long n;

	if (store_sql_prepare(st, &s, dir == STORE_IN ? "SELECT "
	    STORE_MSG_IN_COLS " FROM inbox WHERE id = ?" : "SELECT "
	    STORE_MSG_OUT_COLS " FROM outbox WHERE id = ?", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	n = store_msg_collect(st, s, dir, &v, err, errlen);
	sqlite3_finalize(s);
	if (n <= 0)
		return (int)n;
	*out = v[0];
	free(v);
	return 1;
}

long
store_msg_incident(struct store *st, enum store_dir dir,
    const uint8_t incident[KAIRAN_ID_LEN], struct store_msg **out, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	long n;

	if (store_sql_prepare(st, &s, dir == STORE_IN ?
	    "SELECT " STORE_MSG_IN_COLS " FROM inbox WHERE incident = ? "
	    "ORDER BY report_no, seq" :
	    "SELECT " STORE_MSG_OUT_COLS " FROM outbox "
	    "WHERE incident = ? AND kind = 1 "
	    "ORDER BY report_no, seq", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, incident, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	n = store_msg_collect(st, s, dir, out, err, errlen);
	sqlite3_finalize(s);
	return n;
}

int
store_msg_withdrawal(struct store *st, enum store_dir dir,
    const uint8_t incident[KAIRAN_ID_LEN], struct store_msg *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	struct store_msg *v;
	long n;

	memset(out, 0, sizeof(*out));
	if (store_sql_prepare(st, &s, dir == STORE_IN ? "SELECT "
	    STORE_MSG_IN_COLS " FROM inbox WHERE incident = ?1 AND phase = ?2 "
	    "ORDER BY seq LIMIT 1" : "SELECT " STORE_MSG_OUT_COLS
	    " FROM outbox WHERE kind = 1 AND incident = ?1 AND phase = ?2 "
	    "ORDER BY seq LIMIT 1", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, incident, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN);
	n = store_msg_collect(st, s, dir, &v, err, errlen);
	sqlite3_finalize(s);
	if (n <= 0)
		return (int)n;
	*out = v[0];
	free(v);
	return 1;
}

long
store_msg_id_prefix(struct store *st, const char *prefix, unsigned what,
    uint8_t (**out)[KAIRAN_ID_LEN], unsigned **kinds, char *err,
    size_t errlen)
{
	static const struct {
		unsigned	 flag;
		const char	*sql;
	} parts[] = {
		{ STORE_ID_IN_MSG, "SELECT DISTINCT id AS x, 1 AS k FROM inbox" },
		{ STORE_ID_IN_INC,
		    "SELECT DISTINCT incident AS x, 2 AS k FROM inbox" },
		{ STORE_ID_OUT_MSG,
		    "SELECT DISTINCT id AS x, 4 AS k FROM outbox" },
		{ STORE_ID_OUT_INC, "SELECT DISTINCT incident AS x, 8 AS k "
		    "FROM outbox WHERE kind = 1" },
	};
	char sql[1024], up[KAIRAN_ID_HEXLEN + 1];
	sqlite3_stmt *s = NULL;
	uint8_t (*v)[KAIRAN_ID_LEN] = NULL, (*nv)[KAIRAN_ID_LEN];
	unsigned *k = NULL, *nk;
	size_t i, n = 0, cap = 0, len;
	int rc;

	*out = NULL;
	*kinds = NULL;
	len = strlen(prefix);
	if (len > KAIRAN_ID_HEXLEN) {
		snprintf(err, errlen, "id prefix: too long");
		return -1;
	}
	for (i = 0; i <= len; i++)
		up[i] = (char)(prefix[i] >= 'a' && prefix[i] <= 'f' ?
		    prefix[i] - 'a' + 'A' : prefix[i]);
	snprintf(sql, sizeof(sql), "SELECT x, sum(k) FROM (");
	for (i = 0, rc = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (!(what & parts[i].flag))
			continue;
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
		    "%s %s",
		    rc++ ? " UNION ALL" : "", parts[i].sql);
	}
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
	    ") WHERE length(x) = %d AND substr(hex(x), 1, ?1) = ?2 "
	    "GROUP BY x ORDER BY x", KAIRAN_ID_LEN);
	if (rc == 0) {
		snprintf(err, errlen, "id prefix: nothing to look in");
		return -1;
	}
	if (store_sql_prepare(st, &s, sql, err, errlen) == -1)
		return -1;
	sqlite3_bind_int(s, 1, (int)len);
	sqlite3_bind_text(s, 2, up, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				goto oom;
			v = nv;
			if ((nk = reallocarray(k, cap, sizeof(*k))) == NULL)
				goto oom;
			k = nk;
		}
		store_sql_blob(s, 0, v[n], KAIRAN_ID_LEN);
		k[n] = (unsigned)sqlite3_column_int(s, 1);
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		free(k);
		return store_sql_err(st, err, errlen, "id prefix");
	}
	*out = v;
	*kinds = k;
	return (long)n;
oom:
	sqlite3_finalize(s);
	free(v);
	free(k);
	snprintf(err, errlen, "out of memory");
	return -1;
}
