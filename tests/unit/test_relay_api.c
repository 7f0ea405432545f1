/*
 * Unit tests of the console's API (api.c and its endpoints, api*.c) over
 * its view (view.c) and the store, on a real store file with real signed
 * envelopes (the fixture PKI) and the real directory: the receipt matrix
 * (pending, held, delivered, acknowledged by whom, overdue, rejected), the
 * overdue list with its contact and mail, a phone confirmation (recorded
 * beside the state, where and by whom it was recorded, mails cancelled,
 * audited) and its refusals (each naming the field, nothing written),
 * advisories apart from incidents (counts, 確認しました, 対応済 with its
 * note, past the asked-by time), the drill in JSON and CSV, the 報告様式
 * with the proxy-log lines of `show --form` (the 第1報's deadline, the
 * verdict as each later report knows it, an unreadable report left out,
 * the bound on the reports read), the nodes' states and last seen across
 * a restart, the geometry, and unknown paths.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/message.h"

#include "api.h"
#include "apiincident.h"
#include "config.h"
#include "events.h"
#include "relay.h"
#include "store.h"
#include "view.h"

#ifndef KAIRAN_FIXTURES
#error KAIRAN_FIXTURES must name the directory made by tests/unit/mkpki.sh
#endif

#define T0	1764633600000LL		/* the report's acceptance */

static char tmpdir[64], dirpath[128];
static struct directory *dir;

struct fx {
	char		 db[160];
	struct config	 cfg;
	struct server	 s;
	struct signer	*muni, *pref, *relay, *other;
	uint8_t		 report[KAIRAN_ID_LEN], incident[KAIRAN_ID_LEN];
	uint8_t		 digest[KAIRAN_DIGEST_LEN];
	char		 hex[KAIRAN_ID_HEXLEN + 1], ihex[KAIRAN_ID_HEXLEN + 1];
	int64_t		 seq;
};

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
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kairan-api-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(dirpath, sizeof(dirpath), "%s/directory.json", tmpdir);
	if (directory_import(codes, adj, "deploy/contacts-demo.csv", dirpath,
	    err, sizeof(err)) == -1 ||
	    (dir = directory_load(dirpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "directory: %s\n", err);
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

static struct signer *
signer_of(const char *entity)
{
	char chain[256], key[256], err[512];
	struct signer *sg;

	snprintf(chain, sizeof(chain), "%s/entities/%s/chain.pem",
	    KAIRAN_FIXTURES, entity);
	snprintf(key, sizeof(key), "%s/entities/%s/key.pem", KAIRAN_FIXTURES,
	    entity);
	if ((sg = signer_new(chain, key, err, sizeof(err))) == NULL)
		fail_msg("signer %s: %s", entity, err);
	return sg;
}

/* Seals m with sg and commits it as the relay would (deliveries too). */
static int64_t
commit_msg(struct fx *f, struct signer *sg, Message *m, int64_t at,
    uint8_t digest[KAIRAN_DIGEST_LEN])
{
	uint8_t *env, d[KAIRAN_DIGEST_LEN];
	size_t len, i;
	char err[512];
	int64_t seq;
	int dup;

	assert_int_equal(envelope_seal(sg, m, &env, &len, d, err,
	    sizeof(err)), 0);
	assert_int_equal(store_begin(f->s.store, err, sizeof(err)), 0);
	assert_int_equal(store_message_add(f->s.store, m, env, len, d,
	    m->sender, at, &dup, &seq, err, sizeof(err)), 0);
	assert_int_equal(dup, 0);
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT)
		assert_int_equal(store_receipt_add(f->s.store, seq, m, d, at,
		    err, sizeof(err)), 0);
	else
		for (i = 0; i < m->n_recipients; i++)
			assert_int_equal(store_delivery_add(f->s.store, seq,
			    m->recipients[i], NULL, err, sizeof(err)), 0);
	assert_int_equal(store_commit(f->s.store, err, sizeof(err)), 0);
	free(env);
	if (digest != NULL)
		memcpy(digest, d, KAIRAN_DIGEST_LEN);
	return seq;
}

static char *report_rcpts[] = { "450006", "452025", "452033", "452041" };

/* The 第1報 from 452017 to four recipients, level 3, an exercise. */
static void
add_report(struct fx *f)
{
	Message m;
	IncidentReport r;
	static char title[] = "職員端末のマルウェア感染";

	kairan__v1__message__init(&m);
	kairan__v1__incident_report__init(&r);
	assert_int_equal(message_id_new(f->report), 0);
	assert_int_equal(message_id_new(f->incident), 0);
	m.id.data = f->report;
	m.id.len = KAIRAN_ID_LEN;
	m.sender = "452017";
	m.recipients = report_rcpts;
	m.n_recipients = 4;
	m.created_at_ms = T0;
	m.status = KAIRAN__V1__STATUS__EXERCISE;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	r.incident_id.data = f->incident;
	r.incident_id.len = KAIRAN_ID_LEN;
	r.report_no = 1;
	r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	r.level = 3;
	r.title = title;
	f->seq = commit_msg(f, f->muni, &m, T0, f->digest);
	message_hex(f->report, KAIRAN_ID_LEN, f->hex);
	message_hex(f->incident, KAIRAN_ID_LEN, f->ihex);
}

/* A receipt about the report, signed by sg as sender. */
static void
add_receipt(struct fx *f, struct signer *sg, const char *sender, int state,
    const char *by, const char *note, const char *subject, char **held,
    size_t nheld, int64_t at)
{
	Message m;
	Receipt rc;
	uint8_t id[KAIRAN_ID_LEN];
	static char *to[] = { "452017" };

	kairan__v1__message__init(&m);
	kairan__v1__receipt__init(&rc);
	assert_int_equal(message_id_new(id), 0);
	m.id.data = id;
	m.id.len = KAIRAN_ID_LEN;
	m.sender = (char *)(uintptr_t)sender;
	m.recipients = to;
	m.n_recipients = 1;
	m.created_at_ms = at;
	m.status = KAIRAN__V1__STATUS__EXERCISE;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	m.receipt = &rc;
	rc.ref_id.data = f->report;
	rc.ref_id.len = KAIRAN_ID_LEN;
	rc.ref_digest.data = f->digest;
	rc.ref_digest.len = KAIRAN_DIGEST_LEN;
	rc.state = state;
	rc.by = (char *)(uintptr_t)(by != NULL ? by : "");
	rc.note = (char *)(uintptr_t)(note != NULL ? note : "");
	rc.subject = (char *)(uintptr_t)(subject != NULL ? subject : "");
	rc.held = held;
	rc.n_held = nheld;
	(void)commit_msg(f, sg, &m, at, NULL);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];

	assert_non_null(f);
	snprintf(f->db, sizeof(f->db), "%s/relay-XXXXXX", tmpdir);
	assert_non_null(mkdtemp(f->db));
	strcat(f->db, "/relay.db");
	snprintf(f->cfg.id, sizeof(f->cfg.id), "relay-45");
	snprintf(f->cfg.serve[0], sizeof(f->cfg.serve[0]), "45");
	f->cfg.nserve = 1;
	f->cfg.db = f->db;
	f->s.cfg = &f->cfg;
	f->s.dir = dir;
	assert_non_null(f->s.store = store_open(f->db, err, sizeof(err)));
	assert_int_equal(api_start(&f->s), 0);
	f->muni = signer_of("452017");
	f->pref = signer_of("450006");
	f->relay = signer_of("relay-45");
	f->other = signer_of("relay-13");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	api_stop(&f->s);
	api_free(&f->s);
	store_close(f->s.store);
	signer_free(f->muni);
	signer_free(f->pref);
	signer_free(f->relay);
	signer_free(f->other);
	free(f->cfg.console_geometry);
	free(f);
	return 0;
}

