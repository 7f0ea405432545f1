/*
 * store: the relay's SQLite database (see store.h for what it holds).
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kairan/log.h"

#include "audit.h"
#include "store.h"

enum stmt {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_MSG_FIND, S_MSG_ADD, S_DELIV_ADD, S_RCPT_ADD, S_AUDIT_ADD,
	S_DELIV_END, S_DELIV_NEXT, S_PENDING, S_AUDIT_ALL, S_MSG_GET,
	S_AUDIT_ROW, S_DIRECT_GONE, S_DIRECT_HOME, S_DIRECT_ALL,
	S_OP_ADD, S_OP_DEL, S_OP_HASH, S_OP_LIST, S_PENDING_OLDEST,
	S_PENDING_TO, S_AUDIT_HEAD,
	S_ESC_ADD, S_ESC_ACK, S_ESC_WITHDRAW, S_ESC_NEXT, S_ESC_DUE,
	S_ESC_END, S_ESC_RETRY, S_ESC_OVERDUE,
	S_SESS_ADD, S_SESS_GET, S_SESS_DEL, S_SESS_EXPIRE, S_OP_TOKEN,
	S_OP_BY_TOKEN,
	S_CONFIRM_ADD, S_CONFIRM_CANCEL, S_SEEN_PUT,
	S_MR_ADD, S_MR_NEXT, S_MR_DUE, S_MR_END, S_MR_RETRY, S_MR_STATE,
	S_LAST_SEQ,
	S_NSTMT
};

static const char *const sql[S_NSTMT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_LAST_SEQ] = "SELECT max(seq) FROM message",
	[S_MSG_FIND] = "SELECT seq FROM message WHERE id = ?1",
	[S_MSG_ADD] = "INSERT INTO message (id, sender, body, status, digest, "
	    "envelope, origin, accepted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7, ?8)",
	[S_DELIV_ADD] = "INSERT OR IGNORE INTO delivery (recipient, "
	    "message_seq, state, home) VALUES (?2, ?1, 0, ?3)",
	[S_DIRECT_GONE] = "UPDATE delivery SET state = 3, detail = ?2, "
	    "done_at = ?3 WHERE recipient = ?1 AND home IS NOT NULL AND "
	    "state = 0",
	[S_DIRECT_HOME] = "UPDATE delivery SET state = 3, detail = ?3, "
	    "done_at = ?4 WHERE home = ?2 AND state = 0 AND message_seq = "
	    "(SELECT seq FROM message WHERE id = ?1)",
	[S_DIRECT_ALL] = "UPDATE delivery SET state = 3, detail = ?1, "
	    "done_at = ?2 WHERE home IS NOT NULL AND state = 0",
	[S_RCPT_ADD] = "INSERT OR IGNORE INTO receipt (message_seq, ref_id, "
	    "signer, state, by, note, subject, at) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?8)",
	[S_AUDIT_ADD] = "INSERT INTO audit (seq, at, event, message_id, "
	    "entity, digest, detail, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9)",
	[S_DELIV_END] = "UPDATE delivery SET state = ?3, detail = ?4, "
	    "done_at = ?5 WHERE recipient = ?2 AND state = 0 AND "
	    "message_seq = (SELECT seq FROM message WHERE id = ?1)",
	[S_DELIV_NEXT] = "SELECT m.seq, m.id, m.envelope FROM delivery d "
	    "JOIN message m ON m.seq = d.message_seq WHERE d.recipient = ?1 "
	    "AND d.state = 0 AND d.message_seq > ?2 ORDER BY d.message_seq "
	    "LIMIT 1",
	[S_PENDING] = "SELECT count(*) FROM delivery WHERE state = 0",
	[S_AUDIT_ALL] = "SELECT seq, at, event, message_id, entity, digest, "
	    "detail, prev, hash FROM audit ORDER BY seq",
	[S_MSG_GET] = "SELECT envelope, digest FROM message WHERE id = ?1",
	[S_AUDIT_ROW] = "SELECT hash FROM audit WHERE seq = ?1",
	[S_OP_ADD] = "INSERT OR IGNORE INTO operator (name, hash, created_at) "
	    "VALUES (?1, ?2, ?3)",
	[S_OP_DEL] = "DELETE FROM operator WHERE name = ?1",
	[S_OP_HASH] = "SELECT hash FROM operator WHERE name = ?1",
	[S_OP_LIST] = "SELECT name, created_at FROM operator ORDER BY name",
	[S_PENDING_OLDEST] = "SELECT count(*), min(m.accepted_at) FROM "
	    "delivery d JOIN message m ON m.seq = d.message_seq WHERE "
	    "d.state = 0",
	[S_AUDIT_HEAD] = "SELECT seq, hash FROM audit ORDER BY seq DESC "
	    "LIMIT 1",
	[S_PENDING_TO] = "SELECT count(*) FROM delivery WHERE recipient = ?1 "
	    "AND state = 0",
	[S_ESC_ADD] = "INSERT OR IGNORE INTO escalation (message_seq, "
	    "recipient, step, sender, incident, level, deadline, due_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_ESC_ACK] = "UPDATE escalation SET state = 3, done_at = ?3, "
	    "reply = 'acknowledged' WHERE state = 0 AND recipient = ?2 AND "
	    "message_seq = (SELECT seq FROM message WHERE id = ?1)",
	[S_ESC_WITHDRAW] = "UPDATE escalation SET state = 3, done_at = ?3, "
	    "reply = 'withdrawn' WHERE state = 0 AND sender = ?1 AND "
	    "incident = ?2",
	[S_ESC_NEXT] = "SELECT min(due_at) FROM escalation WHERE state = 0",
	[S_ESC_DUE] = "SELECT e.rowid, m.id, m.envelope, e.recipient, e.step, "
	    "e.level, e.deadline, e.attempts, e.due_at FROM escalation e "
	    "JOIN message m "
	    "ON m.seq = e.message_seq WHERE e.state = 0 AND e.due_at <= ?1 "
	    "AND (e.due_at, e.step, e.rowid) > (?2, ?3, ?4) "
	    "ORDER BY e.due_at, e.step, e.rowid LIMIT 1",
	[S_ESC_END] = "UPDATE escalation SET state = ?2, attempts = attempts "
	    "+ ?3, code = ?4, reply = ?5, done_at = ?6 WHERE rowid = ?1 AND "
	    "state = 0",
	[S_ESC_OVERDUE] = "SELECT count(*) FROM escalation e JOIN message m ON "
	    "m.seq = e.message_seq WHERE e.step = 0 AND e.state = 1 AND NOT "
	    "EXISTS (SELECT 1 FROM receipt r WHERE r.ref_id = m.id AND "
	    "r.signer = e.recipient AND r.state = 2)",
	[S_ESC_RETRY] = "UPDATE escalation SET attempts = attempts + 1, "
	    "code = ?2, reply = ?3, due_at = ?4 WHERE rowid = ?1 AND state = 0",
	[S_SESS_ADD] = "INSERT INTO session (token_hash, operator, csrf, "
	    "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_SESS_GET] = "SELECT operator, csrf, expires_at FROM session "
	    "WHERE token_hash = ?1 AND expires_at > ?2",
	[S_SESS_DEL] = "DELETE FROM session WHERE token_hash = ?1",
	[S_SESS_EXPIRE] = "DELETE FROM session WHERE expires_at <= ?1",
	[S_OP_TOKEN] = "UPDATE operator SET token_hash = ?2 WHERE name = ?1",
	[S_OP_BY_TOKEN] = "SELECT name FROM operator WHERE token_hash = ?1",
	[S_CONFIRM_ADD] = "INSERT INTO confirmation (message_seq, recipient, "
	    "operator, name, note, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/* the mails only: step 0 (overdue) is a fact, not a chase */
	[S_CONFIRM_CANCEL] = "UPDATE escalation SET state = 3, done_at = ?3, "
	    "reply = 'confirmed by phone' WHERE state = 0 AND step >= 1 AND "
	    "message_seq = ?1 AND recipient = ?2",
	[S_SEEN_PUT] = "INSERT INTO node_seen (entity, connected_at, "
	    "disconnected_at) VALUES (?1, ?2, ?3) ON CONFLICT (entity) DO "
	    "UPDATE SET connected_at = excluded.connected_at, "
	    "disconnected_at = excluded.disconnected_at",
	[S_MR_ADD] = "INSERT OR IGNORE INTO mailroute (message_seq, recipient, "
	    "address, due_at) VALUES (?1, ?2, ?3, ?4)",
	[S_MR_NEXT] = "SELECT min(due_at) FROM mailroute WHERE state = 0 AND "
	    "due_at > ?1",
	[S_MR_DUE] = "SELECT r.rowid, m.id, m.envelope, m.digest, r.recipient, "
	    "r.address, r.attempts FROM mailroute r JOIN message m ON m.seq = "
	    "r.message_seq WHERE r.state = 0 AND r.due_at <= ?1 AND r.rowid > "
	    "?2 ORDER BY r.rowid LIMIT 1",
	[S_MR_END] = "UPDATE mailroute SET state = ?2, attempts = attempts + "
	    "?3, code = ?4, reply = ?5, done_at = ?6 WHERE rowid = ?1 AND "
	    "state = 0",
	[S_MR_RETRY] = "UPDATE mailroute SET attempts = attempts + 1, code = "
	    "?2, reply = ?3, due_at = ?4 WHERE rowid = ?1 AND state = 0",
	[S_MR_STATE] = "SELECT r.state, r.attempts, r.code, r.address FROM "
	    "mailroute r JOIN message m ON m.seq = r.message_seq WHERE m.id = "
	    "?1 AND r.recipient = ?2",
};

