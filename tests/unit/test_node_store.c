/*
 * test_node_store: the node's store (node/store.c): report numbers taken
 * in the outbox's write transaction, UNIQUE(incident, report_no), the
 * v1 -> v2 migration of a database that already holds two reports with
 * one number, a duplicate report never getting a receipt signed, a write
 * that meets another connection's lock failing fast and marked busy
 * (the daemon's timeout), route states, id prefixes, `sent`'s counts and
 * withdrawals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "kairan/message.h"

#include "store.h"

static char dir[64], path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_node_store.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/node.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	(void)state;
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
	return 0;
}

/* A report message (not signed: the store only reads its fields). */
struct fake {
	Message		 m;
	IncidentReport	 r;
	uint8_t		 id[KAIRAN_ID_LEN];
	uint8_t		 inc[KAIRAN_ID_LEN];
	uint8_t		 digest[KAIRAN_DIGEST_LEN];
	char		*rcpt[2];
};

static void
fake_report(struct fake *f, uint8_t idbyte, const uint8_t *inc,
    uint32_t no, int phase)
{
	memset(f, 0, sizeof(*f));
	kairan__v1__message__init(&f->m);
	kairan__v1__incident_report__init(&f->r);
	memset(f->id, idbyte, sizeof(f->id));
	memcpy(f->inc, inc, KAIRAN_ID_LEN);
	f->m.id.data = f->id;
	f->m.id.len = KAIRAN_ID_LEN;
	f->m.sender = "452017";
	f->rcpt[0] = "450006";
	f->rcpt[1] = "mic";
	f->m.recipients = f->rcpt;
	f->m.n_recipients = 2;
	f->m.status = KAIRAN__V1__STATUS__ACTUAL;
	f->m.created_at_ms = 1000 + idbyte;
	f->m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	f->m.report = &f->r;
	f->r.incident_id.data = f->inc;
	f->r.incident_id.len = KAIRAN_ID_LEN;
	f->r.report_no = no;
	f->r.phase = phase;
}

struct seal_arg {
	struct fake	 f;
	uint8_t		 idbyte;
	int		 calls;
	int		 fail;
	int		 same_no;	/* reuse the last number: must fail */
	uint32_t	 seen_no;
	int		 seen_found;
};

static int
seal(void *arg, const struct store_last *last, struct store_sealed *out,
    char *err, size_t errlen)
{
	static const uint8_t env[] = { 1, 2, 3 };
	struct seal_arg *a = arg;
	static const uint8_t inc[KAIRAN_ID_LEN] = { 7 };

	a->calls++;
	if (a->fail) {
		snprintf(err, errlen, "refused by the callback");
		return -1;
	}
	a->seen_found = last != NULL && last->found;
	a->seen_no = last != NULL ? last->report_no : 0;
	fake_report(&a->f, a->idbyte, inc, a->same_no ? a->seen_no :
	    a->seen_no + 1, KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE);
	out->m = &a->f.m;
	out->env = env;
	out->envlen = sizeof(env);
	out->digest = a->f.digest;
	return 0;
}

static long long
count(struct store *st, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long n = -1;

	(void)st;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void
test_report_numbers(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 7 };
	struct store *st;
	struct seal_arg a;
	char err[512];
	int i;

	(void)state;
	assert_non_null(st = store_open(path, err, sizeof(err)));
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	for (i = 1; i <= 3; i++) {
		memset(&a, 0, sizeof(a));
		a.idbyte = (uint8_t)i;
		if (store_report_add(st, inc, seal, &a, err, sizeof(err)) ==
		    -1)
			fail_msg("%s", err);
		assert_int_equal(a.seen_found, i > 1);
		assert_int_equal(a.seen_no, (uint32_t)(i - 1));
	}
	/* the callback refuses: nothing written */
	memset(&a, 0, sizeof(a));
	a.idbyte = 10;
	a.fail = 1;
	assert_int_equal(store_report_add(st, inc, seal, &a, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "refused by the callback"));
	/* a second report with number 3: the UNIQUE index refuses it */
	memset(&a, 0, sizeof(a));
	a.idbyte = 11;
	a.same_no = 1;
	assert_int_equal(store_report_add(st, inc, seal, &a, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "UNIQUE"));
	assert_int_equal(count(st, "SELECT count(*) FROM outbox"), 3);
	assert_int_equal(count(st, "SELECT count(*) FROM recipient"), 6);
	assert_int_equal(count(st, "SELECT max(report_no) FROM outbox"), 3);
	store_close(st);
}

