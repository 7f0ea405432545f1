/*
 * test_node_status: what `status` shows of one report of ours, built
 * from a real store (receipts applied through store_receipt_add) and the
 * real directory: per recipient pending -> held at its home relay (since
 * T, JST) -> delivered -> acknowledged, the recipients' lines aligned by
 * display width (an id of 3 or 6 columns, names of 6 or 8), and --json's
 * held_by/held_at beside the fields it had before.
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
#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "config.h"
#include "status.h"
#include "store.h"
#include "store_outbox.h"
#include "store_receipt.h"
#include "store_status.h"

static char tmpdir[64];
static char dirpath[128];
static char dbpath[128];
static struct directory *dir;

static int
group_setup(void **state)
{
	const char *data = getenv("KAIRAN_DATA");
	char codes[1024], adj[1024], err[1024];

	(void)state;
	if (data == NULL)
		data = "../shared/data";
	snprintf(codes, sizeof(codes), "%s/codes", data);
	snprintf(adj, sizeof(adj), "%s/adjacency", data);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kairan-status-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(dirpath, sizeof(dirpath), "%s/directory.json", tmpdir);
	snprintf(dbpath, sizeof(dbpath), "%s/node.db", tmpdir);
	if (directory_import(codes, adj, NULL, dirpath, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "import: %s\n", err);
		return -1;
	}
	if ((dir = directory_load(dirpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	directory_free(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Messages on the stack; the store does not verify, fake bytes do. */
struct msg {
	Message		 m;
	IncidentReport	 r;
	Receipt		 rc;
	uint8_t		 id[KAIRAN_ID_LEN];
	uint8_t		 inc[KAIRAN_ID_LEN];
	uint8_t		 ref[KAIRAN_ID_LEN];
	uint8_t		 refdigest[KAIRAN_DIGEST_LEN];
	char		*to[4];
	char		*held[2];
	uint8_t		 env[32];
	uint8_t		 digest[KAIRAN_DIGEST_LEN];
};

#define T0	1795307400000LL	/* 2026-11-22T09:30:00+09:00 */

static void
report(struct msg *t)
{
	memset(t, 0, sizeof(*t));
	kairan__v1__message__init(&t->m);
	kairan__v1__incident_report__init(&t->r);
	memset(t->id, 0x11, sizeof(t->id));
	memset(t->inc, 0x12, sizeof(t->inc));
	t->m.id.data = t->id;
	t->m.id.len = KAIRAN_ID_LEN;
	t->m.sender = "452017";
	t->to[0] = "450006";	/* 宮崎県 */
	t->to[1] = "mic";	/* 総務省 */
	t->to[2] = "452025";	/* 都城市 */
	t->to[3] = "462012";	/* 鹿児島市 */
	t->m.recipients = t->to;
	t->m.n_recipients = 4;
	t->m.created_at_ms = T0;
	t->m.status = KAIRAN__V1__STATUS__ACTUAL;
	t->m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	t->m.report = &t->r;
	t->r.incident_id.data = t->inc;
	t->r.incident_id.len = KAIRAN_ID_LEN;
	t->r.report_no = 1;
	t->r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	memset(t->env, 0xee, sizeof(t->env));
	memset(t->digest, 0x11, sizeof(t->digest));
}