/* Calls the API; returns the reply's JSON (NULL for a non-JSON body). */
static json_t *
call(struct fx *f, const char *method, const char *path, const char *body,
    unsigned want, struct api_reply *out)
{
	struct api_call c;
	struct api_reply rp;
	json_t *j = NULL;
	json_error_t e;

	memset(&c, 0, sizeof(c));
	c.method = method;
	c.path = path;
	c.query = "";
	c.body = (const uint8_t *)body;
	c.bodylen = body != NULL ? strlen(body) : 0;
	c.operator = "tanaka";
	c.address = "127.0.0.1";
	assert_int_equal(api_handle(&f->s, &c, &rp), 0);
	if (rp.status != want)
		fail_msg("%s %s: status %u, wanted %u: %.*s", method, path,
		    rp.status, want, (int)rp.bodylen, rp.body);
	if (strncmp(rp.content_type, "application/json", 16) == 0) {
		j = json_loadb(rp.body, rp.bodylen, 0, &e);
		if (j == NULL)
			fail_msg("%s: not JSON: %s", path, e.text);
	}
	if (out != NULL)
		*out = rp;
	else
		free(rp.body);
	return j;
}

/* The cell of recipient in the incident's matrix (column 0). */
static json_t *
cell(json_t *inc, const char *recipient)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(inc, "recipients"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "id")),
		    recipient) == 0)
			return json_array_get(json_object_get(r, "cells"), 0);
	fail_msg("no recipient %s", recipient);
	return NULL;
}

static const char *
sget(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	assert_non_null(v);
	return json_string_value(v);
}

