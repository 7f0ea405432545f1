/*
 * Unit tests of proto/lws/mail.c: SMTP through libcurl's multi interface on a
 * libev loop, against a small SMTP server: a mail taken (250), one
 * refused (550), the bound on transfers in flight, a timeout while the
 * loop keeps running, and mail_free abandoning a transfer held at RCPT
 * without waiting for it (no callback, no leak: the ASan build runs this
 * too). The servers that stop short of the message's end run on the
 * test's own loop, so that any wait inside curl would stall them too and
 * show; the one that answers the final "." runs in a child process,
 * because libcurl 7.88 waits for that reply in blocking mode (curl#8555,
 * see mail.h): on the same loop it could never come, which this test
 * showed first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <ev.h>

#include "kairan/mail.h"

#define TEXT	"From: <a@x.example>\r\nTo: <b@x.example>\r\nSubject: t\r\n" \
		"\r\nbody\r\n"

enum srv_mode {
	SRV_ANSWER,	/* a plain server; RCPT of bad@… gets 550 */
	SRV_HOLD_RCPT,	/* never answers RCPT */
	SRV_MUTE,	/* listens, never accepts: no greeting */
};

/* The test's SMTP server, one connection at a time, on the loop. */
struct srv {
	struct ev_loop	*loop;
	enum srv_mode	 mode;
	int		 lfd, cfd, port;
	ev_io		 lw, cw;
	char		 buf[65536];
	size_t		 len;
	int		 data;		/* inside DATA */
	int		 mails;		/* taken */
	int		 rcpts;		/* RCPT lines seen */
};

static void
say(struct srv *v, const char *s)
{
	ssize_t n = write(v->cfd, s, strlen(s));

	assert_int_equal(n, (ssize_t)strlen(s));
}

static void
srv_close_client(struct srv *v)
{
	if (v->cfd == -1)
		return;
	ev_io_stop(v->loop, &v->cw);
	close(v->cfd);
	v->cfd = -1;
}

/* One command line (without CRLF), or the message's end. */
static void
srv_line(struct srv *v, const char *l)
{
	if (strncmp(l, "EHLO", 4) == 0 || strncmp(l, "HELO", 4) == 0)
		say(v, "250 test\r\n");
	else if (strncmp(l, "MAIL", 4) == 0)
		say(v, "250 ok\r\n");
	else if (strncmp(l, "RCPT", 4) == 0) {
		v->rcpts++;
		if (v->mode == SRV_HOLD_RCPT)
			return;
		say(v, strstr(l, "<bad@") != NULL ? "550 5.1.1 no\r\n" :
		    "250 ok\r\n");
	} else if (strncmp(l, "DATA", 4) == 0) {
		v->data = 1;
		say(v, "354 go\r\n");
	} else if (strncmp(l, "QUIT", 4) == 0)
		say(v, "221 bye\r\n");
	else
		say(v, "500 what\r\n");
}

static void
srv_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct srv *v = w->data;
	char *eol, *end;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(v->cfd, v->buf + v->len, sizeof(v->buf) - 1 - v->len);
	if (n <= 0) {
		srv_close_client(v);
		return;
	}
	v->len += (size_t)n;
	v->buf[v->len] = '\0';
	for (;;) {
		if (v->data) {
			if ((end = strstr(v->buf, "\r\n.\r\n")) == NULL)
				return;
			v->data = 0;
			v->mails++;
			say(v, "250 2.0.0 queued\r\n");
			eol = end + 3;
		} else {
			if ((eol = strstr(v->buf, "\r\n")) == NULL)
				return;
			*eol = '\0';
			srv_line(v, v->buf);
		}
		v->len -= (size_t)(eol + 2 - v->buf);
		memmove(v->buf, eol + 2, v->len + 1);
	}
}

static void
srv_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct srv *v = w->data;

	(void)revents;
	srv_close_client(v);
	if ((v->cfd = accept(v->lfd, NULL, NULL)) == -1)
		return;
	v->len = 0;
	v->data = 0;
	ev_io_init(&v->cw, srv_read, v->cfd, EV_READ);
	v->cw.data = v;
	ev_io_start(loop, &v->cw);
	say(v, "220 test ESMTP\r\n");
}

