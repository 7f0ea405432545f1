/*
 * Unit tests of link (the client link of both programs, proto/lws/link.c),
 * without a peer: url parsing and its errors, the edges of the state
 * machine, the backoff's jitter bounds and cap, the stall watchdog's
 * verdict, and a real link on a libwebsockets context dialling a loopback
 * port that refuses: connecting -> backoff with the owner told why,
 * redialled after the backoff (capped), a late answer for a connection
 * that is gone dropped, and silent after link_stop; link_drain, which
 * lets a connection end but never redials.
 */
#include <sys/socket.h>

#include <netinet/in.h>

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

#include <libwebsockets.h>

#include "kairan/link.h"

static void
expect_url_error(const char *url, const char *what)
{
	struct link_url u;
	char err[1024];

	err[0] = '\0';
	assert_int_equal(link_url_parse(url, &u, err, sizeof(err)), -1);
	if (strstr(err, what) == NULL)
		fail_msg("url %s: error \"%s\" does not say \"%s\"", url, err,
		    what);
}

static void
test_url(void **state)
{
	struct link_url u;
	char err[256], longpath[400];

	(void)state;
	assert_int_equal(link_url_parse("wss://127.0.0.1:7444/kairan", &u,
	    err, sizeof(err)), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 7444);
	assert_string_equal(u.path, "/kairan");
	assert_int_equal(link_url_parse("wss://relay-46.example.jp", &u, err,
	    sizeof(err)), 0);
	assert_string_equal(u.host, "relay-46.example.jp");
	assert_int_equal(u.port, KAIRAN_DEFAULT_PORT);
	assert_string_equal(u.path, "/");
	assert_int_equal(link_url_parse("wss://[::1]:1/", &u, err,
	    sizeof(err)), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 1);

	expect_url_error("ws://h/", "must begin with wss://");
	expect_url_error("https://h/", "TLS is required");
	expect_url_error("wss:///x", "bad host");
	expect_url_error("wss://:7443", "bad host");
	expect_url_error("wss://[::1/x", "missing ']'");
	expect_url_error("wss://h:/x", "port must be 1..65535");
	expect_url_error("wss://h:1234567", "port must be 1..65535");
	expect_url_error("wss://h:0", "port must be 1..65535");
	expect_url_error("wss://h:65536", "port must be 1..65535");
	expect_url_error("wss://h:+80", "port must be 1..65535");
	expect_url_error("wss://h:8x", "port must be 1..65535");
	memset(longpath, 'p', sizeof(longpath));
	memcpy(longpath, "wss://h/", 8);
	longpath[sizeof(longpath) - 1] = '\0';
	expect_url_error(longpath, "path too long");
}

static void
test_edges(void **state)
{
	/* ok[old][new]: the diagram of link.h */
	static const int ok[6][6] = {
		/* to:    idle conn hello ready backoff stopped */
		[LINK_IDLE] =       { 1, 1, 0, 0, 0, 1 },
		[LINK_CONNECTING] = { 0, 1, 1, 0, 1, 1 },
		[LINK_HELLO] =      { 0, 0, 1, 1, 1, 1 },
		[LINK_READY] =      { 0, 0, 0, 1, 1, 1 },
		[LINK_BACKOFF] =    { 0, 1, 0, 0, 1, 1 },
		[LINK_STOPPED] =    { 0, 0, 0, 0, 0, 1 },
	};
	int a, b;

	(void)state;
	for (a = LINK_IDLE; a <= LINK_STOPPED; a++)
		for (b = LINK_IDLE; b <= LINK_STOPPED; b++)
			if (link_edge_ok(a, b) != ok[a][b])
				fail_msg("%s -> %s: %d", link_state_name(a),
				    link_state_name(b), link_edge_ok(a, b));
	assert_string_equal(link_state_name(LINK_READY), "ready");
	assert_string_equal(link_state_name(LINK_BACKOFF), "backoff");
}

