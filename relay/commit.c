/*
 * commit: the relay's grouped commits (see commit.h). Verified envelopes
 * and ended deliveries wait in the batch; at the end of the loop pass that
 * read them (ev_prepare) they are committed in one transaction to the WAL,
 * walsync's thread fsyncs it while the loop goes on, and only then are the
 * Accepted frames queued and the recipients woken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libwebsockets.h>

#include "kairan/conn.h"
#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "commit.h"
#include "deliver.h"
#include "metrics.h"
#include "escalate.h"
#include "events.h"
#include "mailroute.h"
#include "relay.h"
#include "routing.h"
#include "store.h"
#include "walsync.h"

/* An envelope verified and waiting for the next commit. */
struct pending {
	struct pending	*next;
	struct peer	*peer;		/* NULL once the peer is gone */
	Message		*msg;		/* owned */
	uint8_t		 digest[KAIRAN_DIGEST_LEN];
	uint8_t		*env;		/* the Envelope bytes, as stored */
	size_t		 envlen;
	int		 from;		/* the link it came over, -1: a node */
	int		 batchable;	/* a node that takes a batched QUEUED */
	char		 origin[KAIRAN_ENTITY_MAX + 1];	/* who handed it over */
};

/* A delivery that ended (the recipient answered), for the next commit. */
struct ended {
	struct ended	*next;
	uint8_t		 id[KAIRAN_ID_LEN];
	char		 recipient[ROUTING_KEY_MAX];	/* delivery key */
	char		 home[KAIRAN_ENTITY_MAX + 1];	/* a link's relay id */
	enum delivery_state state;
	char		 detail[256];
};

static struct pending *
pending_free(struct pending *q)
{
	struct pending *next = q->next;

	message_free(q->msg);
	free(q->env);
	free(q);
	return next;
}

/*
 * The QUEUED receipts of one commit that may share a signature
 * (routing_batches_for): each report's held list is owned here until
 * queued_flush.
 */
struct queued_list {
	struct queued_item {
		struct routing_held h;
		size_t		 pos;	/* arrival order, kept within a sender */
	}		*v;
	size_t		 n, cap;
};

static int
queued_add(struct queued_list *l, const Message *m, const uint8_t *digest,
    char **held, size_t nheld)
{
	struct queued_item *v;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap == 0 ? 64 : l->cap * 2;
		if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].h.ref = m;
	l->v[l->n].h.digest = digest;
	l->v[l->n].h.held = held;
	l->v[l->n].h.nheld = nheld;
	l->v[l->n].pos = l->n;
	l->n++;
	return 0;
}

static int
queued_cmp(const void *a, const void *b)
{
	const struct queued_item *x = a, *y = b;
	int c;

	if ((c = strcmp(x->h.ref->sender, y->h.ref->sender)) != 0)
		return c;
	if (x->h.ref->status != y->h.ref->status)
		return x->h.ref->status < y->h.ref->status ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Inside the open transaction: one QUEUED receipt per sender and status
 * for the reports of this commit, each naming at most
 * KAIRAN_MAX_QUEUED_BATCH reports and KAIRAN_MAX_RECIPIENTS held
 * recipients in all (so that it stays the size of one report's), one
 * signature for all of them instead of one each. 0, or -1 with err.
 */
static int
queued_flush(struct server *s, struct queued_list *l, int64_t now, char *err,
    size_t errlen)
{
	struct routing_held h[KAIRAN_MAX_QUEUED_BATCH];
	size_t i = 0, k, n, total;
	int rc = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), queued_cmp);
	while (rc == 0 && i < l->n) {
		n = 0;
		total = 0;
		for (k = i; k < l->n && n < KAIRAN_MAX_QUEUED_BATCH; k++) {
			if (k > i && (strcmp(l->v[k].h.ref->sender,
			    l->v[i].h.ref->sender) != 0 ||
			    l->v[k].h.ref->status != l->v[i].h.ref->status ||
			    total + l->v[k].h.nheld > KAIRAN_MAX_RECIPIENTS))
				break;
			total += l->v[k].h.nheld;
			h[n++] = l->v[k].h;
		}
		rc = routing_queued_batch(s, h, n, now, err, errlen);
		i = k;
	}
	return rc;
}

