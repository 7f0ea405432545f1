/*
 * Unit tests of the relay's store and audit chain: idempotent by id,
 * deliveries in order and ended once, the audit chain detects an altered
 * row, and a rolled back batch leaves nothing behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "kairan/message.h"

#include "audit.h"
#include "store.h"

struct fx {
	char		 dir[64];
	char		 path[128];
	struct store	*s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/kairan-relay-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/relay.db", f->dir);
	f->s = store_open(f->path, err, sizeof(err));
	assert_non_null(f->s);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A minimal report message with recipients (not signed: the store does not care). */
static void
mk(Message *m, IncidentReport *r, uint8_t id[16], char **rcpt, size_t n)
{
	static char sender[] = "452017";

	kairan__v1__message__init(m);
	kairan__v1__incident_report__init(r);
	assert_int_equal(message_id_new(id), 0);
	m->id.data = id;
	m->id.len = 16;
	m->sender = sender;
	m->recipients = rcpt;
	m->n_recipients = n;
	m->created_at_ms = 1;
	m->body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m->report = r;
}

static int64_t
add(struct store *s, Message *m, int *dup)
{
	static const uint8_t env[4] = { 1, 2, 3, 4 }, digest[32];
	char err[256];
	int64_t seq = 0;
	size_t i;

	assert_int_equal(store_begin(s, err, sizeof(err)), 0);
	assert_int_equal(store_message_add(s, m, env, sizeof(env), digest,
	    "452017", 1000, dup, &seq, err, sizeof(err)), 0);
	if (!*dup)
		for (i = 0; i < m->n_recipients; i++)
			assert_int_equal(store_delivery_add(s, seq,
			    m->recipients[i], NULL, err, sizeof(err)), 0);
	assert_int_equal(store_commit(s, err, sizeof(err)), 0);
	return seq;
}

static void
test_idempotent_by_id(void **state)
{
	struct fx *f = *state;
	Message m;
	IncidentReport r;
	uint8_t id[16];
	char *rc[] = { "450006", "mic" };
	int dup;
	int64_t a, b;

	mk(&m, &r, id, rc, 2);
	a = add(f->s, &m, &dup);
	assert_int_equal(dup, 0);
	b = add(f->s, &m, &dup);
	assert_int_equal(dup, 1);
	assert_true(a == b);
	assert_int_equal(store_pending_count(f->s), 2);
}

static void
test_deliveries_in_order_and_ended_once(void **state)
{
	struct fx *f = *state;
	Message m1, m2;
	IncidentReport r1, r2;
	uint8_t id1[16], id2[16], got[16], *env;
	char *rc[] = { "450006" }, err[256];
	size_t envlen;
	int64_t seq;
	int dup;

	mk(&m1, &r1, id1, rc, 1);
	mk(&m2, &r2, id2, rc, 1);
	add(f->s, &m1, &dup);
	add(f->s, &m2, &dup);
	assert_int_equal(store_next_delivery(f->s, "450006", 0, &seq, got,
	    err, sizeof(err)), 1);
	assert_memory_equal(got, id1, 16);
	assert_int_equal(store_message_envelope(f->s, seq, &env, &envlen, err,
	    sizeof(err)), 1);
	assert_int_equal(envlen, 4);
	free(env);
	assert_int_equal(store_message_envelope(f->s, seq + 100, &env,
	    &envlen, err, sizeof(err)), 0);
	assert_null(env);
	/* after the cursor: the second one */
	assert_int_equal(store_next_delivery(f->s, "450006", seq, &seq, got,
	    err, sizeof(err)), 1);
	assert_memory_equal(got, id2, 16);
	assert_int_equal(store_next_delivery(f->s, "450006", seq, &seq, got,
	    err, sizeof(err)), 0);
	/* nothing for someone else */
	assert_int_equal(store_next_delivery(f->s, "mic", 0, &seq, got,
	    err, sizeof(err)), 0);
	/* ended once: a second Accepted changes nothing */
	assert_int_equal(store_delivery_end(f->s, id1, "450006", DELIVERY_DONE,
	    NULL, 2000, err, sizeof(err)), 1);
	assert_int_equal(store_delivery_end(f->s, id1, "450006", DELIVERY_DONE,
	    NULL, 2000, err, sizeof(err)), 0);
	/* a recipient cannot end someone else's delivery */
	assert_int_equal(store_delivery_end(f->s, id2, "mic", DELIVERY_DONE,
	    NULL, 2000, err, sizeof(err)), 0);
	assert_int_equal(store_next_delivery(f->s, "450006", 0, &seq, got,
	    err, sizeof(err)), 1);
	assert_memory_equal(got, id2, 16);
	assert_int_equal(store_pending_count(f->s), 1);
}

