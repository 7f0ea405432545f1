/*
 * test_node_deadline: what node/deadline.c adds to proto/deadline.c's
 * computations (tests/unit/test_deadline.c): the lines status and sent
 * print for the final report's deadline, and the JSON of both deadlines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "deadline.h"

#define T0	1795302000000LL		/* 2026-11-22T08:00:00+09:00 */
#define HOUR	(3600LL * 1000)
#define DAY	(24 * HOUR)

static char *
printed_final(const struct deadline_final *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	deadline_final_print(fp, "  ", f);
	fclose(fp);
	return buf;
}

static void
test_print_and_json(void **state)
{
	struct deadline_final f = { DEADLINE_FINAL_DUE, T0, T0 + 30 * DAY, 0 };
	struct deadline_proxy p;
	json_t *o;
	char *s;

	(void)state;
	s = printed_final(&f);
	assert_string_equal(s, "  最終報告: due by 2026-12-22T08:00:00+09:00 "
	    "(収束宣言 2026-11-22T08:00:00+09:00 + 30日, 「1か月を目途」)\n");
	free(s);
	f.state = DEADLINE_FINAL_OVERDUE;
	s = printed_final(&f);
	assert_non_null(strstr(s, "最終報告: OVERDUE since "
	    "2026-12-22T08:00:00+09:00"));
	free(s);
	f.state = DEADLINE_FINAL_NONE;
	s = printed_final(&f);
	assert_string_equal(s, "");
	free(s);

	o = deadline_final_json(&f);
	assert_true(json_is_null(o));
	json_decref(o);
	f.state = DEADLINE_FINAL_DUE;
	o = deadline_final_json(&f);
	assert_string_equal(json_string_value(json_object_get(o, "state")),
	    "due");
	assert_string_equal(json_string_value(json_object_get(o, "due_at")),
	    "2026-12-22T08:00:00+09:00");
	json_decref(o);

	memset(&p, 0, sizeof(p));
	p.state = DEADLINE_PROXY_MISSED;
	p.discovered = 1;
	p.base_ms = T0;
	p.due_ms = T0 + 6 * HOUR;
	p.checked_ms = T0 + 7 * HOUR;
	p.checked_in = 2;
	o = deadline_proxy_json(&p);
	assert_string_equal(json_string_value(json_object_get(o, "state")),
	    "missed");
	assert_string_equal(json_string_value(json_object_get(o, "label")),
	    "期限超過");
	assert_string_equal(json_string_value(json_object_get(o,
	    "checked_at")), "2026-11-22T15:00:00+09:00");
	assert_int_equal(json_integer_value(json_object_get(o, "checked_in")),
	    2);
	json_decref(o);

	/* the proxy line: proto/deadline.c's note after the label */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&buf, &len);

		assert_non_null(fp);
		deadline_proxy_print(fp, "  ", &p);
		p.state = DEADLINE_PROXY_NONE;
		deadline_proxy_print(fp, "  ", &p);
		fclose(fp);
		assert_string_equal(buf, "  プロキシログ確認: 期限超過（期限 "
		    "2026-11-22T14:00:00+09:00、発見日時から6時間以内） 確認 "
		    "2026-11-22T15:00:00+09:00（第2報）\n");
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print_and_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
