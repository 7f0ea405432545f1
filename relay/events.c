/*
 * events: the console's live feed and last seen (see events.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libwebsockets.h>

#include "kairan/log.h"
#include "kairan/message.h"

#include "events.h"
#include "relay.h"
#include "httpd.h"
#include "store.h"
#include "view.h"

static const char *const kinds[] = {
	"node", "report", "receipt", "escalation", "confirm",
};
#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

struct sub {
	struct lws	*wsi;
	unsigned	 due;		/* kinds changed since its last write */
	int		 hello;		/* the retry line, first */
	int		 comment;	/* a keepalive is due */
};

struct events {
	struct server	*srv;
	struct sub	 subs[EVENTS_MAX];
	unsigned	 nsubs;
	unsigned	 changed;	/* kinds of this loop pass */
	uint64_t	 seq;
	ev_timer	 pass_timer;	/* 0 s: the end of the pass */
	ev_timer	 keepalive_timer;
	ev_timer	 seen_timer;	/* the dirty seen entries */
	struct events_seen *seen;	/* sorted by entity */
	size_t		 nseen, capseen;
};

static int
cmp_seen(const void *a, const void *b)
{
	return strcmp(a, ((const struct events_seen *)b)->entity);
}

static struct events_seen *
find_seen(struct events *e, const char *entity)
{
	if (e->nseen == 0)
		return NULL;	/* e->seen may be NULL: not for bsearch */
	return bsearch(entity, e->seen, e->nseen, sizeof(*e->seen),
	    cmp_seen);
}

/* The entry of entity, added if new; NULL out of memory. */
static struct events_seen *
get_seen(struct events *e, const char *entity)
{
	struct events_seen *n;
	size_t lo = 0, hi = e->nseen, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(entity, e->seen[mid].entity)) == 0)
			return &e->seen[mid];
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (e->nseen == e->capseen) {
		size_t cap = e->capseen == 0 ? 256 : e->capseen * 2;

		if ((n = realloc(e->seen, cap * sizeof(*n))) == NULL)
			return NULL;
		e->seen = n;
		e->capseen = cap;
	}
	memmove(&e->seen[lo + 1], &e->seen[lo], (e->nseen - lo) *
	    sizeof(*e->seen));
	e->nseen++;
	n = &e->seen[lo];
	memset(n, 0, sizeof(*n));
	snprintf(n->entity, sizeof(n->entity), "%s", entity);
	return n;
}

static void
load_seen(void *arg, const char *entity, int64_t connected,
    int64_t disconnected)
{
	struct events *e = arg;
	struct events_seen *n;

	if (strlen(entity) >= sizeof(n->entity) ||
	    (n = get_seen(e, entity)) == NULL)
		return;
	n->connected_at = connected;
	/* a kill -9 while connected: offline since it was last seen */
	n->disconnected_at = connected > disconnected ? connected :
	    disconnected;
}

/* Writes the dirty entries in one transaction; they stay dirty if not. */
static void
flush_seen(struct events *e)
{
	struct store *st = e->srv->store;
	char err[512];
	size_t i;
	int n = 0;

	if (st == NULL)
		return;
	for (i = 0; i < e->nseen; i++)
		n += e->seen[i].dirty;
	if (n == 0)
		return;
	if (store_begin(st, err, sizeof(err)) == -1)
		goto fail;
	for (i = 0; i < e->nseen; i++)
		if (e->seen[i].dirty && store_node_seen_put(st,
		    e->seen[i].entity, e->seen[i].connected_at,
		    e->seen[i].disconnected_at, err, sizeof(err)) == -1) {
			store_rollback(st);
			goto fail;
		}
	if (store_commit(st, err, sizeof(err)) == -1)
		goto fail;
	for (i = 0; i < e->nseen; i++)
		e->seen[i].dirty = 0;
	log_debug("node_seen written entities=%d", n);
	return;
fail:
	log_warnx("node_seen not written entities=%d error=%s (tried again "
	    "later)", n, log_str(err));
	if (!e->srv->stopping && !ev_is_active(&e->seen_timer)) {
		ev_timer_set(&e->seen_timer, EVENTS_SEEN_FLUSH_S, 0.);
		ev_timer_start(e->srv->loop, &e->seen_timer);
	}
}

