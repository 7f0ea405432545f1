/*
 * Unit tests of text: what is escaped for terminals and logs, cutting,
 * and display widths of Japanese text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kairan/text.h"

static void
expect_escape(const char *in, int flags, const char *want)
{
	char *got = text_escape(in, flags);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_plain_text_unchanged(void **state)
{
	(void)state;
	expect_escape("宮崎市 情報政策課", 0, "宮崎市 情報政策課");
	expect_escape("", 0, "");
	expect_escape(NULL, 0, "");
	expect_escape("a \"b\" \\c", 0, "a \"b\" \\c");
}

static void
test_controls_escaped(void **state)
{
	(void)state;
	/* a screen clear and an OSC title, as a forged 【訂正】 would use */
	expect_escape("\x1b[2J【訂正】", 0, "\\x1b[2J【訂正】");
	expect_escape("\x1b]0;title\x07", 0, "\\x1b]0;title\\x07");
	expect_escape("a\nb\tc\r", 0, "a\\x0ab\\x09c\\x0d");
	expect_escape("a\nb\tc\r", TEXT_MULTILINE, "a\nb\tc\\x0d");
	expect_escape("del\x7f", 0, "del\\x7f");
	/* C1: U+009B is CSI in 8-bit terminals */
	expect_escape("\xc2\x9b" "2J", 0, "\\u009b2J");
	/* bidi overrides and isolates, line separators */
	expect_escape("\xe2\x80\xae" "txt", 0, "\\u202etxt");
	expect_escape("\xe2\x81\xa6" "x\xe2\x81\xa9", 0, "\\u2066x\\u2069");
	expect_escape("\xe2\x80\xa8", 0, "\\u2028");
	/* not UTF-8: Shift_JIS 宮 is 0x8b 0x7b */
	expect_escape("\x8b\x7b", 0, "\\x8b{");
	expect_escape("\xff", 0, "\\xff");
}

static void
test_quote_for_logs(void **state)
{
	(void)state;
	expect_escape("x\" accepted id=1", TEXT_QUOTE,
	    "x\\\" accepted id=1");
	expect_escape("a\\b", TEXT_QUOTE, "a\\\\b");
	expect_escape("kairan/1\ninfo: accepted", TEXT_QUOTE,
	    "kairan/1\\x0ainfo: accepted");
}

static void
test_cut_on_boundary(void **state)
{
	char buf[12];
	size_t n;

	(void)state;
	n = text_escape_buf(buf, sizeof(buf), "宮崎市情報政策課", 0);
	assert_int_equal(n, strlen("宮崎市情報政策課"));
	/* 3-byte characters: two fit with "..." in 11 bytes */
	assert_string_equal(buf, "宮崎...");
	n = text_escape_buf(buf, sizeof(buf), "abc", 0);
	assert_int_equal(n, 3);
	assert_string_equal(buf, "abc");
	n = text_escape_buf(buf, sizeof(buf), "\x1b\x1b\x1b", 0);
	assert_int_equal(n, 12);
	assert_string_equal(buf, "\\x1b\\x1b...");	/* whole escapes only */
}

static void
test_widths(void **state)
{
	(void)state;
	assert_int_equal(text_width("abc"), 3);
	assert_int_equal(text_width("宮崎市"), 6);
	assert_int_equal(text_width("ｱｲｳ"), 3);	/* halfwidth katakana */
	assert_int_equal(text_width("ＡＢ"), 4);	/* fullwidth latin */
	assert_int_equal(text_width("か\xe3\x82\x99"), 2); /* combining mark */
	assert_int_equal(text_width("\x1b"), 4);	/* shown as \x1b */
	assert_int_equal(text_width(""), 0);
}

static void
test_pad_aligns_by_columns(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_non_null(fp = open_memstream(&buf, &len));
	assert_int_equal(text_fpad(fp, "宮崎市", 10), 0);
	fputc('|', fp);
	assert_int_equal(text_fpad(fp, "Aya", 10), 0);
	fputc('|', fp);
	assert_int_equal(text_fpad(fp, "長すぎる名前の自治体", 4), 0);
	fclose(fp);
	assert_string_equal(buf, "宮崎市    |Aya       |長すぎる名前の自治体");
	free(buf);
}

/* Long texts: lines kept, each after the first indented, controls escaped. */
static void
test_lines_indented(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_non_null(fp = open_memstream(&buf, &len));
	assert_int_equal(text_fputs_lines("一行目\x1b[2J\n\t二行目\n件名: 偽",
	    "概要: ", "  ", fp), 0);
	assert_int_equal(text_fputs_lines(NULL, ">", ">", fp), 0);
	fclose(fp);
	assert_string_equal(buf, "概要: 一行目\\x1b[2J\n  \t二行目\n"
	    "  件名: 偽\n>\n");
	free(buf);
}

static void
test_utf8_next(void **state)
{
	unsigned cp;

	(void)state;
	assert_int_equal(text_utf8_next((const unsigned char *)"a", 1, &cp), 1);
	assert_int_equal(cp, 'a');
	assert_int_equal(text_utf8_next((const unsigned char *)"宮", 3, &cp),
	    3);
	assert_int_equal(cp, 0x5bae);
	/* truncated, overlong, surrogate, beyond U+10FFFF */
	assert_int_equal(text_utf8_next((const unsigned char *)"\xe5\xae", 2,
	    &cp), 0);
	assert_int_equal(text_utf8_next((const unsigned char *)"\xc0\xaf", 2,
	    &cp), 0);
	assert_int_equal(text_utf8_next((const unsigned char *)"\xed\xa0\x80",
	    3, &cp), 0);
	assert_int_equal(text_utf8_next(
	    (const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_unchanged),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_quote_for_logs),
		cmocka_unit_test(test_cut_on_boundary),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_pad_aligns_by_columns),
		cmocka_unit_test(test_utf8_next),
		cmocka_unit_test(test_lines_indented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
