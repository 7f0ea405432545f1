/*
 * dial: the links this relay dials (see dial.h). Everything runs on the
 * relay's libev loop: lws callbacks and one ev_timer per link for the
 * redial.
 *
 * LWS-NOTES.md trap 6: lws 4.1.6 may free a client wsi with neither
 * CONNECTION_ERROR nor CLOSED, so WSI_DESTROY counts as "gone" too;
 * dial_gone() is idempotent, whichever comes first wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libwebsockets.h>

#include "kairan/log.h"

#include "deliver.h"
#include "dial.h"
#include "relay.h"
#include "session.h"

static lws_retry_bo_t dial_idle;

const char *
dial_state_name(enum dial_state st)
{
	switch (st) {
	case DIAL_IDLE:
		return "idle";
	case DIAL_CONNECTING:
		return "connecting";
	case DIAL_UP:
		return "up";
	case DIAL_BACKOFF:
		return "backoff";
	case DIAL_STOPPED:
		return "stopped";
	default:
		fatalx("%s: state %d", __func__, (int)st);
	}
}

/* The one place a link changes state, along the edges of dial.h. */
static void
dial_transition(struct dial *d, enum dial_state new)
{
	enum dial_state old = d->state;
	int ok;

	switch (new) {
	case DIAL_CONNECTING:
		ok = old == DIAL_IDLE || old == DIAL_BACKOFF;
		break;
	case DIAL_UP:
		ok = old == DIAL_CONNECTING;
		break;
	case DIAL_BACKOFF:
		ok = old == DIAL_CONNECTING || old == DIAL_UP;
		break;
	case DIAL_STOPPED:
		ok = 1;
		break;
	case DIAL_IDLE:
	default:
		fatalx("%s: link=%s to state %d", __func__, d->cfg->name,
		    (int)new);
	}
	if (!ok)
		fatalx("%s: link=%s %s -> %s", __func__, d->cfg->name,
		    dial_state_name(old), dial_state_name(new));
	if (old == new)
		return;
	d->state = new;
	log_info("link=%s %s -> %s", d->cfg->name, dial_state_name(old),
	    dial_state_name(new));
}

static void	dial_gone(struct dial *, struct lws *, const char *);

static void
dial_connect(struct dial *d)
{
	struct lws_client_connect_info i;
	struct lws *wsi;

	memset(&i, 0, sizeof(i));
	i.context = d->srv->context;
	i.vhost = d->srv->links_vhost;
	i.address = d->cfg->host;
	i.port = d->cfg->port;
	i.path = d->cfg->path;
	/* the Host header, and the name the peer's certificate must carry */
	i.host = d->cfg->host;
	i.origin = d->cfg->host;
	i.ssl_connection = LCCSCF_USE_SSL;
	i.protocol = KAIRAN_PROTOCOL;
	i.local_protocol_name = KAIRAN_PROTOCOL;
	i.alpn = "http/1.1";		/* WebSocket over HTTP/1.1, never h2 */
	i.opaque_user_data = d;
	i.retry_and_idle_policy = &dial_idle;
	d->why[0] = '\0';
	d->wsi = NULL;
	dial_transition(d, DIAL_CONNECTING);
	log_debug("link=%s connecting url=%s", d->cfg->name, d->cfg->url);
	wsi = lws_client_connect_via_info(&i);
	/* a synchronous failure may have called dial_gone() already */
	if (d->state != DIAL_CONNECTING)
		return;
	if (wsi == NULL)
		dial_gone(d, NULL, "connect failed");
	else
		d->wsi = wsi;
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dial *d = w->data;

	(void)loop;
	(void)revents;
	if (d->state == DIAL_BACKOFF && !d->srv->stopping)
		dial_connect(d);
}

/*
 * The connection ended (error, close or destroy, whichever comes first):
 * the session is closed and the redial scheduled, somewhere in [backoff/2,
 * backoff] so that a restarted hub is not dialled by every prefecture in
 * the same millisecond; the backoff doubles up to DIAL_BACKOFF_MAX_MS.
 */
