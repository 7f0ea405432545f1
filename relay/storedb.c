/*
 * storedb: the store's connection (see storedb.h): struct store, the
 * prepared statements of every part, the helpers the parts run them
 * with; the transactions (the no-fsync begin of the commit pipeline
 * among them), the WAL checkpoints, and the audit chain (store.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kairan/log.h"

#include "audit.h"
#include "storedb.h"

enum stmt {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_AUDIT_ADD, S_AUDIT_ALL, S_AUDIT_ROW,
	S_AUDIT_HEAD, S_LAST_SEQ,
	S_NSTMT
};

static const char *const sql[S_NSTMT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_LAST_SEQ] = "SELECT max(seq) FROM message",
	[S_AUDIT_ADD] = "INSERT INTO audit (seq, at, event, message_id, "
	    "entity, digest, detail, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9)",
	[S_AUDIT_ALL] = "SELECT seq, at, event, message_id, entity, digest, "
	    "detail, prev, hash FROM audit ORDER BY seq",
	[S_AUDIT_ROW] = "SELECT hash FROM audit WHERE seq = ?1",
	[S_AUDIT_HEAD] = "SELECT seq, hash FROM audit ORDER BY seq DESC "
	    "LIMIT 1",
};
const struct storedb_sql storedb_core_sql = { sql, S_NSTMT };

struct store {
	sqlite3		*db;
	sqlite3_stmt	**st[STOREDB_NPARTS];	/* each part's, or NULL */
	int		 nst[STOREDB_NPARTS];
	/* the audit chain's head: committed, and as of the open transaction */
	int64_t		 audit_seq, audit_seq_tx;
	uint8_t		 audit_head[AUDIT_HASH_LEN];
	uint8_t		 audit_head_tx[AUDIT_HASH_LEN];
	int		 in_tx;
	int		 nosync;	/* synchronous=NORMAL: walsync syncs */
	/* with checkpoints elsewhere: the WAL's frames after our last commit */
	int		 wal_frames, page_size;
};

#define CORE(s, i)	((s)->st[STOREDB_CORE][(i)])

static void sync_full(struct store *);

struct store *
storedb_connect(const char *path, int flags, char *err, size_t errlen)
{
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "cannot open");
		store_close(s);
		return NULL;
	}
	return s;
}

