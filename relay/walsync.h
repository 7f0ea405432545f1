/*
 * walsync: the fsync of the relay's write-ahead log, on a thread of its
 * own, so that the event loop never waits on the disk.
 *
 * The loop commits a batch with synchronous=NORMAL (store_commit_nosync):
 * the transaction is complete in the WAL file, in the kernel's page cache
 * (a kill -9 cannot lose it, a power cut can). walsync_start() asks the
 * thread for one fdatasync of the WAL, which makes every frame written
 * before it durable: exactly what synchronous=FULL does inside COMMIT,
 * only later and elsewhere. When it is done the thread wakes the loop
 * (ev_async) and the loop's callback collects the outcome; only then may
 * anything the batch holds be answered (Accepted) or sent on.
 *
 * At most one sync is in flight. A second thread runs the WAL checkpoints
 * (the loop's connection has wal_autocheckpoint off: a checkpoint fsyncs
 * the WAL and the database) on a connection of its own, once a sync finds
 * the WAL holding WALSYNC_CHECKPOINT_BYTES of frames (as the loop's commit
 * counted them: the file keeps its largest size, so its size would ask for
 * a checkpoint after every sync); the syncs go on meanwhile. walsync_new
 * makes the WAL file WALSYNC_PRESIZE_BYTES long from the start, so that a
 * commit's fdatasync overwrites instead of extending the file.
 *
 * Built with -DKAIRAN_TEST_HOOKS (the test binaries only, never bin/), the
 * environment variable KAIRAN_TEST_SYNC_GATE=FILE holds every sync before
 * its fsync for as long as FILE exists, logging "walsync held" and
 * "walsync released": a test forces a slow disk without relying on timing.
 */
#ifndef KAIRAN_RELAY_WALSYNC_H
#define KAIRAN_RELAY_WALSYNC_H

#include <stddef.h>

#include <ev.h>

#define WALSYNC_CHECKPOINT_BYTES	(8 * 1024 * 1024)
/* the WAL file's size made beforehand: a checkpoint's worth and a quarter */
#define WALSYNC_PRESIZE_BYTES	(WALSYNC_CHECKPOINT_BYTES + \
	WALSYNC_CHECKPOINT_BYTES / 4)

struct walsync;

/* Called on the loop when a sync has ended (collect it with walsync_collect). */
typedef void walsync_cb(void *arg);

/*
 * Starts the thread for the database at dbpath (its WAL is dbpath-wal; the
 * store must be open in WAL mode already). cb(arg) runs on loop after each
 * sync. NULL with err on failure.
 */
struct walsync	*walsync_new(struct ev_loop *loop, const char *dbpath,
		    walsync_cb *cb, void *arg, char *err, size_t errlen);
/*
 * Asks for one sync of everything written so far; fatal if one is in
 * flight. wal_bytes: what the WAL holds after the last commit
 * (store_wal_bytes); past WALSYNC_CHECKPOINT_BYTES a checkpoint follows.
 */
void		 walsync_start(struct walsync *, size_t wal_bytes);
/* 1 if a sync is in flight (started, not collected yet). */
int		 walsync_busy(const struct walsync *);
/*
 * The outcome of the sync in flight, if it has ended: 1 with *seconds (the
 * fsync's duration) and 0 in *failed, or *failed = 1 with err; 0 if it has
 * not ended yet (or none was started). With wait, blocks until it ends
 * (at stop only: the loop waits on the disk then).
 */
int		 walsync_collect(struct walsync *, int wait, double *seconds,
		    int *failed, char *err, size_t errlen);
/* How many checkpoints have run (for tests). */
unsigned	 walsync_checkpoints(struct walsync *);
/* Ends the threads (after the sync and checkpoint in flight) and frees it. */
void		 walsync_free(struct walsync *);

#endif
