/*
 * test_form: the 報告様式 (proto/form.c) as lines and as text: every
 * numbered item present, the 訓練 banner at top and bottom for exercises
 * (テスト for tests, none for real reports), times in JST, unknown items
 * shown as （調査中）; the layout of 報告様式1 against
 * tests/unit/data/form-reference.txt; a report without the issue-11 fields
 * still shown whole; control characters, OSC sequences and bidi overrides
 * in the report's strings (old data, another implementation) shown as
 * visible escapes, a newline in a one-line field unable to start a line of
 * its own; the lines themselves (kind, number, label, value, depth) for a
 * full and an empty report, and their JSON for the console.
 *
 * The fixtures are report JSON read with the node's parser (node/report.c),
 * so this test links the node's modules too (Makefile); the module under
 * test needs only libkairan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "kairan/form.h"
#include "kairan/message.h"
#include "report.h"

static IncidentReport *
sample_report(void)
{
	const char *text = "{\"title\": \"標的型攻撃メールによるマルウェア感染\", "
	    "\"category\": \"cyber_attack\", \"subtypes\": [\"標的型攻撃\"], "
	    "\"level\": 3, \"occurred_at\": \"2026-11-22T08:05:00+09:00\", "
	    "\"discovered_at\": \"2026-11-22T00:30:00Z\", "
	    "\"location\": \"本庁舎\", \"summary\": \"一行目\\n二行目\", "
	    "\"affected_services\": [\"住民情報系\"], "
	    "\"affected_systems\": [\"職員端末\"], \"cause\": \"添付ファイル\", "
	    "\"records_affected\": 1234567, \"is_incident\": \"incident\", "
	    "\"response\": \"隔離\", \"contact\": {\"name\": \"情報政策課\", "
	    "\"phone\": \"0985-21-1712\"}, \"attachments\": [{\"name\": "
	    "\"memo.txt\", \"media_type\": \"text/plain\", \"data_base64\": "
	    "\"5pel5pys\"}]}";
	IncidentReport *r;
	char err[256];
	json_t *j;

	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	r = report_from_json(j, NULL, err, sizeof(err));
	json_decref(j);
	if (r == NULL)
		fail_msg("%s", err);
	return r;
}

static uint8_t id[KAIRAN_ID_LEN], inc[KAIRAN_ID_LEN];
static char *rcpts[] = { "450006", "mic" };

/* m as report 2 (続報) of r with status (r's incident id set: unset_id). */
static void
message_of(Message *m, IncidentReport *r, int status)
{
	kairan__v1__message__init(m);
	memset(id, 0xab, sizeof(id));
	memset(inc, 0xcd, sizeof(inc));
	r->incident_id.data = inc;
	r->incident_id.len = sizeof(inc);
	r->report_no = 2;
	r->phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE;
	m->id.data = id;
	m->id.len = sizeof(id);
	m->sender = "452017";
	m->recipients = rcpts;
	m->n_recipients = 2;
	m->created_at_ms = 1795307400000LL;	/* 2026-11-22 09:30 JST */
	m->status = status;
	m->body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m->report = r;
}

/* The incident id is the test's static buffer: not for report_free. */
static void
unset_id(IncidentReport *r)
{
	r->incident_id.data = NULL;
	r->incident_id.len = 0;
}

/* Renders r as report 2 (続報) with status; returns a malloc'd string. */
static char *
render(IncidentReport *r, int status)
{
	Message m;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	message_of(&m, r, status);
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	assert_int_equal(form_print(fp, &m, NULL, NULL), 0);
	fclose(fp);
	unset_id(r);
	return buf;
}

/* The lines of r as report 2 with status (free with form_free). */
static struct form *
build(IncidentReport *r, int status)
{
	struct form *f;
	Message m;

	message_of(&m, r, status);
	assert_int_equal(form_build(&m, NULL, NULL, &f), 0);
	assert_non_null(f);
	unset_id(r);
	return f;
}

