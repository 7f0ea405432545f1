/*
 * store: the node's SQLite database (see store.h for the tables): the
 * connection, the schema and its migrations, and what every store module
 * uses to speak SQL (store_sql.h).
 *
 * The store modules (store_*.c, one per table or view, each with its own
 * statements) are the only ones of the node that speak SQL. Every
 * statement is prepared with bound parameters; every write is one
 * explicit transaction (BEGIN IMMEDIATE, so that two writers queue on
 * busy_timeout instead of failing on a lock upgrade); WAL with
 * synchronous=FULL, so a commit is on disk when it returns (the relay's
 * Accepted and the command line's exit depend on that). The schema
 * version lives in PRAGMA user_version and is migrated forward in one
 * transaction.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kairan/log.h"
#include "kairan/message.h"

#include "config.h"
#include "store.h"
#include "store_sql.h"

#define BUSY_TIMEOUT_MS	10000	/* the command line's default */

struct store {
	sqlite3	*db;
	char	*path;
	int	 busy;	/* the last failure was a lock held by another writer */
	/* the internal addressees (store_imail_set, store_sql_imail) */
	struct config_addressee *imail;
	size_t	 nimail;
};

/* Schema version 1. Later versions append a step to migrations[]. */
static const char *const schema_v1 =
	"CREATE TABLE outbox("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL UNIQUE,"
	" kind INTEGER NOT NULL,"		/* 1 report, 2 receipt, 3 advisory */
	" incident BLOB,"
	" report_no INTEGER,"
	" ref_id BLOB,"
	" status INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL,"
	" envelope BLOB NOT NULL,"
	" digest BLOB NOT NULL);"
	"CREATE INDEX outbox_incident ON outbox(incident, report_no);"
	"CREATE TABLE outbox_route("
	" id BLOB NOT NULL,"
	" route TEXT NOT NULL,"
	" accepted_ms INTEGER,"
	" refused_reason INTEGER,"
	" refused_detail TEXT,"
	" refused_ms INTEGER,"
	" PRIMARY KEY(id, route)) WITHOUT ROWID;"
	"CREATE TABLE recipient("
	" id BLOB NOT NULL,"
	" entity TEXT NOT NULL,"
	" pos INTEGER NOT NULL,"
	" delivered_ms INTEGER,"
	" acknowledged_ms INTEGER,"
	" acknowledged_by TEXT,"
	" ack_note TEXT,"
	" rejected_ms INTEGER,"
	" rejected_reason TEXT,"
	" rejected_by TEXT,"
	" PRIMARY KEY(id, entity)) WITHOUT ROWID;"
	"CREATE TABLE inbox("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL UNIQUE,"
	" sender TEXT NOT NULL,"
	" incident BLOB,"
	" report_no INTEGER,"
	" status INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL,"
	" received_ms INTEGER NOT NULL,"
	" route TEXT,"
	" envelope BLOB NOT NULL,"
	" digest BLOB NOT NULL,"
	" acknowledged_ms INTEGER,"
	" acknowledged_by TEXT,"
	" ack_note TEXT);"
	"CREATE INDEX inbox_incident ON inbox(incident, report_no);"
	"CREATE TABLE receipt_in("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL UNIQUE,"
	" ref_id BLOB NOT NULL,"
	" signer TEXT NOT NULL,"
	" state INTEGER NOT NULL,"
	" by TEXT,"
	" note TEXT,"
	" subject TEXT,"
	" created_ms INTEGER NOT NULL,"
	" received_ms INTEGER NOT NULL,"
	" route TEXT,"
	" matched INTEGER NOT NULL,"
	" envelope BLOB NOT NULL);"
	"CREATE INDEX receipt_in_ref ON receipt_in(ref_id);";

