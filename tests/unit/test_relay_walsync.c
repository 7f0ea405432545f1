/*
 * Unit tests of walsync, the WAL's fsync on its own thread, with the
 * store's transactions without an fsync: the loop keeps running while a
 * sync is held (the test hook KAIRAN_TEST_SYNC_GATE: this test is built
 * with -DKAIRAN_TEST_HOOKS), the outcome is collected exactly once, a
 * stop waits for the sync in flight, and a WAL that cannot be synced is an
 * error naming the file.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "kairan/message.h"

#include "store.h"
#include "walsync.h"

struct fx {
	char		 dir[64];
	char		 path[128];
	char		 gate[128];
	struct store	*s;
	struct ev_loop	*loop;
	struct walsync	*w;
	int		 synced;	/* callbacks */
	int		 ticks;		/* timer callbacks before the sync ended */
	int		 ticks_at_sync;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/kairan-walsync-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/relay.db", f->dir);
	snprintf(f->gate, sizeof(f->gate), "%s/gate", f->dir);
	f->s = store_open(f->path, err, sizeof(err));
	assert_non_null(f->s);
	assert_int_equal(store_checkpoint_elsewhere(f->s, err, sizeof(err)), 0);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(f->loop);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	walsync_free(f->w);
	store_close(f->s);
	ev_loop_destroy(f->loop);
	unsetenv("KAIRAN_TEST_SYNC_GATE");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
on_sync(void *arg)
{
	struct fx *f = arg;

	f->synced++;
	f->ticks_at_sync = f->ticks;
	ev_break(f->loop, EVBREAK_ALL);
}

