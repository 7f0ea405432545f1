/*
 * Unit tests of relay/admit.c on a real libev loop: deadlines close what
 * did not prove itself, caps evict the oldest pending handshake (of the
 * address, or of all), and what finished or went is forgotten. Wsi
 * pointers are opaque to admit, so the tests use fake ones.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <ev.h>

#include "admit.h"

#define W(n)	((struct lws *)(uintptr_t)(0x1000 + (n)))

static struct lws *closed[4096];
static char closed_why[4096][80];
static int nclosed;

static void
on_close(void *arg, struct lws *wsi, const char *addr, const char *why)
{
	(void)arg;
	(void)addr;
	closed[nclosed] = wsi;
	snprintf(closed_why[nclosed], sizeof(closed_why[0]), "%s", why);
	nclosed++;
}

static void
accept_from(struct admit *a, const char *ip, struct lws *wsi)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin.sin_addr);
	assert_int_equal(admit_filter(a, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	admit_bind(a, wsi);
}

static int
was_closed(struct lws *wsi)
{
	int i;

	for (i = 0; i < nclosed; i++)
		if (closed[i] == wsi)
			return 1;
	return 0;
}

static void
run_once(struct ev_loop *loop)
{
	ev_run(loop, EVRUN_NOWAIT);
}

static void
test_per_address_cap_evicts_oldest(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct admit *a = admit_new(loop, 100, 2, 60.0, on_close, NULL);

	(void)state;
	nclosed = 0;
	accept_from(a, "10.0.0.1", W(1));
	accept_from(a, "10.0.0.1", W(2));
	accept_from(a, "10.0.0.2", W(3));
	accept_from(a, "10.0.0.1", W(4));	/* third from .1: W(1) goes */
	assert_int_equal(admit_pending(a), 3);
	run_once(loop);
	assert_int_equal(nclosed, 1);
	assert_ptr_equal(closed[0], W(1));
	assert_non_null(strstr(closed_why[0], "this address"));
	assert_int_equal(admit_evicted(a), 1);
	admit_free(a);
	ev_loop_destroy(loop);
}

static void
test_total_cap_evicts_oldest(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct admit *a = admit_new(loop, 3, 100, 60.0, on_close, NULL);

	(void)state;
	nclosed = 0;
	accept_from(a, "10.0.0.1", W(1));
	accept_from(a, "10.0.0.2", W(2));
	accept_from(a, "10.0.0.3", W(3));
	accept_from(a, "10.0.0.4", W(4));
	run_once(loop);
	assert_int_equal(nclosed, 1);
	assert_ptr_equal(closed[0], W(1));
	assert_int_equal(admit_pending(a), 3);
	/* the newcomer is never the one that goes */
	assert_false(was_closed(W(4)));
	admit_free(a);
	ev_loop_destroy(loop);
}

/* W(1), W(3) have sent bytes (handshakes under way), W(2), W(4) not */
static int
progress_odd(void *arg, struct lws *wsi)
{
	(void)arg;
	return ((uintptr_t)wsi - 0x1000) % 2 == 1;
}

static void
test_cap_evicts_a_silent_one_first(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct admit *a = admit_new(loop, 3, 100, 60.0, on_close, NULL);

	(void)state;
	nclosed = 0;
	admit_set_progress(a, progress_odd, 0.);
	accept_from(a, "10.0.0.1", W(1));	/* oldest, under way */
	accept_from(a, "10.0.0.2", W(2));	/* silent */
	accept_from(a, "10.0.0.3", W(3));	/* under way */
	accept_from(a, "10.0.0.4", W(5));	/* the cap: W(2) goes */
	run_once(loop);
	assert_int_equal(nclosed, 1);
	assert_ptr_equal(closed[0], W(2));
	/* only handshakes under way left: then the oldest of them */
	accept_from(a, "10.0.0.5", W(7));
	run_once(loop);
	assert_int_equal(nclosed, 2);
	assert_ptr_equal(closed[1], W(1));
	assert_int_equal(admit_evicted(a), 2);
	assert_int_equal(admit_pending(a), 3);
	admit_free(a);
	ev_loop_destroy(loop);
}