static void
queued_clear(struct queued_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].h.held);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/*
 * One verified envelope, inside the open transaction: stored once per id
 * (*fresh = 0 for one seen before), and each recipient's copy routed; a
 * report gets a REJECTED of ours for every recipient without a route and
 * one QUEUED of ours naming the recipients it is now held for here, at
 * once or, for a node that takes them batched, in ql (queued_flush).
 */
static int
commit_one(struct server *s, struct pending *q, int64_t now, int *fresh,
    struct queued_list *ql, char *err, size_t errlen)
{
	const Message *m = q->msg;
	/* an advisory travels and is receipted exactly like a report */
	int report = m->body_case != KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	char why[256], **held = NULL;
	size_t i, nheld = 0;
	int64_t seq;
	int dup, rc = -1;

	*fresh = 0;
	if (store_message_add(s->store, m, q->env, q->envlen, q->digest,
	    q->origin, now, &dup, &seq, err, errlen) == -1)
		return -1;
	if (dup)
		return 0;
	*fresh = 1;
	if (!report && store_receipt_add(s->store, seq, m, q->digest, now,
	    err, errlen) == -1)
		return -1;
	/* an acknowledgement ends its escalation with it, or not at all */
	if (escalate_cancel(s, m, now, err, errlen) == -1)
		return -1;
	if (report && (held = calloc(m->n_recipients, sizeof(*held))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < m->n_recipients; i++) {
		switch (routing_route(s, seq, q->from, m->recipients[i], why,
		    sizeof(why), err, errlen)) {
		case -1:
			goto done;
		case ROUTING_SERVED:
			if (!report)
				break;
			held[nheld++] = m->recipients[i];
			if (escalate_plan(s, m, seq, m->recipients[i], now, err,
			    errlen) == -1)
				goto done;
			break;
		case ROUTING_MAIL:
			/* a recipient without a node: mailed, never chased */
			if (report && mailroute_plan(s, m, seq, q->digest,
			    m->recipients[i], now, err, errlen) == -1)
				goto done;
			if (!report)
				log_warnx("receipt not routed sender=%s "
				    "recipient=%s reason=%s", m->sender,
				    m->recipients[i],
				    log_str("the recipient runs no node"));
			break;
		case ROUTING_FORWARDED:
		case ROUTING_NOT_OURS:
			break;
		case ROUTING_NO_ROUTE:
			if (report) {
				if (routing_reject(s, m, q->digest,
				    m->recipients[i], why, now, err,
				    errlen) == -1)
					goto done;
			} else
				/* no receipts about receipts: that could loop */
				log_warnx("receipt not routed sender=%s "
				    "recipient=%s reason=%s", m->sender,
				    m->recipients[i], log_str(why));
			break;
		default:
			fatalx("%s: routing result", __func__);
		}
	}
	if (nheld > 0 && q->batchable && routing_batches_for(s, m->sender)) {
		if (queued_add(ql, m, q->digest, held, nheld) == -1) {
			snprintf(err, errlen, "out of memory");
			goto done;
		}
		held = NULL;	/* ql's now */
	} else if (nheld > 0 && routing_queued(s, m, q->digest, held, nheld,
	    now, err, errlen) == -1)
		goto done;
	rc = 0;
done:
	free(held);
	return rc;
}

/* A batch committed to the WAL, waiting for its sync (walsync.h). */
struct synced {
	struct pending	*batch;
	struct ended	*ended;
	unsigned	 n;
	int		 wake_all;	/* a message was new */
	struct routing_wake wake;	/* whose queues it added to */
};

/*
 * The batch is durable: the Accepted frames, the recipients woken, the
 * escalations and mails armed. Nothing of the batch was told to anyone
 * before this: deliver.c holds back the messages of seq up to
 * unsynced_hi until durable_seq reaches it.
 */
static void
answer(struct server *s, struct synced *b)
{
	struct pending *q;
	struct ended *e;
	struct peer *p;
	char hex[KAIRAN_ID_HEXLEN + 1];
	uint8_t *buf;
	size_t len, i;

	s->durable_seq = s->unsynced_hi;
	for (q = b->batch; q != NULL; q = pending_free(q)) {
		idhex(q->msg->id.data, q->msg->id.len, hex);
		metrics_inc(METRIC_ENVELOPES_ACCEPTED,
		    store_body_name(q->msg));
		log_info("accepted id=%s sender=%s body=%s status=%s "
		    "recipients=%zu", hex, q->msg->sender,
		    store_body_name(q->msg), message_status_name(q->msg->status),
		    q->msg->n_recipients);
		events_notify(s, q->msg->body_case ==
		    KAIRAN__V1__MESSAGE__BODY_RECEIPT ? "receipt" : "report");
		if (q->peer == NULL)
			continue;
		if (frame_encode_accepted(q->msg->id.data, KAIRAN_ID_LEN,
		    LWS_PRE, &buf, &len) == -1)
			fatal("%s", __func__);
		conn_ctl_push(&q->peer->ctl, buf, len);
		deliver_wake(q->peer);
		deliver_maybe_pause(q->peer);
	}
	b->batch = NULL;
	while ((e = b->ended) != NULL) {
		b->ended = e->next;
		idhex(e->id, KAIRAN_ID_LEN, hex);
		log_info("delivered id=%s to=%s%s%s", hex, e->recipient,
		    e->state == DELIVERY_REFUSED ? " refused=" : "",
		    e->state == DELIVERY_REFUSED ? log_str(e->detail) : "");
		free(e);
	}
	if (b->wake_all)
		escalate_rearm(s);
	mailroute_rearm(s);
	/* the peers it gave deliveries to, found by key: not all of them */
	if (b->wake.all)
		for (p = s->peers; p != NULL; p = p->next) {
			if (p->state == PEER_READY)
				deliver_wake(p);
		}
	else
		for (i = 0; i < b->wake.n; i++)
			for (p = peer_index_next(&s->pindex, b->wake.keys[i],
			    NULL); p != NULL; p = peer_index_next(&s->pindex,
			    b->wake.keys[i], p))
				if (p->state == PEER_READY)
					deliver_wake(p);
	routing_wake_clear(&b->wake);
}

/*
 * A failed commit: nothing of it is acknowledged; the senders get
 * OVERLOADED (retryable) and will send again. The ended deliveries are
 * kept for the next commit: their recipients did answer, and their flight
 * entries are gone, so nothing else would record them before a reconnect.
 */
static void
fail_batch(struct server *s, struct pending *batch, struct ended *ended)
{
	struct pending *q;
	struct ended *e;

	for (q = batch; q != NULL; q = pending_free(q)) {
		if (q->peer == NULL)
			continue;
		metrics_inc(METRIC_ENVELOPES_REFUSED,
		    frame_reason_name(KAIRAN__V1__REFUSED__REASON__OVERLOADED));
		deliver_refuse(q->peer, q->msg->id.data, KAIRAN_ID_LEN,
		    KAIRAN__V1__REFUSED__REASON__OVERLOADED,
		    "store unavailable, retry later", 0);
	}
	s->mr_added = 0;
	if (ended == NULL)
		return;
	for (e = ended; e->next != NULL; e = e->next)
		;
	e->next = s->ended;
	s->ended = ended;
	if (!ev_is_active(&s->commit_timer)) {
		ev_timer_set(&s->commit_timer, RETRY_DELAY, 0.);
		ev_timer_start(s->loop, &s->commit_timer);
	}
}

/*
 * Commits what is batched in one transaction, to the WAL without an fsync,
 * and hands the sync to walsync's thread; the loop goes on reading (and
 * batching) meanwhile, and commit_synced_cb answers the batch once it is
 * durable. Only one batch syncs at a time: the caller checks that none is
 * in flight. Without a walsync (s->walsync NULL) the commit fsyncs itself
 * and the batch is answered at once.
 */
static void
commit_run(struct server *s)
{
	struct pending *q, *batch = s->batch;
	struct ended *e, *ended = s->ended;
	struct synced *b;
	struct queued_list ql = { NULL, 0, 0 };
	char err[512];
	int64_t now = message_now_ms();
	int fresh, failed = 0, wake_all = 0;
	unsigned n = s->nbatch;

	s->batch = NULL;
	s->batch_tail = &s->batch;
	s->nbatch = 0;
	s->ended = NULL;
	if (batch == NULL && ended == NULL)
		return;

	if ((s->walsync != NULL ? store_begin_nosync(s->store, err,
	    sizeof(err)) : store_begin(s->store, err, sizeof(err))) == -1)
		failed = 1;
	for (q = batch; !failed && q != NULL; q = q->next) {
		if (commit_one(s, q, now, &fresh, &ql, err, sizeof(err)) == -1)
			failed = 1;
		else if (fresh)
			wake_all = 1;
	}
	if (!failed && queued_flush(s, &ql, now, err, sizeof(err)) == -1)
		failed = 1;
	queued_clear(&ql);
	for (e = ended; !failed && e != NULL; e = e->next) {
		int changed;

		if ((changed = store_delivery_end(s->store, e->id,
		    e->recipient, e->state, e->state == DELIVERY_REFUSED ?
		    e->detail : NULL, now, err, sizeof(err))) == -1)
			failed = 1;
		/* the home relay has it: direct copies are no longer needed */
		else if (changed && e->state == DELIVERY_DONE &&
		    e->home[0] != '\0' && store_direct_home(s->store, e->id,
		    e->home, now, err, sizeof(err)) == -1)
			failed = 1;
	}
	if (!failed) {
		ev_tstamp t0 = ev_time();

		if (store_commit(s->store, err, sizeof(err)) == -1)
			failed = 1;
		else if (s->walsync == NULL)
			metrics_commit(n, ev_time() - t0);
	}
	if (failed) {
		struct routing_wake none = { NULL, 0, 0 };

		store_rollback(s->store);
		routing_wake_take(s, &none);	/* nothing of it was stored */
		routing_wake_clear(&none);
		log_warnx("commit failed envelopes=%u error=%s", n,
		    log_str(err));
		fail_batch(s, batch, ended);
		return;
	}
	if (n > 0)
		log_debug("commit envelopes=%u", n);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal("%s", __func__);
	b->batch = batch;
	b->ended = ended;
	b->n = n;
	b->wake_all = wake_all;
	routing_wake_take(s, &b->wake);
	s->unsynced_hi = store_last_seq(s->store);
	if (s->walsync == NULL) {
		answer(s, b);
		free(b);
		return;
	}
	s->syncing = b;
	walsync_start(s->walsync, store_wal_bytes(s->store));
}

/*
 * The end of a sync: the batch answered, or, if the fsync failed, the
 * relay stops at once: what the WAL holds is then unknown (the kernel may
 * have dropped the pages it could not write), nothing of the batch was
 * answered, and every sender sends it again to the restarted relay.
 */
static void
synced(struct server *s, double seconds, int failed, const char *err)
{
	struct synced *b = s->syncing;

	s->syncing = NULL;
	if (failed)
		fatalx("commit: the WAL could not be synced (%s): stopping "
		    "with envelopes=%u unanswered", err, b->n);
	metrics_commit(b->n, seconds);
	answer(s, b);
	free(b);
	if (s->batch != NULL || s->ended != NULL)
		commit_soon(s);
}

void
commit_synced_cb(void *arg)
{
	struct server *s = arg;
	char err[256];
	double secs;
	int failed;

	if (walsync_collect(s->walsync, 0, &secs, &failed, err,
	    sizeof(err)) == 1)
		synced(s, secs, failed, err);
}

/*
 * Once per loop pass, after everything readable was read: the batch is
 * committed now rather than after a fixed delay (a lone report waits for
 * nothing). While a batch syncs, the next one goes on gathering; its
 * commit starts when the sync ends (commit_synced_cb -> commit_soon).
 */
void
commit_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct server *s = w->data;

