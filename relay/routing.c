/*
 * routing: where a recipient's copy of a message goes (see routing.h and
 * PROTOCOL.md §7, whose rules this is).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "relay.h"
#include "routing.h"
#include "store.h"

void
routing_link_key(const struct config_peer *c, char *buf, size_t len)
{
	snprintf(buf, len, "peer:%s", c->name);
}

int
routing_is_hub(const struct server *s)
{
	return strcmp(s->cfg->id, KAIRAN_NATIONAL_RELAY) == 0;
}

const char *
routing_home(struct server *s, const char *recipient, char *buf, size_t len,
    char *why, size_t whylen)
{
	const struct dir_entity *e;

	if ((e = directory_get(s->dir, recipient)) == NULL) {
		snprintf(why, whylen, "unknown recipient %s: not in the "
		    "directory", recipient);
		return NULL;
	}
	if (e->pref[0] != '\0')
		snprintf(buf, len, "relay-%s", e->pref);
	else
		snprintf(buf, len, "%s", KAIRAN_NATIONAL_RELAY);
	return buf;
}

/* The node of entity, if it is connected here and has said Hello. */
static struct peer *
connected_node(struct server *s, const char *entity)
{
	struct peer *p;

	/* a node's delivery key is its entity id */
	for (p = peer_index_next(&s->pindex, entity, NULL); p != NULL;
	    p = peer_index_next(&s->pindex, entity, p))
		if (p->state == PEER_READY && p->link == -1 &&
		    strcmp(p->who.entity, entity) == 0)
			return p;
	return NULL;
}

/* 1 if link i is up: a connection of it has said Hello. */
static int
link_up(struct server *s, size_t i)
{
	struct peer *p;

	for (p = s->peers; p != NULL; p = p->next)
		if (p->state == PEER_READY && p->link == (int)i)
			return 1;
	return 0;
}

/* A delivery for key was added: its peers are woken after the sync. */
static void
wake_note(struct server *s, const char *key)
{
	struct routing_wake *w = &s->wake;
	size_t i;

	if (w->all)
		return;
	for (i = w->n; i > 0; i--)	/* the last ones first: a run of one */
		if (strcmp(w->keys[i - 1], key) == 0)
			return;
	if (w->n == ROUTING_WAKE_MAX) {
		w->all = 1;
		return;
	}
	if (w->keys == NULL &&
	    (w->keys = calloc(ROUTING_WAKE_MAX, sizeof(*w->keys))) == NULL) {
		w->all = 1;	/* waking too many is only slower */
		return;
	}
	snprintf(w->keys[w->n++], ROUTING_KEY_MAX, "%s", key);
}

void
routing_wake_take(struct server *s, struct routing_wake *w)
{
	routing_wake_clear(w);
	*w = s->wake;
	memset(&s->wake, 0, sizeof(s->wake));
}

void
routing_wake_clear(struct routing_wake *w)
{
	free(w->keys);
	memset(w, 0, sizeof(*w));
}

/* A delivery of seq for key (a node's entity, a link's "peer:NAME"). */
static int
add_delivery(struct server *s, int64_t seq, const char *key,
    const char *home, char *err, size_t errlen)
{
	if (store_delivery_add(s->store, seq, key, home, err, errlen) == -1)
		return -1;
	wake_note(s, key);
	return 0;
}

static int
add_link(struct server *s, int64_t seq, size_t i, char *err, size_t errlen)
{
	char key[ROUTING_KEY_MAX];

	routing_link_key(&s->cfg->peers[i], key, sizeof(key));
	return add_delivery(s, seq, key, NULL, err, errlen);
}