static long long
count(struct fx *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The four states and escalation of the standard scene. */
static void
scene(struct fx *f)
{
	static char *held[] = { "452033" };
	char err[512];
	struct store_esc_step st;
	int k;

	add_report(f);
	/* 450006: delivered, then its 受理確認 */
	assert_int_equal(store_delivery_end(f->s.store, f->report, "450006",
	    DELIVERY_DONE, NULL, T0 + 1200, err, sizeof(err)), 1);
	add_receipt(f, f->pref, "450006",
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED, "山田 太郎", "確認しました",
	    NULL, NULL, 0, T0 + 30500);
	/* 452033: held by another relay (its QUEUED); ours is no news */
	add_receipt(f, f->other, "relay-13", KAIRAN__V1__RECEIPT__STATE__QUEUED,
	    NULL, NULL, NULL, held, 1, T0 + 10);
	add_receipt(f, f->relay, "relay-45", KAIRAN__V1__RECEIPT__STATE__QUEUED,
	    NULL, NULL, NULL, report_rcpts, 4, T0 + 5);
	/* 452041: rejected by the relay */
	add_receipt(f, f->relay, "relay-45",
	    KAIRAN__V1__RECEIPT__STATE__REJECTED, NULL, "no route to 452041",
	    "452041", NULL, 0, T0 + 20);
	/* 452025: its escalation, step 0 ran (overdue), two mails pending */
	assert_int_equal(store_begin(f->s.store, err, sizeof(err)), 0);
	for (k = 0; k <= 2; k++)
		assert_int_equal(store_escalation_add(f->s.store, f->seq,
		    "452025", k, "452017", f->incident, KAIRAN_ID_LEN, 3,
		    T0 + 60000, T0 + 60000 + k * 1000, err, sizeof(err)), 1);
	assert_int_equal(store_commit(f->s.store, err, sizeof(err)), 0);
	assert_int_equal(store_escalation_due(f->s.store, T0 + 60000, &st, err,
	    sizeof(err)), 1);
	assert_int_equal(st.step, 0);
	free(st.env);
	assert_int_equal(store_escalation_end(f->s.store, st.row, ESC_DONE, 0,
	    0, "overdue", T0 + 60000, err, sizeof(err)), 1);
}

static void
test_matrix(void **state)
{
	struct fx *f = *state;
	json_t *j, *inc, *c, *list;
	char path[128];

	scene(f);
	list = call(f, "GET", "/api/incidents", NULL, 200, NULL);
	assert_int_equal(json_array_size(json_object_get(list, "incidents")), 1);
	inc = json_array_get(json_object_get(list, "incidents"), 0);
	assert_string_equal(sget(inc, "id"), f->ihex);
	assert_string_equal(sget(inc, "title"), "職員端末のマルウェア感染");
	assert_string_equal(sget(inc, "sender_name"), "宮崎市");
	assert_string_equal(sget(inc, "status"), "exercise");
	assert_int_equal(json_integer_value(json_object_get(inc, "recipients")),
	    4);
	assert_int_equal(json_integer_value(json_object_get(inc,
	    "acknowledged")), 1);
	assert_int_equal(json_integer_value(json_object_get(inc, "overdue")), 1);
	json_decref(list);

	snprintf(path, sizeof(path), "/api/incidents/%s", f->ihex);
	j = call(f, "GET", path, NULL, 200, NULL);
	assert_string_equal(sget(json_array_get(json_object_get(j, "reports"),
	    0), "label"), "第1報");
	c = cell(j, "450006");
	assert_string_equal(sget(c, "state"), "acknowledged");
	assert_string_equal(sget(c, "by"), "山田 太郎");
	assert_int_equal(json_integer_value(json_object_get(c, "at")),
	    T0 + 30500);
	assert_true(json_is_false(json_object_get(c, "overdue")));
	c = cell(j, "452025");
	assert_string_equal(sget(c, "state"), "overdue");
	assert_true(json_is_true(json_object_get(c, "overdue")));
	assert_int_equal(json_integer_value(json_object_get(c, "deadline")),
	    T0 + 60000);
	c = cell(j, "452033");
	assert_string_equal(sget(c, "state"), "held");
	assert_string_equal(sget(c, "held_by"), "relay-13");
	c = cell(j, "452041");
	assert_string_equal(sget(c, "state"), "rejected");
	assert_string_equal(sget(c, "detail"), "no route to 452041");
	assert_true(json_is_null(json_object_get(c, "confirmation")));
	json_decref(j);

	/* bad and unknown ids */
	json_decref(call(f, "GET", "/api/incidents/XYZ", NULL, 400, NULL));
	snprintf(path, sizeof(path), "/api/incidents/%s", f->hex);
	json_decref(call(f, "GET", path, NULL, 404, NULL));
}

static void
test_overdue_and_confirm(void **state)
{
	struct fx *f = *state;
	json_t *j, *o, *c;
	char body[512], path[128];
	int64_t rows0, rows1, bad;
	long long nrows;
	uint8_t head[32];
	char err[256];

	scene(f);
	j = call(f, "GET", "/api/overdue", NULL, 200, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "overdue")), 1);
	o = json_array_get(json_object_get(j, "overdue"), 0);
	assert_string_equal(sget(o, "report"), f->hex);
	assert_string_equal(sget(o, "recipient"), "452025");
	assert_string_equal(sget(o, "recipient_name"), "都城市");
	assert_string_equal(sget(o, "label"), "第1報");
	assert_string_equal(sget(json_object_get(o, "contact"), "phone"),
	    "0986-00-0003");
	assert_string_equal(sget(json_object_get(o, "contact"),
	    "after_hours_phone"), "0986-00-0093");
	assert_string_equal(sget(json_object_get(o, "mail"), "state"),
	    "pending");
	assert_true(json_is_null(json_object_get(o, "confirmation")));
	json_decref(j);

	store_audit_head(f->s.store, &rows0, head);
	snprintf(body, sizeof(body), "{\"report\": \"%s\", \"recipient\": "
	    "\"452025\", \"name\": \"佐藤（総務課）\", \"note\": \"電話で確認、"
	    "端末を隔離済み\"}", f->hex);
	j = call(f, "POST", "/api/confirm", body, 200, NULL);
	c = json_object_get(j, "confirmation");
	assert_string_equal(sget(c, "operator"), "tanaka");
	assert_string_equal(sget(c, "name"), "佐藤（総務課）");
	assert_int_equal(json_integer_value(json_object_get(c,
	    "mails_cancelled")), 2);
	assert_string_equal(sget(c, "recorded_at"), "relay");
	assert_string_equal(sget(c, "relay"), "relay-45");
	json_decref(j);

	/* beside the state, never a state; the mails cancelled; audited */
	snprintf(path, sizeof(path), "/api/incidents/%s", f->ihex);
	j = call(f, "GET", path, NULL, 200, NULL);
	c = cell(j, "452025");
	assert_string_equal(sget(c, "state"), "overdue");
	assert_string_equal(sget(json_object_get(c, "confirmation"),
	    "operator"), "tanaka");
	assert_string_equal(sget(json_object_get(c, "confirmation"), "note"),
	    "電話で確認、端末を隔離済み");
	assert_string_equal(sget(json_object_get(c, "confirmation"),
	    "recorded_at"), "relay");
	assert_string_equal(sget(json_object_get(c, "confirmation"), "relay"),
	    "relay-45");
	json_decref(j);
	j = call(f, "GET", "/api/overdue", NULL, 200, NULL);
	o = json_array_get(json_object_get(j, "overdue"), 0);
	assert_string_equal(sget(json_object_get(o, "mail"), "state"),
	    "cancelled");
	assert_string_equal(sget(json_object_get(o, "confirmation"), "name"),
	    "佐藤（総務課）");
	json_decref(j);
	assert_int_equal(count(f, "SELECT count(*) FROM escalation WHERE "
	    "state = 3 AND step >= 1"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM escalation WHERE "
	    "step = 0 AND state = 1"), 1);
	store_audit_head(f->s.store, &rows1, head);
	assert_int_equal(rows1, rows0 + 1);
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE event = "
	    "'confirm' AND entity = 'operator:tanaka' AND detail LIKE "
	    "'%recipient=452025%'"), 1);
	assert_int_equal(store_audit_verify(f->s.store, &bad, &nrows, err,
	    sizeof(err)), 0);
	/* a second one is another row (forward only) */
	json_decref(call(f, "POST", "/api/confirm", body, 200, NULL));
	assert_int_equal(count(f, "SELECT count(*) FROM confirmation"), 2);
}

