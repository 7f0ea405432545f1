/*
 * frames: what a relay does with each frame a peer sends (see frames.h):
 * a Hello opens the session, an envelope is verified in full (and a
 * receipt checked against the rules of PROTOCOL.md §7) before it joins
 * the batch, an Accepted or Refused ends a delivery in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libwebsockets.h>

#include "kairan/conn.h"
#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "admit.h"
#include "commit.h"
#include "deliver.h"
#include "frames.h"
#include "metrics.h"
#include "refcache.h"
#include "relay.h"
#include "store.h"

/*
 * The rules a receipt m, signed by `writer`, must follow before the relay
 * records or forwards it (PROTOCOL.md §7): addressed to exactly one
 * entity; a REJECTED written by a relay, or by a recipient about itself;
 * the referenced message held here (a relay cannot check what it never
 * saw), a report or an advisory (a DONE only an advisory, written by the
 * recipient itself, PROTOCOL.md §6.3), sent by the receipt's addressee, with the writer (or
 * the subject of a relay's REJECTED) among its recipients, and the digest
 * of exactly its bytes. Returns 0, or -1 with *reason and err.
 */
/* The index of the first of r->held not among ref's recipients, or -1. */
static int
held_not_recipient(const struct ref *ref, const Receipt *r)
{
	size_t i;

	for (i = 0; i < r->n_held; i++)
		if (!refcache_has_recipient(ref, r->held[i]))
			return (int)i;
	return -1;
}

static int
check_receipt(struct server *s, const Message *m,
    const struct identity *writer, int *reason, char *err, size_t errlen)
{
	const Receipt *r = m->receipt;
	const char *concerned = writer->entity;
	const struct ref *rf = NULL;
	const Message *ref;
	char hex[KAIRAN_ID_HEXLEN + 1], e[256];
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
	/*
	 * A batched QUEUED goes from a relay to its own node only
	 * (routing_batches_for): a relay takes one from nobody.
	 */
	if (r->n_more > 0) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt.more: a QUEUED receipt naming "
		    "several messages goes from a relay to its own node only, "
		    "never to a relay (%s sent one)", writer->entity);
		return -1;
	}
	if ((r->state == KAIRAN__V1__RECEIPT__STATE__QUEUED ||
	    r->state == KAIRAN__V1__RECEIPT__STATE__OVERDUE ||
	    r->state == KAIRAN__V1__RECEIPT__STATE__MAILED) &&
	    writer->role != ROLE_RELAY) {
		snprintf(err, errlen, "receipt.state: %s is written by a "
		    "home relay, not by %s", message_receipt_state_name(r->state),
		    writer->entity);
		return -1;
	}
	/* 対応済 is the recipient's own word, never a relay's */
	if (r->state == KAIRAN__V1__RECEIPT__STATE__DONE &&
	    writer->role == ROLE_RELAY) {
		snprintf(err, errlen, "receipt.state: DONE is written by the "
		    "recipient itself, not by relay %s", writer->entity);
		return -1;
	}
	if (r->state == KAIRAN__V1__RECEIPT__STATE__OVERDUE ||
	    r->state == KAIRAN__V1__RECEIPT__STATE__MAILED)
		concerned = r->subject;
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
	if (r->ref_id.len != KAIRAN_ID_LEN) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt.ref_id: %zu bytes, want %d",
		    r->ref_id.len, KAIRAN_ID_LEN);
		return -1;
	}
	if ((n = refcache_get(s->refs, s->store, r->ref_id.data, &rf, e,
	    sizeof(e))) == -1) {
		*reason = KAIRAN__V1__REFUSED__REASON__OVERLOADED;
		snprintf(err, errlen, "store unavailable, retry later");
		return -1;
	}
	if (n == 0 && s->cfg->npeers > 0) {
		/*
		 * In a federation a report and its receipts may take different
		 * routes: the receipt goes on towards the report's sender,
		 * and is checked in full by every relay that holds the report
		 * and by the sender's node.
		 */
		log_debug("receipt unchecked id=%s writer=%s: report not held "
		    "here", hex, writer->entity);
		return 0;
	}
	if (n == 0) {
		snprintf(err, errlen, "receipt.ref_id: message %s never passed "
		    "this relay", hex);
		return -1;
	}
	ref = rf->msg;
	if (ref->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT)
		snprintf(err, errlen, "receipt.ref_id: message %s is a receipt; "
		    "receipts are only for reports and advisories", hex);
	else if (r->state == KAIRAN__V1__RECEIPT__STATE__DONE &&
	    ref->body_case != KAIRAN__V1__MESSAGE__BODY_ADVISORY) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt.state: DONE (対応済) is only for "
		    "an advisory; message %s is an incident report", hex);
	}
	else if (strcmp(m->recipients[0], ref->sender) != 0)
		snprintf(err, errlen, "recipients: the receipt is addressed to "
		    "%s, but message %s was sent by %s", m->recipients[0], hex,
		    ref->sender);
	else if (r->state != KAIRAN__V1__RECEIPT__STATE__QUEUED &&
	    !refcache_has_recipient(rf, concerned))
		snprintf(err, errlen, "receipt: %s is not a recipient of "
		    "message %s", concerned, hex);
	else if (r->state == KAIRAN__V1__RECEIPT__STATE__QUEUED &&
	    (n = held_not_recipient(rf, r)) >= 0)
		snprintf(err, errlen, "receipt.held[%d]: %s is not a recipient "
		    "of message %s", n, r->held[n], hex);
	else if (r->ref_digest.len != KAIRAN_DIGEST_LEN ||
	    memcmp(r->ref_digest.data, rf->digest, KAIRAN_DIGEST_LEN) != 0) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt.ref_digest: does not match the "
		    "digest of message %s", hex);
	} else
		rc = 0;
	return rc;
}

