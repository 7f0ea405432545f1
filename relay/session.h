/*
 * session: one kairan.v1 connection of the relay, whichever side opened
 * it: a node or a peer relay that dialled us (listener.c), or a peer
 * relay we dialled (dial.c). Opening checks who it is against what this
 * relay expects of that role, sends our Hello and puts the peer on the
 * server's list; receiving reassembles a frame within its bound and
 * hands it to frames.c; closing takes it off the list.
 */
#ifndef KAIRAN_RELAY_SESSION_H
#define KAIRAN_RELAY_SESSION_H

#include <stddef.h>

struct lws;
struct peer;
struct server;

/*
 * The intermediates the peers' chains share: at most this many distinct
 * ones (the directory has a few dozen CAs); beyond, a peer keeps its own.
 */
#define SESSION_ISSUERS_MAX	64

/*
 * After TLS: p (zeroed) becomes the connection wsi from addr. link is the
 * [peer] index we dialled, or -1 for an accepted connection (a node, or a
 * relay matched to its [peer] section by its certificate). Returns 0 (a
 * refused peer is told why and closed once that is written) or -1 to
 * close at once (no identity to tell anything to).
 */
int	session_open(struct server *, struct peer *p, struct lws *wsi,
	    const char *addr, int link);
/* A fragment of a message from p. Returns 0, or -1 to close. */
int	session_receive(struct peer *p, struct lws *wsi, const void *in,
	    size_t len);
/* The connection is gone: p off the list, its state freed. */
void	session_closed(struct peer *p);
/* At the end: the shared intermediates' references are dropped. */
void	session_free_issuers(struct server *);

#endif