/* Each refusal: 400, the field named, nothing written. */
static void
refused(struct fx *f, const char *body, const char *field)
{
	json_t *j = call(f, "POST", "/api/confirm", body, 400, NULL);
	const char *e = sget(j, "error");

	if (strncmp(e, field, strlen(field)) != 0)
		fail_msg("%s: error %s does not name %s", body, e, field);
	json_decref(j);
}

static void
test_confirm_refusals(void **state)
{
	struct fx *f = *state;
	char b[2048], note[1600];
	int64_t rows0, rows1;
	uint8_t head[32];
	size_t i;

	scene(f);
	store_audit_head(f->s.store, &rows0, head);
#define BODY(...) (snprintf(b, sizeof(b), __VA_ARGS__), b)
	refused(f, BODY("{\"report\": \"%.31sZ\", \"recipient\": \"452025\", "
	    "\"name\": \"x\"}", f->hex), "report:");
	refused(f, BODY("{\"report\": \"%s\", \"recipient\": \"452025\", "
	    "\"name\": \"x\"}", "ABCDEF0123456789ABCDEF0123456789"), "report:");
	refused(f, BODY("{\"report\": \"%s\", \"recipient\": \"999999\", "
	    "\"name\": \"x\"}", f->hex), "recipient:");
	/* 452050 exists, but is not a recipient of that report */
	refused(f, BODY("{\"report\": \"%s\", \"recipient\": \"452050\", "
	    "\"name\": \"x\"}", f->hex), "recipient:");
	refused(f, BODY("{\"report\": \"%s\", \"recipient\": 452025, "
	    "\"name\": \"x\"}", f->hex), "recipient:");
	refused(f, BODY("{\"report\": \"%s\", \"recipient\": \"452025\", "
	    "\"name\": \"\"}", f->hex), "name:");
	for (i = 0; i < 65; i++)
		memcpy(note + i * 3, "山", 3);
	note[65 * 3] = '\0';
	refused(f, BODY("{\"report\": \"%s\", \"recipient\": \"452025\", "
	    "\"name\": \"%s\"}", f->hex, note), "name:");	/* 65 characters */
	refused(f, BODY("{\"report\": \"%s\", \"recipient\": \"452025\", "
	    "\"name\": \"a\\u001bb\"}", f->hex), "name:");
	for (i = 0; i < 501; i++)
		memcpy(note + i * 3, "確", 3);
	note[501 * 3] = '\0';
	refused(f, BODY("{\"report\": \"%s\", \"recipient\": \"452025\", "
	    "\"name\": \"x\", \"note\": \"%s\"}", f->hex, note), "note:");
	refused(f, BODY("{\"report\": \"%s\", \"recipient\": \"452025\", "
	    "\"name\": \"x\", \"operator\": \"root\"}", f->hex), "operator:");
	refused(f, BODY("{\"recipient\": \"452025\", \"name\": \"x\"}"),
	    "report:");
	refused(f, "[1, 2]", "body:");
	refused(f, "{\"report\": ", "body:");
	refused(f, BODY("{\"report\": \"%s\", \"report\": \"%s\", "
	    "\"recipient\": \"452025\", \"name\": \"x\"}", f->hex, f->hex),
	    "body:");
#undef BODY
	assert_int_equal(count(f, "SELECT count(*) FROM confirmation"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM escalation WHERE "
	    "state = 3"), 0);
	store_audit_head(f->s.store, &rows1, head);
	assert_int_equal(rows1, rows0);
	/* a report this relay does not hold */
	{
		json_t *j = call(f, "POST", "/api/confirm", "{\"report\": "
		    "\"00000000000000000000000000000000\", \"recipient\": "
		    "\"452025\", \"name\": \"x\"}", 404, NULL);

		json_decref(j);
	}
	json_decref(call(f, "GET", "/api/confirm", NULL, 405, NULL));
}

