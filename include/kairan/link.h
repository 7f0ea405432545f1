/*
 * link: one client link of kairan.v1 — the connection this side dials and
 * keeps up (a node's route to a relay; a relay's link to a peer relay it
 * is configured to dial) — shared by both programs. It owns the
 * connection's state machine and its bookkeeping (conn.h); its owner
 * decides what the frames mean, through a table of callbacks.
 *
 *   IDLE -> CONNECTING -> HELLO -> READY -> BACKOFF -> CONNECTING ...
 *                 \________\_________\____/
 *   (any) -> STOPPED (link_stop)
 *
 * CONNECTING: TCP + TLS + WebSocket upgrade under way.
 * HELLO:      connected, the peer's certificate checked (ops->check_peer),
 *             our Hello sent; waiting for the peer's Hello, at most
 *             hello_timeout_ms, and bounded by LINK_HELLO_FRAME_MAX.
 * READY:      the peer said Hello (same entity as its certificate, our
 *             protocol version): the backoff is reset, ops->up is called,
 *             and envelopes flow at once from the start of the owner's
 *             queue (ops->next), a window of them in flight.
 * BACKOFF:    the connection is gone (ops->down says why); a timer,
 *             exponential from backoff_min_ms to backoff_max_ms with
 *             jitter, brings it back to CONNECTING.
 *
 * The stall watchdog: a READY link whose window stays full while the peer
 * sends nothing for stall_ms is closed ("stalled") and redialled; whatever
 * was in flight is sent again on the next connection.
 *
 * An owner that speaks kairan.v1 itself on the connection (a relay, whose
 * accepted and dialled connections share one session code) gives the
 * wire callbacks (established, receive, writeable): the link then keeps
 * only the connection's life (connect, the Hello timeout, backoff,
 * redial) and the owner says when the peer's Hello came (link_ready).
 *
 * Everything runs on the owner's lws service thread: inside lws callbacks
 * (the owner's protocols[0] callback hands the link's connections to
 * link_lws_callback) or lws_sul timers of the link's context.
 */
#ifndef KAIRAN_LINK_H
#define KAIRAN_LINK_H

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "kairan/conn.h"
#include "kairan/frame.h"
#include "kairan/identity.h"
#include "kairan/kairan.h"

#define LINK_HOST_MAX		256
#define LINK_PATH_MAX		256
#define LINK_WHY_MAX		160
/* Before its Hello a peer may send nothing but a Hello (entity <= 32,
 * software <= 256 bytes): bounded far below max_frame. */
#define LINK_HELLO_FRAME_MAX	1024

#define LINK_WINDOW		32	/* envelopes in flight */
#define LINK_MAX_CTL		256	/* queued answers: the peer is not reading */
#define LINK_BACKOFF_MIN_MS	500
#define LINK_BACKOFF_MAX_MS	30000
#define LINK_HELLO_TIMEOUT_MS	15000
#define LINK_STALL_MS		60000
#define LINK_REWIND_MS		2000	/* after OVERLOADED */

enum link_state {
	LINK_IDLE,
	LINK_CONNECTING,
	LINK_HELLO,
	LINK_READY,
	LINK_BACKOFF,
	LINK_STOPPED,
};

/* wss://host[:port][/path], parsed. */
struct link_url {
	char	 host[LINK_HOST_MAX];	/* without [] for IPv6 */
	int	 port;			/* KAIRAN_DEFAULT_PORT unless given */
	char	 path[LINK_PATH_MAX];	/* "/" unless given */
};

/*
 * Parses "wss://host[:port][/path]" into u. Returns 0, or -1 with err
 * ("url: \"ws://x\": must begin with wss:// (TLS is required)", "... bad
 * host", "... bad port", "... port must be 1..65535", "... path too long")
 * and u unspecified.
 */
int	link_url_parse(const char *url, struct link_url *u, char *err,
	    size_t errlen);

/*
 * What the owner configures (link_config_defaults first, then the fields
 * without a default). The strings are the owner's and must outlive the
 * link.
 */