/* Migrations: migrations[v] takes the schema from version v to v + 1. */
static const char *const migrations[] = {
	"CREATE TABLE message ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),"
	"  sender TEXT NOT NULL,"
	"  body TEXT NOT NULL CHECK (body IN ('report', 'receipt')),"
	"  status INTEGER NOT NULL,"
	"  digest BLOB NOT NULL,"
	"  envelope BLOB NOT NULL,"
	"  origin TEXT NOT NULL,"
	"  accepted_at INTEGER NOT NULL);"
	"CREATE TABLE delivery ("
	"  recipient TEXT NOT NULL,"
	"  message_seq INTEGER NOT NULL REFERENCES message (seq),"
	"  state INTEGER NOT NULL DEFAULT 0,"
	"  detail TEXT,"
	"  done_at INTEGER,"
	"  PRIMARY KEY (recipient, message_seq)) WITHOUT ROWID;"
	"CREATE INDEX delivery_state ON delivery (state);"
	"CREATE TABLE receipt ("
	"  message_seq INTEGER PRIMARY KEY REFERENCES message (seq),"
	"  ref_id BLOB NOT NULL,"
	"  signer TEXT NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  by TEXT NOT NULL,"
	"  note TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX receipt_ref ON receipt (ref_id);"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"
	"  message_id BLOB NOT NULL,"
	"  entity TEXT NOT NULL,"
	"  digest BLOB NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  prev BLOB NOT NULL,"
	"  hash BLOB NOT NULL);",
	/*
	 * 2: federation. A delivery with a home is a direct one to a node
	 * this relay does not serve (its home relay is named); the state 3
	 * (dropped) ends one when that node leaves or its home relay has
	 * the message.
	 */
	"ALTER TABLE delivery ADD COLUMN home TEXT;",
	/*
	 * 3: escalation by deadline (escalate.h). One row per (report,
	 * recipient, step), step 0 marking it overdue, step k >= 1 the k-th
	 * mail, each with its absolute due time (Unix ms). The state only
	 * moves forward: pending (0) to done (1), failed (2) or cancelled
	 * (3), never back and never between the ends (the trigger refuses
	 * it, whoever writes).
	 */
	"CREATE TABLE escalation ("
	"  message_seq INTEGER NOT NULL REFERENCES message (seq),"
	"  recipient TEXT NOT NULL,"
	"  step INTEGER NOT NULL CHECK (step >= 0),"
	"  sender TEXT NOT NULL,"
	"  incident BLOB NOT NULL,"
	"  level INTEGER NOT NULL,"
	"  deadline INTEGER NOT NULL,"
	"  due_at INTEGER NOT NULL,"
	"  state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  code INTEGER,"
	"  reply TEXT,"
	"  done_at INTEGER,"
	"  UNIQUE (message_seq, recipient, step));"
	"CREATE INDEX escalation_due ON escalation (state, due_at);"
	"CREATE INDEX escalation_incident ON escalation (sender, incident);"
	"CREATE TRIGGER escalation_forward BEFORE UPDATE OF state ON escalation"
	"  WHEN OLD.state != 0 AND NEW.state != OLD.state"
	"  BEGIN SELECT RAISE(ABORT, 'escalation: a step that ended stays "
	"ended'); END;",
	/*
	 * 4 (issue 9's operators): the console's operators, their argon2id hashes
	 * (the encoded form, parameters and salt included), and their
	 * sessions (for the console's login; a session is the SHA-256 of
	 * its cookie, so the database never holds a usable cookie).
	 */
	"CREATE TABLE operator ("
	"  name TEXT PRIMARY KEY,"
	"  hash TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE session ("
	"  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
	"  operator TEXT NOT NULL REFERENCES operator (name) ON DELETE CASCADE,"
	"  csrf BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX session_expiry ON session (expires_at);",
	/*
	 * 5 (issue 9's login): each operator's bearer token for automation
	 * (the SHA-256 of it; NULL: none), unique so that a token names one
	 * operator.
	 */
	"ALTER TABLE operator ADD COLUMN token_hash BLOB"
	"  CHECK (token_hash IS NULL OR length(token_hash) = 32);"
	"CREATE UNIQUE INDEX operator_token ON operator (token_hash);",
	/*
	 * 6 (issue 9's console):
	 * the phone confirmations an operator recorded (api.h: forward
	 * only, several per (report, recipient) allowed, never a receipt),
	 * and when each node was last connected, across restarts (events.h:
	 * written in batches, not per connect).
	 */
	"CREATE TABLE confirmation ("
	"  message_seq INTEGER NOT NULL REFERENCES message (seq),"
	"  recipient TEXT NOT NULL,"
	"  operator TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  note TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX confirmation_report ON confirmation (message_seq);"
	"CREATE INDEX delivery_message ON delivery (message_seq);"
	"CREATE TRIGGER confirmation_forward BEFORE UPDATE ON confirmation"
	"  BEGIN SELECT RAISE(ABORT, 'confirmation: a record stays as it "
	"was'); END;"
	"CREATE TRIGGER confirmation_kept BEFORE DELETE ON confirmation"
	"  BEGIN SELECT RAISE(ABORT, 'confirmation: a record is kept'); END;"
	"CREATE TABLE node_seen ("
	"  entity TEXT PRIMARY KEY,"
	"  connected_at INTEGER,"
	"  disconnected_at INTEGER) WITHOUT ROWID;",
	/*
	 * 7 (issue 11's advisories; after the console API's 6): message.body
	 * may be 'advisory'.
	 * SQLite cannot change a CHECK in place, so the table is rebuilt
	 * and renamed, its AUTOINCREMENT counter carried over (seq is what
	 * delivery, receipt and escalation refer to, and is never reused).
	 * Migrations run before foreign keys are switched on (open_db), as
	 * SQLite's procedure for a table rebuild asks; the rows keep their
	 * seq, so every reference (delivery, receipt, escalation,
	 * confirmation) still holds.
	 */
	"CREATE TABLE message_v7 ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),"
	"  sender TEXT NOT NULL,"
	"  body TEXT NOT NULL CHECK (body IN ('report', 'receipt', "
	"    'advisory')),"
	"  status INTEGER NOT NULL,"
	"  digest BLOB NOT NULL,"
	"  envelope BLOB NOT NULL,"
	"  origin TEXT NOT NULL,"
	"  accepted_at INTEGER NOT NULL);"
	"INSERT INTO message_v7 SELECT seq, id, sender, body, status, digest, "
	"  envelope, origin, accepted_at FROM message;"
	"DELETE FROM sqlite_sequence WHERE name = 'message_v7';"
	"INSERT INTO sqlite_sequence (name, seq) SELECT 'message_v7', seq "
	"  FROM sqlite_sequence WHERE name = 'message';"
	"DROP TABLE message;"
	"ALTER TABLE message_v7 RENAME TO message;",
	/*
	 * 8 (issue 11's mail route, mailroute.h; renumbered after the
	 * console's and the advisories' at the merge): one row per (report,
	 * recipient) this relay serves that runs no node, written in the
	 * report's commit:
	 * pending (0) until an SMTP server took the mail (sent, 1) or it
	 * failed for good (2); only forward (the trigger refuses anything
	 * else, whoever writes).
	 */
	"CREATE TABLE mailroute ("
	"  message_seq INTEGER NOT NULL REFERENCES message (seq),"
	"  recipient TEXT NOT NULL,"
	"  address TEXT NOT NULL,"
	"  state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 2),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  code INTEGER,"
	"  reply TEXT,"
	"  due_at INTEGER NOT NULL,"
	"  done_at INTEGER,"
	"  UNIQUE (message_seq, recipient));"
	"CREATE INDEX mailroute_due ON mailroute (state, due_at);"
	"CREATE TRIGGER mailroute_forward BEFORE UPDATE OF state ON mailroute"
	"  WHEN OLD.state != 0 AND NEW.state != OLD.state"
	"  BEGIN SELECT RAISE(ABORT, 'mailroute: a mail that ended stays "
	"ended'); END;",
};
#define NMIGRATIONS	(int)(sizeof(migrations) / sizeof(migrations[0]))