/*
 * 1 -> 2: report numbers unique per incident; the phase of each report;
 * the daemon's per-route connection state.
 *
 * UNIQUE(incident, report_no): a database written before version 2 may
 * already hold two reports with one number (two concurrent `update`s
 * did that); those signed reports stay, each later duplicate marked with
 * its seq in report_dup, so that the index holds for everything written
 * from now on (report_dup 0) without rewriting history.
 */
static const char *const migration_v2 =
	"ALTER TABLE outbox ADD COLUMN phase INTEGER;"
	"ALTER TABLE outbox ADD COLUMN report_dup INTEGER NOT NULL DEFAULT 0;"
	"UPDATE outbox SET report_dup = seq WHERE kind = 1 AND EXISTS ("
	" SELECT 1 FROM outbox o2 WHERE o2.kind = 1 AND"
	" o2.incident = outbox.incident AND o2.report_no = outbox.report_no"
	" AND o2.seq < outbox.seq);"
	"CREATE UNIQUE INDEX outbox_report_no ON outbox(incident, report_no,"
	" report_dup) WHERE kind = 1;"
	"ALTER TABLE inbox ADD COLUMN phase INTEGER;"
	"CREATE TABLE route_state("
	" route TEXT PRIMARY KEY,"
	" connected INTEGER NOT NULL,"
	" since_ms INTEGER NOT NULL,"
	" reason TEXT,"
	" pid INTEGER) WITHOUT ROWID;";

/*
 * 2 -> 3: which policy rules required a recipient (node/policy.h), kept
 * when the report is written so that `status` shows what the rules of
 * that day asked for, whatever the configuration says later. Rows
 * written before stay NULL: not required by any rule.
 */
static const char *const migration_v3 =
	"ALTER TABLE recipient ADD COLUMN required TEXT;";

/*
 * 3 -> 4: the home relay that holds a report for a recipient (a QUEUED
 * receipt, PROTOCOL.md §6): which relay and since when (the relay's
 * signed time). Rows written before stay NULL: no hold known.
 */
static const char *const migration_v4 =
	"ALTER TABLE recipient ADD COLUMN held_by TEXT;"
	"ALTER TABLE recipient ADD COLUMN held_ms INTEGER;";

/*
 * 4 -> 5: a recipient past its acknowledgement deadline (an OVERDUE
 * receipt of its home relay, PROTOCOL.md §7.4): which relay said so and
 * since when. Rows written before stay NULL: not known to be overdue.
 */
static const char *const migration_v5 =
	"ALTER TABLE recipient ADD COLUMN overdue_by TEXT;"
	"ALTER TABLE recipient ADD COLUMN overdue_ms INTEGER;";

/*
 * 5 -> 6: advisories (注意喚起・情報提供・要請, PROTOCOL.md §6.3). An
 * inbox row says what it holds (kind 1 report, 3 advisory; every row
 * written before is a report); 対応済 (a DONE receipt) is kept beside
 * 受理確認: who said so, when, and the note, for an advisory we received
 * (inbox) and per recipient of one we sent. An advisory of ours is
 * outbox kind 3.
 */
static const char *const migration_v6 =
	"ALTER TABLE inbox ADD COLUMN kind INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE inbox ADD COLUMN done_ms INTEGER;"
	"ALTER TABLE inbox ADD COLUMN done_by TEXT;"
	"ALTER TABLE inbox ADD COLUMN done_note TEXT;"
	"ALTER TABLE recipient ADD COLUMN done_ms INTEGER;"
	"ALTER TABLE recipient ADD COLUMN done_by TEXT;"
	"ALTER TABLE recipient ADD COLUMN done_note TEXT;";

/*
 * 6 -> 7: a recipient without a node, to whom its home relay mailed the
 * report (a MAILED receipt, PROTOCOL.md §7.6): which relay, when, and its
 * note (the address, the SMTP reply); the first is kept. And the phone
 * confirmations the sender recorded (`kairan-node confirm`): a person's
 * word, never a signed receipt, so kept apart from recipient and from
 * receipt_in, one row per confirmation, never changed nor deleted.
 */
