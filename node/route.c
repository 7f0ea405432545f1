/*
 * route: one lws client connection per configured route (see route.h for
 * the state machine). All of it runs on the daemon's event loop, inside
 * lws callbacks or lws_sul timers.
 *
 * LWS-NOTES.md trap 6: in a few percent of refused connects lws 4.1.6 frees
 * the client wsi with neither CONNECTION_ERROR nor CLOSED, so
 * LWS_CALLBACK_WSI_DESTROY (which lws delivers to protocols[0], i.e. us) is
 * treated as the final "gone" too; route_gone() is idempotent, so whichever
 * of the three comes first wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "kairan/frame.h"
#include "kairan/identity.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "daemon.h"
#include "route.h"
#include "store.h"

#define ROUTE_REWIND_US		(2 * LWS_US_PER_SEC)	/* after OVERLOADED */

/* Idle keepalive: ping after 30 s of silence, hang up after 70 s. */
static const lws_retry_bo_t route_idle_policy = {
	.secs_since_valid_ping = 30,
	.secs_since_valid_hangup = 70,
};

static void	route_gone(struct route *, struct lws *, const char *);
static void	route_connect(struct route *);

const char *
route_state_name(enum route_state s)
{
	switch (s) {
	case ROUTE_IDLE:
		return "idle";
	case ROUTE_CONNECTING:
		return "connecting";
	case ROUTE_HELLO:
		return "hello";
	case ROUTE_READY:
		return "ready";
	case ROUTE_BACKOFF:
		return "backoff";
	case ROUTE_STOPPED:
		return "stopped";
	default:
		fatalx("%s: state %d", __func__, (int)s);
	}
}

/*
 * The one place a route changes state, along the edges of route.h:
 * idle -> connecting -> hello -> ready, any of those three -> backoff ->
 * connecting, and anything -> stopped.
 */
static void
route_transition(struct route *r, enum route_state new)
{
	enum route_state old = r->state;
	int ok = 0;

	if (old == new)
		return;
	switch (new) {
	case ROUTE_IDLE:
		break;		/* only route_init starts there */
	case ROUTE_CONNECTING:
		ok = old == ROUTE_IDLE || old == ROUTE_BACKOFF;
		break;
	case ROUTE_HELLO:
		ok = old == ROUTE_CONNECTING;
		break;
	case ROUTE_READY:
		ok = old == ROUTE_HELLO;
		break;
	case ROUTE_BACKOFF:
		ok = old == ROUTE_CONNECTING || old == ROUTE_HELLO ||
		    old == ROUTE_READY;
		break;
	case ROUTE_STOPPED:
		ok = 1;
		break;
	default:
		fatalx("%s: state %d", __func__, (int)new);
	}
	if (!ok)
		fatalx("%s: route=%s %s -> %s", __func__, r->name,
		    route_state_name(old), route_state_name(new));
	r->state = new;
	log_info("route=%s %s -> %s", r->name, route_state_name(old),
	    route_state_name(new));
}

void
route_init(struct route *r, struct daemon *d, const struct config_route *cfg)
{
	memset(r, 0, sizeof(*r));
	r->d = d;
	r->cfg = cfg;
	r->name = cfg->name;
	r->state = ROUTE_IDLE;
	r->backoff_ms = ROUTE_BACKOFF_MIN_MS;
	r->conn_up = -1;
	conn_flight_init(&r->flight, ROUTE_WINDOW);
}

/* Forgets everything about the current connection. */
static void
route_reset_conn(struct route *r)
{
	r->wsi = NULL;
	conn_rx_free(&r->rx);
	conn_ctl_clear(&r->ctl);
	r->hello_sent = 0;
	conn_flight_clear(&r->flight);
	r->down_why[0] = '\0';
	memset(&r->peer, 0, sizeof(r->peer));
	lws_sul_cancel(&r->sul_rewind);
}

void
route_cleanup(struct route *r)
{
	route_reset_conn(r);
	conn_flight_free(&r->flight);
}

