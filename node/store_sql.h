/*
 * store_sql: for the store modules only (store_*.c), never for the rest
 * of the node: the connection's SQLite handle and the helpers each of them
 * uses around its own statements, kept by store.c. Whoever else needs the
 * database calls a store module's function.
 *
 * The error helpers fill err with "<db path>: what: sqlite's message"
 * and remember whether it failed on a lock (store_busy).
 */
#ifndef KAIRAN_NODE_STORE_SQL_H
#define KAIRAN_NODE_STORE_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct store;
struct config_addressee;

/* The connection (valid while the store is open). */
sqlite3	*store_sql_db(struct store *);

/* Fills err with what failed and sqlite's message; returns -1. */
int	 store_sql_err(struct store *, char *err, size_t errlen,
	    const char *what);
/* Runs sql (no parameters, no rows). 0, or -1 with err. */
int	 store_sql_exec(struct store *, const char *sql, char *err,
	    size_t errlen);
/* Prepares sql into *stmt (finalize it). 0, or -1 with err, *stmt NULL. */
int	 store_sql_prepare(struct store *, sqlite3_stmt **stmt,
	    const char *sql, char *err, size_t errlen);
/* BEGIN IMMEDIATE, COMMIT (0 or -1 with err) and ROLLBACK if one is open. */
int	 store_sql_begin(struct store *, char *err, size_t errlen);
int	 store_sql_commit(struct store *, char *err, size_t errlen);
void	 store_sql_rollback(struct store *);
/*
 * Whether sql (one parameter: the KAIRAN_ID_LEN bytes at id) yields a
 * row: 0 with *found, or -1 with err.
 */
int	 store_sql_exists(struct store *, const char *sql, const uint8_t *id,
	    int *found, char *err, size_t errlen);

/* Binds v as text, or NULL if v is NULL or empty. */
int	 store_sql_bind_text(sqlite3_stmt *, int i, const char *v);
/* Column i as a malloc'd string; NULL if SQL NULL (or out of memory). */
char	*store_sql_strdup(sqlite3_stmt *, int i);
/* Column i into out if it is exactly len bytes, else out zeroed. */
void	 store_sql_blob(sqlite3_stmt *, int i, uint8_t *out, size_t len);
/*
 * The array v (of *cap elements of size bytes) with room for element n:
 * v itself, or v reallocated to twice its size (first elements at first).
 * NULL if out of memory (v is untouched then, and still the caller's).
 */
void	*store_sql_grow(void *v, size_t *cap, size_t n, size_t size,
	    size_t first);

/*
 * The internal addressees store_imail_set gave this connection (n of
 * them, may be none), and their replacement: set takes a (malloc'd, may
 * be NULL) and frees the old list.
 */
const struct config_addressee *store_sql_imail(const struct store *,
	    size_t *n);
void	 store_sql_imail_set(struct store *, struct config_addressee *a,
	    size_t n);

#endif