static void
test_rollback_leaves_nothing(void **state)
{
	struct fx *f = *state;
	Message m;
	IncidentReport r;
	uint8_t id[16], got[16];
	static const uint8_t env[1], digest[32];
	char *rc[] = { "450006" }, err[256];
	int64_t seq, bad, cur;
	long long rows;
	int dup;

	mk(&m, &r, id, rc, 1);
	assert_int_equal(store_begin(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_message_add(f->s, &m, env, 1, digest, "452017",
	    1, &dup, &seq, err, sizeof(err)), 0);
	assert_int_equal(store_delivery_add(f->s, seq, "450006", NULL, err,
	    sizeof(err)), 0);
	/* inside the transaction the batch is there (so the checks below
	 * can fail) ... */
	assert_int_equal(store_pending_count(f->s), 1);
	store_rollback(f->s);
	/* ... and after the rollback none of it: no delivery, no message,
	 * no audit row */
	assert_int_equal(store_pending_count(f->s), 0);
	assert_int_equal(store_next_delivery(f->s, "450006", 0, &cur, got,
	    err, sizeof(err)), 0);
	assert_int_equal(store_audit_verify(f->s, &bad, &rows, err,
	    sizeof(err)), 0);
	assert_int_equal(rows, 0);
	/* the id is new again, and the chain head was rolled back too: the
	 * next row still links */
	add(f->s, &m, &dup);
	assert_int_equal(dup, 0);
	assert_int_equal(store_pending_count(f->s), 1);
	assert_int_equal(store_audit_verify(f->s, &bad, &rows, err,
	    sizeof(err)), 0);
	assert_int_equal(rows, 1);
}

static void
test_audit_chain_detects_alteration(void **state)
{
	struct fx *f = *state;
	Message m;
	IncidentReport r;
	uint8_t id[16];
	char *rc[] = { "450006" }, err[256];
	int64_t bad;
	long long rows;
	int dup, i;
	sqlite3 *db;

	for (i = 0; i < 5; i++) {
		mk(&m, &r, id, rc, 1);
		add(f->s, &m, &dup);
	}
	assert_int_equal(store_audit_verify(f->s, &bad, &rows, err,
	    sizeof(err)), 0);
	assert_int_equal(rows, 5);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE audit SET detail = 'x' "
	    "WHERE seq = 4", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_audit_verify(f->s, &bad, &rows, err,
	    sizeof(err)), 1);
	assert_int_equal(bad, 4);
}

