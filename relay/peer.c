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
peer_ctl_push(struct peer *p, uint8_t *buf, size_t len)
{
	struct peer_ctl *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	c->buf = buf;
	c->len = len;
	if (p->ctl_tail != NULL)
		p->ctl_tail->next = c;
	else
		p->ctl_head = c;
	p->ctl_tail = c;
	p->nctl++;
}

struct peer_ctl *
peer_ctl_pop(struct peer *p)
{
	struct peer_ctl *c;

	if ((c = p->ctl_head) == NULL)
		return NULL;
	if ((p->ctl_head = c->next) == NULL)
		p->ctl_tail = NULL;
	p->nctl--;
	c->next = NULL;
	return c;
}

void
peer_ctl_free(struct peer_ctl *c)
{
	if (c == NULL)
		return;
	free(c->buf);
	free(c);
}

int
peer_rx_append(struct peer *p, const void *in, size_t len, size_t max)
{
	size_t cap;
	uint8_t *n;

	if (len > max || p->rxlen > max - len)
		return -1;
	if (p->rxlen + len > p->rxcap) {
		cap = p->rxcap ? p->rxcap : 4096;
		while (cap < p->rxlen + len)
			cap *= 2;
		if (cap > max)
			cap = max;
		if ((n = realloc(p->rx, cap)) == NULL)
			fatal("%s", __func__);
		p->rx = n;
		p->rxcap = cap;
	}
	memcpy(p->rx + p->rxlen, in, len);
	p->rxlen += len;
	return 0;
}

void
peer_rx_reset(struct peer *p)
{
	/* Keep small buffers; give big ones back (a hostile peer's 1 MiB). */
	if (p->rxcap > 65536) {
		free(p->rx);
		p->rx = NULL;
		p->rxcap = 0;
	}
	p->rxlen = 0;
}

int
peer_flight_add(struct peer *p, unsigned window, int64_t seq,
    const uint8_t id[KAIRAN_ID_LEN], double now)
{
	if (p->flight == NULL &&
	    (p->flight = calloc(window, sizeof(*p->flight))) == NULL)
		fatal("%s", __func__);
	if (p->nflight >= window)
		return -1;
	p->flight[p->nflight].seq = seq;
	memcpy(p->flight[p->nflight].id, id, KAIRAN_ID_LEN);
	p->flight[p->nflight].sent_at = now;
	p->nflight++;
	return 0;
}

int
peer_flight_remove(struct peer *p, const uint8_t id[KAIRAN_ID_LEN],
    int64_t *seq)
{
	unsigned i;

	for (i = 0; i < p->nflight; i++)
		if (memcmp(p->flight[i].id, id, KAIRAN_ID_LEN) == 0) {
			if (seq != NULL)
				*seq = p->flight[i].seq;
			p->flight[i] = p->flight[--p->nflight];
			return 1;
		}
	return 0;
}

int
peer_flight_has(const struct peer *p, const uint8_t id[KAIRAN_ID_LEN])
{
	unsigned i;

	for (i = 0; i < p->nflight; i++)
		if (memcmp(p->flight[i].id, id, KAIRAN_ID_LEN) == 0)
			return 1;
	return 0;
}

int
peer_flight_expire(struct peer *p, double before)
{
	int64_t first;
	unsigned i;
	int old = 0;

	for (i = 0; i < p->nflight; i++)
		if (p->flight[i].sent_at < before)
			old = 1;
	if (!old)
		return 0;
	first = p->flight[0].seq;
	for (i = 1; i < p->nflight; i++)
		if (p->flight[i].seq < first)
			first = p->flight[i].seq;
	if (p->cursor >= first)
		p->cursor = first - 1;
	p->nflight = 0;
	return 1;
}

void
peer_clear(struct peer *p)
{
	struct peer_ctl *c;

	while ((c = peer_ctl_pop(p)) != NULL)
		peer_ctl_free(c);
	free(p->rx);
	p->rx = NULL;
	p->rxlen = p->rxcap = 0;
	free(p->flight);
	p->flight = NULL;
	p->nflight = 0;
	X509_free(p->leaf);
	X509_free(p->issuer);
	p->leaf = p->issuer = NULL;
}
