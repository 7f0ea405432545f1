/*
 * session: a connection of the relay from TLS to close (see session.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "kairan/conn.h"
#include "kairan/frame.h"
#include "kairan/identity.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "admit.h"
#include "commit.h"
#include "deliver.h"
#include "events.h"
#include "frames.h"
#include "metrics.h"
#include "relay.h"
#include "routing.h"
#include "session.h"
#include "store.h"

static void
peer_link(struct server *s, struct peer *p)
{
	p->next = s->peers;
	if (s->peers != NULL)
		s->peers->prev = p;
	s->peers = p;
	s->npeers++;
	peer_index_add(&s->pindex, p);
}

static void
peer_unlink(struct server *s, struct peer *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else if (s->peers == p)
		s->peers = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	s->npeers--;
	peer_index_remove(&s->pindex, p);
	commit_forget_peer(s, p);
}

/*
 * A relay that dialled us: its [peer] section is the one without url
 * for its certificate's id. -1 if there is none.
 */
static int
accepted_link(const struct server *s, const char *entity)
{
	size_t i;

	for (i = 0; i < s->cfg->npeers; i++)
		if (s->cfg->peers[i].url == NULL &&
		    strcmp(s->cfg->peers[i].id, entity) == 0)
			return (int)i;
	return -1;
}

/* Why p may not stay (into why), or NULL if it may. */
static const char *
refusal(struct server *s, struct peer *p, int dialled, char *why, size_t len)
{
	switch (p->who.role) {
	case ROLE_NODE:
		if (dialled) {
			snprintf(why, len, "link %s: the peer is %s, a node, "
			    "not relay %s", s->cfg->peers[p->link].name,
			    p->who.entity, s->cfg->peers[p->link].id);
			return why;
		}
		return NULL;
	case ROLE_RELAY:
		if (dialled) {
			if (strcmp(p->who.entity,
			    s->cfg->peers[p->link].id) == 0)
				return NULL;
			snprintf(why, len, "link %s: the peer is %s, not %s",
			    s->cfg->peers[p->link].name, p->who.entity,
			    s->cfg->peers[p->link].id);
			return why;
		}
		if (p->link >= 0)
			return NULL;
		snprintf(why, len, "relay %s is not configured as a peer "
		    "(no [peer] section without url has id %s)",
		    p->who.entity, p->who.entity);
		return why;
	case ROLE_OPERATOR:
		snprintf(why, len, "role operator: not on this port");
		return why;
	case ROLE_NONE:
	default:
		fatalx("%s: identity without role", __func__);
	}
}

/* In sk, every reference to mine becomes one to shared. */
static void
swap_cert(STACK_OF(X509) *sk, X509 *mine, X509 *shared)
{
	int i;

	for (i = 0; sk != NULL && i < sk_X509_num(sk); i++)
		if (sk_X509_value(sk, i) == mine && X509_up_ref(shared) == 1) {
			(void)sk_X509_set(sk, i, shared);
			X509_free(mine);	/* the slot's reference */
		}
}

/*
 * Every handshake decodes the node's intermediate anew (~2.7 KB of
 * OpenSSL's structures a connection), though a few dozen CAs issue every
 * node: once p's chain has been verified, its intermediate is replaced,
 * in the chains OpenSSL keeps for the connection (sent, verified, or
 * verified at resumption) and in p->issuer, by the one copy of the same
 * DER (X509_cmp: the whole encoding) already held for another peer. The
 * bytes are identical and nothing is checked less: only a duplicate
 * decoded object goes. The first of each becomes the shared copy.
 */
