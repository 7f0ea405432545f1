/*
 * test_node_form: the 報告様式 rendering: every numbered item present, the
 * 訓練 banner at top and bottom for exercises (テスト for tests, none for
 * real reports), times in JST, unknown items shown as （調査中）; the
 * layout of 報告様式1 against tests/unit/data/form-reference.txt; a
 * report without the issue-11 fields still shown whole; control
 * characters, OSC sequences and bidi overrides in the report's strings
 * (old data, another implementation) shown as visible escapes, a newline
 * in a one-line field unable to start a line of its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kairan/message.h"
#include "form.h"
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

/* Renders r as report 2 (続報) with status; returns a malloc'd string. */
static char *
render(IncidentReport *r, int status)
{
	Message m = KAIRAN__V1__MESSAGE__INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	memset(id, 0xab, sizeof(id));
	memset(inc, 0xcd, sizeof(inc));
	r->incident_id.data = inc;
	r->incident_id.len = sizeof(inc);
	r->report_no = 2;
	r->phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE;
	m.id.data = id;
	m.id.len = sizeof(id);
	m.sender = "452017";
	m.recipients = rcpts;
	m.n_recipients = 2;
	m.created_at_ms = 1795307400000LL;	/* 2026-11-22 09:30 JST */
	m.status = status;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = r;
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	assert_int_equal(form_render(fp, &m, NULL), 0);
	fclose(fp);
	r->incident_id.data = NULL;
	r->incident_id.len = 0;
	return buf;
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

	(void)state;
	assert_int_equal(form_render(stdout, &m, NULL), -1);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
