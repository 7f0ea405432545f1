/*
 * store: the node's SQLite database (see store.h for the tables).
 *
 * The only module of the node that speaks SQL. Every statement is
 * prepared with bound parameters; every write is one explicit transaction
 * (BEGIN IMMEDIATE, so that two writers queue on busy_timeout instead of
 * failing on a lock upgrade); WAL with synchronous=FULL, so a commit is on
 * disk when it returns (the relay's Accepted and the command line's exit
 * depend on that). The schema version lives in PRAGMA user_version and is
 * migrated forward in one transaction.
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

#define BUSY_TIMEOUT_MS	10000	/* the command line's default */

struct store {
	sqlite3	*db;
	char	*path;
	int	 busy;	/* the last failure was a lock held by another writer */
	/* the internal addressees (store_imail_set): rows at outbox_insert */
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

static int
sqlerr(struct store *st, char *err, size_t errlen, const char *what)
{
	st->busy = (sqlite3_errcode(st->db) & 0xff) == SQLITE_BUSY;
	snprintf(err, errlen, "%s: %s: %s", st->path, what,
	    sqlite3_errmsg(st->db));
	return -1;
}

static int
exec(struct store *st, const char *sql, char *err, size_t errlen)
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

static int
prepare(struct store *st, sqlite3_stmt **stmt, const char *sql, char *err,
    size_t errlen)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK) {
		*stmt = NULL;
		return sqlerr(st, err, errlen, "prepare");
	}
	return 0;
}

static int
begin(struct store *st, char *err, size_t errlen)
{
	return exec(st, "BEGIN IMMEDIATE", err, errlen);
}

static int
commit(struct store *st, char *err, size_t errlen)
{
	return exec(st, "COMMIT", err, errlen);
}

static void
rollback(struct store *st)
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

	if (begin(st, err, errlen) == -1)
		return -1;
	if ((v = user_version(st)) < 0) {
		sqlerr(st, err, errlen, "user_version");
		goto fail;
	}
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: database schema version %d is newer "
		    "than this program's (%d)", st->path, v,
		    STORE_SCHEMA_VERSION);
		goto fail;
	}
	if (v == STORE_SCHEMA_VERSION) {
		rollback(st);
		return 0;
	}
	if (v == 0) {
		if (exec(st, schema_v1, err, errlen) == -1)
			goto fail;
		v = 1;
	}
	for (; v < STORE_SCHEMA_VERSION; v++)
		if (v < (int)(sizeof(migrations) / sizeof(migrations[0])) &&
		    migrations[v] != NULL &&
		    exec(st, migrations[v], err, errlen) == -1)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    STORE_SCHEMA_VERSION);
	if (exec(st, sql, err, errlen) == -1)
		goto fail;
	return commit(st, err, errlen);
fail:
	rollback(st);
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
			sqlerr(st, err, errlen, "open");
		else
			snprintf(err, errlen, "%s: cannot open", path);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	if (exec(st, "PRAGMA journal_mode = WAL", err, errlen) == -1 ||
	    exec(st, "PRAGMA synchronous = FULL", err, errlen) == -1 ||
	    exec(st, "PRAGMA foreign_keys = ON", err, errlen) == -1)
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

/* ---- outbox ---- */

static int
bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL || *v == '\0')
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

/*
 * Inside outbox_insert's transaction: the internal mail rows of message m
 * of ours (r: its report, NULL for an advisory), one per addressee whose
 * levels take r's level (or who takes advisories), due at once.
 */
static int
imail_plan(struct store *st, const Message *m, const IncidentReport *r,
    char *err, size_t errlen)
{
	const struct config_addressee *a;
	sqlite3_stmt *s = NULL;
	size_t i;
	int rv = -1;

	for (i = 0; i < st->nimail; i++) {
		a = &st->imail[i];
		if (r != NULL ? r->level > 3 || !(a->levels & (1u << r->level)) :
		    !a->advisories)
			continue;
		if (s == NULL && prepare(st, &s, "INSERT INTO internal_mail(id, "
		    "role, address, due_ms) VALUES(?, ?, ?, ?)", err,
		    errlen) == -1)
			return -1;
		sqlite3_reset(s);
		sqlite3_bind_blob(s, 1, m->id.data, (int)m->id.len,
		    SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, a->role, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, a->address, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, m->created_at_ms);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlerr(st, err, errlen, "internal_mail insert");
			goto fail;
		}
	}
	rv = 0;
fail:
	sqlite3_finalize(s);
	return rv;
}

