/*
 * store_outbox: what we signed (see store_outbox.h): the outbox row of a
 * message of ours and its recipients, written in the caller's or in its
 * own transaction; the next message a route has to send.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_imail.h"
#include "store_outbox.h"
#include "store_sql.h"

/* Inserts the outbox row (and a report's recipients); inside a transaction. */
int
store_outbox_insert(struct store *st, const Message *m, const uint8_t *env,
    size_t envlen, const uint8_t digest[KAIRAN_DIGEST_LEN],
    const char *const *required, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const IncidentReport *r = NULL;
	const Receipt *rc = NULL;
	size_t i;
	int rv = -1;

	int adv = m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY &&
	    m->advisory != NULL;

	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT)
		r = m->report;
	else if (m->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT)
		rc = m->receipt;
	if ((r == NULL && rc == NULL && !adv) || m->id.len != KAIRAN_ID_LEN) {
		snprintf(err, errlen, "outbox: message without id or body");
		return -1;
	}
	if (store_sql_prepare(st, &s, "INSERT INTO outbox(id, kind, incident, "
	    "report_no, ref_id, status, created_ms, envelope, digest, phase) "
	    "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, m->id.data, (int)m->id.len, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, r != NULL ? 1 : adv ? 3 : 2);
	if (r != NULL) {
		sqlite3_bind_blob(s, 3, r->incident_id.data,
		    (int)r->incident_id.len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, r->report_no);
		sqlite3_bind_int(s, 10, r->phase);
	} else if (rc != NULL)
		sqlite3_bind_blob(s, 5, rc->ref_id.data, (int)rc->ref_id.len,
		    SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 6, m->status);
	sqlite3_bind_int64(s, 7, m->created_at_ms);
	sqlite3_bind_blob(s, 8, env, (int)envlen, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 9, digest, KAIRAN_DIGEST_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_sql_err(st, err, errlen, "outbox insert");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (r != NULL || adv) {
		if (store_sql_prepare(st, &s, "INSERT INTO recipient(id, "
		    "entity, pos, required) VALUES(?, ?, ?, ?)", err,
		    errlen) == -1)
			goto fail;
		for (i = 0; i < m->n_recipients; i++) {
			sqlite3_reset(s);
			sqlite3_bind_blob(s, 1, m->id.data, (int)m->id.len,
			    SQLITE_TRANSIENT);
			sqlite3_bind_text(s, 2, m->recipients[i], -1,
			    SQLITE_TRANSIENT);
			sqlite3_bind_int64(s, 3, (sqlite3_int64)i);
			store_sql_bind_text(s, 4, required != NULL ?
			    required[i] : NULL);
			if (sqlite3_step(s) != SQLITE_DONE) {
				store_sql_err(st, err, errlen,
				    "recipient insert");
				goto fail;
			}
		}
		if (store_imail_plan(st, m, r, err, errlen) == -1)
			goto fail;
	}
	rv = 0;
fail:
	sqlite3_finalize(s);
	return rv;
}

int
store_outbox_add(struct store *st, const Message *m, const uint8_t *env,
    size_t envlen, const uint8_t digest[KAIRAN_DIGEST_LEN], char *err,
    size_t errlen)
{
	if (store_sql_begin(st, err, errlen) == -1)
		return -1;
	if (store_outbox_insert(st, m, env, envlen, digest, NULL, err,
	    errlen) == -1) {
		store_sql_rollback(st);
		return -1;
	}
	if (store_sql_commit(st, err, errlen) == -1) {
		store_sql_rollback(st);
		return -1;
	}
	return 0;
}

int
store_outbox_report(struct store *st, const uint8_t incident[KAIRAN_ID_LEN],
    store_seal_fn seal, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	struct store_last last;
	struct store_sealed out;
	int n;

	memset(&last, 0, sizeof(last));
	memset(&out, 0, sizeof(out));
	/*
	 * BEGIN IMMEDIATE takes the write lock before the read: a second
	 * `update` waits here and then reads the number this one commits.
	 */
	if (store_sql_begin(st, err, errlen) == -1)
		return -1;
	if (store_sql_prepare(st, &s, "SELECT report_no, status, envelope FROM "
	    "outbox WHERE kind = 1 AND incident = ? ORDER BY report_no DESC, "
	    "seq DESC LIMIT 1", err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, incident, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		last.found = 1;
		last.report_no = (uint32_t)sqlite3_column_int64(s, 0);
		last.status = sqlite3_column_int(s, 1);
		n = sqlite3_column_bytes(s, 2);
		last.env = sqlite3_column_blob(s, 2);
		last.envlen = n > 0 ? (size_t)n : 0;
		break;
	case SQLITE_DONE:
		break;
	default:
		store_sql_err(st, err, errlen, "last report");
		goto fail;
	}
	if (seal(arg, &last, &out, err, errlen) == -1)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	if (store_outbox_insert(st, out.m, out.env, out.envlen, out.digest,
	    out.required, err, errlen) == -1)
		goto fail;
	if (store_sql_commit(st, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(s);
	store_sql_rollback(st);
	return -1;
}

#define UNANSWERED \
	"NOT EXISTS (SELECT 1 FROM outbox_route r WHERE r.id = o.id AND " \
	"r.route = ?1 AND (r.accepted_ms IS NOT NULL OR " \
	"r.refused_reason IS NOT NULL))"

int
store_outbox_next(struct store *st, const char *route, int64_t after,
    int64_t *seq, uint8_t id[KAIRAN_ID_LEN], uint8_t **env, size_t *envlen,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const void *b;
	int n, rv = -1;

	*env = NULL;
	if (store_sql_prepare(st, &s,
	    "SELECT seq, id, envelope FROM outbox o WHERE seq > ?2 AND "
	    UNANSWERED " ORDER BY seq LIMIT 1", err, errlen) == -1)
		return -1;
	sqlite3_bind_text(s, 1, route, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, after);
	switch (sqlite3_step(s)) {
	case SQLITE_DONE:
		rv = 0;
		break;
	case SQLITE_ROW:
		*seq = sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) != KAIRAN_ID_LEN) {
			snprintf(err, errlen, "outbox seq %lld: bad id",
			    (long long)*seq);
			break;
		}
		memcpy(id, sqlite3_column_blob(s, 1), KAIRAN_ID_LEN);
		n = sqlite3_column_bytes(s, 2);
		b = sqlite3_column_blob(s, 2);
		if (n <= 0 || (*env = malloc((size_t)n)) == NULL) {
			snprintf(err, errlen, "outbox seq %lld: no envelope",
			    (long long)*seq);
			break;
		}
		memcpy(*env, b, (size_t)n);
		*envlen = (size_t)n;
		rv = 1;
		break;
	default:
		store_sql_err(st, err, errlen, "outbox next");
		break;
	}
	sqlite3_finalize(s);
	return rv;
}

long long
store_outbox_unanswered(struct store *st, const char *route)
{
	sqlite3_stmt *s;
	long long n = -1;

	if (sqlite3_prepare_v2(store_sql_db(st),
	    "SELECT count(*) FROM outbox o WHERE " UNANSWERED, -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, route, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

long
store_outbox_recipients(struct store *st,
    const uint8_t incident[KAIRAN_ID_LEN], char ***out, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	char **v = NULL, **nv;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	if (store_sql_prepare(st, &s, "SELECT DISTINCT r.entity FROM "
	    "recipient r JOIN outbox o ON o.id = r.id WHERE o.incident = ? "
	    "AND o.kind = 1 ORDER BY r.entity", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, incident, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((nv = store_sql_grow(v, &cap, n, sizeof(*v), 16)) == NULL)
			goto oom;
		v = nv;
		if ((v[n] = store_sql_strdup(s, 0)) == NULL)
			goto oom;
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_strings_free(v, n);
		return store_sql_err(st, err, errlen, "recipients");
	}
	*out = v;
	return (long)n;
oom:
	sqlite3_finalize(s);
	store_strings_free(v, n);
	snprintf(err, errlen, "out of memory");
	return -1;
}
