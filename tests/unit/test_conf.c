/*
 * Unit tests of conf: the value parsers of the INI configurations.
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

#include "kairan/conf.h"

static void
test_hostport(void **state)
{
	char host[64], err[256];
	int port;

	(void)state;
	assert_int_equal(conf_hostport("127.0.0.1:7443", host, sizeof(host),
	    &port, err, sizeof(err)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 7443);
	assert_int_equal(conf_hostport("relay.pref.miyazaki.lg.jp:1", host,
	    sizeof(host), &port, err, sizeof(err)), 0);
	assert_string_equal(host, "relay.pref.miyazaki.lg.jp");
	assert_int_equal(port, 1);
	assert_int_equal(conf_hostport("[::1]:65535", host, sizeof(host),
	    &port, err, sizeof(err)), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);

	assert_int_equal(conf_hostport("localhost", host, sizeof(host), &port,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "host:port"));
	assert_int_equal(conf_hostport("localhost:0", host, sizeof(host),
	    &port, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "1..65535"));
	/* a listening address may leave the port to the kernel */
	assert_int_equal(conf_listen("127.0.0.1:0", host, sizeof(host),
	    &port, err, sizeof(err)), 0);
	assert_int_equal(port, 0);
	assert_int_equal(conf_listen("127.0.0.1:65536", host, sizeof(host),
	    &port, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0..65535"));
	assert_int_equal(conf_hostport("localhost:65536", host, sizeof(host),
	    &port, err, sizeof(err)), -1);
	assert_int_equal(conf_hostport("localhost:74x", host, sizeof(host),
	    &port, err, sizeof(err)), -1);
	assert_int_equal(conf_hostport(":7443", host, sizeof(host), &port,
	    err, sizeof(err)), -1);
	assert_int_equal(conf_hostport("::1:7443", host, sizeof(host), &port,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "brackets"));
	assert_int_equal(conf_hostport("[::1]7443", host, sizeof(host), &port,
	    err, sizeof(err)), -1);
	assert_int_equal(conf_hostport("[]:7443", host, sizeof(host), &port,
	    err, sizeof(err)), -1);
	assert_int_equal(conf_hostport("", host, sizeof(host), &port, err,
	    sizeof(err)), -1);
	assert_int_equal(conf_hostport("averyveryverylonghostname:1", host, 8,
	    &port, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
}

static void
test_size(void **state)
{
	uint64_t v;
	char err[256];

	(void)state;
	assert_int_equal(conf_size("1024", 0, UINT64_MAX, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(conf_size("1M", 0, UINT64_MAX, &v, err, sizeof(err)),
	    0);
	assert_int_equal(v, 1048576);
	assert_int_equal(conf_size("64k", 0, UINT64_MAX, &v, err, sizeof(err)),
	    0);
	assert_int_equal(v, 65536);
	assert_int_equal(conf_size("2G", 0, UINT64_MAX, &v, err, sizeof(err)),
	    0);
	assert_int_equal(v, 2147483648ULL);
	assert_int_equal(conf_size("4KiB", 0, UINT64_MAX, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(conf_size("1T", 0, UINT64_MAX, &v, err, sizeof(err)),
	    -1);
	assert_int_equal(conf_size("-1", 0, UINT64_MAX, &v, err, sizeof(err)),
	    -1);
	assert_int_equal(conf_size("", 0, UINT64_MAX, &v, err, sizeof(err)),
	    -1);
	assert_int_equal(conf_size("1 M", 0, UINT64_MAX, &v, err, sizeof(err)),
	    -1);
	assert_int_equal(conf_size("99999999999999999999", 0, UINT64_MAX, &v,
	    err, sizeof(err)), -1);
	assert_int_equal(conf_size("17179869184G", 0, UINT64_MAX, &v, err,
	    sizeof(err)), -1);
	assert_int_equal(conf_size("2M", 1024, 1048576, &v, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "1024..1048576"));
	assert_int_equal(conf_size("1M", 1024, 1048576, &v, err, sizeof(err)),
	    0);
}

static void
test_int(void **state)
{
	long long v;
	char err[256];

	(void)state;
	assert_int_equal(conf_int("42", 0, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 42);
	assert_int_equal(conf_int("-3", -5, 5, &v, err, sizeof(err)), 0);
	assert_int_equal(v, -3);
	assert_int_equal(conf_int("101", 0, 100, &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0..100"));
	assert_int_equal(conf_int("4x", 0, 100, &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "integer"));
	assert_int_equal(conf_int("", 0, 100, &v, err, sizeof(err)), -1);
	assert_int_equal(conf_int(" 4", 0, 100, &v, err, sizeof(err)), -1);
	assert_int_equal(conf_int("99999999999999999999", 0, 100, &v, err,
	    sizeof(err)), -1);
}

static void
test_duration(void **state)
{
	uint64_t v;
	char err[256];

	(void)state;
	assert_int_equal(conf_duration_ms("250ms", 0, UINT64_MAX, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v, 250);
	assert_int_equal(conf_duration_ms("30s", 0, UINT64_MAX, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v, 30000);
	assert_int_equal(conf_duration_ms("5m", 0, UINT64_MAX, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v, 300000);
	assert_int_equal(conf_duration_ms("1h", 0, UINT64_MAX, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v, 3600000);
	assert_int_equal(conf_duration_ms("7", 0, UINT64_MAX, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v, 7000);
	assert_int_equal(conf_duration_ms("7d", 0, UINT64_MAX, &v, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "duration"));
	assert_int_equal(conf_duration_ms("s", 0, UINT64_MAX, &v, err,
	    sizeof(err)), -1);
	assert_int_equal(conf_duration_ms("10ms", 100, 1000, &v, err,
	    sizeof(err)), -1);
	assert_int_equal(conf_duration_ms("2s", 100, 1000, &v, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "100ms..1000ms"));
}

static void
test_bool(void **state)
{
	int b;
	char err[256];

	(void)state;
	assert_int_equal(conf_bool("yes", &b, err, sizeof(err)), 0);
	assert_int_equal(b, 1);
	assert_int_equal(conf_bool("On", &b, err, sizeof(err)), 0);
	assert_int_equal(b, 1);
	assert_int_equal(conf_bool("1", &b, err, sizeof(err)), 0);
	assert_int_equal(b, 1);
	assert_int_equal(conf_bool("false", &b, err, sizeof(err)), 0);
	assert_int_equal(b, 0);
	assert_int_equal(conf_bool("off", &b, err, sizeof(err)), 0);
	assert_int_equal(b, 0);
	assert_int_equal(conf_bool("0", &b, err, sizeof(err)), 0);
	assert_int_equal(b, 0);
	assert_int_equal(conf_bool("maybe", &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "yes/no"));
	assert_int_equal(conf_bool("", &b, err, sizeof(err)), -1);
}

static void
test_path(void **state)
{
	char cwd[4096], want[8192], *p;

	(void)state;
	p = conf_path("/etc/kairan/relay.conf", "certs/ca.pem");
	assert_string_equal(p, "/etc/kairan/certs/ca.pem");
	free(p);
	p = conf_path("/etc/kairan/relay.conf", "/var/lib/x.pem");
	assert_string_equal(p, "/var/lib/x.pem");
	free(p);
	p = conf_path("/relay.conf", "ca.pem");
	assert_string_equal(p, "/ca.pem");
	free(p);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	p = conf_path("deploy/relay.conf", "ca.pem");
	snprintf(want, sizeof(want), "%s/deploy/ca.pem", cwd);
	assert_string_equal(p, want);
	free(p);
	p = conf_path("relay.conf", "ca.pem");
	snprintf(want, sizeof(want), "%s/ca.pem", cwd);
	assert_string_equal(p, want);
	free(p);
	assert_null(conf_path("/etc/relay.conf", ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
