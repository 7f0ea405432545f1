/*
 * store_route: the routes' answers to our messages (outbox_route) and the
 * daemon's connection state per route (route_state); see store_route.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_route.h"
#include "store_sql.h"

static int
route_answer(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    const char *route, int accepted, int reason, const char *detail,
    int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv = -1;

	/*
	 * Only for ids in our outbox (the SELECT yields no row otherwise);
	 * the first Accepted time is kept.
	 */
	if (store_sql_prepare(st, &s, accepted ?
	    "INSERT INTO outbox_route(id, route, accepted_ms) "
	    "SELECT id, ?2, ?3 FROM outbox WHERE id = ?1 "
	    "ON CONFLICT(id, route) DO UPDATE SET accepted_ms = "
	    "coalesce(accepted_ms, excluded.accepted_ms)" :
	    "INSERT INTO outbox_route(id, route, refused_reason, "
	    "refused_detail, refused_ms) "
	    "SELECT id, ?2, ?4, ?5, ?3 FROM outbox WHERE id = ?1 "
	    "ON CONFLICT(id, route) DO UPDATE SET "
	    "refused_reason = excluded.refused_reason, "
	    "refused_detail = excluded.refused_detail, "
	    "refused_ms = excluded.refused_ms", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, route, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, now_ms);
	if (!accepted) {
		sqlite3_bind_int(s, 4, reason);
		store_sql_bind_text(s, 5, detail);
	}
	if (sqlite3_step(s) != SQLITE_DONE)
		store_sql_err(st, err, errlen, "route answer");
	else
		rv = 0;
	sqlite3_finalize(s);
	return rv;
}

int
store_route_accepted(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    const char *route, int64_t now_ms, char *err, size_t errlen)
{
	return route_answer(st, id, route, 1, 0, NULL, now_ms, err, errlen);
}

int
store_route_refused(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    const char *route, int reason, const char *detail, int64_t now_ms,
    char *err, size_t errlen)
{
	return route_answer(st, id, route, 0, reason, detail, now_ms, err,
	    errlen);
}

int
store_route_conn_set(struct store *st, const char *route, int connected,
    int64_t since_ms, const char *reason, long pid, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv = -1;

	/* One short statement, autocommit: a transaction of its own. */
	if (store_sql_prepare(st, &s, "INSERT OR REPLACE INTO "
	    "route_state(route, connected, since_ms, reason, pid) VALUES(?, ?, "
	    "?, ?, ?)", err, errlen) == -1)
		return -1;
	sqlite3_bind_text(s, 1, route, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, connected != 0);
	sqlite3_bind_int64(s, 3, since_ms);
	store_sql_bind_text(s, 4, reason);
	sqlite3_bind_int64(s, 5, pid);
	if (sqlite3_step(s) != SQLITE_DONE)
		store_sql_err(st, err, errlen, "route state");
	else
		rv = 0;
	sqlite3_finalize(s);
	return rv;
}

int
store_route_conn_get(struct store *st, const char *route,
    struct store_route_conn *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv = -1;

	memset(out, 0, sizeof(*out));
	if (store_sql_prepare(st, &s, "SELECT connected, since_ms, reason, pid "
	    "FROM route_state WHERE route = ?", err, errlen) == -1)
		return -1;
	sqlite3_bind_text(s, 1, route, -1, SQLITE_TRANSIENT);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		out->connected = sqlite3_column_int(s, 0);
		out->since_ms = sqlite3_column_int64(s, 1);
		out->reason = store_sql_strdup(s, 2);
		out->pid = (long)sqlite3_column_int64(s, 3);
		rv = 1;
		break;
	case SQLITE_DONE:
		rv = 0;
		break;
	default:
		store_sql_err(st, err, errlen, "route state");
		break;
	}
	sqlite3_finalize(s);
	return rv;
}

void
store_route_conn_clear(struct store_route_conn *c)
{
	if (c == NULL)
		return;
	free(c->reason);
	memset(c, 0, sizeof(*c));
}
