/*
 * relay: the state the parts of kairan-relay share, in the manner of
 * relayd.h: server.c owns it (loop, signals, reload, stop), listener.c
 * (TLS, connections), frames.c (what peers send), commit.c (grouped
 * commits), deliver.c (what peers are sent) and routing.c (where a
 * recipient's copy goes) each keep their own fields of it.
 */
#ifndef KAIRAN_RELAY_RELAY_H
#define KAIRAN_RELAY_RELAY_H

#include <stdint.h>
#include <stdio.h>

#include <ev.h>
#include <openssl/ssl.h>

#include "kairan/kairan.h"
#include "kairan/message.h"

#include "config.h"
#include "peer.h"
#include "session.h"

#define RETRY_DELAY		2.0	/* s: after a peer's OVERLOADED */
/* a Hello: an entity of at most 32 bytes, software of at most 256 */
#define HELLO_FRAME_MAX		1024
#define DRAIN_S			2.0	/* s: at stop, a peer taking none of its answers */
#define DRAIN_MAX_S		30.0	/* s: at stop, the whole drain at most */
#define DRAIN_POLL_S		0.01
#define SOFTWARE		"kairan-relay/" KAIRAN_VERSION

struct lws_context;
struct lws_vhost;
struct trust;
struct directory;
struct signer;
struct store;
struct refcache;
struct admit;
struct pending;
struct ended;
struct synced;
struct walsync;
struct dial;
struct mail;
struct esc_flight;
struct auth;
struct view;
struct events;
struct mr_flight;
struct tickets;

struct server {
	const struct config	*cfg;
	struct ev_loop		*loop;
	struct lws_context	*context;
	struct lws_vhost	*links_vhost;	/* the links we dial */
	struct lws_vhost	*console_vhost;	/* httpd.c: HTTPS, operators */
	struct lws_vhost	*metrics_vhost;	/* httpd.c: plain /metrics */
	SSL_CTX			*ssl_ctx;	/* the listener's, for reloads */
	SSL_CTX			*client_ssl_ctx;	/* of the links we dial */
	struct trust		*trust;
	struct directory	*dir;
	struct signer		*signer;
	struct store		*store;
	struct refcache		*refs;		/* what receipts refer to */
	struct admit		*admit;		/* unauthenticated connections */
	unsigned		 max_pending;	/* admit's cap (admit_budget) */
	struct tickets		*tickets;	/* TLS session ticket keys */
	ev_timer		 tickets_timer;	/* their rotation */
	struct auth		*auth;		/* httpd.c: the console's login */

	/* session.c: the connected peers (nodes and relays) */
	struct peer		*peers;
	unsigned		 npeers;
	struct peer_index	 pindex;	/* the same peers, by key */
	X509			*issuers[SESSION_ISSUERS_MAX];	/* one copy each */
	size_t			 nissuers;

	/* dial.c: the links we dial */
	struct dial		*dials;
	size_t			 ndials;
	ev_timer		 dial_timer;	/* the stall watch */

	/* commit.c: what the next commit writes */
	struct pending		*batch, **batch_tail;
	unsigned		 nbatch;
	struct ended		*ended;
	ev_prepare		 commit_prepare;	/* commit when idle */
	ev_prepare		 log_prepare;	/* log_flush, last before the loop waits */
	ev_timer		 commit_timer;	/* retry a failed commit */
	struct walsync		*walsync;	/* the WAL's fsync thread */
	struct synced		*syncing;	/* the batch it syncs */
	/* messages of seq in (durable_seq, unsynced_hi] wait for the sync */
	int64_t			 durable_seq, unsynced_hi;
	/* routing.c: the delivery keys routed to since commit.c took them */
	struct routing_wake	 wake;

	/* deliver.c */
	ev_timer		 retry_timer;	/* after OVERLOADED */
	ev_timer		 resend_timer;	/* unanswered deliveries */
	ev_check		 pause_check;	/* rx pauses, outside lws */
	struct deliver_frames	*frames;	/* of the last messages sent */

	/* escalate.c: the next due step of the store; the mails in flight */
	ev_timer		 esc_timer;
	struct mail		*mail;
	struct esc_flight	*esc_flights;

	/* api.c: the console's reads (view.c), its feed and last seen (events.c) */
	struct view		*view;
	struct events		*events;

	/* mailroute.c: the next due mail, the mails in flight */
	ev_timer		 mr_timer;
	struct mail		*mr_mail;
	struct mr_flight	*mr_flights;
	int			 mr_added;	/* a commit added rows */

	/* server.c */
	ev_timer		 checkpoint_timer;
	int64_t			 checkpoint_rows;	/* of the last one written */
	ev_timer		 drain_timer;	/* stopping: last answers */
	ev_tstamp		 drain_until;	/* DRAIN_S after the last progress */
	ev_tstamp		 drain_end;	/* DRAIN_MAX_S after the stop */
	size_t			 drain_queued;	/* answers queued, at the last look */
	size_t			 drain_unread;	/* bytes in the sockets, then */
	ev_signal		 sig_term, sig_int, sig_hup;
	int			 stopping;
};

/* An id as 32 hex digits, or "-" if it is not 16 bytes. */
static inline void
idhex(const uint8_t *id, size_t len, char out[KAIRAN_ID_HEXLEN + 1])
{
	if (id != NULL && len == KAIRAN_ID_LEN)
		message_hex(id, KAIRAN_ID_LEN, out);
	else
		snprintf(out, KAIRAN_ID_HEXLEN + 1, "-");
}

#endif