void
storedb_busy_timeout(struct store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

int
storedb_prepare(struct store *s, enum storedb_part part,
    const struct storedb_sql *q, char *err, size_t errlen)
{
	int i;

	if ((s->st[part] = calloc((size_t)q->n, sizeof(*s->st[part]))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->nst[part] = q->n;
	for (i = 0; i < q->n; i++)
		if (sqlite3_prepare_v3(s->db, q->sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[part][i], NULL) !=
		    SQLITE_OK)
			return storedb_fail(s, q->sql[i], err, errlen);
	return 0;
}

sqlite3_stmt *
storedb_stmt(struct store *s, enum storedb_part part, int i)
{
	return s->st[part][i];
}

void
store_close(struct store *s)
{
	int p, i;

	if (s == NULL)
		return;
	for (p = 0; p < STOREDB_NPARTS; p++) {
		for (i = 0; i < s->nst[p]; i++)
			sqlite3_finalize(s->st[p][i]);
		free(s->st[p]);
	}
	sqlite3_close(s->db);
	free(s);
}

int
storedb_user_version(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK) {
		storedb_fail(s, "user_version", err, errlen);
		return -2;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
storedb_fail(struct store *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

const char *
storedb_errmsg(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

int
storedb_exec(struct store *s, const char *q, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, q, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg != NULL ? msg : "sqlite error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
storedb_step_done(struct store *s, sqlite3_stmt *st, char *err,
    size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return storedb_fail(s, sqlite3_sql(st), err, errlen);
	return 0;
}

int
storedb_step_changes(struct store *s, sqlite3_stmt *st, char *err,
    size_t errlen)
{
	if (storedb_step_done(s, st, err, errlen) == -1)
		return -1;
	return sqlite3_changes(s->db);
}

int
storedb_changes(struct store *s)
{
	return sqlite3_changes(s->db);
}

int64_t
storedb_last_rowid(struct store *s)
{
	return sqlite3_last_insert_rowid(s->db);
}

int
storedb_row_result(struct store *s, sqlite3_stmt *st, int rc, int found,
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
		storedb_fail(s, what, err, errlen);
	return -1;
}

int
storedb_column_dup(sqlite3_stmt *st, int i, uint8_t **out, size_t *len)
{
	int n = sqlite3_column_bytes(st, i);

	if ((*out = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return -1;
	memcpy(*out, sqlite3_column_blob(st, i), (size_t)n);
	*len = (size_t)n;
	return 0;
}

const char *
storedb_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* A core statement without result rows (storedb_step_done). */
static int
step_done(struct store *s, enum stmt i, char *err, size_t errlen)
{
	return storedb_step_done(s, CORE(s, i), err, errlen);
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
	st = CORE(s, S_AUDIT_HEAD);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == AUDIT_HASH_LEN) {
		s->audit_seq = sqlite3_column_int64(st, 0);
		memcpy(s->audit_head, sqlite3_column_blob(st, 1),
		    AUDIT_HASH_LEN);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		storedb_fail(s, "audit head", err, errlen);
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
	if (storedb_exec(s, "PRAGMA synchronous = FULL", e, sizeof(e)) == -1)
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
	if (storedb_exec(s, "PRAGMA synchronous = NORMAL", err, errlen) == -1)
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
	sqlite3_stmt *st = CORE(s, S_LAST_SEQ);
	int64_t seq = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return seq;
}

/* SQLite's WAL hook, after each commit: the frames the WAL now holds. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *s = arg;

	(void)db;
	(void)name;
	s->wal_frames = frames;
	return SQLITE_OK;
}

int
store_checkpoint_elsewhere(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (storedb_exec(s, "PRAGMA wal_autocheckpoint = 0", err, errlen) ==
	    -1)
		return -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &st, NULL) !=
	    SQLITE_OK)
		return storedb_fail(s, "page_size", err, errlen);
	if (sqlite3_step(st) == SQLITE_ROW)
		s->page_size = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	/* the hook SQLite's autocheckpoint used: ours only counts */
	sqlite3_wal_hook(s->db, wal_hook, s);
	return 0;
}

/*
 * Writes zeros from the end of the WAL file at walpath up to bytes, under
 * SQLite's write lock (so that no other writer, the `operator` command,
 * appends meanwhile), and syncs them. A commit that extends the file makes
 * its fdatasync commit the file system's journal too (twice the time of
 * one that overwrites, measured here); SQLite writes the WAL from its start
 * again after each checkpoint and never shrinks the file, so a relay that
 * has run for a while has this size anyway. Zeros past the last frame are
 * what SQLite ignores (a frame is valid only with the WAL's salts and
 * checksum). 0, or -1 with err (then nothing is lost: only speed).
 */
int
store_wal_presize(struct store *s, const char *walpath, off_t bytes,
    char *err, size_t errlen)
{
	static const uint8_t zeros[65536];
	struct stat sb;
	off_t at;
	ssize_t n;
	int fd = -1, rc = -1;

	if (storedb_exec(s, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if ((fd = open(walpath, O_WRONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", walpath, strerror(errno));
		goto done;
	}
	for (at = sb.st_size; at < bytes; at += n) {
		size_t len = bytes - at < (off_t)sizeof(zeros) ?
		    (size_t)(bytes - at) : sizeof(zeros);

		if ((n = pwrite(fd, zeros, len, at)) <= 0) {
			snprintf(err, errlen, "%s: %s", walpath,
			    n == 0 ? "short write" : strerror(errno));
			goto done;
		}
	}
	if (sb.st_size < bytes && fdatasync(fd) == -1) {
		snprintf(err, errlen, "fdatasync %s: %s", walpath,
		    strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	{
		char e[256];

		(void)storedb_exec(s, "ROLLBACK", e, sizeof(e));
	}
	return rc;
}

size_t
store_wal_bytes(const struct store *s)
{
	return (size_t)s->wal_frames * (size_t)(s->page_size + 24);
}

struct store *
store_open_checkpointer(const char *path, char *err, size_t errlen)
{
	struct store *s;

	if ((s = storedb_connect(path, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, err, errlen)) == NULL)
		return NULL;
	/* a checkpoint takes no write lock: it only waits for readers */
	sqlite3_busy_timeout(s->db, 1000);
	/*
	 * A read, so that the connection knows the database is in WAL mode:
	 * before that, a checkpoint is a no-op that reports success.
	 */
	if (storedb_exec(s, "SELECT 1 FROM sqlite_master LIMIT 1", err,
	    errlen) == -1) {
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
		return storedb_fail(s, "wal checkpoint", err, errlen);
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

int
storedb_audit_load(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	memset(s->audit_head, 0, sizeof(s->audit_head));
	s->audit_seq = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT seq, hash FROM audit ORDER BY "
	    "seq DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return storedb_fail(s, "audit head", err, errlen);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == AUDIT_HASH_LEN) {
		s->audit_seq = sqlite3_column_int64(st, 0);
		memcpy(s->audit_head, sqlite3_column_blob(st, 1),
		    AUDIT_HASH_LEN);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    storedb_fail(s, "audit head", err, errlen);
}

int
storedb_audit_add(struct store *s, const char *event, const uint8_t *id,
    const char *entity, const uint8_t *digest, const char *detail,
    int64_t now_ms, char *err, size_t errlen)
{
	struct audit_row r;
	uint8_t h[AUDIT_HASH_LEN];
	sqlite3_stmt *st = CORE(s, S_AUDIT_ADD);

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
	sqlite3_stmt *st = CORE(s, S_AUDIT_ROW);
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
		return storedb_fail(s, "audit row", err, errlen);
	return found;
}

int
store_audit_verify(struct store *s, int64_t *bad, long long *rows, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = CORE(s, S_AUDIT_ALL);
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
		r.event = storedb_col_text(st, 2);
		r.message_id = sqlite3_column_blob(st, 3);
		r.entity = storedb_col_text(st, 4);
		r.digest = sqlite3_column_blob(st, 5);
		r.detail = storedb_col_text(st, 6);
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
		return storedb_fail(s, "audit", err, errlen);
	return broken;
}
