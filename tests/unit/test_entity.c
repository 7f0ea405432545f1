/*
 * Unit tests of entity: check digits, codes, names, prefectures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kairan/entity.h"

static void
test_checkdigit(void **state)
{
	(void)state;
	assert_int_equal(entity_checkdigit("45201"), 7);	/* 宮崎市 */
	assert_int_equal(entity_checkdigit("45000"), 6);	/* 宮崎県 */
	assert_int_equal(entity_checkdigit("13108"), 3);	/* 江東区 */
	assert_int_equal(entity_checkdigit("13000"), 1);	/* 東京都 */
	assert_int_equal(entity_checkdigit("01000"), 6);	/* 北海道 */
	assert_int_equal(entity_checkdigit("13102"), 4);	/* 中央区 */
	assert_int_equal(entity_checkdigit("4520a"), -1);
	assert_int_equal(entity_checkdigit("4520"), -1);
	assert_int_equal(entity_checkdigit(NULL), -1);
}

static void
test_codes_valid(void **state)
{
	static const char *ok[] = { "452017", "450006", "130001", "010006",
	    "131083", "131024", "452025", "470007" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_true(entity_is_code(ok[i]));
		assert_false(entity_is_name(ok[i]));
		assert_true(entity_valid(ok[i], NULL, 0));
	}
}

static void
test_bad_check_digit(void **state)
{
	char err[256];

	(void)state;
	assert_false(entity_is_code("452018"));
	assert_false(entity_valid("452018", err, sizeof(err)));
	assert_string_equal(err, "452018: bad check digit 8, expected 7 "
	    "(452017)");
	assert_false(entity_valid("131084", err, sizeof(err)));
	assert_string_equal(err, "131084: bad check digit 4, expected 3 "
	    "(131083)");
	/* 宮崎県 itself, one digit off */
	assert_false(entity_valid("450009", err, sizeof(err)));
	assert_string_equal(err, "450009: bad check digit 9, expected 6 "
	    "(450006)");
}

static void
test_code_shape(void **state)
{
	char err[256];

	(void)state;
	assert_false(entity_valid("45201", err, sizeof(err)));	/* 5 digits */
	assert_non_null(strstr(err, "6 digits"));
	assert_false(entity_valid("4520170", err, sizeof(err)));
	assert_false(entity_is_code("45201x"));
	assert_false(entity_valid(" 452017", err, sizeof(err)));
	assert_false(entity_valid("452017 ", err, sizeof(err)));
	/* prefecture 00 and 48 do not exist, even with a right check digit */
	assert_int_equal(entity_checkdigit("48201"), 3);
	assert_false(entity_is_code("482013"));
	assert_false(entity_valid("482013", err, sizeof(err)));
	assert_non_null(strstr(err, "prefecture"));
	assert_int_equal(entity_checkdigit("00201"), 1);
	assert_false(entity_is_code("002011"));
}

static void
test_names(void **state)
{
	char n32[33], n33[34], err[256];

	(void)state;
	assert_true(entity_is_name("mic"));
	assert_true(entity_is_name("nisc"));
	assert_true(entity_is_name("relay-45"));
	assert_true(entity_is_name("relay-mic"));
	assert_true(entity_is_name("ops-45"));
	assert_true(entity_is_name("a1"));
	assert_false(entity_is_name("a"));		/* too short */
	assert_false(entity_is_name(""));
	assert_false(entity_is_name(NULL));
	assert_false(entity_is_name("Mic"));
	assert_false(entity_is_name("1mic"));
	assert_false(entity_is_name("-mic"));
	assert_false(entity_is_name("mi_c"));
	assert_false(entity_is_name("mic "));
	assert_false(entity_is_name("mïc"));
	memset(n32, 'a', 32);
	n32[32] = '\0';
	assert_true(entity_is_name(n32));
	memset(n33, 'a', 33);
	n33[33] = '\0';
	assert_false(entity_is_name(n33));
	assert_false(entity_valid(n33, err, sizeof(err)));
	assert_non_null(strstr(err, "longer than 32"));
	assert_false(entity_valid("", err, sizeof(err)));
	assert_non_null(strstr(err, "empty"));
	assert_false(entity_valid(NULL, err, sizeof(err)));
}

static void
test_err_is_printable(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	assert_false(entity_valid("ab\x01\xff\"c", err, sizeof(err)));
	for (i = 0; err[i] != '\0'; i++)
		assert_true(err[i] >= 0x20 && err[i] < 0x7f);
	assert_non_null(strstr(err, "\\x01\\xff"));
}

static void
test_prefecture(void **state)
{
	char pp[3];

	(void)state;
	assert_int_equal(entity_prefecture("452017", pp), 0);
	assert_string_equal(pp, "45");
	assert_int_equal(entity_prefecture("010006", pp), 0);
	assert_string_equal(pp, "01");
	assert_int_equal(entity_prefecture("relay-13", pp), 0);
	assert_string_equal(pp, "13");
	assert_int_equal(entity_prefecture("relay-mic", pp), -1);
	assert_int_equal(entity_prefecture("mic", pp), -1);
	assert_int_equal(entity_prefecture("relay-99", pp), -1);
	assert_int_equal(entity_prefecture("relay-4", pp), -1);
	assert_int_equal(entity_prefecture("relay-450", pp), -1);
	assert_int_equal(entity_prefecture("452018", pp), -1);
	assert_int_equal(entity_prefecture(NULL, pp), -1);
}

/* police-PP: the prefecture's police, an entity of that prefecture. */
static void
test_police(void **state)
{
	char pp[3], id[ENTITY_POLICE_LEN + 1], err[256];

	(void)state;
	assert_true(entity_is_police("police-45"));
	assert_true(entity_is_police("police-01"));
	assert_true(entity_valid("police-47", err, sizeof(err)));
	assert_int_equal(entity_prefecture("police-13", pp), 0);
	assert_string_equal(pp, "13");
	entity_police_id("45", id);
	assert_string_equal(id, "police-45");
	entity_police_id("450006", id);		/* a prefecture's code */
	assert_string_equal(id, "police-45");
	assert_false(entity_is_police("police-48"));
	assert_false(entity_is_police("police-4"));
	assert_false(entity_is_police("police-450"));
	assert_false(entity_is_police("police-mic"));
	assert_false(entity_is_police(NULL));
	/* any other police-* is no entity id: no body passes for one */
	assert_false(entity_valid("police-99", err, sizeof(err)));
	assert_string_equal(err, "\"police-99\": a police id is police-PP "
	    "with PP a prefecture 01..47");
	assert_false(entity_valid("police-hq", err, sizeof(err)));
	assert_int_equal(entity_prefecture("police-99", pp), -1);
	/* the national police agency is a national name */
	assert_true(entity_valid("npa", err, sizeof(err)));
	assert_int_equal(entity_prefecture("npa", pp), -1);
}

static void
test_pref_valid(void **state)
{
	(void)state;
	assert_true(entity_pref_valid("01"));
	assert_true(entity_pref_valid("13"));
	assert_true(entity_pref_valid("47"));
	assert_false(entity_pref_valid("00"));
	assert_false(entity_pref_valid("48"));
	assert_false(entity_pref_valid("1"));
	assert_false(entity_pref_valid("013"));
	assert_false(entity_pref_valid("national"));
	assert_false(entity_pref_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkdigit),
		cmocka_unit_test(test_codes_valid),
		cmocka_unit_test(test_bad_check_digit),
		cmocka_unit_test(test_code_shape),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_err_is_printable),
		cmocka_unit_test(test_prefecture),
		cmocka_unit_test(test_pref_valid),
		cmocka_unit_test(test_police),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
