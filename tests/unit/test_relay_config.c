/*
 * Unit tests of the relay's configuration: defaults, relative paths, the
 * default `serve`, and errors that name file, line and key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "config.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kairan-relay-conf-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
write_conf(const char *text)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/relay.conf", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return path;
}

#define BASE \
	"[relay]\n" \
	"id = relay-45\n" \
	"listen = 127.0.0.1:7443\n" \
	"db = relay.db\n" \
	"cert = certs/chain.pem\n" \
	"key = certs/key.pem\n" \
	"ca = /etc/kairan/ca.pem\n" \
	"directory = directory.json\n"

static void
test_good_and_defaults(void **state)
{
	struct config *c;
	char err[512], want[256];

	(void)state;
	c = config_load(write_conf(BASE), err, sizeof(err));
	assert_non_null(c);
	assert_string_equal(c->id, "relay-45");
	assert_string_equal(c->host, "127.0.0.1");
	assert_int_equal(c->port, 7443);
	snprintf(want, sizeof(want), "%s/relay.db", dir);
	assert_string_equal(c->db, want);		/* relative to the file */
	assert_string_equal(c->ca, "/etc/kairan/ca.pem");
	assert_null(c->crl);
	assert_int_equal(c->max_frame, 1024 * 1024);
	assert_int_equal(c->window, 64);
	/* serves its own prefecture by default */
	assert_int_equal(c->nserve, 1);
	assert_string_equal(c->serve[0], "45");
	assert_true(config_serves(c, "452017", "45"));
	assert_false(config_serves(c, "131083", "13"));
	assert_false(config_serves(c, "mic", ""));
	config_free(c);
	config_free(NULL);
}

static void
test_serve_list(void **state)
{
	struct config *c;
	char err[512];

	(void)state;
	c = config_load(write_conf(BASE "serve = 45 mic\nmax_frame = 256K\n"
	    "idle_timeout = 2m\n"), err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->nserve, 2);
	assert_true(config_serves(c, "mic", ""));
	assert_false(config_serves(c, "nisc", ""));
	assert_int_equal(c->max_frame, 256 * 1024);
	assert_int_equal(c->idle_timeout_s, 120);
	/* the defaults of the admission caps and the audit checkpoints */
	assert_int_equal(c->max_pending, 0);		/* auto */
	assert_int_equal(c->max_pending_per_addr, 32);
	/* session tickets: beside the store, rotated every 12 hours */
	assert_non_null(c->tickets);
	assert_non_null(strstr(c->tickets, "-tickets"));
	assert_false(c->tickets_off);
	assert_int_equal(c->ticket_rotation_s, 12 * 3600);
	assert_int_equal(c->audit_checkpoint_s, 300);
	config_free(c);
	c = config_load(write_conf(BASE "max_pending = auto\n"
	    "session_tickets = off\nticket_rotation = 30m\n"), err,
	    sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->max_pending, 0);
	assert_true(c->tickets_off);
	assert_null(c->tickets);
	assert_int_equal(c->ticket_rotation_s, 1800);
	config_free(c);
	c = config_load(write_conf(BASE "max_pending = 64\n"
	    "max_pending_per_addr = 4\naudit_checkpoint = 1m\n"
	    "idle_timeout = 18h\n"), err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->max_pending, 64);
	assert_int_equal(c->max_pending_per_addr, 4);
	assert_int_equal(c->audit_checkpoint_s, 60);
	assert_int_equal(c->idle_timeout_s, 18 * 3600);
	config_free(c);
}

static void
expect_error(const char *text, int line, const char *needle)
{
	char err[512], prefix[160];

	assert_null(config_load(write_conf(text), err, sizeof(err)));
	snprintf(prefix, sizeof(prefix), "%s/relay.conf:%d: ", dir, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err, needle) == NULL)
		fail_msg("got \"%s\", want \"%s...%s\"", err, prefix, needle);
}

