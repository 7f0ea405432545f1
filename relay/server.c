/*
 * server: the relay's event loop (see server.h).
 *
 * What happens to an envelope:
 *   RECEIVE (fragments bounded by max_frame) -> frame_decode ->
 *   envelope_verify (chain, CRLs, identity rules, signature) -> sender must
 *   be the connection's entity -> the pending batch. A libev timer commits
 *   the batch in one transaction (one fsync) and only then queues
 *   Accepted for each envelope of it. The same commit creates a delivery
 *   per recipient served here, and a relay-signed REJECTED receipt for each
 *   recipient that is not. Connected recipients are woken; each peer
 *   writes, from its SERVER_WRITEABLE callback, first its control frames,
 *   then deliveries from the store in order, at most `window` in flight.
 *
 * libwebsockets runs on our libev loop (foreign loop): lws_sul timers
 * scheduled from outside lws callbacks are not seen until lws re-arms its
 * own timer, so our timers and signals are libev watchers.
 *
 * TLS (LWS-NOTES.md): lws only asks OpenSSL for a client certificate; the
 * verification callback is ours and refuses unless OpenSSL's chain check
 * (with the CRLs of our trust) succeeded, and ESTABLISHED checks the
 * identity rules again with identity_from_ssl().
 */
#include <sys/ioctl.h>
#include <sys/resource.h>

#include <linux/sockios.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "kairan/directory.h"
#include "kairan/entity.h"
#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/trust.h"

#include "admit.h"
#include "checkpoint.h"
#include "config.h"
#include "peer.h"
#include "server.h"
#include "store.h"

#define COMMIT_DELAY		0.001	/* s: gathers one loop pass of envelopes */
#define RETRY_DELAY		2.0	/* s: after a peer's OVERLOADED */
/* a Hello: an entity of at most 32 bytes, software of at most 256 */
#define HELLO_FRAME_MAX		1024
#define DRAIN_S			2.0	/* s: at stop, for the last answers */
#define DRAIN_POLL_S		0.01
#define SOFTWARE		"kairan-relay/" KAIRAN_VERSION

/* An envelope verified and waiting for the next commit. */
struct pending {
	struct pending	*next;
	struct peer	*peer;		/* NULL once the peer is gone */
	Message		*msg;		/* owned */
	uint8_t		 digest[KAIRAN_DIGEST_LEN];
	uint8_t		*env;		/* the Envelope bytes, as stored */
	size_t		 envlen;
};

/* A delivery that ended (the recipient answered), for the next commit. */
struct ended {
	struct ended	*next;
	uint8_t		 id[KAIRAN_ID_LEN];
	char		 recipient[KAIRAN_ENTITY_MAX + 1];
	enum delivery_state state;
	char		 detail[256];
};

struct server {
	const struct config	*cfg;
	struct ev_loop		*loop;
	struct lws_context	*context;
	struct lws_vhost	*vhost;
	SSL_CTX			*ssl_ctx;	/* the listener's, for reloads */
	struct trust		*trust;
	struct directory	*dir;
	struct signer		*signer;
	struct store		*store;

	struct peer		*peers;
	unsigned		 npeers;

	struct pending		*batch, **batch_tail;
	unsigned		 nbatch;
	struct ended		*ended;
	ev_timer		 commit_timer;
	ev_timer		 retry_timer;
	ev_timer		 resend_timer;
	ev_timer		 checkpoint_timer;
	ev_timer		 drain_timer;	/* stopping: last answers */
	ev_tstamp		 drain_until;
	int64_t			 checkpoint_rows;	/* of the last one written */
	ev_check		 pause_check;	/* rx pauses, outside lws */
	ev_signal		 sig_term, sig_int, sig_hup;
	struct admit		*admit;		/* unauthenticated connections */
	int			 stopping;
};

static int	server_callback(struct lws *, enum lws_callback_reasons,
		    void *, void *, size_t);

static struct lws_protocols protocols[] = {
	{ KAIRAN_PROTOCOL, server_callback, sizeof(struct peer), 65536, 0,
	    NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* ---- helpers ---- */

static void
idhex(const uint8_t *id, size_t len, char out[KAIRAN_ID_HEXLEN + 1])
{
	if (id != NULL && len == KAIRAN_ID_LEN)
		message_hex(id, KAIRAN_ID_LEN, out);
	else
		snprintf(out, KAIRAN_ID_HEXLEN + 1, "-");
}

/*
 * The peer's address, without the IPv4-mapped prefix of a dual-stack
 * socket: as admit saw it at accept while the connection is pending (the
 * socket may be gone already, and lws would then hand back getpeername's
 * error text as the "address"), from the socket afterwards.
 */
static void
peer_addr(struct server *s, struct lws *wsi, char *buf, size_t len)
{
	const char *known;
	char a[64];

	if (wsi != NULL && s->admit != NULL &&
	    (known = admit_addr(s->admit, wsi)) != NULL) {
		snprintf(buf, len, "%s", known);
		return;
	}
	if (wsi == NULL || lws_get_peer_simple(wsi, a, sizeof(a)) == NULL ||
	    strncmp(a, "getpeername", 11) == 0) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%s", strncmp(a, "::ffff:", 7) == 0 ? a + 7 : a);
}

static void
peer_wake(struct peer *p)
{
	if (p->wsi != NULL)
		lws_callback_on_writable(p->wsi);
}

/*
 * A peer that does not read its answers stops being read, once 4 x window
 * of them are queued. The pause is applied from pause_cb, outside lws's
 * service of the connection: lws 4.1.6 spins forever when its rx flow
 * control is switched off inside RECEIVE while OpenSSL still holds
 * decrypted bytes (it drains its buffer list, consumes nothing, sees
 * SSL_pending and starts over). Applied between two services, the pause
 * leaves nothing in that list, so the loop cannot form.
 */
static void
peer_maybe_pause(struct peer *p)
{
	struct server *s = p->srv;

	if (p->rx_paused || p->rx_pause_wanted ||
	    p->nctl < 4 * (size_t)s->cfg->window)
		return;
	p->rx_pause_wanted = 1;
	if (!ev_is_active(&s->pause_check))
		ev_check_start(s->loop, &s->pause_check);
}

static void
pause_cb(struct ev_loop *loop, ev_check *w, int revents)
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
		    p->nctl < 4 * (size_t)s->cfg->window)
			continue;
		p->rx_paused = 1;
		log_debug("peer paused entity=%s addr=%s queued=%zu",
		    p->who.entity, p->addr, p->nctl);
		lws_rx_flow_control(p->wsi, 0);
	}
}