/* The listening socket, on a port the kernel chooses. */
static void
srv_listen(struct srv *v, enum srv_mode mode)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(v, 0, sizeof(*v));
	v->mode = mode;
	v->cfd = -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_not_equal(v->lfd = socket(AF_INET, SOCK_STREAM, 0), -1);
	assert_int_equal(bind(v->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(v->lfd, 8), 0);
	assert_int_equal(getsockname(v->lfd, (struct sockaddr *)&a, &alen), 0);
	v->port = ntohs(a.sin_port);
}

/* Serves on loop (a mute server never accepts). */
static void
srv_watch(struct srv *v, struct ev_loop *loop)
{
	v->loop = loop;
	if (v->mode != SRV_MUTE) {
		ev_io_init(&v->lw, srv_accept, v->lfd, EV_READ);
		v->lw.data = v;
		ev_io_start(loop, &v->lw);
	}
}

static void
srv_start(struct srv *v, struct ev_loop *loop, enum srv_mode mode)
{
	srv_listen(v, mode);
	srv_watch(v, loop);
}

/* The same server in a child process with its own loop, until killed. */
static pid_t
srv_fork(struct srv *v, enum srv_mode mode)
{
	pid_t pid;

	srv_listen(v, mode);
	assert_int_not_equal(pid = fork(), -1);
	if (pid > 0)
		return pid;
	srv_watch(v, ev_loop_new(EVFLAG_AUTO));
	ev_run(v->loop, 0);
	_exit(0);
}

static void
srv_kill(struct srv *v, pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(v->lfd);
}

static void
srv_stop(struct srv *v)
{
	srv_close_client(v);
	ev_io_stop(v->loop, &v->lw);
	close(v->lfd);
}

/* What a callback saw. */
struct got {
	struct ev_loop	*loop;
	int		 calls, ok;
	long		 code;
	char		 reply[256];
	int		 ticks_before;	/* of the test's timer, at the call */
	int		*ticks;
	int		*left;		/* callbacks still awaited */
};

static void
done(void *arg, int ok, long code, const char *reply)
{
	struct got *g = arg;

	g->calls++;
	g->ok = ok;
	g->code = code;
	snprintf(g->reply, sizeof(g->reply), "%s", reply);
	g->ticks_before = g->ticks != NULL ? *g->ticks : 0;
	if (g->left != NULL && --*g->left == 0)
		ev_break(g->loop, EVBREAK_ALL);
}

static void
guard_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	fail_msg("the loop did not end in time");
	ev_break(loop, EVBREAK_ALL);
}

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	(*(int *)w->data)++;
}

/* Runs the loop until *left callbacks came, at most 10 s. */
static void
run(struct ev_loop *loop)
{
	ev_timer guard;

	ev_timer_init(&guard, guard_cb, 10., 0.);
	ev_timer_start(loop, &guard);
	ev_run(loop, 0);
	ev_timer_stop(loop, &guard);
}

static void
msg_for(struct mail_msg *msg, char *url, size_t urllen, int port,
    const char *to, long timeout_ms)
{
	snprintf(url, urllen, "smtp://127.0.0.1:%d", port);
	memset(msg, 0, sizeof(*msg));
	msg->url = url;
	msg->from = "kairan@relay.example";
	msg->to = to;
	msg->text = TEXT;
	msg->tls = MAIL_TLS_NONE;
	msg->timeout_ms = timeout_ms;
}

static void
test_new_free(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct mail *m;

	(void)state;
	mail_free(NULL);
	assert_non_null(m = mail_new(loop, 2));
	assert_int_equal(mail_inflight(m), 0);
	assert_false(mail_full(m));
	mail_free(m);
	ev_loop_destroy(loop);
}