struct store {
	sqlite3		*db;
	sqlite3_stmt	*st[S_NSTMT];
	/* the audit chain's head: committed, and as of the open transaction */
	int64_t		 audit_seq, audit_seq_tx;
	uint8_t		 audit_head[AUDIT_HASH_LEN];
	uint8_t		 audit_head_tx[AUDIT_HASH_LEN];
	int		 in_tx;
	int		 nosync;	/* synchronous=NORMAL: walsync syncs */
};

static int
fail_db(struct store *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

static int
exec(struct store *s, const char *q, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, q, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg != NULL ? msg : "sqlite error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
migrate(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char q[64];
	int v;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return fail_db(s, "user_version", err, errlen);
	v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (v < 0 || v > NMIGRATIONS) {
		snprintf(err, errlen, "schema version %d: this relay knows "
		    "versions up to %d", v, NMIGRATIONS);
		return -1;
	}
	for (; v < NMIGRATIONS; v++) {
		snprintf(q, sizeof(q), "PRAGMA user_version = %d", v + 1);
		if (exec(s, "BEGIN", err, errlen) == -1)
			return -1;
		if (exec(s, migrations[v], err, errlen) == -1 ||
		    exec(s, q, err, errlen) == -1) {
			(void)exec(s, "ROLLBACK", err, 0);
			return -1;
		}
		if (exec(s, "COMMIT", err, errlen) == -1)
			return -1;
		log_info("store migrated version=%d", v + 1);
	}
	return 0;
}

static int
load_audit_head(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	memset(s->audit_head, 0, sizeof(s->audit_head));
	s->audit_seq = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT seq, hash FROM audit ORDER BY "
	    "seq DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return fail_db(s, "audit head", err, errlen);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == AUDIT_HASH_LEN) {
		s->audit_seq = sqlite3_column_int64(st, 0);
		memcpy(s->audit_head, sqlite3_column_blob(st, 1),
		    AUDIT_HASH_LEN);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    fail_db(s, "audit head", err, errlen);
}

/* PRAGMA user_version, or -1. */
static int
schema_version(struct store *s)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static struct store *
open_db(const char *path, int readonly, char *err, size_t errlen)
{
	struct store *s;
	int i, v;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db, (readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (readonly) {
		if ((v = schema_version(s)) != NMIGRATIONS) {
			snprintf(err, errlen, "schema version %d: this relay "
			    "reads version %d (start the relay once to migrate "
			    "it)", v, NMIGRATIONS);
			goto fail_path;
		}
	/*
	 * Foreign keys on only after the migrations: a migration that
	 * rebuilds a table (6) must run without them (SQLite's procedure).
	 */
	} else if (exec(s, "PRAGMA journal_mode = WAL", err, errlen) == -1 ||
	    exec(s, "PRAGMA synchronous = FULL", err, errlen) == -1 ||
	    migrate(s, err, errlen) == -1 ||
	    exec(s, "PRAGMA foreign_keys = ON", err, errlen) == -1)
		goto fail_path;
	for (i = 0; i < S_NSTMT; i++)
		if (sqlite3_prepare_v3(s->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			fail_db(s, sql[i], err, errlen);
			goto fail_path;
		}
	if (load_audit_head(s, err, errlen) == -1)
		goto fail_path;
	return s;
fail_path:
	{
		char e[512];

		snprintf(e, sizeof(e), "%s", err);
		snprintf(err, errlen, "%s: %s", path, e);
	}
fail:
	store_close(s);
	return NULL;
}

struct store *
store_open(const char *path, char *err, size_t errlen)
{
	return open_db(path, 0, err, errlen);
}

struct store *
store_open_readonly(const char *path, char *err, size_t errlen)
{
	if (access(path, F_OK) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	return open_db(path, 1, err, errlen);
}

int
store_check(const char *path, char *err, size_t errlen)
{
	struct store *s;
	struct stat sb;
	char *dir, *copy;
	int v, rc = 0;

	if (access(path, F_OK) == -1) {
		if ((copy = strdup(path)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		dir = dirname(copy);
		if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s: its directory %s does not "
			    "exist", path, dir);
			rc = -1;
		}
		free(copy);
		return rc;	/* created at the first start */
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || (v = schema_version(s)) < 0) {
		snprintf(err, errlen, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "cannot open");
		rc = -1;
	} else if (v > NMIGRATIONS) {
		snprintf(err, errlen, "%s: schema version %d is newer than "
		    "this relay's (%d)", path, v, NMIGRATIONS);
		rc = -1;
	}
	store_close(s);
	return rc;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < S_NSTMT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

static const char *col_text(sqlite3_stmt *, int);
static void sync_full(struct store *);

/* Runs a statement without result rows and resets it. */
static int
step_done(struct store *s, enum stmt i, char *err, size_t errlen)
{
	int rc = sqlite3_step(s->st[i]);

	sqlite3_reset(s->st[i]);
	sqlite3_clear_bindings(s->st[i]);
	if (rc != SQLITE_DONE)
		return fail_db(s, sql[i], err, errlen);
	return 0;
}

/* step_done, then the number of rows it changed; -1 on error. */
static int
step_changes(struct store *s, enum stmt which, char *err, size_t errlen)
{
	if (step_done(s, which, err, errlen) == -1)
		return -1;
	return sqlite3_changes(s->db);
}

int
store_begin(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (s->in_tx)
		fatalx("%s: nested transaction", __func__);
	if (step_done(s, S_BEGIN, err, errlen) == -1)
		return -1;
	s->in_tx = 1;
	/*
	 * The head as of now, under the write lock: another process (the
	 * `operator` command beside a running relay) may have added rows.
	 */
	st = s->st[S_AUDIT_HEAD];
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == AUDIT_HASH_LEN) {
		s->audit_seq = sqlite3_column_int64(st, 0);
		memcpy(s->audit_head, sqlite3_column_blob(st, 1),
		    AUDIT_HASH_LEN);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail_db(s, "audit head", err, errlen);
		store_rollback(s);
		return -1;
	}
	s->audit_seq_tx = s->audit_seq;
	memcpy(s->audit_head_tx, s->audit_head, AUDIT_HASH_LEN);
	return 0;
}

int
store_commit(struct store *s, char *err, size_t errlen)
{
	if (!s->in_tx)
		fatalx("%s: no transaction", __func__);
	if (step_done(s, S_COMMIT, err, errlen) == -1) {
		store_rollback(s);
		return -1;
	}
	s->in_tx = 0;
	s->audit_seq = s->audit_seq_tx;
	memcpy(s->audit_head, s->audit_head_tx, AUDIT_HASH_LEN);
	sync_full(s);
	return 0;
}

/* Back to synchronous=FULL after a transaction of store_begin_nosync. */
static void
sync_full(struct store *s)
{
	char e[256];

	if (!s->nosync)
		return;
	if (exec(s, "PRAGMA synchronous = FULL", e, sizeof(e)) == -1)
		fatalx("store: synchronous = FULL: %s", e);
	s->nosync = 0;
}

/*
 * BEGIN with synchronous=NORMAL: its COMMIT completes in the WAL without
 * an fsync (walsync.h). SQLite takes the pragma only outside a transaction
 * and when it is prepared, so it is run anew each time (sqlite3_exec);
 * the commit or rollback sets FULL back for every other transaction.
 */
int
store_begin_nosync(struct store *s, char *err, size_t errlen)
{
	if (exec(s, "PRAGMA synchronous = NORMAL", err, errlen) == -1)
		return -1;
	s->nosync = 1;
	if (store_begin(s, err, errlen) == -1) {
		sync_full(s);
		return -1;
	}
	return 0;
}

int64_t
store_last_seq(struct store *s)
{
	sqlite3_stmt *st = s->st[S_LAST_SEQ];
	int64_t seq = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return seq;
}

int
store_checkpoint_elsewhere(struct store *s, char *err, size_t errlen)
{
	return exec(s, "PRAGMA wal_autocheckpoint = 0", err, errlen);
}

struct store *
store_open_checkpointer(const char *path, char *err, size_t errlen)
{
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "cannot open");
		store_close(s);
		return NULL;
	}
	/* a checkpoint takes no write lock: it only waits for readers */
	sqlite3_busy_timeout(s->db, 1000);
	/*
	 * A read, so that the connection knows the database is in WAL mode:
	 * before that, a checkpoint is a no-op that reports success.
	 */
	if (exec(s, "SELECT 1 FROM sqlite_master LIMIT 1", err, errlen) == -1) {
		store_close(s);
		return NULL;
	}
	return s;
}

int
store_checkpoint(struct store *s, char *err, size_t errlen)
{
	int rc, log = 0, done = 0;

	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    &log, &done);
	if (rc == SQLITE_BUSY)
		return 0;
	if (rc != SQLITE_OK)
		return fail_db(s, "wal checkpoint", err, errlen);
	return done > 0 ? done : 0;
}

void
store_rollback(struct store *s)
{
	char err[256];

	if (!s->in_tx)
		return;
	if (step_done(s, S_ROLLBACK, err, sizeof(err)) == -1)
		log_warnx("store rollback: %s", err);
	s->in_tx = 0;
	sync_full(s);
}

static int
audit_add(struct store *s, const char *event, const uint8_t *id,
    const char *entity, const uint8_t *digest, const char *detail,
    int64_t now_ms, char *err, size_t errlen)
{
	struct audit_row r;
	uint8_t h[AUDIT_HASH_LEN];
	sqlite3_stmt *st = s->st[S_AUDIT_ADD];

	if (!s->in_tx)
		fatalx("%s: outside a transaction", __func__);
	r.seq = s->audit_seq_tx + 1;
	r.at = now_ms;
	r.event = event;
	r.message_id = id;
	r.entity = entity;
	r.digest = digest;
	r.detail = detail;
	if (audit_hash(s->audit_head_tx, &r, h) == -1) {
		snprintf(err, errlen, "audit: hash failed");
		return -1;
	}
	sqlite3_bind_int64(st, 1, r.seq);
	sqlite3_bind_int64(st, 2, r.at);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, entity, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, digest, KAIRAN_DIGEST_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, detail, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, s->audit_head_tx, AUDIT_HASH_LEN,
	    SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, h, AUDIT_HASH_LEN, SQLITE_STATIC);
	if (step_done(s, S_AUDIT_ADD, err, errlen) == -1)
		return -1;
	s->audit_seq_tx = r.seq;
	memcpy(s->audit_head_tx, h, AUDIT_HASH_LEN);
	return 0;
}

const char *
store_body_name(const Message *m)
{
	switch (m->body_case) {
	case KAIRAN__V1__MESSAGE__BODY_RECEIPT:
		return "receipt";
	case KAIRAN__V1__MESSAGE__BODY_ADVISORY:
		return "advisory";
	default:
		return "report";
	}
}

int
store_message_add(struct store *s, const Message *m, const uint8_t *env,
    size_t envlen, const uint8_t digest[KAIRAN_DIGEST_LEN], const char *from,
    int64_t now_ms, int *dup, int64_t *seq, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_MSG_FIND];
	const char *body;
	char detail[128];
	int rc;

	*dup = 0;
	sqlite3_bind_blob(st, 1, m->id.data, KAIRAN_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*dup = 1;
		*seq = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return fail_db(s, "message find", err, errlen);

	body = store_body_name(m);
	st = s->st[S_MSG_ADD];
	sqlite3_bind_blob(st, 1, m->id.data, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)m->status);
	sqlite3_bind_blob(st, 5, digest, KAIRAN_DIGEST_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, env, (int)envlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, from, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now_ms);
	if (step_done(s, S_MSG_ADD, err, errlen) == -1)
		return -1;
	*seq = sqlite3_last_insert_rowid(s->db);
	snprintf(detail, sizeof(detail), "%s status=%s recipients=%zu", body,
	    message_status_name(m->status), m->n_recipients);
	return audit_add(s, "accepted", m->id.data, m->sender, digest, detail,
	    now_ms, err, errlen);
}

