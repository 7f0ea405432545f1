/*
 * routing: where the copy of a message for each recipient goes
 * (PROTOCOL.md §7): a delivery here for the recipients this relay serves;
 * for the others a forward over the link to their home relay, or to the
 * hub, under the one-transit rule; a direct delivery to their node if it
 * is connected here; and, where no route exists, a REJECTED receipt the
 * relay signs itself.
 *
 * Deliveries are keyed by who takes them: a node by its entity id, a
 * link to a peer relay by "peer:NAME" (no entity id has a colon), so that
 * every forward is a durable queue per (message, link), drained like a
 * node's.
 */
#ifndef KAIRAN_RELAY_ROUTING_H
#define KAIRAN_RELAY_ROUTING_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan/message.h"

struct server;
struct config_peer;

#define ROUTING_KEY_MAX	40	/* "peer:" NAME, or an entity id */

enum routing_result {
	ROUTING_SERVED,		/* a delivery to the recipient's node, here */
	ROUTING_FORWARDED,	/* queued on links towards its home relay */
	ROUTING_NOT_OURS,	/* came from a relay that is responsible */
	ROUTING_NO_ROUTE,	/* nobody to give it to: why says so */
	ROUTING_MAIL,		/* served here, runs no node: mailroute.h */
};

/*
 * The delivery keys that routing gave a delivery since they were last
 * taken (routing_wake_take): after the commit that stored them is synced,
 * only the peers of those keys are woken, found by key (peer_index). Every
 * commit that stored something new used to wake every connected peer,
 * each looking its queue up in the store, mostly for nothing: with the
 * whole directory connected, 1,836 lookups a commit (tests/bench/README.md,
 * fan-in with the other nodes idle). Past ROUTING_WAKE_MAX keys it is
 * simply all.
 */
#define ROUTING_WAKE_MAX	256
struct routing_wake {
	char	(*keys)[ROUTING_KEY_MAX];	/* each once */
	size_t	  n;
	int	  all;
};
/* Moves what was routed to into *w (emptied first; the server's is reset). */
void		 routing_wake_take(struct server *, struct routing_wake *w);
void		 routing_wake_clear(struct routing_wake *);	/* frees keys */

/* The delivery key of a link ("peer:NAME") into buf. */
void		 routing_link_key(const struct config_peer *, char *buf,
		    size_t len);
/*
 * The home relay of recipient (relay-PP, or relay-national for a national
 * body) into buf, or NULL with why if the directory does not know it.
 */
const char	*routing_home(struct server *, const char *recipient,
		    char *buf, size_t len, char *why, size_t whylen);
/* 1 if this relay is the hub of its federation (the national relay). */
int		 routing_is_hub(const struct server *);
/*
 * Inside the open transaction: routes the copy of message seq for
 * recipient, the message having come over link `from` (an index in
 * cfg->peers; -1 from a node or signed here). Adds the deliveries (a
 * forward is added once per link however many recipients it carries;
 * a direct one to a connected node that is not ours, besides). Returns
 * the result, why filled for ROUTING_NO_ROUTE; or -1 with err.
 */
int		 routing_route(struct server *, int64_t seq, int from,
		    const char *recipient, char *why, size_t whylen,
		    char *err, size_t errlen);
/*
 * Inside the open transaction: a receipt signed by the relay about
 * message ref (its digest), addressed to ref's sender and routed to it:
 * REJECTED for `subject` (with `why`), or QUEUED for the n recipients in
 * held. Returns 0 or -1 with err. (routing_overdue below is the third.)
 */
int		 routing_reject(struct server *, const Message *ref,
		    const uint8_t ref_digest[KAIRAN_DIGEST_LEN],
		    const char *subject, const char *why, int64_t now,
		    char *err, size_t errlen);
/*
 * Inside the open transaction: an OVERDUE receipt signed by the relay,
 * the home relay of recipient, which has not acknowledged ref by its
 * deadline (note says which), to ref's sender. 0 or -1 with err.
 */
int		 routing_overdue(struct server *, const Message *ref,
		    const uint8_t ref_digest[KAIRAN_DIGEST_LEN],
		    const char *recipient, const char *note, int64_t now,
		    char *err, size_t errlen);
/*
 * Inside the open transaction: a MAILED receipt signed by the relay, the
 * home relay of recipient (which runs no node): an SMTP server took the
 * mail of ref (note: to whom, the reply), to ref's sender. 0 or -1.
 */
int		 routing_mailed(struct server *, const Message *ref,
		    const uint8_t ref_digest[KAIRAN_DIGEST_LEN],
		    const char *recipient, const char *note, int64_t now,
		    char *err, size_t errlen);
int		 routing_queued(struct server *, const Message *ref,
		    const uint8_t ref_digest[KAIRAN_DIGEST_LEN],
		    char **held, size_t n, int64_t now, char *err,
		    size_t errlen);

/* One report a batched QUEUED receipt covers (routing_queued_batch). */
struct routing_held {
	const Message	*ref;
	const uint8_t	*digest;	/* KAIRAN_DIGEST_LEN bytes */
	char		**held;
	size_t		 nheld;
};
/*
 * 1 if a QUEUED receipt to sender may name several reports: the sender is
 * a node this relay serves, so the receipt goes to it only, never over a
 * link (PROTOCOL.md §7.4). The caller also checks the node said
 * KAIRAN_FEATURE_QUEUED_BATCH.
 */
int		 routing_batches_for(struct server *, const char *sender);
/*
 * Inside the open transaction: one QUEUED receipt for the n (1 ..
 * KAIRAN_MAX_QUEUED_BATCH) reports in h, all of one sender (for which
 * routing_batches_for said 1) and one status: h[0] in ref_id, ref_digest
 * and held, the others in Receipt.more; one signature for all. 0 or -1.
 */
int		 routing_queued_batch(struct server *,
		    const struct routing_held *h, size_t n, int64_t now,
		    char *err, size_t errlen);

#endif
