/*
 * deliver: what a relay writes to a connected peer (see deliver.h): its
 * control frames first (Hello, Accepted, Refused), then its pending
 * deliveries from the store in acceptance order, at most `window` in
 * flight; and the back-pressure on a peer that does not read.
 */
#include <sys/ioctl.h>

#include <linux/sockios.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libwebsockets.h>

#include "kairan/conn.h"
#include "kairan/frame.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "deliver.h"
#include "relay.h"
#include "store.h"

void
deliver_wake(struct peer *p)
{
	if (p->wsi != NULL)
		lws_callback_on_writable(p->wsi);
}

/*
 * A peer that does not read its answers stops being read, once 4 x window
 * of them are queued. The pause is applied from deliver_pause_cb, outside lws's
 * service of the connection: lws 4.1.6 spins forever when its rx flow
 * control is switched off inside RECEIVE while OpenSSL still holds
 * decrypted bytes (it drains its buffer list, consumes nothing, sees
 * SSL_pending and starts over). Applied between two services, the pause
 * leaves nothing in that list, so the loop cannot form.
 */
void
deliver_maybe_pause(struct peer *p)
{
	struct server *s = p->srv;

	if (p->rx_paused || p->rx_pause_wanted ||
	    p->ctl.n < 4 * (size_t)s->cfg->window)
		return;
	p->rx_pause_wanted = 1;
	if (!ev_is_active(&s->pause_check))
		ev_check_start(s->loop, &s->pause_check);
}

void
deliver_pause_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct server *s = w->data;
	struct peer *p;

	(void)revents;
	ev_check_stop(loop, w);
	for (p = s->peers; p != NULL; p = p->next) {
		if (!p->rx_pause_wanted)
			continue;
		p->rx_pause_wanted = 0;
		if (p->wsi == NULL || p->rx_paused ||
		    p->ctl.n < 4 * (size_t)s->cfg->window)
			continue;
		p->rx_paused = 1;
		log_debug("peer paused entity=%s addr=%s queued=%zu",
		    p->who.entity, p->addr, p->ctl.n);
		lws_rx_flow_control(p->wsi, 0);
	}
}

/*
 * Queues Refused for id and, if final, closes the connection after writing
 * it (a peer that sends garbage or oversized frames is not worth reading
 * further). Logs why.
 */
void
deliver_refuse(struct peer *p, const uint8_t *id, size_t idlen, int reason,
    const char *detail, int close)
{
	uint8_t *buf;
	size_t len;
	char hex[KAIRAN_ID_HEXLEN + 1];

	idhex(id, idlen, hex);
	log_warnx("envelope refused entity=%s addr=%s id=%s reason=%s "
	    "detail=%s", p->who.entity[0] ? p->who.entity : "-", p->addr,
	    hex, frame_reason_name(reason), log_str(detail));
	if (frame_encode_refused(idlen == KAIRAN_ID_LEN ? id : NULL,
	    idlen == KAIRAN_ID_LEN ? idlen : 0, reason, detail, LWS_PRE, &buf,
	    &len) == -1)
		fatal("%s", __func__);
	conn_ctl_push(&p->ctl, buf, len);
	if (close)
		peer_transition(p, PEER_CLOSING);
	deliver_wake(p);
}

void
deliver_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	struct peer *p;

	(void)loop;
	(void)revents;
	for (p = s->peers; p != NULL; p = p->next)
		if (p->retry_pending) {
			p->retry_pending = 0;
			deliver_wake(p);
		}
}

/*
 * A node that holds its connection but does not answer a delivery gets it
 * again: whatever has been in flight for resend_after is written anew (the
 * node stores by id, so a late answer and a second copy do no harm).
 */
void
deliver_resend_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	struct peer *p;

	(void)revents;
	for (p = s->peers; p != NULL; p = p->next)
		if (p->state == PEER_READY &&
		    conn_flight_expire(&p->flight, ev_now(loop) -
		    s->cfg->resend_after_s)) {
			log_warnx("deliveries unanswered entity=%s addr=%s: "
			    "sending them again", p->who.entity, p->addr);
			deliver_wake(p);
		}
}

/*
 * Ends a connection with a close frame once its last answers are out:
 * 1008 (policy violation) for a refused peer, 1001 (going away) when the
 * relay stops. Reading resumes, so that the peer's close reply is seen
 * (RECEIVE ignores everything else from a closing peer); a socket closed
 * with unread input would be reset, and the peer could lose the answers
 * it has not read yet.
 */
static int
close_peer(struct peer *p)
{
	static unsigned char refused[] = "refused", stopping[] = "stopping";

	if (p->srv->stopping)
		lws_close_reason(p->wsi, LWS_CLOSE_STATUS_GOINGAWAY, stopping,
		    sizeof(stopping) - 1);
	else
		lws_close_reason(p->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
		    refused, sizeof(refused) - 1);
	if (p->rx_paused) {
		p->rx_paused = 0;
		lws_rx_flow_control(p->wsi, 1);
	}
	return -1;
}

