/*
 * test_node_route: a route's in-flight bookkeeping (conn.h's window with
 * node/route.c's route_next_envelope over the outbox, without
 * libwebsockets): the window of ROUTE_WINDOW unanswered envelopes, the
 * cursor, a rewind that goes back over the outbox without sending again
 * what is still in flight, and answers that free a slot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kairan/message.h"

#include "route.h"
#include "store.h"
#include "store_outbox.h"
#include "store_route.h"

static char dir[64], path[128];
static struct store *st;

static int
setup(void **state)
{
	char err[512];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_node_route.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/node.db", dir);
	if ((st = store_open(path, err, sizeof(err))) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	(void)state;
	store_close(st);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
	return 0;
}

static void
id_of(uint8_t id[KAIRAN_ID_LEN], unsigned i)
{
	memset(id, 0, KAIRAN_ID_LEN);
	id[0] = (uint8_t)(i >> 8);
	id[1] = (uint8_t)i;
	id[2] = 0xee;
}

/* n receipts in the outbox, ids id_of(1..n), in that order. */
static void
fill(unsigned n)
{
	static const uint8_t env[] = { 1 };
	uint8_t id[KAIRAN_ID_LEN], ref[KAIRAN_ID_LEN] = { 0 };
	uint8_t digest[KAIRAN_DIGEST_LEN] = { 0 };
	char err[512], *rcpt[] = { "450006" };
	Message m = KAIRAN__V1__MESSAGE__INIT;
	Receipt r = KAIRAN__V1__RECEIPT__INIT;
	unsigned i;

	r.ref_id.data = ref;
	r.ref_id.len = sizeof(ref);
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.status = KAIRAN__V1__STATUS__ACTUAL;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	m.receipt = &r;
	for (i = 1; i <= n; i++) {
		id_of(id, i);
		m.id.data = id;
		m.id.len = sizeof(id);
		if (store_outbox_add(st, &m, env, sizeof(env), digest, err,
		    sizeof(err)) == -1)
			fail_msg("%s", err);
	}
}

/* The next envelope to send: its index (id_of), or 0 for none. */
static unsigned
next(struct conn_flight *f)
{
	uint8_t id[KAIRAN_ID_LEN], *env;
	char err[512];
	size_t envlen;
	int64_t seq;
	int rc;

	rc = route_next_envelope(f, st, "pref", id, &seq, &env, &envlen, err,
	    sizeof(err));
	if (rc == -1)
		fail_msg("%s", err);
	if (rc == 0)
		return 0;
	assert_int_equal(envlen, 1);
	free(env);
	assert_int_equal(conn_flight_add(f, seq, id, 0), 0);	/* sent */
	return ((unsigned)id[0] << 8) | id[1];
}

static void
test_window(void **state)
{
	struct conn_flight f;
	uint8_t id[KAIRAN_ID_LEN];
	unsigned i;

	(void)state;
	fill(ROUTE_WINDOW + 5);
	conn_flight_init(&f, ROUTE_WINDOW);
	for (i = 1; i <= ROUTE_WINDOW; i++)
		assert_int_equal(next(&f), i);
	assert_true(conn_flight_full(&f));
	assert_int_equal(next(&f), 0);		/* the window is full */
	/* an answer frees one slot: the next one goes */
	id_of(id, 3);
	assert_int_equal(conn_flight_remove(&f, id, NULL), 1);
	assert_int_equal(conn_flight_remove(&f, id, NULL), 0);	/* twice: no-op */
	assert_false(conn_flight_has(&f, id));
	assert_int_equal(next(&f), ROUTE_WINDOW + 1);
	assert_int_equal(next(&f), 0);
	conn_flight_free(&f);
}

static void
test_rewind_skips_in_flight(void **state)
{
	struct conn_flight f;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512];

	(void)state;
	fill(6);
	conn_flight_init(&f, ROUTE_WINDOW);
	assert_int_equal(next(&f), 1);
	assert_int_equal(next(&f), 2);
	assert_int_equal(next(&f), 3);
	/* 2 was refused OVERLOADED: out of flight, to be sent again */
	id_of(id, 2);
	assert_int_equal(conn_flight_remove(&f, id, NULL), 1);
	/* 1 was accepted: the store says so */
	id_of(id, 1);
	assert_int_equal(conn_flight_remove(&f, id, NULL), 1);
	assert_int_equal(store_route_accepted(st, id, "pref", 10, err,
	    sizeof(err)), 0);
	conn_flight_rewind(&f, 1);
	/* again from the start: 1 answered, 3 still in flight: 2, then 4 */
	assert_int_equal(next(&f), 2);
	assert_int_equal(next(&f), 4);
	assert_int_equal(next(&f), 5);
	assert_int_equal(next(&f), 6);
	assert_int_equal(next(&f), 0);
	/* a rewind with everything in flight sends nothing twice */
	conn_flight_rewind(&f, 1);
	assert_int_equal(next(&f), 0);
	assert_int_equal(f.n, 5);
	conn_flight_free(&f);
}

static void
test_new_connection_resends_unanswered(void **state)
{
	struct conn_flight f;

	(void)state;
	fill(3);
	conn_flight_init(&f, ROUTE_WINDOW);
	assert_int_equal(next(&f), 1);
	assert_int_equal(next(&f), 2);
	/* the connection ended: whatever was unanswered goes again */
	conn_flight_clear(&f);
	assert_int_equal(f.n, 0);
	assert_int_equal(next(&f), 1);
	assert_int_equal(next(&f), 2);
	assert_int_equal(next(&f), 3);
	assert_int_equal(next(&f), 0);
	conn_flight_free(&f);
}

static void
test_remove_keeps_the_others(void **state)
{
	struct conn_flight f;
	uint8_t id[KAIRAN_ID_LEN];
	unsigned i;

	(void)state;
	conn_flight_init(&f, ROUTE_WINDOW);
	for (i = 1; i <= 5; i++) {
		id_of(id, i);
		assert_int_equal(conn_flight_add(&f, 0, id, 0), 0);
	}
	id_of(id, 1);		/* the first: the last one moves into its slot */
	assert_int_equal(conn_flight_remove(&f, id, NULL), 1);
	for (i = 2; i <= 5; i++) {
		id_of(id, i);
		assert_true(conn_flight_has(&f, id));
	}
	assert_int_equal(f.n, 4);
	conn_flight_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewind_skips_in_flight,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_new_connection_resends_unanswered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_keeps_the_others,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
