/*
 * admit: the relay's admission control for connections that have not
 * proved who they are yet (TCP accepted, TLS and WebSocket handshakes not
 * finished). Without it, anyone who can reach the port, with no
 * certificate at all, could hold every slot with silent sockets and keep
 * the prefecture's nodes out.
 *
 * - Every accepted connection gets a deadline (handshake_timeout), kept by
 *   our own libev timer: lws timeouts are not serviced promptly on a
 *   foreign loop. A connection still unauthenticated at its deadline is
 *   closed; one whose peer has sent bytes gets one more deadline when
 *   more than ADMIT_BUSY are pending (a storm: closing handshakes under
 *   way only wastes their work), unless the table is at its cap.
 * - Pending handshakes are capped in total (max_pending) and per source
 *   address (max_pending_per_addr), apart from established nodes
 *   (max_connections), and the descriptor table is sized for both.
 * - The total cap is sized for a reconnect storm: by default (max_pending
 *   = auto, admit_budget) every node this relay serves may be mid-handshake
 *   at once, so a storm of real nodes after a restart is never evicted;
 *   it is bounded by the descriptors established nodes do not hold.
 * - When a cap is reached (real pressure: more handshakes than all our
 *   nodes), one pending handshake (of that address, or of all) is closed
 *   to make room for the new one, instead of refusing the newcomer: the
 *   oldest whose peer has sent nothing ADMIT_SILENT_GRACE after its
 *   accept, else the oldest. A real node
 *   finishes its handshake in a few milliseconds, a silent socket never
 *   does, so a flood of silent sockets can delay a node by at most its
 *   own handshake time; and a flood cannot push out handshakes under way
 *   while it still has silent sockets of its own in the table.
 *
 * The server calls admit_filter at LWS_CALLBACK_FILTER_NETWORK_CONNECTION
 * (the socket is known, the wsi not yet), admit_bind at the
 * LWS_CALLBACK_WSI_CREATE that follows at once, admit_done once the peer
 * is authenticated (ESTABLISHED) and admit_gone at LWS_CALLBACK_WSI_DESTROY.
 */
#ifndef KAIRAN_RELAY_ADMIT_H
#define KAIRAN_RELAY_ADMIT_H

#include <sys/socket.h>

#include <ev.h>

struct lws;
struct admit;

/*
 * close_fn closes a pending connection (the server uses lws_set_timeout
 * with LWS_TO_KILL_SYNC); why is "handshake timeout" or "evicted: ...".
 */
typedef void	(*admit_close_fn)(void *arg, struct lws *wsi, const char *addr,
		    const char *why);
/* 1 if the peer of wsi has sent anything yet (the server: TLS bytes read). */
typedef int	(*admit_progress_fn)(void *arg, struct lws *wsi);

/*
 * More pending handshakes than this: the relay is busy (a storm, or a
 * flood), and a handshake under way (its peer has sent bytes) that reaches
 * its deadline gets one more before it is closed.
 */
#define ADMIT_BUSY		64

/*
 * A pending handshake counts as silent (the first to evict at a cap) only
 * once it has sent nothing for this long since its accept.
 */
#define ADMIT_SILENT_GRACE	1.0

/* max_pending = auto is never below this (a small prefecture's relay). */
#define ADMIT_MIN_PENDING	256

/*
 * The total cap: configured if not 0, else (auto) room for every node
 * served at once plus an eighth and 64, at least ADMIT_MIN_PENDING;
 * either way at most what the descriptor limit fd_limit leaves beside
 * max_connections (never less than a quarter of it) and 65535.
 */
unsigned	 admit_budget(unsigned configured, unsigned served,
		    unsigned max_connections, unsigned long fd_limit);

struct admit	*admit_new(struct ev_loop *, unsigned max_pending,
		    unsigned max_per_addr, double timeout_s, admit_close_fn,
		    void *arg);
void		 admit_free(struct admit *);	/* NULL is a no-op */
/* Changes the deadline of connections accepted from now on. */
void		 admit_set_timeout(struct admit *, double timeout_s);
/* How to tell a silent socket from a handshake under way (NULL: can't). */
void		 admit_set_progress(struct admit *, admit_progress_fn,
		    double grace_s);

/*
 * A connection was accepted from addr. Evicts a pending one (the oldest
 * silent one, else the oldest) if a cap is reached. Returns 0 (go on: admit_bind follows).
 */
int		 admit_filter(struct admit *, const struct sockaddr *addr,
		    socklen_t addrlen);
/* The wsi that lws made for the connection admit_filter just saw. */
void		 admit_bind(struct admit *, struct lws *wsi);
/* wsi proved who it is: it no longer counts as pending. */
void		 admit_done(struct admit *, struct lws *wsi);
/* wsi is gone (whatever its state). */
void		 admit_gone(struct admit *, struct lws *wsi);

/* The address admit_filter saw for wsi (still pending), or NULL. */
const char	*admit_addr(struct admit *, struct lws *wsi);

unsigned	 admit_pending(const struct admit *);
/* Totals since start: closed at their deadline, evicted for room. */
unsigned long	 admit_timed_out(const struct admit *);
unsigned long	 admit_evicted(const struct admit *);
/* Totals since start: deadlines extended once, for a handshake under way. */
unsigned long	 admit_extended(const struct admit *);

#endif
