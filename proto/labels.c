/*
 * labels: the Japanese words of every surface (see kairan/labels.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kairan/labels.h"
#include "kairan.pb-c.h"

const char *
label_category(int c)
{
	switch (c) {
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__SYSTEM_OUTAGE:
		return "情報システムの停止等";
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK:
		return "外部からのサイバー攻撃";
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__THEFT_LOSS:
		return "重要情報の盗難・紛失等";
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER:
		return "その他";
	default:
		return LABEL_UNKNOWN;
	}
}

const char *
label_phase(int p)
{
	switch (p) {
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL:
		return "第1報";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE:
		return "続報";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED:
		return "収束宣言";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL:
		return "最終報告";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN:
		/* The reason is the banner above the report, not this word. */
		return LABEL_WITHDRAWN;
	default:
		return LABEL_UNKNOWN;
	}
}

const char *
label_status(int status)
{
	switch (status) {
	case KAIRAN__V1__STATUS__EXERCISE:
		return "訓練";
	case KAIRAN__V1__STATUS__TEST:
		return "テスト";
	default:
		return "";
	}
}

const char *
label_status_banner(int status)
{
	switch (status) {
	case KAIRAN__V1__STATUS__EXERCISE:
		return "【訓練】【訓練】【訓練】 これは訓練です。"
		    "実際のインシデントではありません。 【訓練】【訓練】【訓練】";
	case KAIRAN__V1__STATUS__TEST:
		return "【テスト】【テスト】 これはテストです。"
		    "実際のインシデントではありません。 【テスト】【テスト】";
	default:
		return NULL;
	}
}

/* The damage levels of the municipal plans (DESIGN.md §1). */
const char *
label_level(uint32_t level)
{
	switch (level) {
	case 0:
		return "被害なし";
	case 1:
		return "軽微な被害";
	case 2:
		return "被害は限定的で範囲が特定され、さらなる被害のおそれはない";
	case 3:
		return "被害が広範囲に及ぶ、または被害範囲が不明";
	default:
		return LABEL_UNKNOWN;
	}
}

const char *
label_determination(int d)
{
	switch (d) {
	case KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__UNDETERMINED:
		return "調査中（判断未了）";
	case KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__INCIDENT:
		return "情報セキュリティインシデントに該当する";
	case KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__NOT_INCIDENT:
		return "情報セキュリティインシデントに該当しない";
	default:
		return LABEL_UNKNOWN;
	}
}

const char *
label_receipt_state(int state)
{
	switch (state) {
	case KAIRAN__V1__RECEIPT__STATE__DELIVERED:
		return "配達済";
	case KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED:
		return "受理確認";
	case KAIRAN__V1__RECEIPT__STATE__REJECTED:
		return "受領拒否";
	case KAIRAN__V1__RECEIPT__STATE__DONE:
		return "対応済";
	default:
		return LABEL_UNKNOWN;
	}
}

const char *
label_detection_method(int method)
{
	switch (method) {
	case KAIRAN__V1__DETECTION__METHOD__DETECTED:
		return "検知";
	case KAIRAN__V1__DETECTION__METHOD__FOUND:
		return "発見";
	case KAIRAN__V1__DETECTION__METHOD__NOTIFIED:
		return "通報";
	default:
		return LABEL_UNKNOWN;
	}
}

const char *
label_channel_state(int state)
{
	switch (state) {
	case KAIRAN__V1__EXTERNAL_CHANNEL__STATE__UNDECIDED:
		return "未定";
	case KAIRAN__V1__EXTERNAL_CHANNEL__STATE__PLANNED:
		return "予定";
	case KAIRAN__V1__EXTERNAL_CHANNEL__STATE__DONE:
		return "実施済";
	case KAIRAN__V1__EXTERNAL_CHANNEL__STATE__NOT_NEEDED:
		return "不要";
	default:
		return LABEL_UNKNOWN;
	}
}

const char *
label_publication(int decision)
{
	switch (decision) {
	case KAIRAN__V1__PUBLICATION__DECISION__UNDECIDED:
		return "未定";
	case KAIRAN__V1__PUBLICATION__DECISION__PUBLISH:
		return "有";
	case KAIRAN__V1__PUBLICATION__DECISION__NO_PUBLISH:
		return "無";
	default:
		return LABEL_UNKNOWN;
	}
}

/* Report JSON keys (node/report.h, node/REPORT.md) and their form items. */
static const struct {
	const char	*key;
	const char	*label;
} fields[] = {
	{ "title", "件名" },
	{ "category", "種別" },
	{ "subtypes", "種別（詳細）" },
	{ "level", "被害レベル" },
	{ "occurred_at", "発生日時" },
	{ "discovered_at", "発見日時" },
	{ "proxy_logs_checked_at", "プロキシログ確認日時" },
	{ "location", "発生場所" },
	{ "summary", "概要" },
	{ "affected_services", "影響を受けたサービス" },
	{ "affected_systems", "影響を受けたシステム" },
	{ "cause", "原因" },
	{ "damage", "被害・影響範囲" },
	{ "records_affected", "漏えい件数" },
	{ "is_incident", "インシデントか否かの判断" },
	{ "response", "対応状況" },
	{ "prevention", "再発防止策" },
	{ "external_response", "外部対応" },
	{ "other", "その他" },
	{ "contact", "連絡先" },
	{ "contact.name", "担当" },
	{ "contact.organization", "所属" },
	{ "contact.phone", "電話" },
	{ "contact.after_hours_phone", "時間外" },
	{ "contact.fax", "FAX" },
	{ "contact.email", "メール" },
	{ "contact.hours", "対応時間" },
	{ "attachments", "添付" },
	/* 報告様式1 of 宮崎市 (001_497a7f08171ce70d.txt), word for word. */
	{ "author", "差出人" },
	{ "author.name", "氏名" },
	{ "author.role", "職" },
	{ "detection", "検知・発見・通報" },
	{ "detection.method", "検知・発見・通報の別" },
	{ "detection.by", "検知・発見・通報した者" },
	{ "detection.detail", "経緯" },
	{ "service_overview", "サービスの概要" },
	{ "service_impact", "サービスへの影響" },
	{ "system_overview", "システムの概要" },
	{ "suspected_act", "原因として想定される行為" },
	{ "damage_scale", "損害規模" },
	{ "leaked_info", "漏えいした情報の概要" },
	{ "initial_response", "初動対応" },
	{ "recovery", "復旧措置" },
	{ "recovery.measures", "復旧措置" },
	{ "recovery.status", "復旧状況" },
	{ "recovery.outlook", "復旧見込み" },
	{ "recovery.cost_yen", "復旧に要する金額" },
	{ "press_release", "報道発表" },
	{ "residents", "住民への連絡" },
	{ "government", "総務省・都道府県への連絡" },
	{ "agencies", "NISC・警察機関等への連絡" },
	{ "publication", "公表の有無" },
	{ "publication.decision", "公表の有無" },
	{ "publication.approved_by", "承認者" },
};

const char *
label_field(const char *key)
{
	size_t i;

	if (key == NULL)
		return NULL;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].key, key) == 0)
			return fields[i].label;
	return NULL;
}
