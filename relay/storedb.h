/*
 * storedb: the store's connection, shared by the store's modules (and by
 * no other part of the relay: they include store.h).
 *
 * It owns struct store: the SQLite connection, the prepared statements
 * of each part of the store (kept for the connection's life), the
 * transaction and the audit chain's head. Each part — store.c (the
 * schema, opening), store_message.c, store_console.c, store_mail.c —
 * owns the SQL of its statements (an array indexed by its own enum) and
 * reaches them with storedb_stmt; storedb.c itself owns the
 * transactions, the checkpoints and the audit chain (store.h).
 */
#ifndef KAIRAN_RELAY_STOREDB_H
#define KAIRAN_RELAY_STOREDB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* The parts of the store, each with its own prepared statements. */
enum storedb_part {
	STOREDB_CORE,		/* storedb.c: transactions, audit chain */
	STOREDB_MESSAGE,	/* store_message.c */
	STOREDB_CONSOLE,	/* store_console.c */
	STOREDB_MAIL,		/* store_mail.c */
	STOREDB_NPARTS
};

/* A part's SQL: sql[i] is its statement i. */
struct storedb_sql {
	const char *const	*sql;
	int			 n;
};

/* Each part's statements, defined in its file; store_open prepares them. */
extern const struct storedb_sql storedb_core_sql;
extern const struct storedb_sql store_message_sql;
extern const struct storedb_sql store_console_sql;
extern const struct storedb_sql store_mail_sql;

/*
 * A connection to path with sqlite3_open_v2's flags, no statements yet:
 * NULL with err ("PATH: out of memory", "PATH: <SQLite's words>") on
 * failure. Close with store_close.
 */
struct store	*storedb_connect(const char *path, int flags, char *err,
		    size_t errlen);
void		 storedb_busy_timeout(struct store *, int ms);
/* Prepares part's statements (persistent): 0, or -1 with err "SQL: why". */
int		 storedb_prepare(struct store *, enum storedb_part,
		    const struct storedb_sql *, char *err, size_t errlen);
/* Statement i of part (prepared by storedb_prepare). */
sqlite3_stmt	*storedb_stmt(struct store *, enum storedb_part, int i);
/*
 * PRAGMA user_version: the version; -1 if it gave no row; -2 if it could
 * not be prepared (err: "user_version: why").
 */
int		 storedb_user_version(struct store *, char *err, size_t errlen);
/* Reads the committed audit chain's head (at open): 0, or -1 with err. */
int		 storedb_audit_load(struct store *, char *err, size_t errlen);

/* sqlite3_exec of q: 0, or -1 with SQLite's message in err. */
int	 storedb_exec(struct store *, const char *q, char *err,
	    size_t errlen);
/* err = "what: <SQLite's last error>"; returns -1. */
int	 storedb_fail(struct store *, const char *what, char *err,
	    size_t errlen);
const char *storedb_errmsg(struct store *);
/*
 * Runs st, a statement without result rows, and resets it (bindings
 * cleared): 0, or -1 with err naming st's SQL.
 */
int	 storedb_step_done(struct store *, sqlite3_stmt *st, char *err,
	    size_t errlen);
/* storedb_step_done, then the number of rows it changed; -1 on error. */
int	 storedb_step_changes(struct store *, sqlite3_stmt *st, char *err,
	    size_t errlen);
/* The rows the last statement changed; the rowid of the last insert. */
int	 storedb_changes(struct store *);
int64_t	 storedb_last_rowid(struct store *);
/*
 * Resets st after a one-row lookup and turns the step's result into the
 * lookup's: found (1/0) for a row, 0 for none, -1 (err) otherwise.
 */
int	 storedb_row_result(struct store *, sqlite3_stmt *st, int rc,
	    int found, const char *what, char *err, size_t errlen);
/* A malloc'd copy of blob column i (caller frees). 0, or -1 out of memory. */
int	 storedb_column_dup(sqlite3_stmt *st, int i, uint8_t **out,
	    size_t *len);
/* Text column i, "" for NULL. */
const char *storedb_col_text(sqlite3_stmt *st, int i);

/*
 * Inside a transaction: the next row of the audit chain (audit.h), its
 * hash chained to the transaction's head. 0, or -1 with err.
 */
int	 storedb_audit_add(struct store *, const char *event,
	    const uint8_t *id, const char *entity, const uint8_t *digest,
	    const char *detail, int64_t now_ms, char *err, size_t errlen);

#endif