/* The first line with label (and number no, if not NULL), or a failure. */
static const struct form_line *
find(const struct form *f, const char *no, const char *label)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->lines[i].label, label) == 0 &&
		    (no == NULL || strcmp(f->lines[i].no, no) == 0))
			return &f->lines[i];
	fail_msg("no line %s %s", no != NULL ? no : "", label);
	return NULL;
}

static void
expect(const struct form *f, const char *no, const char *label,
    enum form_kind kind, int depth, const char *value)
{
	const struct form_line *l = find(f, no, label);

	assert_int_equal(l->kind, kind);
	assert_int_equal(l->depth, depth);
	assert_string_equal(l->value, value);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* Where this file's data lives (the tests run from the repository root). */
#define DATA_DIR	"tests/unit/data/"

/* A whole file into a malloc'd string. */
static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *in, *fp;
	int c;

	if ((in = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	while ((c = fgetc(in)) != EOF)
		fputc(c, fp);
	fclose(in);
	fclose(fp);
	return buf;
}

static IncidentReport *
full_report(void)
{
	IncidentReport *r;
	char err[256];

	r = report_from_file(DATA_DIR "form-full.json", err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	return r;
}

/*
 * The layout of 報告様式1 against the committed reference rendering, line
 * by line: a report with every field set, fixed ids and times (the first
 * differing line is named). Set KAIRAN_FORM_WRITE=1 to print the current
 * rendering, to review a deliberate change.
 */
static void
test_reference(void **state)
{
	IncidentReport *r = full_report();
	char *got, *want, *g, *w, *ge, *we;
	int line = 1;

	(void)state;
	got = render(r, KAIRAN__V1__STATUS__ACTUAL);
	if (getenv("KAIRAN_FORM_WRITE") != NULL)
		fputs(got, stdout);
	want = slurp(DATA_DIR "form-reference.txt");
	for (g = got, w = want; *g != '\0' || *w != '\0'; line++) {
		ge = strchr(g, '\n');
		we = strchr(w, '\n');
		if (ge == NULL)
			ge = g + strlen(g);
		if (we == NULL)
			we = w + strlen(w);
		if (ge - g != we - w || memcmp(g, w, (size_t)(ge - g)) != 0)
			fail_msg("line %d:\n want: %.*s\n  got: %.*s", line,
			    (int)(we - w), w, (int)(ge - g), g);
		g = *ge != '\0' ? ge + 1 : ge;
		w = *we != '\0' ? we + 1 : we;
	}
	free(want);
	free(got);
	report_free(r);
}

/* The seed form's items, in its order and words. */
static void
test_items(void **state)
{
	static const char *order[] = {
		"日付: ", "宛先: ", "差出人: ",
		"情報セキュリティインシデント事案の発生について報告（第2報）",
		"このことについて、業務において", "\n記\n",
		"\n1. 事案の状況\n", "(1) 発生した事案の種類",
		"(2) 発生日時", "(3) 発生場所", "(4) 発生した事案の概要",
		"\n2. 事案が発生したサービスの概要及びサービスへの影響並びに"
		    "システムの概要\n",
		"\n3. 事案が発生した原因（及び原因として想定される行為）\n",
		"\n4. 確認した被害状況・影響範囲（損害規模等）\n",
		"情報漏えいの場合は、漏えいした情報の概要及び件数",
		"\n5. 事案が情報セキュリティインシデントに該当するか否かの"
		    "判断結果\n",
		"\n6. 対応状況（初動対応、復旧措置（復旧状況及び復旧見込み、"
		    "復旧に要する金額等））\n",
		"\n7. 再発防止策（恒久対応）\n",
		"\n8. 対外的な対応（報道発表、住民への連絡、総務省・都道府県・"
		    "NISC・警察機関等への連絡）\n",
		"\n9. その他\n", "\n以上\n", "対応記録等は別紙のとおり", NULL
	};
	IncidentReport *r = full_report();
	const char *p;
	char *s;
	size_t i;

	(void)state;
	s = render(r, KAIRAN__V1__STATUS__ACTUAL);
	for (p = s, i = 0; order[i] != NULL; i++) {
		if ((p = strstr(p, order[i])) == NULL)
			fail_msg("missing or out of order: \"%s\" in:\n%s",
			    order[i], s);
		p += strlen(order[i]);
	}
	assert_null(strstr(s, "（調査中）"));	/* every field was set */
	assert_null(strstr(s, "訓練"));
	assert_null(strstr(s, "テスト"));
	free(s);
	report_free(r);
}

static void
test_exercise_banner(void **state)
{
	IncidentReport *r = sample_report();
	char *s;

	(void)state;
	s = render(r, KAIRAN__V1__STATUS__EXERCISE);
	/* Top and bottom. */
	assert_true(strncmp(s, "【訓練】", strlen("【訓練】")) == 0);
	assert_true(count(s, "これは訓練です") == 2);
	assert_non_null(strstr(strstr(s, "以上"), "【訓練】"));
	free(s);
	s = render(r, KAIRAN__V1__STATUS__TEST);
	assert_true(strncmp(s, "【テスト】", strlen("【テスト】")) == 0);
	assert_true(count(s, "これはテストです") == 2);
	assert_null(strstr(s, "訓練"));
	free(s);
	report_free(r);
}

/*
 * A report from before issue 11 (none of the new fields, as an older node
 * sends it): every item still there, the new parts （調査中）, its one
 * 対応状況 and 外部対応 texts shown in items 6 and 8.
 */
static void
test_old_report(void **state)
{
	IncidentReport *r = sample_report();
	char *s;

	(void)state;
	assert_null(r->author);
	assert_null(r->recovery);
	assert_null(r->press_release);
	s = render(r, KAIRAN__V1__STATUS__ACTUAL);
	assert_non_null(strstr(s, "差出人: 452017\n\n"));
	assert_non_null(strstr(s, "　(1) サービスの概要:\n　　（調査中）\n"));
	assert_non_null(strstr(s, "　(2) 原因として想定される行為:\n"
	    "　　（調査中）\n"));
	assert_non_null(strstr(s, "　(1) 原因:\n　　添付ファイル\n"));
	assert_non_null(strstr(s, "　対応状況:\n　　隔離\n"));
	assert_non_null(strstr(s, "　　復旧に要する金額: （調査中）\n"));
	assert_non_null(strstr(s, "　(1) 報道発表: （調査中）\n"));
	assert_non_null(strstr(s, "　(4) NISC・警察機関等への連絡: （調査中）\n"));
	assert_non_null(strstr(s, "　公表の有無: （調査中）\n"));
	assert_non_null(strstr(s, "　　漏えい件数: 1,234,567件\n"));
	assert_non_null(strstr(s, "\n9. その他\n　（調査中）\n"));
	free(s);
	report_free(r);
}

static void
test_unfilled(void **state)
{
	IncidentReport r = KAIRAN__V1__INCIDENT_REPORT__INIT;
	char *s;

	(void)state;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER;
	r.summary = "概要のみ";
	s = render(&r, KAIRAN__V1__STATUS__ACTUAL);
	assert_non_null(strstr(s, "(2) 発生日時: （調査中）"));
	assert_non_null(strstr(s, "業務において（調査中）の事案が発生した"));
	assert_non_null(strstr(s, "漏えい件数: （調査中）"));
	assert_non_null(strstr(s, "調査中（判断未了）"));
	assert_non_null(strstr(s, "別紙: なし"));
	assert_non_null(strstr(s, "連絡先: （調査中）"));
	assert_null(strstr(s, "未記入"));
	assert_true(count(s, "（調査中）") >= 25);
	free(s);
}

static void
test_escaped(void **state)
{
	IncidentReport r = KAIRAN__V1__INCIDENT_REPORT__INIT;
	Kairan__V1__Contact k = KAIRAN__V1__CONTACT__INIT;
	char *subtypes[] = { "ウイルス\x1b[31m" };
	char *s;

	(void)state;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER;
	r.title = "本物\n報告区分: 収束宣言";
	r.summary = "\x1b[2J\x1b]0;偽\x07【訂正】本件は誤報です\n"
	    "二行目\t\xe2\x80\xae反転";
	r.subtypes = subtypes;
	r.n_subtypes = 1;
	k.name = "担当\xc2\x9b者";	/* C1 CSI, U+009B */
	r.contact = &k;
	s = render(&r, KAIRAN__V1__STATUS__ACTUAL);
	if (strchr(s, 0x1b) != NULL || strchr(s, 0x07) != NULL ||
	    strstr(s, "\xe2\x80\xae") != NULL ||
	    strstr(s, "\xc2\x9b") != NULL)
		fail_msg("raw control in:\n%s", s);
	assert_non_null(strstr(s, "業務において本物\\x0a報告区分: 収束宣言の事案"));
	assert_non_null(strstr(s, "　　\\x1b[2J\\x1b]0;偽\\x07【訂正】本件は"
	    "誤報です\n"));
	/* A long text keeps its lines and tabs, escapes the rest. */
	assert_non_null(strstr(s, "　　二行目\t\\u202e反転\n"));
	assert_non_null(strstr(s, "ウイルス\\x1b[31m"));
	assert_non_null(strstr(s, "担当\\u009b者"));
	/* Only the form's own line says 報告区分. */
	assert_true(count(s, "\n報告区分: ") == 1);
	free(s);
}

static void
test_not_a_report(void **state)
{
	Message m = KAIRAN__V1__MESSAGE__INIT;
	struct form *f = (struct form *)&m;	/* set to NULL on failure */

	(void)state;
	assert_int_equal(form_build(&m, NULL, NULL, &f), -1);
	assert_null(f);
	assert_int_equal(form_print(stdout, &m, NULL, NULL), -1);
	form_free(NULL);	/* a no-op */
}

/*
 * The lines of a full report: each item with the form's number, label,
 * value and depth, in the form's order; free texts keep their lines.
 */
static void
test_lines_full(void **state)
{
	IncidentReport *r = full_report();
	const struct form_line *l;
	struct form *f;
	size_t i, prev = 0;

	(void)state;
	f = build(r, KAIRAN__V1__STATUS__ACTUAL);
	/* Real traffic: no banner; 日付 first, the 報告番号 last. */
	assert_int_equal(f->lines[0].kind, FORM_ITEM);
	assert_string_equal(f->lines[0].label, "日付");
	assert_string_equal(f->lines[0].value, "2026年11月22日 09時30分");
	assert_string_equal(f->lines[f->n - 1].label, "報告番号");
	for (i = 0; i < f->n; i++)
		assert_int_not_equal(f->lines[i].kind, FORM_BANNER);
	expect(f, NULL, "宛先", FORM_ITEM, 0, "450006、mic");
	l = &f->lines[find(f, NULL, "差出人") - f->lines + 1];
	assert_int_equal(l->kind, FORM_TEXT);
	assert_string_equal(l->value,
	    "統括情報セキュリティ責任者（CSIRT責任者）　日向 一郎");
	l = find(f, NULL, "情報セキュリティインシデント事案の発生について報告"
	    "（第2報）");
	assert_int_equal(l->kind, FORM_TITLE);
	assert_true(l->gap);
	expect(f, "", "記", FORM_HEADING, 0, "");
	expect(f, "1", "事案の状況", FORM_HEADING, 0, "");
	expect(f, "1.(1)", "発生した事案の種類", FORM_ITEM, 1,
	    "外部からのサイバー攻撃（標的型攻撃、ウイルス）");
	expect(f, "1.(2)", "発生日時", FORM_ITEM, 1, "2026年11月22日 08時05分");
	expect(f, NULL, "発見日時", FORM_ITEM, 3, "2026年11月22日 09時30分");
	expect(f, NULL, "経緯", FORM_BLOCK, 3, "不審な通信の通報を受けた。");
	expect(f, "1.(3)", "発生場所", FORM_ITEM, 1, "本庁舎 3階");
	expect(f, "1.(4)", "発生した事案の概要", FORM_BLOCK, 1, "一行目\n二行目");
	expect(f, "2.(1)", "サービスの概要", FORM_BLOCK, 1, "住民税の証明書発行");
	expect(f, NULL, "影響を受けたシステム", FORM_ITEM, 1,
	    "職員端末、ファイルサーバ");
	expect(f, "4.(3)", "情報漏えいの場合は、漏えいした情報の概要及び件数",
	    FORM_HEADING, 1, "");
	expect(f, NULL, "漏えい件数", FORM_ITEM, 2, "1,234,567件");
	expect(f, NULL, "復旧に要する金額", FORM_ITEM, 2, "1,650,000円");
	expect(f, "8.(3)", "総務省・都道府県への連絡", FORM_ITEM, 1,
	    "実施済（2026年11月22日 10時30分）");
	expect(f, NULL, "公表の有無", FORM_ITEM, 1, "有（承認者: CISO 副市長）");
	expect(f, NULL, "連絡先", FORM_GROUP, 1, "");
	expect(f, NULL, "電話", FORM_ITEM, 2, "0985-21-1712");
	expect(f, "", "以上", FORM_END, 0, "");
	expect(f, NULL, "別紙", FORM_GROUP, 0, "");
	l = &f->lines[find(f, NULL, "別紙") - f->lines + 1];
	assert_int_equal(l->kind, FORM_ATTACHMENT);
	assert_string_equal(l->no, "1");
	assert_string_equal(l->value, "memo.txt（text/plain、6バイト）");
	expect(f, NULL, "sha256", FORM_DIGEST, 1, "cf2abf0c5be326cb922a70f8163f"
	    "91079c4d9aa8655c60ead89ad545c9de2e92");
	expect(f, NULL, "報告区分", FORM_ITEM, 0, "続報");
	/* Items 1-9 in order, each heading after a blank line. */
	for (i = 0; i < f->n; i++) {
		l = &f->lines[i];
		if (l->kind != FORM_HEADING || l->depth != 0 || l->no[0] == '\0')
			continue;
		assert_true(l->gap);
		assert_true((size_t)atoi(l->no) == prev + 1);
		prev = (size_t)atoi(l->no);
	}
	assert_int_equal(prev, 9);
	form_free(f);
	report_free(r);
}

/* An empty report: every field's line says （調査中）, none is left out. */
static void
test_lines_empty(void **state)
{
	IncidentReport r = KAIRAN__V1__INCIDENT_REPORT__INIT;
	struct form *f;
	size_t i, unfilled = 0;

	(void)state;
	f = build(&r, KAIRAN__V1__STATUS__ACTUAL);
	expect(f, "1.(2)", "発生日時", FORM_ITEM, 1, "（調査中）");
	expect(f, "1.(3)", "発生場所", FORM_ITEM, 1, "（調査中）");
	expect(f, "1.(4)", "発生した事案の概要", FORM_BLOCK, 1, "（調査中）");
	expect(f, "3.(1)", "原因", FORM_BLOCK, 1, "（調査中）");
	expect(f, NULL, "漏えい件数", FORM_ITEM, 2, "（調査中）");
	expect(f, "8.(1)", "報道発表", FORM_ITEM, 1, "（調査中）");
	expect(f, NULL, "連絡先", FORM_ITEM, 1, "（調査中）");
	expect(f, NULL, "別紙", FORM_ITEM, 0, "なし");
	for (i = 0; i < f->n; i++)
		if (strcmp(f->lines[i].value, FORM_UNFILLED) == 0)
			unfilled++;
	assert_true(unfilled >= 25);
	form_free(f);
}

/* An exercise: the 訓練 banner is the first line and the last. */
static void
test_lines_banner(void **state)
{
	IncidentReport *r = sample_report();
	struct form *f;

	(void)state;
	f = build(r, KAIRAN__V1__STATUS__EXERCISE);
	assert_int_equal(f->lines[0].kind, FORM_BANNER);
	assert_non_null(strstr(f->lines[0].label, "これは訓練です"));
	assert_false(f->lines[0].gap);
	assert_true(f->lines[1].gap);	/* the blank line under it */
	assert_int_equal(f->lines[f->n - 1].kind, FORM_BANNER);
	assert_string_equal(f->lines[f->n - 1].label, f->lines[0].label);
	form_free(f);
	report_free(r);
}

/* The console's JSON: {"lines": [{kind, no, label, value, depth, gap}]}. */
static void
test_json(void **state)
{
	IncidentReport *r = full_report();
	json_t *o, *a, *x;
	struct form *f;
	size_t i;
	int found = 0;

	(void)state;
	f = build(r, KAIRAN__V1__STATUS__EXERCISE);
	o = form_json(f);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 1);
	a = json_object_get(o, "lines");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), f->n);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 0), "kind")), "banner");
	json_array_foreach(a, i, x) {
		assert_int_equal(json_object_size(x), 6);
		assert_true(json_is_string(json_object_get(x, "kind")));
		assert_true(json_is_string(json_object_get(x, "no")));
		assert_true(json_is_string(json_object_get(x, "label")));
		assert_true(json_is_string(json_object_get(x, "value")));
		assert_true(json_is_integer(json_object_get(x, "depth")));
		assert_true(json_is_boolean(json_object_get(x, "gap")));
		if (strcmp(json_string_value(json_object_get(x, "no")),
		    "1.(3)") == 0) {
			assert_string_equal(json_string_value(json_object_get(x,
			    "kind")), "item");
			assert_string_equal(json_string_value(json_object_get(x,
			    "label")), "発生場所");
			assert_string_equal(json_string_value(json_object_get(x,
			    "value")), "本庁舎 3階");
			assert_int_equal(json_integer_value(json_object_get(x,
			    "depth")), 1);
			found++;
		}
	}
	assert_int_equal(found, 1);
	json_decref(o);
	form_free(f);
	report_free(r);
}