static void
test_drill(void **state)
{
	struct fx *f = *state;
	struct api_reply rp;
	json_t *j, *r;
	char path[128];
	size_t i;
	int seen = 0;

	scene(f);
	snprintf(path, sizeof(path), "/api/drill/%s", f->ihex);
	j = call(f, "GET", path, NULL, 200, NULL);
	json_array_foreach(json_object_get(j, "recipients"), i, r) {
		const char *id = sget(r, "id");

		if (strcmp(id, "450006") == 0) {
			assert_true(json_real_value(json_object_get(r,
			    "to_delivery_s")) == 1.2);
			assert_true(json_real_value(json_object_get(r,
			    "to_ack_s")) == 30.5);
			assert_true(json_is_true(json_object_get(r,
			    "answered")));
			seen++;
		} else {
			assert_true(json_is_null(json_object_get(r,
			    "to_ack_s")));
			assert_true(json_is_false(json_object_get(r,
			    "answered")));
		}
	}
	assert_int_equal(seen, 1);
	json_decref(j);

	snprintf(path, sizeof(path), "/api/drill/%s.csv", f->ihex);
	assert_null(call(f, "GET", path, NULL, 200, &rp));
	assert_string_equal(rp.content_type, "text/csv; charset=utf-8");
	assert_memory_equal(rp.body, "\xef\xbb\xbf", 3);
	assert_non_null(strstr(rp.body, "宛先ID,宛先,配送まで(秒),受理確認まで(秒),"
	    "応答\r\n"));
	assert_non_null(strstr(rp.body, "\r\n450006,\"宮崎県\",1.2,30.5,あり\r\n"));
	assert_non_null(strstr(rp.body, "\r\n452025,\"都城市\",,,なし\r\n"));
	assert_non_null(strstr(rp.disposition, "attachment; filename=\"drill-"));
	free(rp.body);
}

/* The 報告様式 of proto/form.c, as JSON lines. */
static void
test_form(void **state)
{
	struct fx *f = *state;
	json_t *j, *l, *lines;
	char path[128];
	size_t i;
	int title = 0;

	add_report(f);
	snprintf(path, sizeof(path), "/api/reports/%s/form", f->hex);
	j = call(f, "GET", path, NULL, 200, NULL);
	assert_string_equal(sget(j, "report"), f->hex);
	assert_string_equal(sget(j, "status"), "exercise");
	lines = json_object_get(j, "lines");
	assert_true(json_array_size(lines) > 10);
	/* an exercise begins and ends with its banner */
	assert_string_equal(sget(json_array_get(lines, 0), "kind"), "banner");
	assert_string_equal(sget(json_array_get(lines,
	    json_array_size(lines) - 1), "kind"), "banner");
	json_array_foreach(lines, i, l)
		if (strstr(sget(l, "label"), "職員端末のマルウェア感染") != NULL ||
		    strstr(sget(l, "value"), "職員端末のマルウェア感染") != NULL)
			title = 1;
	assert_true(title);
	json_decref(j);
}

/*
 * Report no of an incident (a new one for no 1) from 452017 to 450006,
 * created at, with the subtypes of a targeted attack, its discovery and
 * proxy-log check times (0: none); its id into hex. Returns its seq.
 */
static int64_t
add_proxy_report(struct fx *f, uint32_t no, int64_t at, int64_t discovered,
    int64_t checked, char hex[KAIRAN_ID_HEXLEN + 1])
{
	static char *rcpts[] = { "450006" };
	static char *subtypes[] = { "標的型攻撃メール" };
	static char title[] = "標的型攻撃メールの受信";
	uint8_t id[KAIRAN_ID_LEN];
	Message m;
	IncidentReport r;

	kairan__v1__message__init(&m);
	kairan__v1__incident_report__init(&r);
	assert_int_equal(message_id_new(id), 0);
	if (no == 1)
		assert_int_equal(message_id_new(f->incident), 0);
	m.id.data = id;
	m.id.len = KAIRAN_ID_LEN;
	m.sender = "452017";
	m.recipients = rcpts;
	m.n_recipients = 1;
	m.created_at_ms = at;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	r.incident_id.data = f->incident;
	r.incident_id.len = KAIRAN_ID_LEN;
	r.report_no = no;
	r.phase = no == 1 ? KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL :
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	r.subtypes = subtypes;
	r.n_subtypes = 1;
	r.level = 1;
	r.title = title;
	r.discovered_at_ms = discovered;
	r.proxy_logs_checked_at_ms = checked;
	message_hex(id, KAIRAN_ID_LEN, hex);
	return commit_msg(f, f->muni, &m, at, NULL);
}