static void
test_backoff_bounds(void **state)
{
	uint32_t b, before, d, seen_lo = 0, seen_hi = 0;
	int i, j;

	(void)state;
	/* from the minimum: doubling, never past the cap */
	b = LINK_BACKOFF_MIN_MS;
	for (i = 0; i < 20; i++) {
		before = b;
		d = link_backoff_step(&b, LINK_BACKOFF_MAX_MS);
		assert_true(d >= before / 2 && d <= before);
		assert_true(d <= LINK_BACKOFF_MAX_MS);
		assert_int_equal(b, before * 2 > LINK_BACKOFF_MAX_MS ?
		    LINK_BACKOFF_MAX_MS : before * 2);
	}
	assert_int_equal(b, LINK_BACKOFF_MAX_MS);
	/* capped, the delay still spreads over [max/2, max] */
	for (j = 0; j < 2000; j++) {
		d = link_backoff_step(&b, LINK_BACKOFF_MAX_MS);
		assert_int_equal(b, LINK_BACKOFF_MAX_MS);
		assert_true(d >= LINK_BACKOFF_MAX_MS / 2 &&
		    d <= LINK_BACKOFF_MAX_MS);
		if (d < LINK_BACKOFF_MAX_MS / 2 + LINK_BACKOFF_MAX_MS / 10)
			seen_lo++;
		if (d > LINK_BACKOFF_MAX_MS - LINK_BACKOFF_MAX_MS / 10)
			seen_hi++;
	}
	/* jitter: both ends of the range come up (p of failure ~ 1e-90) */
	assert_true(seen_lo > 0 && seen_hi > 0);
	/* a value over the cap is brought down to it */
	b = 10 * LINK_BACKOFF_MAX_MS;
	d = link_backoff_step(&b, LINK_BACKOFF_MAX_MS);
	assert_true(d <= LINK_BACKOFF_MAX_MS);
	assert_int_equal(b, LINK_BACKOFF_MAX_MS);
	/* never a zero step */
	b = 0;
	(void)link_backoff_step(&b, LINK_BACKOFF_MAX_MS);
	assert_true(b > 0);
}

static void
test_stall_due(void **state)
{
	int64_t wait;

	(void)state;
	/* the window not full: nothing to watch */
	assert_int_equal(link_stall_due(0, 0, 1000000, 60000, &wait), 0);
	assert_int_equal(wait, -1);
	/* no watchdog */
	assert_int_equal(link_stall_due(1, 0, 1000000, 0, &wait), 0);
	assert_int_equal(wait, -1);
	/* full, the peer heard 10 s ago: 50 s left */
	assert_int_equal(link_stall_due(1, 90000, 100000, 60000, &wait), 0);
	assert_int_equal(wait, 50000);
	/* full and silent for exactly the limit, and past it */
	assert_int_equal(link_stall_due(1, 40000, 100000, 60000, &wait), 1);
	assert_int_equal(link_stall_due(1, 0, 100000, 60000, &wait), 1);
}

/* ---- a real link against a port that refuses ---- */

struct owner {
	int	downs;
	int	ups;
	char	why[LINK_WHY_MAX];
};

static void
own_down(void *arg, struct link *l, const char *why)
{
	struct owner *o = arg;

	(void)l;
	o->downs++;
	snprintf(o->why, sizeof(o->why), "%s", why);
}

static void
own_up(void *arg, struct link *l)
{
	(void)l;
	((struct owner *)arg)->ups++;
}

static const struct link_ops own_ops = {
	.up = own_up,
	.down = own_down,
};

