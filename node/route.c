/*
 * route: the node's side of a client link (see route.h): the outbox feeds
 * the link, the relay's answers go to the store, envelopes to the owner.
 * The connection itself (state machine, Hello, backoff, watchdog, window)
 * is include/kairan/link.h's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kairan/frame.h"
#include "kairan/identity.h"
#include "kairan/link.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "route.h"
#include "store.h"
#include "store_outbox.h"
#include "store_route.h"

void
route_conn_note(struct route *r, int connected, const char *why)
{
	char err[256];
	int64_t now = message_now_ms();

	if (why == NULL || connected)
		why = "";
	if (r->conn_up == connected && strcmp(r->conn_why, why) == 0)
		return;
	/* "not connected since": since it went down, not since the last try */
	if (r->conn_up != connected)
		r->conn_since_ms = now;
	r->conn_up = connected;
	snprintf(r->conn_why, sizeof(r->conn_why), "%s", why);
	if (r->store == NULL)
		return;
	if (store_route_conn_set(r->store, r->name, connected,
	    r->conn_since_ms, connected ? NULL : why, (long)getpid(), err,
	    sizeof(err)) == -1) {
		/* Only `status` reads it: written again at the next change. */
		log_debug("route=%s state not recorded: %s", r->name, err);
		r->conn_up = -1;
	}
}

/* ---- the link's callbacks ---- */

/* Routes lead to relays: the peer's certificate must be a relay's. */
static int
route_check_peer(void *arg, struct link *l, const struct identity *peer,
    char *err, size_t errlen)
{
	(void)arg;
	(void)l;
	if (peer->role == ROLE_RELAY)
		return 0;
	snprintf(err, errlen, "peer %s has role %s, not relay", peer->entity,
	    identity_role_name(peer->role));
	return -1;
}

static void
route_up(void *arg, struct link *l)
{
	struct route *r = arg;

	route_conn_note(r, 1, NULL);
	log_info("route=%s ready relay=%s url=%s unanswered=%lld", r->name,
	    l->peer.entity, r->cfg->url,
	    r->store != NULL ? store_outbox_unanswered(r->store, r->name) : 0);
}

static void
route_down(void *arg, struct link *l, const char *why)
{
	(void)l;
	route_conn_note(arg, 0, why);
}

/* What the relay's Accepted or final Refused means: recorded for status. */
static int
route_frame(void *arg, struct link *l, const Frame *f)
{
	struct route *r = arg;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	uint8_t *ans = NULL;
	size_t anslen;

	switch (f->kind_case) {
	case KAIRAN__V1__FRAME__KIND_ENVELOPE:
		if (r->hooks->envelope(r->arg, r, f->envelope, &ans,
		    &anslen) == -1)
			return -1;
		return link_queue(l, ans, anslen);
	case KAIRAN__V1__FRAME__KIND_ACCEPTED:
		message_hex(f->accepted->id.data, f->accepted->id.len, hex);
		if (store_route_accepted(r->store, f->accepted->id.data,
		    r->name, message_now_ms(), err, sizeof(err)) == -1)
			log_warnx("route=%s store accepted id=%s: %s",
			    r->name, hex, err);
		else
			log_info("route=%s accepted id=%s", r->name, hex);
		return 0;
	case KAIRAN__V1__FRAME__KIND_REFUSED:
		/* OVERLOADED: the link sends it again; nothing to record */
		if (f->refused->reason ==
		    KAIRAN__V1__REFUSED__REASON__OVERLOADED)
			return 0;
		message_hex(f->refused->id.data, f->refused->id.len, hex);
		if (store_route_refused(r->store, f->refused->id.data,
		    r->name, f->refused->reason, f->refused->detail,
		    message_now_ms(), err, sizeof(err)) == -1)
			log_warnx("route=%s store refused id=%s: %s", r->name,
			    hex, err);
		return 0;
	default:
		fatalx("%s: frame kind %d", __func__, (int)f->kind_case);
	}
}

static int
route_next(void *arg, struct link *l, struct conn_flight *fl,
    uint8_t id[KAIRAN_ID_LEN], int64_t *seq, uint8_t **env, size_t *envlen)
{
	struct route *r = arg;
	char err[256];
	int rc;

	(void)l;
	rc = route_next_envelope(fl, r->store, r->name, id, seq, env, envlen,
	    err, sizeof(err));
	if (rc == -1)
		log_warnx("route=%s outbox read failed: %s", r->name, err);
	return rc;	/* -1: the sweep tries again */
}

static const struct link_ops route_link_ops = {
	.check_peer = route_check_peer,
	.up = route_up,
	.down = route_down,
	.frame = route_frame,
	.next = route_next,
};

void
route_init(struct route *r, const struct config *ncfg,
    const struct config_route *cfg, struct lws_context *context,
    struct store *st, const struct route_hooks *hooks, void *arg)
{
	struct link_config lc;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->name = cfg->name;
	r->store = st;
	r->hooks = hooks;
	r->arg = arg;
	r->conn_up = -1;
	snprintf(r->software, sizeof(r->software), "kairan-node/%s",
	    KAIRAN_VERSION);

	link_config_defaults(&lc);
	lc.what = "route";
	lc.name = cfg->name;
	lc.url = cfg->url;
	snprintf(lc.at.host, sizeof(lc.at.host), "%s", cfg->host);
	lc.at.port = cfg->port;
	snprintf(lc.at.path, sizeof(lc.at.path), "%s", cfg->path);
	lc.self = ncfg->id;
	lc.software = r->software;
	/* store_receipt applies every message a QUEUED receipt names */
	lc.features = KAIRAN_FEATURE_QUEUED_BATCH;
	lc.max_frame = ncfg->max_frame;
	lc.hello_timeout_ms = ncfg->hello_timeout_ms;
	lc.stall_ms = ncfg->stall_ms;
	link_init(&r->link, &lc, context, &route_link_ops, r);
}

void
route_start(struct route *r)
{
	if (r->link.state != LINK_IDLE)
		return;
	route_conn_note(r, 0, "connecting");
	link_start(&r->link);
}

void
route_kick(struct route *r, int rewind)
{
	link_kick(&r->link, rewind);
}

void
route_stop(struct route *r)
{
	link_stop(&r->link);
}

void
route_cleanup(struct route *r)
{
	link_cleanup(&r->link);
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
