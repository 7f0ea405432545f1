/*
 * walsync: the WAL's fsync on a thread of its own (see walsync.h).
 *
 * The thread touches only what is its own (the WAL's descriptor, its
 * checkpoint connection) and, under the mutex, the request and outcome
 * fields; the loop touches the same fields under the mutex only. The
 * thread's one call into the loop is ev_async_send, which libev allows
 * from any thread.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "kairan/log.h"

#include "store.h"
#include "walsync.h"

struct walsync {
	struct ev_loop	*loop;
	ev_async	 async;
	walsync_cb	*cb;
	void		*arg;
	pthread_t	 thread;
	int		 started;	/* the thread runs */

	/* the thread's own */
	char		*walpath;
	int		 fd;		/* the WAL, O_RDONLY: fdatasync only */
	struct store	*ckpt;		/* the checkpoint connection */
#ifdef KAIRAN_TEST_HOOKS
	const char	*gate;		/* KAIRAN_TEST_SYNC_GATE */
#endif

	/* under mu */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a request, the end of a sync, stop */
	int		 requested;	/* a sync asked for, not begun */
	int		 busy;		/* started, not collected */
	int		 ended;		/* done, not collected */
	int		 failed;
	double		 seconds;
	char		 err[256];
	int		 stop;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The WAL as it is now: SQLite keeps one file for the life of its
 * connections, but should it ever have been replaced (another inode at the
 * path), the new one is synced, not the old. 0, or -1 with err.
 */
static int
wal_fd(struct walsync *w, char *err, size_t errlen)
{
	struct stat a, b;

	if (w->fd >= 0 && fstat(w->fd, &a) == 0 && stat(w->walpath, &b) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		return 0;
	if (w->fd >= 0)
		close(w->fd);
	if ((w->fd = open(w->walpath, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", w->walpath, strerror(errno));
		return -1;
	}
	return 0;
}

#ifdef KAIRAN_TEST_HOOKS
/* Holds the sync while the gate file exists. */
static void
hold(struct walsync *w)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	if (w->gate == NULL || access(w->gate, F_OK) == -1)
		return;
	log_info("walsync held gate=%s", log_str(w->gate));
	while (access(w->gate, F_OK) == 0)
		nanosleep(&ts, NULL);
	log_info("walsync released");
}
#endif

/* One sync: the outcome in *failed, err and the fsync's duration. */
static double
sync_once(struct walsync *w, int *failed, char *err, size_t errlen)
{
	double t0;

	*failed = 0;
#ifdef KAIRAN_TEST_HOOKS
	hold(w);
#endif
	t0 = mono();
	if (wal_fd(w, err, errlen) == -1)
		*failed = 1;
	else if (fdatasync(w->fd) == -1) {
		snprintf(err, errlen, "fdatasync %s: %s", w->walpath,
		    strerror(errno));
		*failed = 1;
	}
	return mono() - t0;
}

/* After a sync, outside the loop's wait: a checkpoint once the WAL is large. */
static void
maybe_checkpoint(struct walsync *w)
{
	struct stat sb;
	char err[256];

	if (w->fd < 0 || fstat(w->fd, &sb) == -1 ||
	    sb.st_size < WALSYNC_CHECKPOINT_BYTES)
		return;
	if (store_checkpoint(w->ckpt, err, sizeof(err)) == -1)
		log_warnx("walsync checkpoint error=%s", log_str(err));
}

static void *
run(void *arg)
{
	struct walsync *w = arg;
	char err[256];
	double secs;
	int failed;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->requested && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->requested)
			break;		/* stop, nothing asked for */
		w->requested = 0;
		pthread_mutex_unlock(&w->mu);

		secs = sync_once(w, &failed, err, sizeof(err));

		pthread_mutex_lock(&w->mu);
		w->ended = 1;
		w->failed = failed;
		w->seconds = secs;
		snprintf(w->err, sizeof(w->err), "%s", failed ? err : "");
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		ev_async_send(w->loop, &w->async);
		/* the loop answers meanwhile; the next sync waits for this */
		maybe_checkpoint(w);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void
async_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	struct walsync *w = a->data;

	(void)loop;
	(void)revents;
	w->cb(w->arg);
}

struct walsync *
walsync_new(struct ev_loop *loop, const char *dbpath, walsync_cb *cb,
    void *arg, char *err, size_t errlen)
{
	struct walsync *w;
	size_t n = strlen(dbpath) + sizeof("-wal");

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->walpath = malloc(n)) == NULL) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(w->walpath, n, "%s-wal", dbpath);
	w->fd = -1;
	w->loop = loop;
	w->cb = cb;
	w->arg = arg;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
#ifdef KAIRAN_TEST_HOOKS
	w->gate = getenv("KAIRAN_TEST_SYNC_GATE");
#endif
	/* the WAL exists: the store was opened (and migrated) in WAL mode */
	if (wal_fd(w, err, errlen) == -1)
		goto fail;
	if ((w->ckpt = store_open_checkpointer(dbpath, err, errlen)) == NULL)
		goto fail;
	ev_async_init(&w->async, async_cb);
	w->async.data = w;
	ev_async_start(loop, &w->async);
	if ((errno = pthread_create(&w->thread, NULL, run, w)) != 0) {
		snprintf(err, errlen, "walsync thread: %s", strerror(errno));
		ev_async_stop(loop, &w->async);
		goto fail;
	}
	w->started = 1;
	return w;
fail:
	walsync_free(w);
	return NULL;
}

void
walsync_start(struct walsync *w)
{
	pthread_mutex_lock(&w->mu);
	if (w->busy)
		fatalx("%s: a sync is in flight", __func__);
	w->busy = 1;
	w->requested = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int
walsync_busy(const struct walsync *w)
{
	/* busy is written by the loop's thread only: no lock to read it here */
	return w->busy;
}

int
walsync_collect(struct walsync *w, int wait, double *seconds, int *failed,
    char *err, size_t errlen)
{
	int got = 0;

	pthread_mutex_lock(&w->mu);
	while (wait && w->busy && !w->ended)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->busy && w->ended) {
		w->busy = w->ended = 0;
		*seconds = w->seconds;
		*failed = w->failed;
		snprintf(err, errlen, "%s", w->err);
		got = 1;
	}
	pthread_mutex_unlock(&w->mu);
	return got;
}

void
walsync_free(struct walsync *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		ev_async_stop(w->loop, &w->async);
	}
	store_close(w->ckpt);
	if (w->fd >= 0)
		close(w->fd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->walpath);
	free(w);
}
