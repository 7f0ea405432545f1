/*
 * store_confirm: a phone confirmation the sender records (see
 * store_confirm.h); never a receipt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_confirm.h"
#include "store_sql.h"

int
store_confirm_add(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    const char *entity, const char *by, const char *note, int64_t now_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	char hex[KAIRAN_ID_HEXLEN + 1];
	int found, rv;

	message_hex(id, KAIRAN_ID_LEN, hex);
	if (store_sql_begin(st, err, errlen) == -1)
		return -1;
	if (store_sql_exists(st,
	    "SELECT 1 FROM outbox WHERE id = ? AND kind = 1", id, &found, err,
	    errlen) == -1)
		goto fail;
	if (!found) {
		snprintf(err, errlen, "%s: no report of ours", hex);
		store_sql_rollback(st);
		return 0;
	}
	if (store_sql_prepare(st, &s,
	    "SELECT 1 FROM recipient WHERE id = ? AND entity = ?", err,
	    errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, entity, -1, SQLITE_TRANSIENT);
	rv = sqlite3_step(s);
	sqlite3_finalize(s);
	s = NULL;
	if (rv == SQLITE_DONE) {
		snprintf(err, errlen, "%s is not a recipient of report %s",
		    entity, hex);
		store_sql_rollback(st);
		return 0;
	}
	if (rv != SQLITE_ROW) {
		store_sql_err(st, err, errlen, "recipient lookup");
		goto fail;
	}
	if (store_sql_prepare(st, &s, "INSERT INTO phone_confirm(id, entity, "
	    "by, note, at_ms) VALUES(?, ?, ?, ?, ?)", err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, entity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, note != NULL ? note : "", -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, now_ms);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_sql_err(st, err, errlen, "phone confirmation insert");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (store_sql_commit(st, err, errlen) == -1)
		goto fail;
	return 1;
fail:
	sqlite3_finalize(s);
	store_sql_rollback(st);
	return -1;
}