static void
test_errors_name_line_and_key(void **state)
{
	(void)state;
	expect_error(BASE "listen2 = x\n", 9, "unknown key \"listen2\"");
	expect_error(BASE "window = 0\n", 9, "");
	/* lws keeps ping + hang-up in 16 bits of seconds */
	expect_error(BASE "idle_timeout = 20h\n", 9, "idle_timeout");
	expect_error(BASE "ping_interval = 1h\n", 9, "ping_interval");
	expect_error(BASE "max_pending = 0\n", 9, "max_pending");
	expect_error(BASE "max_pending = lots\n", 9, "max_pending");
	expect_error(BASE "ticket_rotation = 8d\n", 9, "ticket_rotation");
	expect_error(BASE "max_frame = huge\n", 9, "max_frame");
	expect_error(BASE "serve = 45 48\n", 9, "serve: \"48\"");
	expect_error(BASE "log_level = loud\n", 9, "log_level");
	expect_error(BASE "id = relay-46\n", 9, "duplicate key");
	expect_error("[relay]\nid = 452018\n", 2, "id:");
	expect_error("[relay]\nid = relay-45\n", 1, "missing key \"listen\"");
	expect_error("[node]\nid = 452017\n", 1, "unknown section [node] "
	    "(expected [relay], [peer NAME], [console], [metrics], [escalation] "
	    "or [smtp])");
	expect_error("[relay]\nid relay-45\n", 2, "syntax error");
	/* a national relay other than the hub must say what it serves */
	expect_error("[relay]\nid = relay-mic\nlisten = 127.0.0.1:1\n"
	    "db = a\ncert = b\nkey = c\nca = d\ndirectory = e\n", 1, "serve");
}