/* The version 1 schema, as a database written before version 2 has it. */
static const char v1[] =
	"CREATE TABLE outbox(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL UNIQUE, kind INTEGER NOT NULL, incident BLOB,"
	" report_no INTEGER, ref_id BLOB, status INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL, envelope BLOB NOT NULL,"
	" digest BLOB NOT NULL);"
	"CREATE INDEX outbox_incident ON outbox(incident, report_no);"
	"CREATE TABLE outbox_route(id BLOB NOT NULL, route TEXT NOT NULL,"
	" accepted_ms INTEGER, refused_reason INTEGER, refused_detail TEXT,"
	" refused_ms INTEGER, PRIMARY KEY(id, route)) WITHOUT ROWID;"
	"CREATE TABLE recipient(id BLOB NOT NULL, entity TEXT NOT NULL,"
	" pos INTEGER NOT NULL, delivered_ms INTEGER, acknowledged_ms INTEGER,"
	" acknowledged_by TEXT, ack_note TEXT, rejected_ms INTEGER,"
	" rejected_reason TEXT, rejected_by TEXT,"
	" PRIMARY KEY(id, entity)) WITHOUT ROWID;"
	"CREATE TABLE inbox(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL UNIQUE, sender TEXT NOT NULL, incident BLOB,"
	" report_no INTEGER, status INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
	" route TEXT, envelope BLOB NOT NULL, digest BLOB NOT NULL,"
	" acknowledged_ms INTEGER, acknowledged_by TEXT, ack_note TEXT);"
	"CREATE INDEX inbox_incident ON inbox(incident, report_no);"
	"CREATE TABLE receipt_in(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL UNIQUE, ref_id BLOB NOT NULL, signer TEXT NOT NULL,"
	" state INTEGER NOT NULL, by TEXT, note TEXT, subject TEXT,"
	" created_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
	" route TEXT, matched INTEGER NOT NULL, envelope BLOB NOT NULL);"
	"CREATE INDEX receipt_in_ref ON receipt_in(ref_id);"
	/* the bug of version 1: two concurrent updates, one number */
	"INSERT INTO outbox(id, kind, incident, report_no, status, created_ms,"
	" envelope, digest) VALUES"
	" (x'01', 1, x'07000000000000000000000000000000', 1, 1, 1, x'00', x'00'),"
	" (x'02', 1, x'07000000000000000000000000000000', 2, 1, 2, x'00', x'00'),"
	" (x'03', 1, x'07000000000000000000000000000000', 2, 1, 3, x'00', x'00');"
	"PRAGMA user_version = 1;";

