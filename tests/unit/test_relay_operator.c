/*
 * Unit tests of the console's operators: the name and password rules,
 * argon2id hashing and verification, the store's operator rows with
 * their audit rows, and an audit chain that stays whole when another
 * process (the `operator` command beside a running relay) adds rows.
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

#include "kairan/message.h"

#include "operator.h"
#include "store.h"

struct fx {
	char		 dir[64];
	char		 path[128];
	struct store	*s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/kairan-relay-op-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/relay.db", f->dir);
	f->s = store_open(f->path, err, sizeof(err));
	assert_non_null(f->s);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
test_names(void **state)
{
	char err[256];

	(void)state;
	assert_true(operator_name_valid("tanaka", err, sizeof(err)));
	assert_true(operator_name_valid("a.b-c_9", err, sizeof(err)));
	assert_true(operator_name_valid("a2345678901234567890123456789012",
	    err, sizeof(err)));
	assert_false(operator_name_valid("a23456789012345678901234567890123",
	    err, sizeof(err)));
	assert_non_null(strstr(err, "operator name"));
	assert_false(operator_name_valid("", err, sizeof(err)));
	assert_false(operator_name_valid("9lives", err, sizeof(err)));
	assert_false(operator_name_valid("Tanaka", err, sizeof(err)));
	assert_false(operator_name_valid("ta naka", err, sizeof(err)));
	assert_false(operator_name_valid("田中", err, sizeof(err)));
	assert_false(operator_name_valid("a\nb", err, sizeof(err)));
	assert_false(operator_name_valid("../x", err, sizeof(err)));
}

static void
test_passwords(void **state)
{
	char err[256], big[OPERATOR_PASSWORD_MAX + 2];

	(void)state;
	assert_true(operator_password_valid("correct horse", err,
	    sizeof(err)));
	assert_true(operator_password_valid("かいらんばんの合言葉", err,
	    sizeof(err)));
	assert_false(operator_password_valid("short", err, sizeof(err)));
	assert_non_null(strstr(err, "12 to 1024 bytes"));
	assert_false(operator_password_valid("tab\there123456", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "control"));
	assert_false(operator_password_valid("bad\xff\xfe utf-8 here", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "UTF-8"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(operator_password_valid(big, err, sizeof(err)));
}

static void
test_hash_and_verify(void **state)
{
	char a[OPERATOR_HASH_MAX], b[OPERATOR_HASH_MAX], err[256];

	(void)state;
	assert_int_equal(operator_hash("かいらんばんの合言葉", a, err,
	    sizeof(err)), 0);
	assert_int_equal(strncmp(a, "$argon2id$v=19$m=65536,t=3,p=1$", 31),
	    0);
	assert_true(operator_verify(a, "かいらんばんの合言葉"));
	assert_false(operator_verify(a, "かいらんばんの合言葉 "));
	assert_false(operator_verify(a, ""));
	/* a fresh salt each time */
	assert_int_equal(operator_hash("かいらんばんの合言葉", b, err,
	    sizeof(err)), 0);
	assert_string_not_equal(a, b);
	/* only argon2id, and a damaged hash verifies nothing */
	assert_false(operator_verify("$argon2i$v=19$m=65536,t=3,p=1$x$y",
	    "x"));
	b[strlen(b) - 3] = b[strlen(b) - 3] == 'A' ? 'B' : 'A';
	assert_false(operator_verify(b, "かいらんばんの合言葉"));
	assert_false(operator_verify("garbage", "garbage"));
}

struct seen {
	char	names[4][OPERATOR_NAME_MAX + 1];
	int	n;
};

static void
collect(void *arg, const char *name, int64_t at)
{
	struct seen *sn = arg;

	assert_true(at == 1000 || at == 2000);
	snprintf(sn->names[sn->n++], sizeof(sn->names[0]), "%s", name);
}