/*
 * Asserts that the form of report hex has the line labelled label with
 * value want (NULL: has no such line).
 */
static void
form_line_is(struct fx *f, const char *hex, const char *label,
    const char *want)
{
	json_t *j, *l;
	char path[128];
	const char *v = NULL;
	size_t i;

	snprintf(path, sizeof(path), "/api/reports/%s/form", hex);
	j = call(f, "GET", path, NULL, 200, NULL);
	json_array_foreach(json_object_get(j, "lines"), i, l)
		if (v == NULL && strcmp(sget(l, "label"), label) == 0)
			v = sget(l, "value");
	if (want == NULL && v != NULL)
		fail_msg("%s: %s: %s, wanted none", hex, label, v);
	if (want != NULL)
		assert_string_equal(v != NULL ? v : "(none)", want);
	json_decref(j);
}

/*
 * The proxy-log lines of `kairan-node show --form` (proto/deadline.c's
 * deadline_form_context) in the console's form: on a 標的型攻撃 第1報 its
 * deadline in JST (discovery + 6 h), on a later report the incident's
 * verdict as that report knows it (期限内 / 期限超過 with the time and the
 * report that said so, 未確認 before any check); a report whose stored
 * envelope cannot be read is left out of the verdict.
 */
static void
test_form_proxy(void **state)
{
	struct fx *f = *state;
	char r1[KAIRAN_ID_HEXLEN + 1], r2[KAIRAN_ID_HEXLEN + 1];
	char r3[KAIRAN_ID_HEXLEN + 1], r4[KAIRAN_ID_HEXLEN + 1];
	char r5[KAIRAN_ID_HEXLEN + 1], sql[160];
	int64_t seq4;
	sqlite3 *db;

	/* discovered 07:00 JST, the 第1報 at 09:00: due at 13:00 */
	add_proxy_report(f, 1, T0, T0 - 2 * 3600000LL, 0, r1);
	add_proxy_report(f, 2, T0 + 3600000LL, 0, 0, r2);
	add_proxy_report(f, 3, T0 + 5 * 3600000LL, 0, T0 + 5 * 3600000LL, r3);
	seq4 = add_proxy_report(f, 4, T0 + 6 * 3600000LL, 0,
	    T0 + 3 * 3600000LL, r4);
	add_proxy_report(f, 5, T0 + 7 * 3600000LL, 0, 0, r5);

	form_line_is(f, r1, "プロキシログ確認期限",
	    "2025年12月02日 13時00分（事案発覚後6時間以内）");
	form_line_is(f, r1, "プロキシログ確認", NULL);
	/* 第2報: no check yet, and the deadline is long past now */
	form_line_is(f, r2, "プロキシログ確認",
	    "未確認（期限 2025-12-02T13:00:00+09:00、"
	    "発見日時から6時間以内） 期限を過ぎています");
	form_line_is(f, r2, "プロキシログ確認期限", NULL);
	/* 第3報: checked at 14:00: 期限超過, as it knew it */
	form_line_is(f, r3, "プロキシログ確認",
	    "期限超過（期限 2025-12-02T13:00:00+09:00、"
	    "発見日時から6時間以内） 確認 2025-12-02T14:00:00+09:00（第3報）");
	/* 第4報 says they were checked at 12:00: the earliest counts */
	form_line_is(f, r4, "プロキシログ確認",
	    "期限内（期限 2025-12-02T13:00:00+09:00、"
	    "発見日時から6時間以内） 確認 2025-12-02T12:00:00+09:00（第4報）");

	/* 第5報: as the 第4報 said */
	form_line_is(f, r5, "プロキシログ確認",
	    "期限内（期限 2025-12-02T13:00:00+09:00、"
	    "発見日時から6時間以内） 確認 2025-12-02T12:00:00+09:00（第4報）");

	/* the 第4報's stored envelope unreadable: the 第3報's check is left */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE message SET envelope = x'00' "
	    "WHERE seq = %lld", (long long)seq4);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	form_line_is(f, r5, "プロキシログ確認",
	    "期限超過（期限 2025-12-02T13:00:00+09:00、"
	    "発見日時から6時間以内） 確認 2025-12-02T14:00:00+09:00（第3報）");
	snprintf(sql, sizeof(sql), "/api/reports/%s/form", r4);
	json_decref(call(f, "GET", sql, NULL, 500, NULL));
}

/*
 * The bound: a form reads at most APIINCIDENT_FORM_REPORTS reports of its
 * incident; the report after them has no verdict rather than one from
 * part of the incident (its own deadline-free lines stay).
 */
static void
test_form_proxy_bound(void **state)
{
	struct fx *f = *state;
	char hex[KAIRAN_ID_HEXLEN + 1];
	uint32_t no;

	add_proxy_report(f, 1, T0, T0, 0, hex);
	for (no = 2; no <= APIINCIDENT_FORM_REPORTS + 1; no++) {
		add_proxy_report(f, no, T0 + no, 0, no == 2 ? T0 + 1000 : 0,
		    hex);
		if (no == APIINCIDENT_FORM_REPORTS)
			form_line_is(f, hex, "プロキシログ確認",
			    "期限内（期限 2025-12-02T15:00:00+09:00、"
			    "発見日時から6時間以内） 確認 "
			    "2025-12-02T09:00:01+09:00（第2報）");
	}
	form_line_is(f, hex, "プロキシログ確認", NULL);
}