static void
route_retry_cb(lws_sorted_usec_list_t *sul)
{
	struct route *r = lws_container_of(sul, struct route, sul_retry);

	if (r->state != ROUTE_BACKOFF)
		return;
	route_connect(r);
}

static void
route_rewind_cb(lws_sorted_usec_list_t *sul)
{
	struct route *r = lws_container_of(sul, struct route, sul_rewind);

	route_kick(r, 1);
}

/*
 * Queues a frame (buffer with LWS_PRE headroom, taken over) to send.
 * A relay sends at most its window of deliveries before it reads our
 * answers; one that leaves ROUTE_MAX_CTL of them unread is not reading,
 * and the connection is given up (-1) rather than buffered without end.
 * (Pausing our reading from here, inside RECEIVE, would risk lws 4.1.6's
 * spin: see relay/deliver.c.)
 */
static int
route_queue(struct route *r, uint8_t *buf, size_t len)
{
	conn_ctl_push(&r->ctl, buf, len);
	if (r->ctl.n >= ROUTE_MAX_CTL) {
		snprintf(r->down_why, sizeof(r->down_why), "the relay does not "
		    "read its answers (%d queued)", ROUTE_MAX_CTL);
		log_warnx("route=%s closing: %s", r->name, r->down_why);
		return -1;
	}
	if (r->wsi != NULL)
		lws_callback_on_writable(r->wsi);
	return 0;
}

static void
route_connect(struct route *r)
{
	struct lws_client_connect_info i;
	struct lws *wsi;

	memset(&i, 0, sizeof(i));
	i.context = r->d->context;
	i.address = r->cfg->host;
	i.port = r->cfg->port;
	i.path = r->cfg->path;
	/* host: the Host header and the name the relay's certificate must carry */
	i.host = r->cfg->host;
	i.origin = r->cfg->host;
	i.ssl_connection = LCCSCF_USE_SSL;
	i.protocol = KAIRAN_PROTOCOL;
	i.local_protocol_name = KAIRAN_PROTOCOL;
	/* WebSocket over HTTP/1.1 only: never let ALPN pick h2. */
	i.alpn = "http/1.1";
	i.opaque_user_data = r;
	i.retry_and_idle_policy = &route_idle_policy;

	route_reset_conn(r);
	route_transition(r, ROUTE_CONNECTING);
	log_debug("route=%s connecting url=%s", r->name, r->cfg->url);
	wsi = lws_client_connect_via_info(&i);
	/* A synchronous failure may already have called route_gone(). */
	if (r->state != ROUTE_CONNECTING)
		return;
	if (wsi == NULL)
		route_gone(r, NULL, "connect failed");
	else
		r->wsi = wsi;
}

void
route_start(struct route *r)
{
	if (r->state != ROUTE_IDLE)
		return;
	daemon_route_conn(r->d, r, 0, "connecting");
	route_connect(r);
}

void
route_stop(struct route *r)
{
	lws_sul_cancel(&r->sul_retry);
	lws_sul_cancel(&r->sul_rewind);
	route_transition(r, ROUTE_STOPPED);
	/* lws_context_destroy() closes the connection itself. */
}

/*
 * The connection wsi ended (error, close or destroy; whichever comes
 * first). Schedules the reconnect with exponential backoff and jitter.
 */