/* One report committed without an fsync; its seq. */
static int64_t
commit_report(struct store *s)
{
	static const uint8_t env[4] = { 1, 2, 3, 4 }, digest[32];
	static char sender[] = "452017", rcpt[] = "450006";
	char *rc[] = { rcpt }, err[256];
	Message m;
	IncidentReport r;
	uint8_t id[16];
	int64_t seq = 0;
	int dup;

	kairan__v1__message__init(&m);
	kairan__v1__incident_report__init(&r);
	assert_int_equal(message_id_new(id), 0);
	m.id.data = id;
	m.id.len = 16;
	m.sender = sender;
	m.recipients = rc;
	m.n_recipients = 1;
	m.created_at_ms = 1;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	assert_int_equal(store_begin_nosync(s, err, sizeof(err)), 0);
	assert_int_equal(store_message_add(s, &m, env, sizeof(env), digest,
	    "452017", 1000, &dup, &seq, err, sizeof(err)), 0);
	assert_int_equal(store_delivery_add(s, seq, rcpt, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(store_commit(s, err, sizeof(err)), 0);
	return seq;
}

/* A commit without an fsync is committed: seen by another connection. */
static void
test_nosync_commit_is_committed(void **state)
{
	struct fx *f = *state;
	struct store *ro;
	char err[256];
	int64_t seq;

	seq = commit_report(f->s);
	assert_true(seq > 0);
	assert_true(store_last_seq(f->s) == seq);
	ro = store_open_readonly(f->path, err, sizeof(err));
	assert_non_null(ro);
	assert_true(store_last_seq(ro) == seq);
	assert_int_equal(store_pending_count(ro), 1);
	store_close(ro);
	/* and the next ordinary transaction is one as before */
	assert_true(commit_report(f->s) == seq + 1);
}

static void
test_sync_ends_once(void **state)
{
	struct fx *f = *state;
	char err[256];
	double secs = -1;
	int failed = -1;

	f->w = walsync_new(f->loop, f->path, on_sync, f, err, sizeof(err));
	assert_non_null(f->w);
	assert_int_equal(walsync_busy(f->w), 0);
	commit_report(f->s);
	walsync_start(f->w, store_wal_bytes(f->s));
	assert_int_equal(walsync_busy(f->w), 1);
	ev_run(f->loop, 0);
	assert_int_equal(f->synced, 1);
	assert_int_equal(walsync_collect(f->w, 0, &secs, &failed, err,
	    sizeof(err)), 1);
	assert_int_equal(failed, 0);
	assert_true(secs >= 0);
	assert_int_equal(walsync_busy(f->w), 0);
	/* collected: nothing more to collect */
	assert_int_equal(walsync_collect(f->w, 1, &secs, &failed, err,
	    sizeof(err)), 0);
}

static void
tick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct fx *f = t->data;

	(void)loop;
	(void)revents;
	/* the loop runs while the sync is held; after a few ticks, release */
	if (++f->ticks == 5) {
		assert_int_equal(f->synced, 0);
		assert_int_equal(walsync_busy(f->w), 1);
		assert_int_equal(unlink(f->gate), 0);
	}
}

/* The loop is served while a sync is held: a slow disk blocks nothing. */
static void
test_loop_runs_while_sync_held(void **state)
{
	struct fx *f = *state;
	char err[256];
	double secs;
	int failed;
	ev_timer t;
	FILE *fp;

	assert_non_null(fp = fopen(f->gate, "w"));	/* held from the start */
	fclose(fp);
	setenv("KAIRAN_TEST_SYNC_GATE", f->gate, 1);
	f->w = walsync_new(f->loop, f->path, on_sync, f, err, sizeof(err));
	assert_non_null(f->w);
	commit_report(f->s);
	walsync_start(f->w, store_wal_bytes(f->s));
	ev_timer_init(&t, tick_cb, 0.01, 0.01);
	t.data = f;
	ev_timer_start(f->loop, &t);
	ev_run(f->loop, 0);
	ev_timer_stop(f->loop, &t);
	assert_int_equal(f->synced, 1);
	assert_true(f->ticks_at_sync >= 5);
	assert_int_equal(walsync_collect(f->w, 0, &secs, &failed, err,
	    sizeof(err)), 1);
	assert_int_equal(failed, 0);
}

/* At stop the loop may wait: collect(wait) returns once the sync ended. */
static void
test_collect_waits(void **state)
{
	struct fx *f = *state;
	char err[256];
	double secs;
	int failed = -1;

	f->w = walsync_new(f->loop, f->path, on_sync, f, err, sizeof(err));
	assert_non_null(f->w);
	commit_report(f->s);
	walsync_start(f->w, store_wal_bytes(f->s));
	assert_int_equal(walsync_collect(f->w, 1, &secs, &failed, err,
	    sizeof(err)), 1);
	assert_int_equal(failed, 0);
	assert_int_equal(walsync_busy(f->w), 0);
	/* the callback that comes later finds nothing to collect */
	ev_run(f->loop, EVRUN_ONCE);
	assert_int_equal(walsync_collect(f->w, 0, &secs, &failed, err,
	    sizeof(err)), 0);
}

/* A WAL that is gone cannot be synced: failed, naming the file. */
static void
test_missing_wal_fails(void **state)
{
	struct fx *f = *state;
	char err[256], wal[160];
	double secs;
	int failed = 0;

	f->w = walsync_new(f->loop, f->path, on_sync, f, err, sizeof(err));
	assert_non_null(f->w);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(unlink(wal), 0);
	walsync_start(f->w, store_wal_bytes(f->s));
	assert_int_equal(walsync_collect(f->w, 1, &secs, &failed, err,
	    sizeof(err)), 1);
	assert_int_equal(failed, 1);
	assert_non_null(strstr(err, "relay.db-wal"));
}

/* No WAL at all (not a WAL database): refused at start, naming it. */
static void
test_new_needs_wal(void **state)
{
	struct fx *f = *state;
	char err[256], path[160];

	(void)f;
	snprintf(path, sizeof(path), "%s/none.db", f->dir);
	assert_null(walsync_new(f->loop, path, on_sync, f, err, sizeof(err)));
	assert_non_null(strstr(err, "none.db-wal"));
}

static void
test_checkpoint(void **state)
{
	struct fx *f = *state;
	struct store *c;
	char err[256];

	commit_report(f->s);
	c = store_open_checkpointer(f->path, err, sizeof(err));
	assert_non_null(c);
	/* the frames of the commit are copied into the database */
	assert_true(store_checkpoint(c, err, sizeof(err)) > 0);
	store_close(c);
}

/* walsync started on f's database. */
static void
start_walsync(struct fx *f)
{
	char err[256];

	f->w = walsync_new(f->loop, f->path, on_sync, f, err, sizeof(err));
	assert_non_null(f->w);
}

/* The size of f's WAL file. */
static off_t
wal_size(struct fx *f)
{
	struct stat sb;
	char wal[160];

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(stat(wal, &sb), 0);
	return sb.st_size;
}

/* One sync of what f->s committed, asked for and collected: it succeeded. */
static void
sync_collected(struct fx *f)
{
	char err[256];
	double secs;
	int failed = 1;

	walsync_start(f->w, store_wal_bytes(f->s));
	assert_int_equal(walsync_collect(f->w, 1, &secs, &failed, err,
	    sizeof(err)), 1);
	assert_int_equal(failed, 0);
}

/*
 * Stops walsync (its threads joined: a checkpoint it wanted has run);
 * the size of the database file then.
 */
static off_t
stop_walsync(struct fx *f)
{
	struct stat sb;

	walsync_free(f->w);
	f->w = NULL;
	assert_int_equal(stat(f->path, &sb), 0);
	return sb.st_size;
}

/* Once the WAL is past WALSYNC_CHECKPOINT_BYTES, the thread checkpoints it. */
static void
test_checkpoint_after_large_wal(void **state)
{
	struct fx *f = *state;
	struct stat sb;

	start_walsync(f);
	do
		commit_report(f->s);
	while (store_wal_bytes(f->s) < WALSYNC_CHECKPOINT_BYTES);
	assert_true(wal_size(f) >= WALSYNC_CHECKPOINT_BYTES);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(sb.st_size <= 4096);	/* all of it still in the WAL */
	sync_collected(f);
	assert_true(walsync_checkpoints(f->w) <= 1);
	/* the pages moved in */
	assert_true(stop_walsync(f) > 4 * 4096);
}

/*
 * The WAL file is made WALSYNC_PRESIZE_BYTES long at the start, yet what
 * asks for a checkpoint is what it holds: a small commit in a large file
 * is synced without one (the file's size had asked for a checkpoint after
 * every sync once it was large).
 */
static void
test_presized_wal_no_checkpoint_for_little(void **state)
{
	struct fx *f = *state;

	start_walsync(f);
	assert_true(wal_size(f) >= WALSYNC_PRESIZE_BYTES);
	commit_report(f->s);
	assert_true(store_wal_bytes(f->s) > 0);
	assert_true(store_wal_bytes(f->s) < WALSYNC_CHECKPOINT_BYTES);
	sync_collected(f);
	/* all of it still in the WAL */
	assert_true(stop_walsync(f) <= 4096);
}

/*
 * What was committed into a presized WAL is found by a crash's recovery:
 * the database and its WAL, copied while the connection is open (as a
 * kill -9 leaves them), open with every report, the zeros after the last
 * frame ignored.
 */
static void
test_presized_wal_recovers(void **state)
{
	struct fx *f = *state;
	struct store *c;
	char err[256], cmd[1024], copy[160];
	int64_t seq = 0;
	int i;

	start_walsync(f);
	for (i = 0; i < 50; i++)
		seq = commit_report(f->s);
	snprintf(copy, sizeof(copy), "%s/copy.db", f->dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s && cp %s-wal %s-wal", f->path,
	    copy, f->path, copy);
	assert_int_equal(system(cmd), 0);
	c = store_open(copy, err, sizeof(err));
	assert_non_null(c);
	assert_true(store_last_seq(c) == seq);
	store_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nosync_commit_is_committed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_ends_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_loop_runs_while_sync_held,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_collect_waits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_wal_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_new_needs_wal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_after_large_wal,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_presized_wal_no_checkpoint_for_little, setup, teardown),
		cmocka_unit_test_setup_teardown(test_presized_wal_recovers,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