/* [escalation] and [smtp]: defaults, durations in seconds, "off" */
static void
test_escalation_and_smtp(void **state)
{
	struct config *c;
	char err[512], path[160];
	FILE *fp;

	(void)state;
	c = config_load(write_conf(BASE), err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->esc_deadline_ms[3], 30 * 60000);
	assert_int_equal(c->esc_deadline_ms[2], 3600000);
	assert_int_equal(c->esc_deadline_ms[1], 4 * 3600000);
	assert_int_equal(c->esc_deadline_ms[0], 24 * 3600000);
	assert_int_equal(c->esc_repeat_ms, 3600000);
	assert_int_equal(c->esc_mails, 3);
	assert_null(c->smtp.url);		/* no mail without [smtp] */
	config_free(c);

	c = config_load(write_conf(BASE "[escalation]\nlevel3 = 90s\n"
	    "level0 = off\nrepeat = 10m\nmails = 0\nretry = 500ms\n"
	    "[smtp]\nurl = smtps://mail.example.jp:465\n"
	    "from = kairan@pref.example.jp\nuser = kairan\n"
	    "password = s3cret\ntls = required\ntimeout = 3s\n"),
	    err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->esc_deadline_ms[3], 90000);
	assert_int_equal(c->esc_deadline_ms[0], 0);
	assert_int_equal(c->esc_deadline_ms[2], 3600000);	/* default kept */
	assert_int_equal(c->esc_repeat_ms, 600000);
	assert_int_equal(c->esc_mails, 0);
	assert_int_equal(c->esc_retry_ms, 500);
	assert_string_equal(c->smtp.url, "smtps://mail.example.jp:465");
	assert_string_equal(c->smtp.host, "mail.example.jp");
	assert_string_equal(c->smtp.from, "kairan@pref.example.jp");
	assert_string_equal(c->smtp.password, "s3cret");
	assert_int_equal(c->smtp.tls, MAIL_TLS_REQUIRED);
	assert_int_equal(c->smtp.timeout_ms, 3000);
	config_free(c);

	/* the password from a file only its owner reads */
	snprintf(path, sizeof(path), "%s/smtp.pw", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("from-file\n", fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0600), 0);
	c = config_load(write_conf(BASE "[smtp]\nurl = smtp://127.0.0.1:2525\n"
	    "from = a@b.jp\nuser = u\npassword_file = smtp.pw\ntls = none\n"),
	    err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_string_equal(c->smtp.password, "from-file");
	assert_int_equal(c->smtp.tls, MAIL_TLS_NONE);
	config_free(c);
	assert_int_equal(chmod(path, 0644), 0);
	expect_error(BASE "[smtp]\nurl = smtp://127.0.0.1\nfrom = a@b.jp\n"
	    "user = u\npassword_file = smtp.pw\n", 13, "password_file: ");
	expect_error(BASE "[smtp]\nurl = smtp://127.0.0.1\nfrom = a@b.jp\n"
	    "user = u\npassword_file = smtp.pw\n", 13, "chmod 600");
}

static void
test_escalation_and_smtp_errors(void **state)
{
	(void)state;
	/* BASE is 8 lines: the section is line 9, its first key line 10 */
	expect_error(BASE "[escalation]\nlevel3 = soon\n", 10,
	    "level3: expected a duration");
	expect_error(BASE "[escalation]\nlevel3 = 0s\n", 10, "or \"off\"");
	expect_error(BASE "[escalation]\nlevel4 = 1h\n", 10,
	    "unknown key \"level4\"");
	expect_error(BASE "[escalation]\nmails = 21\n", 10, "mails:");
	expect_error(BASE "[escalation]\nrepeat = 1h\nrepeat = 2h\n", 11,
	    "duplicate key");
	expect_error(BASE "[escalation]\n[escalation]\n", 10,
	    "duplicate section [escalation] (first on line 9)");
	expect_error(BASE "[smtp]\nurl = http://mail\nfrom = a@b.jp\n", 10,
	    "url: \"http://mail\": expected smtp://HOST[:PORT]");
	expect_error(BASE "[smtp]\nurl = smtp://mail:99999\n", 10, "port:");
	expect_error(BASE "[smtp]\nurl = smtp://u:p@mail\n", 10, "bad host");
	expect_error(BASE "[smtp]\nurl = smtp://mail/x\n", 10,
	    "nothing may follow");
	expect_error(BASE "[smtp]\nurl = smtp://127.0.0.1\n", 9,
	    "missing key \"from\"");
	expect_error(BASE "[smtp]\nfrom = a@b.jp\n", 9,
	    "missing key \"url\"");
	expect_error(BASE "[smtp]\nurl = smtp://127.0.0.1\nfrom = <a@b.jp>\n",
	    11, "from: expected an address");
	expect_error(BASE "[smtp]\nurl = smtp://127.0.0.1\nfrom = a@b.jp\n"
	    "tls = maybe\n", 12, "tls: expected required, try or none");
	/* clear text only to this host */
	expect_error(BASE "[smtp]\nurl = smtp://mail.example.jp\nfrom = a@b.jp"
	    "\ntls = none\n", 12, "tls: none is for a server on this host");
	expect_error(BASE "[smtp]\nurl = smtp://127.0.0.1\nfrom = a@b.jp\n"
	    "user = u\n", 12, "user: give password or password_file");
	expect_error(BASE "[smtp]\nurl = smtp://127.0.0.1\nfrom = a@b.jp\n"
	    "password = p\n", 12, "no user");
	expect_error(BASE "[smtp]\nurl = smtp://127.0.0.1\nfrom = a@b.jp\n"
	    "user = u\npassword = p\npassword_file = /nonexistent\n", 14,
	    "password_file: /nonexistent: No such file");
}

/* [peer NAME] sections and the hub */
static void
test_peers(void **state)
{
	const struct config_peer *c;
	struct config *cfg;
	char err[512];

	(void)state;
	cfg = config_load(write_conf(BASE "hub = national\n"
	    "[peer national]\nid = relay-national\n"
	    "url = wss://hub.example.lg.jp:7444/kairan\n"
	    "[peer relay-46]\nid = relay-46\n"), err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	assert_int_equal(cfg->npeers, 2);
	assert_int_equal(cfg->hub, 0);
	assert_non_null(c = config_peer(cfg, "national"));
	assert_string_equal(c->id, "relay-national");
	assert_string_equal(c->host, "hub.example.lg.jp");
	assert_int_equal(c->port, 7444);
	assert_string_equal(c->path, "/kairan");
	assert_non_null(c = config_peer(cfg, "relay-46"));
	assert_null(c->url);		/* it dials us */
	assert_null(config_peer(cfg, "relay-13"));
	/* relay-national serves the national bodies by default */
	assert_int_equal(config_serves(cfg, "mic", ""), 0);
	config_free(cfg);
	cfg = config_load(write_conf("[relay]\nid = relay-national\n"
	    "listen = 127.0.0.1:1\ndb = a\ncert = b\nkey = c\nca = d\n"
	    "directory = e\n[peer p45]\nid = relay-45\n"), err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	assert_int_equal(config_serves(cfg, "mic", ""), 1);
	assert_int_equal(config_serves(cfg, "452025", "45"), 0);
	assert_int_equal(cfg->hub, -1);
	config_free(cfg);
	/* an HA pair: two links to one id, both dialled */
	cfg = config_load(write_conf(BASE "[peer a]\nid = relay-46\n"
	    "url = wss://a:1/\n[peer b]\nid = relay-46\nurl = wss://b:1/\n"),
	    err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	config_free(cfg);
}

static void
test_peer_errors(void **state)
{
	(void)state;
	expect_error(BASE "[peer x]\n", 9, "[peer x]: missing key \"id\"");
	expect_error(BASE "[peer x]\nid = 452025\n", 10,
	    "id: 452025 is not a relay");
	expect_error(BASE "[peer x]\nid = relay-45\n", 10,
	    "id: relay-45 is this relay itself");
	expect_error(BASE "[peer x]\nid = relay-46\nurl = ws://a:1/\n", 11,
	    "must begin with wss://");
	expect_error(BASE "[peer x]\nid = relay-46\nurl = wss://a:99999/\n",
	    11, "port must be 1..65535");
	expect_error(BASE "[peer x]\nid = relay-46\nport = 1\n", 11,
	    "[peer x]: unknown key \"port\"");
	expect_error(BASE "[peer bad name!]\nid = relay-46\n", 9,
	    "a link name is");
	expect_error(BASE "[peer x]\nid = relay-46\n[peer x]\nid = relay-13\n",
	    11, "duplicate section [peer x] (first on line 9)");
	expect_error(BASE "hub = nowhere\n", 9, "hub: no [peer nowhere]");
	expect_error(BASE "[peer a]\nid = relay-46\n[peer b]\nid = relay-46\n"
	    "url = wss://b:1/\n", 11, "two links to one id");
}

/* [console] and [metrics]: what each key gives, and the errors. */
static void
test_console_and_metrics(void **state)
{
	struct config *c;
	char err[512], want[256];

	(void)state;
	c = config_load(write_conf(BASE), err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->console, 0);
	assert_int_equal(c->metrics, METRICS_OFF);
	config_free(c);

	c = config_load(write_conf(BASE "[console]\nlisten = 0.0.0.0:8443\n"
	    "cert = console/chain.pem\nkey = console/key.pem\n[metrics]\n"),
	    err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->console, 1);
	assert_string_equal(c->console_host, "0.0.0.0");
	assert_int_equal(c->console_port, 8443);
	snprintf(want, sizeof(want), "%s/console/chain.pem", dir);
	assert_string_equal(c->console_cert, want);
	assert_string_equal(c->console_root, KAIRAN_CONSOLE_DIR);
	/* a [metrics] without listen: loopback, port 9145 */
	assert_int_equal(c->metrics, METRICS_PLAIN);
	assert_string_equal(c->metrics_host, "127.0.0.1");
	assert_int_equal(c->metrics_port, 9145);
	config_free(c);

	c = config_load(write_conf(BASE "[console]\nlisten = 127.0.0.1:0\n"
	    "cert = c.pem\nkey = k.pem\nroot = /srv/console\n[metrics]\n"
	    "listen = console\n"), err, sizeof(err));
	assert_non_null(c);
	assert_string_equal(c->console_root, "/srv/console");
	assert_int_equal(c->metrics, METRICS_CONSOLE);
	config_free(c);

	assert_null(config_load(write_conf(BASE "[metrics]\nlisten = console\n"),
	    err, sizeof(err)));
	assert_non_null(strstr(err, "there is no [console] section"));
	assert_null(config_load(write_conf(BASE "[metrics]\nlisten = x\n"),
	    err, sizeof(err)));
	assert_non_null(strstr(err, "relay.conf:10: [metrics] listen:"));
	assert_null(config_load(write_conf(BASE "[console]\nlisten = "
	    "127.0.0.1:8443\n"), err, sizeof(err)));
	assert_non_null(strstr(err, "[console]: needs listen, cert and key"));
	assert_null(config_load(write_conf(BASE "[console]\nport = 1\n"),
	    err, sizeof(err)));
	assert_non_null(strstr(err, "port"));
	assert_null(config_load(write_conf(BASE "[console]\n[console]\n"),
	    err, sizeof(err)));
	assert_non_null(strstr(err, "duplicate section [console]"));
	assert_null(config_load(write_conf(BASE "[consol]\n"), err,
	    sizeof(err)));
	assert_non_null(strstr(err, "[console], [metrics], [escalation] or [smtp]"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_and_defaults),
		cmocka_unit_test(test_serve_list),
		cmocka_unit_test(test_errors_name_line_and_key),
		cmocka_unit_test(test_escalation_and_smtp),
		cmocka_unit_test(test_escalation_and_smtp_errors),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_peer_errors),
		cmocka_unit_test(test_console_and_metrics),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