int
store_delivery_add(struct store *s, int64_t seq, const char *recipient,
    const char *home, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_DELIV_ADD];

	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	if (home != NULL)
		sqlite3_bind_text(st, 3, home, -1, SQLITE_STATIC);
	return step_done(s, S_DELIV_ADD, err, errlen);
}

int
store_direct_gone(struct store *s, const char *recipient, int64_t now_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_DIRECT_GONE];

	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "node left", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	return step_changes(s, S_DIRECT_GONE, err, errlen);
}

int
store_direct_home(struct store *s, const uint8_t id[KAIRAN_ID_LEN],
    const char *home, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_DIRECT_HOME];

	sqlite3_bind_blob(st, 1, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, home, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, "home relay has it", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	return step_changes(s, S_DIRECT_HOME, err, errlen);
}

int
store_direct_all(struct store *s, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_DIRECT_ALL];

	sqlite3_bind_text(st, 1, "relay restarted", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	return step_changes(s, S_DIRECT_ALL, err, errlen);
}

int
store_receipt_add(struct store *s, int64_t seq, const Message *m,
    const uint8_t digest[KAIRAN_DIGEST_LEN], int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[S_RCPT_ADD];
	const Receipt *r = m->receipt;
	char detail[512], ref[KAIRAN_ID_HEXLEN + 1];

	if (r == NULL)
		fatalx("%s: not a receipt", __func__);
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_blob(st, 2, r->ref_id.data, (int)r->ref_id.len,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->sender, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)r->state);
	sqlite3_bind_text(st, 5, r->by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now_ms);
	if (step_done(s, S_RCPT_ADD, err, errlen) == -1)
		return -1;
	message_hex(r->ref_id.data, r->ref_id.len, ref);
	snprintf(detail, sizeof(detail), "%s ref=%s%s%s",
	    message_receipt_state_name(r->state), ref,
	    r->subject[0] != '\0' ? " subject=" : "", r->subject);
	return audit_add(s, "receipt", m->id.data, m->sender, digest, detail,
	    now_ms, err, errlen);
}

