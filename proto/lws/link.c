/*
 * link: one client link of kairan.v1 (see include/kairan/link.h for the
 * state machine and the owner's callbacks). All of it runs on the owner's
 * event loop, inside lws callbacks or lws_sul timers.
 *
 * LWS-NOTES.md trap 6: in a few percent of refused connects lws 4.1.6 frees
 * the client wsi with neither CONNECTION_ERROR nor CLOSED, so
 * LWS_CALLBACK_WSI_DESTROY (which lws delivers to protocols[0], whose
 * callback hands it here) is treated as the final "gone" too; link_gone()
 * is idempotent, so whichever of the three comes first wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "kairan/conf.h"
#include "kairan/conn.h"
#include "kairan/frame.h"
#include "kairan/identity.h"
#include "kairan/link.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/tlsresume.h"

#define LINK_MAGIC	0x6b6c6e6bU	/* "klnk" */

/* Idle keepalive: ping after 30 s of silence, hang up after 70 s. */
static const lws_retry_bo_t link_idle_policy = {
	.secs_since_valid_ping = 30,
	.secs_since_valid_hangup = 70,
};

static void	link_gone(struct link *, struct lws *, const char *);
static void	link_connect(struct link *);

/* Monotonic milliseconds: the watchdog must not jump with the clock. */
static int64_t
link_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
link_url_parse(const char *url, struct link_url *u, char *err, size_t errlen)
{
	/* the one url parser (conf.h), shared with both configurations */
	return conf_url(url, u->host, sizeof(u->host), &u->port, u->path,
	    sizeof(u->path), err, errlen);
}

void
link_config_defaults(struct link_config *c)
{
	memset(c, 0, sizeof(*c));
	c->what = "link";
	c->max_frame = KAIRAN_MAX_FRAME;
	c->window = LINK_WINDOW;
	c->max_ctl = LINK_MAX_CTL;
	c->backoff_min_ms = LINK_BACKOFF_MIN_MS;
	c->backoff_max_ms = LINK_BACKOFF_MAX_MS;
	c->hello_timeout_ms = LINK_HELLO_TIMEOUT_MS;
	c->stall_ms = LINK_STALL_MS;
	c->rewind_ms = LINK_REWIND_MS;
}

const char *
link_state_name(enum link_state s)
{
	switch (s) {
	case LINK_IDLE:
		return "idle";
	case LINK_CONNECTING:
		return "connecting";
	case LINK_HELLO:
		return "hello";
	case LINK_READY:
		return "ready";
	case LINK_BACKOFF:
		return "backoff";
	case LINK_STOPPED:
		return "stopped";
	default:
		fatalx("%s: state %d", __func__, (int)s);
	}
}

int
link_edge_ok(enum link_state old, enum link_state new)
{
	if (old == new)
		return 1;
	switch (new) {
	case LINK_IDLE:
		return 0;	/* only link_init starts there */
	case LINK_CONNECTING:
		return old == LINK_IDLE || old == LINK_BACKOFF;
	case LINK_HELLO:
		return old == LINK_CONNECTING;
	case LINK_READY:
		return old == LINK_HELLO;
	case LINK_BACKOFF:
		return old == LINK_CONNECTING || old == LINK_HELLO ||
		    old == LINK_READY;
	case LINK_STOPPED:
		return 1;
	default:
		fatalx("%s: state %d", __func__, (int)new);
	}
}

/* The one place a link changes state, along the edges of link.h. */
static void
link_transition(struct link *l, enum link_state new)
{
	enum link_state old = l->state;

	if (old == new)
		return;
	if (!link_edge_ok(old, new))
		fatalx("%s: %s=%s %s -> %s", __func__, l->cfg.what,
		    l->cfg.name, link_state_name(old), link_state_name(new));
	l->state = new;
	log_info("%s=%s %s -> %s", l->cfg.what, l->cfg.name,
	    link_state_name(old), link_state_name(new));
}

uint32_t
link_backoff_step(uint32_t *backoff_ms, uint32_t max_ms)
{
	uint32_t b = *backoff_ms, delay;

	if (b == 0)
		b = 1;
	if (b > max_ms)
		b = max_ms;
	delay = b / 2 + arc4random_uniform(b - b / 2 + 1);
	*backoff_ms = b > max_ms / 2 ? max_ms : b * 2;
	return delay;
}