static void
seen_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	flush_seen(w->data);
}

static void
pass_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct events *e = w->data;
	unsigned i;

	(void)loop;
	(void)revents;
	for (i = 0; i < e->nsubs; i++) {
		e->subs[i].due |= e->changed;
		lws_callback_on_writable(e->subs[i].wsi);
	}
	e->changed = 0;
}

static void
keepalive_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct events *e = w->data;
	unsigned i;

	(void)loop;
	(void)revents;
	for (i = 0; i < e->nsubs; i++) {
		e->subs[i].comment = 1;
		lws_callback_on_writable(e->subs[i].wsi);
	}
}

int
events_start(struct server *s)
{
	struct events *e;
	char err[512];

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		log_warnx("events: out of memory");
		return -1;
	}
	e->srv = s;
	s->events = e;
	if (s->view != NULL && view_seen(s->view, load_seen, e, err,
	    sizeof(err)) == -1) {
		log_warnx("node_seen: %s", log_str(err));
		return -1;
	}
	ev_timer_init(&e->pass_timer, pass_cb, 0., 0.);
	e->pass_timer.data = e;
	ev_timer_init(&e->seen_timer, seen_cb, EVENTS_SEEN_FLUSH_S, 0.);
	e->seen_timer.data = e;
	ev_timer_init(&e->keepalive_timer, keepalive_cb, EVENTS_KEEPALIVE_S,
	    EVENTS_KEEPALIVE_S);
	e->keepalive_timer.data = e;
	if (s->loop != NULL)
		ev_timer_start(s->loop, &e->keepalive_timer);
	return 0;
}

void
events_stop(struct server *s)
{
	struct events *e = s->events;
	int64_t now = message_now_ms();
	size_t i;

	if (e == NULL)
		return;
	if (s->loop != NULL) {
		ev_timer_stop(s->loop, &e->pass_timer);
		ev_timer_stop(s->loop, &e->keepalive_timer);
		ev_timer_stop(s->loop, &e->seen_timer);
	}
	/* the connections end with the relay: offline since now */
	for (i = 0; i < e->nseen; i++)
		if (e->seen[i].nconn > 0) {
			e->seen[i].disconnected_at = now;
			e->seen[i].dirty = 1;
		}
	flush_seen(e);
}

void
events_free(struct server *s)
{
	struct events *e = s->events;

	if (e == NULL)
		return;
	if (s->loop != NULL) {
		ev_timer_stop(s->loop, &e->pass_timer);
		ev_timer_stop(s->loop, &e->keepalive_timer);
		ev_timer_stop(s->loop, &e->seen_timer);
	}
	free(e->seen);
	free(e);
	s->events = NULL;
}

static struct sub *
find_sub(struct events *e, struct lws *wsi)
{
	unsigned i;

	for (i = 0; e != NULL && i < e->nsubs; i++)
		if (e->subs[i].wsi == wsi)
			return &e->subs[i];
	return NULL;
}

