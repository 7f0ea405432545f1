/*
 * Unit tests of relay/peer.c: the edges of a peer's state machine (the
 * one writer of its state) and peer_clear, which frees what the peer's
 * connection bookkeeping holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "peer.h"

static void
test_states_along_their_edges(void **state)
{
	struct peer p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(p.state, PEER_NEW);	/* as lws zeroes it */
	peer_transition(&p, PEER_OPEN);
	peer_transition(&p, PEER_READY);
	peer_transition(&p, PEER_CLOSING);
	assert_int_equal(p.state, PEER_CLOSING);
	peer_transition(&p, PEER_NEW);		/* closed: lws's slot again */
	assert_int_equal(p.state, PEER_NEW);
	peer_transition(&p, PEER_OPEN);		/* the slot's next connection */
	peer_transition(&p, PEER_CLOSING);	/* refused before its Hello */
	assert_string_equal(peer_state_name(PEER_READY), "ready");
	assert_string_equal(peer_state_name(PEER_NEW), "new");
}

static void
test_clear_frees_the_bookkeeping(void **state)
{
	struct peer p;
	uint8_t id[KAIRAN_ID_LEN] = { 1 };

	(void)state;
	memset(&p, 0, sizeof(p));
	conn_flight_init(&p.flight, 4);
	assert_int_equal(conn_flight_add(&p.flight, 1, id, 0), 0);
	conn_ctl_push(&p.ctl, malloc(8), 8);
	assert_int_equal(conn_rx_append(&p.rx, "abc", 3, 100), 0);
	peer_clear(&p);
	assert_int_equal(p.flight.n, 0);
	assert_null(p.flight.v);
	assert_int_equal(p.ctl.n, 0);
	assert_null(p.rx.buf);
	peer_clear(&p);		/* twice: nothing left to free */
}

/* The index by delivery key: every peer of a key found, others not;
 * removal; several peers of one key (a node on two connections). */
static void
test_index_by_key(void **state)
{
	static struct peer p[300];
	struct peer_index x = { NULL };
	struct peer *q;
	size_t i, n;

	(void)state;
	assert_null(peer_index_next(&x, "452017", NULL));
	peer_index_remove(&x, &p[0]);		/* nothing yet: a no-op */
	for (i = 0; i < 300; i++) {
		/* 300 keys in 4,096 buckets, and 452017 twice */
		if (i == 299)
			strcpy(p[i].key, "452017");
		else
			snprintf(p[i].key, sizeof(p[i].key), "%06zu", i);
		peer_index_add(&x, &p[i]);
	}
	for (i = 0; i < 299; i++) {
		q = peer_index_next(&x, p[i].key, NULL);
		assert_ptr_equal(q, &p[i]);
		assert_null(peer_index_next(&x, p[i].key, q));
	}
	peer_index_remove(&x, &p[5]);
	assert_null(peer_index_next(&x, "000005", NULL));
	strcpy(p[5].key, "452017");
	peer_index_add(&x, &p[5]);
	for (n = 0, q = peer_index_next(&x, "452017", NULL); q != NULL;
	    q = peer_index_next(&x, "452017", q))
		n++;
	assert_int_equal(n, 2);
	peer_index_remove(&x, &p[299]);
	assert_ptr_equal(peer_index_next(&x, "452017", NULL), &p[5]);
	assert_null(peer_index_next(&x, "452017", &p[5]));
	assert_null(peer_index_next(&x, "mic", NULL));
	peer_index_free(&x);
	peer_index_free(&x);			/* twice: a no-op */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states_along_their_edges),
		cmocka_unit_test(test_clear_frees_the_bookkeeping),
		cmocka_unit_test(test_index_by_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
