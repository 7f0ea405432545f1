/*
 * Unit tests of the console's path check (webpath.c): what maps to a file
 * of the folder, and every way out of it that is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "webpath.h"

static int
check(const char *uri, char *rel, size_t relsize, const char **why)
{
	return webpath_check(uri, strlen(uri), rel, relsize, why);
}

static void
test_good_paths(void **state)
{
	char rel[WEBPATH_MAX + 16];
	const char *why = NULL;

	(void)state;
	assert_int_equal(check("/", rel, sizeof(rel), &why), 0);
	assert_string_equal(rel, "index.html");
	assert_int_equal(check("/console.css", rel, sizeof(rel), &why), 0);
	assert_string_equal(rel, "console.css");
	assert_int_equal(check("/js/app.v2.js", rel, sizeof(rel), &why), 0);
	assert_string_equal(rel, "js/app.v2.js");
	assert_int_equal(check("/map/", rel, sizeof(rel), &why), 0);
	assert_string_equal(rel, "map/index.html");
	/* UTF-8 names are names like any other */
	assert_int_equal(check("/宮崎.svg", rel, sizeof(rel), &why), 0);
	assert_string_equal(rel, "宮崎.svg");
	/* a dot inside a name is fine */
	assert_int_equal(check("/a..b", rel, sizeof(rel), &why), 0);
}

static void
refused(const char *uri, size_t len, const char *reason)
{
	char rel[WEBPATH_MAX + 16];
	const char *why = NULL;

	assert_int_equal(webpath_check(uri, len, rel, sizeof(rel), &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, reason));
}

static void
test_ways_out_refused(void **state)
{
	char longp[WEBPATH_MAX + 8];

	(void)state;
	refused("/..", 3, "dot");
	refused("/../etc/passwd", 14, "dot");
	refused("/a/../../etc/passwd", 19, "dot");
	refused("/a/..", 5, "dot");
	refused("/./index.html", 13, "dot");
	refused("/.git/config", 12, "dot");
	refused("etc/passwd", 10, "does not start with /");
	refused("", 0, "does not start with /");
	refused("//etc/passwd", 12, "empty path segment");
	refused("/a//b", 5, "empty path segment");
	refused("/a\\..\\b", 7, "backslash");
	refused("/%2e%2e/etc/passwd", 18, "percent");
	refused("/%252e%252e/x", 13, "percent");
	refused("/index.html?x=1", 15, "?");
	refused("/x#y", 4, "#");
	/* a NUL inside the decoded path: len says where the path ends */
	refused("/index.html\0.txt", 16, "NUL");
	refused("/a\nb", 4, "control");
	refused("/a\x7f", 3, "control");
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	refused(longp, WEBPATH_MAX + 1, "too long");
}

static void
test_small_buffer(void **state)
{
	char rel[8];
	const char *why = NULL;

	(void)state;
	assert_int_equal(check("/", rel, sizeof(rel), &why), -1);
	assert_int_equal(check("/abcdefgh", rel, sizeof(rel), &why), -1);
	assert_int_equal(check("/abc", rel, sizeof(rel), &why), 0);
}

static void
test_mime(void **state)
{
	(void)state;
	assert_string_equal(webpath_mime("index.html"),
	    "text/html; charset=utf-8");
	assert_string_equal(webpath_mime("a/b.js"),
	    "text/javascript; charset=utf-8");
	assert_string_equal(webpath_mime("x.css"), "text/css; charset=utf-8");
	assert_string_equal(webpath_mime("html"), "application/octet-stream");
	assert_string_equal(webpath_mime("x.exe"), "application/octet-stream");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_paths),
		cmocka_unit_test(test_ways_out_refused),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_mime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