/*
 * What the caller says about the proxy logs (form_context): the 第1報's
 * deadline and a later report's verdict under 発見日時, escaped like the
 * report's own text.
 */
static void
test_context(void **state)
{
	IncidentReport r = KAIRAN__V1__INCIDENT_REPORT__INIT;
	struct form_context ctx = { 1795328400000LL, "期限内\x1b[2J" };
	struct form *f;
	Message m;
	size_t i;

	(void)state;
	r.proxy_logs_checked_at_ms = 1795307400000LL;
	message_of(&m, &r, KAIRAN__V1__STATUS__ACTUAL);
	assert_int_equal(form_build(&m, NULL, &ctx, &f), 0);
	i = (size_t)(find(f, NULL, "発見日時") - f->lines);
	assert_string_equal(f->lines[i + 1].label, "プロキシログ確認期限");
	assert_string_equal(f->lines[i + 1].value,
	    "2026年11月22日 15時20分（事案発覚後6時間以内）");
	assert_string_equal(f->lines[i + 2].label, "プロキシログ確認日時");
	assert_string_equal(f->lines[i + 2].value, "2026年11月22日 09時30分");
	assert_string_equal(f->lines[i + 3].label, "プロキシログ確認");
	assert_string_equal(f->lines[i + 3].value, "期限内\\x1b[2J");
	assert_int_equal(f->lines[i + 3].depth, 3);
	form_free(f);
	/* Without it: only what the report itself says. */
	assert_int_equal(form_build(&m, NULL, NULL, &f), 0);
	i = (size_t)(find(f, NULL, "発見日時") - f->lines);
	assert_string_equal(f->lines[i + 1].label, "プロキシログ確認日時");
	assert_string_equal(f->lines[i + 2].label, "検知・発見・通報の別");
	form_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_old_report),
		cmocka_unit_test(test_exercise_banner),
		cmocka_unit_test(test_unfilled),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_not_a_report),
		cmocka_unit_test(test_lines_full),
		cmocka_unit_test(test_lines_empty),
		cmocka_unit_test(test_lines_banner),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
