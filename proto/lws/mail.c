/*
 * mail: SMTP through libcurl's multi interface on the libev loop (see
 * mail.h). One ev_io per socket curl waits on, one ev_timer for curl's
 * clock; each event goes back to curl_multi_socket_action, then the
 * transfers that ended are collected and their callbacks run.
 *
 * libcurl 7.88 still blocks in two places of an SMTP transfer, both in
 * its "done" and "disconnect" steps (curl/curl#8555, docs/TODO "More
 * non-blocking"): it waits for the reply to QUIT, and for the reply to
 * the message's final "." (the 250 that says the server took it). The
 * first we avoid: when a transfer ends, and when mail_free abandons those
 * in flight, the socket is shut down first, so that curl's QUIT (and the
 * end of a message it would send for a transfer removed half-way) fails
 * at once instead of waiting; the mail's fate is known by then (or
 * abandoned), and the server sees the connection close. The second is
 * curl's own: a server that takes the whole message and then sits on its
 * reply holds the loop for at most the mail's timeout (a local MTA
 * answers it at once, queuing the mail itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <curl/curl.h>
#include <ev.h>

#include "kairan/log.h"

#include "kairan/mail.h"

/* One mail in flight. */
struct xfer {
	struct mail		*m;
	CURL			*easy;
	struct curl_slist	*rcpt;		/* curl keeps a pointer to it */
	char			*text;		/* the message, read by upload */
	size_t			 len, off;
	char			 errbuf[CURL_ERROR_SIZE];
	mail_cb			*cb;
	void			*arg;
	struct xfer		*next, **prevp;
};

/* One socket curl waits on. */
struct sock {
	struct mail	*m;
	ev_io		 io;
	struct sock	*next, **prevp;
};

struct mail {
	struct ev_loop	*loop;
	CURLM		*multi;
	ev_timer	 timer;		/* curl's clock */
	unsigned	 max, n;	/* transfers allowed, in flight */
	struct xfer	*xfers;
	struct sock	*socks;
	int		 closing;	/* mail_free: arm nothing more */
};

static void	finished(struct mail *);

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sock *k = w->data;
	struct mail *m = k->m;
	int running, action = 0;

	(void)loop;
	if (revents & EV_READ)
		action |= CURL_CSELECT_IN;
	if (revents & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	/* k may be freed inside (CURL_POLL_REMOVE): only m from here on */
	curl_multi_socket_action(m->multi, w->fd, action, &running);
	finished(m);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mail *m = w->data;
	int running;

	(void)loop;
	(void)revents;
	curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	finished(m);
}

/* CURLMOPT_SOCKETFUNCTION: what curl waits for on fd, or REMOVE. */
static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct mail *m = userp;
	struct sock *k = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (k != NULL) {
			ev_io_stop(m->loop, &k->io);
			if ((*k->prevp = k->next) != NULL)
				k->next->prevp = k->prevp;
			free(k);
			curl_multi_assign(m->multi, fd, NULL);
		}
		return 0;
	}
	if (m->closing)
		return 0;
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return -1;	/* curl fails the transfer */
		k->m = m;
		ev_io_init(&k->io, io_cb, fd, events);
		k->io.data = k;
		if ((k->next = m->socks) != NULL)
			k->next->prevp = &k->next;
		k->prevp = &m->socks;
		m->socks = k;
		curl_multi_assign(m->multi, fd, k);
	} else {
		ev_io_stop(m->loop, &k->io);
		ev_io_set(&k->io, fd, events);
	}
	ev_io_start(m->loop, &k->io);
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION: curl wants socket_action(TIMEOUT) in ms (0: at
 * once, which is the next loop pass: curl must not be re-entered from
 * here), or never (-1).
 */
static int
curl_timer_cb(CURLM *multi, long ms, void *userp)
{
	struct mail *m = userp;

	(void)multi;
	ev_timer_stop(m->loop, &m->timer);
	if (ms >= 0 && !m->closing) {
		ev_timer_set(&m->timer, (double)ms / 1000., 0.);
		ev_timer_start(m->loop, &m->timer);
	}
	return 0;
}

static size_t
upload_cb(char *out, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t k = size * n < x->len - x->off ? size * n : x->len - x->off;

	memcpy(out, x->text + x->off, k);
	x->off += k;
	return k;
}

/* Takes x off the multi handle and frees it. */
static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->prevp != NULL) {
		if ((*x->prevp = x->next) != NULL)
			x->next->prevp = x->prevp;
		x->m->n--;
	}
	if (x->easy != NULL) {
		if (x->prevp != NULL)
			curl_multi_remove_handle(x->m->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->rcpt);
	free(x->text);
	free(x);
}