/*
 * Queues Refused for id and, if final, closes the connection after writing
 * it (a peer that sends garbage or oversized frames is not worth reading
 * further). Logs why.
 */
static void
peer_refuse(struct peer *p, const uint8_t *id, size_t idlen, int reason,
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
	peer_ctl_push(p, buf, len);
	if (close)
		peer_transition(p, PEER_CLOSING);
	peer_wake(p);
}

static struct pending *
pending_free(struct pending *q)
{
	struct pending *next = q->next;

	message_free(q->msg);
	free(q->env);
	free(q);
	return next;
}

/* ---- commits and fan-out ---- */

/*
 * A relay-signed REJECTED receipt for recipient of m, to m's sender, in
 * the open transaction. Returns 0 or -1 with err.
 */
static int
reject_recipient(struct server *s, const struct pending *q,
    const char *recipient, const char *why, int64_t now, char *err,
    size_t errlen)
{
	Message m = KAIRAN__V1__MESSAGE__INIT;
	Receipt r = KAIRAN__V1__RECEIPT__INIT;
	uint8_t id[KAIRAN_ID_LEN], digest[KAIRAN_DIGEST_LEN], *env = NULL;
	char *rcpt[1], hex[KAIRAN_ID_HEXLEN + 1], note[256];
	size_t envlen;
	int64_t seq;
	int dup, rc = -1;

	if (message_id_new(id) == -1) {
		snprintf(err, errlen, "CSPRNG failed");
		return -1;
	}
	snprintf(note, sizeof(note), "%s", why);
	rcpt[0] = q->msg->sender;
	m.id.data = id;
	m.id.len = sizeof(id);
	m.sender = (char *)(uintptr_t)s->cfg->id;
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.created_at_ms = now;
	m.status = q->msg->status;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	m.receipt = &r;
	r.ref_id = q->msg->id;
	r.ref_digest.data = (uint8_t *)(uintptr_t)q->digest;
	r.ref_digest.len = KAIRAN_DIGEST_LEN;
	r.state = KAIRAN__V1__RECEIPT__STATE__REJECTED;
	r.subject = (char *)(uintptr_t)recipient;
	r.note = note;
	if (envelope_seal(s->signer, &m, &env, &envlen, digest, err,
	    errlen) == -1)
		return -1;
	if (store_message_add(s->store, &m, env, envlen, digest, s->cfg->id,
	    now, &dup, &seq, err, errlen) == -1 ||
	    store_receipt_add(s->store, seq, &m, digest, now, err,
	    errlen) == -1 ||
	    store_delivery_add(s->store, seq, q->msg->sender, err,
	    errlen) == -1)
		goto done;
	idhex(q->msg->id.data, q->msg->id.len, hex);
	log_info("rejected id=%s recipient=%s sender=%s reason=%s", hex,
	    recipient, q->msg->sender, log_str(why));
	rc = 0;
done:
	free(env);
	return rc;
}

/* Why recipient cannot be served here, or NULL if it can. */
static const char *
unserved(struct server *s, const char *recipient, char *buf, size_t len)
{
	const struct dir_entity *e;

	if ((e = directory_get(s->dir, recipient)) == NULL) {
		snprintf(buf, len, "unknown recipient %s: not in the directory",
		    recipient);
		return buf;
	}
	if (!config_serves(s->cfg, e->id, e->pref)) {
		snprintf(buf, len, "recipient %s is not served by %s and no "
		    "federation route is configured", recipient, s->cfg->id);
		return buf;
	}
	return NULL;
}

static int
commit_one(struct server *s, struct pending *q, int64_t now, int *fresh,
    char *err, size_t errlen)
{
	const Message *m = q->msg;
	char why[256];
	int64_t seq;
	size_t i;
	int dup;

	*fresh = 0;
	if (store_message_add(s->store, m, q->env, q->envlen, q->digest,
	    q->peer != NULL ? q->peer->who.entity : m->sender, now, &dup, &seq,
	    err, errlen) == -1)
		return -1;
	if (dup)
		return 0;
	*fresh = 1;
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT &&
	    store_receipt_add(s->store, seq, m, q->digest, now, err,
	    errlen) == -1)
		return -1;
	for (i = 0; i < m->n_recipients; i++) {
		if (unserved(s, m->recipients[i], why, sizeof(why)) == NULL) {
			if (store_delivery_add(s->store, seq, m->recipients[i],
			    err, errlen) == -1)
				return -1;
		} else if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT) {
			if (reject_recipient(s, q, m->recipients[i], why, now,
			    err, errlen) == -1)
				return -1;
		} else
			/* no receipts about receipts: that could loop */
			log_warnx("receipt not routed sender=%s recipient=%s "
			    "reason=%s", m->sender, m->recipients[i],
			    log_str(why));
	}
	return 0;
}

/*
 * Commits the batch: messages, deliveries, receipts, ended deliveries, all
 * in one transaction; then the Accepted frames, then wakes the recipients.
 * If the commit fails nothing of it is acknowledged: the senders get
 * OVERLOADED (retryable) and will send again.
 */