int
store_delivery_end(struct store *s, const uint8_t id[KAIRAN_ID_LEN],
    const char *recipient, enum delivery_state state, const char *detail,
    int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_DELIV_END];

	switch (state) {
	case DELIVERY_DONE:
	case DELIVERY_REFUSED:
		break;
	default:
		fatalx("%s: state %d", __func__, (int)state);
	}
	sqlite3_bind_blob(st, 1, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)state);
	if (detail != NULL)
		sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now_ms);
	if (step_done(s, S_DELIV_END, err, errlen) == -1)
		return -1;
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

/* A malloc'd copy of blob column i (caller frees). 0, or -1 out of memory. */
static int
column_dup(sqlite3_stmt *st, int i, uint8_t **out, size_t *len)
{
	int n = sqlite3_column_bytes(st, i);

	if ((*out = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return -1;
	memcpy(*out, sqlite3_column_blob(st, i), (size_t)n);
	*len = (size_t)n;
	return 0;
}

/*
 * Resets st after a one-row lookup and turns the step's result into the
 * lookup's: found (1/0) for a row, 0 for none, -1 (err) otherwise.
 */
static int
row_result(struct store *s, sqlite3_stmt *st, int rc, int found,
    const char *what, char *err, size_t errlen)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW && found)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_NOMEM)
		snprintf(err, errlen, "%s: out of memory", what);
	else
		fail_db(s, what, err, errlen);
	return -1;
}

