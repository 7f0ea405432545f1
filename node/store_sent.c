/*
 * store_sent: our reports and advisories with their recipients counted
 * (see store_sent.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_msg.h"
#include "store_sent.h"
#include "store_sql.h"

/*
 * Our messages of outbox kind (1 reports, 3 advisories) in the order
 * `order`, each with its recipients counted as status_of() ranks them:
 * done > acknowledged > delivered > rejected > pending.
 */
static long
sent_list(struct store *st, int kind, const char *order,
    struct store_sent **out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	struct store_sent *v = NULL, *nv;
	size_t n = 0, cap = 0;
	char sql[2560];
	int rc;

	*out = NULL;
	snprintf(sql, sizeof(sql), "SELECT " STORE_MSG_OUT_COLS ", "
	    "(SELECT count(*) FROM recipient r WHERE r.id = o.id), "
	    "(SELECT count(*) FROM recipient r WHERE r.id = o.id AND "
	    " (r.delivered_ms IS NOT NULL OR r.acknowledged_ms IS NOT NULL "
	    "  OR r.done_ms IS NOT NULL)), "
	    "(SELECT count(*) FROM recipient r WHERE r.id = o.id AND "
	    " (r.acknowledged_ms IS NOT NULL OR r.done_ms IS NOT NULL)), "
	    "(SELECT count(*) FROM recipient r WHERE r.id = o.id AND "
	    " r.rejected_ms IS NOT NULL AND r.delivered_ms IS NULL AND "
	    " r.acknowledged_ms IS NULL AND r.done_ms IS NULL), "
	    "(SELECT count(*) FROM recipient r WHERE r.id = o.id AND "
	    " r.overdue_ms IS NOT NULL AND r.acknowledged_ms IS NULL), "
	    "(SELECT count(*) FROM recipient r WHERE r.id = o.id AND "
	    " r.done_ms IS NOT NULL), "
	    "(SELECT count(*) FROM recipient r WHERE r.id = o.id AND "
	    " r.mailed_ms IS NOT NULL AND r.delivered_ms IS NULL AND "
	    " r.acknowledged_ms IS NULL), "
	    "(SELECT count(*) FROM recipient r WHERE r.id = o.id AND "
	    " r.mailed_ms IS NOT NULL AND r.delivered_ms IS NULL AND "
	    " r.acknowledged_ms IS NULL AND NOT EXISTS (SELECT 1 FROM "
	    " phone_confirm p WHERE p.id = r.id AND p.entity = r.entity)), "
	    "(SELECT count(*) FROM internal_mail i WHERE i.id = o.id), "
	    "(SELECT count(*) FROM internal_mail i WHERE i.id = o.id AND "
	    " i.state = 1), "
	    "(SELECT count(*) FROM internal_mail i WHERE i.id = o.id AND "
	    " i.state = 2) "
	    "FROM outbox o WHERE kind = %d ORDER BY %s", kind, order);
	if (store_sql_prepare(st, &s, sql, err, errlen) == -1)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((nv = store_sql_grow(v, &cap, n, sizeof(*v), 16)) == NULL)
			goto oom;
		v = nv;
		memset(&v[n], 0, sizeof(v[n]));
		if (store_msg_read(s, STORE_OUT, &v[n].msg) == -1) {
			n++;
			goto oom;
		}
		v[n].total = sqlite3_column_int64(s, 10);
		v[n].delivered = sqlite3_column_int64(s, 11);
		v[n].acknowledged = sqlite3_column_int64(s, 12);
		v[n].rejected = sqlite3_column_int64(s, 13);
		v[n].overdue = sqlite3_column_int64(s, 14);
		v[n].done = sqlite3_column_int64(s, 15);
		v[n].mailed = sqlite3_column_int64(s, 16);
		v[n].unconfirmed = sqlite3_column_int64(s, 17);
		v[n].imail = sqlite3_column_int64(s, 18);
		v[n].imail_sent = sqlite3_column_int64(s, 19);
		v[n].imail_failed = sqlite3_column_int64(s, 20);
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_sent_free(v, n);
		return store_sql_err(st, err, errlen, "sent");
	}
	*out = v;
	return (long)n;
oom:
	sqlite3_finalize(s);
	store_sent_free(v, n);
	snprintf(err, errlen, "out of memory");
	return -1;
}

long
store_sent_list(struct store *st, struct store_sent **out, char *err,
    size_t errlen)
{
	return sent_list(st, 1, "(SELECT max(o2.seq) FROM outbox o2 WHERE "
	    "o2.kind = 1 AND o2.incident = o.incident) DESC, o.seq DESC", out,
	    err, errlen);
}

long
store_sent_advisories(struct store *st, struct store_sent **out, char *err,
    size_t errlen)
{
	return sent_list(st, 3, "o.seq DESC", out, err, errlen);
}

void
store_sent_free(struct store_sent *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_msg_clear(&v[i].msg);
	free(v);
}
