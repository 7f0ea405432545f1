/*
 * Unit tests of conn (the connection bookkeeping of both programs): the
 * in-flight window (full, removal by id, the check that keeps a rewind
 * from sending twice, expiry that rewinds the cursor), the control-frame
 * queue and bounded reassembly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kairan/conn.h"

static void
mkid(uint8_t id[KAIRAN_ID_LEN], int n)
{
	memset(id, 0, KAIRAN_ID_LEN);
	id[0] = (uint8_t)n;
	id[15] = 0xaa;
}

static void
test_window_fills_and_frees(void **state)
{
	struct conn_flight p;
	uint8_t id[KAIRAN_ID_LEN];
	int64_t seq = 0;
	int i;

	(void)state;
	conn_flight_init(&p, 4);
	for (i = 1; i <= 4; i++) {
		mkid(id, i);
		assert_int_equal(conn_flight_add(&p, 10 * i, id, 1.0), 0);
	}
	assert_true(conn_flight_full(&p));
	mkid(id, 5);
	assert_int_equal(conn_flight_add(&p, 50, id, 1.0), -1);
	assert_int_equal(p.n, 4);
	mkid(id, 2);
	assert_true(conn_flight_has(&p, id));
	assert_int_equal(conn_flight_add(&p, 20, id, 1.0), -1); /* no twice */
	assert_int_equal(conn_flight_remove(&p, id, &seq), 1);
	assert_int_equal(seq, 20);
	assert_false(conn_flight_has(&p, id));
	assert_int_equal(conn_flight_remove(&p, id, NULL), 0);	/* once */
	mkid(id, 5);
	assert_int_equal(conn_flight_add(&p, 50, id, 1.0), 0);
	assert_int_equal(p.n, 4);
	conn_flight_free(&p);
	assert_int_equal(p.n, 0);
}

/*
 * After an OVERLOADED for seq 20 the cursor goes back to 19; the server
 * then skips what conn_flight_has says is still in flight (30, 40), so a
 * rewind never sends a delivery twice.
 */
static void
test_rewind_skips_in_flight(void **state)
{
	struct conn_flight p;
	uint8_t id[KAIRAN_ID_LEN];
	int64_t seq;
	int i, sent = 0;

	(void)state;
	conn_flight_init(&p, 8);
	for (i = 1; i <= 4; i++) {
		mkid(id, i);
		assert_int_equal(conn_flight_add(&p, 10 * i, id, 1.0), 0);
		p.cursor = 10 * i;
	}
	mkid(id, 2);
	assert_int_equal(conn_flight_remove(&p, id, &seq), 1);
	conn_flight_rewind(&p, seq);
	assert_int_equal(p.cursor, 19);
	conn_flight_rewind(&p, 30);	/* never forward */
	assert_int_equal(p.cursor, 19);
	/* what the store would hand out after 19: 20, 30, 40 */
	for (i = 2; i <= 4; i++) {
		mkid(id, i);
		if (!conn_flight_has(&p, id))
			sent++;
	}
	assert_int_equal(sent, 1);	/* only 20 goes again */
	conn_flight_free(&p);
}

static void
test_expire_rewinds_to_the_oldest(void **state)
{
	struct conn_flight p;
	uint8_t id[KAIRAN_ID_LEN];

	(void)state;
	conn_flight_init(&p, 8);
	mkid(id, 1);
	assert_int_equal(conn_flight_add(&p, 30, id, 100.0), 0);
	mkid(id, 2);
	assert_int_equal(conn_flight_add(&p, 20, id, 200.0), 0);
	p.cursor = 30;
	assert_int_equal(conn_flight_expire(&p, 50.0), 0);	/* none old */
	assert_int_equal(p.n, 2);
	assert_int_equal(conn_flight_expire(&p, 150.0), 1);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.cursor, 19);	/* all written again, from 20 */
	conn_flight_free(&p);
}

static void
test_ctl_queue_in_order(void **state)
{
	struct conn_ctl p;
	struct conn_frame *c;
	int i;

	(void)state;
	memset(&p, 0, sizeof(p));
	for (i = 0; i < 3; i++) {
		uint8_t *b = malloc(1);

		assert_non_null(b);
		b[0] = (uint8_t)i;
		conn_ctl_push(&p, b, 1);
	}
	assert_int_equal(p.n, 3);
	for (i = 0; i < 3; i++) {
		assert_non_null(c = conn_ctl_pop(&p));
		assert_int_equal(c->buf[0], i);
		conn_frame_free(c);
	}
	assert_null(conn_ctl_pop(&p));
	assert_int_equal(p.n, 0);
	conn_frame_free(NULL);
	conn_ctl_push(&p, malloc(1), 1);
	conn_ctl_clear(&p);
	assert_int_equal(p.n, 0);
	assert_null(p.head);
}

static void
test_rx_bounded(void **state)
{
	struct conn_rx p;
	static uint8_t big[70000];

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(conn_rx_append(&p, big, 60000, 100000), 0);
	assert_int_equal(conn_rx_append(&p, big, 40000, 100000), 0);
	assert_int_equal(p.len, 100000);
	assert_int_equal(conn_rx_append(&p, big, 1, 100000), -1);
	assert_int_equal(p.len, 100000);
	conn_rx_reset(&p);
	assert_int_equal(p.len, 0);
	assert_null(p.buf);		/* a big buffer is given back */
	assert_int_equal(conn_rx_append(&p, big, 100, 100000), 0);
	conn_rx_reset(&p);
	assert_non_null(p.buf);		/* a small one is kept */
	assert_int_equal(conn_rx_append(&p, big, 100001, 100000), -1);
	conn_rx_free(&p);
	assert_null(p.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_fills_and_frees),
		cmocka_unit_test(test_rewind_skips_in_flight),
		cmocka_unit_test(test_expire_rewinds_to_the_oldest),
		cmocka_unit_test(test_ctl_queue_in_order),
		cmocka_unit_test(test_rx_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