static void
route_gone(struct route *r, struct lws *wsi, const char *why)
{
	char reason[sizeof(r->down_why)];
	uint32_t delay;

	if (r->wsi != NULL && wsi != NULL && r->wsi != wsi)
		return;		/* a stale wsi of an earlier connection */
	switch (r->state) {
	case ROUTE_CONNECTING:
	case ROUTE_HELLO:
	case ROUTE_READY:
		break;
	case ROUTE_IDLE:
	case ROUTE_BACKOFF:
	case ROUTE_STOPPED:
		if (r->wsi == wsi)
			r->wsi = NULL;
		return;
	default:
		fatalx("%s: state %d", __func__, (int)r->state);
	}
	/* the specific reason, if one was noted, over the generic one */
	snprintf(reason, sizeof(reason), "%s", r->down_why[0] != '\0' ?
	    r->down_why : why);
	route_reset_conn(r);
	if (r->d->stopping) {
		route_transition(r, ROUTE_STOPPED);
		return;
	}
	daemon_route_conn(r->d, r, 0, reason);
	/* Jitter: somewhere in [backoff/2, backoff], so that a relay restart does not bring every node back in the same millisecond. */
	delay = r->backoff_ms / 2 + arc4random_uniform(r->backoff_ms / 2 + 1);
	r->backoff_ms *= 2;
	if (r->backoff_ms > ROUTE_BACKOFF_MAX_MS)
		r->backoff_ms = ROUTE_BACKOFF_MAX_MS;
	route_transition(r, ROUTE_BACKOFF);
	log_info("route=%s down reason=%s retry_ms=%u", r->name,
	    log_str(reason), delay);
	lws_sul_schedule(r->d->context, 0, &r->sul_retry, route_retry_cb,
	    (lws_usec_t)delay * LWS_US_PER_MS);
}

void
route_kick(struct route *r, int rewind)
{
	if (r->state != ROUTE_READY || r->wsi == NULL)
		return;
	if (rewind)
		conn_flight_rewind(&r->flight, 1);	/* the outbox's start */
	lws_callback_on_writable(r->wsi);
}

/* ---- in flight ---- */

int
route_next_envelope(struct conn_flight *fl, struct store *st,
    const char *route, uint8_t id[KAIRAN_ID_LEN], int64_t *seq,
    uint8_t **env, size_t *envlen, char *err, size_t errlen)
{
	int rc;

	*env = NULL;
	if (conn_flight_full(fl))
		return 0;
	for (;;) {
		rc = store_outbox_next(st, route, fl->cursor, seq, id, env,
		    envlen, err, errlen);
		if (rc != 1)
			return rc;
		fl->cursor = *seq;
		if (!conn_flight_has(fl, id))
			return 1;
		free(*env);
		*env = NULL;
	}
}

static int
route_write(struct route *r, struct lws *wsi, uint8_t *buf, size_t len)
{
	int n;

	n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_BINARY);
	if (n < 0 || (size_t)n < len) {
		log_warnx("route=%s write failed", r->name);
		return -1;
	}
	return 0;
}

/* One frame per WRITEABLE: answers first, then the next outbox envelope. */
static int
route_writeable(struct route *r, struct lws *wsi)
{
	struct conn_frame *b;
	uint8_t id[KAIRAN_ID_LEN], *env = NULL, *buf = NULL;
	char err[256], hex[KAIRAN_ID_HEXLEN + 1];
	size_t envlen, len;
	int64_t seq;
	int rc;

	if ((b = conn_ctl_pop(&r->ctl)) != NULL) {
		rc = route_write(r, wsi, b->buf, b->len);
		conn_frame_free(b);
		if (rc == -1)
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (r->state != ROUTE_READY)
		return 0;
	rc = route_next_envelope(&r->flight, r->d->store, r->name, id, &seq,
	    &env,
	    &envlen, err, sizeof(err));
	if (rc == -1) {
		log_warnx("route=%s outbox read failed: %s", r->name, err);
		return 0;	/* the sweep tries again */
	}
	if (rc == 0)
		return 0;
	rc = frame_encode_envelope(env, envlen, LWS_PRE, &buf, &len);
	free(env);
	if (rc == -1) {
		log_warnx("route=%s out of memory", r->name);
		return 0;
	}
	rc = route_write(r, wsi, buf, len);
	free(buf);
	if (rc == -1)
		return -1;
	if (conn_flight_add(&r->flight, seq, id, 0) == -1)
		fatalx("%s: window full or id already in flight", __func__);
	r->sent++;
	message_hex(id, KAIRAN_ID_LEN, hex);
	log_debug("route=%s sent id=%s seq=%lld", r->name, hex,
	    (long long)seq);
	lws_callback_on_writable(wsi);
	return 0;
}

/* After the TLS and WebSocket handshakes: is it a relay of the federation? */
static int
route_established(struct route *r, struct lws *wsi)
{
	SSL *ssl;
	char err[256];
	uint8_t *buf;
	size_t len;
	char software[64];

	r->wsi = wsi;
	if ((ssl = lws_get_ssl(wsi)) == NULL) {
		log_warnx("route=%s refused: not a TLS connection", r->name);
		return -1;
	}
	if (identity_from_ssl(ssl, &r->peer, err, sizeof(err)) == -1) {
		log_warnx("route=%s refused relay: detail=%s", r->name,
		    log_str(err));
		snprintf(r->down_why, sizeof(r->down_why),
		    "relay refused: %.140s", err);
		return -1;
	}
	if (r->peer.role != ROLE_RELAY) {
		log_warnx("route=%s refused: peer %s has role %s, not relay",
		    r->name, r->peer.entity, identity_role_name(r->peer.role));
		snprintf(r->down_why, sizeof(r->down_why), "peer %s has role "
		    "%s, not relay", r->peer.entity,
		    identity_role_name(r->peer.role));
		return -1;
	}
	route_transition(r, ROUTE_HELLO);
	snprintf(software, sizeof(software), "kairan-node/%s", KAIRAN_VERSION);
	if (frame_encode_hello(signer_entity(r->d->signer), software, LWS_PRE,
	    &buf, &len) == -1 || route_queue(r, buf, len) == -1) {
		log_warnx("route=%s out of memory", r->name);
		return -1;
	}
	r->hello_sent = 1;
	/* A relay that never says Hello is dropped and retried. */
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_REASON_BASE + 1,
	    ROUTE_HELLO_TIMEOUT_S);
	return 0;
}

