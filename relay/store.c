/*
 * store: the relay's SQLite database (see store.h for what it holds):
 * the schema and its migrations (PRAGMA user_version), opening and
 * checking a database. The rest of the store is in parts, each with its
 * own statements on the connection of storedb.c:
 *   storedb.c        the connection, transactions (the no-fsync begin of
 *                    the commit pipeline), checkpoints, the audit chain
 *   store_message.c  messages, deliveries, receipts
 *   store_console.c  operators, sessions, tokens, confirmations, node_seen
 *   store_mail.c     the mail rows: escalation steps and the mail route
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

#include "store.h"
#include "storedb.h"


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

/* Every part's statements, prepared at open (after the migrations). */
static const struct {
	enum storedb_part		 part;
	const struct storedb_sql	*sql;
} parts[] = {
	{ STOREDB_CORE, &storedb_core_sql },
	{ STOREDB_MESSAGE, &store_message_sql },
	{ STOREDB_CONSOLE, &store_console_sql },
	{ STOREDB_MAIL, &store_mail_sql },
};

static int
migrate(struct store *s, char *err, size_t errlen)
{
	char q[64];
	int v;

	if ((v = storedb_user_version(s, err, errlen)) == -2)
		return -1;
	if (v < 0 || v > NMIGRATIONS) {
		snprintf(err, errlen, "schema version %d: this relay knows "
		    "versions up to %d", v, NMIGRATIONS);
		return -1;
	}
	for (; v < NMIGRATIONS; v++) {
		snprintf(q, sizeof(q), "PRAGMA user_version = %d", v + 1);
		if (storedb_exec(s, "BEGIN", err, errlen) == -1)
			return -1;
		if (storedb_exec(s, migrations[v], err, errlen) == -1 ||
		    storedb_exec(s, q, err, errlen) == -1) {
			(void)storedb_exec(s, "ROLLBACK", err, 0);
			return -1;
		}
		if (storedb_exec(s, "COMMIT", err, errlen) == -1)
			return -1;
		log_info("store migrated version=%d", v + 1);
	}
	return 0;
}

/* PRAGMA user_version, or -1. */
static int
schema_version(struct store *s)
{
	char e[256];
	int v = storedb_user_version(s, e, sizeof(e));

	return v < 0 ? -1 : v;
}

static struct store *
open_db(const char *path, int readonly, char *err, size_t errlen)
{
	struct store *s;
	size_t i;
	int v;

	if ((s = storedb_connect(path, (readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX,
	    err, errlen)) == NULL)
		return NULL;
	storedb_busy_timeout(s, 5000);
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
	} else if (storedb_exec(s, "PRAGMA journal_mode = WAL", err,
	    errlen) == -1 ||
	    storedb_exec(s, "PRAGMA synchronous = FULL", err, errlen) == -1 ||
	    migrate(s, err, errlen) == -1 ||
	    storedb_exec(s, "PRAGMA foreign_keys = ON", err, errlen) == -1)
		goto fail_path;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (storedb_prepare(s, parts[i].part, parts[i].sql, err,
		    errlen) == -1)
			goto fail_path;
	if (storedb_audit_load(s, err, errlen) == -1)
		goto fail_path;
	return s;
fail_path:
	{
		char e[512];

		snprintf(e, sizeof(e), "%s", err);
		snprintf(err, errlen, "%s: %s", path, e);
	}
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
	if ((s = storedb_connect(path, SQLITE_OPEN_READONLY, err, errlen)) ==
	    NULL)
		return -1;
	if ((v = schema_version(s)) < 0) {
		snprintf(err, errlen, "%s: %s", path, storedb_errmsg(s));
		rc = -1;
	} else if (v > NMIGRATIONS) {
		snprintf(err, errlen, "%s: schema version %d is newer than "
		    "this relay's (%d)", path, v, NMIGRATIONS);
		rc = -1;
	}
	store_close(s);
	return rc;
}
