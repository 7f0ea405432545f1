/*
 * conn: reassembly, control queue and in-flight window of one connection
 * (see include/kairan/conn.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kairan/conn.h"
#include "kairan/log.h"

#define RX_KEEP		65536	/* bytes of buffer kept between messages */

int
conn_rx_append(struct conn_rx *rx, const void *in, size_t len, size_t max)
{
	size_t cap;
	uint8_t *n;

	if (len > max || rx->len > max - len)
		return -1;
	if (rx->len + len > rx->cap) {
		cap = rx->cap ? rx->cap : 4096;
		while (cap < rx->len + len)
			cap *= 2;
		if (cap > max)
			cap = max;
		if ((n = realloc(rx->buf, cap)) == NULL)
			fatal("%s", __func__);
		rx->buf = n;
		rx->cap = cap;
	}
	if (len > 0)
		memcpy(rx->buf + rx->len, in, len);
	rx->len += len;
	return 0;
}

void
conn_rx_reset(struct conn_rx *rx)
{
	/* keep a small buffer; give a big one back (a hostile peer's 1 MiB) */
	if (rx->cap > RX_KEEP)
		conn_rx_free(rx);
	rx->len = 0;
}

void
conn_rx_free(struct conn_rx *rx)
{
	free(rx->buf);
	rx->buf = NULL;
	rx->len = rx->cap = 0;
}

void
conn_ctl_push(struct conn_ctl *q, uint8_t *buf, size_t len)
{
	struct conn_frame *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal("%s", __func__);
	f->buf = buf;
	f->len = len;
	if (q->tail != NULL)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
	q->n++;
}

struct conn_frame *
conn_ctl_pop(struct conn_ctl *q)
{
	struct conn_frame *f;

	if ((f = q->head) == NULL)
		return NULL;
	if ((q->head = f->next) == NULL)
		q->tail = NULL;
	q->n--;
	f->next = NULL;
	return f;
}

void
conn_frame_free(struct conn_frame *f)
{
	if (f == NULL)
		return;
	free(f->buf);
	free(f);
}

void
conn_ctl_clear(struct conn_ctl *q)
{
	struct conn_frame *f;

	while ((f = conn_ctl_pop(q)) != NULL)
		conn_frame_free(f);
}

void
conn_flight_init(struct conn_flight *fl, unsigned window)
{
	memset(fl, 0, sizeof(*fl));
	fl->window = window > 0 ? window : 1;
}

void
conn_flight_clear(struct conn_flight *fl)
{
	fl->n = 0;
	fl->cursor = 0;
}

void
conn_flight_free(struct conn_flight *fl)
{
	free(fl->v);
	fl->v = NULL;
	conn_flight_clear(fl);
}

int
conn_flight_full(const struct conn_flight *fl)
{
	return fl->n >= fl->window;
}

static int
find(const struct conn_flight *fl, const uint8_t id[KAIRAN_ID_LEN])
{
	unsigned i;

	for (i = 0; i < fl->n; i++)
		if (memcmp(fl->v[i].id, id, KAIRAN_ID_LEN) == 0)
			return (int)i;
	return -1;
}

int
conn_flight_add(struct conn_flight *fl, int64_t seq,
    const uint8_t id[KAIRAN_ID_LEN], double now)
{
	if (fl->v == NULL &&
	    (fl->v = calloc(fl->window, sizeof(*fl->v))) == NULL)
		fatal("%s", __func__);
	if (conn_flight_full(fl) || find(fl, id) >= 0)
		return -1;
	fl->v[fl->n].seq = seq;
	memcpy(fl->v[fl->n].id, id, KAIRAN_ID_LEN);
	fl->v[fl->n].sent_at = now;
	fl->n++;
	return 0;
}

int
conn_flight_has(const struct conn_flight *fl, const uint8_t id[KAIRAN_ID_LEN])
{
	return find(fl, id) >= 0;
}

int
conn_flight_remove(struct conn_flight *fl, const uint8_t id[KAIRAN_ID_LEN],
    int64_t *seq)
{
	int i;

	if ((i = find(fl, id)) < 0)
		return 0;
	if (seq != NULL)
		*seq = fl->v[i].seq;
	fl->v[i] = fl->v[--fl->n];
	return 1;
}

void
conn_flight_rewind(struct conn_flight *fl, int64_t seq)
{
	if (fl->cursor >= seq)
		fl->cursor = seq - 1;
}

int
conn_flight_expire(struct conn_flight *fl, double before)
{
	int64_t first;
	unsigned i;
	int old = 0;

	for (i = 0; i < fl->n; i++)
		if (fl->v[i].sent_at < before)
			old = 1;
	if (!old)
		return 0;
	first = fl->v[0].seq;
	for (i = 1; i < fl->n; i++)
		if (fl->v[i].seq < first)
			first = fl->v[i].seq;
	conn_flight_rewind(fl, first);
	fl->n = 0;
	return 1;
}