static void
test_nodes_and_last_seen(void **state)
{
	struct fx *f = *state;
	struct peer p;
	json_t *j, *n;
	size_t i;
	int64_t since = 0;
	char err[512];

	memset(&p, 0, sizeof(p));
	p.link = -1;
	p.state = PEER_READY;
	snprintf(p.who.entity, sizeof(p.who.entity), "452017");
	snprintf(p.addr, sizeof(p.addr), "192.0.2.7");
	f->s.peers = &p;
	events_node(&f->s, &p, 1);

	j = call(f, "GET", "/api/nodes", NULL, 200, NULL);
	assert_string_equal(sget(json_object_get(j, "relay"), "id"),
	    "relay-45");
	assert_true(json_array_size(json_object_get(j, "nodes")) >= 27);
	json_array_foreach(json_object_get(j, "nodes"), i, n) {
		const char *id = sget(n, "id");

		if (strcmp(id, "452017") == 0) {
			assert_string_equal(sget(n, "state"), "connected");
			assert_string_equal(sget(json_array_get(json_object_get(n,
			    "connections"), 0), "address"), "192.0.2.7");
		} else {
			assert_string_equal(sget(n, "state"), "never");
			assert_true(json_is_null(json_object_get(n, "since")));
		}
		assert_true(strncmp(id, "45", 2) == 0);
	}
	json_decref(j);

	f->s.peers = NULL;
	events_node(&f->s, &p, 0);
	j = call(f, "GET", "/api/nodes", NULL, 200, NULL);
	json_array_foreach(json_object_get(j, "nodes"), i, n)
		if (strcmp(sget(n, "id"), "452017") == 0) {
			assert_string_equal(sget(n, "state"), "offline");
			since = json_integer_value(json_object_get(n, "since"));
		}
	assert_true(since > 0);
	json_decref(j);

	/* a restart: written at the stop, read at the start */
	api_stop(&f->s);
	api_free(&f->s);
	store_close(f->s.store);
	assert_int_equal(count(f, "SELECT count(*) FROM node_seen"), 1);
	assert_non_null(f->s.store = store_open(f->db, err, sizeof(err)));
	assert_int_equal(api_start(&f->s), 0);
	j = call(f, "GET", "/api/nodes", NULL, 200, NULL);
	json_array_foreach(json_object_get(j, "nodes"), i, n)
		if (strcmp(sget(n, "id"), "452017") == 0) {
			assert_string_equal(sget(n, "state"), "offline");
			assert_int_equal(json_integer_value(json_object_get(n,
			    "since")), since);
		}
	json_decref(j);
}

static void
test_geometry_and_paths(void **state)
{
	struct fx *f = *state;
	struct api_reply rp;
	char path[256], err[512];
	FILE *fp;

	json_decref(call(f, "GET", "/api/geometry", NULL, 404, NULL));
	snprintf(path, sizeof(path), "%s.topojson", f->db);
	assert_non_null(fp = fopen(path, "w"));
	fputs("{\"type\":\"Topology\",\"objects\":{}}", fp);
	fclose(fp);
	assert_non_null(f->cfg.console_geometry = strdup(path));
	assert_int_equal(api_check(&f->cfg, err, sizeof(err)), 0);
	json_decref(call(f, "GET", "/api/geometry", NULL, 200, &rp));
	assert_int_equal(rp.bodylen, 32);
	free(rp.body);
	assert_int_equal(truncate(path, 8 * 1024 * 1024 + 1), 0);
	assert_int_equal(api_check(&f->cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "[console] geometry"));
	unlink(path);
	assert_int_equal(api_check(&f->cfg, err, sizeof(err)), -1);

	json_decref(call(f, "GET", "/api/nothing", NULL, 404, NULL));
	json_decref(call(f, "POST", "/api/nodes", "{}", 405, NULL));
	json_decref(call(f, "GET", "/api/reports/xyz/form", NULL, 400, NULL));
	json_decref(call(f, "GET", "/api/reports/"
	    "0123456789abcdef0123456789abcdef/form", NULL, 404, NULL));
	json_decref(call(f, "GET", "/api/incidents/../nodes", NULL, 404, NULL));
}

static char *adv_rcpts[] = { "452017", "452025", "452033" };

/*
 * A request (要請) of 450006 to three municipalities, its asked-by time
 * due_at; f->report, digest and hex become the advisory's (add_receipt
 * answers it).
 */