/* Each of the hash's eight inputs, changed alone, changes the hash. */
static void
test_audit_hash_covers_every_field(void **state)
{
	uint8_t prev[32] = { 0 }, prev2[32] = { 0 }, id[16] = { 1 },
	    id2[16] = { 1 }, dg[32] = { 2 }, dg2[32] = { 2 }, a[32], b[32];
	struct audit_row r = { 1, 2, "accepted", id, "452017", dg, "d" };
	struct audit_row r2;
	int field;

	(void)state;
	assert_int_equal(audit_hash(prev, &r, a), 0);
	/* the same inputs, the same hash (so a difference below is the
	 * field's) */
	r2 = r;
	assert_int_equal(audit_hash(prev, &r2, b), 0);
	assert_memory_equal(a, b, 32);
	/* the last byte of each fixed-length field: all of it is hashed */
	id2[15] = 9;
	dg2[31] = 9;
	prev2[31] = 9;
	for (field = 0; field < 8; field++) {
		const uint8_t *p = prev;

		r2 = r;
		switch (field) {
		case 0: p = prev2; break;
		case 1: r2.seq = 3; break;
		case 2: r2.at = 3; break;
		case 3: r2.event = "receipt"; break;
		case 4: r2.message_id = id2; break;
		case 5: r2.entity = "452018"; break;
		case 6: r2.digest = dg2; break;
		case 7: r2.detail = "e"; break;
		}
		assert_int_equal(audit_hash(p, &r2, b), 0);
		if (memcmp(a, b, 32) == 0)
			fail_msg("audit_hash ignores field %d", field);
	}
	/* fields cannot run together: "ab"+"c" differs from "a"+"bc" */
	r2 = r;
	r2.event = "accepte";
	r2.entity = "d452017";
	assert_int_equal(audit_hash(prev, &r2, b), 0);
	assert_memory_not_equal(a, b, 32);
	r2 = r;
	r2.entity = "452017d";
	r2.detail = "";
	assert_int_equal(audit_hash(prev, &r2, b), 0);
	assert_memory_not_equal(a, b, 32);
}

static void
test_schema_version(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), STORE_SCHEMA_VERSION);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/*
 * Direct deliveries (to a node this relay does not serve) end when the
 * node leaves, when its home relay has the message, or at a restart; the
 * others are untouched. A link's forward is a delivery like any other.
 */