static void
test_migrate_v1_with_duplicates(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 7 };
	struct store *st;
	struct seal_arg a;
	sqlite3 *db;
	char err[512];

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	if ((st = store_open(path, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	assert_int_equal(store_schema_version(st), 2);
	/* the old rows stay; the later duplicate is marked */
	assert_int_equal(count(st, "SELECT count(*) FROM outbox"), 3);
	assert_int_equal(count(st, "SELECT count(*) FROM outbox WHERE "
	    "report_dup != 0"), 1);
	memset(&a, 0, sizeof(a));
	a.idbyte = 4;
	if (store_report_add(st, inc, seal, &a, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(a.seen_no, 2);
	assert_int_equal(count(st, "SELECT max(report_no) FROM outbox"), 3);
	store_close(st);
	/* opening again: nothing to migrate */
	assert_non_null(st = store_open(path, err, sizeof(err)));
	store_close(st);
}

static void
test_inbox_duplicate_not_sealed(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 9 };
	static const uint8_t env[] = { 9 };
	struct store *st;
	struct seal_arg a;
	struct fake f;
	char err[512];
	int dup;

	(void)state;
	assert_non_null(st = store_open(path, err, sizeof(err)));
	fake_report(&f, 0x55, inc, 1,
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL);
	memset(&a, 0, sizeof(a));
	a.idbyte = 0x66;	/* the "receipt" the callback signs */
	assert_int_equal(store_inbox_add(st, &f.m, env, sizeof(env),
	    f.digest, "pref", 5, seal, &a, &dup, err, sizeof(err)), 0);
	assert_int_equal(dup, 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(store_inbox_add(st, &f.m, env, sizeof(env),
	    f.digest, "pref", 6, seal, &a, &dup, err, sizeof(err)), 0);
	assert_int_equal(dup, 1);
	assert_int_equal(a.calls, 1);	/* nothing signed for a duplicate */
	assert_int_equal(count(st, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(count(st, "SELECT phase FROM inbox"),
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL);
	store_close(st);
}

static void
test_busy_fails_fast(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 9 };
	static const uint8_t env[] = { 9 };
	struct store *st;
	struct fake f;
	struct timespec t0, t1;
	sqlite3 *db;
	char err[512];
	int dup;
	double ms;

	(void)state;
	assert_non_null(st = store_open(path, err, sizeof(err)));
	store_set_busy_timeout(st, STORE_DAEMON_BUSY_MS);
	/* another connection (a command line) holds the write lock */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	fake_report(&f, 0x55, inc, 1,
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_inbox_add(st, &f.m, env, sizeof(env),
	    f.digest, "pref", 5, NULL, NULL, &dup, err, sizeof(err)), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(store_busy(st));
	assert_true(ms < 2000);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	/* and once the lock is gone, the same write goes through */
	assert_int_equal(store_inbox_add(st, &f.m, env, sizeof(env),
	    f.digest, "pref", 5, NULL, NULL, &dup, err, sizeof(err)), 0);
	assert_false(store_busy(st));
	assert_int_equal(dup, 0);
	store_close(st);
}

static void
test_route_conn(void **state)
{
	struct store *st;
	struct store_route_conn c;
	char err[512];

	(void)state;
	assert_non_null(st = store_open(path, err, sizeof(err)));
	assert_int_equal(store_route_conn_get(st, "pref", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(store_route_conn_set(st, "pref", 0, 100,
	    "connect failed: refused", 42, err, sizeof(err)), 0);
	assert_int_equal(store_route_conn_get(st, "pref", &c, err,
	    sizeof(err)), 1);
	assert_int_equal(c.connected, 0);
	assert_int_equal(c.since_ms, 100);
	assert_int_equal(c.pid, 42);
	assert_string_equal(c.reason, "connect failed: refused");
	store_route_conn_clear(&c);
	assert_int_equal(store_route_conn_set(st, "pref", 1, 200, NULL, 42,
	    err, sizeof(err)), 0);
	assert_int_equal(store_route_conn_get(st, "pref", &c, err,
	    sizeof(err)), 1);
	assert_int_equal(c.connected, 1);
	assert_null(c.reason);
	store_route_conn_clear(&c);
	store_close(st);
}

static void
test_prefix_sent_withdrawal(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 7 };
	static const uint8_t env[] = { 1 };
	struct store *st;
	struct seal_arg a;
	struct store_sent *v;
	struct store_msg w;
	struct fake f;
	uint8_t (*ids)[KAIRAN_ID_LEN];
	unsigned *kinds;
	char err[512];
	long n;
	int i;

	(void)state;
	assert_non_null(st = store_open(path, err, sizeof(err)));
	for (i = 1; i <= 2; i++) {
		memset(&a, 0, sizeof(a));
		a.idbyte = (uint8_t)(0xa0 + i);
		assert_int_equal(store_report_add(st, inc, seal, &a, err,
		    sizeof(err)), 0);
	}
	/* "a1a1a1": one message of ours; "a1" * 3 in either case */
	n = store_id_prefix(st, "a1a1a1", STORE_ID_ANY, &ids, &kinds, err,
	    sizeof(err));
	assert_int_equal(n, 1);
	assert_int_equal(ids[0][0], 0xa1);
	assert_int_equal(kinds[0], STORE_ID_OUT_MSG);
	free(ids);
	free(kinds);
	n = store_id_prefix(st, "A2A2A2", STORE_ID_IN_MSG, &ids, &kinds, err,
	    sizeof(err));
	assert_int_equal(n, 0);
	free(ids);
	free(kinds);
	n = store_id_prefix(st, "070000", STORE_ID_ANY, &ids, &kinds, err,
	    sizeof(err));
	assert_int_equal(n, 1);
	assert_int_equal(kinds[0], STORE_ID_OUT_INC);
	free(ids);
	free(kinds);

	/* receipts: 450006 delivered, mic rejected */
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "UPDATE recipient SET "
		    "delivered_ms = 5 WHERE entity = '450006';"
		    "UPDATE recipient SET rejected_ms = 6 WHERE entity = "
		    "'mic' AND id = x'a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2'", NULL,
		    NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	n = store_sent_list(st, &v, err, sizeof(err));
	assert_int_equal(n, 2);
	assert_int_equal(v[0].msg.id[0], 0xa2);	/* newest first */
	assert_int_equal(v[0].total, 2);
	assert_int_equal(v[0].delivered, 1);
	assert_int_equal(v[0].rejected, 1);
	assert_int_equal(v[1].delivered, 1);
	assert_int_equal(v[1].rejected, 0);
	store_sent_free(v, (size_t)n);

	assert_int_equal(store_withdrawal(st, STORE_OUT, inc, &w, err,
	    sizeof(err)), 0);
	fake_report(&f, 0xb0, inc, 3,
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN);
	assert_int_equal(store_outbox_add(st, &f.m, env, sizeof(env),
	    f.digest, err, sizeof(err)), 0);
	assert_int_equal(store_withdrawal(st, STORE_OUT, inc, &w, err,
	    sizeof(err)), 1);
	assert_int_equal(w.id[0], 0xb0);
	assert_int_equal(w.phase, KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN);
	store_msg_clear(&w);
	assert_int_equal(store_withdrawal(st, STORE_IN, inc, &w, err,
	    sizeof(err)), 0);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_numbers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1_with_duplicates,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbox_duplicate_not_sealed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_fails_fast, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_route_conn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prefix_sent_withdrawal,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