/* An envelope refused: counted by reason for /metrics, then answered. */
static void
refuse_envelope(struct peer *p, const uint8_t *id, size_t idlen, int reason,
    const char *detail, int close)
{
	metrics_inc(METRIC_ENVELOPES_REFUSED, frame_reason_name(reason));
	deliver_refuse(p, id, idlen, reason, detail, close);
}

static void
on_envelope(struct peer *p, const Envelope *env)
{
	struct server *s = p->srv;
	struct envelope_info info;
	uint8_t id[KAIRAN_ID_LEN];
	size_t idlen = 0;
	char err[512];
	int reason;

	if (envelope_peek_id(env, id) == 0)
		idlen = KAIRAN_ID_LEN;
	if (p->state != PEER_READY) {
		refuse_envelope(p, id, idlen,
		    KAIRAN__V1__REFUSED__REASON__MALFORMED,
		    "hello: expected a Hello frame first", 1);
		return;
	}
	if (s->stopping) {
		refuse_envelope(p, id, idlen,
		    KAIRAN__V1__REFUSED__REASON__OVERLOADED,
		    "relay stopping, retry later", 0);
		return;
	}
	if (s->nbatch >= s->cfg->queue_limit) {
		refuse_envelope(p, id, idlen,
		    KAIRAN__V1__REFUSED__REASON__OVERLOADED,
		    "relay queue full, retry later", 0);
		return;
	}
	memset(&info, 0, sizeof(info));
	if (envelope_verify(s->trust, env, 0, &info, &reason, err,
	    sizeof(err)) == -1) {
		refuse_envelope(p, id, idlen, reason, err, 0);
		return;
	}
	/* a node submits its own; a peer relay relays anyone's, verified */
	if (p->link == -1 && strcmp(info.msg->sender, p->who.entity) != 0) {
		snprintf(err, sizeof(err), "sender: %s may only submit its own "
		    "messages, not those of %s", p->who.entity,
		    info.msg->sender);
		refuse_envelope(p, id, idlen,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED, err, 0);
		envelope_info_clear(&info);
		return;
	}
	if (info.msg->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT &&
	    check_receipt(s, info.msg, &info.signer, &reason, err,
	    sizeof(err)) == -1) {
		refuse_envelope(p, id, idlen, reason, err, 0);
		envelope_info_clear(&info);
		return;
	}
	commit_add(p, &info, env);
}

void
frames_on_frame(struct peer *p, const uint8_t *buf, size_t len)
{
	struct server *s = p->srv;
	Frame *f;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	int reason = 0;
	int64_t seq;

	if ((f = frame_decode(buf, len, s->cfg->max_frame, &reason, err,
	    sizeof(err))) == NULL) {
		deliver_refuse(p, NULL, 0, reason, err,
		    reason != KAIRAN__V1__REFUSED__REASON__INVALID_FIELD);
		return;
	}
	switch (f->kind_case) {
	case KAIRAN__V1__FRAME__KIND_HELLO:
		if (p->state != PEER_OPEN) {
			deliver_refuse(p, NULL, 0,
			    KAIRAN__V1__REFUSED__REASON__MALFORMED,
			    "hello: sent twice", 1);
			break;
		}
		if (strcmp(f->hello->entity, p->who.entity) != 0) {
			snprintf(err, sizeof(err), "hello.entity: %s, but the "
			    "certificate is for %s", f->hello->entity,
			    p->who.entity);
			deliver_refuse(p, NULL, 0,
			    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED, err, 1);
			break;
		}
		p->features = f->hello->features;
		peer_transition(p, PEER_READY);
		/* it proved who it is and spoke: no longer a pending handshake */
		admit_done(s->admit, p->wsi);
		log_info("peer ready entity=%s addr=%s software=%s",
		    p->who.entity, p->addr, log_str(f->hello->software));
		deliver_wake(p);
		break;
	case KAIRAN__V1__FRAME__KIND_ENVELOPE:
		on_envelope(p, f->envelope);
		break;
	case KAIRAN__V1__FRAME__KIND_ACCEPTED:
		if (conn_flight_remove(&p->flight, f->accepted->id.data, NULL))
			commit_end_delivery(p, f->accepted->id.data, DELIVERY_DONE,
			    NULL);
		else {
			idhex(f->accepted->id.data, f->accepted->id.len, hex);
			log_debug("accepted for nothing in flight entity=%s "
			    "id=%s", p->who.entity, hex);
		}
		deliver_wake(p);
		break;
	case KAIRAN__V1__FRAME__KIND_REFUSED:
		idhex(f->refused->id.data, f->refused->id.len, hex);
		if (f->refused->id.len != KAIRAN_ID_LEN ||
		    !conn_flight_remove(&p->flight, f->refused->id.data, &seq)) {
			log_warnx("peer refused frame entity=%s id=%s reason=%s "
			    "detail=%s", p->who.entity, hex,
			    frame_reason_name(f->refused->reason),
			    log_str(f->refused->detail));
			break;
		}
		if (f->refused->reason ==
		    KAIRAN__V1__REFUSED__REASON__OVERLOADED) {
			/* send it again later, from where it was */
			conn_flight_rewind(&p->flight, seq);
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
		commit_end_delivery(p, f->refused->id.data, DELIVERY_REFUSED,
		    f->refused->detail);
		deliver_wake(p);
		break;
	default:
		fatalx("%s: frame_decode returned kind %d", __func__,
		    (int)f->kind_case);
	}
	frame_free(f);
}