int
store_next_delivery(struct store *s, const char *recipient, int64_t after,
    int64_t *seq, uint8_t id[KAIRAN_ID_LEN], uint8_t **env, size_t *envlen,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_DELIV_NEXT];
	int rc, found = 0;

	*env = NULL;
	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != KAIRAN_ID_LEN)
			fatalx("%s: stored id of bad length", __func__);
		memcpy(id, sqlite3_column_blob(st, 1), KAIRAN_ID_LEN);
		if (column_dup(st, 2, env, envlen) == -1)
			rc = SQLITE_NOMEM;
		else
			found = 1;
	}
	return row_result(s, st, rc, found, "next delivery", err, errlen);
}

int
store_message_get(struct store *s, const uint8_t id[KAIRAN_ID_LEN],
    uint8_t **env, size_t *envlen, uint8_t digest[KAIRAN_DIGEST_LEN],
    char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_MSG_GET];
	int rc, found = 0;

	*env = NULL;
	sqlite3_bind_blob(st, 1, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != KAIRAN_DIGEST_LEN)
			fatalx("%s: stored digest of bad length", __func__);
		memcpy(digest, sqlite3_column_blob(st, 1), KAIRAN_DIGEST_LEN);
		if (column_dup(st, 0, env, envlen) == -1)
			rc = SQLITE_NOMEM;
		else
			found = 1;
	}
	return row_result(s, st, rc, found, "message get", err, errlen);
}

long long
store_pending_count(struct store *s)
{
	sqlite3_stmt *st = s->st[S_PENDING];
	long long n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

void
store_audit_head(const struct store *s, int64_t *rows,
    uint8_t head[AUDIT_HASH_LEN])
{
	*rows = s->audit_seq;
	memcpy(head, s->audit_head, AUDIT_HASH_LEN);
}

int
store_audit_row_hash(struct store *s, int64_t seq,
    uint8_t hash[AUDIT_HASH_LEN], char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_AUDIT_ROW];
	int rc, found = 0;

	sqlite3_bind_int64(st, 1, seq);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == AUDIT_HASH_LEN) {
		memcpy(hash, sqlite3_column_blob(st, 0), AUDIT_HASH_LEN);
		found = 1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail_db(s, "audit row", err, errlen);
	return found;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

int
store_audit_verify(struct store *s, int64_t *bad, long long *rows, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[S_AUDIT_ALL];
	struct audit_row r;
	uint8_t prev[AUDIT_HASH_LEN], h[AUDIT_HASH_LEN];
	int64_t expect = 1;
	int rc, broken = 0;

	memset(prev, 0, sizeof(prev));
	*rows = 0;
	*bad = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.seq = sqlite3_column_int64(st, 0);
		r.at = sqlite3_column_int64(st, 1);
		r.event = col_text(st, 2);
		r.message_id = sqlite3_column_blob(st, 3);
		r.entity = col_text(st, 4);
		r.digest = sqlite3_column_blob(st, 5);
		r.detail = col_text(st, 6);
		(*rows)++;
		if (r.seq != expect ||
		    sqlite3_column_bytes(st, 3) != KAIRAN_ID_LEN ||
		    sqlite3_column_bytes(st, 5) != KAIRAN_DIGEST_LEN ||
		    sqlite3_column_bytes(st, 7) != AUDIT_HASH_LEN ||
		    sqlite3_column_bytes(st, 8) != AUDIT_HASH_LEN ||
		    memcmp(sqlite3_column_blob(st, 7), prev,
		    AUDIT_HASH_LEN) != 0 ||
		    audit_hash(prev, &r, h) == -1 ||
		    memcmp(h, sqlite3_column_blob(st, 8), AUDIT_HASH_LEN) != 0) {
			/* a missing row shows as the next one's gap */
			*bad = r.seq != expect && r.seq > expect ? expect :
			    r.seq;
			broken = 1;
			break;
		}
		memcpy(prev, h, AUDIT_HASH_LEN);
		expect++;
	}
	sqlite3_reset(st);
	if (!broken && rc != SQLITE_DONE)
		return fail_db(s, "audit", err, errlen);
	return broken;
}

/*
 * An audit row about an operator: no message, so id and digest are
 * zeros; the entity is "operator:NAME". Inside the transaction.
 */
static int
audit_operator(struct store *s, const char *event, const char *name,
    const char *detail, int64_t now_ms, char *err, size_t errlen)
{
	static const uint8_t zero[KAIRAN_DIGEST_LEN];
	char entity[128];

	snprintf(entity, sizeof(entity), "operator:%s", name);
	return audit_add(s, event, zero, entity, zero, detail, now_ms, err,
	    errlen);
}

/*
 * The end of a change of the console's operators and sessions, inside
 * the transaction store_begin opened, with which's parameters bound:
 * runs it; if it changed no row, rolls back and returns 1; else writes
 * the audit row (event, entity "operator:NAME", detail) and commits: 0,
 * or -1 with err (rolled back).
 */
static int
operator_change(struct store *s, enum stmt which, const char *event,
    const char *name, const char *detail, int64_t now_ms, char *err,
    size_t errlen)
{
	int changed;

	if ((changed = step_changes(s, which, err, errlen)) == -1)
		goto fail;
	if (changed == 0) {
		store_rollback(s);
		return 1;
	}
	if (audit_operator(s, event, name, detail, now_ms, err, errlen) == -1 ||
	    store_commit(s, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_operator_add(struct store *s, const char *name, const char *hash,
    const char *by, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_OP_ADD];
	char detail[256];

	if (store_begin(s, err, errlen) == -1)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	snprintf(detail, sizeof(detail), "operator added by %s", by);
	return operator_change(s, S_OP_ADD, "operator-add", name, detail,
	    now_ms, err, errlen);
}

int
store_operator_del(struct store *s, const char *name, const char *by,
    int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_OP_DEL];
	char detail[256];

	if (store_begin(s, err, errlen) == -1)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	/* its sessions go with it (ON DELETE CASCADE) */
	snprintf(detail, sizeof(detail), "operator deleted by %s", by);
	return operator_change(s, S_OP_DEL, "operator-del", name, detail,
	    now_ms, err, errlen);
}

int
store_operator_hash(struct store *s, const char *name, char *hash,
    size_t hashlen, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_OP_HASH];
	int rc, found = 0;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(hash, hashlen, "%s", col_text(st, 0));
		found = 1;
	}
	return row_result(s, st, rc, found, "operator", err, errlen);
}