	(void)revents;
	ev_prepare_stop(loop, w);
	if (s->walsync != NULL && walsync_busy(s->walsync))
		return;
	commit_run(s);
}

/* After a failed commit, RETRY_DELAY later: the ended deliveries again. */
void
commit_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	commit_soon(w->data);
}

/* Waits for the sync in flight, if any, and answers its batch. */
static void
wait_sync(struct server *s)
{
	char err[256];
	double secs;
	int failed;

	if (s->walsync != NULL && walsync_busy(s->walsync) &&
	    walsync_collect(s->walsync, 1, &secs, &failed, err,
	    sizeof(err)) == 1)
		synced(s, secs, failed, err);
}

/*
 * At stop: the sync in flight waited for, then what is batched committed
 * and synced, the loop waiting on the disk (nothing else is read then).
 */
void
commit_flush(struct server *s)
{
	wait_sync(s);
	commit_run(s);
	wait_sync(s);
	ev_prepare_stop(s->loop, &s->commit_prepare);
	ev_timer_stop(s->loop, &s->commit_timer);
}

void
commit_soon(struct server *s)
{
	if (!ev_is_active(&s->commit_prepare))
		ev_prepare_start(s->loop, &s->commit_prepare);
}

void
commit_end_delivery(struct peer *p, const uint8_t *id, enum delivery_state st,
    const char *detail)
{
	struct ended *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("%s", __func__);
	memcpy(e->id, id, KAIRAN_ID_LEN);
	snprintf(e->recipient, sizeof(e->recipient), "%s", p->key);
	if (p->link >= 0)
		snprintf(e->home, sizeof(e->home), "%s",
		    p->srv->cfg->peers[p->link].id);
	e->state = st;
	snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
	e->next = p->srv->ended;
	p->srv->ended = e;
	commit_soon(p->srv);
}

