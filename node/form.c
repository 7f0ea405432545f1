/*
 * form: one report laid out like the municipal report form (報告様式) of
 * the CSIRT plans (宮崎市: 「情報セキュリティインシデント事案の発生について
 * 報告（第〇報）」, 1. 事案の状況 ... ), for `kairan-node show --form`.
 *
 * People read this on paper and on screen in the middle of an incident, so
 * items that are not known yet are printed as （未記入） rather than left
 * out: the numbering stays that of the form, and the next report fills
 * them in. Exercise and test traffic carries a banner at the top and at
 * the bottom, so that no page of a drill can be taken for a real incident.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kairan/directory.h"
#include "kairan/message.h"
#include "form.h"

#define UNFILLED	"（未記入）"

typedef Kairan__V1__Contact	Contact;

/* "2026年11月22日 09時30分" in JST (UTC+9, fixed), or 未確認 if unknown. */
static const char *
form_time(int64_t ms, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (ms <= 0) {
		snprintf(buf, len, "未確認");
		return buf;
	}
	t = (time_t)(ms / 1000) + 9 * 3600;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "未確認");
		return buf;
	}
	snprintf(buf, len, "%04d年%02d月%02d日 %02d時%02d分",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min);
	return buf;
}

static const char *
banner(int status)
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

static const char *
phase_label(int phase)
{
	switch (phase) {
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL:
		return "第1報";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE:
		return "続報";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED:
		return "収束宣言";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL:
		return "最終報告";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN:
		return "取消";	/* the reason: cli.c's banner above the form */
	default:
		return "区分不明";
	}
}

static const char *
category_label(int c)
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
		return "不明";
	}
}

/* The damage levels of the municipal plans (DESIGN.md §1). */
static const char *
level_meaning(uint32_t level)
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
		return "不明";
	}
}

static const char *
determination_label(int d)
{
	switch (d) {
	case KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__UNDETERMINED:
		return "調査中（判断未了）";
	case KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__INCIDENT:
		return "情報セキュリティインシデントに該当する";
	case KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__NOT_INCIDENT:
		return "情報セキュリティインシデントに該当しない";
	default:
		return "不明";
	}
}

static const char *
entity_name(const struct directory *dir, const char *id)
{
	const struct dir_entity *e;

	if (dir == NULL || (e = directory_get(dir, id)) == NULL ||
	    e->name == NULL)
		return NULL;
	return e->name;
}

static int
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/*
 * A free text, each of its lines indented by indent; （未記入） if empty.
 */
static void
text_block(FILE *out, const char *indent, const char *s)
{
	const char *nl;

	if (empty(s)) {
		fprintf(out, "%s%s\n", indent, UNFILLED);
		return;
	}
	while (*s != '\0') {
		nl = strchr(s, '\n');
		if (nl == NULL) {
			fprintf(out, "%s%s\n", indent, s);
			break;
		}
		fprintf(out, "%s%.*s\n", indent, (int)(nl - s), s);
		s = nl + 1;
	}
}

/* "label: value" or "label: （未記入）". */
static void
line(FILE *out, const char *label, const char *value)
{
	fprintf(out, "　%s: %s\n", label, empty(value) ? UNFILLED : value);
}

/* A list joined with 、, or （未記入）. */
static void
list_line(FILE *out, const char *label, char **v, size_t n)
{
	size_t i;

	fprintf(out, "　%s: ", label);
	if (n == 0)
		fputs(UNFILLED, out);
	for (i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "、" : "", v[i]);
	fputc('\n', out);
}

static void
contact_lines(FILE *out, const Contact *k, const struct dir_entity *e)
{
	const char *name, *org, *phone, *ah, *fax, *mail, *hours;

	if (k != NULL) {
		name = k->name;
		org = k->organization;
		phone = k->phone;
		ah = k->after_hours_phone;
		fax = k->fax;
		mail = k->email;
		hours = k->hours;
	} else if (e != NULL) {
		/* Not in the report: the PoC from the directory. */
		fprintf(out, "連絡先（名簿より）:\n");
		name = e->contact.name;
		org = NULL;
		phone = e->contact.phone;
		ah = e->contact.after_hours_phone;
		fax = e->contact.fax;
		mail = e->contact.email;
		hours = e->contact.hours;
		goto print;
	} else {
		fprintf(out, "連絡先: %s\n", UNFILLED);
		return;
	}
	fprintf(out, "連絡先:\n");
print:
	if (!empty(org) || !empty(name))
		fprintf(out, "　担当: %s%s%s\n", empty(org) ? "" : org,
		    !empty(org) && !empty(name) ? " " : "",
		    empty(name) ? "" : name);
	if (!empty(phone))
		fprintf(out, "　電話: %s\n", phone);
	if (!empty(ah))
		fprintf(out, "　時間外: %s\n", ah);
	if (!empty(fax))
		fprintf(out, "　FAX: %s\n", fax);
	if (!empty(mail))
		fprintf(out, "　メール: %s\n", mail);
	if (!empty(hours))
		fprintf(out, "　対応時間: %s\n", hours);
}

