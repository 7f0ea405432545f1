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