/* Inserts the outbox row (and a report's recipients); inside a transaction. */
static int
outbox_insert(struct store *st, const Message *m, const uint8_t *env,
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
	if (prepare(st, &s, "INSERT INTO outbox(id, kind, incident, "
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
		sqlerr(st, err, errlen, "outbox insert");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (r != NULL || adv) {
		if (prepare(st, &s, "INSERT INTO recipient(id, entity, pos, "
		    "required) VALUES(?, ?, ?, ?)", err, errlen) == -1)
			goto fail;
		for (i = 0; i < m->n_recipients; i++) {
			sqlite3_reset(s);
			sqlite3_bind_blob(s, 1, m->id.data, (int)m->id.len,
			    SQLITE_TRANSIENT);
			sqlite3_bind_text(s, 2, m->recipients[i], -1,
			    SQLITE_TRANSIENT);
			sqlite3_bind_int64(s, 3, (sqlite3_int64)i);
			bind_text_or_null(s, 4, required != NULL ?
			    required[i] : NULL);
			if (sqlite3_step(s) != SQLITE_DONE) {
				sqlerr(st, err, errlen, "recipient insert");
				goto fail;
			}
		}
		if (imail_plan(st, m, r, err, errlen) == -1)
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
	if (begin(st, err, errlen) == -1)
		return -1;
	if (outbox_insert(st, m, env, envlen, digest, NULL, err,
	    errlen) == -1) {
		rollback(st);
		return -1;
	}
	if (commit(st, err, errlen) == -1) {
		rollback(st);
		return -1;
	}
	return 0;
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
	if (prepare(st, &s, "SELECT seq, id, envelope FROM outbox o WHERE "
	    "seq > ?2 AND " UNANSWERED " ORDER BY seq LIMIT 1", err,
	    errlen) == -1)
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
		sqlerr(st, err, errlen, "outbox next");
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

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM outbox o WHERE "
	    UNANSWERED, -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, route, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

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
	if (prepare(st, &s, accepted ?
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
		bind_text_or_null(s, 5, detail);
	}
	if (sqlite3_step(s) != SQLITE_DONE)
		sqlerr(st, err, errlen, "route answer");
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

/* ---- inbox ---- */

static int
exists(struct store *st, const char *sql, const uint8_t *id, int *found,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (prepare(st, &s, sql, err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlerr(st, err, errlen, "lookup");
	*found = rc == SQLITE_ROW;
	return 0;
}

int
store_inbox_add(struct store *st, const Message *m, const uint8_t *env,
    size_t envlen, const uint8_t digest[KAIRAN_DIGEST_LEN], const char *route,
    int64_t now_ms, store_seal_fn seal, void *arg, int *dup, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const IncidentReport *r = NULL;
	struct store_sealed rc;
	int found;

	*dup = 0;
	if ((m->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT &&
	    m->body_case != KAIRAN__V1__MESSAGE__BODY_ADVISORY) ||
	    m->id.len != KAIRAN_ID_LEN) {
		snprintf(err, errlen, "inbox: not a report or an advisory");
		return -1;
	}
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT)
		r = m->report;
	if (begin(st, err, errlen) == -1)
		return -1;
	if (exists(st, "SELECT 1 FROM inbox WHERE id = ?", m->id.data, &found,
	    err, errlen) == -1)
		goto fail;
	if (found) {
		*dup = 1;
		rollback(st);
		return 0;
	}
	if (prepare(st, &s, "INSERT INTO inbox(id, sender, incident, "
	    "report_no, status, created_ms, received_ms, route, envelope, "
	    "digest, phase, kind) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, m->id.data, (int)m->id.len, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, m->sender, -1, SQLITE_TRANSIENT);
	/* an advisory has no incident, number or phase: NULL */
	if (r != NULL) {
		sqlite3_bind_blob(s, 3, r->incident_id.data,
		    (int)r->incident_id.len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, r->report_no);
		sqlite3_bind_int(s, 11, r->phase);
	}
	sqlite3_bind_int(s, 12, r != NULL ? 1 : 3);
	sqlite3_bind_int(s, 5, m->status);
	sqlite3_bind_int64(s, 6, m->created_at_ms);
	sqlite3_bind_int64(s, 7, now_ms);
	bind_text_or_null(s, 8, route);
	sqlite3_bind_blob(s, 9, env, (int)envlen, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 10, digest, KAIRAN_DIGEST_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlerr(st, err, errlen, "inbox insert");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	/* Our receipt is signed only now that the report is new. */
	memset(&rc, 0, sizeof(rc));
	if (seal != NULL) {
		if (seal(arg, NULL, &rc, err, errlen) == -1)
			goto fail;
		if (outbox_insert(st, rc.m, rc.env, rc.envlen, rc.digest,
		    NULL, err, errlen) == -1)
			goto fail;
	}
	if (commit(st, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(s);
	rollback(st);
	return -1;
}

int
store_report_add(struct store *st, const uint8_t incident[KAIRAN_ID_LEN],
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
	if (begin(st, err, errlen) == -1)
		return -1;
	if (prepare(st, &s, "SELECT report_no, status, envelope FROM outbox "
	    "WHERE kind = 1 AND incident = ? ORDER BY report_no DESC, "
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
		sqlerr(st, err, errlen, "last report");
		goto fail;
	}
	if (seal(arg, &last, &out, err, errlen) == -1)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	if (outbox_insert(st, out.m, out.env, out.envlen, out.digest,
	    out.required, err, errlen) == -1)
		goto fail;
	if (commit(st, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(s);
	rollback(st);
	return -1;
}

/*
 * The rules of a QUEUED receipt that need no database: written by a relay
 * (PROTOCOL.md §2), naming whom it holds. Which relay holds whom is its
 * configuration's business (the home relay, §7.2, or `serve`): the
 * writer's certificate vouches for the relay the sender shows. Returns 0,
 * or -1 with *reason and err naming the field.
 */
static int
queued_check(const Receipt *rc, const struct identity *signer,
    const char *idhex, int *reason, char *err, size_t errlen)
{
	if (signer->role != ROLE_RELAY) {
		*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
		snprintf(err, errlen, "receipt.state: QUEUED for message %s "
		    "signed by %s (role %s); only a relay, the one holding "
		    "the report, may write QUEUED", idhex, signer->entity,
		    identity_role_name(signer->role));
		return -1;
	}
	if (rc->n_held == 0) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt.held: empty in a QUEUED receipt "
		    "of relay %s for message %s", signer->entity, idhex);
		return -1;
	}
	return 0;
}

/*
 * Applies a QUEUED receipt (already through queued_check) to our report
 * ref, inside the caller's transaction: every held recipient must be a
 * recipient of it; each gets held_by/held_ms unless it already has them
 * (the first hold is kept: an HA pair of one relay id may both say so).
 * A hold never moves a recipient backwards: it is recorded whatever the
 * recipient's state, and status_of() ranks delivered, acknowledged and
 * rejected above it. Returns 0, or -1 with *reason (0: database error).
 */
static int
queued_apply(struct store *st, const Message *m,
    const struct identity *signer, const char *idhex, int *reason, char *err,
    size_t errlen)
{
	const Receipt *rc = m->receipt;
	sqlite3_stmt *q = NULL, *u = NULL;
	size_t i;
	int rv = -1, r;

	if (prepare(st, &q, "SELECT 1 FROM recipient WHERE id = ? AND "
	    "entity = ?", err, errlen) == -1 ||
	    prepare(st, &u, "UPDATE recipient SET "
	    "held_ms = CASE WHEN held_by IS NULL THEN ?3 ELSE held_ms END, "
	    "held_by = coalesce(held_by, ?4) "
	    "WHERE id = ?1 AND entity = ?2", err, errlen) == -1)
		goto fail;
	for (i = 0; i < rc->n_held; i++) {
		sqlite3_reset(q);
		sqlite3_bind_blob(q, 1, rc->ref_id.data, KAIRAN_ID_LEN,
		    SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 2, rc->held[i], -1, SQLITE_TRANSIENT);
		r = sqlite3_step(q);
		if (r == SQLITE_DONE) {
			*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
			snprintf(err, errlen, "receipt.held[%zu]: %s is not a "
			    "recipient of message %s (QUEUED signed by %s)", i,
			    rc->held[i], idhex, signer->entity);
			goto fail;
		} else if (r != SQLITE_ROW) {
			sqlerr(st, err, errlen, "recipient lookup");
			goto fail;
		}
		sqlite3_reset(u);
		sqlite3_bind_blob(u, 1, rc->ref_id.data, KAIRAN_ID_LEN,
		    SQLITE_TRANSIENT);
		sqlite3_bind_text(u, 2, rc->held[i], -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(u, 3, m->created_at_ms);
		sqlite3_bind_text(u, 4, signer->entity, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(u) != SQLITE_DONE) {
			sqlerr(st, err, errlen, "recipient update");
			goto fail;
		}
	}
	rv = 0;
fail:
	sqlite3_finalize(q);
	sqlite3_finalize(u);
	return rv;
}

int
store_receipt_add(struct store *st, const Message *m,
    const struct identity *signer, const uint8_t *env, size_t envlen,
    const char *route, int64_t now_ms, int *result, int *reason, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const Receipt *rc;
	char idhex[KAIRAN_ID_HEXLEN + 1];
	const char *concerned;
	int found, kind = 0, matched = 0, rv;

	*reason = 0;
	*result = 0;
	if (m->body_case != KAIRAN__V1__MESSAGE__BODY_RECEIPT ||
	    m->id.len != KAIRAN_ID_LEN ||
	    m->receipt->ref_id.len != KAIRAN_ID_LEN) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt: not a receipt");
		return -1;
	}
	rc = m->receipt;
	message_hex(rc->ref_id.data, KAIRAN_ID_LEN, idhex);
	/*
	 * REJECTED is written by a relay (about the recipient in subject) or
	 * by a node about itself (PROTOCOL.md §2), never by a node about
	 * another recipient.
	 */
	if (rc->state == KAIRAN__V1__RECEIPT__STATE__REJECTED &&
	    signer->role != ROLE_RELAY && rc->subject != NULL &&
	    rc->subject[0] != '\0' &&
	    strcmp(rc->subject, signer->entity) != 0) {
		*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
		snprintf(err, errlen, "receipt: REJECTED by %s about %s for "
		    "message %s; only a relay or the recipient itself may "
		    "reject", signer->entity, rc->subject, idhex);
		return -1;
	}
	if (rc->state == KAIRAN__V1__RECEIPT__STATE__QUEUED &&
	    queued_check(rc, signer, idhex, reason, err, errlen) == -1)
		return -1;
	if ((rc->state == KAIRAN__V1__RECEIPT__STATE__OVERDUE ||
	    rc->state == KAIRAN__V1__RECEIPT__STATE__MAILED) &&
	    signer->role != ROLE_RELAY) {
		*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
		snprintf(err, errlen, "receipt.state: %s for message %s "
		    "signed by %s (role %s); only a relay, the recipient's home "
		    "relay, may write %s", message_receipt_state_name(rc->state),
		    idhex, signer->entity, identity_role_name(signer->role),
		    message_receipt_state_name(rc->state));
		return -1;
	}
	/* 対応済 is the recipient's own word (PROTOCOL.md §6.3) */
	if (rc->state == KAIRAN__V1__RECEIPT__STATE__DONE &&
	    signer->role == ROLE_RELAY) {
		*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
		snprintf(err, errlen, "receipt.state: DONE for message %s "
		    "signed by relay %s; only the recipient itself reports an "
		    "advisory done", idhex, signer->entity);
		return -1;
	}
	if (begin(st, err, errlen) == -1)
		return -1;
	if (exists(st, "SELECT 1 FROM receipt_in WHERE id = ?", m->id.data,
	    &found, err, errlen) == -1)
		goto fail;
	if (found) {
		*result = STORE_RECEIPT_DUPLICATE;
		rollback(st);
		return 0;
	}
	if (prepare(st, &s, "SELECT kind, digest FROM outbox WHERE id = ?",
	    err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, rc->ref_id.data, KAIRAN_ID_LEN,
	    SQLITE_TRANSIENT);
	rv = sqlite3_step(s);
	if (rv == SQLITE_ROW) {
		kind = sqlite3_column_int(s, 0);
		if (rc->ref_digest.len != KAIRAN_DIGEST_LEN ||
		    sqlite3_column_bytes(s, 1) != KAIRAN_DIGEST_LEN ||
		    memcmp(sqlite3_column_blob(s, 1), rc->ref_digest.data,
		    KAIRAN_DIGEST_LEN) != 0) {
			*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
			snprintf(err, errlen, "receipt.ref_digest: does not "
			    "match the digest of message %s", idhex);
			goto fail;
		}
	} else if (rv != SQLITE_DONE) {
		sqlerr(st, err, errlen, "outbox lookup");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;

	if (kind == 1 && rc->state == KAIRAN__V1__RECEIPT__STATE__DONE) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt.state: DONE (対応済) is only for "
		    "an advisory; message %s is an incident report", idhex);
		goto fail;
	}
	/* an advisory of ours (3) is receipted exactly like a report (1) */
	if (kind == 3)
		kind = 1;
	if (kind == 1 && rc->state == KAIRAN__V1__RECEIPT__STATE__QUEUED) {
		if (queued_apply(st, m, signer, idhex, reason, err,
		    errlen) == -1)
			goto fail;
		matched = 1;
	} else if (kind == 1) {
		/* Whose state this receipt speaks for. */
		concerned = signer->entity;
		if ((rc->state == KAIRAN__V1__RECEIPT__STATE__REJECTED ||
		    rc->state == KAIRAN__V1__RECEIPT__STATE__OVERDUE ||
		    rc->state == KAIRAN__V1__RECEIPT__STATE__MAILED) &&
		    signer->role == ROLE_RELAY) {
			if (rc->subject == NULL || rc->subject[0] == '\0') {
				*reason =
				    KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
				snprintf(err, errlen, "receipt.subject: missing "
				    "in a %s receipt of relay %s",
				    message_receipt_state_name(rc->state),
				    signer->entity);
				goto fail;
			}
			concerned = rc->subject;
		}
		if (prepare(st, &s, "SELECT 1 FROM recipient WHERE id = ? AND "
		    "entity = ?", err, errlen) == -1)
			goto fail;
		sqlite3_bind_blob(s, 1, rc->ref_id.data, KAIRAN_ID_LEN,
		    SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, concerned, -1, SQLITE_TRANSIENT);
		rv = sqlite3_step(s);
		sqlite3_finalize(s);
		s = NULL;
		if (rv == SQLITE_DONE) {
			*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
			snprintf(err, errlen, "receipt: %s is not a recipient "
			    "of message %s (signed by %s)", concerned, idhex,
			    signer->entity);
			goto fail;
		} else if (rv != SQLITE_ROW) {
			sqlerr(st, err, errlen, "recipient lookup");
			goto fail;
		}
		switch (rc->state) {
		case KAIRAN__V1__RECEIPT__STATE__DELIVERED:
			rv = prepare(st, &s, "UPDATE recipient SET "
			    "delivered_ms = coalesce(delivered_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		case KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED:
			rv = prepare(st, &s, "UPDATE recipient SET "
			    "acknowledged_by = CASE WHEN acknowledged_ms IS NULL "
			    "THEN ?4 ELSE acknowledged_by END, "
			    "ack_note = CASE WHEN acknowledged_ms IS NULL "
			    "THEN ?5 ELSE ack_note END, "
			    "acknowledged_ms = coalesce(acknowledged_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		case KAIRAN__V1__RECEIPT__STATE__REJECTED:
			rv = prepare(st, &s, "UPDATE recipient SET "
			    "rejected_reason = CASE WHEN rejected_ms IS NULL "
			    "THEN ?5 ELSE rejected_reason END, "
			    "rejected_by = CASE WHEN rejected_ms IS NULL "
			    "THEN ?6 ELSE rejected_by END, "
			    "rejected_ms = coalesce(rejected_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		case KAIRAN__V1__RECEIPT__STATE__DONE:
			/* the first 対応済 is kept, with who and the note */
			rv = prepare(st, &s, "UPDATE recipient SET "
			    "done_by = CASE WHEN done_ms IS NULL "
			    "THEN ?4 ELSE done_by END, "
			    "done_note = CASE WHEN done_ms IS NULL "
			    "THEN ?5 ELSE done_note END, "
			    "done_ms = coalesce(done_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		case KAIRAN__V1__RECEIPT__STATE__OVERDUE:
			/* the first notice is kept (?5, the note, unused) */
			rv = prepare(st, &s, "UPDATE recipient SET "
			    "overdue_by = CASE WHEN overdue_ms IS NULL "
			    "THEN ?6 ELSE overdue_by END, "
			    "overdue_ms = coalesce(overdue_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		case KAIRAN__V1__RECEIPT__STATE__MAILED:
			/* the first mail is kept: which relay, when, its note */
			rv = prepare(st, &s, "UPDATE recipient SET "
			    "mailed_note = CASE WHEN mailed_ms IS NULL "
			    "THEN ?5 ELSE mailed_note END, "
			    "mailed_by = CASE WHEN mailed_ms IS NULL "
			    "THEN ?6 ELSE mailed_by END, "
			    "mailed_ms = coalesce(mailed_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		default:
			*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
			snprintf(err, errlen, "receipt.state: %d unknown",
			    rc->state);
			goto fail;
		}
		if (rv == -1)
			goto fail;
		sqlite3_bind_blob(s, 1, rc->ref_id.data, KAIRAN_ID_LEN,
		    SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, concerned, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 3, m->created_at_ms);
		if (rc->state == KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED ||
		    rc->state == KAIRAN__V1__RECEIPT__STATE__DONE)
			bind_text_or_null(s, 4, rc->by);
		if (rc->state != KAIRAN__V1__RECEIPT__STATE__DELIVERED)
			sqlite3_bind_text(s, 5, rc->note != NULL ? rc->note :
			    "", -1, SQLITE_TRANSIENT);
		if (rc->state == KAIRAN__V1__RECEIPT__STATE__REJECTED ||
		    rc->state == KAIRAN__V1__RECEIPT__STATE__OVERDUE ||
		    rc->state == KAIRAN__V1__RECEIPT__STATE__MAILED)
			sqlite3_bind_text(s, 6, signer->entity, -1,
			    SQLITE_TRANSIENT);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlerr(st, err, errlen, "recipient update");
			goto fail;
		}
		sqlite3_finalize(s);
		s = NULL;
		matched = 1;
	}

	if (prepare(st, &s, "INSERT INTO receipt_in(id, ref_id, signer, state, "
	    "by, note, subject, created_ms, received_ms, route, matched, "
	    "envelope) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err,
	    errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, m->id.data, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 2, rc->ref_id.data, KAIRAN_ID_LEN,
	    SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, signer->entity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 4, rc->state);
	bind_text_or_null(s, 5, rc->by);
	bind_text_or_null(s, 6, rc->note);
	bind_text_or_null(s, 7, rc->subject);
	sqlite3_bind_int64(s, 8, m->created_at_ms);
	sqlite3_bind_int64(s, 9, now_ms);
	bind_text_or_null(s, 10, route);
	sqlite3_bind_int(s, 11, matched);
	sqlite3_bind_blob(s, 12, env, (int)envlen, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlerr(st, err, errlen, "receipt insert");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (commit(st, err, errlen) == -1)
		goto fail;
	*result = matched ? STORE_RECEIPT_MATCHED : STORE_RECEIPT_UNMATCHED;
	return 0;
fail:
	sqlite3_finalize(s);
	rollback(st);
	return -1;
}

/*
 * The answer to inbox message id, in one transaction: done 0 is a
 * 受理確認 (acknowledged_*), done 1 a 対応済 (done_*, an advisory only).
 * Stores our signed receipt (rm, renv, rdigest) in the outbox and marks
 * the inbox row (by, note, now). Already answered so: nothing written,
 * *already = 1. Returns 0, or -1 with err.
 */
static int
inbox_answer(struct store *st, int done, const uint8_t id[KAIRAN_ID_LEN],
    const char *by, const char *note, int64_t now_ms, const Message *rm,
    const uint8_t *renv, size_t renvlen,
    const uint8_t rdigest[KAIRAN_DIGEST_LEN], int *already, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv;

	*already = 0;
	if (begin(st, err, errlen) == -1)
		return -1;
	if (prepare(st, &s, done ? "SELECT kind, done_ms FROM inbox WHERE "
	    "id = ?" : "SELECT kind, acknowledged_ms FROM inbox WHERE id = ?",
	    err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	rv = sqlite3_step(s);
	if (rv == SQLITE_DONE) {
		snprintf(err, errlen, "no such message in the inbox");
		goto fail;
	} else if (rv != SQLITE_ROW) {
		sqlerr(st, err, errlen, "inbox lookup");
		goto fail;
	}
	if (done && sqlite3_column_int(s, 0) != 3) {
		snprintf(err, errlen, "対応済 (done) is only for an advisory; "
		    "this is an incident report (acknowledge it with ack)");
		goto fail;
	}
	if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
		*already = 1;
		sqlite3_finalize(s);
		rollback(st);
		return 0;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (prepare(st, &s, done ? "UPDATE inbox SET done_ms = ?, done_by = ?, "
	    "done_note = ? WHERE id = ?" : "UPDATE inbox SET acknowledged_ms = "
	    "?, acknowledged_by = ?, ack_note = ? WHERE id = ?", err,
	    errlen) == -1)
		goto fail;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_text(s, 2, by, -1, SQLITE_TRANSIENT);
	bind_text_or_null(s, 3, note);
	sqlite3_bind_blob(s, 4, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlerr(st, err, errlen, "inbox update");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (outbox_insert(st, rm, renv, renvlen, rdigest, NULL, err,
	    errlen) == -1)
		goto fail;
	if (commit(st, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(s);
	rollback(st);
	return -1;
}

int
store_inbox_ack(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    const char *by, const char *note, int64_t now_ms, const Message *rm,
    const uint8_t *renv, size_t renvlen,
    const uint8_t rdigest[KAIRAN_DIGEST_LEN], int *already, char *err,
    size_t errlen)
{
	return inbox_answer(st, 0, id, by, note, now_ms, rm, renv, renvlen,
	    rdigest, already, err, errlen);
}

int
store_inbox_done(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    const char *by, const char *note, int64_t now_ms, const Message *rm,
    const uint8_t *renv, size_t renvlen,
    const uint8_t rdigest[KAIRAN_DIGEST_LEN], int *already, char *err,
    size_t errlen)
{
	return inbox_answer(st, 1, id, by, note, now_ms, rm, renv, renvlen,
	    rdigest, already, err, errlen);
}

/* ---- reading ---- */

/*
 * The array v (of *cap elements of size bytes) with room for element n:
 * v itself, or v reallocated to twice its size (first elements at first).
 * NULL if out of memory (v is untouched then, and still the caller's).
 */
static void *
grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
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

static char *
col_strdup(sqlite3_stmt *s, int i)
{
	const unsigned char *t;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	t = sqlite3_column_text(s, i);
	return t != NULL ? strdup((const char *)t) : NULL;
}

static void
col_blob(sqlite3_stmt *s, int i, uint8_t *out, size_t len)
{
	if ((size_t)sqlite3_column_bytes(s, i) == len)
		memcpy(out, sqlite3_column_blob(s, i), len);
	else
		memset(out, 0, len);
}

#define OUT_COLS "seq, id, kind, incident, report_no, status, created_ms, " \
	"envelope, digest, phase"
#define IN_COLS "seq, id, kind, incident, report_no, status, created_ms, " \
	"envelope, digest, sender, received_ms, route, acknowledged_ms, " \
	"acknowledged_by, ack_note, phase, done_ms, done_by, done_note"

static int
read_msg(sqlite3_stmt *s, enum store_dir dir, struct store_msg *m)
{
	const unsigned char *t;
	int n;

	memset(m, 0, sizeof(*m));
	m->dir = dir;
	m->seq = sqlite3_column_int64(s, 0);
	col_blob(s, 1, m->id, KAIRAN_ID_LEN);
	m->is_report = sqlite3_column_int(s, 2) == 1;
	m->is_advisory = sqlite3_column_int(s, 2) == 3;
	col_blob(s, 3, m->incident, KAIRAN_ID_LEN);
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
	col_blob(s, 8, m->digest, KAIRAN_DIGEST_LEN);
	m->phase = sqlite3_column_int(s, dir == STORE_IN ? 15 : 9);
	if (dir == STORE_IN) {
		t = sqlite3_column_text(s, 9);
		snprintf(m->sender, sizeof(m->sender), "%s",
		    t != NULL ? (const char *)t : "");
		m->received_ms = sqlite3_column_int64(s, 10);
		m->route = col_strdup(s, 11);
		m->ack_ms = sqlite3_column_int64(s, 12);
		m->ack_by = col_strdup(s, 13);
		m->ack_note = col_strdup(s, 14);
		m->done_ms = sqlite3_column_int64(s, 16);
		m->done_by = col_strdup(s, 17);
		m->done_note = col_strdup(s, 18);
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
static long
collect(struct store *st, sqlite3_stmt *s, enum store_dir dir,
    struct store_msg **out, char *err, size_t errlen)
{
	struct store_msg *v = NULL, *nv;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((nv = grow(v, &cap, n, sizeof(*v), 16)) == NULL)
			goto oom;
		v = nv;
		if (read_msg(s, dir, &v[n]) == -1) {
			n++;
			goto oom;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		store_msgs_free(v, n);
		return sqlerr(st, err, errlen, "read");
	}
	*out = v;
	return (long)n;
oom:
	store_msgs_free(v, n);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
store_get(struct store *st, enum store_dir dir,
    const uint8_t id[KAIRAN_ID_LEN], struct store_msg *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	struct store_msg *v;
	long n;

	if (prepare(st, &s, dir == STORE_IN ?
	    "SELECT " IN_COLS " FROM inbox WHERE id = ?" :
	    "SELECT " OUT_COLS " FROM outbox WHERE id = ?", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	n = collect(st, s, dir, &v, err, errlen);
	sqlite3_finalize(s);
	if (n <= 0)
		return (int)n;
	*out = v[0];
	free(v);
	return 1;
}

long
store_incident(struct store *st, enum store_dir dir,
    const uint8_t incident[KAIRAN_ID_LEN], struct store_msg **out, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	long n;

	if (prepare(st, &s, dir == STORE_IN ?
	    "SELECT " IN_COLS " FROM inbox WHERE incident = ? "
	    "ORDER BY report_no, seq" :
	    "SELECT " OUT_COLS " FROM outbox WHERE incident = ? AND kind = 1 "
	    "ORDER BY report_no, seq", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, incident, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	n = collect(st, s, dir, out, err, errlen);
	sqlite3_finalize(s);
	return n;
}

long
store_inbox_list(struct store *st, int all, int recent,
    struct store_msg **out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	long n;

	if (prepare(st, &s, all ?
	    "SELECT " IN_COLS " FROM inbox ORDER BY seq DESC" :
	    "SELECT " IN_COLS " FROM inbox WHERE acknowledged_ms IS NULL OR "
	    "seq IN (SELECT seq FROM inbox WHERE acknowledged_ms IS NOT NULL "
	    "ORDER BY seq DESC LIMIT ?) ORDER BY seq DESC", err, errlen) == -1)
		return -1;
	if (!all)
		sqlite3_bind_int(s, 1, recent);
	n = collect(st, s, STORE_IN, out, err, errlen);
	sqlite3_finalize(s);
	return n;
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

long
store_incident_recipients(struct store *st,
    const uint8_t incident[KAIRAN_ID_LEN], char ***out, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	char **v = NULL, **nv;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	if (prepare(st, &s, "SELECT DISTINCT r.entity FROM recipient r "
	    "JOIN outbox o ON o.id = r.id WHERE o.incident = ? AND o.kind = 1 "
	    "ORDER BY r.entity", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, incident, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((nv = grow(v, &cap, n, sizeof(*v), 16)) == NULL)
			goto oom;
		v = nv;
		if ((v[n] = col_strdup(s, 0)) == NULL)
			goto oom;
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_strings_free(v, n);
		return sqlerr(st, err, errlen, "recipients");
	}
	*out = v;
	return (long)n;
oom:
	sqlite3_finalize(s);
	store_strings_free(v, n);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
store_status(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    struct store_status *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	size_t cap;
	void *nv;
	int found, rc;

	memset(out, 0, sizeof(*out));
	if (exists(st, "SELECT 1 FROM outbox WHERE id = ?", id, &found, err,
	    errlen) == -1)
		return -1;
	if (!found)
		return 0;
	if (prepare(st, &s, "SELECT route, accepted_ms, refused_reason, "
	    "refused_detail FROM outbox_route WHERE id = ? ORDER BY route",
	    err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_route_state *r;

		if ((nv = grow(out->routes, &cap, out->nroutes,
		    sizeof(*out->routes), 4)) == NULL)
			goto oom;
		out->routes = nv;
		r = &out->routes[out->nroutes++];
		memset(r, 0, sizeof(*r));
		r->route = col_strdup(s, 0);
		r->accepted_ms = sqlite3_column_int64(s, 1);
		r->refused_reason = sqlite3_column_int(s, 2);
		r->refused_detail = col_strdup(s, 3);
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(s);
	if (prepare(st, &s, "SELECT entity, delivered_ms, acknowledged_ms, "
	    "acknowledged_by, ack_note, rejected_ms, rejected_reason, "
	    "rejected_by, required, held_by, held_ms, overdue_by, overdue_ms, "
	    "done_ms, done_by, done_note, mailed_by, mailed_ms, mailed_note "
	    "FROM recipient WHERE id = ? ORDER BY pos",
	    err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_rcpt_state *r;
		const unsigned char *t;

		if ((nv = grow(out->rcpts, &cap, out->nrcpts,
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
		r->acknowledged_by = col_strdup(s, 3);
		r->ack_note = col_strdup(s, 4);
		r->rejected_ms = sqlite3_column_int64(s, 5);
		r->rejected_reason = col_strdup(s, 6);
		r->rejected_by = col_strdup(s, 7);
		r->required = col_strdup(s, 8);
		r->held_by = col_strdup(s, 9);
		r->held_ms = sqlite3_column_int64(s, 10);
		r->overdue_by = col_strdup(s, 11);
		r->overdue_ms = sqlite3_column_int64(s, 12);
		r->done_ms = sqlite3_column_int64(s, 13);
		r->done_by = col_strdup(s, 14);
		r->done_note = col_strdup(s, 15);
		r->mailed_by = col_strdup(s, 16);
		r->mailed_ms = sqlite3_column_int64(s, 17);
		r->mailed_note = col_strdup(s, 18);
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(s);
	/* the phone confirmations, apart: each to its recipient, in order */
	if (prepare(st, &s, "SELECT entity, by, note, at_ms FROM phone_confirm "
	    "WHERE id = ? ORDER BY seq", err, errlen) == -1)
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
		p->by = col_strdup(s, 1);
		p->note = col_strdup(s, 2);
		p->at_ms = sqlite3_column_int64(s, 3);
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(s);
	return 1;
sqlfail:
	sqlerr(st, err, errlen, "status");
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

/* ---- the daemon's routes ---- */

int
store_route_conn_set(struct store *st, const char *route, int connected,
    int64_t since_ms, const char *reason, long pid, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv = -1;

	/* One short statement, autocommit: a transaction of its own. */
	if (prepare(st, &s, "INSERT OR REPLACE INTO route_state(route, "
	    "connected, since_ms, reason, pid) VALUES(?, ?, ?, ?, ?)", err,
	    errlen) == -1)
		return -1;
	sqlite3_bind_text(s, 1, route, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, connected != 0);
	sqlite3_bind_int64(s, 3, since_ms);
	bind_text_or_null(s, 4, reason);
	sqlite3_bind_int64(s, 5, pid);
	if (sqlite3_step(s) != SQLITE_DONE)
		sqlerr(st, err, errlen, "route state");
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
	if (prepare(st, &s, "SELECT connected, since_ms, reason, pid FROM "
	    "route_state WHERE route = ?", err, errlen) == -1)
		return -1;
	sqlite3_bind_text(s, 1, route, -1, SQLITE_TRANSIENT);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		out->connected = sqlite3_column_int(s, 0);
		out->since_ms = sqlite3_column_int64(s, 1);
		out->reason = col_strdup(s, 2);
		out->pid = (long)sqlite3_column_int64(s, 3);
		rv = 1;
		break;
	case SQLITE_DONE:
		rv = 0;
		break;
	default:
		sqlerr(st, err, errlen, "route state");
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

/* ---- ids by prefix ---- */

long
store_id_prefix(struct store *st, const char *prefix, unsigned what,
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
	if (prepare(st, &s, sql, err, errlen) == -1)
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
		col_blob(s, 0, v[n], KAIRAN_ID_LEN);
		k[n] = (unsigned)sqlite3_column_int(s, 1);
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		free(k);
		return sqlerr(st, err, errlen, "id prefix");
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

/* ---- what we sent ---- */

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
	snprintf(sql, sizeof(sql), "SELECT " OUT_COLS ", "
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
	if (prepare(st, &s, sql, err, errlen) == -1)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((nv = grow(v, &cap, n, sizeof(*v), 16)) == NULL)
			goto oom;
		v = nv;
		memset(&v[n], 0, sizeof(v[n]));
		if (read_msg(s, STORE_OUT, &v[n].msg) == -1) {
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
		return sqlerr(st, err, errlen, "sent");
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

int
store_withdrawal(struct store *st, enum store_dir dir,
    const uint8_t incident[KAIRAN_ID_LEN], struct store_msg *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	struct store_msg *v;
	long n;

	memset(out, 0, sizeof(*out));
	if (prepare(st, &s, dir == STORE_IN ?
	    "SELECT " IN_COLS " FROM inbox WHERE incident = ?1 AND phase = ?2 "
	    "ORDER BY seq LIMIT 1" :
	    "SELECT " OUT_COLS " FROM outbox WHERE kind = 1 AND incident = ?1 "
	    "AND phase = ?2 ORDER BY seq LIMIT 1", err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(s, 1, incident, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN);
	n = collect(st, s, dir, &v, err, errlen);
	sqlite3_finalize(s);
	if (n <= 0)
		return (int)n;
	*out = v[0];
	free(v);
	return 1;
}

/* ---- phone confirmations ---- */

int
store_confirm_add(struct store *st, const uint8_t id[KAIRAN_ID_LEN],
    const char *entity, const char *by, const char *note, int64_t now_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	char hex[KAIRAN_ID_HEXLEN + 1];
	int found, rv;

	message_hex(id, KAIRAN_ID_LEN, hex);
	if (begin(st, err, errlen) == -1)
		return -1;
	if (exists(st, "SELECT 1 FROM outbox WHERE id = ? AND kind = 1", id,
	    &found, err, errlen) == -1)
		goto fail;
	if (!found) {
		snprintf(err, errlen, "%s: no report of ours", hex);
		rollback(st);
		return 0;
	}
	if (prepare(st, &s, "SELECT 1 FROM recipient WHERE id = ? AND "
	    "entity = ?", err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, entity, -1, SQLITE_TRANSIENT);
	rv = sqlite3_step(s);
	sqlite3_finalize(s);
	s = NULL;
	if (rv == SQLITE_DONE) {
		snprintf(err, errlen, "%s is not a recipient of report %s",
		    entity, hex);
		rollback(st);
		return 0;
	}
	if (rv != SQLITE_ROW) {
		sqlerr(st, err, errlen, "recipient lookup");
		goto fail;
	}
	if (prepare(st, &s, "INSERT INTO phone_confirm(id, entity, by, note, "
	    "at_ms) VALUES(?, ?, ?, ?, ?)", err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, entity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, note != NULL ? note : "", -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, now_ms);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlerr(st, err, errlen, "phone confirmation insert");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (commit(st, err, errlen) == -1)
		goto fail;
	return 1;
fail:
	sqlite3_finalize(s);
	rollback(st);
	return -1;
}

/* ---- internal mail (mailout.h) ---- */

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
	free(st->imail);
	st->imail = copy;
	st->nimail = n;
	return 0;
}

static char *
column_strdup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? strdup((const char *)t) : NULL;
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
		x->role = column_strdup(s, 2);
		x->address = column_strdup(s, 3);
		x->state = sqlite3_column_int(s, 4);
		x->attempts = sqlite3_column_int(s, 5);
		x->code = sqlite3_column_type(s, 6) == SQLITE_NULL ? -1 :
		    (long)sqlite3_column_int64(s, 6);
		x->reply = column_strdup(s, 7);
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
		sqlerr(st, err, errlen, "internal_mail read");
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
	if (prepare(st, &s, "SELECT m.seq, m.id, m.role, m.address, m.state, "
	    "m.attempts, m.code, m.reply, m.due_ms, m.at_ms, o.envelope "
	    "FROM internal_mail m JOIN outbox o ON o.id = m.id "
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

	if (prepare(st, &s, "SELECT MIN(due_ms) FROM internal_mail "
	    "WHERE state = 0", err, errlen) == -1)
		return -1;
	if ((rv = sqlite3_step(s)) != SQLITE_ROW) {
		sqlerr(st, err, errlen, "internal_mail next");
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
	if (prepare(st, &s, "UPDATE internal_mail SET state = ?, "
	    "attempts = ?, code = ?, reply = ?, due_ms = ?, at_ms = ? "
	    "WHERE seq = ? AND state = 0", err, errlen) == -1)
		return -1;
	sqlite3_bind_int(s, 1, state);
	sqlite3_bind_int(s, 2, attempts);
	sqlite3_bind_int64(s, 3, code);
	bind_text_or_null(s, 4, reply);
	sqlite3_bind_int64(s, 5, due_ms);
	sqlite3_bind_int64(s, 6, now_ms);
	sqlite3_bind_int64(s, 7, seq);
	if (sqlite3_step(s) != SQLITE_DONE)
		sqlerr(st, err, errlen, "internal_mail update");
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

	if (prepare(st, &s, "UPDATE internal_mail SET due_ms = ? "
	    "WHERE seq = ? AND state = 0", err, errlen) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, until_ms);
	sqlite3_bind_int64(s, 2, seq);
	if (sqlite3_step(s) != SQLITE_DONE)
		sqlerr(st, err, errlen, "internal_mail claim");
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
	if (prepare(st, &s, "SELECT seq, id, role, address, state, attempts, "
	    "code, reply, due_ms, at_ms FROM internal_mail WHERE id = ? "
	    "ORDER BY seq", err, errlen) == -1)
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