static void
commit_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	struct pending *q, *batch = s->batch;
	struct ended *e, *ended = s->ended;
	struct peer *p;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	uint8_t *buf;
	size_t len;
	int64_t now = message_now_ms();
	int fresh, failed = 0, wake_all = 0;
	unsigned n = s->nbatch;

	(void)loop;
	(void)revents;
	s->batch = NULL;
	s->batch_tail = &s->batch;
	s->nbatch = 0;
	s->ended = NULL;
	if (batch == NULL && ended == NULL)
		return;

	if (store_begin(s->store, err, sizeof(err)) == -1)
		failed = 1;
	for (q = batch; !failed && q != NULL; q = q->next) {
		if (commit_one(s, q, now, &fresh, err, sizeof(err)) == -1)
			failed = 1;
		else if (fresh)
			wake_all = 1;
	}
	for (e = ended; !failed && e != NULL; e = e->next)
		if (store_delivery_end(s->store, e->id, e->recipient, e->state,
		    e->state == DELIVERY_REFUSED ? e->detail : NULL, now, err,
		    sizeof(err)) == -1)
			failed = 1;
	if (!failed && store_commit(s->store, err, sizeof(err)) == -1)
		failed = 1;
	if (failed) {
		store_rollback(s->store);
		log_warnx("commit failed envelopes=%u error=%s", n,
		    log_str(err));
	} else if (n > 0)
		log_debug("commit envelopes=%u", n);

	for (q = batch; q != NULL; q = pending_free(q)) {
		if (failed) {
			if (q->peer != NULL)
				peer_refuse(q->peer, q->msg->id.data,
				    KAIRAN_ID_LEN,
				    KAIRAN__V1__REFUSED__REASON__OVERLOADED,
				    "store unavailable, retry later", 0);
			continue;
		}
		idhex(q->msg->id.data, q->msg->id.len, hex);
		log_info("accepted id=%s sender=%s body=%s status=%s "
		    "recipients=%zu", hex, q->msg->sender,
		    q->msg->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT ?
		    "receipt" : "report", message_status_name(q->msg->status),
		    q->msg->n_recipients);
		if (q->peer == NULL)
			continue;
		if (frame_encode_accepted(q->msg->id.data, KAIRAN_ID_LEN,
		    LWS_PRE, &buf, &len) == -1)
			fatal("%s", __func__);
		peer_ctl_push(q->peer, buf, len);
		peer_wake(q->peer);
		peer_maybe_pause(q->peer);
	}
	/*
	 * A failed commit keeps the ended deliveries for the next one: their
	 * recipients did answer, and their flight entries are gone, so nothing
	 * else would record them before a reconnect.
	 */
	if (failed && ended != NULL) {
		for (e = ended; e->next != NULL; e = e->next)
			;
		e->next = s->ended;
		s->ended = ended;
		ended = NULL;
		if (!ev_is_active(&s->commit_timer)) {
			ev_timer_set(&s->commit_timer, RETRY_DELAY, 0.);
			ev_timer_start(s->loop, &s->commit_timer);
		}
	}
	while ((e = ended) != NULL) {
		ended = e->next;
		idhex(e->id, KAIRAN_ID_LEN, hex);
		log_info("delivered id=%s to=%s%s%s", hex, e->recipient,
		    e->state == DELIVERY_REFUSED ? " refused=" : "",
		    e->state == DELIVERY_REFUSED ? log_str(e->detail) : "");
		free(e);
	}
	if (wake_all)
		for (p = s->peers; p != NULL; p = p->next)
			if (p->state == PEER_READY)
				peer_wake(p);
}

static void
commit_soon(struct server *s)
{
	if (!ev_is_active(&s->commit_timer)) {
		ev_timer_set(&s->commit_timer, COMMIT_DELAY, 0.);
		ev_timer_start(s->loop, &s->commit_timer);
	}
}

/* ---- frames from a peer ---- */

static int
has_recipient(const Message *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->n_recipients; i++)
		if (strcmp(m->recipients[i], id) == 0)
			return 1;
	return 0;
}

/*
 * The rules a receipt m, signed by `writer`, must follow before the relay
 * records or forwards it (PROTOCOL.md §7): addressed to exactly one
 * entity; a REJECTED written by a relay, or by a recipient about itself;
 * the referenced message held here (a relay cannot check what it never
 * saw), a report, sent by the receipt's addressee, with the writer (or
 * the subject of a relay's REJECTED) among its recipients, and the digest
 * of exactly its bytes. Returns 0, or -1 with *reason and err.
 */
static int
check_receipt(struct server *s, const Message *m,
    const struct identity *writer, int *reason, char *err, size_t errlen)
{
	const Receipt *r = m->receipt;
	const char *concerned = writer->entity;
	uint8_t *env = NULL, digest[KAIRAN_DIGEST_LEN];
	char hex[KAIRAN_ID_HEXLEN + 1], e[256];
	Envelope *ev = NULL;
	Message *ref = NULL;
	size_t envlen;
	int n, rc = -1;

	*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
	message_hex(r->ref_id.data, r->ref_id.len, hex);
	if (m->n_recipients != 1) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "recipients: a receipt goes to exactly "
		    "one entity, the sender of message %s; got %zu", hex,
		    m->n_recipients);
		return -1;
	}
	if (r->state == KAIRAN__V1__RECEIPT__STATE__REJECTED &&
	    r->subject[0] != '\0' && strcmp(r->subject, writer->entity) != 0) {
		if (writer->role != ROLE_RELAY) {
			snprintf(err, errlen, "receipt.subject: %s may write a "
			    "REJECTED only about itself, not about %s",
			    writer->entity, r->subject);
			return -1;
		}
		concerned = r->subject;
	}
	if ((n = store_message_get(s->store, r->ref_id.data, &env, &envlen,
	    digest, e, sizeof(e))) == -1) {
		*reason = KAIRAN__V1__REFUSED__REASON__OVERLOADED;
		snprintf(err, errlen, "store unavailable, retry later");
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "receipt.ref_id: message %s never passed "
		    "this relay", hex);
		return -1;
	}
	if ((ev = kairan__v1__envelope__unpack(NULL, envlen, env)) == NULL ||
	    (ref = kairan__v1__message__unpack(NULL, ev->message.len,
	    ev->message.data)) == NULL)
		fatalx("%s: stored envelope of %s does not decode", __func__,
		    hex);
	if (ref->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT)
		snprintf(err, errlen, "receipt.ref_id: message %s is a receipt; "
		    "receipts are only for reports", hex);
	else if (strcmp(m->recipients[0], ref->sender) != 0)
		snprintf(err, errlen, "recipients: the receipt is addressed to "
		    "%s, but message %s was sent by %s", m->recipients[0], hex,
		    ref->sender);
	else if (!has_recipient(ref, concerned))
		snprintf(err, errlen, "receipt: %s is not a recipient of "
		    "message %s", concerned, hex);
	else if (r->ref_digest.len != KAIRAN_DIGEST_LEN ||
	    memcmp(r->ref_digest.data, digest, KAIRAN_DIGEST_LEN) != 0) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt.ref_digest: does not match the "
		    "digest of message %s", hex);
	} else
		rc = 0;
	kairan__v1__message__free_unpacked(ref, NULL);
	kairan__v1__envelope__free_unpacked(ev, NULL);
	free(env);
	return rc;
}

