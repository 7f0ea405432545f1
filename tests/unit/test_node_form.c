/*
 * test_node_form: the 報告様式 rendering: every numbered item present, the
 * 訓練 banner at top and bottom for exercises (テスト for tests, none for
 * real reports), times in JST, unknown items shown as 未記入; control
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

static void
test_items(void **state)
{
	static const char *want[] = {
		"情報セキュリティインシデント報告（第2報）", "続報",
		"件名: 標的型攻撃メールによるマルウェア感染",
		"インシデント番号: cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"報告日時: 2026年11月22日 09時30分",
		"報告者: 452017\n", "報告区分: 続報", "宛先: 450006、mic",
		"連絡先:", "0985-21-1712",
		"1. 事案の状況", "種別: 外部からのサイバー攻撃（標的型攻撃）",
		"発生日時: 2026年11月22日 08時05分",
		"発見日時: 2026年11月22日 09時30分", "発生場所: 本庁舎",
		"概要:", "　　一行目\n　　二行目\n",
		"2. 被害の状況", "レベル: 3（被害が広範囲", "サービス: 住民情報系",
		"システム: 職員端末", "被害・影響範囲:", "漏えい件数: 1,234,567件",
		"3. 原因", "添付ファイル",
		"4. インシデントか否かの判断",
		"情報セキュリティインシデントに該当する",
		"5. 対応状況（封じ込め・復旧）", "隔離",
		"6. 再発防止策", "（未記入）",
		"7. 外部対応（報道・住民・総務省・都道府県・NISC・警察）",
		"8. その他", "添付:", "memo.txt（text/plain、6バイト）",
		"sha256: ", NULL
	};
	IncidentReport *r = sample_report();
	char *s;
	size_t i;

	(void)state;
	s = render(r, KAIRAN__V1__STATUS__ACTUAL);
	for (i = 0; want[i] != NULL; i++)
		if (strstr(s, want[i]) == NULL)
			fail_msg("missing \"%s\" in:\n%s", want[i], s);
	/* The items come in the order of the form. */
	assert_true(strstr(s, "1. 事案の状況") < strstr(s, "2. 被害の状況"));
	assert_true(strstr(s, "7. 外部対応") < strstr(s, "8. その他"));
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

static void
test_unfilled(void **state)
{
	IncidentReport r = KAIRAN__V1__INCIDENT_REPORT__INIT;
	char *s;

	(void)state;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER;
	r.summary = "概要のみ";
	s = render(&r, KAIRAN__V1__STATUS__ACTUAL);
	assert_non_null(strstr(s, "発生日時: 未確認"));
	assert_non_null(strstr(s, "漏えい件数: なし"));
	assert_non_null(strstr(s, "調査中"));
	assert_non_null(strstr(s, "添付: なし"));
	assert_non_null(strstr(s, "連絡先: （未記入）"));
	assert_true(count(s, "（未記入）") >= 7);
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
	assert_non_null(strstr(s, "件名: 本物\\x0a報告区分: 収束宣言\n"));
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
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_exercise_banner),
		cmocka_unit_test(test_unfilled),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_not_a_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
