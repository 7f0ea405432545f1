/*
 * events: the console's live side — the feed of GET /api/events
 * (server-sent events) and when each node was last connected.
 *
 * The feed. The modules that change something call events_notify with
 * what changed ("node", "report", "receipt", "escalation", "confirm");
 * nothing is written then. At the end of the loop pass (a 0 s libev
 * timer) every subscriber is asked for a writeable, and writes
 *
 *     event: change
 *     data: {"seq": N, "what": "receipt"}
 *
 * once per kind that changed since its last write: a burst of a thousand
 * receipts is one event, and a slow reader never holds more than one
 * pending event per kind (it is told again what changed, not every change).
 * A comment line (": keepalive") goes to every subscriber every
 * EVENTS_KEEPALIVE_S, so that a proxy keeps the stream open and the page
 * notices a dead one. At most EVENTS_MAX subscribers at once.
 *
 * Last seen. events_node records each node's connects and disconnects in
 * memory (the current connections of each entity with their times, the
 * entity's last connect and disconnect) and marks the entity dirty; a
 * one-shot timer of EVENTS_SEEN_FLUSH_S writes the dirty entities in ONE
 * transaction (store_node_seen_put), and events_stop writes them at a
 * clean stop. A reconnect storm of 1,789 nodes is then one fsync a second,
 * not 1,789. A kill -9 loses at most the last EVENTS_SEEN_FLUSH_S of
 * connects and disconnects (the node shows, after the restart, as of the
 * flush before: a node connected at the kill shows offline since its
 * last recorded connect or disconnect); at a clean stop every connected
 * node is written as disconnected at the stop.
 */
#ifndef KAIRAN_RELAY_EVENTS_H
#define KAIRAN_RELAY_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#define EVENTS_MAX		64	/* subscribers; the next gets 503 */
#define EVENTS_KEEPALIVE_S	15.
#define EVENTS_SEEN_FLUSH_S	1.
#define EVENTS_CONNS_MAX	4	/* connections of one node, with times */

struct lws;
struct server;
struct peer;

/* One node as events.c knows it (for api.c's /api/nodes). */
struct events_seen {
	char		 entity[33];
	int64_t		 connected_at;		/* first of the current run */
	int64_t		 disconnected_at;	/* last; 0 never */
	unsigned	 nconn;			/* connections now */
	struct {
		const struct peer	*peer;
		int64_t			 since;
	}		 conns[EVENTS_CONNS_MAX];
	int		 dirty;
};

/* At start (loads node_seen through s->view) and at stop (flushes). */
int	events_start(struct server *);
void	events_stop(struct server *);
void	events_free(struct server *);	/* after the lws context is gone */

/*
 * httpd, for GET /api/events past the gate: writes the response headers
 * (200, text/event-stream, Cache-Control: no-store, the security headers)
 * and keeps wsi as a subscriber. Returns 0 (the stream is open; nothing
 * else may be written on wsi but through events_writeable), 1 if there
 * are EVENTS_MAX already (nothing written: answer 503), -1 if the headers
 * could not be written (close it).
 */
int	events_subscribe(struct server *, struct lws *wsi);
/*
 * httpd's HTTP_WRITEABLE for wsi: 1 if wsi is not a subscriber (httpd
 * handles it), else writes what is due and returns 0, or -1 (the
 * callback returns -1: close).
 */
int	events_writeable(struct server *, struct lws *wsi);
/* httpd's CLOSED_HTTP for wsi (a no-op for one that is not a subscriber). */
void	events_unsubscribe(struct server *, struct lws *wsi);

/* Something changed: "node", "report", "receipt", "escalation", "confirm". */
void	events_notify(struct server *, const char *what);
/*
 * session.c, a node's connection admitted (up 1) or closed (up 0): last
 * seen is recorded, and "node" notified. Relay links are not nodes: a
 * no-op for them, and for a close without an admission before it.
 */
void	events_node(struct server *, const struct peer *, int up);

/* The node's record, or NULL if it never connected (borrowed). */
const struct events_seen *events_seen(struct server *, const char *entity);
/* The number of subscribers (tests, metrics). */
unsigned events_subscribers(struct server *);

#endif
