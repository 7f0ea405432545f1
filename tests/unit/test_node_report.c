/*
 * test_node_report: report JSON -> IncidentReport: a full Japanese report
 * with an attachment parses and validates as a Message; every broken field
 * is refused with its name; syntax errors as file:line:column; times;
 * report_to_json round trip; the file as text: a file that cannot be
 * opened names path and reason, a UTF-8 BOM is skipped, Shift_JIS and
 * EUC-JP (real bytes, as iconv writes them) are refused with their line
 * before any JSON parsing. Run under SANITIZE=1 for leaks on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kairan/message.h"
#include "advisory.h"
#include "field.h"
#include "report.h"

static char dir[64];

static void
write_file(const char *name, const char *text, size_t len)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

static int
setup(void **state)
{
	static const char mail[] = "From: attacker\n";

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_node_report.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	write_file("mail.eml", mail, sizeof(mail) - 1);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#define FULL_REPORT \
	"{\n" \
	"  \"title\": \"標的型攻撃メールによるマルウェア感染\",\n" \
	"  \"category\": \"cyber_attack\",\n" \
	"  \"subtypes\": [\"標的型攻撃\", \"ウイルス\"],\n" \
	"  \"level\": 3,\n" \
	"  \"occurred_at\": \"2026-11-22T08:05:12.250+09:00\",\n" \
	"  \"discovered_at\": \"2026-11-22T09:30:00+09:00\",\n" \
	"  \"proxy_logs_checked_at\": \"2026-11-22T15:30:00+09:00\",\n" \
	"  \"location\": \"宮崎市役所 本庁舎 情報政策課\",\n" \
	"  \"summary\": \"職員が標的型攻撃メールの添付ファイルを開き、\\n" \
	"端末1台がマルウェアに感染した。\",\n" \
	"  \"affected_services\": [\"住民情報系サービス\"],\n" \
	"  \"affected_systems\": [\"内部情報系ネットワーク\", \"職員端末\"],\n" \
	"  \"cause\": \"添付ファイルの開封\",\n" \
	"  \"damage\": \"調査中\",\n" \
	"  \"records_affected\": 1234,\n" \
	"  \"is_incident\": \"incident\",\n" \
	"  \"response\": \"当該端末をネットワークから隔離した。\",\n" \
	"  \"prevention\": \"職員への注意喚起\",\n" \
	"  \"external_response\": \"宮崎県・総務省へ報告\",\n" \
	"  \"other\": \"\",\n" \
	"  \"contact\": {\"name\": \"情報政策課\", \"organization\": " \
	"\"宮崎市CSIRT\", \"phone\": \"0985-21-1712\", \"after_hours_phone\": " \
	"\"090-0000-0000\", \"fax\": \"0985-22-6106\", \"email\": " \
	"\"csirt@example.lg.jp\", \"hours\": \"平日 8:30-17:15\"},\n" \
	"  \"attachments\": [\n" \
	"    {\"name\": \"受信メール.eml\", \"media_type\": \"message/rfc822\", " \
	"\"path\": \"mail.eml\"},\n" \
	"    {\"name\": \"memo.txt\", \"media_type\": \"text/plain\", " \
	"\"data_base64\": \"5pel5pys\"}\n" \
	"  ]\n" \
	"}\n"

static void
test_full_report(void **state)
{
	char path[256], err[512], hex[65];
	IncidentReport *r;
	Message m = KAIRAN__V1__MESSAGE__INIT;
	uint8_t id[KAIRAN_ID_LEN], inc[KAIRAN_ID_LEN];
	char *rcpt[] = { "450006" };

	(void)state;
	write_file("r.json", FULL_REPORT, strlen(FULL_REPORT));
	snprintf(path, sizeof(path), "%s/r.json", dir);
	r = report_from_file(path, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	assert_string_equal(r->title, "標的型攻撃メールによるマルウェア感染");
	assert_int_equal(r->category,
	    KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK);
	assert_int_equal(r->n_subtypes, 2);
	assert_string_equal(r->subtypes[0], "標的型攻撃");
	assert_int_equal(r->level, 3);
	assert_true(r->occurred_at_ms == 1795302312250LL);
	assert_true(r->discovered_at_ms == 1795307400000LL);
	/* 6 hours after discovery */
	assert_true(r->proxy_logs_checked_at_ms == 1795329000000LL);
	assert_non_null(strstr(r->summary, "\n端末1台"));
	assert_int_equal(r->n_affected_systems, 2);
	assert_true(r->records_affected == 1234);
	assert_int_equal(r->is_incident,
	    KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__INCIDENT);
	assert_string_equal(r->other, "");
	assert_non_null(r->contact);
	assert_string_equal(r->contact->phone, "0985-21-1712");
	assert_string_equal(r->contact->hours, "平日 8:30-17:15");
	assert_int_equal(r->n_attachments, 2);
	assert_int_equal(r->attachments[0]->data.len, 15);
	assert_int_equal(r->attachments[0]->sha256.len, 32);
	message_hex(r->attachments[0]->sha256.data, 32, hex);
	assert_string_equal(hex, "03c0c44394506d8e2fe83d23a2e108741b229150"
	    "bd87ee4368a9de5ee98bedb0");
	assert_int_equal(r->attachments[1]->data.len, 6);
	assert_memory_equal(r->attachments[1]->data.data, "日本", 6);
	assert_int_equal(r->incident_id.len, 0);
	assert_int_equal(r->report_no, 0);

	/* What the command line adds makes it a valid Message. */
	memset(id, 1, sizeof(id));
	memset(inc, 2, sizeof(inc));
	r->incident_id.data = inc;
	r->incident_id.len = sizeof(inc);
	r->report_no = 1;
	r->phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	m.id.data = id;
	m.id.len = sizeof(id);
	m.sender = "452017";
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.created_at_ms = 1795307500000LL;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = r;
	if (message_validate(&m, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	r->incident_id.data = NULL;
	r->incident_id.len = 0;
	report_free(r);
}

/* Every field of 報告様式1 added in issue 11, as a report file sets them. */
#define FORM_FIELDS \
	"{\"category\": \"theft_loss\", \"level\": 2, \"summary\": \"紛失\",\n" \
	" \"author\": {\"name\": \"日向 一郎\", \"role\": " \
	"\"統括情報セキュリティ責任者（CSIRT責任者）\"},\n" \
	" \"detection\": {\"method\": \"found\", \"by\": \"市民課 職員\", " \
	"\"detail\": \"棚卸しで\\n発見\"},\n" \
	" \"service_overview\": \"窓口\", \"service_impact\": \"停止\", " \
	"\"system_overview\": \"端末\",\n" \
	" \"suspected_act\": \"持ち出し\", \"damage_scale\": \"軽微\", " \
	"\"leaked_info\": \"氏名・住所\", \"records_affected\": 12,\n" \
	" \"initial_response\": \"捜索\",\n" \
	" \"recovery\": {\"measures\": \"交換\", \"status\": \"完了\", " \
	"\"outlook\": \"なし\", \"cost_yen\": 0},\n" \
	" \"press_release\": {\"state\": \"planned\", " \
	"\"at\": \"2026-11-23T10:00:00+09:00\", \"note\": \"市長会見\"},\n" \
	" \"residents\": {\"state\": \"done\"},\n" \
	" \"government\": {\"state\": \"not_needed\", \"note\": \"\"},\n" \
	" \"agencies\": {\"state\": \"undecided\"},\n" \
	" \"publication\": {\"decision\": \"publish\", " \
	"\"approved_by\": \"CISO 副市長\"}}"

static IncidentReport *
parse_text(const char *text)
{
	IncidentReport *r;
	json_error_t je;
	char err[512];
	json_t *j;

	if ((j = json_loads(text, 0, &je)) == NULL)
		fail_msg("%s", je.text);
	r = report_from_json(j, NULL, err, sizeof(err));
	json_decref(j);
	if (r == NULL)
		fail_msg("%s", err);
	return r;
}

static void
test_form_fields(void **state)
{
	IncidentReport *r;
	Message m = KAIRAN__V1__MESSAGE__INIT;
	uint8_t id[KAIRAN_ID_LEN], inc[KAIRAN_ID_LEN];
	char err[512], *text, *rcpt[] = { "450006" };
	json_t *o, *x;

	(void)state;
	r = parse_text(FORM_FIELDS);
	assert_string_equal(r->author->name, "日向 一郎");
	assert_string_equal(r->author->role,
	    "統括情報セキュリティ責任者（CSIRT責任者）");
	assert_int_equal(r->detection->method,
	    KAIRAN__V1__DETECTION__METHOD__FOUND);
	assert_string_equal(r->detection->by, "市民課 職員");
	assert_string_equal(r->detection->detail, "棚卸しで\n発見");
	assert_string_equal(r->service_overview, "窓口");
	assert_string_equal(r->service_impact, "停止");
	assert_string_equal(r->system_overview, "端末");
	assert_string_equal(r->suspected_act, "持ち出し");
	assert_string_equal(r->damage_scale, "軽微");
	assert_string_equal(r->leaked_info, "氏名・住所");
	assert_string_equal(r->initial_response, "捜索");
	assert_string_equal(r->recovery->measures, "交換");
	assert_string_equal(r->recovery->status, "完了");
	assert_string_equal(r->recovery->outlook, "なし");
	/* 0 円 is an amount, not "unknown" */
	assert_true(r->recovery->cost_known);
	assert_int_equal(r->recovery->cost_yen, 0);
	assert_int_equal(r->press_release->state,
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__PLANNED);
	assert_int_equal(r->press_release->at_ms, 1795395600000LL);
	assert_string_equal(r->press_release->note, "市長会見");
	assert_int_equal(r->residents->state,
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__DONE);
	assert_int_equal(r->government->state,
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__NOT_NEEDED);
	/* "undecided" said is 未定, unlike a channel left out */
	assert_non_null(r->agencies);
	assert_int_equal(r->agencies->state,
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__UNDECIDED);
	assert_int_equal(r->publication->decision,
	    KAIRAN__V1__PUBLICATION__DECISION__PUBLISH);
	assert_string_equal(r->publication->approved_by, "CISO 副市長");

	/* It validates as the body of a Message. */
	memset(id, 1, sizeof(id));
	memset(inc, 2, sizeof(inc));
	r->incident_id.data = inc;
	r->incident_id.len = sizeof(inc);
	r->report_no = 1;
	r->phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	m.id.data = id;
	m.id.len = sizeof(id);
	m.sender = "452017";
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.created_at_ms = 1795307400000LL;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = r;
	if (message_validate(&m, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	r->incident_id.data = NULL;
	r->incident_id.len = 0;

	/* report_to_json: the same keys and values back. */
	o = report_to_json(r);
	assert_non_null(o);
	x = json_object_get(o, "author");
	assert_string_equal(json_string_value(json_object_get(x, "role")),
	    "統括情報セキュリティ責任者（CSIRT責任者）");
	x = json_object_get(o, "detection");
	assert_string_equal(json_string_value(json_object_get(x, "method")),
	    "found");
	assert_string_equal(json_string_value(json_object_get(o,
	    "leaked_info")), "氏名・住所");
	x = json_object_get(o, "recovery");
	assert_true(json_is_integer(json_object_get(x, "cost_yen")));
	assert_int_equal(json_integer_value(json_object_get(x, "cost_yen")),
	    0);
	x = json_object_get(o, "press_release");
	assert_string_equal(json_string_value(json_object_get(x, "state")),
	    "planned");
	assert_string_equal(json_string_value(json_object_get(x, "at")),
	    "2026-11-23T10:00:00+09:00");
	x = json_object_get(o, "government");
	assert_string_equal(json_string_value(json_object_get(x, "state")),
	    "not_needed");
	assert_true(json_is_null(json_object_get(x, "at")));
	x = json_object_get(o, "publication");
	assert_string_equal(json_string_value(json_object_get(x,
	    "decision")), "publish");
	/* ... and read again, the same report. */
	json_object_del(o, "attachments");	/* shown with sha256 and size */
	text = json_dumps(o, 0);
	json_decref(o);
	report_free(r);
	r = parse_text(text);
	free(text);
	assert_int_equal(r->press_release->at_ms, 1795395600000LL);
	assert_true(r->recovery->cost_known);
	assert_string_equal(r->detection->detail, "棚卸しで\n発見");
	report_free(r);
}

/*
 * A report without the new fields (as before issue 11) has none of them;
 * the writer gives null for each sub-object and "" for each text.
 */
static void
test_form_fields_absent(void **state)
{
	IncidentReport *r;
	json_t *o;

	(void)state;
	r = parse_text("{\"category\": \"other\", \"level\": 0, "
	    "\"summary\": \"x\", \"author\": {\"name\": \"\", \"role\": \"\"}, "
	    "\"recovery\": {\"cost_yen\": null}, \"press_release\": "
	    "{\"state\": null, \"at\": null, \"note\": \"\"}}");
	assert_null(r->author);
	assert_null(r->detection);
	assert_null(r->recovery);
	assert_null(r->press_release);
	assert_null(r->publication);
	o = report_to_json(r);
	assert_true(json_is_null(json_object_get(o, "author")));
	assert_true(json_is_null(json_object_get(o, "recovery")));
	assert_true(json_is_null(json_object_get(o, "agencies")));
	assert_true(json_is_null(json_object_get(o, "publication")));
	assert_string_equal(json_string_value(json_object_get(o,
	    "suspected_act")), "");
	json_decref(o);
	report_free(r);
}

/* The 第1報 reminder: items 1-5 of 報告様式1 still empty, named. */
static void
test_triage_missing(void **state)
{
	IncidentReport *r;
	char buf[1024];

	(void)state;
	r = parse_text("{\"category\": \"cyber_attack\", \"level\": 1, "
	    "\"summary\": \"x\", \"location\": \"本庁舎\"}");
	assert_int_equal(report_triage_missing(r, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "1(2) 発生日時、2(1) サービスの概要、"
	    "2(2) サービスへの影響、2(3) システムの概要、3(1) 原因、"
	    "3(2) 原因として想定される行為、4(1) 被害状況・影響範囲、"
	    "4(2) 損害規模、5 インシデントに該当するか否かの判断結果");
	report_free(r);
	/* A leak asks what leaked and how much. */
	r = parse_text(FORM_FIELDS);
	assert_int_equal(report_triage_missing(r, buf, sizeof(buf)), 5);
	assert_non_null(strstr(buf, "1(2) 発生日時"));
	assert_non_null(strstr(buf, "1(3) 発生場所"));
	assert_non_null(strstr(buf, "3(1) 原因"));
	assert_null(strstr(buf, "漏えい"));
	report_free(r);
	r = parse_text("{\"category\": \"theft_loss\", \"level\": 1, "
	    "\"summary\": \"x\"}");
	report_triage_missing(r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "4(3) 漏えいした情報の概要、"
	    "4(3) 漏えい件数"));
	report_free(r);
	r = parse_text("{\"category\": \"other\", \"level\": 1, "
	    "\"summary\": \"x\", \"occurred_at\": \"2026-11-22T08:00:00Z\", "
	    "\"location\": \"a\", \"service_overview\": \"a\", "
	    "\"service_impact\": \"a\", \"system_overview\": \"a\", "
	    "\"cause\": \"a\", \"suspected_act\": \"a\", \"damage\": \"a\", "
	    "\"damage_scale\": \"a\", \"is_incident\": \"not_incident\"}");
	assert_int_equal(report_triage_missing(r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	report_free(r);
}

static void
test_minimal_and_round_trip(void **state)
{
	const char *text = "{\"category\": \"system_outage\", \"level\": 0, "
	    "\"summary\": \"基幹系システムの停止\", \"occurred_at\": "
	    "\"2026-11-22T00:30:00Z\", \"contact\": {\"phone\": \"1\"}}";
	json_t *in, *out;
	IncidentReport *r, *r2;
	char err[512];

	(void)state;
	in = json_loads(text, 0, NULL);
	assert_non_null(in);
	r = report_from_json(in, NULL, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	assert_int_equal(r->level, 0);
	assert_int_equal(r->is_incident,
	    KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__UNDETERMINED);
	assert_true(r->discovered_at_ms == 0);
	out = report_to_json(r);
	assert_non_null(out);
	assert_string_equal(json_string_value(json_object_get(out,
	    "occurred_at")), "2026-11-22T09:30:00+09:00");
	assert_true(json_is_null(json_object_get(out, "discovered_at")));
	assert_true(json_is_null(json_object_get(out,
	    "proxy_logs_checked_at")));
	assert_string_equal(json_string_value(json_object_get(out,
	    "category")), "system_outage");
	assert_string_equal(json_string_value(json_object_get(out,
	    "is_incident")), "undetermined");
	assert_int_equal(json_array_size(json_object_get(out, "attachments")),
	    0);
	/* What report_to_json writes (without attachments) reads back. */
	r2 = report_from_json(out, NULL, err, sizeof(err));
	if (r2 == NULL)
		fail_msg("%s", err);
	assert_true(r2->occurred_at_ms == r->occurred_at_ms);
	assert_true(r2->proxy_logs_checked_at_ms == 0);
	assert_string_equal(r2->summary, r->summary);
	assert_string_equal(r2->contact->phone, "1");
	report_free(r2);
	report_free(r);
	json_decref(out);
	json_decref(in);
}

static void
test_to_json_attachments(void **state)
{
	char path[256], err[512];
	IncidentReport *r;
	json_t *o, *a;

	(void)state;
	write_file("r.json", FULL_REPORT, strlen(FULL_REPORT));
	snprintf(path, sizeof(path), "%s/r.json", dir);
	r = report_from_file(path, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	o = report_to_json(r);
	a = json_array_get(json_object_get(o, "attachments"), 0);
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "name")),
	    "受信メール.eml");
	assert_int_equal(json_integer_value(json_object_get(a, "size")), 15);
	assert_string_equal(json_string_value(json_object_get(a, "sha256")),
	    "03c0c44394506d8e2fe83d23a2e108741b229150bd87ee4368a9de5ee98bedb0");
	assert_null(json_object_get(a, "data_base64"));
	assert_int_equal(json_integer_value(json_object_get(o,
	    "records_affected")), 1234);
	json_decref(o);
	report_free(r);
	assert_null(report_to_json(NULL));
	report_free(NULL);
}

/* Each case: a report body, and what the error must contain. */
static const struct {
	const char	*json;
	const char	*want;
} bad[] = {
	{ "{\"level\": 1, \"summary\": \"x\"}", "report.category: missing" },
	{ "{\"category\": \"cyber\", \"level\": 1, \"summary\": \"x\"}",
	  "report.category: must be one of" },
	{ "{\"category\": \"other\", \"summary\": \"x\"}",
	  "report.level: missing" },
	{ "{\"category\": \"other\", \"level\": \"high\", \"summary\": \"x\"}",
	  "report.level: must be an integer 0..3, got \"high\"" },
	{ "{\"category\": \"other\", \"level\": 4, \"summary\": \"x\"}",
	  "report.level: must be an integer 0..3, got 4" },
	{ "{\"category\": \"other\", \"level\": -1, \"summary\": \"x\"}",
	  "report.level: must be an integer 0..3" },
	{ "{\"category\": \"other\", \"level\": 1.5, \"summary\": \"x\"}",
	  "report.level: must be an integer 0..3" },
	{ "{\"category\": \"other\", \"level\": 1}", "report.summary: missing" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"\"}",
	  "report.summary: must not be empty" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": 5}",
	  "report.summary: must be a string, got 5" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"colour\": \"red\"}", "report.colour: unknown key" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"report_no\": 2}", "report.report_no: set by the command line" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"title\": [\"a\"]}", "report.title: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"subtypes\": \"標的型攻撃\"}", "report.subtypes: must be an array" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"subtypes\": [\"a\", 3]}", "report.subtypes[1]: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"subtypes\": [\"a\", \"\"]}",
	  "report.subtypes[1]: must not be empty" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"affected_services\": [1]}", "report.affected_services[0]:" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"affected_systems\": {}}", "report.affected_systems: must be" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"occurred_at\": \"2026-11-22 09:30\"}",
	  "report.occurred_at: must be an RFC 3339 time" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"discovered_at\": \"2026-11-22T09:30:00\"}",
	  "report.discovered_at: must be an RFC 3339 time" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"discovered_at\": \"2026-02-30T09:30:00+09:00\"}",
	  "report.discovered_at: must be an RFC 3339" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"occurred_at\": 1795307400000}", "report.occurred_at:" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"proxy_logs_checked_at\": \"2026-11-22 15:00\"}",
	  "report.proxy_logs_checked_at: must be an RFC 3339 time" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"records_affected\": -3}",
	  "report.records_affected: must be an integer >= 0" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"records_affected\": \"many\"}", "report.records_affected:" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"is_incident\": \"yes\"}", "report.is_incident: must be one of" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"contact\": \"x\"}", "report.contact: must be an object" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"contact\": {\"tel\": \"1\"}}", "report.contact.tel: unknown key" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"contact\": {\"phone\": 1}}", "report.contact.phone: must be a "
	  "string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"attachments\": {}}", "report.attachments: must be an array" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"attachments\": [{\"media_type\": \"text/plain\", \"path\": "
	  "\"mail.eml\"}]}", "report.attachments[0].name: missing" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"attachments\": [{\"name\": \"a\", \"path\": \"mail.eml\"}]}",
	  "report.attachments[0].media_type: missing" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"attachments\": [{\"name\": \"a\", \"media_type\": \"pdf\", "
	  "\"path\": \"mail.eml\"}]}",
	  "report.attachments[0].media_type: must be a media type" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"attachments\": [{\"name\": \"a\", \"media_type\": \"text/plain\"}"
	  "]}", "report.attachments[0]: exactly one of path and data_base64" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"attachments\": [{\"name\": \"a\", \"media_type\": \"text/plain\", "
	  "\"path\": \"nonexistent.pdf\"}]}",
	  "report.attachments[0].path: " },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"attachments\": [{\"name\": \"a\", \"media_type\": \"text/plain\", "
	  "\"path\": \"big.bin\"}]}",
	  "report.attachments[0].path: " },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"attachments\": [{\"name\": \"a\", \"media_type\": \"text/plain\", "
	  "\"path\": \"mail.eml\"}, {\"name\": \"b\", \"media_type\": "
	  "\"text/plain\", \"data_base64\": \"!!!!\"}]}",
	  "report.attachments[1].data_base64: not valid base64" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"attachments\": [{\"name\": \"a\", \"media_type\": \"text/plain\", "
	  "\"path\": \"mail.eml\", \"url\": \"x\"}]}",
	  "report.attachments[0].url: unknown key" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"author\": \"日向\"}", "report.author: must be an object" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"author\": {\"title\": \"a\"}}", "report.author.title: unknown key" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"author\": {\"role\": 1}}", "report.author.role: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"detection\": {\"method\": \"seen\"}}", "report.detection.method: must be one of \"detected\" | \"found\" | \"notified\"" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"detection\": {\"who\": \"a\"}}", "report.detection.who: unknown key" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"detection\": {\"by\": [1]}}", "report.detection.by: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"service_overview\": 1}", "report.service_overview: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"service_impact\": {}}", "report.service_impact: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"system_overview\": []}", "report.system_overview: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"suspected_act\": true}", "report.suspected_act: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"damage_scale\": 3}", "report.damage_scale: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"leaked_info\": 3}", "report.leaked_info: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"initial_response\": 3}", "report.initial_response: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"recovery\": \"復旧中\"}", "report.recovery: must be an object" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"recovery\": {\"cost\": 1}}", "report.recovery.cost: unknown key" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"recovery\": {\"cost_yen\": -1}}", "report.recovery.cost_yen: must be an integer number of yen >= 0, got -1" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"recovery\": {\"cost_yen\": \"16万円\"}}", "report.recovery.cost_yen: must be an integer" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"recovery\": {\"cost_yen\": 1.5}}", "report.recovery.cost_yen: must be an integer" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"recovery\": {\"outlook\": 1}}", "report.recovery.outlook: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"press_release\": {\"state\": \"done?\"}}", "report.press_release.state: must be one of \"undecided\" | \"planned\" | \"done\" | \"not_needed\"" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"residents\": {\"at\": \"明日\"}}", "report.residents.at: must be an RFC 3339 time" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"government\": {\"note\": 1}}", "report.government.note: must be a string" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"agencies\": {\"when\": 1}}", "report.agencies.when: unknown key" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"agencies\": [1]}", "report.agencies: must be an object" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"publication\": {\"decision\": \"yes\"}}", "report.publication.decision: must be one of" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"publication\": {\"approved\": \"a\"}}", "report.publication.approved: unknown key" },
	{ "{\"category\": \"other\", \"level\": 1, \"summary\": \"x\", "
	  "\"publication\": {\"approved_by\": 1}}", "report.publication.approved_by: must be a string" },
	{ "[1, 2]", "report: must be a JSON object" },
};

static void
test_bad_fields(void **state)
{
	char err[512];
	IncidentReport *r;
	json_t *j;
	json_error_t je;
	char *big;
	size_t i;

	(void)state;
	/* An attachment one byte over 256 KiB. */
	big = calloc(1, 256 * 1024 + 1);
	assert_non_null(big);
	write_file("big.bin", big, 256 * 1024 + 1);
	free(big);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_loads(bad[i].json, 0, &je);
		if (j == NULL)
			fail_msg("case %zu: %s", i, je.text);
		err[0] = '\0';
		r = report_from_json(j, dir, err, sizeof(err));
		json_decref(j);
		if (r != NULL) {
			report_free(r);
			fail_msg("case %zu accepted: %s", i, bad[i].json);
		}
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    bad[i].want);
	}
}