static void
add_advisory(struct fx *f, int64_t due_at)
{
	Message m;
	Advisory a;
	static char title[] = "VPN装置の脆弱性への緊急対応の要請";
	static char summary[] = "修正版へ更新してください。";
	static char source[] = "JPCERT/CC";
	static char *actions[] = { "修正版へ更新する" };
	static char *refs[] = { "CVE-2024-21887" };

	kairan__v1__message__init(&m);
	kairan__v1__advisory__init(&a);
	assert_int_equal(message_id_new(f->report), 0);
	m.id.data = f->report;
	m.id.len = KAIRAN_ID_LEN;
	m.sender = "450006";
	m.recipients = adv_rcpts;
	m.n_recipients = 3;
	m.created_at_ms = T0;
	m.status = KAIRAN__V1__STATUS__EXERCISE;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_ADVISORY;
	m.advisory = &a;
	a.kind = KAIRAN__V1__ADVISORY__KIND__REQUEST;
	a.title = title;
	a.summary = summary;
	a.source = source;
	a.actions = actions;
	a.n_actions = 1;
	a.references = refs;
	a.n_references = 1;
	a.due_at_ms = due_at;
	a.severity = KAIRAN__V1__ADVISORY__SEVERITY__HIGH;
	f->seq = commit_msg(f, f->pref, &m, T0, f->digest);
	message_hex(f->report, KAIRAN_ID_LEN, f->hex);
}

/* The row of recipient in GET /api/advisories/ID. */
static json_t *
adv_cell(json_t *j, const char *recipient)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(j, "recipients"), i, r)
		if (strcmp(sget(r, "id"), recipient) == 0)
			return json_object_get(r, "cell");
	fail_msg("no recipient %s", recipient);
	return NULL;
}

static long long
iget(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void
test_advisories(void **state)
{
	struct fx *f = *state;
	struct signer *doer = signer_of("452025");
	json_t *j, *a, *c;
	char path[128], err[512];
	int64_t due = message_now_ms() - 60000;	/* passed */

	/* an incident is no advisory, and the other way round */
	add_report(f);
	add_advisory(f, due);
	j = call(f, "GET", "/api/advisories", NULL, 200, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "advisories")), 1);
	a = json_array_get(json_object_get(j, "advisories"), 0);
	assert_string_equal(sget(a, "id"), f->hex);
	assert_string_equal(sget(a, "kind"), "request");
	assert_string_equal(sget(a, "kind_label"), "要請");
	assert_string_equal(sget(a, "source"), "JPCERT/CC");
	assert_string_equal(sget(a, "sender_name"), "宮崎県");
	assert_string_equal(sget(a, "status"), "exercise");
	assert_int_equal(iget(a, "due_at"), due);
	assert_int_equal(iget(a, "recipients"), 3);
	assert_int_equal(iget(a, "delivered"), 0);
	assert_int_equal(iget(a, "past_due"), 3);
	json_decref(j);
	j = call(f, "GET", "/api/incidents", NULL, 200, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "incidents")), 1);
	json_decref(j);

	/* 452017 delivered and 確認しました; 452025 対応済 without it */
	assert_int_equal(store_delivery_end(f->s.store, f->report, "452017",
	    DELIVERY_DONE, NULL, T0 + 1000, err, sizeof(err)), 1);
	add_receipt(f, f->muni, "452017",
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED, "宮崎 太郎", "", NULL,
	    NULL, 0, T0 + 2000);
	add_receipt(f, doer, "452025", KAIRAN__V1__RECEIPT__STATE__DONE,
	    "都城 花子", "該当装置なし", NULL, NULL, 0, T0 + 3000);
	snprintf(path, sizeof(path), "/api/advisories/%s", f->hex);
	j = call(f, "GET", path, NULL, 200, NULL);
	a = json_object_get(j, "advisory");
	assert_string_equal(sget(a, "summary"), "修正版へ更新してください。");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(a, "actions"), 0)), "修正版へ更新する");
	assert_string_equal(sget(a, "severity"), "high");
	assert_int_equal(iget(a, "delivered"), 2);
	assert_int_equal(iget(a, "acknowledged"), 2);
	assert_int_equal(iget(a, "done"), 1);
	assert_int_equal(iget(a, "past_due"), 2);
	c = adv_cell(j, "452017");
	assert_string_equal(sget(c, "state"), "acknowledged");
	assert_string_equal(sget(json_object_get(c, "acknowledged"), "by"),
	    "宮崎 太郎");
	assert_true(json_is_null(json_object_get(c, "done")));
	assert_true(json_is_true(json_object_get(c, "past_due")));
	c = adv_cell(j, "452025");
	assert_string_equal(sget(c, "state"), "done");
	assert_string_equal(sget(json_object_get(c, "done"), "by"), "都城 花子");
	assert_string_equal(sget(json_object_get(c, "done"), "note"),
	    "該当装置なし");
	assert_int_equal(iget(json_object_get(c, "done"), "at"), T0 + 3000);
	assert_true(json_is_null(json_object_get(c, "acknowledged")));
	assert_true(json_is_false(json_object_get(c, "past_due")));
	c = adv_cell(j, "452033");
	assert_string_equal(sget(c, "state"), "pending");
	json_decref(j);

	/* bad and unknown ids; an incident's is not an advisory's */
	json_decref(call(f, "GET", "/api/advisories/XYZ", NULL, 400, NULL));
	snprintf(path, sizeof(path), "/api/advisories/%s", f->ihex);
	json_decref(call(f, "GET", path, NULL, 404, NULL));
	snprintf(path, sizeof(path), "/api/incidents/%s", f->hex);
	json_decref(call(f, "GET", path, NULL, 404, NULL));
	signer_free(doer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_matrix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overdue_and_confirm, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_confirm_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_advisories, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_drill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_proxy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_form_proxy_bound, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_nodes_and_last_seen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_geometry_and_paths, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