static void
test_direct_deliveries_dropped(void **state)
{
	struct fx *f = *state;
	Message m1, m2;
	IncidentReport r1, r2;
	uint8_t id1[16], id2[16], got[16];
	static const uint8_t env[1], digest[32];
	char *rc[] = { "462179", "450006" }, err[256];
	int64_t s1, s2, cur;
	int dup;

	mk(&m1, &r1, id1, rc, 2);
	mk(&m2, &r2, id2, rc, 2);
	assert_int_equal(store_begin(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_message_add(f->s, &m1, env, 1, digest, "452017",
	    1, &dup, &s1, err, sizeof(err)), 0);
	assert_int_equal(store_message_add(f->s, &m2, env, 1, digest, "452017",
	    1, &dup, &s2, err, sizeof(err)), 0);
	assert_int_equal(store_delivery_add(f->s, s1, "450006", NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(store_delivery_add(f->s, s1, "peer:relay-46", NULL,
	    err, sizeof(err)), 0);
	assert_int_equal(store_delivery_add(f->s, s1, "462179", "relay-46",
	    err, sizeof(err)), 0);
	assert_int_equal(store_delivery_add(f->s, s2, "462179", "relay-46",
	    err, sizeof(err)), 0);
	/* added twice: one delivery */
	assert_int_equal(store_delivery_add(f->s, s2, "462179", "relay-46",
	    err, sizeof(err)), 0);
	assert_int_equal(store_commit(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_pending_count(f->s), 4);
	/* relay-46 accepted message 1: its direct copy goes, not message 2's */
	assert_int_equal(store_direct_home(f->s, id1, "relay-46", 2, err,
	    sizeof(err)), 1);
	assert_int_equal(store_direct_home(f->s, id1, "relay-13", 2, err,
	    sizeof(err)), 0);
	assert_int_equal(store_next_delivery(f->s, "462179", 0, &cur, got,
	    err, sizeof(err)), 1);
	assert_int_equal(cur, s2);
	/* the node left: its other direct copy goes too */
	assert_int_equal(store_direct_gone(f->s, "462179", 3, err,
	    sizeof(err)), 1);
	assert_int_equal(store_next_delivery(f->s, "462179", 0, &cur, got,
	    err, sizeof(err)), 0);
	/* the served recipient and the link's forward stay */
	assert_int_equal(store_pending_count(f->s), 2);
	assert_int_equal(store_direct_all(f->s, 4, err, sizeof(err)), 0);
	assert_int_equal(store_next_delivery(f->s, "peer:relay-46", 0, &cur,
	    got, err, sizeof(err)), 1);
	assert_int_equal(cur, s1);
}

/*
 * Escalation rows: one per (report, recipient, step), due in order, ended
 * once and only forward; an ACKNOWLEDGED cancels the pending steps of its
 * recipient only; a withdrawn incident those of all its reports.
 */
static void
test_escalation_rows(void **state)
{
	struct fx *f = *state;
	Message m;
	IncidentReport r;
	uint8_t id[16], inc[16] = { 7 };
	char *rc[] = { "450006", "452025" }, err[256];
	struct store_esc_step st;
	int64_t seq, due;
	int dup;
	sqlite3 *db;
	char *msg = NULL;

	mk(&m, &r, id, rc, 2);
	seq = add(f->s, &m, &dup);
	assert_int_equal(store_escalation_next(f->s, &due, err, sizeof(err)),
	    0);
	assert_int_equal(store_begin(f->s, err, sizeof(err)), 0);
	/* 450006: overdue at 5000, mails at 5000 and 6000; 452025 at 5000 */
	assert_int_equal(store_escalation_add(f->s, seq, "450006", 0, "452017",
	    inc, 16, 3, 5000, 5000, err, sizeof(err)), 1);
	assert_int_equal(store_escalation_add(f->s, seq, "450006", 1, "452017",
	    inc, 16, 3, 5000, 5000, err, sizeof(err)), 1);
	assert_int_equal(store_escalation_add(f->s, seq, "450006", 2, "452017",
	    inc, 16, 3, 5000, 6000, err, sizeof(err)), 1);
	assert_int_equal(store_escalation_add(f->s, seq, "452025", 1, "452017",
	    inc, 16, 3, 5000, 5500, err, sizeof(err)), 1);
	/* unique: the same (report, recipient, step) again changes nothing */
	assert_int_equal(store_escalation_add(f->s, seq, "450006", 1, "452017",
	    inc, 16, 3, 1, 1, err, sizeof(err)), 0);
	assert_int_equal(store_commit(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_escalation_next(f->s, &due, err, sizeof(err)),
	    1);
	assert_int_equal(due, 5000);

	/*
	 * The walk past rows in flight (escalate.c): in the order (due,
	 * step, row), each after the one before, due or not (INT64_MAX), or
	 * only what is due at now.
	 */
	{
		struct store_esc_step a, b;
		static const int64_t want_due[] = { 5000, 5000, 5500, 6000 };
		static const int want_step[] = { 0, 1, 1, 2 };
		int i;

		assert_int_equal(store_escalation_due_after(f->s, INT64_MAX,
		    NULL, &a, err, sizeof(err)), 1);
		for (i = 0; i < 4; i++) {
			assert_int_equal(a.due_ms, want_due[i]);
			assert_int_equal(a.step, want_step[i]);
			assert_string_equal(a.recipient, i == 2 ? "452025" :
			    "450006");
			b = a;
			assert_int_equal(store_escalation_due_after(f->s,
			    INT64_MAX, &b, &a, err, sizeof(err)), i < 3 ? 1 : 0);
			free(b.env);
		}
		assert_int_equal(store_escalation_due_after(f->s, 5000, NULL,
		    &a, err, sizeof(err)), 1);
		b = a;
		assert_int_equal(store_escalation_due_after(f->s, 5000, &b, &a,
		    err, sizeof(err)), 1);
		free(b.env);
		assert_int_equal(a.step, 1);
		b = a;
		assert_int_equal(store_escalation_due_after(f->s, 5000, &b, &a,
		    err, sizeof(err)), 0);	/* 452025's is at 5500 */
		free(b.env);
	}

	/* nothing is due before its time; then step 0 first */
	assert_int_equal(store_escalation_due(f->s, 4999, &st, err,
	    sizeof(err)), 0);
	assert_int_equal(store_escalation_due(f->s, 5000, &st, err,
	    sizeof(err)), 1);
	assert_string_equal(st.recipient, "450006");
	assert_int_equal(st.step, 0);
	assert_int_equal(st.level, 3);
	assert_int_equal(st.deadline_ms, 5000);
	assert_memory_equal(st.id, id, 16);
	assert_int_equal(st.envlen, 4);
	free(st.env);
	assert_int_equal(store_escalation_end(f->s, st.row, ESC_DONE, 0, 0,
	    "overdue", 5001, err, sizeof(err)), 1);
	/* ended once: a second end, or a cancel, changes nothing */
	assert_int_equal(store_escalation_end(f->s, st.row, ESC_FAILED, 1, 550,
	    "x", 5002, err, sizeof(err)), 0);

	/* a 4xx: the mail is tried again later, an attempt counted */
	assert_int_equal(store_escalation_due(f->s, 5000, &st, err,
	    sizeof(err)), 1);
	assert_int_equal(st.step, 1);
	free(st.env);
	assert_int_equal(store_escalation_retry(f->s, st.row, 451, "451 later",
	    7000, err, sizeof(err)), 1);
	assert_int_equal(store_escalation_due(f->s, 5600, &st, err,
	    sizeof(err)), 1);
	assert_string_equal(st.recipient, "452025");
	free(st.env);

	/* 450006 acknowledges: its two pending mails end, 452025's not */
	assert_int_equal(store_begin(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_escalation_ack(f->s, id, "450006", 5700, err,
	    sizeof(err)), 2);
	assert_int_equal(store_escalation_ack(f->s, id, "450006", 5700, err,
	    sizeof(err)), 0);
	assert_int_equal(store_commit(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_escalation_due(f->s, 9999, &st, err,
	    sizeof(err)), 1);
	assert_string_equal(st.recipient, "452025");
	free(st.env);

	/* the trigger: an ended step never changes state, whoever writes */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE escalation SET state = 0 "
	    "WHERE state != 0", NULL, NULL, &msg), SQLITE_OK);
	assert_non_null(strstr(msg, "stays ended"));
	sqlite3_free(msg);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE escalation SET state = 1 "
	    "WHERE state = 3", NULL, NULL, &msg), SQLITE_OK);
	sqlite3_free(msg);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE escalation SET state = 4 "
	    "WHERE state = 0", NULL, NULL, &msg), SQLITE_OK);	/* CHECK */
	sqlite3_free(msg);
	sqlite3_close(db);

	/* the sender withdraws the incident: what is left is cancelled */
	assert_int_equal(store_escalation_withdraw(f->s, "452017", inc, 16, 8000,
	    err, sizeof(err)), 1);
	assert_int_equal(store_escalation_due(f->s, 99999, &st, err,
	    sizeof(err)), 0);
	assert_int_equal(store_escalation_next(f->s, &due, err, sizeof(err)),
	    0);
}


static void
exec_ok(sqlite3 *db, const char *q)
{
	char *msg = NULL;

	if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg);
}

