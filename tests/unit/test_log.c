/*
 * Unit tests of log: one event is one line, whatever a peer's string
 * holds; log_str quotes and escapes; levels filter; buffering keeps lines
 * whole and in order, holds only info and debug of the buffering thread.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kairan/log.h"

/* Runs fn with stderr redirected to a temporary file; returns what it wrote. */
static char *
capture(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *buf;
	long n;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = ftell(tmp);
	assert_true(n >= 0);
	buf = calloc(1, (size_t)n + 1);
	rewind(tmp);
	assert_int_equal(fread(buf, 1, (size_t)n, tmp), (size_t)n);
	fclose(tmp);
	return buf;
}

static size_t
lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
forged(void)
{
	log_init("kairan-relay", 0);
	log_info("peer ready entity=452017 software=%s",
	    log_str("x\"\nkairan-relay: info: accepted id=00 sender=mic"));
}

static void
test_newline_laden_value_is_one_line(void **state)
{
	char *out = capture(forged);

	(void)state;
	assert_int_equal(lines(out), 1);
	assert_string_equal(out, "kairan-relay: info: peer ready "
	    "entity=452017 software=\"x\\\"\\x0akairan-relay: info: accepted "
	    "id=00 sender=mic\"\n");
	free(out);
}

static void
raw_newline(void)
{
	log_init("kairan-node", 0);
	/* a call site that forgot log_str still writes one line */
	log_warnx("detail=\"%s\"", "a\nkairan-node: info: forged\x1b[2J");
}

static void
test_safety_net_escapes_controls(void **state)
{
	char *out = capture(raw_newline);

	(void)state;
	assert_int_equal(lines(out), 1);
	assert_non_null(strstr(out, "a\\x0akairan-node: info: forged"
	    "\\x1b[2J"));
	free(out);
}

static void
levels(void)
{
	log_init("t", -1);
	log_info("hidden");
	log_debug("hidden");
	log_warnx("shown");
	log_setverbose(1);
	log_debug("debug shown");
}

static void
test_levels(void **state)
{
	char *out = capture(levels);

	(void)state;
	assert_string_equal(out, "t: warning: shown\nt: debug: debug shown\n");
	free(out);
}

static void
test_log_str_slots_and_cut(void **state)
{
	char big[2000];
	const char *a, *b;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	a = log_str("one");
	b = log_str("two");
	assert_string_equal(a, "\"one\"");
	assert_string_equal(b, "\"two\"");
	a = log_str(big);
	assert_true(strlen(a) <= LOG_STR_MAX + 2);
	assert_int_equal(a[strlen(a) - 1], '"');
	assert_non_null(strstr(a, "...\""));
	assert_string_equal(log_str(NULL), "\"\"");
}

/* What stderr (a temporary file) holds now. */
static char *
held_so_far(FILE *tmp)
{
	long n;
	char *buf;

	fflush(tmp);
	n = lseek(fileno(tmp), 0, SEEK_END);
	assert_true(n >= 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fileno(tmp), buf, (size_t)n, 0), n);
	return buf;
}

static void *
other_thread(void *arg)
{
	(void)arg;
	log_info("from another thread");
	return NULL;
}

static void
test_buffering(void **state)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	pthread_t th;
	char *out, big[1500];
	size_t i;

	(void)state;
	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	log_init("kairan-relay", 1);
	log_buffer_start();

	log_info("one");
	log_debug("two");
	out = held_so_far(tmp);
	assert_string_equal(out, "");		/* held */
	free(out);
	log_flush();
	out = held_so_far(tmp);
	assert_string_equal(out, "kairan-relay: info: one\n"
	    "kairan-relay: debug: two\n");
	free(out);

	/* a warning is written at once, after what was held before it */
	log_info("three");
	log_warnx("four");
	out = held_so_far(tmp);
	assert_non_null(strstr(out, "kairan-relay: info: three\n"
	    "kairan-relay: warning: four\n"));
	free(out);

	/* another thread's line too */
	log_info("five");
	assert_int_equal(pthread_create(&th, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	out = held_so_far(tmp);
	assert_non_null(strstr(out, "kairan-relay: info: five\n"
	    "kairan-relay: info: from another thread\n"));
	free(out);

	/* a full buffer is written, every line whole and in order */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 100; i++)
		log_info("n=%03zu %s", i, big);
	out = held_so_far(tmp);
	assert_true(lines(out) > 6 && lines(out) < 6 + 100);
	free(out);
	log_buffer_stop();		/* writes the rest */
	log_info("after");		/* no longer held */
	out = held_so_far(tmp);
	assert_int_equal(lines(out), 6 + 100 + 1);
	{
		char want[32];
		const char *p = out;

		for (i = 0; i < 100; i++) {
			snprintf(want, sizeof(want), "info: n=%03zu x", i);
			assert_non_null(p = strstr(p, want));
			p = strchr(p, '\n');
			assert_non_null(p);
			/* the line is whole: its 1,499 x end at the newline */
			assert_true(p[-1] == 'x' && p[-1499] == 'x' &&
			    p[-1500] == ' ');
		}
	}
	assert_non_null(strstr(out, "kairan-relay: info: after\n"));
	free(out);

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(tmp);
	log_init("kairan", 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newline_laden_value_is_one_line),
		cmocka_unit_test(test_safety_net_escapes_controls),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_log_str_slots_and_cut),
		cmocka_unit_test(test_buffering),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
