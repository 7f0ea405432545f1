/*
 * admit: deadlines and caps for connections still in their handshakes
 * (see admit.h for the policy and why).
 *
 * The table is a list in accept order, indexed by connection and by
 * address (hash buckets): a storm puts every node of the directory in it
 * at once (max_pending auto: 2,077), and a lookup per accept, per Hello
 * and per close that walked the whole list made the storm quadratic (9%
 * of the relay's CPU at 1,836 nodes). The timer is rearmed by a scan only
 * when the earliest deadline can have moved earlier: a new entry's
 * deadline is the latest of all, and a removal only makes a wakeup early
 * (it finds nothing due and rearms). Connections are never closed from
 * inside an lws callback: an eviction or a deadline marks the entry
 * CLOSING and our timer, running outside lws's service, closes it.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "kairan/log.h"

#include "admit.h"

enum entry_state {
	ENTRY_PENDING,		/* counted against the caps */
	ENTRY_CLOSING,		/* evicted or timed out, to be closed */
};

struct entry {
	TAILQ_ENTRY(entry)	 link;
	LIST_ENTRY(entry)	 by_wsi;	/* once bound */
	LIST_ENTRY(entry)	 by_addr;
	struct lws		*wsi;		/* NULL until admit_bind */
	char			 addr[64];
	ev_tstamp		 since;		/* accepted */
	uint64_t		 seq;		/* accept order */
	ev_tstamp		 deadline;
	enum entry_state	 state;
	int			 extended;	/* its deadline was, once */
	const char		*why;		/* CLOSING: the reason */
};

TAILQ_HEAD(entries, entry);
LIST_HEAD(bucket, entry);

/* Buckets of each index (a power of two); chains stay short at 65,535. */
#define ADMIT_BUCKETS	4096

struct admit {
	struct ev_loop	*loop;
	ev_timer	 timer;
	struct entries	 all;		/* in accept order */
	unsigned	 npending;
	unsigned	 max_pending, max_per_addr;
	double		 timeout_s;
	admit_close_fn	 close;
	admit_progress_fn progress;	/* NULL: every entry looks the same */
	double		 grace_s;	/* silent only after this long */
	void		*arg;
	struct entry	*stash;		/* filtered, waiting for its wsi */
	struct bucket	 wsis[ADMIT_BUCKETS], addrs[ADMIT_BUCKETS];
	uint64_t	 seq;
	unsigned long	 timed_out, evicted, extended;
	unsigned long	 logged_timed_out, logged_evicted;
};

static void	admit_timer_cb(struct ev_loop *, ev_timer *, int);

struct admit *
admit_new(struct ev_loop *loop, unsigned max_pending, unsigned max_per_addr,
    double timeout_s, admit_close_fn fn, void *arg)
{
	struct admit *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->loop = loop;
	TAILQ_INIT(&a->all);
	a->max_pending = max_pending > 0 ? max_pending : 1;
	a->max_per_addr = max_per_addr > 0 ? max_per_addr : 1;
	a->timeout_s = timeout_s;
	a->close = fn;
	a->arg = arg;
	ev_timer_init(&a->timer, admit_timer_cb, 0., 0.);
	a->timer.data = a;
	return a;
}

static size_t
hash_wsi(const struct lws *wsi)
{
	return (size_t)(((uint64_t)(uintptr_t)wsi * 0x9e3779b97f4a7c15ULL) >>
	    52) & (ADMIT_BUCKETS - 1);
}

/* FNV-1a of an address's text. */
static size_t
hash_addr(const char *addr)
{
	uint32_t h = 2166136261u;

	while (*addr != '\0')
		h = (h ^ (unsigned char)*addr++) * 16777619u;
	return h & (ADMIT_BUCKETS - 1);
}

static void
entry_remove(struct admit *a, struct entry *e)
{
	TAILQ_REMOVE(&a->all, e, link);
	LIST_REMOVE(e, by_addr);
	if (e->wsi != NULL)
		LIST_REMOVE(e, by_wsi);
	if (e->state == ENTRY_PENDING)
		a->npending--;
	if (a->stash == e)
		a->stash = NULL;
	free(e);
}

void
admit_free(struct admit *a)
{
	struct entry *e;

	if (a == NULL)
		return;
	ev_timer_stop(a->loop, &a->timer);
	while ((e = TAILQ_FIRST(&a->all)) != NULL)
		entry_remove(a, e);
	free(a);
}

void
admit_set_timeout(struct admit *a, double timeout_s)
{
	a->timeout_s = timeout_s;
}

void
admit_set_progress(struct admit *a, admit_progress_fn fn, double grace_s)
{
	a->progress = fn;
	a->grace_s = grace_s;
}