/*
 * A flood whose sockets each sent a byte, and a real node just accepted
 * (not read yet): within the grace the newcomer is not "silent", so the
 * oldest goes, as without the preference.
 */
static void
test_a_fresh_handshake_is_not_silent_yet(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct admit *a = admit_new(loop, 3, 100, 60.0, on_close, NULL);

	(void)state;
	nclosed = 0;
	admit_set_progress(a, progress_odd, 60.);
	accept_from(a, "10.0.0.1", W(1));	/* flood, a byte sent */
	accept_from(a, "10.0.0.2", W(2));	/* a node, just accepted */
	accept_from(a, "10.0.0.3", W(3));	/* flood, a byte sent */
	accept_from(a, "10.0.0.4", W(5));	/* the cap */
	run_once(loop);
	assert_int_equal(nclosed, 1);
	assert_ptr_equal(closed[0], W(1));
	assert_false(was_closed(W(2)));
	admit_free(a);
	ev_loop_destroy(loop);
}

/* At the cap nothing is extended: a flood cannot double its sockets' life. */
static void
test_no_extension_at_the_cap(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct admit *a = admit_new(loop, ADMIT_BUSY + 6, 1000, 0.05,
	    on_close, NULL);
	int i;

	(void)state;
	nclosed = 0;
	admit_set_progress(a, progress_odd, 0.);
	for (i = 0; i < ADMIT_BUSY + 6; i++)
		accept_from(a, "10.0.0.1", W(i));
	while (admit_pending(a) > 0)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(admit_extended(a), 0);
	assert_int_equal(admit_timed_out(a), ADMIT_BUSY + 6);
	admit_free(a);
	ev_loop_destroy(loop);
}

static void
test_busy_extends_handshakes_under_way_once(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct admit *a = admit_new(loop, 1000, 1000, 0.05, on_close, NULL);
	int i, odd_closed = 0;

	(void)state;
	nclosed = 0;
	admit_set_progress(a, progress_odd, 0.);
	for (i = 0; i < ADMIT_BUSY + 6; i++)
		accept_from(a, "10.0.0.1", W(i));
	/* the first deadline: the silent half goes, the rest is extended */
	while (nclosed < (ADMIT_BUSY + 6) / 2)
		ev_run(loop, EVRUN_ONCE);
	for (i = 0; i < nclosed; i++)
		odd_closed += ((uintptr_t)closed[i] - 0x1000) % 2 == 1;
	assert_int_equal(odd_closed, 0);
	assert_int_equal(admit_extended(a), (ADMIT_BUSY + 6) / 2);
	/* the second: not extended again (and no longer busy anyway) */
	while (admit_pending(a) > 0)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(admit_timed_out(a), ADMIT_BUSY + 6);
	assert_int_equal(admit_extended(a), (ADMIT_BUSY + 6) / 2);
	admit_free(a);
	ev_loop_destroy(loop);
}

static void
test_budget_fits_the_directory_and_the_descriptors(void **state)
{
	(void)state;
	/* a prefecture of 26 municipalities: the floor */
	assert_int_equal(admit_budget(0, 27, 4096, 65536), ADMIT_MIN_PENDING);
	/* one relay for the whole directory: every node at once, and more */
	assert_true(admit_budget(0, 1790, 4096, 65536) >= 1790);
	assert_int_equal(admit_budget(0, 1790, 4096, 65536),
	    1790 + 1790 / 8 + 64);
	/* configured: as configured, when the descriptors allow it */
	assert_int_equal(admit_budget(64, 1790, 4096, 65536), 64);
	/* the descriptors bound it: a quarter of 1,024 at the least */
	assert_int_equal(admit_budget(0, 1790, 4096, 1024), 256);
	assert_int_equal(admit_budget(4000, 0, 1000, 4096), 4096 - 1000 - 96);
	assert_int_equal(admit_budget(100000, 0, 1, 1 << 20), 65535);
}

