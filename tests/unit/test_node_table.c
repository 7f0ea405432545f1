/*
 * test_node_table: the aligned table of the inbox (node/table.c): columns
 * two spaces apart, each but the last padded to its widest cell by
 * display width (a kanji two columns), the last never padded, every cell
 * escaped on one line (a newline, ESC or a bidi override cannot move the
 * cursor or start a line), and a write error reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"

/* What the rows print, whole (malloc'd). */
static char *
print_rows(struct table *t, const char *const *rows, size_t nrows)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp;

	assert_non_null(fp = open_memstream(&buf, &len));
	for (i = 0; i < nrows; i++)
		table_measure(t, rows + i * t->ncols);
	for (i = 0; i < nrows; i++)
		assert_int_equal(table_row(fp, t, rows + i * t->ncols), 0);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void
test_aligned_by_display_width(void **state)
{
	/* 3 columns: ASCII, kanji (2 columns each), and a last unpadded one */
	const char *rows[] = {
		"a", "第1報", "title one",
		"abcd", "第12報 収束宣言", "二",
		"ab", "", "",
	};
	struct table t;
	char *out;

	(void)state;
	table_init(&t, 3);
	out = print_rows(&t, rows, 3);
	assert_int_equal(t.width[0], 4);
	assert_int_equal(t.width[1], 15);	/* 第12報 収束宣言: 7 wide + 1 */
	assert_string_equal(out,
	    "a     第1報            title one\n"
	    "abcd  第12報 収束宣言  二\n"
	    "ab                     \n");
	free(out);
}

static void
test_one_line_per_row(void **state)
{
	const char *rows[] = {
		"x\ny", "\x1b[31mred", "last\nline\xe2\x80\xae",
		"z", "w", "end",
	};
	struct table t;
	char *out, *p;
	size_t lines = 0;

	(void)state;
	table_init(&t, 3);
	out = print_rows(&t, rows, 2);
	for (p = out; *p != '\0'; p++) {
		lines += *p == '\n';
		assert_true(*p != '\x1b');
	}
	assert_int_equal(lines, 2);
	assert_null(strstr(out, "\xe2\x80\xae"));
	/* escaped, and the padding counts the escaped width */
	assert_non_null(strstr(out, "x\\x0ay  "));
	assert_int_equal(t.width[0], strlen("x\\x0ay"));
	free(out);
}

static void
test_single_column(void **state)
{
	const char *rows[] = { "only", "o" };
	struct table t;
	char *out;

	(void)state;
	table_init(&t, 1);
	out = print_rows(&t, rows, 2);
	assert_string_equal(out, "only\no\n");
	free(out);
}

static void
test_write_error(void **state)
{
	const char *row[] = { "a", "b" };
	struct table t;
	FILE *fp;

	(void)state;
	table_init(&t, 2);
	table_measure(&t, row);
	assert_non_null(fp = fopen("/dev/full", "w"));
	setvbuf(fp, NULL, _IONBF, 0);
	assert_int_equal(table_row(fp, &t, row), -1);
	fclose(fp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aligned_by_display_width),
		cmocka_unit_test(test_one_line_per_row),
		cmocka_unit_test(test_single_column),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