static void
on_envelope(struct peer *p, const Envelope *env)
{
	struct server *s = p->srv;
	struct envelope_info info;
	struct pending *q;
	uint8_t id[KAIRAN_ID_LEN];
	size_t idlen = 0;
	char err[512];
	int reason;

	if (envelope_peek_id(env, id) == 0)
		idlen = KAIRAN_ID_LEN;
	if (p->state != PEER_READY) {
		peer_refuse(p, id, idlen,
		    KAIRAN__V1__REFUSED__REASON__MALFORMED,
		    "hello: expected a Hello frame first", 1);
		return;
	}
	if (s->stopping) {
		peer_refuse(p, id, idlen,
		    KAIRAN__V1__REFUSED__REASON__OVERLOADED,
		    "relay stopping, retry later", 0);
		return;
	}
	if (s->nbatch >= s->cfg->queue_limit) {
		peer_refuse(p, id, idlen,
		    KAIRAN__V1__REFUSED__REASON__OVERLOADED,
		    "relay queue full, retry later", 0);
		return;
	}
	memset(&info, 0, sizeof(info));
	if (envelope_verify(s->trust, env, 0, &info, &reason, err,
	    sizeof(err)) == -1) {
		peer_refuse(p, id, idlen, reason, err, 0);
		return;
	}
	if (strcmp(info.msg->sender, p->who.entity) != 0) {
		snprintf(err, sizeof(err), "sender: %s may only submit its own "
		    "messages, not those of %s", p->who.entity,
		    info.msg->sender);
		peer_refuse(p, id, idlen,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED, err, 0);
		envelope_info_clear(&info);
		return;
	}
	if (info.msg->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT &&
	    check_receipt(s, info.msg, &info.signer, &reason, err,
	    sizeof(err)) == -1) {
		peer_refuse(p, id, idlen, reason, err, 0);
		envelope_info_clear(&info);
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("%s", __func__);
	q->peer = p;
	q->msg = info.msg;
	info.msg = NULL;
	memcpy(q->digest, info.digest, sizeof(q->digest));
	q->envlen = kairan__v1__envelope__get_packed_size(env);
	if ((q->env = malloc(q->envlen)) == NULL)
		fatal("%s", __func__);
	kairan__v1__envelope__pack(env, q->env);
	*s->batch_tail = q;
	s->batch_tail = &q->next;
	s->nbatch++;
	commit_soon(s);
}

static void
end_delivery(struct peer *p, const uint8_t *id, enum delivery_state st,
    const char *detail)
{
	struct ended *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("%s", __func__);
	memcpy(e->id, id, KAIRAN_ID_LEN);
	snprintf(e->recipient, sizeof(e->recipient), "%s", p->who.entity);
	e->state = st;
	snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
	e->next = p->srv->ended;
	p->srv->ended = e;
	commit_soon(p->srv);
}

static void
on_frame(struct peer *p)
{
	struct server *s = p->srv;
	Frame *f;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	int reason = 0;
	int64_t seq;

	if ((f = frame_decode(p->rx, p->rxlen, s->cfg->max_frame, &reason, err,
	    sizeof(err))) == NULL) {
		peer_refuse(p, NULL, 0, reason, err,
		    reason != KAIRAN__V1__REFUSED__REASON__INVALID_FIELD);
		return;
	}
	switch (f->kind_case) {
	case KAIRAN__V1__FRAME__KIND_HELLO:
		if (p->state != PEER_OPEN) {
			peer_refuse(p, NULL, 0,
			    KAIRAN__V1__REFUSED__REASON__MALFORMED,
			    "hello: sent twice", 1);
			break;
		}
		if (strcmp(f->hello->entity, p->who.entity) != 0) {
			snprintf(err, sizeof(err), "hello.entity: %s, but the "
			    "certificate is for %s", f->hello->entity,
			    p->who.entity);
			peer_refuse(p, NULL, 0,
			    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED, err, 1);
			break;
		}
		peer_transition(p, PEER_READY);
		/* it proved who it is and spoke: no longer a pending handshake */
		admit_done(s->admit, p->wsi);
		log_info("peer ready entity=%s addr=%s software=%s",
		    p->who.entity, p->addr, log_str(f->hello->software));
		peer_wake(p);
		break;
	case KAIRAN__V1__FRAME__KIND_ENVELOPE:
		on_envelope(p, f->envelope);
		break;
	case KAIRAN__V1__FRAME__KIND_ACCEPTED:
		if (peer_flight_remove(p, f->accepted->id.data, NULL))
			end_delivery(p, f->accepted->id.data, DELIVERY_DONE,
			    NULL);
		else {
			idhex(f->accepted->id.data, f->accepted->id.len, hex);
			log_debug("accepted for nothing in flight entity=%s "
			    "id=%s", p->who.entity, hex);
		}
		peer_wake(p);
		break;
	case KAIRAN__V1__FRAME__KIND_REFUSED:
		idhex(f->refused->id.data, f->refused->id.len, hex);
		if (f->refused->id.len != KAIRAN_ID_LEN ||
		    !peer_flight_remove(p, f->refused->id.data, &seq)) {
			log_warnx("peer refused frame entity=%s id=%s reason=%s "
			    "detail=%s", p->who.entity, hex,
			    frame_reason_name(f->refused->reason),
			    log_str(f->refused->detail));
			break;
		}
		if (f->refused->reason ==
		    KAIRAN__V1__REFUSED__REASON__OVERLOADED) {
			/* send it again later, from where it was */
			if (p->cursor >= seq)
				p->cursor = seq - 1;
			p->retry_pending = 1;
			if (!ev_is_active(&s->retry_timer)) {
				ev_timer_set(&s->retry_timer, RETRY_DELAY, 0.);
				ev_timer_start(s->loop, &s->retry_timer);
			}
			break;
		}
		log_warnx("delivery refused id=%s to=%s reason=%s detail=%s",
		    hex, p->who.entity, frame_reason_name(f->refused->reason),
		    log_str(f->refused->detail));
		end_delivery(p, f->refused->id.data, DELIVERY_REFUSED,
		    f->refused->detail);
		peer_wake(p);
		break;
	default:
		fatalx("%s: frame_decode returned kind %d", __func__,
		    (int)f->kind_case);
	}
	frame_free(f);
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	struct peer *p;

	(void)loop;
	(void)revents;
	for (p = s->peers; p != NULL; p = p->next)
		if (p->retry_pending) {
			p->retry_pending = 0;
			peer_wake(p);
		}
}

/*
 * A node that holds its connection but does not answer a delivery gets it
 * again: whatever has been in flight for resend_after is written anew (the
 * node stores by id, so a late answer and a second copy do no harm).
 */
static void
resend_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	struct peer *p;

	(void)revents;
	for (p = s->peers; p != NULL; p = p->next)
		if (p->state == PEER_READY &&
		    peer_flight_expire(p, ev_now(loop) -
		    s->cfg->resend_after_s)) {
			log_warnx("deliveries unanswered entity=%s addr=%s: "
			    "sending them again", p->who.entity, p->addr);
			peer_wake(p);
		}
}

/* ---- writing ---- */

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
 * 1 if everything written to p has left: nothing held by lws, nothing in
 * the socket's send queue (on a stop, the answers must reach the peer
 * before the connection goes).
 */