int
routing_route(struct server *s, int64_t seq, int from, const char *recipient,
    char *why, size_t whylen, char *err, size_t errlen)
{
	const struct config *cfg = s->cfg;
	const struct dir_entity *e;
	char home[KAIRAN_ENTITY_MAX + 1];
	int hub = routing_is_hub(s), fwd = 0, up = 0;
	size_t i;

	if ((e = directory_get(s->dir, recipient)) == NULL) {
		snprintf(why, whylen, "unknown recipient %s: not in the "
		    "directory", recipient);
		return ROUTING_NO_ROUTE;
	}
	if (config_serves(cfg, e->id, e->pref)) {
		/* no node would ever take a delivery: the mail route */
		if (!e->node)
			return ROUTING_MAIL;
		if (add_delivery(s, seq, recipient, NULL, err, errlen) == -1)
			return -1;
		return ROUTING_SERVED;
	}
	(void)routing_home(s, recipient, home, sizeof(home), why, whylen);
	/*
	 * One transit at most: what came from another relay goes on only
	 * from the hub, and never back over the link it came on.
	 */
	if (from == -1 || hub) {
		for (i = 0; i < cfg->npeers; i++)
			if ((int)i != from &&
			    strcmp(cfg->peers[i].id, home) == 0) {
				if (add_link(s, seq, i, err, errlen) == -1)
					return -1;
				fwd++;
				up += link_up(s, i);
			}
		/*
		 * No link to the home relay, or none of them up now: through
		 * the hub as well (a queued direct forward still goes when its
		 * link is back; the home relay drops the second copy by id).
		 */
		if (up == 0 && !hub && cfg->hub >= 0 && cfg->hub != from &&
		    strcmp(cfg->peers[cfg->hub].id, home) != 0) {
			if (add_link(s, seq, (size_t)cfg->hub, err,
			    errlen) == -1)
				return -1;
			fwd++;
		}
	}
	/*
	 * A copy straight to its node if it is connected here, besides: it
	 * lasts while that node stays and the home relay has not taken the
	 * message (store_direct_drop_*); the home relay stays responsible.
	 */
	if (connected_node(s, recipient) != NULL &&
	    add_delivery(s, seq, recipient, home, err, errlen) == -1)
		return -1;
	if (fwd > 0)
		return ROUTING_FORWARDED;
	if (from >= 0 && (!hub || strcmp(cfg->peers[from].id, home) == 0))
		return ROUTING_NOT_OURS;
	if (hub || cfg->npeers > 0)
		snprintf(why, whylen, "recipient %s: no route to its home "
		    "relay %s from %s", recipient, home, cfg->id);
	else
		snprintf(why, whylen, "recipient %s is not served by %s and "
		    "no federation route is configured", recipient, cfg->id);
	return ROUTING_NO_ROUTE;
}

/*
 * A receipt of ours (state, subject or held) about ref, addressed to its
 * sender: sealed, stored with its audit row and routed.
 */
static int
relay_receipt(struct server *s, const Message *ref,
    const uint8_t ref_digest[KAIRAN_DIGEST_LEN], int state,
    const char *subject, const char *note, char **held, size_t nheld,
    Kairan__V1__HeldRef **more, size_t nmore, int64_t now, char *err,
    size_t errlen)
{
	Message m = KAIRAN__V1__MESSAGE__INIT;
	Receipt r = KAIRAN__V1__RECEIPT__INIT;
	uint8_t id[KAIRAN_ID_LEN], digest[KAIRAN_DIGEST_LEN], *env = NULL;
	char *rcpt[1], why[256];
	size_t envlen;
	int64_t seq;
	int dup, rc = -1;

	if (message_id_new(id) == -1) {
		snprintf(err, errlen, "CSPRNG failed");
		return -1;
	}
	rcpt[0] = ref->sender;
	m.id.data = id;
	m.id.len = sizeof(id);
	m.sender = (char *)(uintptr_t)s->cfg->id;
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.created_at_ms = now;
	m.status = ref->status;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	m.receipt = &r;
	r.ref_id = ref->id;
	r.ref_digest.data = (uint8_t *)(uintptr_t)ref_digest;
	r.ref_digest.len = KAIRAN_DIGEST_LEN;
	r.state = state;
	r.subject = (char *)(uintptr_t)(subject != NULL ? subject : "");
	r.note = (char *)(uintptr_t)(note != NULL ? note : "");
	r.held = held;
	r.n_held = nheld;
	r.more = more;
	r.n_more = nmore;
	if (envelope_seal(s->signer, &m, &env, &envlen, digest, err,
	    errlen) == -1)
		return -1;
	if (store_message_add(s->store, &m, env, envlen, digest, s->cfg->id,
	    now, &dup, &seq, err, errlen) == -1 ||
	    store_receipt_add(s->store, seq, &m, digest, now, err,
	    errlen) == -1)
		goto done;
	switch (routing_route(s, seq, -1, ref->sender, why, sizeof(why), err,
	    errlen)) {
	case -1:
		goto done;
	case ROUTING_NO_ROUTE:
		/* no receipt about a receipt: that could loop */
		log_warnx("receipt not routed sender=%s recipient=%s reason=%s",
		    s->cfg->id, ref->sender, log_str(why));
		break;
	default:
		break;
	}
	rc = 0;
done:
	free(env);
	return rc;
}