/*
 * The bytes written to p that its socket has not delivered yet (0 when
 * the socket cannot say): what the peer still has to read.
 */
size_t
deliver_unread(struct peer *p)
{
	int fd, n;

	fd = lws_get_socket_fd(p->wsi);
	if (fd < 0 || ioctl(fd, SIOCOUTQ, &n) == -1 || n < 0)
		return 0;
	return (size_t)n;
}

/*
 * 1 if everything written to p has left: nothing held by lws, nothing in
 * the socket's send queue (on a stop, the answers must reach the peer
 * before the connection goes).
 */
int
deliver_flushed(struct peer *p)
{
	return !lws_send_pipe_choked(p->wsi) && deliver_unread(p) == 0;
}

/*
 * The frames of the last messages delivered, by seq: a broadcast sends one
 * message to every recipient, and reading its envelope (overflow pages)
 * and framing it again for each was a sixth of the relay's CPU in it. A
 * stored message never changes and a seq is never reused once committed
 * (deliveries see only committed rows), so an entry never goes stale; a
 * link we dialled writes a copy, since lws masks a client's payload in
 * place. At most FRAME_CACHE frames of up to max_frame each are held.
 *
 * Beside them, the buffer in which one WRITEABLE gathers what it writes
 * (below, deliver_writeable).
 */
#define FRAME_CACHE	4
#define WRITE_BUDGET	32768	/* bytes gathered into one write, at most */
#define WS_HEADER_MAX	4	/* RFC 6455, unmasked, up to 64 KB: 2 or 4 */

struct deliver_frames {
	struct deliver_frame {
		int64_t	 seq;
		uint8_t	*buf;		/* LWS_PRE, then the frame */
		size_t	 len;
	}		 slot[FRAME_CACHE];
	unsigned	 next;		/* the slot to replace */
	uint8_t		 tx[LWS_PRE + WRITE_BUDGET];
};

static struct deliver_frames *
frames_of(struct server *s)
{
	if (s->frames == NULL &&
	    (s->frames = calloc(1, sizeof(*s->frames))) == NULL)
		fatal("%s", __func__);
	return s->frames;
}

/* The frame of message seq, from the cache or the store; NULL on error. */
static struct deliver_frame *
frame_for(struct server *s, int64_t seq, char *err, size_t errlen)
{
	struct deliver_frames *d = frames_of(s);
	struct deliver_frame *f;
	uint8_t *env;
	size_t envlen;
	unsigned i;
	int n;

	for (i = 0; i < FRAME_CACHE; i++)
		if (d->slot[i].buf != NULL && d->slot[i].seq == seq)
			return &d->slot[i];
	if ((n = store_message_envelope(s->store, seq, &env, &envlen, err,
	    errlen)) != 1) {
		if (n == 0)
			snprintf(err, errlen, "message seq=%lld not stored",
			    (long long)seq);
		return NULL;
	}
	f = &d->slot[d->next];
	d->next = (d->next + 1) % FRAME_CACHE;
	free(f->buf);
	if (frame_encode_envelope(env, envlen, LWS_PRE, &f->buf, &f->len) == -1)
		fatal("%s", __func__);
	free(env);
	f->seq = seq;
	return f;
}

void
deliver_frames_free(struct server *s)
{
	unsigned i;

	if (s->frames == NULL)
		return;
	for (i = 0; i < FRAME_CACHE; i++)
		free(s->frames->slot[i].buf);
	free(s->frames);
	s->frames = NULL;
}

/*
 * Appends one WebSocket message of len bytes (at most WRITE_BUDGET), a
 * single unmasked binary frame as a server writes it (RFC 6455 5.2), to
 * out; returns its size.
 */
static size_t
ws_put(uint8_t *out, const uint8_t *payload, size_t len)
{
	size_t h;

	if (len > WRITE_BUDGET)
		fatalx("%s: %zu bytes", __func__, len);
	out[0] = 0x82;			/* FIN, binary */
	if (len < 126) {
		out[1] = (uint8_t)len;
		h = 2;
	} else {
		out[1] = 126;		/* a 16-bit length follows */
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	}
	memcpy(out + h, payload, len);
	return h + len;
}

/*
 * Writes one frame (LWS_PRE, then len bytes) by itself, through lws's own
 * framing; kept: a frame of the cache, which a link we dialled must copy
 * (lws masks a client's payload in place). 0, or -1 to close.
 */
static int
write_alone(struct peer *p, uint8_t *buf, size_t len, int kept)
{
	uint8_t *copy = NULL;
	int rc = 0;

	if (kept && p->dial != NULL) {
		if ((copy = malloc(LWS_PRE + len)) == NULL)
			fatal("%s", __func__);
		memcpy(copy + LWS_PRE, buf + LWS_PRE, len);
		buf = copy;
	}
	if (lws_write(p->wsi, buf + LWS_PRE, len, LWS_WRITE_BINARY) < 0)
		rc = -1;
	free(copy);
	return rc;
}