int
store_operator_list(struct store *s, void (*fn)(void *, const char *,
    int64_t), void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_OP_LIST];
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(arg, col_text(st, 0), sqlite3_column_int64(st, 1));
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail_db(s, "operator list", err, errlen);
	return n;
}

/*
 * The console's sessions and tokens (auth.c). A session's row is the
 * SHA-256 of its cookie; logging in and out are operator actions, so
 * each is its own transaction with its audit row ("login", "logout",
 * "operator-token"; entity "operator:NAME").
 */
int
store_session_add(struct store *s, const uint8_t token_hash[32],
    const char *operator, const uint8_t *csrf, size_t csrflen,
    int64_t now_ms, int64_t expires_ms, const char *detail, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	if (store_begin(s, err, errlen) == -1)
		return -1;
	/* the expired ones go first: the table holds live sessions only */
	st = s->st[S_SESS_EXPIRE];
	sqlite3_bind_int64(st, 1, now_ms);
	if (step_done(s, S_SESS_EXPIRE, err, errlen) == -1)
		goto fail;
	st = s->st[S_SESS_ADD];
	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, operator, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, csrf, (int)csrflen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int64(st, 5, expires_ms);
	if (step_done(s, S_SESS_ADD, err, errlen) == -1 ||
	    audit_operator(s, "login", operator, detail, now_ms, err,
	    errlen) == -1 || store_commit(s, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_session_get(struct store *s, const uint8_t token_hash[32],
    int64_t now_ms, char *operator, size_t oplen, uint8_t *csrf,
    size_t csrflen, int64_t *expires_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_SESS_GET];
	const void *b;
	int rc, found = 0;

	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (size_t)sqlite3_column_bytes(st, 1) == csrflen &&
	    (b = sqlite3_column_blob(st, 1)) != NULL) {
		snprintf(operator, oplen, "%s", col_text(st, 0));
		memcpy(csrf, b, csrflen);
		*expires_ms = sqlite3_column_int64(st, 2);
		found = 1;
	}
	return row_result(s, st, rc, found, "session", err, errlen);
}

int
store_session_del(struct store *s, const uint8_t token_hash[32],
    const char *operator, int64_t now_ms, const char *detail, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[S_SESS_DEL];

	if (store_begin(s, err, errlen) == -1)
		return -1;
	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	return operator_change(s, S_SESS_DEL, "logout", operator, detail,
	    now_ms, err, errlen);
}

int
store_operator_token(struct store *s, const char *name,
    const uint8_t token_hash[32], const char *by, int64_t now_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_OP_TOKEN];
	char detail[256];

	if (store_begin(s, err, errlen) == -1)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, token_hash, 32, SQLITE_STATIC);
	snprintf(detail, sizeof(detail), "bearer token issued by %s", by);
	return operator_change(s, S_OP_TOKEN, "operator-token", name, detail,
	    now_ms, err, errlen);
}

int
store_operator_by_token(struct store *s, const uint8_t token_hash[32],
    char *name, size_t namelen, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_OP_BY_TOKEN];
	int rc, found = 0;

	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(name, namelen, "%s", col_text(st, 0));
		found = 1;
	}
	return row_result(s, st, rc, found, "operator token", err, errlen);
}

int
store_pending_oldest(struct store *s, long long *count, int64_t *oldest_ms)
{
	sqlite3_stmt *st = s->st[S_PENDING_OLDEST];
	int rc;

	*count = 0;
	*oldest_ms = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			*oldest_ms = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

long long
store_pending_to(struct store *s, const char *recipient)
{
	sqlite3_stmt *st = s->st[S_PENDING_TO];
	long long n = -1;

	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}

int
store_escalation_add(struct store *s, int64_t seq, const char *recipient,
    int step, const char *sender, const uint8_t *incident, size_t incidentlen,
    unsigned level, int64_t deadline_ms, int64_t due_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[S_ESC_ADD];

	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, step);
	sqlite3_bind_text(st, 4, sender, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, incident, (int)incidentlen, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, (int)level);
	sqlite3_bind_int64(st, 7, deadline_ms);
	sqlite3_bind_int64(st, 8, due_ms);
	return step_changes(s, S_ESC_ADD, err, errlen);
}

int
store_escalation_ack(struct store *s, const uint8_t id[KAIRAN_ID_LEN],
    const char *recipient, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_ESC_ACK];

	sqlite3_bind_blob(st, 1, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	return step_changes(s, S_ESC_ACK, err, errlen);
}

int
store_escalation_withdraw(struct store *s, const char *sender,
    const uint8_t *incident, size_t incidentlen, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[S_ESC_WITHDRAW];

	sqlite3_bind_text(st, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, incident, (int)incidentlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	return step_changes(s, S_ESC_WITHDRAW, err, errlen);
}

int
store_escalation_next(struct store *s, int64_t *due_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[S_ESC_NEXT];
	int rc, found = 0;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* min() of no rows is one row of NULL */
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			rc = SQLITE_DONE;
		else {
			*due_ms = sqlite3_column_int64(st, 0);
			found = 1;
		}
	}
	return row_result(s, st, rc, found, "escalation next", err, errlen);
}

int
store_escalation_due(struct store *s, int64_t now_ms,
    struct store_esc_step *out, char *err, size_t errlen)
{
	return store_escalation_due_after(s, now_ms, NULL, out, err, errlen);
}

int
store_escalation_due_after(struct store *s, int64_t now_ms,
    const struct store_esc_step *after, struct store_esc_step *out,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_ESC_DUE];
	int rc, found = 0;

	/* after NULL: before every row (steps are >= 0, rowids >= 1) */
	sqlite3_bind_int64(st, 2, after != NULL ? after->due_ms : INT64_MIN);
	sqlite3_bind_int(st, 3, after != NULL ? after->step : -1);
	sqlite3_bind_int64(st, 4, after != NULL ? after->row : -1);
	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, now_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->row = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != KAIRAN_ID_LEN)
			fatalx("%s: stored id of bad length", __func__);
		memcpy(out->id, sqlite3_column_blob(st, 1), KAIRAN_ID_LEN);
		snprintf(out->recipient, sizeof(out->recipient), "%s",
		    col_text(st, 3));
		out->step = sqlite3_column_int(st, 4);
		out->level = (unsigned)sqlite3_column_int(st, 5);
		out->deadline_ms = sqlite3_column_int64(st, 6);
		out->attempts = sqlite3_column_int(st, 7);
		out->due_ms = sqlite3_column_int64(st, 8);
		if (column_dup(st, 2, &out->env, &out->envlen) == -1)
			rc = SQLITE_NOMEM;
		else
			found = 1;
	}
	return row_result(s, st, rc, found, "escalation due", err, errlen);
}

