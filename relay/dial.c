/*
 * dial: the links this relay dials (see dial.h). The connection's life is
 * the client link's (kairan/link.h, shared with the node's routes); what
 * is said on it is the relay's session (session.c), as on an accepted
 * connection. Everything runs on the relay's libev loop: lws callbacks
 * and the link's lws_sul timers.
 *
 * LWS-NOTES.md trap 6 (WSI_DESTROY as the final "gone") is the link's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libwebsockets.h>

#include "kairan/link.h"
#include "kairan/log.h"

#include "deliver.h"
#include "dial.h"
#include "relay.h"
#include "session.h"

static lws_retry_bo_t dial_idle;

/* ---- the link's wire callbacks: the relay's session ---- */

/* TLS is up: the session checks who the peer is and sends our Hello. */
static int
dial_established(void *arg, struct link *l, struct lws *wsi)
{
	struct dial *d = arg;
	char addr[300];
	int rc;

	memset(&d->peer, 0, sizeof(d->peer));
	d->peer.dial = d;
	snprintf(addr, sizeof(addr), "%s:%d", d->cfg->host, d->cfg->port);
	rc = session_open(d->srv, &d->peer, wsi, addr, d->index);
	/* refused (and told why, then closed): that is the link's reason */
	if (d->peer.why[0] != '\0')
		link_note(l, d->peer.why);
	return rc;
}

static int
dial_receive(void *arg, struct link *l, struct lws *wsi, const void *in,
    size_t len)
{
	struct dial *d = arg;
	int rc;

	rc = session_receive(&d->peer, wsi, in, len);
	/* its Hello: the link is ready (and its backoff reset) */
	if (d->peer.state == PEER_READY)
		link_ready(l);
	return rc;
}

static int
dial_writeable(void *arg, struct link *l, struct lws *wsi)
{
	struct dial *d = arg;

	(void)l;
	(void)wsi;
	if (d->peer.state == PEER_NEW)
		return 0;
	return deliver_writeable(&d->peer);
}

static void
dial_up(void *arg, struct link *l)
{
	struct dial *d = arg;

	(void)l;
	log_info("link=%s ready relay=%s url=%s", d->cfg->name,
	    d->peer.who.entity, d->cfg->url);
}

/*
 * The connection ended (whichever way): the session is closed. A relay
 * that is stopping (also when it never got to stop(): a failed start)
 * dials nothing more, and no timer is left on a context going away.
 */
static void
dial_down(void *arg, struct link *l, const char *why)
{
	struct dial *d = arg;

	(void)why;
	session_closed(&d->peer);
	if (d->srv->stopping)
		link_drain(l);
}

static const struct link_ops dial_ops = {
	.up = dial_up,
	.down = dial_down,
	.established = dial_established,
	.receive = dial_receive,
	.writeable = dial_writeable,
};

/* The dial whose link wsi is, or NULL (an accepted connection's wsi). */
static struct dial *
dial_of(struct server *s, struct lws *wsi)
{
	struct link *l = link_of_wsi(wsi);
	struct dial *d;

	if (l == NULL || s->dials == NULL)
		return NULL;
	d = lws_container_of(l, struct dial, link);
	if (d < s->dials || d >= s->dials + s->ndials)
		return NULL;
	return d;
}

int
dial_callback(struct server *s, struct lws *wsi, int reason, void *user,
    void *in, size_t len)
{
	if (dial_of(s, wsi) == NULL)
		return 0;
	return link_lws_callback(wsi, (enum lws_callback_reasons)reason, user,
	    in, len);
}

void
dial_start_all(struct server *s)
{
	const struct config *cfg = s->cfg;
	struct link_config lc;
	size_t i, n = 0;

	memset(&dial_idle, 0, sizeof(dial_idle));
	dial_idle.secs_since_valid_ping = (uint16_t)cfg->ping_interval_s;
	dial_idle.secs_since_valid_hangup = (uint16_t)(cfg->ping_interval_s +
	    cfg->idle_timeout_s);
	for (i = 0; i < cfg->npeers; i++)
		if (cfg->peers[i].url != NULL)
			n++;
	if (n == 0)
		return;
	if ((s->dials = calloc(n, sizeof(*s->dials))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < cfg->npeers; i++) {
		const struct config_peer *cp = &cfg->peers[i];
		struct dial *d;

		if (cp->url == NULL)
			continue;
		d = &s->dials[s->ndials++];
		d->srv = s;
		d->cfg = cp;
		d->index = (int)i;
		link_config_defaults(&lc);
		lc.what = "link";
		lc.name = cp->name;
		lc.url = cp->url;
		_Static_assert(sizeof(cp->host) == sizeof(lc.at.host) &&
		    sizeof(cp->path) == sizeof(lc.at.path), "host, path");
		memcpy(lc.at.host, cp->host, sizeof(lc.at.host));
		lc.at.port = cp->port;
		memcpy(lc.at.path, cp->path, sizeof(lc.at.path));
		lc.self = cfg->id;
		lc.software = SOFTWARE;
		lc.max_frame = cfg->max_frame;
		lc.backoff_min_ms = DIAL_BACKOFF_MIN_MS;
		lc.backoff_max_ms = DIAL_BACKOFF_MAX_MS;
		lc.stall_ms = 0;		/* dial_watch, with resend_after */
		/* as for an accepted connection: TLS, upgrade and Hello */
		lc.hello_timeout_ms = cfg->handshake_timeout_s * 1000;
		lc.idle_policy = &dial_idle;
		/* its own vhost: lws 4.1.6 crashes in its TLS info callback
		 * on a client SSL_CTX of the listening vhost */
		lc.vhost = s->links_vhost;
		link_init(&d->link, &lc, s->context, &dial_ops, d);
		link_start(&d->link);
	}
}

void
dial_stop_all(struct server *s)
{
	size_t i;

	for (i = 0; i < s->ndials; i++)
		link_drain(&s->dials[i].link);
}

void
dial_free_all(struct server *s)
{
	size_t i;

	for (i = 0; i < s->ndials; i++)
		link_cleanup(&s->dials[i].link);
	free(s->dials);
	s->dials = NULL;
	s->ndials = 0;
}

/*
 * A link to a relay that holds forwards in flight and has said nothing
 * for resend_after is black-holed somewhere: closed, and (by whichever
 * side dials) dialled again; the forwards go again on the new one.
 */
void
dial_watch(struct server *s)
{
	double now = ev_now(s->loop);
	struct peer *p;

	for (p = s->peers; p != NULL; p = p->next) {
		if (p->link < 0 || p->state != PEER_READY || p->flight.n == 0 ||
		    now - p->last_rx < s->cfg->resend_after_s)
			continue;
		log_warnx("link=%s stalled entity=%s in_flight=%u silent_s=%.0f: "
		    "closing it", s->cfg->peers[p->link].name, p->who.entity,
		    p->flight.n, now - p->last_rx);
		peer_transition(p, PEER_CLOSING);
		if (p->dial != NULL)
			link_close(&p->dial->link, "stalled");
		else
			lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK,
			    LWS_TO_KILL_ASYNC);
	}
}
