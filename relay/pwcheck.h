/*
 * pwcheck: the console's password checks (argon2id, operator.h), off the
 * event loop. One argon2id verification takes 0.1-0.2 s of CPU and
 * 64 MiB here; on the loop it would stall every node's connection for
 * that long per login attempt, and anyone who can reach the console's
 * port could keep the relay busy. So one worker thread does them, one at
 * a time, from a bounded queue: an attacker gets at most PWCHECK_QUEUE
 * checks queued and one running (one thread: more would cost memory per
 * guess, not logins per person), and the loop never waits for a hash.
 *
 * The loop submits a job and its verdict comes back on the loop, through
 * an ev_async, to the job's callback. A job whose asker went away (the
 * browser closed the connection) is cancelled: its callback never runs.
 * The worker touches only the job's own copy of the hash and password
 * (zeroed when the job is freed) under the queue's mutex discipline.
 */
#ifndef KAIRAN_RELAY_PWCHECK_H
#define KAIRAN_RELAY_PWCHECK_H

#include <stddef.h>

#include <ev.h>

#define PWCHECK_QUEUE	8	/* jobs outstanding, beyond the one running */

struct pwcheck;
struct pwcheck_job;

/* ok: 1 the password matches the hash, 0 not. On the loop. */
typedef void (*pwcheck_done)(void *arg, int ok);

/* Starts the worker thread on loop. NULL with err on failure. */
struct pwcheck	*pwcheck_new(struct ev_loop *, char *err, size_t errlen);
/*
 * Stops and joins the worker (after the check it is running, if any);
 * jobs not done are dropped without their callbacks. NULL is a no-op.
 */
void		 pwcheck_free(struct pwcheck *);
/*
 * Queues the check of password pw against the encoded hash (both
 * copied). done(arg, ok) runs later on the loop unless the job is
 * cancelled first. Returns the job (a handle for pwcheck_cancel, valid
 * until done runs or cancel returns), or NULL if PWCHECK_QUEUE + 1 jobs
 * are outstanding already (not yet answered on the loop: waiting, running
 * or done) or memory ran out.
 */
struct pwcheck_job *pwcheck_submit(struct pwcheck *, const char *encoded,
		    const char *pw, pwcheck_done done, void *arg);
/* done will not run for job. On the loop only. */
void		 pwcheck_cancel(struct pwcheck *, struct pwcheck_job *);
/* Jobs waiting or running (for tests and the log). */
unsigned	 pwcheck_busy(const struct pwcheck *);

#endif
