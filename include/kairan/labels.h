/*
 * labels: the Japanese words people read on every kairan surface (the
 * node's command line, the 報告様式, later the relay's web console), in
 * one place so that a category or a phase is called the same everywhere.
 * The words are those of the municipal CSIRT plans and their report form
 * (報告様式; see node/REPORT.md for the form item of each report field).
 *
 * Every function takes the wire enum value (kairan.proto) and returns a
 * static string; a value it does not know gives 不明, never NULL.
 */
#ifndef KAIRAN_LABELS_H
#define KAIRAN_LABELS_H

#include <stdint.h>

/* A withdrawn report or incident (取消, CAP's Cancel, Lアラート's 取消). */
#define LABEL_WITHDRAWN	"取消"
#define LABEL_UNKNOWN	"不明"

/*
 * The deadlines of node/deadline.h: the proxy logs checked within six
 * hours of discovery (003 「事案発覚後6時間以内」) and whether a report
 * says that was met; the final report about a month after 収束宣言.
 */
#define LABEL_PROXY_CHECK	"プロキシログ確認"
#define LABEL_PROXY_DEADLINE	"プロキシログ確認期限"
#define LABEL_PROXY_MET		"期限内"
#define LABEL_PROXY_MISSED	"期限超過"
#define LABEL_PROXY_UNCHECKED	"未確認"
#define LABEL_FINAL_REPORT	"最終報告"

/* 情報システムの停止等 / 外部からのサイバー攻撃 / 重要情報の盗難・紛失等 / その他 */
const char	*label_category(int category);
/* 第1報 / 続報 / 収束宣言 / 最終報告 / 取消 (LABEL_WITHDRAWN) */
const char	*label_phase(int phase);
/* 訓練 (EXERCISE) / テスト (TEST); "" for real traffic (ACTUAL). */
const char	*label_status(int status);
/*
 * The banner that opens and closes every page of exercise or test
 * traffic ("【訓練】… これは訓練です。…"), or NULL for real traffic.
 */
const char	*label_status_banner(int status);
/* The damage level's meaning in the plans: 0 被害なし … 3 被害が広範囲に… */
const char	*label_level(uint32_t level);
/* 調査中（判断未了） / …に該当する / …に該当しない */
const char	*label_determination(int determination);
/* 配達済 (DELIVERED) / 受理確認 (ACKNOWLEDGED) / 受領拒否 (REJECTED) */
const char	*label_receipt_state(int state);
/* 検知 (DETECTED) / 発見 (FOUND) / 通報 (NOTIFIED), 001 「検知、発見、通報等」 */
const char	*label_detection_method(int method);
/* Item 8's channel state: 未定 / 予定 / 実施済 / 不要 */
const char	*label_channel_state(int state);
/* 公表の有無: 未定 / 有 / 無 */
const char	*label_publication(int decision);
/*
 * The report-form item of a report JSON key ("summary" -> "概要",
 * "contact.phone" -> "電話"), or NULL for a key that is not a report field.
 */
const char	*label_field(const char *key);

#endif