static void
share_issuer(struct server *s, SSL *ssl, struct peer *p)
{
	X509 *mine = p->issuer, *shared = NULL;
	size_t i;

	for (i = 0; i < s->nissuers && shared == NULL; i++)
		if (X509_cmp(s->issuers[i], mine) == 0)
			shared = s->issuers[i];
	if (shared == NULL) {
		if (s->nissuers < SESSION_ISSUERS_MAX &&
		    X509_up_ref(mine) == 1)
			s->issuers[s->nissuers++] = mine;
		return;
	}
	if (shared == mine)
		return;
	swap_cert(SSL_get_peer_cert_chain(ssl), mine, shared);
	swap_cert(SSL_get0_verified_chain(ssl), mine, shared);
	swap_cert(identity_ssl_chain(ssl), mine, shared);
	if (X509_up_ref(shared) == 1) {
		p->issuer = shared;
		X509_free(mine);	/* p's reference: the last one, usually */
	}
}

void
session_free_issuers(struct server *s)
{
	while (s->nissuers > 0)
		X509_free(s->issuers[--s->nissuers]);
}

int
session_open(struct server *s, struct peer *p, struct lws *wsi,
    const char *addr, int link)
{
	STACK_OF(X509) *chain;
	SSL *ssl;
	char err[512], why[256];
	const char *no;
	uint8_t *buf;
	size_t len;
	int full, dialled = link >= 0;

	p->srv = s;
	p->wsi = wsi;
	p->link = link;
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	if ((ssl = lws_get_ssl(wsi)) == NULL ||
	    identity_from_ssl(ssl, &p->who, err, sizeof(err)) == -1) {
		metrics_inc(METRIC_HANDSHAKES_REFUSED, "identity");
		log_warnx("peer refused addr=%s%s%s reason=%s", p->addr,
		    dialled ? " link=" : "", dialled ? s->cfg->peers[link].name :
		    "", log_str(ssl == NULL ? "no TLS" : err));
		return -1;
	}
	/* identity_from_ssl wants leaf, issuer and root; never rely on it */
	if ((chain = identity_ssl_chain(ssl)) == NULL ||
	    sk_X509_num(chain) < 2) {
		metrics_inc(METRIC_HANDSHAKES_REFUSED, "identity");
		log_warnx("peer refused addr=%s entity=%s reason=\"verified "
		    "chain without an issuer\"", p->addr, p->who.entity);
		return -1;
	}
	if (!dialled && p->who.role == ROLE_RELAY)
		p->link = accepted_link(s, p->who.entity);
	if (p->link >= 0)
		routing_link_key(&s->cfg->peers[p->link], p->key,
		    sizeof(p->key));
	else
		snprintf(p->key, sizeof(p->key), "%s", p->who.entity);
	/* full: told so (OVERLOADED, retryable) before the close */
	full = !dialled && s->npeers >= s->cfg->max_connections;
	p->leaf = sk_X509_value(chain, 0);
	p->issuer = sk_X509_value(chain, 1);
	X509_up_ref(p->leaf);
	X509_up_ref(p->issuer);
	share_issuer(s, ssl, p);
	conn_flight_init(&p->flight, s->cfg->window);
	peer_transition(p, PEER_OPEN);
	peer_link(s, p);
	p->last_rx = ev_now(s->loop);
	/* a relay takes no batched QUEUED: none travels between relays */
	if (frame_encode_hello(s->cfg->id, SOFTWARE, 0, LWS_PRE, &buf,
	    &len) == -1)
		fatal("%s", __func__);
	conn_ctl_push(&p->ctl, buf, len);
	if (full) {
		metrics_inc(METRIC_HANDSHAKES_REFUSED, "max_connections");
		snprintf(err, sizeof(err), "too many connections "
		    "(max_connections %u), retry later",
		    s->cfg->max_connections);
		log_warnx("peer refused addr=%s entity=%s reason=%s", p->addr,
		    p->who.entity, log_str(err));
		deliver_refuse(p, NULL, 0, KAIRAN__V1__REFUSED__REASON__OVERLOADED,
		    err, 1);
		return 0;
	}
	if ((no = refusal(s, p, dialled, why, sizeof(why))) != NULL) {
		metrics_inc(METRIC_HANDSHAKES_REFUSED, "not_authorized");
		log_warnx("peer refused addr=%s entity=%s role=%s reason=%s",
		    p->addr, p->who.entity, identity_role_name(p->who.role),
		    log_str(no));
		snprintf(p->why, sizeof(p->why), "refused: %.180s", no);
		deliver_refuse(p, NULL, 0,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED, no, 1);
		return 0;
	}
	if (p->link >= 0)
		log_info("peer connected entity=%s role=relay link=%s addr=%s "
		    "dialled=%s", p->who.entity, s->cfg->peers[p->link].name,
		    p->addr, dialled ? "yes" : "no");
	else
		log_info("peer connected entity=%s role=node addr=%s",
		    p->who.entity, p->addr);
	events_node(s, p, 1);
	deliver_wake(p);
	return 0;
}

