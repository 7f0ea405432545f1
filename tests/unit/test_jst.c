/*
 * test_jst: times for people are JST (+09:00) whatever the machine's TZ:
 * RFC 3339, the list form, the 報告様式 form, JSON (null when unknown),
 * across the date line of UTC midnight.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kairan/jst.h"

/* 2026-11-22T00:30:05.250Z = 09:30:05 JST */
#define T	1795307405250LL

static void
test_forms(void **state)
{
	char b[JST_BUFLEN];

	(void)state;
	setenv("TZ", "America/New_York", 1);
	tzset();
	assert_string_equal(jst_rfc3339(T, b), "2026-11-22T09:30:05+09:00");
	assert_string_equal(jst_short(T, b), "2026-11-22 09:30");
	assert_string_equal(jst_form(T, b), "2026年11月22日 09時30分");
	/* 15:00 UTC is the next day in Japan. */
	assert_string_equal(jst_short(1795359600000LL, b), "2026-11-23 00:00");
	assert_string_equal(jst_rfc3339(0, b), "");
	assert_string_equal(jst_short(-5, b), "-");
	assert_string_equal(jst_form(0, b), "未確認");
}

static void
test_json(void **state)
{
	json_t *j;

	(void)state;
	j = jst_json(T);
	assert_true(json_is_string(j));
	assert_string_equal(json_string_value(j), "2026-11-22T09:30:05+09:00");
	json_decref(j);
	j = jst_json(0);
	assert_true(json_is_null(j));
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
