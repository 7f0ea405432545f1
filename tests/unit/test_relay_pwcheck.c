/*
 * Unit tests of the password checker: verdicts come back on the loop
 * (right and wrong passwords against real argon2id hashes), the queue is
 * bounded, a cancelled job's callback never runs, and freeing with jobs
 * still queued drops them cleanly (ASan and the leak checker watch).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ev.h>

#include "operator.h"
#include "pwcheck.h"

struct seen {
	int	calls;
	int	ok;
};

static void
done(void *arg, int ok)
{
	struct seen *s = arg;

	s->calls++;
	s->ok = ok;
}

static void
run_until(struct ev_loop *loop, const int *calls, int want)
{
	while (*calls < want)
		ev_run(loop, EVRUN_ONCE);
}

static void
test_verdicts(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char hash[OPERATOR_HASH_MAX], err[256];
	struct seen right = { 0, -1 }, wrong = { 0, -1 };
	struct pwcheck *pc;
	int total = 0;

	(void)state;
	assert_int_equal(operator_hash("correct horse battery", hash, err,
	    sizeof(err)), 0);
	assert_non_null(pc = pwcheck_new(loop, err, sizeof(err)));
	assert_non_null(pwcheck_submit(pc, hash, "correct horse battery",
	    done, &right));
	assert_non_null(pwcheck_submit(pc, hash, "correct horse batterY",
	    done, &wrong));
	assert_int_equal(pwcheck_busy(pc), 2);
	while (right.calls + wrong.calls < 2) {
		ev_run(loop, EVRUN_ONCE);
		total = right.calls + wrong.calls;
	}
	assert_int_equal(total, 2);
	assert_int_equal(right.calls, 1);
	assert_int_equal(right.ok, 1);
	assert_int_equal(wrong.calls, 1);
	assert_int_equal(wrong.ok, 0);
	assert_int_equal(pwcheck_busy(pc), 0);
	/* a malformed hash is a wrong password, not a crash */
	assert_non_null(pwcheck_submit(pc, "$argon2id$garbage", "x", done,
	    &wrong));
	run_until(loop, &wrong.calls, 2);
	assert_int_equal(wrong.ok, 0);
	pwcheck_free(pc);
	pwcheck_free(NULL);
	ev_loop_destroy(loop);
}

static void
test_bounded_and_cancel(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char hash[OPERATOR_HASH_MAX], err[256];
	struct seen seen[PWCHECK_QUEUE + 4], cancelled = { 0, -1 };
	struct pwcheck_job *j, *last = NULL;
	struct pwcheck *pc;
	int n = 0, i, calls;

	(void)state;
	memset(seen, 0, sizeof(seen));
	assert_int_equal(operator_hash("a long enough password", hash, err,
	    sizeof(err)), 0);
	assert_non_null(pc = pwcheck_new(loop, err, sizeof(err)));
	/*
	 * 8 waiting + 1 running, however far the worker got: the loop has
	 * not run, so none was answered
	 */
	for (i = 0; i < PWCHECK_QUEUE + 4; i++) {
		if ((j = pwcheck_submit(pc, hash, "a long enough password",
		    done, &seen[i])) == NULL)
			break;
		last = j;
		n++;
	}
	assert_int_equal(n, PWCHECK_QUEUE + 1);
	assert_null(pwcheck_submit(pc, hash, "x", done, &cancelled));
	/* the last one queued is cancelled: its callback never runs */
	pwcheck_cancel(pc, last);
	for (;;) {
		calls = 0;
		for (i = 0; i < n - 1; i++)
			calls += seen[i].calls;
		if (calls == n - 1 && pwcheck_busy(pc) == 0)
			break;
		ev_run(loop, EVRUN_ONCE);
	}
	for (i = 0; i < n - 1; i++)
		assert_int_equal(seen[i].ok, 1);
	assert_int_equal(seen[n - 1].calls, 0);
	/* freed with jobs still queued: dropped without their callbacks */
	assert_non_null(pwcheck_submit(pc, hash, "x", done, &cancelled));
	assert_non_null(pwcheck_submit(pc, hash, "y", done, &cancelled));
	pwcheck_free(pc);
	assert_int_equal(cancelled.calls, 0);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_bounded_and_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