static int
peer_flushed(struct peer *p)
{
	int fd, n;

	if (lws_send_pipe_choked(p->wsi))
		return 0;
	fd = lws_get_socket_fd(p->wsi);
	return fd < 0 || ioctl(fd, SIOCOUTQ, &n) == -1 || n == 0;
}

/* Writes one frame; returns -1 to close the connection. */
static int
on_writeable(struct peer *p)
{
	struct server *s = p->srv;
	struct peer_ctl *c;
	uint8_t id[KAIRAN_ID_LEN], *env = NULL, *buf = NULL;
	size_t envlen, len;
	char err[512];
	int64_t seq;
	int n, rc = 0;

	if ((c = peer_ctl_pop(p)) != NULL) {
		n = lws_write(p->wsi, c->buf + LWS_PRE, c->len,
		    LWS_WRITE_BINARY);
		peer_ctl_free(c);
		if (n < 0)
			return -1;
		if (p->ctl_head != NULL || p->state == PEER_READY ||
		    p->state == PEER_CLOSING)
			peer_wake(p);	/* a closing one closes once flushed */
		if (p->rx_paused && !s->stopping &&
		    p->nctl < s->cfg->window) {
			p->rx_paused = 0;
			log_debug("peer resumed entity=%s addr=%s",
			    p->who.entity, p->addr);
			lws_rx_flow_control(p->wsi, 1);
		}
		return 0;
	}
	if (p->state == PEER_CLOSING) {
		if (!s->stopping || peer_flushed(p))
			return close_peer(p);
		return 0;	/* drain_cb looks again */
	}
	if (s->stopping)
		return 0;	/* answers only, no new deliveries */
	if (p->state != PEER_READY || p->retry_pending ||
	    p->nflight >= s->cfg->window)
		return 0;
	/*
	 * The next pending delivery not already in flight: after an
	 * OVERLOADED the cursor goes back, and what is still in flight
	 * behind it must not be sent twice.
	 */
	for (;;) {
		n = store_next_delivery(s->store, p->who.entity, p->cursor,
		    &seq, id, &env, &envlen, err, sizeof(err));
		if (n == -1) {
			log_warnx("delivery lookup entity=%s error=%s",
			    p->who.entity, log_str(err));
			return 0;
		}
		if (n == 0)
			return 0;
		if (!peer_flight_has(p, id))
			break;
		p->cursor = seq;
		free(env);
		env = NULL;
	}
	if (frame_encode_envelope(env, envlen, LWS_PRE, &buf, &len) == -1)
		fatal("%s", __func__);
	free(env);
	p->cursor = seq;
	if (peer_flight_add(p, s->cfg->window, seq, id,
	    ev_now(s->loop)) == -1)
		fatalx("%s: window full", __func__);
	if (lws_write(p->wsi, buf + LWS_PRE, len, LWS_WRITE_BINARY) < 0)
		rc = -1;
	free(buf);
	if (rc == 0)
		peer_wake(p);
	return rc;
}

/* ---- connections ---- */

static void
peer_link(struct server *s, struct peer *p)
{
	p->next = s->peers;
	if (s->peers != NULL)
		s->peers->prev = p;
	s->peers = p;
	s->npeers++;
}

static void
peer_unlink(struct server *s, struct peer *p)
{
	struct pending *q;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else if (s->peers == p)
		s->peers = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	s->npeers--;
	/* the batch outlives the connection: its envelopes are still stored */
	for (q = s->batch; q != NULL; q = q->next)
		if (q->peer == p)
			q->peer = NULL;
}

static int
on_established(struct server *s, struct peer *p, struct lws *wsi)
{
	STACK_OF(X509) *chain;
	SSL *ssl;
	char err[512];
	uint8_t *buf;
	size_t len;
	int full;

	p->srv = s;
	p->wsi = wsi;
	peer_addr(s, wsi, p->addr, sizeof(p->addr));
	if ((ssl = lws_get_ssl(wsi)) == NULL ||
	    identity_from_ssl(ssl, &p->who, err, sizeof(err)) == -1) {
		log_warnx("peer refused addr=%s reason=%s", p->addr,
		    log_str(ssl == NULL ? "no TLS" : err));
		return -1;
	}
	/* full: told so (OVERLOADED, retryable) before the close */
	full = s->npeers >= s->cfg->max_connections;
	/* identity_from_ssl wants leaf, issuer and root; never rely on it */
	if ((chain = SSL_get0_verified_chain(ssl)) == NULL ||
	    sk_X509_num(chain) < 2) {
		log_warnx("peer refused addr=%s entity=%s reason=\"verified "
		    "chain without an issuer\"", p->addr, p->who.entity);
		return -1;
	}
	p->leaf = sk_X509_value(chain, 0);
	p->issuer = sk_X509_value(chain, 1);
	X509_up_ref(p->leaf);
	X509_up_ref(p->issuer);
	peer_transition(p, PEER_OPEN);
	peer_link(s, p);
	if (frame_encode_hello(s->cfg->id, SOFTWARE, LWS_PRE, &buf,
	    &len) == -1)
		fatal("%s", __func__);
	peer_ctl_push(p, buf, len);
	if (full) {
		snprintf(err, sizeof(err), "too many connections "
		    "(max_connections %u), retry later",
		    s->cfg->max_connections);
		log_warnx("peer refused addr=%s entity=%s reason=%s", p->addr,
		    p->who.entity, log_str(err));
		peer_refuse(p, NULL, 0, KAIRAN__V1__REFUSED__REASON__OVERLOADED,
		    err, 1);
		peer_wake(p);
		return 0;
	}
	switch (p->who.role) {
	case ROLE_NODE:
		log_info("peer connected entity=%s role=node addr=%s",
		    p->who.entity, p->addr);
		break;
	case ROLE_RELAY:
		log_warnx("peer refused addr=%s entity=%s reason=\"role relay: "
		    "federation is not supported yet\"", p->addr,
		    p->who.entity);
		peer_refuse(p, NULL, 0,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED,
		    "role relay: federation is not supported yet", 1);
		break;
	case ROLE_OPERATOR:
		log_warnx("peer refused addr=%s entity=%s reason=\"role "
		    "operator: not on this port\"", p->addr, p->who.entity);
		peer_refuse(p, NULL, 0,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED,
		    "role operator: not on this port", 1);
		break;
	case ROLE_NONE:
	default:
		fatalx("%s: identity without role", __func__);
	}
	peer_wake(p);
	return 0;
}