static const char *const migration_v7 =
	"ALTER TABLE recipient ADD COLUMN mailed_by TEXT;"
	"ALTER TABLE recipient ADD COLUMN mailed_ms INTEGER;"
	"ALTER TABLE recipient ADD COLUMN mailed_note TEXT;"
	"CREATE TABLE phone_confirm("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL,"
	" entity TEXT NOT NULL,"
	" by TEXT NOT NULL,"
	" note TEXT NOT NULL,"
	" at_ms INTEGER NOT NULL);"
	"CREATE INDEX phone_confirm_id ON phone_confirm(id, entity);"
	"CREATE TRIGGER phone_confirm_kept BEFORE UPDATE ON phone_confirm"
	" BEGIN SELECT RAISE(ABORT, 'phone_confirm: a record stays as it was');"
	" END;"
	"CREATE TRIGGER phone_confirm_not_deleted BEFORE DELETE ON phone_confirm"
	" BEGIN SELECT RAISE(ABORT, 'phone_confirm: a record is kept'); END;";

/*
 * 8: internal_mail, one row per (message of ours, internal addressee),
 * written with the message (mailout.h). state 0 pending, 1 sent, 2
 * failed; code the last SMTP reply code (NULL: no attempt yet, 0: no
 * reply); due_ms when the next attempt may start; at_ms the last
 * attempt's end.
 */
static const char *const migration_v8 =
	"CREATE TABLE internal_mail("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL,"
	" role TEXT NOT NULL,"
	" address TEXT NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" code INTEGER,"
	" reply TEXT,"
	" due_ms INTEGER NOT NULL,"
	" at_ms INTEGER,"
	" UNIQUE(id, address));"
	"CREATE INDEX internal_mail_due ON internal_mail(state, due_ms);";

/* migrations[v] brings version v to v + 1 (v >= 1). */
static const char *const migrations[] = {
	NULL,		/* 0 -> 1: schema_v1 */
	migration_v2,	/* 1 -> 2 */
	migration_v3,	/* 2 -> 3 */
	migration_v4,	/* 3 -> 4 */
	migration_v5,	/* 4 -> 5 */
	migration_v6,	/* 5 -> 6 */
	migration_v7,	/* 6 -> 7 */
	migration_v8,	/* 7 -> 8 */
};

/* ---- for the store modules (store_sql.h) ---- */

sqlite3 *
store_sql_db(struct store *st)
{
	return st->db;
}

const struct config_addressee *
store_sql_imail(const struct store *st, size_t *n)
{
	*n = st->nimail;
	return st->imail;
}

void
store_sql_imail_set(struct store *st, struct config_addressee *a, size_t n)
{
	free(st->imail);
	st->imail = a;
	st->nimail = n;
}

int
store_sql_err(struct store *st, char *err, size_t errlen, const char *what)
{
	st->busy = (sqlite3_errcode(st->db) & 0xff) == SQLITE_BUSY;
	snprintf(err, errlen, "%s: %s: %s", st->path, what,
	    sqlite3_errmsg(st->db));
	return -1;
}