unsigned
admit_budget(unsigned configured, unsigned served, unsigned max_connections,
    unsigned long fd_limit)
{
	unsigned long want, room;

	if (configured > 0)
		want = configured;
	else {
		/* every node of ours at once, an eighth more for the peers
		 * and for what is still in the kernel's queue */
		want = (unsigned long)served + served / 8 + 64;
		if (want < ADMIT_MIN_PENDING)
			want = ADMIT_MIN_PENDING;
	}
	/* within the descriptors established nodes do not hold (at least
	 * a quarter of them: max_connections may be far above the limit) */
	room = fd_limit > (unsigned long)max_connections + 96 ?
	    (fd_limit - max_connections - 96) : 0;
	if (room < fd_limit / 4)
		room = fd_limit / 4;
	if (want > room)
		want = room;
	if (want > 65535)
		want = 65535;
	return want > 0 ? (unsigned)want : 1;
}

/* Arms the timer for the earliest thing to do (now, if anything is CLOSING). */
static void
rearm(struct admit *a)
{
	struct entry *e;
	ev_tstamp next = 0, now = ev_now(a->loop);
	int any = 0;

	TAILQ_FOREACH(e, &a->all, link) {
		if (e->state == ENTRY_CLOSING && e->wsi != NULL) {
			next = now;
			any = 1;
			break;
		}
		/* the stash (no wsi yet) cannot be closed: not its deadline */
		if (e->state == ENTRY_PENDING && e->wsi != NULL &&
		    (!any || e->deadline < next)) {
			next = e->deadline;
			any = 1;
		}
	}
	ev_timer_stop(a->loop, &a->timer);
	if (!any)
		return;
	ev_timer_set(&a->timer, next > now ? next - now : 0., 0.);
	ev_timer_start(a->loop, &a->timer);
}

static void
mark_closing(struct admit *a, struct entry *e, const char *why)
{
	if (e->state != ENTRY_PENDING)
		return;
	e->state = ENTRY_CLOSING;
	e->why = why;
	a->npending--;
}

/*
 * Closes what is due, outside any lws callback. Each entry is unlinked
 * before its close, so the WSI_DESTROY that the close causes finds nothing.
 */
static void
admit_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct admit *a = w->data;
	struct entry *e, *next;
	struct entries due;
	ev_tstamp now = ev_now(loop);
	/* as the sweep begins */
	int busy = a->npending > ADMIT_BUSY;
	int full = a->npending >= a->max_pending;

	(void)revents;
	TAILQ_INIT(&due);
	for (e = TAILQ_FIRST(&a->all); e != NULL; e = next) {
		next = TAILQ_NEXT(e, link);
		if (e->state == ENTRY_PENDING && e->wsi != NULL &&
		    e->deadline <= now) {
			/*
			 * A storm: the relay's one core is the bottleneck,
			 * every handshake is slow, and closing those under
			 * way wastes their work and doubles their nodes'
			 * backoff. One more deadline for them; silent ones
			 * go as always, and the caps still evict.
			 */
			/*
			 * Never at the cap: a flood that fills the table
			 * with sockets that each sent a byte would double
			 * its own sockets' lifetime.
			 */
			if (!e->extended && busy && !full &&
			    a->progress != NULL && a->progress(a->arg, e->wsi)) {
				e->extended = 1;
				e->deadline = now + a->timeout_s;
				a->extended++;
				continue;
			}
			mark_closing(a, e, "handshake timeout");
			a->timed_out++;
		}
		if (e->state != ENTRY_CLOSING || e->wsi == NULL)
			continue;
		/* out of every index: its close's WSI_DESTROY finds nothing */
		TAILQ_REMOVE(&a->all, e, link);
		LIST_REMOVE(e, by_addr);
		LIST_REMOVE(e, by_wsi);
		TAILQ_INSERT_TAIL(&due, e, link);
	}
	while ((e = TAILQ_FIRST(&due)) != NULL) {
		TAILQ_REMOVE(&due, e, link);
		a->close(a->arg, e->wsi, e->addr, e->why);
		free(e);
	}
	/* one line per sweep, not one per silent socket */
	if (a->timed_out != a->logged_timed_out ||
	    a->evicted != a->logged_evicted) {
		log_warnx("handshakes closed timed_out=%lu evicted=%lu "
		    "pending=%u extended=%lu (totals since start)",
		    a->timed_out, a->evicted, a->npending, a->extended);
		a->logged_timed_out = a->timed_out;
		a->logged_evicted = a->evicted;
	}
	rearm(a);
}

static void
format_addr(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t buflen)
{
	char host[64];

	if (sa == NULL || getnameinfo(sa, len, host, sizeof(host), NULL, 0,
	    NI_NUMERICHOST) != 0) {
		snprintf(buf, buflen, "-");
		return;
	}
	snprintf(buf, buflen, "%s", strncmp(host, "::ffff:", 7) == 0 ?
	    host + 7 : host);
}