/*
 * The next pending delivery of p that may be written now, not already in
 * flight: 1 with its frame, seq and id; 0 if there is none (or it is
 * committed but not synced yet: commit.c wakes us after the sync, or its
 * lookup failed, which is logged). Moves the cursor only past what is in
 * flight already.
 */
static int
next_delivery(struct peer *p, struct deliver_frame **fp, int64_t *seq,
    uint8_t id[KAIRAN_ID_LEN])
{
	struct server *s = p->srv;
	char err[512];
	int n;

	/*
	 * After an OVERLOADED the cursor goes back, and what is still in
	 * flight behind it must not be sent twice.
	 */
	for (;;) {
		n = store_next_delivery(s->store, p->key, p->flight.cursor,
		    seq, id, err, sizeof(err));
		if (n == -1) {
			log_warnx("delivery lookup entity=%s error=%s",
			    p->who.entity, log_str(err));
			return 0;
		}
		if (n == 0)
			return 0;
		if (*seq > s->durable_seq && *seq <= s->unsynced_hi)
			return 0;
		if (!conn_flight_has(&p->flight, id))
			break;
		p->flight.cursor = *seq;
	}
	if ((*fp = frame_for(s, *seq, err, sizeof(err))) == NULL) {
		log_warnx("delivery lookup entity=%s error=%s",
		    p->who.entity, log_str(err));
		return 0;
	}
	return 1;
}

/* The delivery seq/id is being written: it is in flight from now. */
static void
take_delivery(struct peer *p, int64_t seq, const uint8_t id[KAIRAN_ID_LEN])
{
	p->flight.cursor = seq;
	if (conn_flight_add(&p->flight, seq, id, ev_now(p->srv->loop)) == -1)
		fatalx("%s: window full", __func__);
}

/*
 * The WRITEABLE callback. What is queued for p goes out in order: its
 * control frames (Hello, Accepted, Refused) first, then its pending
 * deliveries, at most `window` in flight. An accepted connection gets as
 * many of them as fit WRITE_BUDGET gathered into one write, framed here:
 * a batch's Accepted and the relay's QUEUED receipts had been one TLS
 * record, one send and one loop pass each (a fifth of the relay's CPU in
 * the fan-in). lws writes the bytes as they are (LWS_WRITE_HTTP is its
 * raw write on a WebSocket connection) and keeps what TLS does not take
 * yet, as it does for its own frames, so the buffer is free again on
 * return. A link we dialled (lws masks what a client writes), and a
 * frame too big for the budget, are written alone through lws's framing.
 * Returns -1 to close the connection.
 */
int
deliver_writeable(struct peer *p)
{
	struct server *s = p->srv;
	struct deliver_frames *d = frames_of(s);
	struct conn_frame *c;
	struct deliver_frame *f;
	uint8_t id[KAIRAN_ID_LEN], *out = d->tx + LWS_PRE;
	size_t used = 0, room = p->dial == NULL ? WRITE_BUDGET : 0;
	int64_t seq;
	int alone = 0, answers = 0, rc = 0;

	while ((c = p->ctl.head) != NULL) {
		if (used + WS_HEADER_MAX + c->len > room && used > 0)
			break;				/* the next time */
		c = conn_ctl_pop(&p->ctl);
		answers = 1;
		if (used + WS_HEADER_MAX + c->len > room) {
			alone = 1;
			rc = write_alone(p, c->buf, c->len, 0);
			conn_frame_free(c);
			break;
		}
		used += ws_put(out + used, c->buf + LWS_PRE, c->len);
		conn_frame_free(c);
	}
	if (answers && p->rx_paused && !s->stopping &&
	    p->ctl.n < s->cfg->window) {
		p->rx_paused = 0;
		log_debug("peer resumed entity=%s addr=%s", p->who.entity,
		    p->addr);
		lws_rx_flow_control(p->wsi, 1);
	}
	while (!alone && rc == 0 && p->ctl.head == NULL && !s->stopping &&
	    p->state == PEER_READY && !p->retry_pending &&
	    !conn_flight_full(&p->flight) &&
	    next_delivery(p, &f, &seq, id)) {
		if (used + WS_HEADER_MAX + f->len > room) {
			if (used > 0)
				break;			/* the next time */
			take_delivery(p, seq, id);
			alone = 1;
			rc = write_alone(p, f->buf, f->len, 1);
			break;
		}
		take_delivery(p, seq, id);
		used += ws_put(out + used, f->buf + LWS_PRE, f->len);
	}
	if (used > 0 && rc == 0 &&
	    lws_write(p->wsi, out, used, LWS_WRITE_HTTP) < 0)
		rc = -1;
	if (rc == -1)
		return -1;
	if (used > 0 || alone) {
		/* a closing one closes once flushed, at its next WRITEABLE */
		if (p->ctl.head != NULL || p->state == PEER_READY ||
		    p->state == PEER_CLOSING)
			deliver_wake(p);
		return 0;
	}
	if (p->state == PEER_CLOSING) {
		if (!s->stopping || deliver_flushed(p))
			return close_peer(p);
		return 0;	/* drain_cb looks again */
	}
	return 0;
}