static void
test_sent_and_refused(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct mail_msg msg;
	struct srv v;
	struct got g;
	struct mail *m;
	char url[64];
	pid_t pid;
	int left;

	(void)state;
	pid = srv_fork(&v, SRV_ANSWER);
	assert_non_null(m = mail_new(loop, 4));

	memset(&g, 0, sizeof(g));
	g.loop = loop;
	g.left = &left;
	left = 1;
	msg_for(&msg, url, sizeof(url), v.port, "b@x.example", 5000);
	assert_int_equal(mail_send(m, &msg, done, &g), 0);
	assert_int_equal(g.calls, 0);	/* never from inside mail_send */
	assert_int_equal(mail_inflight(m), 1);
	run(loop);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.ok, 1);
	assert_int_equal(g.code, 250);
	assert_string_equal(g.reply, "accepted");
	assert_int_equal(mail_inflight(m), 0);

	memset(&g, 0, sizeof(g));
	g.loop = loop;
	g.left = &left;
	left = 1;
	msg_for(&msg, url, sizeof(url), v.port, "bad@x.example", 5000);
	assert_int_equal(mail_send(m, &msg, done, &g), 0);
	run(loop);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.ok, 0);
	assert_int_equal(g.code, 550);
	assert_non_null(strstr(g.reply, "550"));

	mail_free(m);
	srv_kill(&v, pid);
	ev_loop_destroy(loop);
}

/*
 * A server that takes the connection and never greets: at most max in
 * flight, each ends at its timeout with no reply code, and the loop ran
 * meanwhile (the test's 20 ms timer ticked before the first callback).
 */
static void
test_bound_and_timeout(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct mail_msg msg;
	struct srv v;
	struct got g[2];
	struct mail *m;
	ev_timer tick;
	char url[64];
	int left = 2, ticks = 0, i;

	(void)state;
	srv_start(&v, loop, SRV_MUTE);
	assert_non_null(m = mail_new(loop, 2));
	msg_for(&msg, url, sizeof(url), v.port, "b@x.example", 400);
	for (i = 0; i < 2; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		g[i].loop = loop;
		g[i].left = &left;
		g[i].ticks = &ticks;
		assert_int_equal(mail_send(m, &msg, done, &g[i]), 0);
	}
	assert_true(mail_full(m));
	assert_int_equal(mail_send(m, &msg, done, &g[0]), -1);
	ev_timer_init(&tick, tick_cb, 0.02, 0.02);
	tick.data = &ticks;
	ev_timer_start(loop, &tick);
	run(loop);
	ev_timer_stop(loop, &tick);
	for (i = 0; i < 2; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].ok, 0);
		assert_int_equal(g[i].code, 0);
		assert_non_null(strstr(g[i].reply, "timed out"));
		assert_true(g[i].ticks_before >= 5);
	}
	assert_int_equal(mail_inflight(m), 0);
	assert_false(mail_full(m));
	mail_free(m);
	srv_stop(&v);
	ev_loop_destroy(loop);
}

static void
stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct srv *v = w->data;

	(void)revents;
	if (v->rcpts > 0)
		ev_break(loop, EVBREAK_ALL);
}

/*
 * A transaction held at RCPT, abandoned: mail_free returns at once (curl
 * 7.88 would otherwise send the message's end and QUIT and wait for their
 * replies, up to the timeout), and the callback never runs.
 */
static void
test_abandon_held(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct mail_msg msg;
	struct srv v;
	struct got g;
	struct mail *m;
	ev_timer poll;
	ev_tstamp t0;
	char url[64];

	(void)state;
	srv_start(&v, loop, SRV_HOLD_RCPT);
	assert_non_null(m = mail_new(loop, 4));
	memset(&g, 0, sizeof(g));
	g.loop = loop;
	msg_for(&msg, url, sizeof(url), v.port, "b@x.example", 8000);
	assert_int_equal(mail_send(m, &msg, done, &g), 0);
	ev_timer_init(&poll, stop_cb, 0.01, 0.01);
	poll.data = &v;
	ev_timer_start(loop, &poll);
	run(loop);		/* until the server saw RCPT */
	ev_timer_stop(loop, &poll);
	assert_int_equal(v.rcpts, 1);
	ev_now_update(loop);
	t0 = ev_time();
	mail_free(m);
	assert_true(ev_time() - t0 < 1.0);
	assert_int_equal(g.calls, 0);
	srv_stop(&v);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_free),
		cmocka_unit_test(test_sent_and_refused),
		cmocka_unit_test(test_bound_and_timeout),
		cmocka_unit_test(test_abandon_held),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