int
routing_reject(struct server *s, const Message *ref,
    const uint8_t ref_digest[KAIRAN_DIGEST_LEN], const char *recipient,
    const char *why, int64_t now, char *err, size_t errlen)
{
	char hex[KAIRAN_ID_HEXLEN + 1];

	if (relay_receipt(s, ref, ref_digest,
	    KAIRAN__V1__RECEIPT__STATE__REJECTED, recipient, why, NULL, 0, NULL, 0,
	    now, err, errlen) == -1)
		return -1;
	idhex(ref->id.data, ref->id.len, hex);
	log_info("rejected id=%s recipient=%s sender=%s reason=%s", hex,
	    recipient, ref->sender, log_str(why));
	return 0;
}

int
routing_overdue(struct server *s, const Message *ref,
    const uint8_t ref_digest[KAIRAN_DIGEST_LEN], const char *recipient,
    const char *note, int64_t now, char *err, size_t errlen)
{
	char hex[KAIRAN_ID_HEXLEN + 1];

	if (relay_receipt(s, ref, ref_digest,
	    KAIRAN__V1__RECEIPT__STATE__OVERDUE, recipient, note, NULL, 0, NULL, 0,
	    now, err, errlen) == -1)
		return -1;
	idhex(ref->id.data, ref->id.len, hex);
	log_info("overdue notice id=%s recipient=%s sender=%s", hex, recipient,
	    ref->sender);
	return 0;
}

int
routing_mailed(struct server *s, const Message *ref,
    const uint8_t ref_digest[KAIRAN_DIGEST_LEN], const char *recipient,
    const char *note, int64_t now, char *err, size_t errlen)
{
	char hex[KAIRAN_ID_HEXLEN + 1];

	if (relay_receipt(s, ref, ref_digest,
	    KAIRAN__V1__RECEIPT__STATE__MAILED, recipient, note, NULL, 0, NULL, 0,
	    now, err, errlen) == -1)
		return -1;
	idhex(ref->id.data, ref->id.len, hex);
	log_info("mailed notice id=%s recipient=%s sender=%s", hex, recipient,
	    ref->sender);
	return 0;
}

int
routing_queued(struct server *s, const Message *ref,
    const uint8_t ref_digest[KAIRAN_DIGEST_LEN], char **held, size_t n,
    int64_t now, char *err, size_t errlen)
{
	char hex[KAIRAN_ID_HEXLEN + 1];

	if (relay_receipt(s, ref, ref_digest,
	    KAIRAN__V1__RECEIPT__STATE__QUEUED, NULL, NULL, held, n, NULL, 0,
	    now, err, errlen) == -1)
		return -1;
	idhex(ref->id.data, ref->id.len, hex);
	log_info("queued id=%s sender=%s held=%zu", hex, ref->sender, n);
	return 0;
}

int
routing_batches_for(struct server *s, const char *sender)
{
	const struct dir_entity *e;

	return (e = directory_get(s->dir, sender)) != NULL && e->node &&
	    config_serves(s->cfg, e->id, e->pref);
}

int
routing_queued_batch(struct server *s, const struct routing_held *h,
    size_t n, int64_t now, char *err, size_t errlen)
{
	Kairan__V1__HeldRef refs[KAIRAN_MAX_QUEUED_BATCH - 1];
	Kairan__V1__HeldRef *more[KAIRAN_MAX_QUEUED_BATCH - 1];
	char hex[KAIRAN_ID_HEXLEN + 1];
	size_t i;

	if (n == 0 || n > KAIRAN_MAX_QUEUED_BATCH)
		fatalx("%s: %zu reports", __func__, n);
	for (i = 1; i < n; i++) {
		kairan__v1__held_ref__init(&refs[i - 1]);
		refs[i - 1].ref_id = h[i].ref->id;
		refs[i - 1].ref_digest.data = (uint8_t *)(uintptr_t)h[i].digest;
		refs[i - 1].ref_digest.len = KAIRAN_DIGEST_LEN;
		refs[i - 1].held = h[i].held;
		refs[i - 1].n_held = h[i].nheld;
		more[i - 1] = &refs[i - 1];
	}
	if (relay_receipt(s, h[0].ref, h[0].digest,
	    KAIRAN__V1__RECEIPT__STATE__QUEUED, NULL, NULL, h[0].held,
	    h[0].nheld, more, n - 1, now, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		idhex(h[i].ref->id.data, h[i].ref->id.len, hex);
		log_info("queued id=%s sender=%s held=%zu batch=%zu", hex,
		    h[i].ref->sender, h[i].nheld, n);
	}
	return 0;
}