/* OpenSSL's verdict on the client's chain, with our CRLs: we decide. */
static int
on_verify(struct lws *wsi, X509_STORE_CTX *x, SSL *ssl, int preverify_ok)
{
	char subject[256] = "-", addr[64] = "-";
	X509 *cert;
	int e;

	(void)ssl;
	if (preverify_ok)
		return 0;
	e = X509_STORE_CTX_get_error(x);
	if ((cert = X509_STORE_CTX_get_current_cert(x)) != NULL)
		X509_NAME_oneline(X509_get_subject_name(cert), subject,
		    sizeof(subject));
	peer_addr(lws_context_user(lws_get_context(wsi)), wsi, addr,
	    sizeof(addr));
	/* the subject is the peer's: escaped like any peer string */
	log_warnx("peer refused addr=%s reason=\"certificate %s\" depth=%d "
	    "subject=%s", addr, X509_verify_cert_error_string(e),
	    X509_STORE_CTX_get_error_depth(x), log_str(subject));
	return 1;
}

static void
on_ssl_info(struct server *s, struct lws *wsi, const struct lws_ssl_info *si)
{
	char addr[64] = "-";
	SSL *ssl;

	if (!(si->where & SSL_CB_WRITE) || !(si->where & SSL_CB_ALERT))
		return;
	if ((si->ret >> 8) != SSL3_AL_FATAL)
		return;
	peer_addr(s, wsi, addr, sizeof(addr));
	/*
	 * Not one byte received: a port probe or a health check that only
	 * connects and closes, not a refused peer.
	 */
	if ((ssl = lws_get_ssl(wsi)) != NULL && SSL_get_rbio(ssl) != NULL &&
	    BIO_number_read(SSL_get_rbio(ssl)) == 0) {
		log_debug("connection closed before a TLS handshake addr=%s",
		    addr);
		return;
	}
	/* TLS 1.3 "certificate required" (116): OpenSSL has no name for it */
	if ((si->ret & 0xff) == 116)
		log_warnx("peer refused addr=%s reason=\"tls alert: certificate "
		    "required (no client certificate)\"", addr);
	else
		log_warnx("peer refused addr=%s reason=\"tls alert: %s\"", addr,
		    SSL_alert_desc_string_long(si->ret));
}

static int
server_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	struct lws_filter_network_conn_args *filt;
	struct peer *p = user;
	SSL_CTX *ctx;
	size_t max;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		filt = user;
		return admit_filter(s->admit,
		    (const struct sockaddr *)&filt->cli_addr, filt->clilen);
	case LWS_CALLBACK_WSI_CREATE:
		admit_bind(s->admit, wsi);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		admit_gone(s->admit, wsi);
		return 0;
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		ctx = user;
		s->ssl_ctx = ctx;
		SSL_CTX_set1_cert_store(ctx, trust_store(s->trust));
		SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
		/*
		 * No session tickets and no session cache: a resumed session
		 * carries no verified chain to run the identity and revocation
		 * checks on, so it could only be refused (and a client that
		 * retries would flood the log). Every connection is a full
		 * handshake, checked in full.
		 */
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		return 0;
	case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
		return on_verify(wsi, user, in, (int)len);
	case LWS_CALLBACK_SSL_INFO:
		on_ssl_info(s, wsi, in);
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		return on_established(s, p, wsi);
	case LWS_CALLBACK_RECEIVE:
		if (p == NULL || p->state == PEER_NEW ||
		    p->state == PEER_CLOSING)
			return 0;
		if (!lws_frame_is_binary(wsi)) {
			peer_refuse(p, NULL, 0,
			    KAIRAN__V1__REFUSED__REASON__MALFORMED,
			    "frame: text message; kairan.v1 frames are binary",
			    1);
			return 0;
		}
		/* before its Hello a peer may send nothing but a Hello */
		max = p->state == PEER_OPEN ? HELLO_FRAME_MAX :
		    s->cfg->max_frame;
		if (peer_rx_append(p, in, len, max) == -1) {
			char e[128];

			snprintf(e, sizeof(e), "frame: over limit %zu bytes%s",
			    max, p->state == PEER_OPEN ? " for a Hello" : "");
			peer_rx_reset(p);
			peer_refuse(p, NULL, 0,
			    KAIRAN__V1__REFUSED__REASON__TOO_LARGE, e, 1);
			return 0;
		}
		if (!lws_is_final_fragment(wsi) ||
		    lws_remaining_packet_payload(wsi) > 0)
			return 0;
		on_frame(p);
		peer_rx_reset(p);
		peer_maybe_pause(p);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (p == NULL || p->state == PEER_NEW)
			return 0;
		return on_writeable(p);
	case LWS_CALLBACK_CLOSED:
		if (p == NULL || p->state == PEER_NEW)
			return 0;
		log_info("peer closed entity=%s addr=%s in_flight=%u",
		    p->who.entity, p->addr, p->nflight);
		peer_unlink(s, p);
		peer_clear(p);
		p->state = PEER_NEW;
		return 0;
	default:
		return 0;
	}
}

/* ---- audit checkpoints ---- */

/* Signs the audit chain's length and head into the log, if it grew. */
static void
write_checkpoint(struct server *s)
{
	struct checkpoint c;
	char line[CHECKPOINT_MAX], err[256];

	memset(&c, 0, sizeof(c));
	store_audit_head(s->store, &c.rows, c.head);
	if (c.rows == s->checkpoint_rows)
		return;
	snprintf(c.relay, sizeof(c.relay), "%s", s->cfg->id);
	c.at_ms = message_now_ms();
	if (checkpoint_format(s->signer, &c, line, sizeof(line), err,
	    sizeof(err)) == -1) {
		log_warnx("audit checkpoint not written: %s", err);
		return;
	}
	log_audit("%s", line);
	s->checkpoint_rows = c.rows;
}

static void
checkpoint_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	write_checkpoint(w->data);
}

/* ---- reload, signals ---- */

/*
 * The relay's own certificate and key (renewed by its CA): both loaded and
 * checked first (key matches, CN is our id), then swapped in for new
 * handshakes and for the receipts we sign, at once. Anything wrong, and
 * the old pair stays in use.
 */
static void
reload_own_certificate(struct server *s)
{
	struct signer *sg;
	char err[512];

	if ((sg = signer_new(s->cfg->cert, s->cfg->key, err, sizeof(err))) ==
	    NULL) {
		log_warnx("reload: certificate and key kept: %s", log_str(err));
		return;
	}
	if (strcmp(signer_entity(sg), s->cfg->id) != 0) {
		log_warnx("reload: certificate and key kept: %s is for %s, not "
		    "%s", s->cfg->cert, signer_entity(sg), s->cfg->id);
		signer_free(sg);
		return;
	}
	if (s->ssl_ctx != NULL &&
	    signer_use_for_tls(sg, s->ssl_ctx, err, sizeof(err)) == -1) {
		log_warnx("reload: certificate and key kept: %s", log_str(err));
		signer_free(sg);
		return;
	}
	signer_free(s->signer);
	s->signer = sg;
}