static long long
one_int(sqlite3 *db, const char *q)
{
	sqlite3_stmt *st;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Schema 7: a database of version 6 (message.body only 'report' or
 * 'receipt') is rebuilt in place: its rows, their seq, the AUTOINCREMENT
 * counter and the deliveries that refer to them stay; an advisory is
 * stored afterwards with body 'advisory'.
 */
static void
test_migration_advisory_body(void **state)
{
	struct fx *f = *state;
	Message m, a;
	IncidentReport r;
	Advisory adv;
	uint8_t id[16], aid[16];
	char *rc[] = { "450006", "mic" }, err[256];
	sqlite3 *db;
	int dup;
	int64_t s1, s2;

	mk(&m, &r, id, rc, 2);
	s1 = add(f->s, &m, &dup);
	store_close(f->s);
	f->s = NULL;
	/* back to the version 6 table, as an older relay left it */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	exec_ok(db, "BEGIN;"
	    "CREATE TABLE m5 (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),"
	    " sender TEXT NOT NULL,"
	    " body TEXT NOT NULL CHECK (body IN ('report', 'receipt')),"
	    " status INTEGER NOT NULL, digest BLOB NOT NULL,"
	    " envelope BLOB NOT NULL, origin TEXT NOT NULL,"
	    " accepted_at INTEGER NOT NULL);"
	    "INSERT INTO m5 SELECT * FROM message;"
	    "DROP TABLE message;"
	    "ALTER TABLE m5 RENAME TO message;"
	    "UPDATE sqlite_sequence SET seq = 41 WHERE name = 'message';"
	    "DROP TABLE mailroute;"
	    "PRAGMA user_version = 6;"
	    "COMMIT;");
	assert_int_not_equal(sqlite3_exec(db, "INSERT INTO message (id, "
	    "sender, body, status, digest, envelope, origin, accepted_at) "
	    "VALUES (randomblob(16), 'x', 'advisory', 0, x'', x'', 'x', 0)",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	f->s = store_open(f->path, err, sizeof(err));
	if (f->s == NULL)
		fail_msg("reopen: %s", err);
	kairan__v1__message__init(&a);
	kairan__v1__advisory__init(&adv);
	a = m;
	assert_int_equal(message_id_new(aid), 0);
	a.id.data = aid;
	a.body_case = KAIRAN__V1__MESSAGE__BODY_ADVISORY;
	a.advisory = &adv;
	assert_string_equal(store_body_name(&a), "advisory");
	s2 = add(f->s, &a, &dup);
	assert_int_equal(dup, 0);
	/* the counter carried over: no seq is ever reused */
	assert_true(s2 == 42);
	assert_int_equal(store_pending_count(f->s), 4);

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(one_int(db, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(one_int(db, "SELECT count(*) FROM message WHERE "
	    "body = 'advisory'"), 1);
	assert_int_equal(one_int(db, "SELECT seq FROM message WHERE body = "
	    "'report'"), s1);
	assert_int_equal(one_int(db, "SELECT count(*) FROM delivery d JOIN "
	    "message m ON m.seq = d.message_seq"), 4);
	assert_int_equal(one_int(db, "SELECT count(*) FROM "
	    "pragma_foreign_key_check"), 0);
	sqlite3_close(db);
}

/*
 * The mail route's rows (mailroute.h): one per (report, recipient), due
 * in row order, walked past those in flight, retried (an attempt counted),
 * ended once and only forward (the trigger, whoever writes).
 */
static void
test_mailroute_rows(void **state)
{
	struct fx *f = *state;
	Message m;
	IncidentReport r;
	uint8_t id[16];
	char *rc[] = { "police-45", "npa" }, err[256], addr[320];
	struct store_mail_row row;
	int64_t seq, due;
	int dup, st, att, code;
	sqlite3 *db;
	char *msg = NULL;

	mk(&m, &r, id, rc, 2);
	seq = add(f->s, &m, &dup);
	assert_int_equal(store_mailroute_next(f->s, INT64_MIN, &due, err,
	    sizeof(err)), 0);
	assert_int_equal(store_begin(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_mailroute_add(f->s, seq, "police-45",
	    "cyber@police.example.jp", 5000, err, sizeof(err)), 1);
	assert_int_equal(store_mailroute_add(f->s, seq, "npa",
	    "cyber@npa.example.jp", 5000, err, sizeof(err)), 1);
	/* one row per (report, recipient): again, nothing changes */
	assert_int_equal(store_mailroute_add(f->s, seq, "police-45", "x@y", 1,
	    err, sizeof(err)), 0);
	assert_int_equal(store_commit(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_mailroute_next(f->s, INT64_MIN, &due, err,
	    sizeof(err)), 1);
	assert_int_equal(due, 5000);
	/* the runner's next wake-up: after now, nothing */
	assert_int_equal(store_mailroute_next(f->s, 5000, &due, err,
	    sizeof(err)), 0);
	assert_int_equal(store_mailroute_due(f->s, 4999, 0, 0, 0, &row, err,
	    sizeof(err)), 0);
	/* its message's batch not synced yet (seq in the held range): not due */
	assert_int_equal(store_mailroute_due(f->s, 5000, 0, seq - 1, seq,
	    &row, err, sizeof(err)), 0);
	assert_int_equal(store_mailroute_due(f->s, 5000, 0, 0, 0, &row, err,
	    sizeof(err)), 1);
	assert_string_equal(row.recipient, "police-45");
	assert_string_equal(row.address, "cyber@police.example.jp");
	assert_memory_equal(row.id, id, 16);
	assert_int_equal(row.envlen, 4);
	assert_int_equal(row.attempts, 0);
	free(row.env);
	/* past the one in flight: the next */
	assert_int_equal(store_mailroute_due(f->s, 5000, row.row, 0, 0, &row, err,
	    sizeof(err)), 1);
	assert_string_equal(row.recipient, "npa");
	free(row.env);
	assert_int_equal(store_mailroute_due(f->s, 5000, row.row, 0, 0, &row, err,
	    sizeof(err)), 0);
	/* a 451: later, an attempt counted */
	assert_int_equal(store_mailroute_due(f->s, 5000, 0, 0, 0, &row, err,
	    sizeof(err)), 1);
	free(row.env);
	assert_int_equal(store_mailroute_retry(f->s, row.row, 451, "later",
	    7000, err, sizeof(err)), 1);
	assert_int_equal(store_mailroute_next(f->s, 5000, &due, err,
	    sizeof(err)), 1);
	assert_int_equal(due, 7000);
	assert_int_equal(store_mailroute_due(f->s, 6000, 0, 0, 0, &row, err,
	    sizeof(err)), 1);
	assert_string_equal(row.recipient, "npa");
	free(row.env);
	assert_int_equal(store_mailroute_end(f->s, row.row, MAILROUTE_FAILED,
	    1, 550, "550 no such user", 6001, err, sizeof(err)), 1);
	assert_int_equal(store_mailroute_end(f->s, row.row, MAILROUTE_SENT, 1,
	    250, "ok", 6002, err, sizeof(err)), 0);	/* ended once */
	assert_int_equal(store_mailroute_due(f->s, 7000, 0, 0, 0, &row, err,
	    sizeof(err)), 1);
	assert_string_equal(row.recipient, "police-45");
	assert_int_equal(row.attempts, 1);
	free(row.env);
	assert_int_equal(store_mailroute_end(f->s, row.row, MAILROUTE_SENT, 1,
	    250, "accepted", 7001, err, sizeof(err)), 1);
	assert_int_equal(store_mailroute_next(f->s, INT64_MIN, &due, err,
	    sizeof(err)), 0);
	assert_int_equal(store_mailroute_state(f->s, id, "police-45", &st,
	    &att, &code, addr, sizeof(addr), err, sizeof(err)), 1);
	assert_int_equal(st, MAILROUTE_SENT);
	assert_int_equal(att, 2);
	assert_int_equal(code, 250);
	assert_int_equal(store_mailroute_state(f->s, id, "npa", &st, &att,
	    &code, addr, sizeof(addr), err, sizeof(err)), 1);
	assert_int_equal(st, MAILROUTE_FAILED);
	assert_int_equal(code, 550);
	assert_int_equal(store_mailroute_state(f->s, id, "mic", &st, &att,
	    &code, addr, sizeof(addr), err, sizeof(err)), 0);
	/* the trigger: an ended mail stays ended */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE mailroute SET state = 0",
	    NULL, NULL, &msg), SQLITE_OK);
	assert_non_null(strstr(msg, "stays ended"));
	sqlite3_free(msg);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idempotent_by_id, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_deliveries_in_order_and_ended_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_chain_detects_alteration, setup, teardown),
		cmocka_unit_test(test_audit_hash_covers_every_field),
		cmocka_unit_test_setup_teardown(test_schema_version, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migration_advisory_body,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_deliveries_dropped,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_mailroute_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_escalation_rows, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
