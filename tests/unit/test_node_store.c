/*
 * test_node_store: the node's database: the outbox survives a reopen and
 * is sent per route until answered; the inbox stores an id once (with its
 * DELIVERED receipt in the same transaction); receipts move recipients
 * through pending -> delivered -> acknowledged, or rejected, and are
 * matched against our outbox (digest, signer, recipient). Schema 2:
 * report numbers taken in the outbox's write transaction,
 * UNIQUE(incident, report_no), the v1 -> v2 migration of a database that
 * already holds two reports with one number, a duplicate report never
 * getting a receipt signed, a write that meets another connection's lock
 * failing fast and marked busy (the daemon's timeout), route states, id
 * prefixes, `sent`'s counts and withdrawals. Schema 4: a QUEUED receipt
 * of the relay holding a report records the hold (held_by, held_ms),
 * refused per rule (role, held, recipient, digest) without a trace,
 * never moving a recipient backwards; a version 3 database
 * migrated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "kairan/frame.h"
#include "kairan/message.h"

#include "config.h"
#include "status.h"
#include "store.h"
#include "store_confirm.h"
#include "store_imail.h"
#include "store_inbox.h"
#include "store_msg.h"
#include "store_outbox.h"
#include "store_receipt.h"
#include "store_route.h"
#include "store_sent.h"
#include "store_status.h"

static char dir[64];
static char path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_node_store.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/node.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	(void)state;
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
	return 0;
}

/* A message on the stack; the store does not verify, so fake bytes do. */
struct tmsg {
	Message		m;
	IncidentReport	r;
	Advisory	a;
	Receipt		rc;
	uint8_t		id[KAIRAN_ID_LEN];
	uint8_t		inc[KAIRAN_ID_LEN];
	uint8_t		ref[KAIRAN_ID_LEN];
	uint8_t		refdigest[KAIRAN_DIGEST_LEN];
	char		*rcpts[8];
	char		sender[40];
	char		by[40];
	char		subject[40];
	uint8_t		env[64];
	uint8_t		digest[KAIRAN_DIGEST_LEN];
};

static void
tmsg_report(struct tmsg *t, int idbyte, int incbyte, uint32_t no,
    const char *sender, const char *r1, const char *r2, const char *r3)
{
	memset(t, 0, sizeof(*t));
	kairan__v1__message__init(&t->m);
	kairan__v1__incident_report__init(&t->r);
	memset(t->id, idbyte, sizeof(t->id));
	memset(t->inc, incbyte, sizeof(t->inc));
	snprintf(t->sender, sizeof(t->sender), "%s", sender);
	t->m.id.data = t->id;
	t->m.id.len = KAIRAN_ID_LEN;
	t->m.sender = t->sender;
	t->rcpts[0] = (char *)(uintptr_t)r1;
	t->rcpts[1] = (char *)(uintptr_t)r2;
	t->rcpts[2] = (char *)(uintptr_t)r3;
	t->m.recipients = t->rcpts;
	t->m.n_recipients = r3 != NULL ? 3 : r2 != NULL ? 2 : 1;
	t->m.created_at_ms = 1700000000000LL + idbyte;
	t->m.status = KAIRAN__V1__STATUS__EXERCISE;
	t->m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	t->m.report = &t->r;
	t->r.incident_id.data = t->inc;
	t->r.incident_id.len = KAIRAN_ID_LEN;
	t->r.report_no = no;
	memset(t->env, 0xe0 | (idbyte & 0xf), sizeof(t->env));
	memset(t->digest, idbyte, sizeof(t->digest));
}

static void
tmsg_receipt(struct tmsg *t, int idbyte, const char *signer,
    const struct tmsg *ref, int state, const char *by, const char *subject)
{
	memset(t, 0, sizeof(*t));
	kairan__v1__message__init(&t->m);
	kairan__v1__receipt__init(&t->rc);
	memset(t->id, idbyte, sizeof(t->id));
	snprintf(t->sender, sizeof(t->sender), "%s", signer);
	t->m.id.data = t->id;
	t->m.id.len = KAIRAN_ID_LEN;
	t->m.sender = t->sender;
	t->rcpts[0] = (char *)(uintptr_t)ref->sender;
	t->m.recipients = t->rcpts;
	t->m.n_recipients = 1;
	t->m.created_at_ms = 1700000100000LL + idbyte;
	t->m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	t->m.receipt = &t->rc;
	memcpy(t->ref, ref->id, KAIRAN_ID_LEN);
	memcpy(t->refdigest, ref->digest, KAIRAN_DIGEST_LEN);
	t->rc.ref_id.data = t->ref;
	t->rc.ref_id.len = KAIRAN_ID_LEN;
	t->rc.ref_digest.data = t->refdigest;
	t->rc.ref_digest.len = KAIRAN_DIGEST_LEN;
	t->rc.state = state;
	if (by != NULL) {
		snprintf(t->by, sizeof(t->by), "%s", by);
		t->rc.by = t->by;
	}
	if (subject != NULL) {
		snprintf(t->subject, sizeof(t->subject), "%s", subject);
		t->rc.subject = t->subject;
	}
	memset(t->env, 0xa0 | (idbyte & 0xf), sizeof(t->env));
	memset(t->digest, idbyte, sizeof(t->digest));
}

/* store_inbox_add's callback: hands over an already "signed" tmsg. */
static int
seal_tmsg(void *arg, const struct store_last *last, struct store_sealed *out,
    char *err, size_t errlen)
{
	struct tmsg *t = arg;

	(void)last;
	(void)err;
	(void)errlen;
	out->m = &t->m;
	out->env = t->env;
	out->envlen = sizeof(t->env);
	out->digest = t->digest;
	return 0;
}