/* 1234567 -> "1,234,567". */
static const char *
grouped(uint64_t v, char *buf, size_t len)
{
	char tmp[32];
	size_t n, i, o = 0;

	n = (size_t)snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	for (i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

int
form_render(FILE *out, const Message *m, const struct directory *dir)
{
	char t[64], hex[KAIRAN_ID_HEXLEN + 1], num[40], dig[65];
	const IncidentReport *r;
	const Kairan__V1__Attachment *a;
	const char *b, *name;
	size_t i;

	if (m == NULL || m->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT ||
	    (r = m->report) == NULL)
		return -1;
	b = banner(m->status);
	if (b != NULL)
		fprintf(out, "%s\n\n", b);

	fprintf(out, "情報セキュリティインシデント報告（第%" PRIu32 "報）\n"
	    "報告区分: %s\n", r->report_no, phase_label(r->phase));
	if (!empty(r->title))
		fprintf(out, "件名: %s\n", r->title);
	if (r->incident_id.len == KAIRAN_ID_LEN) {
		message_hex(r->incident_id.data, KAIRAN_ID_LEN, hex);
		fprintf(out, "インシデント番号: %s\n", hex);
	}
	if (m->id.len == KAIRAN_ID_LEN) {
		message_hex(m->id.data, KAIRAN_ID_LEN, hex);
		fprintf(out, "報告番号: %s\n", hex);
	}
	fprintf(out, "報告日時: %s\n", form_time(m->created_at_ms, t,
	    sizeof(t)));
	name = entity_name(dir, m->sender);
	if (name != NULL)
		fprintf(out, "報告者: %s（%s）\n", name, m->sender);
	else
		fprintf(out, "報告者: %s\n", m->sender);
	fprintf(out, "宛先: ");
	for (i = 0; i < m->n_recipients; i++) {
		name = entity_name(dir, m->recipients[i]);
		if (name != NULL)
			fprintf(out, "%s%s（%s）", i ? "、" : "", name,
			    m->recipients[i]);
		else
			fprintf(out, "%s%s", i ? "、" : "", m->recipients[i]);
	}
	fputc('\n', out);
	contact_lines(out, r->contact, dir != NULL ?
	    directory_get(dir, m->sender) : NULL);

	fprintf(out, "\n記\n\n1. 事案の状況\n");
	fprintf(out, "　(1) 種別: %s", category_label(r->category));
	if (r->n_subtypes > 0) {
		fputs("（", out);
		for (i = 0; i < r->n_subtypes; i++)
			fprintf(out, "%s%s", i ? "、" : "", r->subtypes[i]);
		fputs("）", out);
	}
	fputc('\n', out);
	fprintf(out, "　(2) 発生日時: %s\n", form_time(r->occurred_at_ms, t,
	    sizeof(t)));
	fprintf(out, "　(3) 発見日時: %s\n", form_time(r->discovered_at_ms, t,
	    sizeof(t)));
	line(out, "(4) 発生場所", r->location);
	fprintf(out, "　(5) 概要:\n");
	text_block(out, "　　", r->summary);

	fprintf(out, "\n2. 被害の状況\n");
	fprintf(out, "　(1) レベル: %" PRIu32 "（%s）\n", r->level,
	    level_meaning(r->level));
	fprintf(out, "　(2) 影響を受けたサービス・システム:\n");
	list_line(out, "　サービス", r->affected_services,
	    r->n_affected_services);
	list_line(out, "　システム", r->affected_systems,
	    r->n_affected_systems);
	fprintf(out, "　(3) 被害・影響範囲:\n");
	text_block(out, "　　", r->damage);
	if (r->records_affected > 0)
		fprintf(out, "　(4) 漏えい件数: %s件\n",
		    grouped(r->records_affected, num, sizeof(num)));
	else
		fprintf(out, "　(4) 漏えい件数: なし（または不明）\n");

	fprintf(out, "\n3. 原因\n");
	text_block(out, "　", r->cause);
	fprintf(out, "\n4. インシデントか否かの判断\n　%s\n",
	    determination_label(r->is_incident));
	fprintf(out, "\n5. 対応状況（封じ込め・復旧）\n");
	text_block(out, "　", r->response);
	fprintf(out, "\n6. 再発防止策\n");
	text_block(out, "　", r->prevention);
	fprintf(out, "\n7. 外部対応（報道・住民・総務省・都道府県・NISC・警察）\n");
	text_block(out, "　", r->external_response);
	fprintf(out, "\n8. その他\n");
	text_block(out, "　", r->other);

	if (r->n_attachments == 0)
		fprintf(out, "\n添付: なし\n");
	else
		fprintf(out, "\n添付:\n");
	for (i = 0; i < r->n_attachments; i++) {
		a = r->attachments[i];
		if (a->sha256.len == KAIRAN_DIGEST_LEN)
			message_hex(a->sha256.data, KAIRAN_DIGEST_LEN, dig);
		else
			snprintf(dig, sizeof(dig), "-");
		fprintf(out, "　%zu. %s（%s、%zuバイト）\n　   sha256: %s\n",
		    i + 1, a->name, a->media_type, a->data.len, dig);
	}
	fprintf(out, "\n以上\n");
	if (b != NULL)
		fprintf(out, "\n%s\n", b);
	if (fflush(out) == EOF || ferror(out))
		return -1;
	return 0;
}