static int
route_frame(struct route *r, struct lws *wsi, const uint8_t *in, size_t len)
{
	Frame *f;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	uint8_t *ans = NULL;
	size_t anslen;
	int reason = 0, rc = 0;

	if ((f = frame_decode(in, len, r->d->cfg->max_frame, &reason, err,
	    sizeof(err))) == NULL) {
		log_warnx("route=%s bad frame from relay=%s detail=%s",
		    r->name, r->peer.entity, log_str(err));
		return -1;
	}
	switch (f->kind_case) {
	case KAIRAN__V1__FRAME__KIND_HELLO:
		if (r->state != ROUTE_HELLO) {
			log_warnx("route=%s second hello from relay=%s",
			    r->name, r->peer.entity);
			rc = -1;
			break;
		}
		if (strcmp(f->hello->entity, r->peer.entity) != 0 ||
		    f->hello->version != KAIRAN_PROTOCOL_VERSION) {
			log_warnx("route=%s bad hello: entity=%s version=%u "
			    "certificate=%s", r->name,
			    log_str(f->hello->entity), f->hello->version,
			    r->peer.entity);
			snprintf(r->down_why, sizeof(r->down_why), "bad hello "
			    "from relay %s", r->peer.entity);
			rc = -1;
			break;
		}
		lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
		route_transition(r, ROUTE_READY);
		daemon_route_conn(r->d, r, 1, NULL);
		r->backoff_ms = ROUTE_BACKOFF_MIN_MS;
		log_info("route=%s ready relay=%s url=%s unanswered=%lld",
		    r->name, r->peer.entity, r->cfg->url,
		    store_outbox_unanswered(r->d->store, r->name));
		route_kick(r, 1);
		break;
	case KAIRAN__V1__FRAME__KIND_ENVELOPE:
		if (r->state != ROUTE_READY) {
			log_warnx("route=%s envelope before hello", r->name);
			rc = -1;
			break;
		}
		if (daemon_envelope(r->d, r, f->envelope, &ans, &anslen) ==
		    -1) {
			rc = -1;
			break;
		}
		if (route_queue(r, ans, anslen) == -1)
			rc = -1;
		break;
	case KAIRAN__V1__FRAME__KIND_ACCEPTED:
		message_hex(f->accepted->id.data, f->accepted->id.len, hex);
		conn_flight_remove(&r->flight, f->accepted->id.data, NULL);
		r->accepted++;
		if (store_route_accepted(r->d->store, f->accepted->id.data,
		    r->name, message_now_ms(), err, sizeof(err)) == -1)
			log_warnx("route=%s store accepted id=%s: %s",
			    r->name, hex, err);
		else
			log_info("route=%s accepted id=%s", r->name, hex);
		lws_callback_on_writable(wsi);
		break;
	case KAIRAN__V1__FRAME__KIND_REFUSED:
		if (f->refused->id.len == KAIRAN_ID_LEN)
			message_hex(f->refused->id.data, KAIRAN_ID_LEN, hex);
		else
			snprintf(hex, sizeof(hex), "-");
		log_warnx("route=%s refused id=%s reason=%s detail=%s",
		    r->name, hex, frame_reason_name(f->refused->reason),
		    log_str(f->refused->detail));
		if (f->refused->id.len != KAIRAN_ID_LEN)
			break;
		conn_flight_remove(&r->flight, f->refused->id.data, NULL);
		r->refused++;
		if (f->refused->reason ==
		    KAIRAN__V1__REFUSED__REASON__OVERLOADED) {
			/* The only retryable reason: send again a bit later. */
			lws_sul_schedule(r->d->context, 0, &r->sul_rewind,
			    route_rewind_cb, ROUTE_REWIND_US);
			break;
		}
		if (store_route_refused(r->d->store, f->refused->id.data,
		    r->name, f->refused->reason, f->refused->detail,
		    message_now_ms(), err, sizeof(err)) == -1)
			log_warnx("route=%s store refused id=%s: %s", r->name,
			    hex, err);
		lws_callback_on_writable(wsi);
		break;
	default:
		log_warnx("route=%s frame of unknown kind %d", r->name,
		    (int)f->kind_case);
		rc = -1;
		break;
	}
	frame_free(f);
	return rc;
}

