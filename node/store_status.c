/*
 * store_status: one message of ours, per route and per recipient (see
 * store_status.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_sql.h"
#include "store_status.h"

int
store_status(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    struct store_status *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	size_t cap;
	void *nv;
	int found, rc;

	memset(out, 0, sizeof(*out));
	if (store_sql_exists(st, "SELECT 1 FROM outbox WHERE id = ?", id,
	    &found, err, errlen) == -1)
		return -1;
	if (!found)
		return 0;
	if (store_sql_prepare(st, &s, "SELECT route, accepted_ms, "
	    "refused_reason, refused_detail FROM outbox_route WHERE id = ? "
	    "ORDER BY route", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_route_state *r;

		if ((nv = store_sql_grow(out->routes, &cap, out->nroutes,
		    sizeof(*out->routes), 4)) == NULL)
			goto oom;
		out->routes = nv;
		r = &out->routes[out->nroutes++];
		memset(r, 0, sizeof(*r));
		r->route = store_sql_strdup(s, 0);
		r->accepted_ms = sqlite3_column_int64(s, 1);
		r->refused_reason = sqlite3_column_int(s, 2);
		r->refused_detail = store_sql_strdup(s, 3);
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(s);
	if (store_sql_prepare(st, &s, "SELECT entity, delivered_ms, "
	    "acknowledged_ms, acknowledged_by, ack_note, rejected_ms, "
	    "rejected_reason, rejected_by, required, held_by, held_ms, "
	    "overdue_by, overdue_ms, done_ms, done_by, done_note, mailed_by, "
	    "mailed_ms, mailed_note FROM recipient WHERE id = ? ORDER BY pos",
	    err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_rcpt_state *r;
		const unsigned char *t;

		if ((nv = store_sql_grow(out->rcpts, &cap, out->nrcpts,
		    sizeof(*out->rcpts), 16)) == NULL)
			goto oom;
		out->rcpts = nv;
		r = &out->rcpts[out->nrcpts++];
		memset(r, 0, sizeof(*r));
		t = sqlite3_column_text(s, 0);
		snprintf(r->entity, sizeof(r->entity), "%s",
		    t != NULL ? (const char *)t : "");
		r->delivered_ms = sqlite3_column_int64(s, 1);
		r->acknowledged_ms = sqlite3_column_int64(s, 2);
		r->acknowledged_by = store_sql_strdup(s, 3);
		r->ack_note = store_sql_strdup(s, 4);
		r->rejected_ms = sqlite3_column_int64(s, 5);
		r->rejected_reason = store_sql_strdup(s, 6);
		r->rejected_by = store_sql_strdup(s, 7);
		r->required = store_sql_strdup(s, 8);
		r->held_by = store_sql_strdup(s, 9);
		r->held_ms = sqlite3_column_int64(s, 10);
		r->overdue_by = store_sql_strdup(s, 11);
		r->overdue_ms = sqlite3_column_int64(s, 12);
		r->done_ms = sqlite3_column_int64(s, 13);
		r->done_by = store_sql_strdup(s, 14);
		r->done_note = store_sql_strdup(s, 15);
		r->mailed_by = store_sql_strdup(s, 16);
		r->mailed_ms = sqlite3_column_int64(s, 17);
		r->mailed_note = store_sql_strdup(s, 18);
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(s);
	/* the phone confirmations, apart: each to its recipient, in order */
	if (store_sql_prepare(st, &s, "SELECT entity, by, note, at_ms FROM "
	    "phone_confirm WHERE id = ? ORDER BY seq", err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);
		struct store_rcpt_state *r = NULL;
		struct store_phone *p;
		size_t i;

		for (i = 0; i < out->nrcpts; i++)
			if (t != NULL && strcmp(out->rcpts[i].entity,
			    (const char *)t) == 0)
				r = &out->rcpts[i];
		if (r == NULL)
			continue;
		if ((p = realloc(r->phones, (r->nphones + 1) *
		    sizeof(*p))) == NULL)
			goto oom;
		r->phones = p;
		p = &r->phones[r->nphones++];
		p->by = store_sql_strdup(s, 1);
		p->note = store_sql_strdup(s, 2);
		p->at_ms = sqlite3_column_int64(s, 3);
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(s);
	return 1;
sqlfail:
	store_sql_err(st, err, errlen, "status");
	goto fail;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	sqlite3_finalize(s);
	store_status_clear(out);
	return -1;
}

void
store_status_clear(struct store_status *stt)
{
	size_t i, j;

	if (stt == NULL)
		return;
	for (i = 0; i < stt->nroutes; i++) {
		free(stt->routes[i].route);
		free(stt->routes[i].refused_detail);
	}
	for (i = 0; i < stt->nrcpts; i++) {
		free(stt->rcpts[i].acknowledged_by);
		free(stt->rcpts[i].ack_note);
		free(stt->rcpts[i].rejected_reason);
		free(stt->rcpts[i].rejected_by);
		free(stt->rcpts[i].required);
		free(stt->rcpts[i].held_by);
		free(stt->rcpts[i].overdue_by);
		free(stt->rcpts[i].done_by);
		free(stt->rcpts[i].done_note);
		free(stt->rcpts[i].mailed_by);
		free(stt->rcpts[i].mailed_note);
		for (j = 0; j < stt->rcpts[i].nphones; j++) {
			free(stt->rcpts[i].phones[j].by);
			free(stt->rcpts[i].phones[j].note);
		}
		free(stt->rcpts[i].phones);
	}
	free(stt->routes);
	free(stt->rcpts);
	memset(stt, 0, sizeof(*stt));
}