/*
 * The connection of a transfer that ended, shut down: curl's QUIT on it
 * fails at once (see the top of the file) and no later mail reuses it.
 */
static void
sever(CURL *easy)
{
	curl_socket_t fd = CURL_SOCKET_BAD;

	if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK &&
	    fd != CURL_SOCKET_BAD)
		(void)shutdown(fd, SHUT_RDWR);
}

/* The transfers that ended: each freed, then its callback run. */
static void
finished(struct mail *m)
{
	char reply[CURL_ERROR_SIZE];
	struct xfer *x;
	CURLMsg *msg;
	CURLcode rc;
	mail_cb *cb;
	void *arg;
	long code;
	int left;

	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		x = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		if (x == NULL)
			continue;
		code = 0;
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_OK)
			snprintf(reply, sizeof(reply), "accepted");
		else
			snprintf(reply, sizeof(reply), "%s", x->errbuf[0] !=
			    '\0' ? x->errbuf : curl_easy_strerror(rc));
		sever(x->easy);
		cb = x->cb;
		arg = x->arg;
		xfer_free(x);	/* msg is not read after this */
		cb(arg, rc == CURLE_OK, code, reply);
	}
}

struct mail *
mail_new(struct ev_loop *loop, unsigned max)
{
	struct mail *m;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->multi = curl_multi_init()) == NULL) {
		log_warnx("libcurl: cannot create a multi handle");
		free(m);
		return NULL;
	}
	m->loop = loop;
	m->max = max > 0 ? max : 1;
	ev_timer_init(&m->timer, timer_cb, 0., 0.);
	m->timer.data = m;
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	return m;
}

void
mail_free(struct mail *m)
{
	struct sock *k;

	if (m == NULL)
		return;
	m->closing = 1;
	/* what curl waits on, shut: removing a transfer must not wait */
	for (k = m->socks; k != NULL; k = k->next)
		(void)shutdown(k->io.fd, SHUT_RDWR);
	while (m->xfers != NULL)
		xfer_free(m->xfers);	/* abandoned: no callback */
	curl_multi_cleanup(m->multi);
	/* sockets curl did not say REMOVE for */
	while ((k = m->socks) != NULL) {
		ev_io_stop(m->loop, &k->io);
		m->socks = k->next;
		free(k);
	}
	ev_timer_stop(m->loop, &m->timer);
	free(m);
}

int
mail_send(struct mail *m, const struct mail_msg *msg, mail_cb *cb, void *arg)
{
	char addr[300];
	struct xfer *x;
	CURL *c;

	if (m->n >= m->max || m->closing)
		return -1;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -1;
	x->m = m;
	x->cb = cb;
	x->arg = arg;
	snprintf(addr, sizeof(addr), "<%s>", msg->to);
	if ((x->text = strdup(msg->text)) == NULL ||
	    (x->rcpt = curl_slist_append(NULL, addr)) == NULL ||
	    (x->easy = c = curl_easy_init()) == NULL)
		goto fail;
	x->len = strlen(x->text);
	/* curl copies the string options; rcpt and text must live */
	snprintf(addr, sizeof(addr), "<%s>", msg->from);
	curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)x);
	curl_easy_setopt(c, CURLOPT_URL, msg->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/*
	 * Not CURLOPT_FORBID_REUSE: curl would close the connection inside
	 * the transfer's last step, waiting for QUIT's reply; finished()
	 * shuts it instead, and curl drops it from its cache as dead.
	 */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, msg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, msg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, x->rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, x);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->len);
	curl_easy_setopt(c, CURLOPT_USE_SSL,
	    msg->tls == MAIL_TLS_REQUIRED ? (long)CURLUSESSL_ALL :
	    msg->tls == MAIL_TLS_TRY ? (long)CURLUSESSL_TRY :
	    (long)CURLUSESSL_NONE);
	if (msg->user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, msg->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, msg->password != NULL ?
		    msg->password : "");
	}
	if (curl_multi_add_handle(m->multi, c) != CURLM_OK)
		goto fail;
	if ((x->next = m->xfers) != NULL)
		x->next->prevp = &x->next;
	x->prevp = &m->xfers;
	m->xfers = x;
	m->n++;
	return 0;
fail:
	xfer_free(x);
	return -1;
}

unsigned
mail_inflight(const struct mail *m)
{
	return m != NULL ? m->n : 0;
}

int
mail_full(const struct mail *m)
{
	return m == NULL || m->n >= m->max;
}