/*
 * The one to evict for room: the oldest pending entry (of addr if addr is
 * not NULL) whose peer has sent nothing for grace_s since its accept, or,
 * when there is none (a storm of real nodes mid-handshake, or a cleverer
 * flood), the oldest of all. A silent socket never becomes a node; a
 * handshake under way has work in it that a node would have to pay again.
 * The grace: a real node just accepted has not been read yet either, and
 * a flood whose sockets each send one byte must not make exactly the
 * newcomers the preferred victims.
 */
static int
victim_silent(struct admit *a, struct entry *e, ev_tstamp now)
{
	return a->progress == NULL || (now - e->since >= a->grace_s &&
	    !a->progress(a->arg, e->wsi));
}

static struct entry *
victim_of(struct admit *a, const char *addr)
{
	struct entry *e, *first = NULL, *silent = NULL;
	ev_tstamp now = ev_now(a->loop);

	if (addr == NULL) {
		TAILQ_FOREACH(e, &a->all, link) {
			if (e->state != ENTRY_PENDING || e->wsi == NULL)
				continue;
			if (victim_silent(a, e, now))
				return e;
			if (first == NULL)
				first = e;
		}
		return first;
	}
	/* the address's bucket, in no order: the oldest by its accept */
	LIST_FOREACH(e, &a->addrs[hash_addr(addr)], by_addr) {
		if (e->state != ENTRY_PENDING || e->wsi == NULL ||
		    strcmp(e->addr, addr) != 0)
			continue;
		if ((silent == NULL || e->seq < silent->seq) &&
		    victim_silent(a, e, now))
			silent = e;
		if (first == NULL || e->seq < first->seq)
			first = e;
	}
	return silent != NULL ? silent : first;
}

int
admit_filter(struct admit *a, const struct sockaddr *sa, socklen_t salen)
{
	struct entry *e, *victim;
	unsigned same = 0;

	/* a filtered connection whose wsi never came (adoption failed) */
	if (a->stash != NULL && a->stash->wsi == NULL)
		entry_remove(a, a->stash);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return 0;	/* then it is only lws's timeout that holds */
	format_addr(sa, salen, e->addr, sizeof(e->addr));
	e->since = ev_now(a->loop);
	e->seq = a->seq++;
	e->deadline = e->since + a->timeout_s;
	e->state = ENTRY_PENDING;
	LIST_FOREACH(victim, &a->addrs[hash_addr(e->addr)], by_addr)
		if (victim->state == ENTRY_PENDING &&
		    strcmp(victim->addr, e->addr) == 0)
			same++;
	victim = NULL;
	if (same >= a->max_per_addr)
		victim = victim_of(a, e->addr);
	else if (a->npending >= a->max_pending)
		victim = victim_of(a, NULL);
	if (victim != NULL) {
		mark_closing(a, victim, same >= a->max_per_addr ?
		    "evicted: too many handshakes from this address" :
		    "evicted: too many handshakes pending");
		a->evicted++;
		log_debug("handshake evicted addr=%s for addr=%s", victim->addr,
		    e->addr);
	}
	TAILQ_INSERT_TAIL(&a->all, e, link);
	LIST_INSERT_HEAD(&a->addrs[hash_addr(e->addr)], e, by_addr);
	a->npending++;
	a->stash = e;
	/* e's deadline is the latest: only a victim or an idle timer moves */
	if (victim != NULL || !ev_is_active(&a->timer))
		rearm(a);
	return 0;
}

void
admit_bind(struct admit *a, struct lws *wsi)
{
	if (a->stash == NULL || a->stash->wsi != NULL)
		return;		/* not an accepted connection */
	a->stash->wsi = wsi;
	LIST_INSERT_HEAD(&a->wsis[hash_wsi(wsi)], a->stash, by_wsi);
	a->stash = NULL;
	if (!ev_is_active(&a->timer))
		rearm(a);
}

static struct entry *
find(struct admit *a, struct lws *wsi)
{
	struct entry *e;

	if (wsi == NULL)
		return NULL;
	LIST_FOREACH(e, &a->wsis[hash_wsi(wsi)], by_wsi)
		if (e->wsi == wsi)
			return e;
	return NULL;
}

void
admit_done(struct admit *a, struct lws *wsi)
{
	struct entry *e;

	/* no rearm: a removal can only make the next wakeup early */
	if ((e = find(a, wsi)) != NULL && e->state == ENTRY_PENDING)
		entry_remove(a, e);
}

void
admit_gone(struct admit *a, struct lws *wsi)
{
	struct entry *e;

	if ((e = find(a, wsi)) != NULL)
		entry_remove(a, e);
}

const char *
admit_addr(struct admit *a, struct lws *wsi)
{
	struct entry *e = find(a, wsi);

	return e != NULL ? e->addr : NULL;
}

unsigned
admit_pending(const struct admit *a)
{
	return a->npending;
}

unsigned long
admit_timed_out(const struct admit *a)
{
	return a->timed_out;
}

unsigned long
admit_evicted(const struct admit *a)
{
	return a->evicted;
}

unsigned long
admit_extended(const struct admit *a)
{
	return a->extended;
}