int
session_receive(struct peer *p, struct lws *wsi, const void *in, size_t len)
{
	struct server *s = p->srv;
	size_t max;
	int whole;

	if (p->state == PEER_NEW || p->state == PEER_CLOSING)
		return 0;
	p->last_rx = ev_now(s->loop);
	if (!lws_frame_is_binary(wsi)) {
		deliver_refuse(p, NULL, 0,
		    KAIRAN__V1__REFUSED__REASON__MALFORMED,
		    "frame: text message; kairan.v1 frames are binary", 1);
		return 0;
	}
	/* before its Hello a peer may send nothing but a Hello */
	max = p->state == PEER_OPEN ? HELLO_FRAME_MAX : s->cfg->max_frame;
	whole = p->rx.len == 0 && lws_is_final_fragment(wsi) &&
	    lws_remaining_packet_payload(wsi) == 0;
	/*
	 * A message in one piece (a Hello, an Accepted, a signed receipt) is
	 * handled where lws put it: no copy, and an idle connection holds no
	 * reassembly buffer (its Hello's left 1 KB a node behind; a buffer up
	 * to 64 KB is kept between the pieces of longer messages). Bounded
	 * exactly as a reassembled one.
	 */
	if (whole && len <= max) {
		frames_on_frame(p, in, len);
		deliver_maybe_pause(p);
		return 0;
	}
	if (conn_rx_append(&p->rx, in, len, max) == -1) {
		char e[128];

		snprintf(e, sizeof(e), "frame: over limit %zu bytes%s", max,
		    p->state == PEER_OPEN ? " for a Hello" : "");
		conn_rx_reset(&p->rx);
		deliver_refuse(p, NULL, 0,
		    KAIRAN__V1__REFUSED__REASON__TOO_LARGE, e, 1);
		return 0;
	}
	if (!lws_is_final_fragment(wsi) ||
	    lws_remaining_packet_payload(wsi) > 0)
		return 0;
	frames_on_frame(p, p->rx.buf, p->rx.len);
	conn_rx_reset(&p->rx);
	deliver_maybe_pause(p);
	return 0;
}

void
session_closed(struct peer *p)
{
	struct server *s = p->srv;
	char err[256];
	struct peer *q;
	int n = 0;

	if (p->state == PEER_NEW)
		return;
	log_info("peer closed entity=%s addr=%s in_flight=%u", p->who.entity,
	    p->addr, p->flight.n);
	events_node(s, p, 0);
	peer_unlink(s, p);
	/*
	 * A node not ours leaves: its direct copies go (its home relay has
	 * them), unless it is still connected over another connection.
	 */
	if (p->link == -1 && p->state == PEER_READY && s->store != NULL) {
		for (q = s->peers; q != NULL; q = q->next)
			if (q->link == -1 && q->state == PEER_READY &&
			    strcmp(q->who.entity, p->who.entity) == 0)
				break;
		if (q == NULL && (n = store_direct_gone(s->store,
		    p->who.entity, message_now_ms(), err, sizeof(err))) > 0)
			log_info("direct deliveries dropped entity=%s count=%d",
			    p->who.entity, n);
		else if (q == NULL && n == -1)
			log_warnx("direct deliveries entity=%s error=%s",
			    p->who.entity, log_str(err));
	}
	peer_clear(p);
	peer_transition(p, PEER_NEW);
}