static void
test_store_add_del_list(void **state)
{
	struct fx *f = *state;
	char err[256], h[OPERATOR_HASH_MAX];
	struct seen sn;
	int64_t bad;
	long long rows;

	assert_int_equal(store_operator_add(f->s, "tanaka", "$argon2id$h1",
	    "uid 0 (root)", 1000, err, sizeof(err)), 0);
	assert_int_equal(store_operator_add(f->s, "suzuki", "$argon2id$h2",
	    "uid 0 (root)", 2000, err, sizeof(err)), 0);
	/* a second add of a name changes nothing */
	assert_int_equal(store_operator_add(f->s, "tanaka", "$argon2id$h3",
	    "uid 0 (root)", 2000, err, sizeof(err)), 1);
	assert_int_equal(store_operator_hash(f->s, "tanaka", h, sizeof(h), err,
	    sizeof(err)), 1);
	assert_string_equal(h, "$argon2id$h1");
	assert_int_equal(store_operator_hash(f->s, "nobody", h, sizeof(h), err,
	    sizeof(err)), 0);

	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_operator_list(f->s, collect, &sn, err,
	    sizeof(err)), 2);
	assert_string_equal(sn.names[0], "suzuki");
	assert_string_equal(sn.names[1], "tanaka");

	assert_int_equal(store_operator_del(f->s, "tanaka", "uid 0 (root)",
	    3000, err, sizeof(err)), 0);
	assert_int_equal(store_operator_del(f->s, "tanaka", "uid 0 (root)",
	    3000, err, sizeof(err)), 1);
	assert_int_equal(store_operator_hash(f->s, "tanaka", h, sizeof(h), err,
	    sizeof(err)), 0);

	/* two adds and one del: three audit rows, chained */
	assert_int_equal(store_audit_verify(f->s, &bad, &rows, err,
	    sizeof(err)), 0);
	assert_int_equal(rows, 3);
}

/* A report as the relay stores one (not signed: the store does not care). */
static void
add_report(struct store *s)
{
	static const uint8_t env[4] = { 1, 2, 3, 4 }, digest[32];
	static char sender[] = "452017", *rcpt[] = { "450006" };
	Message m;
	IncidentReport r;
	uint8_t id[16];
	char err[256];
	int dup;
	int64_t seq;

	kairan__v1__message__init(&m);
	kairan__v1__incident_report__init(&r);
	assert_int_equal(message_id_new(id), 0);
	m.id.data = id;
	m.id.len = 16;
	m.sender = sender;
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	assert_int_equal(store_begin(s, err, sizeof(err)), 0);
	assert_int_equal(store_message_add(s, &m, env, sizeof(env), digest,
	    "452017", 1000, &dup, &seq, err, sizeof(err)), 0);
	assert_int_equal(store_delivery_add(s, seq, "peer:hub", NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(store_commit(s, err, sizeof(err)), 0);
}

/*
 * The relay has the database open; the operator command adds a row
 * through its own handle; the relay's next row still follows the chain.
 */
static void
test_audit_chain_across_processes(void **state)
{
	struct fx *f = *state;
	struct store *cli;
	char err[256];
	int64_t bad;
	long long rows;

	add_report(f->s);
	assert_non_null(cli = store_open(f->path, err, sizeof(err)));
	assert_int_equal(store_operator_add(cli, "tanaka", "$argon2id$h",
	    "uid 0 (root)", 1000, err, sizeof(err)), 0);
	store_close(cli);
	add_report(f->s);
	assert_int_equal(store_audit_verify(f->s, &bad, &rows, err,
	    sizeof(err)), 0);
	assert_int_equal(rows, 3);
}

static void
test_pending_counts(void **state)
{
	struct fx *f = *state;
	long long n;
	int64_t oldest;

	assert_int_equal(store_pending_oldest(f->s, &n, &oldest), 0);
	assert_int_equal(n, 0);
	assert_true(oldest == 0);
	add_report(f->s);
	add_report(f->s);
	assert_int_equal(store_pending_oldest(f->s, &n, &oldest), 0);
	assert_int_equal(n, 2);
	assert_true(oldest == 1000);
	assert_int_equal(store_pending_to(f->s, "peer:hub"), 2);
	assert_int_equal(store_pending_to(f->s, "peer:other"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_passwords),
		cmocka_unit_test(test_hash_and_verify),
		cmocka_unit_test_setup_teardown(test_store_add_del_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_chain_across_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_counts, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
