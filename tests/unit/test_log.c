/*
 * Unit tests of log: one event is one line, whatever a peer's string
 * holds; log_str quotes and escapes; levels filter.
 */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newline_laden_value_is_one_line),
		cmocka_unit_test(test_safety_net_escapes_controls),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_log_str_slots_and_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
