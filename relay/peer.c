/*
 * peer: per-connection state of the relay (see peer.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kairan/log.h"

#include "peer.h"

const char *
peer_state_name(enum peer_state s)
{
	switch (s) {
	case PEER_NEW:
		return "new";
	case PEER_OPEN:
		return "open";
	case PEER_READY:
		return "ready";
	case PEER_CLOSING:
		return "closing";
	default:
		fatalx("%s: state %d", __func__, (int)s);
	}
}

void
peer_transition(struct peer *p, enum peer_state new)
{
	enum peer_state old = p->state;

	switch (new) {
	case PEER_OPEN:
		if (old != PEER_NEW)
			fatalx("%s: %s -> open", __func__,
			    peer_state_name(old));
		break;
	case PEER_READY:
		if (old != PEER_OPEN)
			fatalx("%s: %s -> ready", __func__,
			    peer_state_name(old));
		break;
	case PEER_CLOSING:
		break;
	case PEER_NEW:
		/* the connection is gone (CLOSED): the slot is lws's again */
		break;
	default:
		fatalx("%s: to state %d", __func__, (int)new);
	}
	if (old == new)
		return;
	p->state = new;
	log_debug("peer entity=%s addr=%s %s -> %s",
	    p->who.entity[0] != '\0' ? p->who.entity : "-", p->addr,
	    peer_state_name(old), peer_state_name(new));
}

void
peer_clear(struct peer *p)
{
	conn_ctl_clear(&p->ctl);
	conn_rx_free(&p->rx);
	conn_flight_free(&p->flight);
	X509_free(p->leaf);
	X509_free(p->issuer);
	p->leaf = p->issuer = NULL;
}

/* FNV-1a of the key: short ids, "peer:NAME". */
static size_t
bucket_of(const char *key)
{
	uint32_t h = 2166136261u;

	while (*key != '\0')
		h = (h ^ (uint8_t)*key++) * 16777619u;
	return h % PEER_INDEX_BUCKETS;
}

void
peer_index_add(struct peer_index *x, struct peer *p)
{
	size_t b;

	if (x->bucket == NULL &&
	    (x->bucket = calloc(PEER_INDEX_BUCKETS, sizeof(*x->bucket))) ==
	    NULL)
		fatal("%s", __func__);
	b = bucket_of(p->key);
	p->knext = x->bucket[b];
	x->bucket[b] = p;
}

void
peer_index_remove(struct peer_index *x, struct peer *p)
{
	struct peer **pp;

	if (x->bucket == NULL)
		return;
	for (pp = &x->bucket[bucket_of(p->key)]; *pp != NULL;
	    pp = &(*pp)->knext)
		if (*pp == p) {
			*pp = p->knext;
			p->knext = NULL;
			return;
		}
}

struct peer *
peer_index_next(const struct peer_index *x, const char *key,
    const struct peer *after)
{
	struct peer *p;

	if (x->bucket == NULL)
		return NULL;
	p = after != NULL ? after->knext : x->bucket[bucket_of(key)];
	for (; p != NULL; p = p->knext)
		if (strcmp(p->key, key) == 0)
			return p;
	return NULL;
}

void
peer_index_free(struct peer_index *x)
{
	free(x->bucket);
	x->bucket = NULL;
}