static void
test_too_long(void **state)
{
	char err[512], *s;
	IncidentReport *r;
	json_t *o;

	(void)state;
	s = malloc(300);
	assert_non_null(s);
	memset(s, 'a', 299);
	s[299] = '\0';
	o = json_pack("{s:s, s:i, s:s, s:s}", "category", "other", "level", 1,
	    "summary", "x", "title", s);
	r = report_from_json(o, NULL, err, sizeof(err));
	assert_null(r);
	assert_non_null(strstr(err, "report.title: too long"));
	json_decref(o);
	free(s);
	o = json_pack("{s:s, s:i, s:s, s:[s, s]}", "category", "other",
	    "level", 1, "summary", "x", "subtypes", "a", "a\xe3\x81");
	/* jansson refuses invalid UTF-8 itself; fine either way. */
	if (o != NULL) {
		r = report_from_json(o, NULL, err, sizeof(err));
		assert_null(r);
		json_decref(o);
	}
}

static void
test_syntax_error(void **state)
{
	char path[256], err[512], want[300];

	(void)state;
	write_file("s.json", "{\n  \"category\": \"other\",\n  \"level\": 1\n"
	    "  \"summary\": \"x\"\n}\n", 53);
	snprintf(path, sizeof(path), "%s/s.json", dir);
	assert_null(report_from_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:4:", path);
	if (strstr(err, want) != err || strstr(err, "JSON syntax error") ==
	    NULL)
		fail_msg("got \"%s\"", err);
	/* A duplicate key is an error too. */
	write_file("d.json", "{\"level\": 1, \"level\": 2}", 24);
	snprintf(path, sizeof(path), "%s/d.json", dir);
	assert_null(report_from_file(path, err, sizeof(err)));
	assert_non_null(strstr(err, "duplicate"));
	snprintf(path, sizeof(path), "%s/missing.json", dir);
	assert_null(report_from_file(path, err, sizeof(err)));
	assert_non_null(strstr(err, "missing.json"));
}

static void
test_times(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(field_parse_time("2026-11-22T09:30:00+09:00", &ms),
	    0);
	assert_true(ms == 1795307400000LL);
	assert_int_equal(field_parse_time("2026-11-22T00:30:00Z", &ms), 0);
	assert_true(ms == 1795307400000LL);
	assert_int_equal(field_parse_time("2026-11-21T19:30:00.5-05:00",
	    &ms), 0);
	assert_true(ms == 1795307400500LL);
	assert_int_equal(field_parse_time("2028-02-29T00:00:00Z", &ms), 0);
	assert_int_equal(field_parse_time("2027-02-29T00:00:00Z", &ms), -1);
	assert_int_equal(field_parse_time("2026-13-01T00:00:00Z", &ms), -1);
	assert_int_equal(field_parse_time("2026-11-22T24:00:00Z", &ms), -1);
	assert_int_equal(field_parse_time("2026-11-22T09:30:00+0900", &ms),
	    -1);
	assert_int_equal(field_parse_time("2026-11-22T09:30:00Zx", &ms), -1);
	assert_int_equal(field_parse_time("2026-11-22T09:30:00.Z", &ms), -1);
	assert_int_equal(field_parse_time("", &ms), -1);
}

/* The minimal report of send --help, as bytes. */
#define MINIMAL "{\"category\": \"other\", \"level\": 1,\n"

static void
test_file_errors(void **state)
{
	char path[256], err[512], want[400];
	const char *denied;

	(void)state;
	snprintf(path, sizeof(path), "%s/nope/r.json", dir);
	assert_null(report_from_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "cannot open %s: No such file or "
	    "directory", path);
	assert_string_equal(err, want);

	/* Root reads any mode-000 file; a write-only proc file it cannot. */
	write_file("denied.json", MINIMAL "\"summary\": \"x\"}",
	    strlen(MINIMAL "\"summary\": \"x\"}"));
	snprintf(path, sizeof(path), "%s/denied.json", dir);
	assert_int_equal(chmod(path, 0), 0);
	denied = path;
	if (geteuid() == 0)
		denied = "/proc/sys/vm/drop_caches";
	if (geteuid() != 0 || access(denied, F_OK) == 0) {
		assert_null(report_from_file(denied, err, sizeof(err)));
		snprintf(want, sizeof(want), "cannot open %s: Permission "
		    "denied", denied);
		assert_string_equal(err, want);
	}
	assert_null(report_from_file(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "Is a directory"));
}

static void
test_bom_accepted(void **state)
{
	static const char text[] = "\xEF\xBB\xBF" MINIMAL
	    "\"summary\": \"標的型攻撃\"}\n";
	IncidentReport *r;
	char path[256], err[512];

	(void)state;
	write_file("bom.json", text, sizeof(text) - 1);
	snprintf(path, sizeof(path), "%s/bom.json", dir);
	r = report_from_file(path, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	assert_string_equal(r->summary, "標的型攻撃");
	report_free(r);
}

/* Writes len bytes as name and expects "PATH: not UTF-8 (line L)...". */
static void
expect_not_utf8(const char *name, const char *bytes, size_t len, int line)
{
	char path[256], err[512], want[400];

	write_file(name, bytes, len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_null(report_from_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not UTF-8 (line %d): save it as "
	    "UTF-8", path, line);
	assert_string_equal(err, want);
}

static void
test_not_utf8(void **state)
{
	/* "標的型攻撃" on line 3, as iconv -t SHIFT_JIS and -t EUC-JP write it. */
	static const char sjis[] = MINIMAL "\n\"summary\": \"\x95\x57\x93\x49"
	    "\x8c\x5e\x8d\x55\x8c\x82\"}\n";
	static const char eucjp[] = MINIMAL "\"summary\": \"\xc9\xb8\xc5\xaa"
	    "\xb7\xbf\xb9\xb6\xb7\xe2\"}\n";
	/* A UTF-16LE file starts with FF FE and holds NULs. */
	static const char utf16[] = "\xFF\xFE{\0}\0";

	(void)state;
	expect_not_utf8("sjis.json", sjis, sizeof(sjis) - 1, 3);
	expect_not_utf8("euc.json", eucjp, sizeof(eucjp) - 1, 2);
	expect_not_utf8("u16.json", utf16, sizeof(utf16) - 1, 1);
}

/* The template is refused as it is, accepted with summary and level. */
static void
test_template(void **state)
{
	IncidentReport *r;
	char err[512], *text;
	json_t *t, *j;
	const char *k;
	json_t *v;

	(void)state;
	t = report_template();
	assert_non_null(t);
	/* Every key of the format, through the JSON text people edit. */
	text = json_dumps(t, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(t);
	assert_non_null(text);
	j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 36);	/* + proxy_logs_checked_at */
	json_object_foreach(j, k, v)
		if (strstr(FULL_REPORT, k) == NULL &&
		    strstr(FORM_FIELDS, k) == NULL)
			fail_msg("template key %s in no test report", k);
	assert_null(report_from_json(j, NULL, err, sizeof(err)));
	assert_string_equal(err, "report.level: missing");
	json_object_set_new(j, "level", json_integer(2));
	assert_null(report_from_json(j, NULL, err, sizeof(err)));
	assert_string_equal(err, "report.summary: must not be empty");
	json_object_set_new(j, "summary", json_string("庁内LANの障害"));
	r = report_from_json(j, NULL, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	assert_int_equal(r->level, 2);
	assert_int_equal(r->category,
	    KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER);
	/* The empty contact is no contact (the form uses the directory's). */
	assert_null(r->contact);
	/* ... and so are its empty 報告様式1 sub-objects. */
	assert_null(r->author);
	assert_null(r->detection);
	assert_null(r->recovery);
	assert_null(r->press_release);
	assert_null(r->residents);
	assert_null(r->government);
	assert_null(r->agencies);
	assert_null(r->publication);
	assert_int_equal(r->n_attachments, 0);
	report_free(r);
	json_decref(j);
}


/* An advisory from its JSON, back to JSON, and the parser's refusals. */
static void
test_advisory_json(void **state)
{
	static const char *good = "{\"kind\": \"request\", \"title\": "
	    "\"VPN装置の脆弱性\", \"source\": \"JPCERT/CC\", \"severity\": "
	    "\"high\", \"summary\": \"攻撃を確認。\\n対策を。\", "
	    "\"references\": [\"CVE-2024-21887\", "
	    "\"https://www.jpcert.or.jp/at/2024/at240002.html\"], "
	    "\"actions\": [\"更新する\"], \"due_at\": "
	    "\"2026-12-05T17:00:00+09:00\", \"contact\": {\"name\": "
	    "\"情報政策課\"}}";
	static const struct {
		const char *json, *want;
	} refused[] = {
		{ "[]", "advisory: must be a JSON object, got an array" },
		{ "{\"title\": \"t\", \"summary\": \"s\"}",
		    "advisory.kind: missing" },
		{ "{\"kind\": \"advisory\", \"summary\": \"s\"}",
		    "advisory.title: missing" },
		{ "{\"kind\": \"advisory\", \"title\": \"t\"}",
		    "advisory.summary: missing" },
		{ "{\"kind\": \"request\", \"title\": \"t\", \"summary\": \"s\","
		    " \"actions\": [\"a\"]}", "advisory.due_at: a request" },
		{ "{\"kind\": \"advisory\", \"title\": \"t\", \"summary\": "
		    "\"s\", \"references\": \"CVE-2024-1234\"}",
		    "advisory.references: must be an array of strings" },
		{ "{\"kind\": \"advisory\", \"title\": \"t\", \"summary\": "
		    "\"s\", \"references\": [\"CVE-2024-12\"]}",
		    "advisory.references[0]: \"CVE-2024-12\" is not a CVE id" },
		{ "{\"kind\": \"advisory\", \"title\": \"t\", \"summary\": "
		    "\"s\", \"actions\": [\"\"]}",
		    "advisory.actions[0]: must not be empty" },
		{ "{\"kind\": \"advisory\", \"title\": \"t\", \"summary\": "
		    "\"s\", \"report_no\": 1}", "advisory.report_no: unknown key" },
		{ "{\"kind\": \"advisory\", \"title\": \"t\", \"summary\": "
		    "\"s\", \"contact\": {\"fax\": 1}}",
		    "advisory.contact.fax: must be a string" },
	};
	json_error_t je;
	json_t *o, *back;
	Advisory *a;
	char err[512];
	size_t i;

	(void)state;
	o = json_loads(good, 0, &je);
	assert_non_null(o);
	a = advisory_from_json(o, err, sizeof(err));
	if (a == NULL)
		fail_msg("%s", err);
	json_decref(o);
	assert_int_equal(a->kind, KAIRAN__V1__ADVISORY__KIND__REQUEST);
	assert_int_equal(a->severity, KAIRAN__V1__ADVISORY__SEVERITY__HIGH);
	assert_int_equal(a->n_references, 2);
	assert_int_equal(a->due_at_ms, 1796457600000LL);
	assert_string_equal(a->contact->name, "情報政策課");
	back = advisory_to_json(a);
	assert_string_equal(json_string_value(json_object_get(back, "kind")),
	    "request");
	assert_string_equal(json_string_value(json_object_get(back, "due_at")),
	    "2026-12-05T17:00:00+09:00");
	/* what to_json writes, from_json reads again */
	advisory_free(a);
	a = advisory_from_json(back, err, sizeof(err));
	if (a == NULL)
		fail_msg("round trip: %s", err);
	assert_int_equal(a->n_actions, 1);
	advisory_free(a);
	json_decref(back);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		o = json_loads(refused[i].json, 0, &je);
		assert_non_null(o);
		assert_null(advisory_from_json(o, err, sizeof(err)));
		if (strstr(err, refused[i].want) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", refused[i].json, err,
			    refused[i].want);
		json_decref(o);
	}
	o = advisory_template();
	assert_null(advisory_from_json(o, err, sizeof(err)));
	assert_non_null(strstr(err, "advisory.title: must not be empty"));
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_report),
		cmocka_unit_test(test_form_fields),
		cmocka_unit_test(test_form_fields_absent),
		cmocka_unit_test(test_triage_missing),
		cmocka_unit_test(test_minimal_and_round_trip),
		cmocka_unit_test(test_to_json_attachments),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_bom_accepted),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_advisory_json),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
