/*
 * walsync: the WAL's fsync on a thread of its own (see walsync.h).
 *
 * Two threads: the sync thread (the WAL's descriptor is its own) and the
 * checkpoint thread (its connection is its own), so that a checkpoint
 * never delays a sync. Each touches the request, outcome and checkpoint
 * fields under the mutex only, as the loop does. The sync thread's one
 * call into the loop is ev_async_send, which libev allows from any thread.
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

	/* the sync thread's own */
	char		*walpath;
	int		 fd;		/* the WAL, O_RDONLY: fdatasync only */
	/* the checkpoint thread's own */
	struct store	*ckpt;		/* the checkpoint connection */
#ifdef KAIRAN_TEST_HOOKS
	const char	*gate;		/* KAIRAN_TEST_SYNC_GATE */
#endif

	/* under mu */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a request, the end of a sync, stop */
	int		 requested;	/* a sync asked for, not begun */
	size_t		 wal_bytes;	/* what the WAL held when it was asked */
	int		 busy;		/* started, not collected */
	int		 ended;		/* done, not collected */
	int		 failed;
	double		 seconds;
	char		 err[256];
	int		 stop;
	pthread_cond_t	 ckpt_cv;	/* a checkpoint wanted, stop */
	int		 ckpt_wanted;
	unsigned	 ckpts;		/* checkpoints run */
	pthread_t	 ckpt_thread;
	int		 ckpt_started;
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

/*
 * The checkpoint thread: a checkpoint copies pages into the database and
 * fsyncs the WAL and the database (tens of milliseconds under load), so it
 * runs beside the syncs, never in front of one.
 */
static void *
run_checkpoints(void *arg)
{
	struct walsync *w = arg;
	char err[256];

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->ckpt_wanted && !w->stop)
			pthread_cond_wait(&w->ckpt_cv, &w->mu);
		if (!w->ckpt_wanted)
			break;		/* stop; a wanted one is still run */
		w->ckpt_wanted = 0;
		pthread_mutex_unlock(&w->mu);
		if (store_checkpoint(w->ckpt, err, sizeof(err)) == -1)
			log_warnx("walsync checkpoint error=%s", log_str(err));
		pthread_mutex_lock(&w->mu);
		w->ckpts++;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void *
run(void *arg)
{
	struct walsync *w = arg;
	char err[256];
	double secs;
	int failed, large;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->requested && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->requested)
			break;		/* stop, nothing asked for */
		w->requested = 0;
		large = w->wal_bytes >= WALSYNC_CHECKPOINT_BYTES;
		pthread_mutex_unlock(&w->mu);

		secs = sync_once(w, &failed, err, sizeof(err));
		large = large && !failed;

		pthread_mutex_lock(&w->mu);
		if (large) {
			/* before the outcome: a stop that follows still runs it */
			w->ckpt_wanted = 1;
			pthread_cond_signal(&w->ckpt_cv);
		}
		w->ended = 1;
		w->failed = failed;
		w->seconds = secs;
		snprintf(w->err, sizeof(w->err), "%s", failed ? err : "");
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		ev_async_send(w->loop, &w->async);
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
	/*
	 * SQLite follows a symbolic link to the database and keeps its WAL
	 * beside the target: so must we, or an old -wal beside the link
	 * would be synced instead.
	 */
	char *real = realpath(dbpath, NULL);
	const char *db = real != NULL ? real : dbpath;
	size_t n = strlen(db) + sizeof("-wal");

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->walpath = malloc(n)) == NULL) {
		free(w);
		free(real);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(w->walpath, n, "%s-wal", db);
	free(real);
	w->fd = -1;
	w->loop = loop;
	w->cb = cb;
	w->arg = arg;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->ckpt_cv, NULL);
#ifdef KAIRAN_TEST_HOOKS
	w->gate = getenv("KAIRAN_TEST_SYNC_GATE");
#endif
	/* the WAL exists: the store was opened (and migrated) in WAL mode */
	if (wal_fd(w, err, errlen) == -1)
		goto fail;
	if ((w->ckpt = store_open_checkpointer(dbpath, err, errlen)) == NULL)
		goto fail;
	{
		char e[512];

		if (store_wal_presize(w->ckpt, w->walpath,
		    WALSYNC_PRESIZE_BYTES, e, sizeof(e)) == -1)
			log_warnx("walsync presize error=%s", log_str(e));
	}
	ev_async_init(&w->async, async_cb);
	w->async.data = w;
	ev_async_start(loop, &w->async);
	if ((errno = pthread_create(&w->thread, NULL, run, w)) != 0) {
		snprintf(err, errlen, "walsync thread: %s", strerror(errno));
		ev_async_stop(loop, &w->async);
		goto fail;
	}
	w->started = 1;
	if ((errno = pthread_create(&w->ckpt_thread, NULL, run_checkpoints,
	    w)) != 0) {
		snprintf(err, errlen, "walsync checkpoint thread: %s",
		    strerror(errno));
		goto fail;
	}
	w->ckpt_started = 1;
	return w;
fail:
	walsync_free(w);
	return NULL;
}

void
walsync_start(struct walsync *w, size_t wal_bytes)
{
	pthread_mutex_lock(&w->mu);
	if (w->busy)
		fatalx("%s: a sync is in flight", __func__);
	w->busy = 1;
	w->requested = 1;
	w->wal_bytes = wal_bytes;
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

unsigned
walsync_checkpoints(struct walsync *w)
{
	unsigned n;

	pthread_mutex_lock(&w->mu);
	n = w->ckpts;
	pthread_mutex_unlock(&w->mu);
	return n;
}

void
walsync_free(struct walsync *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_cond_broadcast(&w->ckpt_cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started) {
		pthread_join(w->thread, NULL);
		ev_async_stop(w->loop, &w->async);
	}
	if (w->ckpt_started)
		pthread_join(w->ckpt_thread, NULL);
	store_close(w->ckpt);
	if (w->fd >= 0)
		close(w->fd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->ckpt_cv);
	free(w->walpath);
	free(w);
}