int
link_stall_due(int full, int64_t last_rx_ms, int64_t now_ms,
    uint32_t stall_ms, int64_t *wait_ms)
{
	int64_t left;

	*wait_ms = -1;
	if (!full || stall_ms == 0)
		return 0;
	left = last_rx_ms + (int64_t)stall_ms - now_ms;
	if (left <= 0)
		return 1;
	*wait_ms = left;
	return 0;
}

void
link_init(struct link *l, const struct link_config *cfg,
    struct lws_context *context, const struct link_ops *ops, void *arg)
{
	memset(l, 0, sizeof(*l));
	l->magic = LINK_MAGIC;
	l->cfg = *cfg;
	if (l->cfg.what == NULL)
		l->cfg.what = "link";
	l->context = context;
	l->ops = ops;
	l->arg = arg;
	l->state = LINK_IDLE;
	l->backoff_ms = cfg->backoff_min_ms;
	conn_flight_init(&l->flight, cfg->window);
}

struct link *
link_of_wsi(struct lws *wsi)
{
	struct link *l;

	if (wsi == NULL || (l = lws_get_opaque_user_data(wsi)) == NULL)
		return NULL;
	return l->magic == LINK_MAGIC ? l : NULL;
}

/* Forgets everything about the current connection. */
static void
link_reset_conn(struct link *l)
{
	l->wsi = NULL;
	conn_rx_free(&l->rx);
	conn_ctl_clear(&l->ctl);
	conn_flight_clear(&l->flight);
	l->rewind_seq = 0;
	l->down_why[0] = '\0';
	memset(&l->peer, 0, sizeof(l->peer));
	lws_sul_cancel(&l->sul_rewind);
	lws_sul_cancel(&l->sul_hello);
	lws_sul_cancel(&l->sul_stall);
}

void
link_cleanup(struct link *l)
{
	link_reset_conn(l);
	conn_flight_free(&l->flight);
}