int
store_sql_exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc;

	st->busy = 0;
	if ((rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		st->busy = (rc & 0xff) == SQLITE_BUSY;
		snprintf(err, errlen, "%s: %s", st->path,
		    msg != NULL ? msg : "sqlite error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_sql_prepare(struct store *st, sqlite3_stmt **stmt, const char *sql,
    char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK) {
		*stmt = NULL;
		return store_sql_err(st, err, errlen, "prepare");
	}
	return 0;
}

int
store_sql_begin(struct store *st, char *err, size_t errlen)
{
	return store_sql_exec(st, "BEGIN IMMEDIATE", err, errlen);
}

int
store_sql_commit(struct store *st, char *err, size_t errlen)
{
	return store_sql_exec(st, "COMMIT", err, errlen);
}

void
store_sql_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
user_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
store_schema_version(struct store *st)
{
	return user_version(st);
}

long long
store_data_version(struct store *st)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Brings the schema to STORE_SCHEMA_VERSION in one transaction. */
static int
migrate(struct store *st, char *err, size_t errlen)
{
	char sql[64];
	int v;

	if (store_sql_begin(st, err, errlen) == -1)
		return -1;
	if ((v = user_version(st)) < 0) {
		store_sql_err(st, err, errlen, "user_version");
		goto fail;
	}
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: database schema version %d is newer "
		    "than this program's (%d)", st->path, v,
		    STORE_SCHEMA_VERSION);
		goto fail;
	}
	if (v == STORE_SCHEMA_VERSION) {
		store_sql_rollback(st);
		return 0;
	}
	if (v == 0) {
		if (store_sql_exec(st, schema_v1, err, errlen) == -1)
			goto fail;
		v = 1;
	}
	for (; v < STORE_SCHEMA_VERSION; v++)
		if (v < (int)(sizeof(migrations) / sizeof(migrations[0])) &&
		    migrations[v] != NULL &&
		    store_sql_exec(st, migrations[v], err, errlen) == -1)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    STORE_SCHEMA_VERSION);
	if (store_sql_exec(st, sql, err, errlen) == -1)
		goto fail;
	return store_sql_commit(st, err, errlen);
fail:
	store_sql_rollback(st);
	return -1;
}

/*
 * A new database is the group's: 0660 whatever the umask. SQLite would
 * create it 0644 less the umask (0640 under the unit's UMask=0007, which
 * locks the command line's users out) and gives its -wal and -shm files the
 * database's mode. An empty file is an empty database.
 */
static int
create_db(const char *path, char *err, size_t errlen)
{
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660)) ==
	    -1) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0660) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

struct store *
store_open(const char *path, char *err, size_t errlen)
{
	struct store *st;

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(st);
		return NULL;
	}
	if (create_db(path, err, errlen) == -1)
		goto fail;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (st->db != NULL)
			store_sql_err(st, err, errlen, "open");
		else
			snprintf(err, errlen, "%s: cannot open", path);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	if (store_sql_exec(st, "PRAGMA journal_mode = WAL", err,
	    errlen) == -1 ||
	    store_sql_exec(st, "PRAGMA synchronous = FULL", err,
	    errlen) == -1 ||
	    store_sql_exec(st, "PRAGMA foreign_keys = ON", err, errlen) == -1)
		goto fail;
	if (migrate(st, err, errlen) == -1)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_set_busy_timeout(struct store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms);
}

int
store_busy(const struct store *st)
{
	return st->busy;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->db != NULL)
		sqlite3_close(st->db);
	free(st->path);
	free(st->imail);
	free(st);
}

int
store_sql_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL || *v == '\0')
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

int
store_sql_exists(struct store *st, const char *sql, const uint8_t *id,
    int *found, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (store_sql_prepare(st, &s, sql, err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_err(st, err, errlen, "lookup");
	*found = rc == SQLITE_ROW;
	return 0;
}

/*
 * The array v (of *cap elements of size bytes) with room for element n:
 * v itself, or v reallocated to twice its size (first elements at first).
 * NULL if out of memory (v is untouched then, and still the caller's).
 */
void *
store_sql_grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : first;
	if ((nv = reallocarray(v, ncap, size)) == NULL)
		return NULL;
	*cap = ncap;
	return nv;
}

char *
store_sql_strdup(sqlite3_stmt *s, int i)
{
	const unsigned char *t;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	t = sqlite3_column_text(s, i);
	return t != NULL ? strdup((const char *)t) : NULL;
}

void
store_sql_blob(sqlite3_stmt *s, int i, uint8_t *out, size_t len)
{
	if ((size_t)sqlite3_column_bytes(s, i) == len)
		memcpy(out, sqlite3_column_blob(s, i), len);
	else
		memset(out, 0, len);
}

void
store_strings_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
