/*
 * test_node_config: the node's INI configuration: a good file, and every
 * kind of mistake reported as "file:line: what is wrong".
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

#include "kairan/link.h"

#include "config.h"

static char dir[64];
static char file[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_node_config.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/node.conf", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(file);
	rmdir(dir);
	return 0;
}

static void
write_conf(const char *text)
{
	FILE *fp = fopen(file, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

#define GOOD_NODE \
	"[node]\n" \
	"id = 452017\n" \
	"db = state/node.db\n" \
	"cert = certs/chain.pem\n" \
	"key = certs/key.pem\n" \
	"ca = /etc/kairan/root.pem\n" \
	"directory = directory.json\n"

/* Loads text; expects failure with "file:line: ..." containing what. */
static void
expect_error(const char *text, int line, const char *what)
{
	struct config *cfg;
	char err[512], prefix[192];

	write_conf(text);
	cfg = config_load(file, err, sizeof(err));
	if (cfg != NULL)
		fail_msg("accepted a bad config, expected line %d: %s", line,
		    what);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err, what) == NULL)
		fail_msg("got \"%s\", expected \"%s...%s\"", err, prefix, what);
}

static void
test_good(void **state)
{
	struct config *cfg;
	char err[512], want[192];

	(void)state;
	write_conf("; a comment\n" GOOD_NODE
	    "crl = crl.pem\n"
	    "max_frame = 2M\n"
	    "log_level = debug\n"
	    "\n"
	    "[route pref]\n"
	    "url = wss://127.0.0.1:7443\n"
	    "[route backup]\n"
	    "url = wss://relay.example.jp/kairan\n");
	cfg = config_load(file, err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	assert_string_equal(cfg->id, "452017");
	snprintf(want, sizeof(want), "%s/state/node.db", dir);
	assert_string_equal(cfg->db, want);
	snprintf(want, sizeof(want), "%s/certs/chain.pem", dir);
	assert_string_equal(cfg->cert, want);
	assert_string_equal(cfg->ca, "/etc/kairan/root.pem");
	assert_non_null(cfg->crl);
	assert_int_equal(cfg->max_frame, 2 * 1024 * 1024);
	assert_int_equal(cfg->log_level, 1);
	assert_int_equal(cfg->nroutes, 2);
	assert_string_equal(cfg->routes[0].name, "pref");
	assert_string_equal(cfg->routes[0].host, "127.0.0.1");
	assert_int_equal(cfg->routes[0].port, 7443);
	assert_string_equal(cfg->routes[0].path, "/");
	assert_string_equal(cfg->routes[1].name, "backup");
	assert_string_equal(cfg->routes[1].host, "relay.example.jp");
	assert_int_equal(cfg->routes[1].port, KAIRAN_DEFAULT_PORT);
	assert_string_equal(cfg->routes[1].path, "/kairan");
	assert_int_equal(cfg->line[CK_ID], 3);
	config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct config *cfg;
	char err[512];

	(void)state;
	write_conf(GOOD_NODE "[route a]\nurl = wss://localhost:9000\n");
	cfg = config_load(file, err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	assert_null(cfg->crl);
	assert_int_equal(cfg->max_frame, KAIRAN_MAX_FRAME);
	assert_int_equal(cfg->log_level, 0);
	assert_int_equal(cfg->hello_timeout_ms, LINK_HELLO_TIMEOUT_MS);
	assert_int_equal(cfg->stall_ms, LINK_STALL_MS);
	config_free(cfg);
	config_free(NULL);
}

/* The link's timeouts (link.h): durations, each bounded. */
static void
test_link_timeouts(void **state)
{
	struct config *cfg;
	char err[512];

	(void)state;
	write_conf(GOOD_NODE "hello_timeout = 500ms\nstall_timeout = 2m\n"
	    "[route a]\nurl = wss://h\n");
	cfg = config_load(file, err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	assert_int_equal(cfg->hello_timeout_ms, 500);
	assert_int_equal(cfg->stall_ms, 120000);
	config_free(cfg);
	expect_error(GOOD_NODE "hello_timeout = soon\n[route a]\nurl = "
	    "wss://h\n", 8, "hello_timeout: expected a duration");
	expect_error(GOOD_NODE "hello_timeout = 10m\n[route a]\nurl = "
	    "wss://h\n", 8, "hello_timeout: duration must be 100ms..300000ms");
	expect_error(GOOD_NODE "stall_timeout = 0\n[route a]\nurl = "
	    "wss://h\n", 8, "stall_timeout: duration must be");
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error(GOOD_NODE "colour = blue\n[route a]\nurl = wss://h\n", 8,
	    "unknown key \"colour\"");
	expect_error("[node]\nid = 452018\n", 2, "id:");	/* check digit */
	expect_error("[node]\nid = 452017\ndb = x\n[route a]\nurl = wss://h\n",
	    1, "missing key \"cert\"");
	expect_error("\n" GOOD_NODE "\n[route a]\nurl = ws://h:1\n", 11,
	    "wss://");
	expect_error(GOOD_NODE "[route a]\nurl = wss://h:99999\n", 9, "port");
	expect_error(GOOD_NODE "[route a]\nurl = wss://h:x1\n", 9, "port");
	expect_error(GOOD_NODE, 7, "at least one route");
	expect_error(GOOD_NODE "[route a]\n[route b]\nurl = wss://h\n", 8,
	    "[route a]: missing key \"url\"");
	expect_error(GOOD_NODE "[route a]\nurl = wss://h\n[route a]\n"
	    "url = wss://h\n", 10, "duplicate section [route a]");
	expect_error(GOOD_NODE "[route]\nurl = wss://h\n", 8, "needs a name");
	expect_error(GOOD_NODE "[relay]\nid = relay-45\n", 8,
	    "unknown section [relay]");
	expect_error(GOOD_NODE "max_frame = lots\n[route a]\nurl = wss://h\n",
	    8, "max_frame");
	expect_error(GOOD_NODE "log_level = loud\n[route a]\nurl = wss://h\n",
	    8, "log_level");
	expect_error(GOOD_NODE "id = 452017\n[route a]\nurl = wss://h\n", 8,
	    "duplicate key");
	expect_error("id = 452017\n", 1, "outside a section");
	expect_error(GOOD_NODE "[route a]\nthis is not ini\n", 9, "syntax");
	expect_error("[route a]\nurl = wss://h\n", 2, "missing section [node]");
}

#define ROUTE_A "[route a]\nurl = wss://h\n"	/* lines 8-9 after GOOD_NODE */

static void
test_policy(void **state)
{
	struct config *cfg;
	const struct policy_rule *r;
	char err[512];

	(void)state;
	write_conf(GOOD_NODE ROUTE_A
	    "[policy level23-prefecture]\n"		/* 10 */
	    "; 004: 脅威度がレベル2またはレベル3 ... 県の住基ネット担当部署に通報\n"
	    "level = 2-3\n"
	    "notify = @prefecture\n"
	    "\n"
	    "[policy targeted]\n"			/* 15 */
	    "category = cyber_attack\n"
	    "subtype = 標的型攻撃, 不正アクセス\n"
	    "notify = @prefecture, @ministry\n");
	if ((cfg = config_load(file, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	assert_int_equal(cfg->policy->nrules, 2);
	r = &cfg->policy->rules[0];
	assert_string_equal(r->name, "level23-prefecture");
	assert_int_equal(r->line, 10);
	assert_int_equal(r->levels, 0xc);
	assert_int_equal(r->categories, 0);
	assert_int_equal(r->key_line[PK_NOTIFY], 13);
	r = &cfg->policy->rules[1];
	assert_int_equal(r->levels, 0xf);
	assert_int_equal(r->nsubtypes, 2);
	assert_string_equal(r->subtypes[1], "不正アクセス");
	assert_string_equal(r->notify, "@prefecture, @ministry");
	config_free(cfg);
	/* no [policy] section: an empty policy, never NULL */
	write_conf(GOOD_NODE ROUTE_A);
	if ((cfg = config_load(file, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	assert_non_null(cfg->policy);
	assert_int_equal(cfg->policy->nrules, 0);
	config_free(cfg);
}

static void
test_policy_errors(void **state)
{
	(void)state;
	expect_error(GOOD_NODE ROUTE_A "[policy p]\nlevel = 5\nnotify = mic\n",
	    11, "level: expected levels 0..3 as N, N-M or a comma-separated "
	    "list of them, got \"5\"");
	expect_error(GOOD_NODE ROUTE_A "[policy p]\ncategory = crime\n"
	    "notify = mic\n", 11, "category: \"crime\" is not one of");
	expect_error(GOOD_NODE ROUTE_A "[policy p]\nnotify = mic\n"
	    "subtype = a,,b\n", 12, "subtype: empty item");
	expect_error(GOOD_NODE ROUTE_A "[policy p]\nnotify = @prefecture,\n",
	    11, "notify: empty item");
	expect_error(GOOD_NODE ROUTE_A "[policy p]\nlevel = 2\n", 10,
	    "[policy p]: missing key \"notify\"");
	expect_error(GOOD_NODE ROUTE_A "[policy p]\nnotify = mic\n"
	    "police = yes\n", 12, "[policy p]: unknown key \"police\"");
	expect_error(GOOD_NODE ROUTE_A "[policy p]\nnotify = mic\n"
	    "level = 1\nlevel = 2\n", 13, "level: duplicate key (first on "
	    "line 12)");
	expect_error(GOOD_NODE ROUTE_A "[policy p]\nnotify = mic\n"
	    "[policy p]\nnotify = mic\n", 12, "duplicate section [policy p]");
	expect_error(GOOD_NODE ROUTE_A "[policy]\nnotify = mic\n", 10,
	    "[policy]: a rule needs a name: [policy NAME]");
	expect_error(GOOD_NODE ROUTE_A "[policy a/b]\nnotify = mic\n", 10,
	    "[policy a/b]: rule name must be");
	expect_error(GOOD_NODE ROUTE_A "[police]\nnotify = mic\n", 10,
	    "unknown section [police] (expected [node], [route NAME] or "
	    "[policy NAME])");
}

static void
test_missing_file(void **state)
{
	char err[512];

	(void)state;
	assert_null(config_load("/nonexistent/node.conf", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/node.conf: "));
}

static void
test_url(void **state)
{
	struct config_route r;
	char err[256];

	(void)state;
	assert_int_equal(config_parse_url("wss://[::1]:7444/x", &r, err,
	    sizeof(err)), 0);
	assert_string_equal(r.host, "::1");
	assert_int_equal(r.port, 7444);
	assert_string_equal(r.path, "/x");
	assert_int_equal(config_parse_url("wss://h", &r, err, sizeof(err)), 0);
	assert_int_equal(r.port, 7443);
	assert_int_equal(config_parse_url("https://h", &r, err, sizeof(err)),
	    -1);
	assert_int_equal(config_parse_url("wss://:7443", &r, err, sizeof(err)),
	    -1);
	assert_int_equal(config_parse_url("wss://h:0", &r, err, sizeof(err)),
	    -1);
	assert_int_equal(config_parse_url("wss://[::1", &r, err, sizeof(err)),
	    -1);
}

/*
 * [internal] and [smtp]: the municipality's own chain (003 「CISOまでの
 * 連絡ルート」, 000 第7条), by role, address and levels.
 */
#define SMTP_OK "[smtp]\nurl = smtp://127.0.0.1:2525\nfrom = kairan@city.example.jp\ntls = none\n"

static void
test_internal(void **state)
{
	struct config *cfg;
	char err[512];

	(void)state;
	write_conf(GOOD_NODE ROUTE_A "[internal]\n"
	    "addressee = CISO <ciso@city.example.jp>\n"
	    "addressee = CSIRT責任者 <csirt@city.example.jp> 2-3\n"
	    "addressee = 危機管理課 <kiki@city.example.jp> 0,3 advisories\n"
	    "retry = 250ms\nattempts = 3\n" SMTP_OK);
	cfg = config_load(file, err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	assert_int_equal(cfg->ninternal, 3);
	assert_string_equal(cfg->internal[0].role, "CISO");
	assert_string_equal(cfg->internal[0].address, "ciso@city.example.jp");
	assert_int_equal(cfg->internal[0].levels, CONFIG_LEVELS_ALL);
	assert_int_equal(cfg->internal[0].advisories, 0);
	assert_int_equal(cfg->internal[0].line, 11);
	assert_string_equal(cfg->internal[1].role, "CSIRT責任者");
	assert_int_equal(cfg->internal[1].levels, 0xc);
	assert_string_equal(cfg->internal[2].role, "危機管理課");
	assert_int_equal(cfg->internal[2].levels, 0x9);
	assert_int_equal(cfg->internal[2].advisories, 1);
	assert_int_equal(cfg->internal_retry_ms, 250);
	assert_int_equal(cfg->internal_attempts, 3);
	assert_string_equal(cfg->smtp.url, "smtp://127.0.0.1:2525");
	assert_string_equal(cfg->smtp.from, "kairan@city.example.jp");
	assert_int_equal(cfg->smtp.tls, MAIL_TLS_NONE);
	assert_int_equal(cfg->smtp.timeout_ms, 30000);
	config_free(cfg);

	/* the defaults: no [internal], no [smtp]: no mail */
	write_conf(GOOD_NODE ROUTE_A);
	cfg = config_load(file, err, sizeof(err));
	assert_non_null(cfg);
	assert_int_equal(cfg->ninternal, 0);
	assert_null(cfg->smtp.url);
	assert_int_equal(cfg->internal_retry_ms, CONFIG_INTERNAL_RETRY_MS);
	assert_int_equal(cfg->internal_attempts, CONFIG_INTERNAL_ATTEMPTS);
	config_free(cfg);
}

static void
test_internal_errors(void **state)
{
	(void)state;
	/* lines: 8-9 route, 10 [internal], 11 the first key */
	expect_error(GOOD_NODE ROUTE_A "[internal]\naddressee = CISO\n"
	    SMTP_OK, 11, "expected \"ROLE <ADDRESS>");
	expect_error(GOOD_NODE ROUTE_A "[internal]\naddressee = <a@b.jp>\n"
	    SMTP_OK, 11, "the role before <a@b.jp>");
	expect_error(GOOD_NODE ROUTE_A "[internal]\naddressee = CISO <a b@c>\n"
	    SMTP_OK, 11, "<a b@c>: expected an address LOCAL@DOMAIN");
	expect_error(GOOD_NODE ROUTE_A "[internal]\naddressee = CISO <nobody>\n"
	    SMTP_OK, 11, "expected an address");
	expect_error(GOOD_NODE ROUTE_A "[internal]\n"
	    "addressee = CISO <a@b.jp> 4\n" SMTP_OK, 11,
	    "\"4\": expected levels 0..3");
	expect_error(GOOD_NODE ROUTE_A "[internal]\n"
	    "addressee = CISO <a@b.jp> 3-2\n" SMTP_OK, 11, "\"3-2\"");
	expect_error(GOOD_NODE ROUTE_A "[internal]\n"
	    "addressee = CISO <a@b.jp> all\n" SMTP_OK, 11, "\"all\"");
	expect_error(GOOD_NODE ROUTE_A "[internal]\n"
	    "addressee = CISO <a@b.jp>\naddressee = CIO <A@b.jp>\n" SMTP_OK,
	    12, "<A@b.jp> is named already (line 11)");
	expect_error(GOOD_NODE ROUTE_A "[internal]\n"
	    "addressee = CISO <a@b.jp>\nretry = soon\n" SMTP_OK, 12, "retry:");
	expect_error(GOOD_NODE ROUTE_A "[internal]\n"
	    "addressee = CISO <a@b.jp>\nattempts = 0\n" SMTP_OK, 12,
	    "attempts:");
	expect_error(GOOD_NODE ROUTE_A "[internal]\n"
	    "addressee = CISO <a@b.jp>\ncolour = blue\n" SMTP_OK, 12,
	    "unknown key \"colour\"");
	/* an addressee without [smtp]: nobody could mail it */
	expect_error(GOOD_NODE ROUTE_A "[internal]\n"
	    "addressee = CISO <a@b.jp>\n", 10, "need an [smtp] section");
	expect_error(GOOD_NODE ROUTE_A "[internal]\n[internal]\n", 11,
	    "duplicate section [internal]");
	/* [smtp]'s own checks, shared with the relay (kairan/mailconf.h) */
	expect_error(GOOD_NODE ROUTE_A "[smtp]\nurl = http://x\n", 11,
	    "expected smtp://HOST");
	expect_error(GOOD_NODE ROUTE_A "[smtp]\nurl = smtp://127.0.0.1\n", 10,
	    "missing key \"from\"");
	expect_error(GOOD_NODE ROUTE_A "[smtp]\nurl = smtp://mail.example.jp\n"
	    "from = k@c.jp\ntls = none\n", 13, "tls: none is for a server on "
	    "this host only");
	/* a node's loop may wait the whole timeout for the final reply */
	expect_error(GOOD_NODE ROUTE_A SMTP_OK "timeout = 31s\n", 10,
	    "[smtp] timeout: 31000ms is too long on a node: at most half of "
	    "[node] stall_timeout (60000ms)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_timeouts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_internal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_internal_errors, setup,
		    teardown),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