struct link_config {
	const char	*what;		/* log subject: "route" -> route=NAME */
	const char	*name;		/* the link's name in logs */
	const char	*url;		/* as configured, for logs */
	struct link_url	 at;		/* url, parsed (link_url_parse) */
	const char	*self;		/* our entity id, in our Hello */
	const char	*software;	/* Hello.software */
	uint32_t	 features;	/* Hello.features: KAIRAN_FEATURE_* */
	size_t		 max_frame;	/* bound on one message once READY */
	unsigned	 window;	/* envelopes in flight */
	unsigned	 max_ctl;	/* queued control frames before the
					   peer is deemed not reading */
	uint32_t	 backoff_min_ms, backoff_max_ms;
	uint32_t	 hello_timeout_ms;
	uint32_t	 stall_ms;	/* 0: no stall watchdog */
	uint32_t	 rewind_ms;	/* OVERLOADED: send again after */
	const lws_retry_bo_t *idle_policy; /* NULL: ping after 30 s of
					   silence, hang up after 70 s */
	struct lws_vhost *vhost;	/* the client identity's; NULL: the
					   context's default vhost */
};

/* what "link", max_frame 1 MiB and the LINK_* values above. */
void	link_config_defaults(struct link_config *);

struct link;

/*
 * The owner's side. arg is link_init's. Frames and envelopes are in
 * kairan.v1's encoding (frame.h).
 */
struct link_ops {
	/*
	 * The peer's certificate identity (already chain-checked by TLS and
	 * by identity_from_ssl): 0 to go on, or -1 with err saying why the
	 * peer is not the one wanted ("peer 452017 has role node, not
	 * relay"); then the connection is closed and retried. NULL: any.
	 */
	int	(*check_peer)(void *arg, struct link *,
		    const struct identity *, char *err, size_t errlen);
	/* READY: the peer said Hello. Optional. */
	void	(*up)(void *arg, struct link *);
	/*
	 * The connection is gone (why: the most specific reason known),
	 * before the backoff; not called after link_stop. Optional.
	 */
	void	(*down)(void *arg, struct link *, const char *why);
	/*
	 * A frame from the READY peer other than Hello: an Envelope, an
	 * Accepted, or a Refused with a 16-byte id (the link has already
	 * taken the id out of its window and, for OVERLOADED, scheduled the
	 * resend). Answers go out with link_queue. Returns 0, or -1 to close
	 * the connection (e.g. the store failed: the peer will send again).
	 */
	int	(*frame)(void *arg, struct link *, const Frame *);
	/*
	 * The next envelope to send (only called with room in the window):
	 * the first one of the owner's queue after fl->cursor that is not
	 * answered and not in flight (conn_flight_has), moving fl->cursor
	 * past what it looked at. Returns 1 with id, *seq, *env (malloc'd,
	 * taken by the link) and *envlen; 0 if there is nothing; -1 if the
	 * queue could not be read (logged by the owner; tried again at the
	 * next link_kick).
	 */
	int	(*next)(void *arg, struct link *, struct conn_flight *fl,
		    uint8_t id[KAIRAN_ID_LEN], int64_t *seq, uint8_t **env,
		    size_t *envlen);

	/*
	 * The wire callbacks, all three or none. established: TLS and
	 * WebSocket are up (the link is in HELLO, its Hello timeout armed);
	 * the owner checks the peer and sends its Hello; 0, or -1 to close.
	 * receive: a fragment (the link notes the time); writeable: lws's
	 * WRITEABLE. Both return lws's verdict (-1 closes). With them,
	 * check_peer, frame and next are not used, nor the link's window,
	 * and the owner calls link_ready on the peer's Hello.
	 */
	int	(*established)(void *arg, struct link *, struct lws *wsi);
	int	(*receive)(void *arg, struct link *, struct lws *wsi,
		    const void *in, size_t len);
	int	(*writeable)(void *arg, struct link *, struct lws *wsi);
};

struct link {
	uint32_t		 magic;		/* link_of_wsi's check */
	struct link_config	 cfg;
	struct lws_context	*context;
	const struct link_ops	*ops;
	void			*arg;
	enum link_state		 state;
	struct lws		*wsi;
	uint64_t		 gen;		/* connections dialled so far */
	int			 draining;	/* link_drain: no more redials */
	struct identity		 peer;		/* once checked */
	uint32_t		 backoff_ms;	/* next delay */
	lws_sorted_usec_list_t	 sul_retry, sul_rewind, sul_hello, sul_stall;

	/* this connection's bookkeeping (conn.h) */
	struct conn_rx		 rx;
	struct conn_ctl		 ctl;		/* our Hello and answers first */
	struct conn_flight	 flight;	/* envelopes in flight */
	int64_t			 rewind_seq;	/* OVERLOADED: from here (0: none) */
	int64_t			 last_rx_ms;	/* monotonic: the peer's last frame */
	uint64_t		 sent, accepted, refused;
	char			 down_why[LINK_WHY_MAX];
};