int
store_escalation_end(struct store *s, int64_t row, enum esc_state state,
    int attempted, int code, const char *reply, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[S_ESC_END];

	if (state != ESC_DONE && state != ESC_FAILED && state != ESC_CANCELLED)
		fatalx("%s: state %d", __func__, (int)state);
	sqlite3_bind_int64(st, 1, row);
	sqlite3_bind_int(st, 2, (int)state);
	sqlite3_bind_int(st, 3, attempted ? 1 : 0);
	if (code > 0)
		sqlite3_bind_int(st, 4, code);
	if (reply != NULL)
		sqlite3_bind_text(st, 5, reply, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now_ms);
	if (step_done(s, S_ESC_END, err, errlen) == -1)
		return -1;
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

long long
store_overdue_count(struct store *s)
{
	sqlite3_stmt *st = s->st[S_ESC_OVERDUE];
	long long n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
store_escalation_retry(struct store *s, int64_t row, int code,
    const char *reply, int64_t due_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_ESC_RETRY];

	sqlite3_bind_int64(st, 1, row);
	if (code > 0)
		sqlite3_bind_int(st, 2, code);
	if (reply != NULL)
		sqlite3_bind_text(st, 3, reply, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, due_ms);
	if (step_done(s, S_ESC_RETRY, err, errlen) == -1)
		return -1;
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int
store_confirm_add(struct store *s, const struct store_confirm *c,
    int64_t now_ms, int *cancelled, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_CONFIRM_ADD];
	char detail[1024], ref[KAIRAN_ID_HEXLEN + 1], entity[128];
	int n;

	*cancelled = 0;
	if (store_begin(s, err, errlen) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, c->seq);
	sqlite3_bind_text(st, 2, c->recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->operator_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now_ms);
	if (step_done(s, S_CONFIRM_ADD, err, errlen) == -1)
		goto fail;
	st = s->st[S_CONFIRM_CANCEL];
	sqlite3_bind_int64(st, 1, c->seq);
	sqlite3_bind_text(st, 2, c->recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	if ((n = step_changes(s, S_CONFIRM_CANCEL, err, errlen)) == -1)
		goto fail;
	message_hex(c->id, KAIRAN_ID_LEN, ref);
	snprintf(detail, sizeof(detail), "confirmed by phone ref=%s "
	    "recipient=%s name=%s mails_cancelled=%d%s%s", ref, c->recipient,
	    c->name, n, c->note[0] != '\0' ? " note=" : "", c->note);
	snprintf(entity, sizeof(entity), "operator:%s", c->operator_name);
	if (audit_add(s, "confirm", c->id, entity, c->digest, detail, now_ms,
	    err, errlen) == -1 || store_commit(s, err, errlen) == -1)
		goto fail;
	*cancelled = n;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_node_seen_put(struct store *s, const char *entity,
    int64_t connected_ms, int64_t disconnected_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_SEEN_PUT];

	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	if (connected_ms > 0)
		sqlite3_bind_int64(st, 2, connected_ms);
	if (disconnected_ms > 0)
		sqlite3_bind_int64(st, 3, disconnected_ms);
	return step_done(s, S_SEEN_PUT, err, errlen);
}

int
store_mailroute_add(struct store *s, int64_t seq, const char *recipient,
    const char *address, int64_t due_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_MR_ADD];

	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, due_ms);
	return step_changes(s, S_MR_ADD, err, errlen);
}

int
store_mailroute_next(struct store *s, int64_t after_ms, int64_t *due_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_MR_NEXT];
	int rc, found = 0;

	sqlite3_bind_int64(st, 1, after_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			rc = SQLITE_DONE;
		else {
			*due_ms = sqlite3_column_int64(st, 0);
			found = 1;
		}
	}
	return row_result(s, st, rc, found, "mailroute next", err, errlen);
}

int
store_mailroute_due(struct store *s, int64_t now_ms, int64_t after,
    struct store_mail_row *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_MR_DUE];
	int rc, found = 0;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, after);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->row = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != KAIRAN_ID_LEN ||
		    sqlite3_column_bytes(st, 3) != KAIRAN_DIGEST_LEN)
			fatalx("%s: stored id or digest of bad length",
			    __func__);
		memcpy(out->id, sqlite3_column_blob(st, 1), KAIRAN_ID_LEN);
		memcpy(out->digest, sqlite3_column_blob(st, 3),
		    KAIRAN_DIGEST_LEN);
		snprintf(out->recipient, sizeof(out->recipient), "%s",
		    col_text(st, 4));
		snprintf(out->address, sizeof(out->address), "%s",
		    col_text(st, 5));
		out->attempts = sqlite3_column_int(st, 6);
		if (column_dup(st, 2, &out->env, &out->envlen) == -1)
			rc = SQLITE_NOMEM;
		else
			found = 1;
	}
	return row_result(s, st, rc, found, "mailroute due", err, errlen);
}

int
store_mailroute_end(struct store *s, int64_t row, enum mailroute_state state,
    int attempted, int code, const char *reply, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[S_MR_END];

	if (state != MAILROUTE_SENT && state != MAILROUTE_FAILED)
		fatalx("%s: state %d", __func__, (int)state);
	sqlite3_bind_int64(st, 1, row);
	sqlite3_bind_int(st, 2, (int)state);
	sqlite3_bind_int(st, 3, attempted ? 1 : 0);
	if (code > 0)
		sqlite3_bind_int(st, 4, code);
	if (reply != NULL)
		sqlite3_bind_text(st, 5, reply, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now_ms);
	return step_changes(s, S_MR_END, err, errlen);
}

int
store_mailroute_retry(struct store *s, int64_t row, int code,
    const char *reply, int64_t due_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_MR_RETRY];

	sqlite3_bind_int64(st, 1, row);
	if (code > 0)
		sqlite3_bind_int(st, 2, code);
	if (reply != NULL)
		sqlite3_bind_text(st, 3, reply, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, due_ms);
	return step_changes(s, S_MR_RETRY, err, errlen);
}

int
store_mailroute_state(struct store *s, const uint8_t id[KAIRAN_ID_LEN],
    const char *recipient, int *state, int *attempts, int *code,
    char *address, size_t addrlen, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_MR_STATE];
	int rc, found = 0;

	sqlite3_bind_blob(st, 1, id, KAIRAN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*state = sqlite3_column_int(st, 0);
		*attempts = sqlite3_column_int(st, 1);
		*code = sqlite3_column_int(st, 2);
		snprintf(address, addrlen, "%s", col_text(st, 3));
		found = 1;
	}
	return row_result(s, st, rc, found, "mailroute state", err, errlen);
}
