/*
 * test_labels: the Japanese words of every surface: each wire value has
 * its label (categories, phases with 収束宣言 and 最終報告, 訓練/テスト,
 * levels, determinations, receipt states), unknown values are 不明 and
 * never NULL, and every report JSON key has a form label.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kairan/labels.h"
#include "kairan.pb-c.h"

static void
test_enums(void **state)
{
	(void)state;
	assert_string_equal(label_category(
	    KAIRAN__V1__INCIDENT_REPORT__CATEGORY__SYSTEM_OUTAGE),
	    "情報システムの停止等");
	assert_string_equal(label_category(
	    KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK),
	    "外部からのサイバー攻撃");
	assert_string_equal(label_category(
	    KAIRAN__V1__INCIDENT_REPORT__CATEGORY__THEFT_LOSS),
	    "重要情報の盗難・紛失等");
	assert_string_equal(label_category(
	    KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER), "その他");
	assert_string_equal(label_category(0), "不明");
	assert_string_equal(label_category(99), "不明");

	assert_string_equal(label_phase(
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL), "第1報");
	assert_string_equal(label_phase(
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE), "続報");
	assert_string_equal(label_phase(
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED), "収束宣言");
	assert_string_equal(label_phase(
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL), "最終報告");
	assert_string_equal(label_phase(
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN), "取消");
	assert_string_equal(label_phase(-1), "不明");
	assert_string_equal(LABEL_WITHDRAWN, "取消");

	assert_string_equal(label_status(KAIRAN__V1__STATUS__ACTUAL), "");
	assert_string_equal(label_status(KAIRAN__V1__STATUS__EXERCISE),
	    "訓練");
	assert_string_equal(label_status(KAIRAN__V1__STATUS__TEST), "テスト");
	assert_null(label_status_banner(KAIRAN__V1__STATUS__ACTUAL));
	assert_non_null(strstr(label_status_banner(
	    KAIRAN__V1__STATUS__EXERCISE), "これは訓練です"));
	assert_non_null(strstr(label_status_banner(KAIRAN__V1__STATUS__TEST),
	    "これはテストです"));

	assert_string_equal(label_level(0), "被害なし");
	assert_string_equal(label_level(1), "軽微な被害");
	assert_non_null(strstr(label_level(2), "限定的"));
	assert_non_null(strstr(label_level(3), "広範囲"));
	assert_string_equal(label_level(4), "不明");

	assert_string_equal(label_determination(
	    KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__UNDETERMINED),
	    "調査中（判断未了）");
	assert_non_null(strstr(label_determination(
	    KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__NOT_INCIDENT),
	    "該当しない"));
	assert_string_equal(label_determination(7), "不明");

	assert_string_equal(label_receipt_state(
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED), "配達済");
	assert_string_equal(label_receipt_state(
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED), "受理確認");
	assert_string_equal(label_receipt_state(
	    KAIRAN__V1__RECEIPT__STATE__REJECTED), "受領拒否");
	assert_string_equal(label_receipt_state(0), "不明");
}

static void
test_fields(void **state)
{
	/* Every key report.c reads (node/REPORT.md lists the same). */
	static const char *keys[] = {
		"title", "category", "subtypes", "level", "occurred_at",
		"discovered_at", "location", "summary", "affected_services",
		"affected_systems", "cause", "damage", "records_affected",
		"is_incident", "response", "prevention", "external_response",
		"other", "contact", "attachments", "contact.name",
		"contact.organization", "contact.phone",
		"contact.after_hours_phone", "contact.fax", "contact.email",
		"contact.hours", "proxy_logs_checked_at", NULL
	};
	size_t i;

	(void)state;
	for (i = 0; keys[i] != NULL; i++)
		if (label_field(keys[i]) == NULL)
			fail_msg("no label for %s", keys[i]);
	assert_string_equal(label_field("summary"), "概要");
	assert_string_equal(label_field("contact.phone"), "電話");
	assert_null(label_field("incident_id"));
	assert_null(label_field(NULL));
}

/* The words of 報告様式1 for the issue-11 fields, as the seed writes them. */
static void
test_form_labels(void **state)
{
	(void)state;
	assert_string_equal(label_detection_method(
	    KAIRAN__V1__DETECTION__METHOD__DETECTED), "検知");
	assert_string_equal(label_detection_method(
	    KAIRAN__V1__DETECTION__METHOD__FOUND), "発見");
	assert_string_equal(label_detection_method(
	    KAIRAN__V1__DETECTION__METHOD__NOTIFIED), "通報");
	assert_string_equal(label_detection_method(0), LABEL_UNKNOWN);
	assert_string_equal(label_channel_state(
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__UNDECIDED), "未定");
	assert_string_equal(label_channel_state(
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__PLANNED), "予定");
	assert_string_equal(label_channel_state(
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__DONE), "実施済");
	assert_string_equal(label_channel_state(
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__NOT_NEEDED), "不要");
	assert_string_equal(label_channel_state(9), LABEL_UNKNOWN);
	assert_string_equal(label_publication(
	    KAIRAN__V1__PUBLICATION__DECISION__UNDECIDED), "未定");
	assert_string_equal(label_publication(
	    KAIRAN__V1__PUBLICATION__DECISION__PUBLISH), "有");
	assert_string_equal(label_publication(
	    KAIRAN__V1__PUBLICATION__DECISION__NO_PUBLISH), "無");
	assert_string_equal(label_publication(-1), LABEL_UNKNOWN);
	assert_string_equal(label_field("author"), "差出人");
	assert_string_equal(label_field("suspected_act"),
	    "原因として想定される行為");
	assert_string_equal(label_field("damage_scale"), "損害規模");
	assert_string_equal(label_field("leaked_info"), "漏えいした情報の概要");
	assert_string_equal(label_field("initial_response"), "初動対応");
	assert_string_equal(label_field("recovery.cost_yen"),
	    "復旧に要する金額");
	assert_string_equal(label_field("press_release"), "報道発表");
	assert_string_equal(label_field("residents"), "住民への連絡");
	assert_string_equal(label_field("publication"), "公表の有無");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_form_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