static void
dial_gone(struct dial *d, struct lws *wsi, const char *why)
{
	struct server *s = d->srv;
	uint32_t delay;

	if (wsi != NULL && d->wsi != NULL && d->wsi != wsi)
		return;		/* a stale wsi of an earlier connection */
	if (d->state != DIAL_CONNECTING && d->state != DIAL_UP)
		return;
	session_closed(&d->peer);
	d->wsi = NULL;
	if (s->stopping) {
		dial_transition(d, DIAL_STOPPED);
		return;
	}
	delay = d->backoff_ms / 2 + arc4random_uniform(d->backoff_ms / 2 + 1);
	d->backoff_ms *= 2;
	if (d->backoff_ms > DIAL_BACKOFF_MAX_MS)
		d->backoff_ms = DIAL_BACKOFF_MAX_MS;
	dial_transition(d, DIAL_BACKOFF);
	log_info("link=%s down reason=%s retry_ms=%u", d->cfg->name,
	    log_str(d->why[0] != '\0' ? d->why : why), delay);
	ev_timer_set(&d->retry, delay / 1000., 0.);
	ev_timer_start(s->loop, &d->retry);
}

static struct dial *
dial_of(struct server *s, struct lws *wsi)
{
	struct dial *d = wsi != NULL ? lws_get_opaque_user_data(wsi) : NULL;

	if (d == NULL || s->dials == NULL || d < s->dials ||
	    d >= s->dials + s->ndials)
		return NULL;
	return d;
}

int
dial_callback(struct server *s, struct lws *wsi, int reason, void *in,
    size_t len)
{
	struct dial *d;
	enum peer_state was;
	char addr[300];
	int rc;

	if ((d = dial_of(s, wsi)) == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		/* lws's text may quote what the peer sent (an HTTP status) */
		snprintf(d->why, sizeof(d->why), "connect failed: %.150s",
		    in != NULL ? (const char *)in : "");
		log_warnx("link=%s connect failed url=%s error=%s", d->cfg->name,
		    d->cfg->url, log_str(in != NULL ? (const char *)in : ""));
		dial_gone(d, wsi, "connect failed");
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (d->state != DIAL_CONNECTING || d->wsi != wsi)
			return -1;
		memset(&d->peer, 0, sizeof(d->peer));
		d->peer.dial = d;
		snprintf(addr, sizeof(addr), "%s:%d", d->cfg->host,
		    d->cfg->port);
		if (session_open(s, &d->peer, wsi, addr, d->index) == -1) {
			snprintf(d->why, sizeof(d->why), "peer refused");
			return -1;
		}
		dial_transition(d, DIAL_UP);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (d->wsi != wsi || d->state != DIAL_UP)
			return -1;
		was = d->peer.state;
		rc = session_receive(&d->peer, wsi, in, len);
		/* it spoke: the next outage starts from the shortest wait */
		if (was == PEER_OPEN && d->peer.state == PEER_READY) {
			d->backoff_ms = DIAL_BACKOFF_MIN_MS;
			log_info("link=%s ready relay=%s url=%s", d->cfg->name,
			    d->peer.who.entity, d->cfg->url);
		}
		return rc;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (d->wsi != wsi || d->state != DIAL_UP ||
		    d->peer.state == PEER_NEW)
			return 0;
		return deliver_writeable(&d->peer);
	case LWS_CALLBACK_CLIENT_CLOSED:
		dial_gone(d, wsi, "closed");
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		dial_gone(d, wsi, "connection destroyed");
		return 0;
	default:
		return 0;
	}
}

void
dial_start_all(struct server *s)
{
	const struct config *cfg = s->cfg;
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
		struct dial *d;

		if (cfg->peers[i].url == NULL)
			continue;
		d = &s->dials[s->ndials++];
		d->srv = s;
		d->cfg = &cfg->peers[i];
		d->index = (int)i;
		d->state = DIAL_IDLE;
		d->backoff_ms = DIAL_BACKOFF_MIN_MS;
		ev_timer_init(&d->retry, retry_cb, 0., 0.);
		d->retry.data = d;
		dial_connect(d);
	}
}

void
dial_stop_all(struct server *s)
{
	size_t i;

	for (i = 0; i < s->ndials; i++) {
		ev_timer_stop(s->loop, &s->dials[i].retry);
		if (s->dials[i].state != DIAL_UP &&
		    s->dials[i].state != DIAL_CONNECTING)
			dial_transition(&s->dials[i], DIAL_STOPPED);
	}
}

void
dial_free_all(struct server *s)
{
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
		if (p->dial != NULL)
			snprintf(p->dial->why, sizeof(p->dial->why), "stalled");
		peer_transition(p, PEER_CLOSING);
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	}
}