static struct store *
open_store(void)
{
	struct store *st;
	char err[512];

	if ((st = store_open(path, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return st;
}

static void
add_out(struct store *st, struct tmsg *t)
{
	char err[512];

	if (store_outbox_add(st, &t->m, t->env, sizeof(t->env), t->digest, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
}

/* Ids the route would still send, in order, as their first bytes. */
static int
pending_on(struct store *st, const char *route, uint8_t *first, int max)
{
	uint8_t id[KAIRAN_ID_LEN], *env;
	size_t envlen;
	int64_t seq = 0;
	char err[512];
	int n = 0, rc;

	while ((rc = store_outbox_next(st, route, seq, &seq, id, &env, &envlen,
	    err, sizeof(err))) == 1) {
		assert_int_equal(envlen, 64);
		free(env);
		if (n < max)
			first[n] = id[0];
		n++;
	}
	assert_int_equal(rc, 0);
	return n;
}

static void
test_schema(void **state)
{
	struct store *st;

	(void)state;
	st = open_store();
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(st);
	st = open_store();	/* reopening migrates nothing */
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(st);
	store_close(NULL);
}

static void
test_outbox_durable_and_per_route(void **state)
{
	struct store *st;
	struct tmsg a, b;
	struct store_msg sm;
	uint8_t ids[8];
	char err[512];

	(void)state;
	st = open_store();
	tmsg_report(&a, 1, 0x11, 1, "452017", "450006", "mic", "452025");
	tmsg_report(&b, 2, 0x11, 2, "452017", "450006", "mic", NULL);
	add_out(st, &a);
	add_out(st, &b);
	/* the same id again is refused, and changes nothing */
	assert_int_equal(store_outbox_add(st, &a.m, a.env, sizeof(a.env),
	    a.digest, err, sizeof(err)), -1);
	store_close(st);

	/* a crash after the command returned: it is all still there */
	st = open_store();
	assert_int_equal(store_msg_get(st, STORE_OUT, a.id, &sm, err,
	    sizeof(err)), 1);
	assert_int_equal(sm.envlen, sizeof(a.env));
	assert_memory_equal(sm.env, a.env, sizeof(a.env));
	assert_int_equal(sm.report_no, 1);
	assert_int_equal(sm.status, KAIRAN__V1__STATUS__EXERCISE);
	store_msg_clear(&sm);

	assert_int_equal(pending_on(st, "pref", ids, 8), 2);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
	assert_int_equal(store_route_accepted(st, a.id, "pref", 1000, err,
	    sizeof(err)), 0);
	assert_int_equal(pending_on(st, "pref", ids, 8), 1);
	assert_int_equal(ids[0], 2);
	/* another route still has both */
	assert_int_equal(pending_on(st, "backup", ids, 8), 2);
	assert_int_equal(store_route_refused(st, b.id, "backup",
	    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED, "no", 1001, err,
	    sizeof(err)), 0);
	assert_int_equal(pending_on(st, "backup", ids, 8), 1);
	assert_int_equal(store_outbox_unanswered(st, "backup"), 1);
	/* an answer for an id we never sent changes nothing */
	memset(ids, 0x77, sizeof(ids));
	{
		uint8_t unknown[KAIRAN_ID_LEN];

		memset(unknown, 0x77, sizeof(unknown));
		assert_int_equal(store_route_accepted(st, unknown, "pref", 1,
		    err, sizeof(err)), 0);
	}
	/* accepted keeps the first time */
	assert_int_equal(store_route_accepted(st, a.id, "pref", 5000, err,
	    sizeof(err)), 0);
	{
		struct store_status ss;

		assert_int_equal(store_status(st, a.id, &ss, err, sizeof(err)),
		    1);
		assert_int_equal(ss.nroutes, 1);
		assert_string_equal(ss.routes[0].route, "pref");
		assert_int_equal(ss.routes[0].accepted_ms, 1000);
		assert_int_equal(ss.nrcpts, 3);
		assert_string_equal(ss.rcpts[0].entity, "450006");
		assert_string_equal(ss.rcpts[2].entity, "452025");
		store_status_clear(&ss);
		assert_int_equal(store_status(st, b.id, &ss, err, sizeof(err)),
		    1);
		assert_int_equal(ss.routes[0].refused_reason,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED);
		assert_string_equal(ss.routes[0].refused_detail, "no");
		store_status_clear(&ss);
	}
	{
		char **r;
		long n = store_outbox_recipients(st, a.inc, &r, err,
		    sizeof(err));

		assert_int_equal(n, 3);
		assert_string_equal(r[0], "450006");
		assert_string_equal(r[1], "452025");
		assert_string_equal(r[2], "mic");
		store_strings_free(r, (size_t)n);
	}
	{
		struct store_msg *v;
		long n = store_msg_incident(st, STORE_OUT, a.inc, &v, err,
		    sizeof(err));

		assert_int_equal(n, 2);
		assert_int_equal(v[0].report_no, 1);
		assert_int_equal(v[1].report_no, 2);
		store_msgs_free(v, (size_t)n);
	}
	store_close(st);
}

static void
test_inbox_idempotent(void **state)
{
	struct store *st;
	struct tmsg in, del, in2;
	struct store_msg *v;
	uint8_t ids[8];
	char err[512];
	int dup = -1, already = -1;
	long n;

	(void)state;
	st = open_store();
	tmsg_report(&in, 5, 0x55, 1, "131083", "452017", NULL, NULL);
	tmsg_receipt(&del, 6, "452017", &in,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	assert_int_equal(store_inbox_add(st, &in.m, in.env, sizeof(in.env),
	    in.digest, "pref", 2000, seal_tmsg, &del, &dup, err,
	    sizeof(err)), 0);
	assert_int_equal(dup, 0);
	/* the same report by another route: recognised, nothing new */
	tmsg_receipt(&del, 7, "452017", &in,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	assert_int_equal(store_inbox_add(st, &in.m, in.env, sizeof(in.env),
	    in.digest, "backup", 2001, seal_tmsg, &del, &dup, err,
	    sizeof(err)), 0);
	assert_int_equal(dup, 1);
	/* exactly one DELIVERED receipt waits in the outbox */
	assert_int_equal(pending_on(st, "pref", ids, 8), 1);
	assert_int_equal(ids[0], 6);

	tmsg_report(&in2, 8, 0x55, 2, "131083", "452017", NULL, NULL);
	assert_int_equal(store_inbox_add(st, &in2.m, in2.env, sizeof(in2.env),
	    in2.digest, "pref", 3000, NULL, NULL, &dup, err,
	    sizeof(err)), 0);
	n = store_inbox_list(st, 0, 20, &v, err, sizeof(err));
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id[0], 8);	/* newest first */
	assert_string_equal(v[0].sender, "131083");
	assert_string_equal(v[1].route, "pref");
	assert_int_equal(v[1].status, KAIRAN__V1__STATUS__EXERCISE);
	store_msgs_free(v, (size_t)n);

	/* a person's acknowledgement, once */
	tmsg_receipt(&del, 9, "452017", &in,
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED, "山田太郎", NULL);
	assert_int_equal(store_inbox_ack(st, in.id, "山田太郎", "確認しました",
	    4000, &del.m, del.env, sizeof(del.env), del.digest, &already, err,
	    sizeof(err)), 0);
	assert_int_equal(already, 0);
	tmsg_receipt(&del, 10, "452017", &in,
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED, "別人", NULL);
	assert_int_equal(store_inbox_ack(st, in.id, "別人", NULL, 4001, &del.m,
	    del.env, sizeof(del.env), del.digest, &already, err, sizeof(err)),
	    0);
	assert_int_equal(already, 1);
	assert_int_equal(pending_on(st, "pref", ids, 8), 2);
	/* acknowledged ones beyond `recent` drop out of the default list */
	n = store_inbox_list(st, 0, 0, &v, err, sizeof(err));
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id[0], 8);
	store_msgs_free(v, (size_t)n);
	n = store_inbox_list(st, 1, 0, &v, err, sizeof(err));
	assert_int_equal(n, 2);
	assert_int_equal(v[1].ack_ms, 4000);
	assert_string_equal(v[1].ack_by, "山田太郎");
	assert_string_equal(v[1].ack_note, "確認しました");
	store_msgs_free(v, (size_t)n);
	store_close(st);
}

static int
receipt(struct store *st, struct tmsg *r, const char *signer, int role,
    int *result, int *reason)
{
	struct identity who;
	char err[512];

	memset(&who, 0, sizeof(who));
	snprintf(who.entity, sizeof(who.entity), "%s", signer);
	who.role = role;
	return store_receipt_add(st, &r->m, &who, r->env, sizeof(r->env),
	    "pref", 9000, result, reason, err, sizeof(err));
}

static enum status_state
state_of(struct store *st, const uint8_t *id, const char *entity)
{
	struct store_status ss;
	enum status_state s = STATUS_PENDING;
	char err[512];
	size_t i;
	int found = 0;

	assert_int_equal(store_status(st, id, &ss, err, sizeof(err)), 1);
	for (i = 0; i < ss.nrcpts; i++)
		if (strcmp(ss.rcpts[i].entity, entity) == 0) {
			s = status_of(&ss.rcpts[i]);
			found = 1;
		}
	store_status_clear(&ss);
	assert_true(found);
	return s;
}

static void
test_receipts(void **state)
{
	struct store *st;
	struct tmsg a, r;
	struct store_status ss;
	char err[512];
	int result, reason;

	(void)state;
	st = open_store();
	tmsg_report(&a, 0x21, 0x22, 1, "452017", "450006", "mic", "452025");
	add_out(st, &a);
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_PENDING);

	/* DELIVERED by the recipient */
	tmsg_receipt(&r, 0x31, "450006", &a,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	assert_int_equal(receipt(st, &r, "450006", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(result, STORE_RECEIPT_MATCHED);
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_DELIVERED);
	/* the same receipt by another route */
	assert_int_equal(receipt(st, &r, "450006", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(result, STORE_RECEIPT_DUPLICATE);

	/* ACKNOWLEDGED, with the person's name */
	tmsg_receipt(&r, 0x32, "450006", &a,
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED, "宮崎花子", NULL);
	assert_int_equal(receipt(st, &r, "450006", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_ACKNOWLEDGED);

	/* REJECTED by a relay, naming the recipient */
	tmsg_receipt(&r, 0x33, "relay-45", &a,
	    KAIRAN__V1__RECEIPT__STATE__REJECTED, NULL, "mic");
	r.rc.note = (char *)(uintptr_t)"not served by this relay";
	assert_int_equal(receipt(st, &r, "relay-45", ROLE_RELAY, &result,
	    &reason), 0);
	assert_int_equal(state_of(st, a.id, "mic"), STATUS_REJECTED);
	/* ... but delivered by another route afterwards: delivered wins */
	tmsg_receipt(&r, 0x34, "mic", &a,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	assert_int_equal(receipt(st, &r, "mic", ROLE_NODE, &result, &reason),
	    0);
	assert_int_equal(state_of(st, a.id, "mic"), STATUS_DELIVERED);

	/* wrong digest: refused, nothing stored */
	tmsg_receipt(&r, 0x35, "452025", &a,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	r.refdigest[0] ^= 1;
	assert_int_equal(receipt(st, &r, "452025", ROLE_NODE, &result,
	    &reason), -1);
	assert_int_equal(reason, KAIRAN__V1__REFUSED__REASON__INVALID_FIELD);
	assert_int_equal(state_of(st, a.id, "452025"), STATUS_PENDING);

	/* signed by someone who is not a recipient */
	tmsg_receipt(&r, 0x36, "131083", &a,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	assert_int_equal(receipt(st, &r, "131083", ROLE_NODE, &result,
	    &reason), -1);
	assert_int_equal(reason, KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED);

	/* a node may not reject for another recipient via subject */
	tmsg_receipt(&r, 0x37, "450006", &a,
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED, "x", "452025");
	assert_int_equal(receipt(st, &r, "450006", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(state_of(st, a.id, "452025"), STATUS_PENDING);

	/* REJECTED by a node about another recipient: refused, nothing kept */
	tmsg_receipt(&r, 0x3a, "450006", &a,
	    KAIRAN__V1__RECEIPT__STATE__REJECTED, NULL, "452025");
	assert_int_equal(receipt(st, &r, "450006", ROLE_NODE, &result,
	    &reason), -1);
	assert_int_equal(reason, KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED);
	assert_int_equal(state_of(st, a.id, "452025"), STATUS_PENDING);
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_ACKNOWLEDGED);
	/* ... even about a message we do not have */
	{
		struct tmsg other;

		tmsg_report(&other, 0x43, 0x44, 1, "452017", "450006",
		    "452025", NULL);
		tmsg_receipt(&r, 0x3b, "450006", &other,
		    KAIRAN__V1__RECEIPT__STATE__REJECTED, NULL, "452025");
		assert_int_equal(receipt(st, &r, "450006", ROLE_NODE, &result,
		    &reason), -1);
		assert_int_equal(reason,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED);
	}
	/* a node rejecting for itself: subject empty, or its own id */
	tmsg_receipt(&r, 0x3c, "452025", &a,
	    KAIRAN__V1__RECEIPT__STATE__REJECTED, NULL, "452025");
	assert_int_equal(receipt(st, &r, "452025", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(state_of(st, a.id, "452025"), STATUS_REJECTED);

	/* a relay's REJECTED without subject */
	tmsg_receipt(&r, 0x38, "relay-45", &a,
	    KAIRAN__V1__RECEIPT__STATE__REJECTED, NULL, NULL);
	assert_int_equal(receipt(st, &r, "relay-45", ROLE_RELAY, &result,
	    &reason), -1);
	assert_int_equal(reason, KAIRAN__V1__REFUSED__REASON__INVALID_FIELD);

	/* a receipt for a message we do not have: stored, unmatched */
	{
		struct tmsg other;

		tmsg_report(&other, 0x41, 0x42, 1, "452017", "450006", NULL,
		    NULL);
		tmsg_receipt(&r, 0x39, "450006", &other,
		    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
		assert_int_equal(receipt(st, &r, "450006", ROLE_NODE, &result,
		    &reason), 0);
		assert_int_equal(result, STORE_RECEIPT_UNMATCHED);
	}

	assert_int_equal(store_status(st, a.id, &ss, err, sizeof(err)), 1);
	assert_int_equal(ss.rcpts[0].acknowledged_ms, 1700000100000LL + 0x32);
	assert_string_equal(ss.rcpts[0].acknowledged_by, "宮崎花子");
	assert_string_equal(ss.rcpts[1].rejected_reason,
	    "not served by this relay");
	assert_string_equal(ss.rcpts[1].rejected_by, "relay-45");
	store_status_clear(&ss);
	store_close(st);
}

/* A report message (not signed: the store only reads its fields). */
struct fake {
	Message		 m;
	IncidentReport	 r;
	uint8_t		 id[KAIRAN_ID_LEN];
	uint8_t		 inc[KAIRAN_ID_LEN];
	uint8_t		 digest[KAIRAN_DIGEST_LEN];
	char		*rcpt[2];
};

static void
fake_report(struct fake *f, uint8_t idbyte, const uint8_t *inc,
    uint32_t no, int phase)
{
	memset(f, 0, sizeof(*f));
	kairan__v1__message__init(&f->m);
	kairan__v1__incident_report__init(&f->r);
	memset(f->id, idbyte, sizeof(f->id));
	memcpy(f->inc, inc, KAIRAN_ID_LEN);
	f->m.id.data = f->id;
	f->m.id.len = KAIRAN_ID_LEN;
	f->m.sender = "452017";
	f->rcpt[0] = "450006";
	f->rcpt[1] = "mic";
	f->m.recipients = f->rcpt;
	f->m.n_recipients = 2;
	f->m.status = KAIRAN__V1__STATUS__ACTUAL;
	f->m.created_at_ms = 1000 + idbyte;
	f->m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	f->m.report = &f->r;
	f->r.incident_id.data = f->inc;
	f->r.incident_id.len = KAIRAN_ID_LEN;
	f->r.report_no = no;
	f->r.phase = phase;
}

struct seal_arg {
	struct fake	 f;
	uint8_t		 idbyte;
	int		 calls;
	int		 fail;
	int		 same_no;	/* reuse the last number: must fail */
	uint32_t	 seen_no;
	int		 seen_found;
};

static int
seal(void *arg, const struct store_last *last, struct store_sealed *out,
    char *err, size_t errlen)
{
	static const uint8_t env[] = { 1, 2, 3 };
	struct seal_arg *a = arg;
	static const uint8_t inc[KAIRAN_ID_LEN] = { 7 };

	a->calls++;
	if (a->fail) {
		snprintf(err, errlen, "refused by the callback");
		return -1;
	}
	a->seen_found = last != NULL && last->found;
	a->seen_no = last != NULL ? last->report_no : 0;
	fake_report(&a->f, a->idbyte, inc, a->same_no ? a->seen_no :
	    a->seen_no + 1, KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE);
	out->m = &a->f.m;
	out->env = env;
	out->envlen = sizeof(env);
	out->digest = a->f.digest;
	return 0;
}

static long long
count(struct store *st, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long n = -1;

	(void)st;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void
test_report_numbers(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 7 };
	struct store *st;
	struct seal_arg a;
	char err[512];
	int i;

	(void)state;
	assert_non_null(st = store_open(path, err, sizeof(err)));
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	for (i = 1; i <= 3; i++) {
		memset(&a, 0, sizeof(a));
		a.idbyte = (uint8_t)i;
		if (store_outbox_report(st, inc, seal, &a, err, sizeof(err)) ==
		    -1)
			fail_msg("%s", err);
		assert_int_equal(a.seen_found, i > 1);
		assert_int_equal(a.seen_no, (uint32_t)(i - 1));
	}
	/* the callback refuses: nothing written */
	memset(&a, 0, sizeof(a));
	a.idbyte = 10;
	a.fail = 1;
	assert_int_equal(store_outbox_report(st, inc, seal, &a, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "refused by the callback"));
	/* a second report with number 3: the UNIQUE index refuses it */
	memset(&a, 0, sizeof(a));
	a.idbyte = 11;
	a.same_no = 1;
	assert_int_equal(store_outbox_report(st, inc, seal, &a, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "UNIQUE"));
	assert_int_equal(count(st, "SELECT count(*) FROM outbox"), 3);
	assert_int_equal(count(st, "SELECT count(*) FROM recipient"), 6);
	assert_int_equal(count(st, "SELECT max(report_no) FROM outbox"), 3);
	store_close(st);
}

/* The version 1 schema, as a database written before version 2 has it. */
static const char v1[] =
	"CREATE TABLE outbox(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL UNIQUE, kind INTEGER NOT NULL, incident BLOB,"
	" report_no INTEGER, ref_id BLOB, status INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL, envelope BLOB NOT NULL,"
	" digest BLOB NOT NULL);"
	"CREATE INDEX outbox_incident ON outbox(incident, report_no);"
	"CREATE TABLE outbox_route(id BLOB NOT NULL, route TEXT NOT NULL,"
	" accepted_ms INTEGER, refused_reason INTEGER, refused_detail TEXT,"
	" refused_ms INTEGER, PRIMARY KEY(id, route)) WITHOUT ROWID;"
	"CREATE TABLE recipient(id BLOB NOT NULL, entity TEXT NOT NULL,"
	" pos INTEGER NOT NULL, delivered_ms INTEGER, acknowledged_ms INTEGER,"
	" acknowledged_by TEXT, ack_note TEXT, rejected_ms INTEGER,"
	" rejected_reason TEXT, rejected_by TEXT,"
	" PRIMARY KEY(id, entity)) WITHOUT ROWID;"
	"CREATE TABLE inbox(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL UNIQUE, sender TEXT NOT NULL, incident BLOB,"
	" report_no INTEGER, status INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
	" route TEXT, envelope BLOB NOT NULL, digest BLOB NOT NULL,"
	" acknowledged_ms INTEGER, acknowledged_by TEXT, ack_note TEXT);"
	"CREATE INDEX inbox_incident ON inbox(incident, report_no);"
	"CREATE TABLE receipt_in(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL UNIQUE, ref_id BLOB NOT NULL, signer TEXT NOT NULL,"
	" state INTEGER NOT NULL, by TEXT, note TEXT, subject TEXT,"
	" created_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
	" route TEXT, matched INTEGER NOT NULL, envelope BLOB NOT NULL);"
	"CREATE INDEX receipt_in_ref ON receipt_in(ref_id);"
	/* the bug of version 1: two concurrent updates, one number */
	"INSERT INTO outbox(id, kind, incident, report_no, status, created_ms,"
	" envelope, digest) VALUES"
	" (x'01', 1, x'07000000000000000000000000000000', 1, 1, 1, x'00', x'00'),"
	" (x'02', 1, x'07000000000000000000000000000000', 2, 1, 2, x'00', x'00'),"
	" (x'03', 1, x'07000000000000000000000000000000', 2, 1, 3, x'00', x'00');"
	"PRAGMA user_version = 1;";

static void
test_migrate_v1_with_duplicates(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 7 };
	struct store *st;
	struct seal_arg a;
	sqlite3 *db;
	char err[512];

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	if ((st = store_open(path, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	/* version 3: the policy's mark, NULL for rows from before */
	assert_int_equal(count(st, "SELECT count(*) FROM recipient WHERE "
	    "required IS NOT NULL"), 0);
	/* version 4: no hold known for rows from before */
	assert_int_equal(count(st, "SELECT count(*) FROM recipient WHERE "
	    "held_by IS NOT NULL"), 0);
	/* the old rows stay; the later duplicate is marked */
	assert_int_equal(count(st, "SELECT count(*) FROM outbox"), 3);
	assert_int_equal(count(st, "SELECT count(*) FROM outbox WHERE "
	    "report_dup != 0"), 1);
	memset(&a, 0, sizeof(a));
	a.idbyte = 4;
	if (store_outbox_report(st, inc, seal, &a, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(a.seen_no, 2);
	assert_int_equal(count(st, "SELECT max(report_no) FROM outbox"), 3);
	store_close(st);
	/* opening again: nothing to migrate */
	assert_non_null(st = store_open(path, err, sizeof(err)));
	store_close(st);
}

/* A seal callback that hands over a tmsg with the policy's marks. */
struct required_arg {
	struct tmsg	 t;
	const char	*required[3];
};

static int
seal_required(void *arg, const struct store_last *last,
    struct store_sealed *out, char *err, size_t errlen)
{
	struct required_arg *a = arg;

	if (seal_tmsg(&a->t, last, out, err, errlen) == -1)
		return -1;
	out->required = a->required;
	return 0;
}

static void
test_required_recipients(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 0x31 };
	struct required_arg a;
	struct store_status stt;
	struct store *st;
	char err[512];

	(void)state;
	st = open_store();
	memset(&a, 0, sizeof(a));
	tmsg_report(&a.t, 0x30, 0x31, 1, "452017", "450006", "452025", "mic");
	a.required[0] = "level23-prefecture";
	a.required[1] = NULL;			/* from --to */
	a.required[2] = "level23-prefecture,ministry";
	if (store_outbox_report(st, inc, seal_required, &a, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	memset(&stt, 0, sizeof(stt));
	assert_int_equal(store_status(st, a.t.id, &stt, err, sizeof(err)), 1);
	assert_int_equal(stt.nrcpts, 3);
	assert_string_equal(stt.rcpts[0].entity, "450006");
	assert_string_equal(stt.rcpts[0].required, "level23-prefecture");
	assert_null(stt.rcpts[1].required);
	assert_string_equal(stt.rcpts[2].required,
	    "level23-prefecture,ministry");
	store_status_clear(&stt);
	/* store_outbox_add (no policy): nothing marked */
	tmsg_report(&a.t, 0x32, 0x33, 1, "452017", "450006", NULL, NULL);
	add_out(st, &a.t);
	memset(&stt, 0, sizeof(stt));
	assert_int_equal(store_status(st, a.t.id, &stt, err, sizeof(err)), 1);
	assert_null(stt.rcpts[0].required);
	store_status_clear(&stt);
	store_close(st);
}

static void
test_inbox_duplicate_not_sealed(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 9 };
	static const uint8_t env[] = { 9 };
	struct store *st;
	struct seal_arg a;
	struct fake f;
	char err[512];
	int dup;

	(void)state;
	assert_non_null(st = store_open(path, err, sizeof(err)));
	fake_report(&f, 0x55, inc, 1,
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL);
	memset(&a, 0, sizeof(a));
	a.idbyte = 0x66;	/* the "receipt" the callback signs */
	assert_int_equal(store_inbox_add(st, &f.m, env, sizeof(env),
	    f.digest, "pref", 5, seal, &a, &dup, err, sizeof(err)), 0);
	assert_int_equal(dup, 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(store_inbox_add(st, &f.m, env, sizeof(env),
	    f.digest, "pref", 6, seal, &a, &dup, err, sizeof(err)), 0);
	assert_int_equal(dup, 1);
	assert_int_equal(a.calls, 1);	/* nothing signed for a duplicate */
	assert_int_equal(count(st, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(count(st, "SELECT phase FROM inbox"),
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL);
	store_close(st);
}

static void
test_busy_fails_fast(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 9 };
	static const uint8_t env[] = { 9 };
	struct store *st;
	struct fake f;
	struct timespec t0, t1;
	sqlite3 *db;
	char err[512];
	int dup;
	double ms;

	(void)state;
	assert_non_null(st = store_open(path, err, sizeof(err)));
	store_set_busy_timeout(st, STORE_DAEMON_BUSY_MS);
	/* another connection (a command line) holds the write lock */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	fake_report(&f, 0x55, inc, 1,
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_inbox_add(st, &f.m, env, sizeof(env),
	    f.digest, "pref", 5, NULL, NULL, &dup, err, sizeof(err)), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(store_busy(st));
	assert_true(ms < 2000);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	/* and once the lock is gone, the same write goes through */
	assert_int_equal(store_inbox_add(st, &f.m, env, sizeof(env),
	    f.digest, "pref", 5, NULL, NULL, &dup, err, sizeof(err)), 0);
	assert_false(store_busy(st));
	assert_int_equal(dup, 0);
	store_close(st);
}

static void
test_route_conn(void **state)
{
	struct store *st;
	struct store_route_conn c;
	char err[512];

	(void)state;
	assert_non_null(st = store_open(path, err, sizeof(err)));
	assert_int_equal(store_route_conn_get(st, "pref", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(store_route_conn_set(st, "pref", 0, 100,
	    "connect failed: refused", 42, err, sizeof(err)), 0);
	assert_int_equal(store_route_conn_get(st, "pref", &c, err,
	    sizeof(err)), 1);
	assert_int_equal(c.connected, 0);
	assert_int_equal(c.since_ms, 100);
	assert_int_equal(c.pid, 42);
	assert_string_equal(c.reason, "connect failed: refused");
	store_route_conn_clear(&c);
	assert_int_equal(store_route_conn_set(st, "pref", 1, 200, NULL, 42,
	    err, sizeof(err)), 0);
	assert_int_equal(store_route_conn_get(st, "pref", &c, err,
	    sizeof(err)), 1);
	assert_int_equal(c.connected, 1);
	assert_null(c.reason);
	store_route_conn_clear(&c);
	store_close(st);
}

static void
test_prefix_sent_withdrawal(void **state)
{
	static const uint8_t inc[KAIRAN_ID_LEN] = { 7 };
	static const uint8_t env[] = { 1 };
	struct store *st;
	struct seal_arg a;
	struct store_sent *v;
	struct store_msg w;
	struct fake f;
	uint8_t (*ids)[KAIRAN_ID_LEN];
	unsigned *kinds;
	char err[512];
	long n;
	int i;

	(void)state;
	assert_non_null(st = store_open(path, err, sizeof(err)));
	for (i = 1; i <= 2; i++) {
		memset(&a, 0, sizeof(a));
		a.idbyte = (uint8_t)(0xa0 + i);
		assert_int_equal(store_outbox_report(st, inc, seal, &a, err,
		    sizeof(err)), 0);
	}
	/* "a1a1a1": one message of ours; "a1" * 3 in either case */
	n = store_msg_id_prefix(st, "a1a1a1", STORE_ID_ANY, &ids, &kinds, err,
	    sizeof(err));
	assert_int_equal(n, 1);
	assert_int_equal(ids[0][0], 0xa1);
	assert_int_equal(kinds[0], STORE_ID_OUT_MSG);
	free(ids);
	free(kinds);
	n = store_msg_id_prefix(st, "A2A2A2", STORE_ID_IN_MSG, &ids, &kinds,
	    err, sizeof(err));
	assert_int_equal(n, 0);
	free(ids);
	free(kinds);
	n = store_msg_id_prefix(st, "070000", STORE_ID_ANY, &ids, &kinds, err,
	    sizeof(err));
	assert_int_equal(n, 1);
	assert_int_equal(kinds[0], STORE_ID_OUT_INC);
	free(ids);
	free(kinds);

	/* receipts: 450006 delivered, mic rejected */
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "UPDATE recipient SET "
		    "delivered_ms = 5 WHERE entity = '450006';"
		    "UPDATE recipient SET rejected_ms = 6 WHERE entity = "
		    "'mic' AND id = x'a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2'", NULL,
		    NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	n = store_sent_list(st, &v, err, sizeof(err));
	assert_int_equal(n, 2);
	assert_int_equal(v[0].msg.id[0], 0xa2);	/* newest first */
	assert_int_equal(v[0].total, 2);
	assert_int_equal(v[0].delivered, 1);
	assert_int_equal(v[0].rejected, 1);
	assert_int_equal(v[1].delivered, 1);
	assert_int_equal(v[1].rejected, 0);
	store_sent_free(v, (size_t)n);

	assert_int_equal(store_msg_withdrawal(st, STORE_OUT, inc, &w, err,
	    sizeof(err)), 0);
	fake_report(&f, 0xb0, inc, 3,
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN);
	assert_int_equal(store_outbox_add(st, &f.m, env, sizeof(env),
	    f.digest, err, sizeof(err)), 0);
	assert_int_equal(store_msg_withdrawal(st, STORE_OUT, inc, &w, err,
	    sizeof(err)), 1);
	assert_int_equal(w.id[0], 0xb0);
	assert_int_equal(w.phase, KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN);
	store_msg_clear(&w);
	assert_int_equal(store_msg_withdrawal(st, STORE_IN, inc, &w, err,
	    sizeof(err)), 0);
	store_close(st);
}

/* A new database is the group's (0660), whatever the umask, and so are its WAL files. */
static void
test_new_database_is_the_groups(void **state)
{
	struct store *st;
	struct stat sb;
	char err[512], wal[160];
	mode_t old;

	(void)state;
	old = umask(0077);
	st = store_open(path, err, sizeof(err));
	umask(old);
	assert_non_null(st);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0660);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == 0)
		assert_int_equal(sb.st_mode & 0777, 0660);
	store_close(st);
	/* an existing one keeps its mode */
	assert_int_equal(chmod(path, 0600), 0);
	assert_non_null(st = store_open(path, err, sizeof(err)));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	store_close(st);
}

/* A QUEUED receipt of relay signer holding h1 (and h2) of ref. */
static void
tmsg_queued(struct tmsg *t, int idbyte, const char *signer,
    const struct tmsg *ref, const char *h1, const char *h2)
{
	tmsg_receipt(t, idbyte, signer, ref,
	    KAIRAN__V1__RECEIPT__STATE__QUEUED, NULL, NULL);
	t->rcpts[4] = (char *)(uintptr_t)h1;
	t->rcpts[5] = (char *)(uintptr_t)h2;
	t->rc.held = &t->rcpts[4];
	t->rc.n_held = h2 != NULL ? 2 : 1;
}

/* The row of recipient entity in ss. */
static const struct store_rcpt_state *
rcpt_of(struct store_status *ss, const char *entity)
{
	size_t i;

	for (i = 0; i < ss->nrcpts; i++)
		if (strcmp(ss->rcpts[i].entity, entity) == 0)
			return &ss->rcpts[i];
	fail_msg("no recipient %s", entity);
	return NULL;
}

/* A QUEUED receipt that must be refused with reason, err naming field. */
static void
queued_refused(struct store *st, struct tmsg *q, const char *signer,
    int role, int want, const char *field)
{
	struct identity who;
	long long before;
	char err[512];
	int result, reason;

	before = count(st, "SELECT count(*) FROM receipt_in");
	memset(&who, 0, sizeof(who));
	snprintf(who.entity, sizeof(who.entity), "%s", signer);
	who.role = role;
	assert_int_equal(store_receipt_add(st, &q->m, &who, q->env,
	    sizeof(q->env), "pref", 9000, &result, &reason, err, sizeof(err)),
	    -1);
	assert_int_equal(reason, want);
	if (strstr(err, field) == NULL)
		fail_msg("error does not name %s: %s", field, err);
	/* nothing stored */
	assert_int_equal(count(st, "SELECT count(*) FROM receipt_in"), before);
}

static void
test_queued(void **state)
{
	struct store *st;
	struct tmsg a, q, r;
	struct store_status ss;
	const struct store_rcpt_state *x;
	char err[512];
	int result, reason;

	(void)state;
	st = open_store();
	/* 宮崎市 to 宮崎県 and 都城市 (relay-45), 総務省 (relay-national) */
	tmsg_report(&a, 0x51, 0x52, 1, "452017", "450006", "452025", "mic");
	add_out(st, &a);

	/* refused, per rule; each changes nothing */
	tmsg_queued(&q, 0x61, "450006", &a, "450006", NULL);
	queued_refused(st, &q, "450006", ROLE_NODE,
	    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED, "receipt.state");
	/* 三股町 is of prefecture 45 but not a recipient: the first stays */
	tmsg_queued(&q, 0x65, "relay-45", &a, "450006", "453412");
	queued_refused(st, &q, "relay-45", ROLE_RELAY,
	    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED,
	    "receipt.held[1]: 453412 is not a recipient");
	tmsg_queued(&q, 0x66, "relay-45", &a, "450006", NULL);
	q.refdigest[0] ^= 1;
	queued_refused(st, &q, "relay-45", ROLE_RELAY,
	    KAIRAN__V1__REFUSED__REASON__INVALID_FIELD, "receipt.ref_digest");
	tmsg_queued(&q, 0x67, "relay-45", &a, "450006", NULL);
	q.rc.n_held = 0;
	queued_refused(st, &q, "relay-45", ROLE_RELAY,
	    KAIRAN__V1__REFUSED__REASON__INVALID_FIELD, "receipt.held");
	/* a node's QUEUED about a message we do not have: refused too */
	{
		struct tmsg other;

		tmsg_report(&other, 0x53, 0x54, 1, "452017", "450006", NULL,
		    NULL);
		tmsg_queued(&q, 0x68, "450006", &other, "450006", NULL);
		queued_refused(st, &q, "450006", ROLE_NODE,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED,
		    "receipt.state");
		/* ... a relay's is stored, unmatched */
		tmsg_queued(&q, 0x69, "relay-45", &other, "450006", NULL);
		assert_int_equal(receipt(st, &q, "relay-45", ROLE_RELAY,
		    &result, &reason), 0);
		assert_int_equal(result, STORE_RECEIPT_UNMATCHED);
	}
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_PENDING);
	assert_int_equal(state_of(st, a.id, "452025"), STATUS_PENDING);
	assert_int_equal(count(st, "SELECT count(*) FROM recipient WHERE "
	    "held_by IS NOT NULL"), 0);

	/* 都城市 is delivered before its relay's QUEUED comes back */
	tmsg_receipt(&r, 0x71, "452025", &a,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	assert_int_equal(receipt(st, &r, "452025", ROLE_NODE, &result,
	    &reason), 0);

	/* accepted: relay-45 holds both of its recipients */
	tmsg_queued(&q, 0x72, "relay-45", &a, "450006", "452025");
	assert_int_equal(receipt(st, &q, "relay-45", ROLE_RELAY, &result,
	    &reason), 0);
	assert_int_equal(result, STORE_RECEIPT_MATCHED);
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_HELD);
	/* never backwards: delivered stays delivered, the hold is noted */
	assert_int_equal(state_of(st, a.id, "452025"), STATUS_DELIVERED);
	assert_int_equal(state_of(st, a.id, "mic"), STATUS_PENDING);
	/* the same receipt again (another route) */
	assert_int_equal(receipt(st, &q, "relay-45", ROLE_RELAY, &result,
	    &reason), 0);
	assert_int_equal(result, STORE_RECEIPT_DUPLICATE);
	/* the national relay holds the ministry */
	tmsg_queued(&q, 0x73, "relay-national", &a, "mic", NULL);
	assert_int_equal(receipt(st, &q, "relay-national", ROLE_RELAY,
	    &result, &reason), 0);
	assert_int_equal(state_of(st, a.id, "mic"), STATUS_HELD);
	/* the other relay-45 of an HA pair says so later: the first is kept */
	tmsg_queued(&q, 0x74, "relay-45", &a, "450006", NULL);
	q.m.created_at_ms += 5000;
	assert_int_equal(receipt(st, &q, "relay-45", ROLE_RELAY, &result,
	    &reason), 0);

	assert_int_equal(store_status(st, a.id, &ss, err, sizeof(err)), 1);
	x = rcpt_of(&ss, "450006");
	assert_string_equal(x->held_by, "relay-45");
	assert_int_equal(x->held_ms, 1700000100000LL + 0x72);
	x = rcpt_of(&ss, "452025");
	assert_string_equal(x->held_by, "relay-45");
	assert_int_equal(x->delivered_ms, 1700000100000LL + 0x71);
	x = rcpt_of(&ss, "mic");
	assert_string_equal(x->held_by, "relay-national");
	store_status_clear(&ss);

	/* then delivered, acknowledged: the hold stays, the state moves on */
	tmsg_receipt(&r, 0x75, "450006", &a,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	assert_int_equal(receipt(st, &r, "450006", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_DELIVERED);
	tmsg_receipt(&r, 0x76, "450006", &a,
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED, "宮崎花子", NULL);
	assert_int_equal(receipt(st, &r, "450006", ROLE_NODE, &result,
	    &reason), 0);
	tmsg_queued(&q, 0x77, "relay-45", &a, "450006", NULL);
	assert_int_equal(receipt(st, &q, "relay-45", ROLE_RELAY, &result,
	    &reason), 0);
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_ACKNOWLEDGED);
	/* a rejected recipient stays rejected */
	tmsg_receipt(&r, 0x78, "mic", &a,
	    KAIRAN__V1__RECEIPT__STATE__REJECTED, NULL, NULL);
	assert_int_equal(receipt(st, &r, "mic", ROLE_NODE, &result, &reason),
	    0);
	tmsg_queued(&q, 0x79, "relay-national", &a, "mic", NULL);
	assert_int_equal(receipt(st, &q, "relay-national", ROLE_RELAY,
	    &result, &reason), 0);
	assert_int_equal(state_of(st, a.id, "mic"), STATUS_REJECTED);
	/*
	 * A relay that serves a recipient by its configuration (relay-45
	 * with `serve = 45 mic` standing in for the ministry's) holds it as
	 * well as its home relay would: the sender shows who holds it.
	 */
	{
		struct tmsg b;

		tmsg_report(&b, 0x55, 0x56, 1, "452017", "mic", "462012",
		    NULL);
		add_out(st, &b);
		tmsg_queued(&q, 0x7a, "relay-45", &b, "mic", NULL);
		assert_int_equal(receipt(st, &q, "relay-45", ROLE_RELAY,
		    &result, &reason), 0);
		assert_int_equal(result, STORE_RECEIPT_MATCHED);
		assert_int_equal(state_of(st, b.id, "mic"), STATUS_HELD);
		assert_int_equal(state_of(st, b.id, "462012"), STATUS_PENDING);
		assert_int_equal(store_status(st, b.id, &ss, err, sizeof(err)),
		    1);
		assert_string_equal(rcpt_of(&ss, "mic")->held_by, "relay-45");
		store_status_clear(&ss);
	}
	/* nothing of ours was written: a receipt is never answered */
	assert_int_equal(count(st, "SELECT count(*) FROM outbox"), 2);
	store_close(st);
}

/*
 * A version 3 database (before held_by/held_ms) with a report of ours,
 * one recipient delivered: opened, it is version 4, the rows keep their
 * state with no hold, and a QUEUED applies to them.
 */
static void
test_migrate_v3_held(void **state)
{
	struct store *st;
	struct tmsg a, r, q;
	sqlite3 *db;
	int result, reason;

	(void)state;
	st = open_store();
	tmsg_report(&a, 0x81, 0x82, 1, "452017", "450006", "452025", NULL);
	add_out(st, &a);
	tmsg_receipt(&r, 0x83, "452025", &a,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	assert_int_equal(receipt(st, &r, "452025", ROLE_NODE, &result,
	    &reason), 0);
	store_close(st);
	/* back to version 3, as a node of issue 7 left it */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "ALTER TABLE recipient DROP COLUMN held_by;"
	    "ALTER TABLE recipient DROP COLUMN held_ms;"
	    "ALTER TABLE recipient DROP COLUMN overdue_by;"
	    "ALTER TABLE recipient DROP COLUMN overdue_ms;"
	    "ALTER TABLE recipient DROP COLUMN done_ms;"
	    "ALTER TABLE recipient DROP COLUMN done_by;"
	    "ALTER TABLE recipient DROP COLUMN done_note;"
	    "ALTER TABLE inbox DROP COLUMN kind;"
	    "ALTER TABLE inbox DROP COLUMN done_ms;"
	    "ALTER TABLE inbox DROP COLUMN done_by;"
	    "ALTER TABLE inbox DROP COLUMN done_note;"
	    "ALTER TABLE recipient DROP COLUMN mailed_by;"
	    "ALTER TABLE recipient DROP COLUMN mailed_ms;"
	    "ALTER TABLE recipient DROP COLUMN mailed_note;"
	    "DROP TABLE phone_confirm;"
	    "DROP TABLE internal_mail;"
	    "PRAGMA user_version = 3;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(count(NULL, "SELECT count(*) FROM "
	    "pragma_table_info('recipient') WHERE name = 'held_by'"), 0);

	st = open_store();
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(count(st, "SELECT count(*) FROM recipient WHERE "
	    "held_by IS NULL AND held_ms IS NULL AND overdue_by IS NULL"), 2);
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_PENDING);
	assert_int_equal(state_of(st, a.id, "452025"), STATUS_DELIVERED);
	tmsg_queued(&q, 0x84, "relay-45", &a, "450006", NULL);
	assert_int_equal(receipt(st, &q, "relay-45", ROLE_RELAY, &result,
	    &reason), 0);
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_HELD);
	store_close(st);
}

/*
 * OVERDUE (PROTOCOL.md §7.4): from a relay only, about a recipient of the
 * report; recorded once (the first notice kept), and no longer counted as
 * overdue by status once the recipient acknowledges.
 */
static void
test_overdue(void **state)
{
	struct store *st;
	struct store_status ss;
	struct tmsg a, o, o2, bad, ack;
	const struct store_rcpt_state *r;
	char err[512];
	int result, reason;

	(void)state;
	st = open_store();
	tmsg_report(&a, 0x91, 0x92, 1, "452017", "450006", "452025", NULL);
	add_out(st, &a);
	/* a node may not say that another is overdue */
	tmsg_receipt(&bad, 0x93, "452025", &a,
	    KAIRAN__V1__RECEIPT__STATE__OVERDUE, NULL, "450006");
	assert_int_equal(receipt(st, &bad, "452025", ROLE_NODE, &result,
	    &reason), -1);
	assert_int_equal(reason, KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED);
	/* nor a relay about someone who is no recipient */
	tmsg_receipt(&bad, 0x94, "relay-45", &a,
	    KAIRAN__V1__RECEIPT__STATE__OVERDUE, NULL, "452041");
	assert_int_equal(receipt(st, &bad, "relay-45", ROLE_RELAY, &result,
	    &reason), -1);
	assert_int_equal(reason, KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED);
	assert_int_equal(count(st, "SELECT count(*) FROM recipient WHERE "
	    "overdue_ms IS NOT NULL"), 0);
	/* the home relay says so: recorded, the state unchanged */
	tmsg_receipt(&o, 0x95, "relay-45", &a,
	    KAIRAN__V1__RECEIPT__STATE__OVERDUE, NULL, "450006");
	assert_int_equal(receipt(st, &o, "relay-45", ROLE_RELAY, &result,
	    &reason), 0);
	tmsg_receipt(&o2, 0x96, "relay-national", &a,
	    KAIRAN__V1__RECEIPT__STATE__OVERDUE, NULL, "450006");
	o2.m.created_at_ms = o.m.created_at_ms + 5000;
	assert_int_equal(receipt(st, &o2, "relay-national", ROLE_RELAY,
	    &result, &reason), 0);
	assert_int_equal(store_status(st, a.id, &ss, err, sizeof(err)), 1);
	r = rcpt_of(&ss, "450006");
	assert_string_equal(r->overdue_by, "relay-45");	/* the first kept */
	assert_int_equal(r->overdue_ms, o.m.created_at_ms);
	assert_int_equal(status_of(r), STATUS_PENDING);
	assert_null(rcpt_of(&ss, "452025")->overdue_by);
	store_status_clear(&ss);
	/* its 受理確認 comes late: acknowledged, the notice kept for the record */
	tmsg_receipt(&ack, 0x97, "450006", &a,
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED, "宮崎花子", NULL);
	assert_int_equal(receipt(st, &ack, "450006", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(state_of(st, a.id, "450006"), STATUS_ACKNOWLEDGED);
	store_close(st);
}


/* t becomes an advisory (its report body replaced), as the store sees one. */
static void
tmsg_advisory(struct tmsg *t)
{
	static char title[] = "VPN装置の脆弱性に関する注意喚起";

	kairan__v1__advisory__init(&t->a);
	t->a.kind = KAIRAN__V1__ADVISORY__KIND__REQUEST;
	t->a.title = title;
	t->m.body_case = KAIRAN__V1__MESSAGE__BODY_ADVISORY;
	t->m.report = NULL;
	t->m.advisory = &t->a;
}

/*
 * Advisories (schema 6): ours is outbox kind 3 with a recipient row each,
 * receipted like a report; DONE (対応済) records who and the note, is
 * refused for a report and from a relay; one received is inbox kind 3,
 * its 対応済 recorded once, and store_inbox_done refuses a report.
 */
static void
test_advisories(void **state)
{
	struct store *st;
	struct tmsg adv, rep, r, in, inrep, del;
	struct store_status ss;
	struct store_sent *sv;
	struct store_msg m;
	char err[512];
	int result, reason, dup, already;
	long n;

	(void)state;
	st = open_store();
	tmsg_report(&adv, 0x91, 0x92, 1, "450006", "452017", "452025",
	    "452041");
	tmsg_advisory(&adv);
	add_out(st, &adv);
	tmsg_report(&rep, 0x93, 0x94, 1, "450006", "452017", NULL, NULL);
	add_out(st, &rep);
	assert_int_equal(count(st, "SELECT count(*) FROM outbox WHERE kind = 3 "
	    "AND incident IS NULL"), 1);
	assert_int_equal(state_of(st, adv.id, "452017"), STATUS_PENDING);

	/* delivered, acknowledged, done: like a report, and then 対応済 */
	tmsg_receipt(&r, 0xa1, "452017", &adv,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	assert_int_equal(receipt(st, &r, "452017", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(result, STORE_RECEIPT_MATCHED);
	tmsg_receipt(&r, 0xa2, "452017", &adv,
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED, "宮崎 太郎", NULL);
	assert_int_equal(receipt(st, &r, "452017", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(state_of(st, adv.id, "452017"), STATUS_ACKNOWLEDGED);
	tmsg_receipt(&r, 0xa3, "452025", &adv,
	    KAIRAN__V1__RECEIPT__STATE__DONE, "都城 花子", NULL);
	r.rc.note = (char *)(uintptr_t)"更新済み";
	assert_int_equal(receipt(st, &r, "452025", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(state_of(st, adv.id, "452025"), STATUS_DONE);
	/* a second DONE keeps the first */
	tmsg_receipt(&r, 0xa4, "452025", &adv,
	    KAIRAN__V1__RECEIPT__STATE__DONE, "別人", NULL);
	r.rc.note = (char *)(uintptr_t)"別";
	assert_int_equal(receipt(st, &r, "452025", ROLE_NODE, &result,
	    &reason), 0);
	assert_int_equal(store_status(st, adv.id, &ss, err, sizeof(err)), 1);
	assert_string_equal(ss.rcpts[1].done_by, "都城 花子");
	assert_string_equal(ss.rcpts[1].done_note, "更新済み");
	assert_true(ss.rcpts[1].done_ms > 0);
	assert_true(ss.rcpts[0].done_ms == 0);
	store_status_clear(&ss);

	/* DONE from a relay, and DONE for a report: refused, nothing stored */
	tmsg_receipt(&r, 0xa5, "relay-45", &adv,
	    KAIRAN__V1__RECEIPT__STATE__DONE, "x", "452041");
	assert_int_equal(receipt(st, &r, "relay-45", ROLE_RELAY, &result,
	    &reason), -1);
	assert_int_equal(reason, KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED);
	tmsg_receipt(&r, 0xa6, "452017", &rep,
	    KAIRAN__V1__RECEIPT__STATE__DONE, "x", NULL);
	assert_int_equal(receipt(st, &r, "452017", ROLE_NODE, &result,
	    &reason), -1);
	assert_int_equal(reason, KAIRAN__V1__REFUSED__REASON__INVALID_FIELD);
	assert_int_equal(count(st, "SELECT count(*) FROM receipt_in WHERE "
	    "state = 7"), 2);
	assert_int_equal(state_of(st, rep.id, "452017"), STATUS_PENDING);

	/* sent: advisories apart, counted with done */
	n = store_sent_advisories(st, &sv, err, sizeof(err));
	assert_int_equal(n, 1);
	assert_true(sv[0].msg.is_advisory && !sv[0].msg.is_report);
	assert_int_equal(sv[0].total, 3);
	assert_int_equal(sv[0].delivered, 2);
	assert_int_equal(sv[0].acknowledged, 2);
	assert_int_equal(sv[0].done, 1);
	store_sent_free(sv, (size_t)n);
	n = store_sent_list(st, &sv, err, sizeof(err));
	assert_int_equal(n, 1);		/* the report only */
	assert_true(sv[0].msg.is_report);
	store_sent_free(sv, (size_t)n);

	/* received: inbox kind 3, 対応済 once; a report is refused */
	tmsg_report(&in, 0xb1, 0xb2, 1, "450006", "452017", NULL, NULL);
	tmsg_advisory(&in);
	assert_int_equal(store_inbox_add(st, &in.m, in.env, sizeof(in.env),
	    in.digest, "pref", 2000, NULL, NULL, &dup, err, sizeof(err)), 0);
	tmsg_report(&inrep, 0xb3, 0xb4, 1, "450006", "452017", NULL, NULL);
	assert_int_equal(store_inbox_add(st, &inrep.m, inrep.env,
	    sizeof(inrep.env), inrep.digest, "pref", 2001, NULL, NULL, &dup,
	    err, sizeof(err)), 0);
	tmsg_receipt(&del, 0xb5, "452017", &in,
	    KAIRAN__V1__RECEIPT__STATE__DONE, "宮崎 太郎", NULL);
	assert_int_equal(store_inbox_done(st, inrep.id, "宮崎 太郎", "x", 3000,
	    &del.m, del.env, sizeof(del.env), del.digest, &already, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "only for an advisory"));
	assert_int_equal(store_inbox_done(st, in.id, "宮崎 太郎", "更新済み",
	    3001, &del.m, del.env, sizeof(del.env), del.digest, &already, err,
	    sizeof(err)), 0);
	assert_int_equal(already, 0);
	tmsg_receipt(&del, 0xb6, "452017", &in,
	    KAIRAN__V1__RECEIPT__STATE__DONE, "別人", NULL);
	assert_int_equal(store_inbox_done(st, in.id, "別人", "y", 3002, &del.m,
	    del.env, sizeof(del.env), del.digest, &already, err, sizeof(err)),
	    0);
	assert_int_equal(already, 1);
	assert_int_equal(store_msg_get(st, STORE_IN, in.id, &m, err,
	    sizeof(err)), 1);
	assert_true(m.is_advisory && !m.is_report);
	assert_int_equal(m.done_ms, 3001);
	assert_string_equal(m.done_by, "宮崎 太郎");
	assert_string_equal(m.done_note, "更新済み");
	store_msg_clear(&m);
	assert_int_equal(store_msg_get(st, STORE_IN, inrep.id, &m, err,
	    sizeof(err)), 1);
	assert_true(m.is_report && !m.is_advisory && m.done_ms == 0);
	store_msg_clear(&m);
	store_close(st);
}

/*
 * MAILED (PROTOCOL.md §7.6): from a relay only, about a recipient of the
 * report; the first kept; status_of says mailed, never acknowledged. A
 * phone confirmation (confirm) is kept apart: it changes no state.
 */
static void
test_mailed_and_phone(void **state)
{
	struct store *st;
	struct store_status ss;
	struct tmsg a, ml, ml2, bad;
	const struct store_rcpt_state *r;
	char err[512];
	int result, reason;
	sqlite3 *db;
	char *msg = NULL;

	(void)state;
	st = open_store();
	tmsg_report(&a, 0xa1, 0xa2, 1, "452017", "police-45", "450006", NULL);
	add_out(st, &a);
	/* a node may not say another was mailed */
	tmsg_receipt(&bad, 0xa3, "450006", &a,
	    KAIRAN__V1__RECEIPT__STATE__MAILED, NULL, "police-45");
	assert_int_equal(receipt(st, &bad, "450006", ROLE_NODE, &result,
	    &reason), -1);
	assert_int_equal(reason, KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED);
	/* nor a relay about someone who is no recipient */
	tmsg_receipt(&bad, 0xa4, "relay-45", &a,
	    KAIRAN__V1__RECEIPT__STATE__MAILED, NULL, "police-46");
	assert_int_equal(receipt(st, &bad, "relay-45", ROLE_RELAY, &result,
	    &reason), -1);
	assert_int_equal(reason, KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED);
	assert_int_equal(count(st, "SELECT count(*) FROM recipient WHERE "
	    "mailed_ms IS NOT NULL"), 0);
	tmsg_receipt(&ml, 0xa5, "relay-45", &a,
	    KAIRAN__V1__RECEIPT__STATE__MAILED, NULL, "police-45");
	assert_int_equal(receipt(st, &ml, "relay-45", ROLE_RELAY, &result,
	    &reason), 0);
	assert_int_equal(result, STORE_RECEIPT_MATCHED);
	tmsg_receipt(&ml2, 0xa6, "relay-national", &a,
	    KAIRAN__V1__RECEIPT__STATE__MAILED, NULL, "police-45");
	ml2.m.created_at_ms = ml.m.created_at_ms + 5000;
	assert_int_equal(receipt(st, &ml2, "relay-national", ROLE_RELAY,
	    &result, &reason), 0);
	/* a phone confirmation: of a report and recipient of ours only */
	assert_int_equal(store_confirm_add(st, a.id, "452025", "x", NULL, 1,
	    err, sizeof(err)), 0);
	assert_non_null(strstr(err, "452025 is not a recipient of report"));
	assert_int_equal(store_confirm_add(st, ml.id, "police-45", "x", NULL,
	    1, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "no report of ours"));
	assert_int_equal(store_confirm_add(st, a.id, "police-45", "田中",
	    "電話で確認", 1795300000000LL, err, sizeof(err)), 1);
	assert_int_equal(store_status(st, a.id, &ss, err, sizeof(err)), 1);
	r = rcpt_of(&ss, "police-45");
	assert_string_equal(r->mailed_by, "relay-45");	/* the first kept */
	assert_int_equal(r->mailed_ms, ml.m.created_at_ms);
	assert_int_equal(status_of(r), STATUS_MAILED);
	assert_int_equal(r->acknowledged_ms, 0);
	assert_int_equal(r->nphones, 1);
	assert_string_equal(r->phones[0].by, "田中");
	assert_string_equal(r->phones[0].note, "電話で確認");
	assert_int_equal(r->phones[0].at_ms, 1795300000000LL);
	assert_int_equal(rcpt_of(&ss, "450006")->nphones, 0);
	assert_int_equal(status_of(rcpt_of(&ss, "450006")), STATUS_PENDING);
	store_status_clear(&ss);
	/* a record is kept as it was */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE phone_confirm SET by = "
	    "'y'", NULL, NULL, &msg), SQLITE_OK);
	sqlite3_free(msg);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM phone_confirm",
	    NULL, NULL, &msg), SQLITE_OK);
	sqlite3_free(msg);
	sqlite3_close(db);
	store_close(st);
}

/*
 * internal_mail (schema 8): rows written with each report of ours, by
 * level (an advisory: for addressees with advisories), never for a
 * receipt; due, claimed, ended; listed for status and counted for sent.
 */
static void
test_internal_mail(void **state)
{
	struct config_addressee a[3];
	struct store *st;
	struct store_imail *v;
	struct store_sent *sv;
	struct tmsg r1, r3, adv, rc;
	char err[512];
	int64_t due;
	size_t n;
	long k;

	(void)state;
	memset(a, 0, sizeof(a));
	snprintf(a[0].role, sizeof(a[0].role), "CISO");
	snprintf(a[0].address, sizeof(a[0].address), "ciso@city.example.jp");
	a[0].levels = CONFIG_LEVELS_ALL;
	snprintf(a[1].role, sizeof(a[1].role), "CSIRT責任者");
	snprintf(a[1].address, sizeof(a[1].address), "csirt@city.example.jp");
	a[1].levels = 0xc;
	snprintf(a[2].role, sizeof(a[2].role), "危機管理課");
	snprintf(a[2].address, sizeof(a[2].address), "kiki@city.example.jp");
	a[2].levels = 0xc;
	a[2].advisories = 1;
	st = open_store();
	assert_int_equal(store_imail_set(st, a, 3, err, sizeof(err)), 0);
	tmsg_report(&r1, 0x41, 0x42, 1, "452017", "452025", NULL, NULL);
	r1.r.level = 1;
	add_out(st, &r1);
	tmsg_report(&r3, 0x43, 0x44, 1, "452017", "452025", NULL, NULL);
	r3.r.level = 3;
	add_out(st, &r3);
	tmsg_report(&adv, 0x45, 0x46, 1, "452017", "452025", NULL, NULL);
	tmsg_advisory(&adv);
	add_out(st, &adv);
	tmsg_receipt(&rc, 0x47, "452017", &r1,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED, NULL, NULL);
	add_out(st, &rc);
	assert_int_equal(count(st, "SELECT count(*) FROM internal_mail"), 5);

	assert_int_equal(store_imail_list(st, r1.id, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].role, "CISO");
	assert_int_equal(v[0].state, STORE_IMAIL_PENDING);
	assert_int_equal(v[0].code, -1);
	assert_int_equal(v[0].due_ms, r1.m.created_at_ms);
	store_imail_free(v, n);
	assert_int_equal(store_imail_list(st, r3.id, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[1].role, "CSIRT責任者");
	store_imail_free(v, n);
	assert_int_equal(store_imail_list(st, adv.id, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].address, "kiki@city.example.jp");
	store_imail_free(v, n);

	/* due: earliest first, with the envelope; a claim hides a row */
	assert_int_equal(store_imail_due(st, r1.m.created_at_ms, 8, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].envlen, sizeof(r1.env));
	assert_memory_equal(v[0].env, r1.env, sizeof(r1.env));
	assert_int_equal(store_imail_claim(st, v[0].seq, 1800000000000LL, err,
	    sizeof(err)), 0);
	assert_int_equal(store_imail_result(st, v[0].seq, STORE_IMAIL_SENT, 1,
	    250, "accepted", 1800000000000LL, 1700000000500LL, err,
	    sizeof(err)), 0);
	/* a row no longer pending does not move again */
	assert_int_equal(store_imail_result(st, v[0].seq, STORE_IMAIL_FAILED,
	    2, 550, "no", 0, 0, err, sizeof(err)), 0);
	store_imail_free(v, n);
	assert_int_equal(store_imail_list(st, r1.id, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(v[0].state, STORE_IMAIL_SENT);
	assert_int_equal(v[0].code, 250);
	assert_int_equal(v[0].attempts, 1);
	assert_string_equal(v[0].reply, "accepted");
	assert_int_equal(v[0].at_ms, 1700000000500LL);
	store_imail_free(v, n);
	assert_int_equal(store_imail_next(st, &due, err, sizeof(err)), 1);
	assert_int_equal(due, r3.m.created_at_ms);
	assert_int_equal(store_imail_due(st, 1700000001000LL, 2, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);		/* the limit */
	store_imail_free(v, n);

	/* sent: the counts per report */
	assert_true((k = store_sent_list(st, &sv, err, sizeof(err))) == 2);
	assert_int_equal(sv[0].imail + sv[1].imail, 4);
	assert_int_equal(sv[0].imail_sent + sv[1].imail_sent, 1);
	store_sent_free(sv, (size_t)k);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_overdue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mailed_and_phone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_database_is_the_groups,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_outbox_durable_and_per_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbox_idempotent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_receipts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v3_held, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_report_numbers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1_with_duplicates,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_recipients,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbox_duplicate_not_sealed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_fails_fast, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_route_conn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prefix_sent_withdrawal,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_advisories, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_internal_mail, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