/* Reassembles one WebSocket message, bounded by max_frame before parsing. */
static int
route_receive(struct route *r, struct lws *wsi, const uint8_t *in, size_t len)
{
	size_t max = r->d->cfg->max_frame;
	int rc;

	if (r->state != ROUTE_HELLO && r->state != ROUTE_READY)
		return -1;
	if (!lws_frame_is_binary(wsi)) {
		log_warnx("route=%s text message from relay: protocol error",
		    r->name);
		return -1;
	}
	if (conn_rx_append(&r->rx, in, len, max) == -1) {
		log_warnx("route=%s frame over limit max_frame=%zu", r->name,
		    max);
		return -1;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	rc = route_frame(r, wsi, r->rx.buf, r->rx.len);
	conn_rx_reset(&r->rx);
	return rc;
}

int
route_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct route *r;
	struct daemon *d;

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
		d = lws_context_user(lws_get_context(wsi));
		if (d != NULL && user != NULL)
			daemon_client_ssl_ctx(d, user);
		return 0;
	default:
		break;
	}

	r = wsi != NULL ? lws_get_opaque_user_data(wsi) : NULL;
	if (r == NULL)
		return lws_callback_http_dummy(wsi, reason, user, in, len);

	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		/* lws's text may quote what the peer sent (an HTTP status) */
		log_warnx("route=%s connect failed url=%s error=%s",
		    r->name, r->cfg->url,
		    log_str(in != NULL ? (const char *)in : ""));
		if (r->down_why[0] == '\0')
			snprintf(r->down_why, sizeof(r->down_why),
			    "connect failed: %.140s",
			    in != NULL ? (const char *)in : "");
		route_gone(r, wsi, "connect failed");
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (r->state != ROUTE_CONNECTING)
			return -1;
		return route_established(r, wsi);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (r->wsi != wsi)
			return -1;
		return route_receive(r, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (r->wsi != wsi)
			return 0;
		return route_writeable(r, wsi);
	case LWS_CALLBACK_CLIENT_CLOSED:
		route_gone(r, wsi, "closed");
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		route_gone(r, wsi, "connection destroyed");
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