static void
reload(struct server *s)
{
	struct trust *t;
	struct directory *d;
	struct peer *p;
	struct identity who;
	STACK_OF(X509) *untrusted;
	char err[512];
	enum trust_result r;

	if ((t = trust_new(s->cfg->ca, s->cfg->crl, err, sizeof(err))) ==
	    NULL)
		log_warnx("reload: trust kept: %s", err);
	else {
		if (s->ssl_ctx != NULL)
			SSL_CTX_set1_cert_store(s->ssl_ctx, trust_store(t));
		trust_free(s->trust);
		s->trust = t;
	}
	reload_own_certificate(s);
	if ((d = directory_load(s->cfg->directory, err, sizeof(err))) == NULL)
		log_warnx("reload: directory kept: %s", err);
	else {
		directory_free(s->dir);
		s->dir = d;
	}
	/* Whoever the new CRLs revoke is dropped now, not at reconnect. */
	for (p = s->peers; p != NULL; p = p->next) {
		if (p->state == PEER_CLOSING || p->leaf == NULL)
			continue;
		if ((untrusted = sk_X509_new_null()) == NULL ||
		    !sk_X509_push(untrusted, p->issuer))
			fatal("%s", __func__);
		r = trust_verify(s->trust, p->leaf, untrusted, 0, &who, err,
		    sizeof(err));
		sk_X509_free(untrusted);
		if (r == TRUST_OK)
			continue;
		log_warnx("peer dropped entity=%s addr=%s reason=%s",
		    p->who.entity, p->addr, log_str(err));
		peer_refuse(p, NULL, 0, r == TRUST_REVOKED ?
		    KAIRAN__V1__REFUSED__REASON__REVOKED :
		    KAIRAN__V1__REFUSED__REASON__BAD_CERTIFICATE, err, 1);
	}
	log_info("reloaded crls=%d entities=%zu peers=%u",
	    trust_ncrls(s->trust), directory_count(s->dir), s->npeers);
}

/* The end of a stop: every connection closed, the loop told to end. */
static void
finish_stop(struct server *s)
{
	ev_timer_stop(s->loop, &s->drain_timer);
	if (s->context != NULL) {
		lws_context_destroy(s->context);
		s->context = NULL;
	}
	ev_break(s->loop, EVBREAK_ALL);
}

/* Waits for the peers to take their last answers and go, at most DRAIN_S. */
static void
drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	struct peer *p;

	(void)revents;
	if (s->peers != NULL && ev_now(loop) < s->drain_until) {
		for (p = s->peers; p != NULL; p = p->next)
			if (p->nctl == 0 && peer_flushed(p))
				peer_wake(p);	/* on_writeable closes it */
		return;
	}
	for (p = s->peers; p != NULL; p = p->next)
		if (p->nctl > 0)
			log_warnx("stopping: answers not taken entity=%s addr=%s "
			    "queued=%zu (it will send those again)",
			    p->who.entity, p->addr, p->nctl);
	finish_stop(s);
}

/*
 * SIGTERM: what was verified is committed, and answered: the relay stops
 * reading, commits its batch, then gives every peer up to DRAIN_S seconds
 * to take the Accepted frames queued for it before the connections close.
 * What a peer does not take it sends again (and is answered Accepted
 * again: everything is idempotent by id).
 */
static void
stop(struct server *s)
{
	struct peer *p;

	if (s->stopping)
		return;
	s->stopping = 1;
	commit_cb(s->loop, &s->commit_timer, 0);
	write_checkpoint(s);
	ev_timer_stop(s->loop, &s->checkpoint_timer);
	ev_timer_stop(s->loop, &s->commit_timer);
	ev_timer_stop(s->loop, &s->retry_timer);
	ev_timer_stop(s->loop, &s->resend_timer);
	ev_check_stop(s->loop, &s->pause_check);
	ev_signal_stop(s->loop, &s->sig_term);
	ev_signal_stop(s->loop, &s->sig_int);
	ev_signal_stop(s->loop, &s->sig_hup);
	/*
	 * Each closes once its last answer has left (on_writeable,
	 * close_peer). Meanwhile it is read again, and what it sends is
	 * ignored (RECEIVE, closing), so that no unread input turns the close
	 * into a reset that could destroy answers on their way.
	 */
	for (p = s->peers; p != NULL; p = p->next) {
		if (p->state == PEER_OPEN || p->state == PEER_READY)
			peer_transition(p, PEER_CLOSING);
		if (p->rx_paused) {
			p->rx_paused = 0;
			lws_rx_flow_control(p->wsi, 1);
		}
		peer_wake(p);
	}
	s->drain_until = ev_now(s->loop) + DRAIN_S;
	ev_timer_start(s->loop, &s->drain_timer);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct server *s = w->data;

	(void)loop;
	(void)revents;
	switch (w->signum) {
	case SIGHUP:
		log_info("signal=HUP reloading");
		reload(s);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("stopping signal=%s", w->signum == SIGTERM ? "TERM" :
		    "INT");
		stop(s);
		break;
	default:
		fatalx("%s: signal %d", __func__, w->signum);
	}
}

/* ---- start and stop ---- */

/*
 * Loads what the relay runs on. With check (`-n`) the database is only
 * looked at, never created or migrated.
 */