void
commit_add(struct peer *p, struct envelope_info *info, const Envelope *env)
{
	struct server *s = p->srv;
	struct pending *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("%s", __func__);
	q->peer = p;
	q->from = p->link;
	q->batchable = p->link == -1 &&
	    (p->features & KAIRAN_FEATURE_QUEUED_BATCH) != 0;
	snprintf(q->origin, sizeof(q->origin), "%s", p->who.entity);
	q->msg = info->msg;
	info->msg = NULL;
	memcpy(q->digest, info->digest, sizeof(q->digest));
	q->envlen = kairan__v1__envelope__get_packed_size(env);
	if ((q->env = malloc(q->envlen)) == NULL)
		fatal("%s", __func__);
	kairan__v1__envelope__pack(env, q->env);
	*s->batch_tail = q;
	s->batch_tail = &q->next;
	s->nbatch++;
	if (log_getverbose() >= 1) {	/* spare the hex when nobody reads it */
		char hex[KAIRAN_ID_HEXLEN + 1];

		idhex(q->msg->id.data, q->msg->id.len, hex);
		log_debug("batched id=%s sender=%s waiting=%u", hex,
		    q->msg->sender, s->nbatch);
	}
	commit_soon(s);
}

void
commit_forget_peer(struct server *s, struct peer *p)
{
	struct pending *q;

	/* the batch outlives the connection: its envelopes are still stored */
	for (q = s->batch; q != NULL; q = q->next)
		if (q->peer == p)
			q->peer = NULL;
	for (q = s->syncing != NULL ? s->syncing->batch : NULL; q != NULL;
	    q = q->next)
		if (q->peer == p)
			q->peer = NULL;
}

void
commit_clear(struct server *s)
{
	struct ended *e;

	while (s->batch != NULL)
		s->batch = pending_free(s->batch);
	s->batch_tail = &s->batch;
	s->nbatch = 0;
	while ((e = s->ended) != NULL) {
		s->ended = e->next;
		free(e);
	}
	if (s->syncing != NULL) {
		while (s->syncing->batch != NULL)
			s->syncing->batch = pending_free(s->syncing->batch);
		while ((e = s->syncing->ended) != NULL) {
			s->syncing->ended = e->next;
			free(e);
		}
		routing_wake_clear(&s->syncing->wake);
		free(s->syncing);
		s->syncing = NULL;
	}
	/* what routing noted for a commit that never came */
	routing_wake_clear(&s->wake);
}