int
events_subscribe(struct server *s, struct lws *wsi)
{
	struct events *e = s->events;
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
	    *end = buf + sizeof(buf) - 1;
	struct sub *sb;

	if (e == NULL || e->nsubs >= EVENTS_MAX)
		return 1;
	if (lws_add_http_common_headers(wsi, 200, "text/event-stream",
	    LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
	    httpd_security_headers(wsi, "no-store", &p, end) == -1 ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	/* a stream has no end: no timeout of the request's (our keepalive) */
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	sb = &e->subs[e->nsubs++];
	memset(sb, 0, sizeof(*sb));
	sb->wsi = wsi;
	sb->hello = 1;
	lws_callback_on_writable(wsi);
	log_debug("events subscribed subscribers=%u", e->nsubs);
	return 0;
}

int
events_writeable(struct server *s, struct lws *wsi)
{
	struct events *e = s->events;
	struct sub *sb = find_sub(e, wsi);
	unsigned char buf[LWS_PRE + 1024];
	char *text = (char *)buf + LWS_PRE;
	size_t len = 0, max = sizeof(buf) - LWS_PRE, k;

	if (sb == NULL)
		return 1;
	if (sb->hello)
		len += (size_t)snprintf(text + len, max - len,
		    "retry: 3000\n: kairan-relay %s\n\n", s->cfg->id);
	for (k = 0; k < NKINDS; k++)
		if (sb->due & (1u << k))
			len += (size_t)snprintf(text + len, max - len,
			    "event: change\ndata: {\"seq\": %llu, \"what\": "
			    "\"%s\"}\n\n", (unsigned long long)e->seq,
			    kinds[k]);
	if (sb->comment)
		len += (size_t)snprintf(text + len, max - len,
		    ": keepalive\n\n");
	sb->hello = sb->comment = 0;
	sb->due = 0;
	if (len == 0)
		return 0;
	return lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP) < 0 ? -1 : 0;
}

void
events_unsubscribe(struct server *s, struct lws *wsi)
{
	struct events *e = s->events;
	struct sub *sb = find_sub(e, wsi);

	if (sb == NULL)
		return;
	*sb = e->subs[--e->nsubs];
	log_debug("events unsubscribed subscribers=%u", e->nsubs);
}

void
events_notify(struct server *s, const char *what)
{
	struct events *e = s->events;
	size_t k;

	if (e == NULL)
		return;
	for (k = 0; k < NKINDS; k++)
		if (strcmp(what, kinds[k]) == 0)
			break;
	if (k == NKINDS)
		fatalx("%s: unknown kind %s", __func__, what);
	if (!(e->changed & (1u << k)))
		e->seq++;
	e->changed |= 1u << k;
	if (s->loop != NULL && !s->stopping && !ev_is_active(&e->pass_timer)) {
		ev_timer_set(&e->pass_timer, 0., 0.);
		ev_timer_start(s->loop, &e->pass_timer);
	}
}

void
events_node(struct server *s, const struct peer *p, int up)
{
	struct events *e = s->events;
	struct events_seen *n;
	int64_t now = message_now_ms();
	unsigned i;

	if (e == NULL || p->link != -1)
		return;
	if (up) {
		if ((n = get_seen(e, p->who.entity)) == NULL) {
			log_warnx("node_seen: out of memory");
			return;
		}
		if (n->nconn == 0)
			n->connected_at = now;
		if (n->nconn < EVENTS_CONNS_MAX) {
			n->conns[n->nconn].peer = p;
			n->conns[n->nconn].since = now;
		}
		n->nconn++;
	} else {
		if ((n = find_seen(e, p->who.entity)) == NULL || n->nconn == 0)
			return;	/* closed before it was admitted */
		for (i = 0; i < n->nconn && i < EVENTS_CONNS_MAX; i++)
			if (n->conns[i].peer == p)
				break;
		if (i == EVENTS_CONNS_MAX || i == n->nconn) {
			/* not among those with a time: one without */
			if (n->nconn <= EVENTS_CONNS_MAX)
				return;	/* never admitted */
		} else {
			memmove(&n->conns[i], &n->conns[i + 1],
			    (EVENTS_CONNS_MAX - i - 1) * sizeof(n->conns[0]));
		}
		if (--n->nconn == 0)
			n->disconnected_at = now;
	}
	n->dirty = 1;
	/* stopping: events_stop wrote them all as of the stop */
	if (s->loop != NULL && !s->stopping && !ev_is_active(&e->seen_timer)) {
		ev_timer_set(&e->seen_timer, EVENTS_SEEN_FLUSH_S, 0.);
		ev_timer_start(s->loop, &e->seen_timer);
	}
	events_notify(s, "node");
}

const struct events_seen *
events_seen(struct server *s, const char *entity)
{
	return s->events != NULL ? find_seen(s->events, entity) : NULL;
}

unsigned
events_subscribers(struct server *s)
{
	return s->events != NULL ? s->events->nsubs : 0;
}