static int
load(struct server *s, const struct config *cfg, int check, char *err,
    size_t errlen)
{
	char e[512];

	if ((s->signer = signer_new(cfg->cert, cfg->key, e, sizeof(e))) ==
	    NULL) {
		snprintf(err, errlen, "cert/key: %s", e);
		return -1;
	}
	if (strcmp(signer_entity(s->signer), cfg->id) != 0) {
		snprintf(err, errlen, "cert: %s is a certificate for %s, not "
		    "for id %s", cfg->cert, signer_entity(s->signer), cfg->id);
		return -1;
	}
	if ((s->trust = trust_new(cfg->ca, cfg->crl, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "trust: %s", e);
		return -1;
	}
	if ((s->dir = directory_load(cfg->directory, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "directory: %s", e);
		return -1;
	}
	if (check) {
		if (store_check(cfg->db, e, sizeof(e)) == -1) {
			snprintf(err, errlen, "db: %s", e);
			return -1;
		}
	} else if ((s->store = store_open(cfg->db, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "db: %s", e);
		return -1;
	}
	return 0;
}

static void
unload(struct server *s)
{
	store_close(s->store);
	directory_free(s->dir);
	trust_free(s->trust);
	signer_free(s->signer);
}

int
server_check(const struct config *cfg, char *err, size_t errlen)
{
	struct server s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = load(&s, cfg, 1, err, errlen);
	unload(&s);
	return rc;
}

/* admit's verdict on a connection that did not prove itself in time. */
static void
admit_close(void *arg, struct lws *wsi, const char *addr, const char *why)
{
	(void)arg;
	log_debug("peer refused addr=%s reason=%s", addr, log_str(why));
	lws_set_timeout(wsi, PENDING_TIMEOUT_SSL_ACCEPT, LWS_TO_KILL_SYNC);
}

/*
 * lws sizes its tables from the fd limit: raise it, and stay below it.
 * Room for every established node and every pending handshake, so that
 * pending ones never take an established node's descriptor.
 */
static unsigned
fd_limit(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->max_connections + cfg->max_pending + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur > 32 && want > rl.rlim_cur - 32)
		want = rl.rlim_cur - 32;
	if (want < 64)
		want = 64;
	return (unsigned)want;
}

int
server_run(const struct config *cfg)
{
	struct lws_context_creation_info info;
	struct server s;
	lws_retry_bo_t idle;
	void *loops[1];
	char err[512];
	long long pending;
	int rc = 1;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.batch_tail = &s.batch;
	signal(SIGPIPE, SIG_IGN);
	if (load(&s, cfg, 0, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto done;
	}
	if ((s.loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		log_warnx("libev: cannot create the loop");
		goto done;
	}
	if ((s.admit = admit_new(s.loop, cfg->max_pending,
	    cfg->max_pending_per_addr, cfg->handshake_timeout_s, admit_close,
	    &s)) == NULL)
		fatal("%s", __func__);
	ev_timer_init(&s.drain_timer, drain_cb, 0., DRAIN_POLL_S);
	s.drain_timer.data = &s;
	ev_check_init(&s.pause_check, pause_cb);
	s.pause_check.data = &s;
	ev_timer_init(&s.commit_timer, commit_cb, COMMIT_DELAY, 0.);
	s.commit_timer.data = &s;
	ev_timer_init(&s.retry_timer, retry_cb, RETRY_DELAY, 0.);
	s.retry_timer.data = &s;
	ev_timer_init(&s.resend_timer, resend_cb, cfg->resend_after_s / 3.,
	    cfg->resend_after_s / 3.);
	s.resend_timer.data = &s;
	ev_timer_start(s.loop, &s.resend_timer);
	/* a checkpoint certifies new rows only, never the state found at start */
	{
		uint8_t head[AUDIT_HASH_LEN];

		store_audit_head(s.store, &s.checkpoint_rows, head);
	}
	ev_timer_init(&s.checkpoint_timer, checkpoint_cb,
	    cfg->audit_checkpoint_s, cfg->audit_checkpoint_s);
	s.checkpoint_timer.data = &s;
	ev_timer_start(s.loop, &s.checkpoint_timer);

	lws_set_log_level(LLL_ERR | LLL_WARN | (log_getverbose() > 1 ?
	    LLL_NOTICE | LLL_INFO : 0), log_lws);
	memset(&idle, 0, sizeof(idle));
	idle.secs_since_valid_ping = (uint16_t)cfg->ping_interval_s;
	idle.secs_since_valid_hangup = (uint16_t)(cfg->ping_interval_s +
	    cfg->idle_timeout_s);
	memset(&info, 0, sizeof(info));
	loops[0] = s.loop;
	info.foreign_loops = loops;
	info.options = LWS_SERVER_OPTION_LIBEV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT |
	    LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.port = cfg->port;
	info.iface = cfg->host;
	info.protocols = protocols;
	info.user = &s;
	info.ssl_cert_filepath = cfg->cert;
	info.ssl_private_key_filepath = cfg->key;
	info.ssl_ca_filepath = cfg->ca;
	info.ssl_info_event_mask = SSL_CB_ALERT;
	info.timeout_secs = cfg->handshake_timeout_s;
	info.retry_and_idle_policy = &idle;
	info.fd_limit_per_thread = fd_limit(cfg);
	/* a header slot for every connection that may be mid-handshake */
	info.max_http_header_pool = (unsigned short)(cfg->max_pending < 65535 ?
	    cfg->max_pending : 65535);
	info.vhost_name = cfg->id;
	if ((s.context = lws_create_context(&info)) == NULL) {
		log_warnx("libwebsockets: cannot listen on %s:%d (port in use? "
		    "is libwebsockets-evlib-ev installed?)", cfg->host,
		    cfg->port);
		goto done;
	}
	ev_signal_init(&s.sig_term, signal_cb, SIGTERM);
	ev_signal_init(&s.sig_int, signal_cb, SIGINT);
	ev_signal_init(&s.sig_hup, signal_cb, SIGHUP);
	s.sig_term.data = s.sig_int.data = s.sig_hup.data = &s;
	ev_signal_start(s.loop, &s.sig_term);
	ev_signal_start(s.loop, &s.sig_int);
	ev_signal_start(s.loop, &s.sig_hup);

	pending = store_pending_count(s.store);
	log_notice("started id=%s serve=%zu crls=%d entities=%zu pending=%lld "
	    "version=%s", cfg->id, cfg->nserve, trust_ncrls(s.trust),
	    directory_count(s.dir), pending, KAIRAN_VERSION);
	/* the real port: "listen = 127.0.0.1:0" lets the kernel choose */
	log_notice("listening addr=%s:%d", cfg->host,
	    lws_get_vhost_listen_port(lws_get_vhost_by_name(s.context,
	    cfg->id)));
	ev_run(s.loop, 0);
	rc = s.stopping ? 0 : 1;
	if (!s.stopping)
		log_warnx("event loop ended unexpectedly");
done:
	s.stopping = 1;
	if (s.loop != NULL)
		ev_timer_stop(s.loop, &s.drain_timer);
	if (s.context != NULL)
		lws_context_destroy(s.context);
	if (s.loop != NULL)
		ev_run(s.loop, EVRUN_NOWAIT);
	admit_free(s.admit);
	while (s.batch != NULL)
		s.batch = pending_free(s.batch);
	while (s.ended != NULL) {
		struct ended *e = s.ended;

		s.ended = e->next;
		free(e);
	}
	unload(&s);
	if (rc == 0)
		log_notice("stopped");
	return rc;
}