static int
proto_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	return link_lws_callback(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{ KAIRAN_PROTOCOL, proto_cb, 0, 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* A tick, so that lws_service() never sleeps long with no timer due. */
static struct lws_context *tick_ctx;
static lws_sorted_usec_list_t tick_sul;

static void
tick_cb(lws_sorted_usec_list_t *sul)
{
	lws_sul_schedule(tick_ctx, 0, sul, tick_cb, 10 * LWS_US_PER_MS);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Services ctx until *count reaches want (or 10 s pass: failure). */
static void
service_until(struct lws_context *ctx, const int *count, int want)
{
	double end = now_s() + 10;

	while (*count < want) {
		if (now_s() > end)
			fail_msg("still %d of %d after 10 s", *count, want);
		lws_service(ctx, 0);
	}
}

static void
test_refused_connect_backs_off(void **state)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct link_config lc;
	struct link l;
	struct owner o;
	char url[64];
	int fd, i;

	(void)state;
	/*
	 * A port that is ours and refuses: bound, never listening, so that
	 * no other process can take it while the test runs.
	 */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);

	lws_set_log_level(0, NULL);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	ctx = lws_create_context(&info);
	assert_non_null(ctx);
	tick_ctx = ctx;
	lws_sul_schedule(ctx, 0, &tick_sul, tick_cb, 10 * LWS_US_PER_MS);

	memset(&o, 0, sizeof(o));
	snprintf(url, sizeof(url), "wss://127.0.0.1:%d/",
	    ntohs(sin.sin_port));
	link_config_defaults(&lc);
	lc.name = "t";
	lc.url = url;
	assert_int_equal(link_url_parse(url, &lc.at, o.why, sizeof(o.why)),
	    0);
	lc.self = "452017";
	lc.software = "test";
	lc.backoff_min_ms = 20;
	lc.backoff_max_ms = 80;
	link_init(&l, &lc, ctx, &own_ops, &o);
	assert_int_equal(l.state, LINK_IDLE);
	assert_null(link_of_wsi(NULL));
	/* an answer for a connection that is not there is dropped (freed) */
	assert_int_equal(link_queue_gen(&l, l.gen, malloc(LWS_PRE + 8), 8), 0);
	assert_int_equal(l.ctl.n, 0);

	link_start(&l);
	service_until(ctx, &o.downs, 1);
	assert_int_equal(l.state, LINK_BACKOFF);
	assert_non_null(strstr(o.why, "connect failed"));
	assert_null(l.wsi);
	assert_int_equal(l.backoff_ms, 40);	/* 20, doubled */
	/* the backoff timer dials again, and again: capped at 80 */
	service_until(ctx, &o.downs, 4);
	assert_int_equal(l.backoff_ms, 80);
	assert_int_equal(o.ups, 0);
	assert_true(l.gen >= 4);		/* one per dial */

	link_stop(&l);
	assert_int_equal(l.state, LINK_STOPPED);
	/* stopped: no more dialling, no more news for the owner */
	i = o.downs;
	{
		double end = now_s() + 0.3;

		while (now_s() < end)
			lws_service(ctx, 0);
	}
	assert_int_equal(o.downs, i);
	assert_int_equal(l.state, LINK_STOPPED);
	link_cleanup(&l);
	lws_sul_cancel(&tick_sul);
	lws_context_destroy(ctx);
	close(fd);
}

/*
 * link_drain: a link with a connection under way keeps it until it ends,
 * then tells the owner and is STOPPED (never BACKOFF, never redialled);
 * one without a connection is STOPPED at once.
 */
static void
test_drain(void **state)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct link_config lc;
	struct link l, idle;
	struct owner o;
	char url[64];
	double end;
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	lws_set_log_level(0, NULL);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	ctx = lws_create_context(&info);
	assert_non_null(ctx);
	tick_ctx = ctx;
	lws_sul_schedule(ctx, 0, &tick_sul, tick_cb, 10 * LWS_US_PER_MS);

	memset(&o, 0, sizeof(o));
	snprintf(url, sizeof(url), "wss://127.0.0.1:%d/",
	    ntohs(sin.sin_port));
	link_config_defaults(&lc);
	lc.name = "d";
	lc.url = url;
	assert_int_equal(link_url_parse(url, &lc.at, o.why, sizeof(o.why)),
	    0);
	lc.self = "452017";
	lc.software = "test";
	lc.backoff_min_ms = 10;
	link_init(&idle, &lc, ctx, &own_ops, &o);
	link_drain(&idle);
	assert_int_equal(idle.state, LINK_STOPPED);

	link_init(&l, &lc, ctx, &own_ops, &o);
	link_start(&l);
	if (l.state == LINK_CONNECTING) {
		link_drain(&l);
		assert_int_equal(l.state, LINK_CONNECTING);	/* kept */
		service_until(ctx, &o.downs, 1);
	}
	assert_int_equal(o.downs, 1);
	assert_int_equal(l.state, LINK_STOPPED);
	end = now_s() + 0.2;		/* 20 backoffs' worth: no redial */
	while (now_s() < end)
		lws_service(ctx, 0);
	assert_int_equal(o.downs, 1);
	assert_int_equal(l.gen, 1);
	link_cleanup(&l);
	link_cleanup(&idle);
	lws_sul_cancel(&tick_sul);
	lws_context_destroy(ctx);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_stall_due),
		cmocka_unit_test(test_refused_connect_backs_off),
		cmocka_unit_test(test_drain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