static void
test_deadline_closes_only_the_unproven(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct admit *a = admit_new(loop, 100, 100, 0.05, on_close, NULL);

	(void)state;
	nclosed = 0;
	accept_from(a, "10.0.0.1", W(1));
	accept_from(a, "10.0.0.1", W(2));
	accept_from(a, "10.0.0.1", W(3));
	admit_done(a, W(2));		/* proved itself in time */
	admit_gone(a, W(3));		/* closed on its own */
	assert_int_equal(admit_pending(a), 1);
	ev_run(loop, 0);		/* until nothing is left to wait for */
	assert_int_equal(nclosed, 1);
	assert_ptr_equal(closed[0], W(1));
	assert_string_equal(closed_why[0], "handshake timeout");
	assert_int_equal(admit_timed_out(a), 1);
	assert_int_equal(admit_pending(a), 0);
	assert_string_equal(admit_addr(a, W(1)) == NULL ? "gone" : "kept",
	    "gone");
	admit_free(a);
	ev_loop_destroy(loop);
}

static void
test_addr_known_while_pending(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct admit *a = admit_new(loop, 10, 10, 60.0, on_close, NULL);

	(void)state;
	accept_from(a, "192.0.2.7", W(1));
	assert_string_equal(admit_addr(a, W(1)), "192.0.2.7");
	admit_bind(a, W(9));		/* a client wsi: not ours, ignored */
	assert_null(admit_addr(a, W(9)));
	admit_done(a, W(1));
	assert_null(admit_addr(a, W(1)));
	admit_free(a);
	admit_free(NULL);
	ev_loop_destroy(loop);
}

/*
 * A storm's table: 3,000 handshakes from 3,000 addresses (the indexes'
 * buckets shared), each found by its connection and its address; the
 * per-address cap still counts only its own address; half finish or go,
 * in an order unlike their accepts, and the deadline closes exactly the
 * others, although no removal rearmed the timer.
 */
static void
test_storm_table(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct admit *a = admit_new(loop, 5000, 2, 0.05, on_close, NULL);
	char ip[32];
	int i, left = 0;

	(void)state;
	nclosed = 0;
	for (i = 0; i < 3000; i++) {
		snprintf(ip, sizeof(ip), "127.1.%d.%d", i / 250, i % 250 + 1);
		accept_from(a, ip, W(i));
	}
	assert_int_equal(admit_pending(a), 3000);
	for (i = 0; i < 3000; i++) {
		snprintf(ip, sizeof(ip), "127.1.%d.%d", i / 250, i % 250 + 1);
		assert_string_equal(admit_addr(a, W(i)), ip);
	}
	/* a second from one address is fine, a third evicts its oldest */
	accept_from(a, "127.1.0.1", W(3000));
	assert_int_equal(admit_evicted(a), 0);
	accept_from(a, "127.1.0.1", W(3001));
	assert_int_equal(admit_evicted(a), 1);
	for (i = 2999; i >= 1; i -= 2)
		if (i % 4 == 1)
			admit_done(a, W(i));
		else
			admit_gone(a, W(i));
	for (i = 0; i < 3000; i++)
		if (i % 2 == 0)
			left++;
	ev_run(loop, 0);
	/* the evicted W(0) and every even one but it, and the two newest */
	assert_int_equal(nclosed, 1 + (left - 1) + 2);
	assert_true(was_closed(W(0)));
	assert_false(was_closed(W(1)));
	assert_true(was_closed(W(2998)));
	assert_false(was_closed(W(2999)));
	assert_int_equal(admit_pending(a), 0);
	admit_free(a);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_address_cap_evicts_oldest),
		cmocka_unit_test(test_total_cap_evicts_oldest),
		cmocka_unit_test(test_cap_evicts_a_silent_one_first),
		cmocka_unit_test(test_a_fresh_handshake_is_not_silent_yet),
		cmocka_unit_test(test_no_extension_at_the_cap),
		cmocka_unit_test(test_busy_extends_handshakes_under_way_once),
		cmocka_unit_test(test_budget_fits_the_directory_and_the_descriptors),
		cmocka_unit_test(test_deadline_closes_only_the_unproven),
		cmocka_unit_test(test_addr_known_while_pending),
		cmocka_unit_test(test_storm_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