/* Closes the current connection from outside its callbacks (a timer). */
void
link_close(struct link *l, const char *why)
{
	if (l->wsi == NULL)
		return;
	if (why != l->down_why)
		snprintf(l->down_why, sizeof(l->down_why), "%s", why);
	log_warnx("%s=%s closing: %s", l->cfg.what, l->cfg.name,
	    log_str(l->down_why));
	lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static int
link_wire(const struct link *l)
{
	return l->ops->established != NULL;
}

static void
link_retry_cb(lws_sorted_usec_list_t *sul)
{
	struct link *l = lws_container_of(sul, struct link, sul_retry);

	if (l->state != LINK_BACKOFF)
		return;
	link_connect(l);
}

static void
link_rewind_cb(lws_sorted_usec_list_t *sul)
{
	struct link *l = lws_container_of(sul, struct link, sul_rewind);

	if (l->rewind_seq > 0)
		conn_flight_rewind(&l->flight, l->rewind_seq);
	l->rewind_seq = 0;
	link_kick(l, 0);
}

static void
link_hello_cb(lws_sorted_usec_list_t *sul)
{
	struct link *l = lws_container_of(sul, struct link, sul_hello);

	if (l->state != LINK_HELLO)
		return;
	/* A peer that never says Hello is dropped and retried. */
	snprintf(l->down_why, sizeof(l->down_why), "no Hello from the peer "
	    "within %u ms", l->cfg.hello_timeout_ms);
	link_close(l, l->down_why);
}

static void
link_stall_cb(lws_sorted_usec_list_t *sul)
{
	struct link *l = lws_container_of(sul, struct link, sul_stall);
	int64_t wait;

	if (l->state != LINK_READY)
		return;
	if (link_stall_due(conn_flight_full(&l->flight), l->last_rx_ms,
	    link_mono_ms(), l->cfg.stall_ms, &wait)) {
		snprintf(l->down_why, sizeof(l->down_why), "stalled: %u "
		    "envelopes in flight and nothing from the peer for %u ms",
		    l->flight.n, l->cfg.stall_ms);
		link_close(l, l->down_why);
		return;
	}
	if (wait > 0)
		lws_sul_schedule(l->context, 0, &l->sul_stall, link_stall_cb,
		    (lws_usec_t)wait * LWS_US_PER_MS);
}

/* The window just filled: watch it, unless a watch is already set. */
static void
link_stall_arm(struct link *l)
{
	int64_t wait;

	if (l->cfg.stall_ms == 0 || !lws_dll2_is_detached(&l->sul_stall.list))
		return;
	(void)link_stall_due(1, l->last_rx_ms, link_mono_ms(),
	    l->cfg.stall_ms, &wait);
	if (wait < 1)
		wait = 1;
	lws_sul_schedule(l->context, 0, &l->sul_stall, link_stall_cb,
	    (lws_usec_t)wait * LWS_US_PER_MS);
}

int
link_queue(struct link *l, uint8_t *buf, size_t len)
{
	conn_ctl_push(&l->ctl, buf, len);
	/*
	 * A peer sends at most its window of envelopes before it reads our
	 * answers; one that leaves max_ctl of them unread is not reading,
	 * and the connection is given up rather than buffered without end.
	 * (Pausing our reading from inside RECEIVE would risk lws 4.1.6's
	 * spin: see relay/deliver.c.)
	 */
	if (l->ctl.n >= l->cfg.max_ctl) {
		snprintf(l->down_why, sizeof(l->down_why), "the peer does not "
		    "read its answers (%u queued)", l->cfg.max_ctl);
		log_warnx("%s=%s closing: %s", l->cfg.what, l->cfg.name,
		    log_str(l->down_why));
		return -1;
	}
	if (l->wsi != NULL)
		lws_callback_on_writable(l->wsi);
	return 0;
}

int
link_queue_gen(struct link *l, uint64_t gen, uint8_t *buf, size_t len)
{
	if (gen != l->gen || l->wsi == NULL ||
	    (l->state != LINK_HELLO && l->state != LINK_READY)) {
		free(buf);
		return 0;
	}
	return link_queue(l, buf, len);
}

void
link_rx_flow(struct link *l, int allow)
{
	if (l->wsi != NULL && l->state == LINK_READY)
		lws_rx_flow_control(l->wsi, allow ? 1 : 0);
}

static void
link_connect(struct link *l)
{
	struct lws_client_connect_info i;
	struct lws *wsi;

	memset(&i, 0, sizeof(i));
	i.context = l->context;
	i.vhost = l->cfg.vhost;
	i.address = l->cfg.at.host;
	i.port = l->cfg.at.port;
	i.path = l->cfg.at.path;
	/* host: the Host header and the name the peer's certificate must carry */
	i.host = l->cfg.at.host;
	i.origin = l->cfg.at.host;
	i.ssl_connection = LCCSCF_USE_SSL;
	i.protocol = KAIRAN_PROTOCOL;
	i.local_protocol_name = KAIRAN_PROTOCOL;
	/* WebSocket over HTTP/1.1 only: never let ALPN pick h2. */
	i.alpn = "http/1.1";
	i.opaque_user_data = l;
	i.retry_and_idle_policy = l->cfg.idle_policy != NULL ?
	    l->cfg.idle_policy : &link_idle_policy;

	link_reset_conn(l);
	l->gen++;
	link_transition(l, LINK_CONNECTING);
	log_debug("%s=%s connecting url=%s", l->cfg.what, l->cfg.name,
	    l->cfg.url != NULL ? l->cfg.url : "-");
	wsi = lws_client_connect_via_info(&i);
	/* A synchronous failure may already have called link_gone(). */
	if (l->state != LINK_CONNECTING)
		return;
	if (wsi == NULL)
		link_gone(l, NULL, "connect failed");
	else
		l->wsi = wsi;
}

void
link_start(struct link *l)
{
	if (l->state != LINK_IDLE)
		return;
	link_connect(l);
}

void
link_drain(struct link *l)
{
	l->draining = 1;
	lws_sul_cancel(&l->sul_retry);
	switch (l->state) {
	case LINK_CONNECTING:
	case LINK_HELLO:
	case LINK_READY:
		break;		/* link_gone ends it */
	case LINK_IDLE:
	case LINK_BACKOFF:
	case LINK_STOPPED:
		link_transition(l, LINK_STOPPED);
		break;
	default:
		fatalx("%s: state %d", __func__, (int)l->state);
	}
}

void
link_stop(struct link *l)
{
	lws_sul_cancel(&l->sul_retry);
	if (l->wsi != NULL) {
		/* Its last callbacks are not ours any more: the link may go. */
		lws_set_opaque_user_data(l->wsi, NULL);
		lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	}
	link_reset_conn(l);
	link_transition(l, LINK_STOPPED);
}

/*
 * The connection wsi ended (error, close or destroy; whichever comes
 * first). Tells the owner why and schedules the reconnect with
 * exponential backoff and jitter.
 */
static void
link_gone(struct link *l, struct lws *wsi, const char *why)
{
	char reason[sizeof(l->down_why)];
	uint32_t delay;

	if (l->wsi != NULL && wsi != NULL && l->wsi != wsi)
		return;		/* a stale wsi of an earlier connection */
	switch (l->state) {
	case LINK_CONNECTING:
	case LINK_HELLO:
	case LINK_READY:
		break;
	case LINK_IDLE:
	case LINK_BACKOFF:
	case LINK_STOPPED:
		if (l->wsi == wsi)
			l->wsi = NULL;
		return;
	default:
		fatalx("%s: state %d", __func__, (int)l->state);
	}
	/* the specific reason, if one was noted, over the generic one */
	snprintf(reason, sizeof(reason), "%s", l->down_why[0] != '\0' ?
	    l->down_why : why);
	link_reset_conn(l);
	if (l->draining) {
		link_transition(l, LINK_STOPPED);
		if (l->ops->down != NULL)
			l->ops->down(l->arg, l, reason);
		log_info("%s=%s down reason=%s (stopping)", l->cfg.what,
		    l->cfg.name, log_str(reason));
		return;
	}
	delay = link_backoff_step(&l->backoff_ms, l->cfg.backoff_max_ms);
	link_transition(l, LINK_BACKOFF);
	if (l->ops->down != NULL)
		l->ops->down(l->arg, l, reason);
	/* the owner may have stopped the link from its down callback */
	if (l->state != LINK_BACKOFF) {
		log_info("%s=%s down reason=%s (stopping)", l->cfg.what,
		    l->cfg.name, log_str(reason));
		return;
	}
	log_info("%s=%s down reason=%s retry_ms=%u", l->cfg.what,
	    l->cfg.name, log_str(reason), delay);
	lws_sul_schedule(l->context, 0, &l->sul_retry, link_retry_cb,
	    (lws_usec_t)delay * LWS_US_PER_MS);
}

void
link_kick(struct link *l, int rewind)
{
	if (l->state != LINK_READY || l->wsi == NULL)
		return;
	if (rewind)
		conn_flight_rewind(&l->flight, 1);	/* the queue's start */
	lws_callback_on_writable(l->wsi);
}

static int
link_write(struct link *l, struct lws *wsi, uint8_t *buf, size_t len)
{
	int n;

	n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_BINARY);
	if (n < 0 || (size_t)n < len) {
		snprintf(l->down_why, sizeof(l->down_why), "write failed");
		log_warnx("%s=%s write failed", l->cfg.what, l->cfg.name);
		return -1;
	}
	return 0;
}