/* Applies receipt state about ref, signed by signer at T0 + min minutes. */
static void
receipt(struct store *st, const struct msg *ref, int idbyte,
    const char *signer, int role, int state, const char *by,
    const char *held, int min)
{
	struct identity who;
	struct msg t;
	char err[512];
	int result, reason;

	memset(&t, 0, sizeof(t));
	kairan__v1__message__init(&t.m);
	kairan__v1__receipt__init(&t.rc);
	memset(t.id, idbyte, sizeof(t.id));
	t.m.id.data = t.id;
	t.m.id.len = KAIRAN_ID_LEN;
	t.m.sender = (char *)(uintptr_t)signer;
	t.m.created_at_ms = T0 + (int64_t)min * 60000;
	t.m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	t.m.receipt = &t.rc;
	memcpy(t.ref, ref->id, KAIRAN_ID_LEN);
	memcpy(t.refdigest, ref->digest, KAIRAN_DIGEST_LEN);
	t.rc.ref_id.data = t.ref;
	t.rc.ref_id.len = KAIRAN_ID_LEN;
	t.rc.ref_digest.data = t.refdigest;
	t.rc.ref_digest.len = KAIRAN_DIGEST_LEN;
	t.rc.state = state;
	t.rc.by = (char *)(uintptr_t)(by != NULL ? by : "");
	if (state == KAIRAN__V1__RECEIPT__STATE__OVERDUE)
		t.rc.subject = (char *)(uintptr_t)held;	/* whom it is about */
	else if (held != NULL) {
		t.held[0] = (char *)(uintptr_t)held;
		t.rc.held = t.held;
		t.rc.n_held = 1;
	}
	memset(&who, 0, sizeof(who));
	snprintf(who.entity, sizeof(who.entity), "%s", signer);
	who.role = role;
	if (store_receipt_add(st, &t.m, &who, t.env, sizeof(t.env), "pref",
	    T0, &result, &reason, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(result, STORE_RECEIPT_MATCHED);
}

#define QUEUED	KAIRAN__V1__RECEIPT__STATE__QUEUED
#define DELIVERED	KAIRAN__V1__RECEIPT__STATE__DELIVERED
#define ACKED	KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED
#define OVERDUE	KAIRAN__V1__RECEIPT__STATE__OVERDUE

/* The display column at which needle starts in line. */
static size_t
column(const char *line, const char *needle)
{
	const char *at = strstr(line, needle);
	char *head;
	size_t w;

	assert_non_null(at);
	assert_non_null(head = strndup(line, (size_t)(at - line)));
	w = text_width(head);
	free(head);
	return w;
}

/* Line n (from 0) of text that starts with prefix, copied into out. */
static void
line_with(const char *text, const char *prefix, char *out, size_t outlen)
{
	const char *p = text, *e;

	while (p != NULL && *p != '\0') {
		e = strchr(p, '\n');
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			snprintf(out, outlen, "%.*s", (int)(e != NULL ?
			    e - p : (ptrdiff_t)strlen(p)), p);
			return;
		}
		p = e != NULL ? e + 1 : NULL;
	}
	fail_msg("no line %s in:\n%s", prefix, text);
}

static void
test_stages_text_and_json(void **state)
{
	static const char *const rows[][2] = {
		{ "recipient 450006 ", "held at relay-45 since "
		    "2026-11-22T09:31:00+09:00" },
		{ "recipient mic ", "acknowledged 2026-11-22T09:40:00+09:00 "
		    "by 総務 太郎" },
		{ "recipient 452025 ", "delivered 2026-11-22T09:33:00+09:00" },
		{ "recipient 462012 ", "pending" },
	};
	struct config cfg;
	struct status_view v;
	struct store *st;
	struct msg a;
	json_t *o, *r;
	char err[512], *text = NULL, line[512];
	size_t len = 0, i, col0 = 0;
	FILE *fp;

	(void)state;
	if ((st = store_open(dbpath, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	report(&a);
	if (store_outbox_add(st, &a.m, a.env, sizeof(a.env), a.digest, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	/* 宮崎県 held; 都城市 held, then delivered; 総務省 acknowledged */
	receipt(st, &a, 0x21, "relay-45", ROLE_RELAY, QUEUED, NULL, "450006",
	    1);
	receipt(st, &a, 0x22, "relay-45", ROLE_RELAY, QUEUED, NULL, "452025",
	    2);
	receipt(st, &a, 0x23, "452025", ROLE_NODE, DELIVERED, NULL, NULL, 3);
	receipt(st, &a, 0x24, "relay-national", ROLE_RELAY, QUEUED, NULL,
	    "mic", 4);
	receipt(st, &a, 0x25, "mic", ROLE_NODE, DELIVERED, NULL, NULL, 5);
	receipt(st, &a, 0x26, "mic", ROLE_NODE, ACKED, "総務 太郎", NULL, 10);
	/* 鹿児島市 past its deadline, and 総務省 too (but it acknowledged) */
	receipt(st, &a, 0x27, "relay-46", ROLE_RELAY, OVERDUE, NULL, "462012",
	    30);
	receipt(st, &a, 0x28, "relay-national", ROLE_RELAY, OVERDUE, NULL,
	    "mic", 8);

	memset(&cfg, 0, sizeof(cfg));
	cfg.db = dbpath;	/* no lock file: no daemon */
	snprintf(cfg.id, sizeof(cfg.id), "452017");
	if (status_load(&v, st, &cfg, dir, a.id, err, sizeof(err)) != 1)
		fail_msg("%s", err);
	assert_int_equal(v.held, 1);
	assert_int_equal(v.overdue, 1);
	assert_int_equal(v.delivered, 2);
	assert_int_equal(v.acknowledged, 1);
	assert_int_equal(v.total, 4);
	assert_false(status_settled(&v));

	assert_non_null(fp = open_memstream(&text, &len));
	status_print(fp, &v);
	fclose(fp);
	for (i = 0; i < 4; i++) {
		line_with(text, rows[i][0], line, sizeof(line));
		if (strstr(line, rows[i][1]) == NULL)
			fail_msg("%s: want %s", line, rows[i][1]);
		/* the names and the stages start in one column each */
		if (i == 0)
			col0 = column(line, rows[i][1]);
		else
			assert_int_equal(column(line, rows[i][1]), col0);
	}
	line_with(text, "recipient 462012 ", line, sizeof(line));
	assert_string_equal(line, "recipient 462012 鹿児島市: pending, overdue "
	    "since 2026-11-22T10:00:00+09:00 (no 受理確認 by the deadline, says "
	    "relay-46)");
	line_with(text, "recipient 450006 ", line, sizeof(line));
	assert_string_equal(line, "recipient 450006 宮崎県:   held at relay-45 "
	    "since 2026-11-22T09:31:00+09:00");
	line_with(text, "recipient mic ", line, sizeof(line));
	assert_int_equal(column(line, "総務省"),
	    column("recipient 450006 宮崎県", "宮崎県"));
	/* the progress line is unchanged, and last */
	assert_non_null(strstr(text, "\ndelivered 2/4, acknowledged 1/4, "
	    "rejected 0/4\n"));
	assert_int_equal(text[len - 1], '\n');
	free(text);

	o = status_json(&v);
	assert_int_equal(json_integer_value(json_object_get(o, "held")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "delivered")),
	    2);
	r = json_array_get(json_object_get(o, "recipients"), 0);
	assert_string_equal(json_string_value(json_object_get(r, "entity")),
	    "450006");
	assert_string_equal(json_string_value(json_object_get(r, "state")),
	    "held");
	assert_string_equal(json_string_value(json_object_get(r, "held_by")),
	    "relay-45");
	assert_string_equal(json_string_value(json_object_get(r, "held_at")),
	    "2026-11-22T09:31:00+09:00");
	assert_true(json_is_null(json_object_get(r, "delivered_at")));
	/* the hold stays known once the recipient moved on */
	r = json_array_get(json_object_get(o, "recipients"), 2);
	assert_string_equal(json_string_value(json_object_get(r, "state")),
	    "delivered");
	assert_string_equal(json_string_value(json_object_get(r, "held_by")),
	    "relay-45");
	assert_string_equal(json_string_value(json_object_get(r,
	    "delivered_at")), "2026-11-22T09:33:00+09:00");
	r = json_array_get(json_object_get(o, "recipients"), 1);
	assert_string_equal(json_string_value(json_object_get(r, "state")),
	    "acknowledged");
	assert_string_equal(json_string_value(json_object_get(r, "held_by")),
	    "relay-national");
	assert_string_equal(json_string_value(json_object_get(r,
	    "acknowledged_by")), "総務 太郎");
	/* no QUEUED: null, and every field of before is there */
	r = json_array_get(json_object_get(o, "recipients"), 3);
	assert_string_equal(json_string_value(json_object_get(r, "state")),
	    "pending");
	assert_true(json_is_null(json_object_get(r, "held_by")));
	assert_true(json_is_null(json_object_get(r, "held_at")));
	assert_string_equal(json_string_value(json_object_get(r, "name")),
	    "鹿児島市");
	for (i = 0; i < 9; i++) {
		static const char *const keys[] = { "entity", "name", "state",
		    "delivered_at", "acknowledged_at", "acknowledged_by",
		    "note", "required", "reason" };

		assert_non_null(json_object_get(r, keys[i]));
	}
	json_decref(o);
	status_clear(&v);
	store_close(st);
}

static void
test_state_order(void **state)
{
	struct store_rcpt_state r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(status_of(&r), STATUS_PENDING);
	r.held_by = "relay-46";
	r.held_ms = T0;
	assert_int_equal(status_of(&r), STATUS_HELD);
	assert_string_equal(status_state_name(STATUS_HELD), "held");
	r.rejected_ms = T0;	/* a final answer is not hidden by a hold */
	assert_int_equal(status_of(&r), STATUS_REJECTED);
	r.delivered_ms = T0;
	assert_int_equal(status_of(&r), STATUS_DELIVERED);
	r.acknowledged_ms = T0;
	assert_int_equal(status_of(&r), STATUS_ACKNOWLEDGED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stages_text_and_json),
		cmocka_unit_test(test_state_order),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
