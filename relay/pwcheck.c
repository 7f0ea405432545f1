/*
 * pwcheck: argon2id checks on a worker thread (see pwcheck.h).
 *
 * Two lists under one mutex: todo (submitted, not yet taken by the
 * worker) and done (checked, verdict set). The worker takes the head of
 * todo, checks it without the lock, puts it on done and wakes the loop
 * with ev_async_send (the one libev call that is safe from another
 * thread). The loop's async callback takes the whole done list and runs
 * the callbacks of the jobs not cancelled. A job is freed only on the
 * loop: by the async callback, or by pwcheck_cancel if it was still on
 * todo (the worker never saw it); a cancelled job the worker holds is
 * freed when it comes back.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/log.h"

#include "operator.h"
#include "pwcheck.h"

struct pwcheck_job {
	struct pwcheck_job	*next;
	char			*encoded;
	char			*pw;
	pwcheck_done		 done;
	void			*arg;
	int			 ok;		/* the verdict, set by the worker */
	int			 cancelled;	/* loop only */
};

struct pwcheck {
	struct ev_loop		*loop;
	ev_async		 wake;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct pwcheck_job	*todo, **todo_tail;
	struct pwcheck_job	*done;
	unsigned		 ntodo;
	unsigned		 busy;		/* todo + running + done, loop's count */
	int			 quit;
	int			 started;
};

static void
job_free(struct pwcheck_job *j)
{
	if (j == NULL)
		return;
	if (j->pw != NULL) {
		explicit_bzero(j->pw, strlen(j->pw));
		free(j->pw);
	}
	free(j->encoded);
	free(j);
}

static void *
worker(void *arg)
{
	struct pwcheck *pc = arg;
	struct pwcheck_job *j;

	pthread_mutex_lock(&pc->mu);
	for (;;) {
		while (pc->todo == NULL && !pc->quit)
			pthread_cond_wait(&pc->cv, &pc->mu);
		if (pc->quit)
			break;
		j = pc->todo;
		if ((pc->todo = j->next) == NULL)
			pc->todo_tail = &pc->todo;
		pc->ntodo--;
		pthread_mutex_unlock(&pc->mu);

		/* j is the worker's alone until it is on done */
		j->ok = operator_verify(j->encoded, j->pw) == 1;

		pthread_mutex_lock(&pc->mu);
		j->next = pc->done;
		pc->done = j;
		ev_async_send(pc->loop, &pc->wake);
	}
	pthread_mutex_unlock(&pc->mu);
	return NULL;
}

static void
on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	struct pwcheck *pc = w->data;
	struct pwcheck_job *list, *j;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&pc->mu);
	list = pc->done;
	pc->done = NULL;
	pthread_mutex_unlock(&pc->mu);
	while ((j = list) != NULL) {
		list = j->next;
		pc->busy--;
		if (!j->cancelled)
			j->done(j->arg, j->ok);
		job_free(j);
	}
}

struct pwcheck *
pwcheck_new(struct ev_loop *loop, char *err, size_t errlen)
{
	struct pwcheck *pc;
	int rc;

	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pc->loop = loop;
	pc->todo_tail = &pc->todo;
	pthread_mutex_init(&pc->mu, NULL);
	pthread_cond_init(&pc->cv, NULL);
	ev_async_init(&pc->wake, on_wake);
	pc->wake.data = pc;
	ev_async_start(loop, &pc->wake);
	if ((rc = pthread_create(&pc->thread, NULL, worker, pc)) != 0) {
		snprintf(err, errlen, "password checker: cannot start its "
		    "thread: %s", strerror(rc));
		pwcheck_free(pc);
		return NULL;
	}
	pc->started = 1;
	return pc;
}

void
pwcheck_free(struct pwcheck *pc)
{
	struct pwcheck_job *j;

	if (pc == NULL)
		return;
	if (pc->started) {
		pthread_mutex_lock(&pc->mu);
		pc->quit = 1;
		pthread_cond_signal(&pc->cv);
		pthread_mutex_unlock(&pc->mu);
		pthread_join(pc->thread, NULL);
	}
	ev_async_stop(pc->loop, &pc->wake);
	while ((j = pc->todo) != NULL) {
		pc->todo = j->next;
		job_free(j);
	}
	while ((j = pc->done) != NULL) {
		pc->done = j->next;
		job_free(j);
	}
	pthread_cond_destroy(&pc->cv);
	pthread_mutex_destroy(&pc->mu);
	free(pc);
}

struct pwcheck_job *
pwcheck_submit(struct pwcheck *pc, const char *encoded, const char *pw,
    pwcheck_done done, void *arg)
{
	struct pwcheck_job *j;

	/*
	 * The bound counts every job whose answer the loop has not delivered
	 * (waiting, running, or done and not yet reported), which only the
	 * loop changes: whether a submission is refused never depends on how
	 * far the worker has got.
	 */
	if (pc->busy > PWCHECK_QUEUE)
		return NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->encoded = strdup(encoded)) == NULL ||
	    (j->pw = strdup(pw)) == NULL) {
		job_free(j);
		return NULL;
	}
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&pc->mu);
	*pc->todo_tail = j;
	pc->todo_tail = &j->next;
	pc->ntodo++;
	pc->busy++;
	pthread_cond_signal(&pc->cv);
	pthread_mutex_unlock(&pc->mu);
	return j;
}

void
pwcheck_cancel(struct pwcheck *pc, struct pwcheck_job *job)
{
	struct pwcheck_job **jp;

	pthread_mutex_lock(&pc->mu);
	for (jp = &pc->todo; *jp != NULL; jp = &(*jp)->next)
		if (*jp == job)
			break;
	if (*jp != NULL) {
		/* never seen by the worker: ours to free */
		if ((*jp = job->next) == NULL)
			pc->todo_tail = jp;
		pc->ntodo--;
		pc->busy--;
		pthread_mutex_unlock(&pc->mu);
		job_free(job);
		return;
	}
	/* running or on done: freed by on_wake, without its callback */
	job->cancelled = 1;
	pthread_mutex_unlock(&pc->mu);
}

unsigned
pwcheck_busy(const struct pwcheck *pc)
{
	return pc->busy;
}