/* One frame per WRITEABLE: answers first, then the owner's next envelope. */
static int
link_writeable(struct link *l, struct lws *wsi)
{
	struct conn_frame *b;
	uint8_t id[KAIRAN_ID_LEN], *env = NULL, *buf = NULL;
	char hex[KAIRAN_ID_HEXLEN + 1];
	size_t envlen = 0, len;
	int64_t seq = 0;
	int rc;

	if ((b = conn_ctl_pop(&l->ctl)) != NULL) {
		rc = link_write(l, wsi, b->buf, b->len);
		conn_frame_free(b);
		if (rc == -1)
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (l->state != LINK_READY || conn_flight_full(&l->flight) ||
	    l->ops->next == NULL)
		return 0;
	rc = l->ops->next(l->arg, l, &l->flight, id, &seq, &env, &envlen);
	if (rc != 1) {
		free(env);
		return 0;	/* nothing, or retried at the next kick */
	}
	rc = frame_encode_envelope(env, envlen, LWS_PRE, &buf, &len);
	free(env);
	if (rc == -1) {
		log_warnx("%s=%s out of memory", l->cfg.what, l->cfg.name);
		return 0;
	}
	rc = link_write(l, wsi, buf, len);
	free(buf);
	if (rc == -1)
		return -1;
	if (conn_flight_add(&l->flight, seq, id, 0) == -1)
		fatalx("%s: window full or id already in flight", __func__);
	l->sent++;
	message_hex(id, KAIRAN_ID_LEN, hex);
	log_debug("%s=%s sent id=%s seq=%lld", l->cfg.what, l->cfg.name, hex,
	    (long long)seq);
	if (conn_flight_full(&l->flight))
		link_stall_arm(l);
	lws_callback_on_writable(wsi);
	return 0;
}

/* After the TLS and WebSocket handshakes: is it the peer we want? */
static int
link_established(struct link *l, struct lws *wsi)
{
	SSL *ssl;
	char err[256];
	uint8_t *buf;
	size_t len;

	l->wsi = wsi;
	if (link_wire(l)) {
		link_transition(l, LINK_HELLO);
		l->last_rx_ms = link_mono_ms();
		lws_sul_schedule(l->context, 0, &l->sul_hello, link_hello_cb,
		    (lws_usec_t)l->cfg.hello_timeout_ms * LWS_US_PER_MS);
		if (l->ops->established(l->arg, l, wsi) == -1) {
			if (l->down_why[0] == '\0')
				snprintf(l->down_why, sizeof(l->down_why),
				    "peer refused");
			return -1;
		}
		return 0;
	}
	if ((ssl = lws_get_ssl(wsi)) == NULL) {
		snprintf(l->down_why, sizeof(l->down_why), "not a TLS "
		    "connection");
		log_warnx("%s=%s refused: not a TLS connection", l->cfg.what,
		    l->cfg.name);
		return -1;
	}
	if (identity_from_ssl(ssl, &l->peer, err, sizeof(err)) == -1) {
		/* a resumed session that fails its checks is not offered again */
		tlsresume_forget(ssl);
		log_warnx("%s=%s refused peer: detail=%s", l->cfg.what,
		    l->cfg.name, log_str(err));
		snprintf(l->down_why, sizeof(l->down_why),
		    "peer refused: %.140s", err);
		return -1;
	}
	if (l->ops->check_peer != NULL &&
	    l->ops->check_peer(l->arg, l, &l->peer, err, sizeof(err)) == -1) {
		log_warnx("%s=%s refused: %s", l->cfg.what, l->cfg.name,
		    log_str(err));
		snprintf(l->down_why, sizeof(l->down_why), "%.150s", err);
		return -1;
	}
	link_transition(l, LINK_HELLO);
	if (frame_encode_hello(l->cfg.self, l->cfg.software, l->cfg.features,
	    LWS_PRE, &buf, &len) == -1 || link_queue(l, buf, len) == -1) {
		log_warnx("%s=%s out of memory", l->cfg.what, l->cfg.name);
		return -1;
	}
	l->last_rx_ms = link_mono_ms();
	lws_sul_schedule(l->context, 0, &l->sul_hello, link_hello_cb,
	    (lws_usec_t)l->cfg.hello_timeout_ms * LWS_US_PER_MS);
	return 0;
}

/* The peer's Hello: READY if it is the certificate's entity. */
static int
link_hello(struct link *l, const Frame *f)
{
	if (l->state != LINK_HELLO) {
		log_warnx("%s=%s second hello from peer=%s", l->cfg.what,
		    l->cfg.name, l->peer.entity);
		snprintf(l->down_why, sizeof(l->down_why), "second hello "
		    "from %s", l->peer.entity);
		return -1;
	}
	if (strcmp(f->hello->entity, l->peer.entity) != 0 ||
	    f->hello->version != KAIRAN_PROTOCOL_VERSION) {
		log_warnx("%s=%s bad hello: entity=%s version=%u "
		    "certificate=%s", l->cfg.what, l->cfg.name,
		    log_str(f->hello->entity), f->hello->version,
		    l->peer.entity);
		snprintf(l->down_why, sizeof(l->down_why), "bad hello from "
		    "%s", l->peer.entity);
		return -1;
	}
	link_ready(l);
	return 0;
}

void
link_ready(struct link *l)
{
	if (l->state != LINK_HELLO)
		return;
	lws_sul_cancel(&l->sul_hello);
	link_transition(l, LINK_READY);
	/* the peer talks: the next outage starts from the shortest delay */
	l->backoff_ms = l->cfg.backoff_min_ms;
	if (l->ops->up != NULL)
		l->ops->up(l->arg, l);
	/* at once, whatever is unanswered, from the queue's start */
	if (!link_wire(l))
		link_kick(l, 1);
}

/*
 * A Refused took id out of the window (was: it was in flight, at seq).
 * OVERLOADED, the only retryable reason, sends it again a bit later, and
 * returns 1; 0 for a final refusal.
 */
static int
link_refused(struct link *l, const Frame *f, int64_t seq, int was)
{
	if (f->refused->reason != KAIRAN__V1__REFUSED__REASON__OVERLOADED)
		return 0;
	/* The only retryable reason: send again a bit later. */
	if (!was)
		seq = 1;
	if (l->rewind_seq == 0 || seq < l->rewind_seq)
		l->rewind_seq = seq;
	lws_sul_schedule(l->context, 0, &l->sul_rewind, link_rewind_cb,
	    (lws_usec_t)l->cfg.rewind_ms * LWS_US_PER_MS);
	return 1;
}

static int
link_frame(struct link *l, struct lws *wsi, const uint8_t *in, size_t len)
{
	Frame *f;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	int64_t seq = 0;
	int reason = 0, rc = 0, was;

	if ((f = frame_decode(in, len, l->cfg.max_frame, &reason, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s=%s bad frame from peer=%s detail=%s",
		    l->cfg.what, l->cfg.name, l->peer.entity, log_str(err));
		snprintf(l->down_why, sizeof(l->down_why), "bad frame from "
		    "%s", l->peer.entity);
		return -1;
	}
	l->last_rx_ms = link_mono_ms();
	if (f->kind_case == KAIRAN__V1__FRAME__KIND_HELLO) {
		rc = link_hello(l, f);
		goto done;
	}
	if (l->state != LINK_READY) {
		log_warnx("%s=%s frame before hello from peer=%s",
		    l->cfg.what, l->cfg.name, l->peer.entity);
		snprintf(l->down_why, sizeof(l->down_why), "frame before "
		    "hello from %s", l->peer.entity);
		rc = -1;
		goto done;
	}
	switch (f->kind_case) {
	case KAIRAN__V1__FRAME__KIND_ENVELOPE:
		break;
	case KAIRAN__V1__FRAME__KIND_ACCEPTED:
		conn_flight_remove(&l->flight, f->accepted->id.data, NULL);
		l->accepted++;
		lws_callback_on_writable(wsi);
		break;
	case KAIRAN__V1__FRAME__KIND_REFUSED:
		if (f->refused->id.len == KAIRAN_ID_LEN)
			message_hex(f->refused->id.data, KAIRAN_ID_LEN, hex);
		else
			snprintf(hex, sizeof(hex), "-");
		log_warnx("%s=%s refused id=%s reason=%s detail=%s",
		    l->cfg.what, l->cfg.name, hex,
		    frame_reason_name(f->refused->reason),
		    log_str(f->refused->detail));
		if (f->refused->id.len != KAIRAN_ID_LEN)
			goto done;
		was = conn_flight_remove(&l->flight, f->refused->id.data,
		    &seq);
		l->refused++;
		if (!link_refused(l, f, seq, was))
			lws_callback_on_writable(wsi);
		break;
	default:
		log_warnx("%s=%s frame of unknown kind %d", l->cfg.what,
		    l->cfg.name, (int)f->kind_case);
		snprintf(l->down_why, sizeof(l->down_why), "frame of unknown "
		    "kind %d", (int)f->kind_case);
		rc = -1;
		goto done;
	}
	if (l->ops->frame != NULL && l->ops->frame(l->arg, l, f) == -1)
		rc = -1;
done:
	frame_free(f);
	return rc;
}

/*
 * Reassembles one WebSocket message, bounded before parsing: by
 * LINK_HELLO_FRAME_MAX until the peer's Hello, by max_frame after.
 */
static int
link_receive(struct link *l, struct lws *wsi, const uint8_t *in, size_t len)
{
	size_t max;
	int rc;

	if (l->state != LINK_HELLO && l->state != LINK_READY)
		return -1;
	if (link_wire(l)) {
		l->last_rx_ms = link_mono_ms();
		return l->ops->receive(l->arg, l, wsi, in, len);
	}
	if (!lws_frame_is_binary(wsi)) {
		log_warnx("%s=%s text message from peer: protocol error",
		    l->cfg.what, l->cfg.name);
		snprintf(l->down_why, sizeof(l->down_why), "text message from "
		    "the peer");
		return -1;
	}
	max = l->state == LINK_HELLO && LINK_HELLO_FRAME_MAX < l->cfg.max_frame
	    ? LINK_HELLO_FRAME_MAX : l->cfg.max_frame;
	if (conn_rx_append(&l->rx, in, len, max) == -1) {
		log_warnx("%s=%s frame over limit max_frame=%zu%s",
		    l->cfg.what, l->cfg.name, max,
		    l->state == LINK_HELLO ? " for a Hello" : "");
		snprintf(l->down_why, sizeof(l->down_why), "frame over limit "
		    "%zu bytes%s", max, l->state == LINK_HELLO ?
		    " for a Hello" : "");
		return -1;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	rc = link_frame(l, wsi, l->rx.buf, l->rx.len);
	conn_rx_reset(&l->rx);
	return rc;
}

/* The peer's certificate failed verification (x: OpenSSL's context). */
static void
link_cert_refused(struct link *l, X509_STORE_CTX *x)
{
	char subject[256] = "-";
	X509 *cert;
	int e = X509_STORE_CTX_get_error(x);

	if ((cert = X509_STORE_CTX_get_current_cert(x)) != NULL)
		X509_NAME_oneline(X509_get_subject_name(cert), subject,
		    sizeof(subject));
	log_warnx("%s=%s peer refused url=%s reason=\"certificate %s\" "
	    "depth=%d subject=%s", l->cfg.what, l->cfg.name,
	    l->cfg.url != NULL ? l->cfg.url : "-",
	    X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(x),
	    log_str(subject));
	snprintf(l->down_why, sizeof(l->down_why), "peer certificate: %s",
	    X509_verify_cert_error_string(e));
}

void
link_note(struct link *l, const char *why)
{
	if (l->down_why[0] == '\0')
		snprintf(l->down_why, sizeof(l->down_why), "%s", why);
}

int
link_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct link *l;

	if ((l = link_of_wsi(wsi)) == NULL)
		return lws_callback_http_dummy(wsi, reason, user, in, len);

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		/*
		 * OpenSSL's verdict on the peer's chain and host name: lws
		 * would end the connection with "connect SSL err 1" and no
		 * word of why; say it, and make it the link's reason.
		 */
		if (len == 0 && user != NULL)
			link_cert_refused(l, user);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		/* lws's text may quote what the peer sent (an HTTP status) */
		log_warnx("%s=%s connect failed url=%s error=%s",
		    l->cfg.what, l->cfg.name,
		    l->cfg.url != NULL ? l->cfg.url : "-",
		    log_str(in != NULL ? (const char *)in : ""));
		if (l->down_why[0] == '\0')
			snprintf(l->down_why, sizeof(l->down_why),
			    "connect failed: %.140s",
			    in != NULL ? (const char *)in : "");
		link_gone(l, wsi, "connect failed");
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (l->state != LINK_CONNECTING)
			return -1;
		return link_established(l, wsi);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (l->wsi != wsi)
			return -1;
		return link_receive(l, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (l->wsi != wsi)
			return 0;
		if (link_wire(l))
			return l->state == LINK_HELLO || l->state ==
			    LINK_READY ? l->ops->writeable(l->arg, l, wsi) : 0;
		return link_writeable(l, wsi);
	case LWS_CALLBACK_CLIENT_CLOSED:
		link_gone(l, wsi, "closed");
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		link_gone(l, wsi, "connection destroyed");
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