const char	*link_state_name(enum link_state);
/* 1 if old -> new is an edge of the diagram above (or old == new). */
int		 link_edge_ok(enum link_state old, enum link_state new);

/*
 * The backoff step: a delay in [*backoff_ms / 2, *backoff_ms] (jitter, so
 * that a relay's restart does not bring every client back in the same
 * millisecond); *backoff_ms doubles, capped at max_ms.
 */
uint32_t	 link_backoff_step(uint32_t *backoff_ms, uint32_t max_ms);

/*
 * The stall watchdog's verdict at now_ms: 1 if the window is full and the
 * peer has been silent since last_rx_ms for stall_ms or more; otherwise 0,
 * with *wait_ms the time left before it could be (-1: the window is not
 * full or there is no watchdog, nothing to wait for).
 */
int		 link_stall_due(int full, int64_t last_rx_ms, int64_t now_ms,
		    uint32_t stall_ms, int64_t *wait_ms);

/*
 * Sets the link up in IDLE (nothing is started): cfg is copied (its
 * strings are not), ops and arg are kept.
 */
void	link_init(struct link *, const struct link_config *,
	    struct lws_context *, const struct link_ops *, void *arg);
/* IDLE -> CONNECTING (no-op in any other state). */
void	link_start(struct link *);
/* Something new in the owner's queue: write it if READY. With rewind, the
 * queue is looked at again from its start (a sweep). */
void	link_kick(struct link *, int rewind);
/*
 * -> STOPPED: timers cancelled, the connection (if any) detached from the
 * link and closed. Idempotent. After it the link may be freed
 * (link_cleanup) at once.
 */
void	link_stop(struct link *);
/*
 * No more redials: a link without a connection is STOPPED at once; one
 * with a connection keeps it until it closes (the owner's own draining),
 * then tells the owner (ops->down) and is STOPPED. Idempotent.
 */
void	link_drain(struct link *);
/*
 * Closes the current connection (if any) with why as the reason the
 * owner and the log are told; the link redials after the backoff.
 */
void	link_close(struct link *, const char *why);
/*
 * why the current connection is about to end (a refusal the owner has
 * queued), unless a reason is noted already: the link's down reason.
 */
void	link_note(struct link *, const char *why);
/*
 * With the wire callbacks: the peer said Hello (HELLO -> READY, the
 * backoff reset, ops->up). A no-op in any other state.
 */
void	link_ready(struct link *);
/* Frees the buffers (after link_stop or with the lws context gone). */
void	link_cleanup(struct link *);

/*
 * Queues a control frame (buf with LWS_PRE headroom, taken) before any
 * envelope. Returns 0, or -1 if the peer leaves max_ctl of them unread
 * (it is not reading): the owner returns -1 so that the link is closed.
 */
int	link_queue(struct link *, uint8_t *buf, size_t len);

/*
 * An answer the owner decided later (a relay's Accepted after its commit)
 * belongs to connection number gen: link_queue_gen drops it (freeing buf,
 * returning 0) if that connection is gone, since the peer sends again
 * what was unanswered; otherwise as link_queue.
 */
int	link_queue_gen(struct link *, uint64_t gen, uint8_t *buf, size_t len);

/*
 * Flow control of what the peer sends (lws_rx_flow_control): 0 pauses
 * reading, 1 resumes. Not from inside RECEIVE (lws 4.1.6 can spin; see
 * relay/deliver.c): from a timer or another connection's callback.
 */
void	link_rx_flow(struct link *, int allow);

/* The link a connection belongs to, or NULL (not one of a link's). */
struct link	*link_of_wsi(struct lws *);

/*
 * For the owner's protocols[0] callback: the client reasons of a link's
 * connection (CONNECTION_ERROR, ESTABLISHED, RECEIVE, WRITEABLE, CLOSED,
 * and WSI_DESTROY as the final "gone", LWS-NOTES.md trap 6). A wsi that is
 * not a link's goes to lws_callback_http_dummy. The vhost's reasons (e.g.
 * OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS, no connection) stay the owner's.
 */
int	link_lws_callback(struct lws *, enum lws_callback_reasons, void *user,
	    void *in, size_t len);

#endif
