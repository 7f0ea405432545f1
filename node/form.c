/*
 * form: one report laid out as 報告様式1 of 宮崎市's 緊急時対応計画
 * (001_497a7f08171ce70d.txt) lays it out, for `kairan-node show --form`:
 * 日付, 宛先, 差出人, 件名 「情報セキュリティインシデント事案の発生について
 * 報告（第N報）」, 前文, 記, items 1-9 in the form's own words, 以上,
 * 「対応記録等は別紙のとおり」 and the 別紙 (attachments); then the ids
 * kairan needs (報告区分, インシデント番号, 報告番号), which the paper form
 * has no place for.
 *
 * People read this on paper and on screen in the middle of an incident, so
 * items that are not known yet are printed as （調査中） rather than left
 * out: the 記入要領 allows blanks (「判明していない部分は未記入でも可。報数を
 * 重ねていくうちに埋めていく」), the numbering stays that of the form, and
 * the next report fills them in. Exercise and test traffic carries a banner at the top and at
 * the bottom, so that no page of a drill can be taken for a real incident.
 *
 * Every string that came with the report is written through text.h: a
 * control character, a bidi override or a bad byte in it shows as a
 * visible escape ("\x1b", "\u202e") instead of acting on the terminal, and
 * a one-line field (a title, a name) cannot start a line of its own. The
 * words of the form are labels.h's.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/directory.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/message.h"
#include "kairan/text.h"
#include "deadline.h"
#include "form.h"

#define UNFILLED	"（調査中）"

typedef Kairan__V1__Contact	Contact;

static void	proxy_lines(FILE *, const Message *, const struct form_context *);

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

/* A single-line value from the report, escaped (a newline shows as \x0a). */
static void
put(FILE *out, const char *s)
{
	(void)text_fputs(s, 0, out);
}

/*
 * A free text, each of its lines indented by indent (tabs kept, other
 * controls escaped); （調査中） if empty.
 */
static void
text_block(FILE *out, const char *indent, const char *s)
{
	if (empty(s))
		fprintf(out, "%s%s\n", indent, UNFILLED);
	else
		(void)text_fputs_lines(s, indent, indent, out);
}

/* "　label: value" or "　label: （調査中）". */
static void
line(FILE *out, const char *label, const char *value)
{
	fprintf(out, "　%s: ", label);
	if (empty(value))
		fputs(UNFILLED, out);
	else
		put(out, value);
	fputc('\n', out);
}

/* A list joined with 、, or （調査中）. */
static void
list_line(FILE *out, const char *label, char **v, size_t n)
{
	size_t i;

	fprintf(out, "　%s: ", label);
	if (n == 0)
		fputs(UNFILLED, out);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs("、", out);
		put(out, v[i]);
	}
	fputc('\n', out);
}

/* "　　label: value\n" if value is set (an item of the contact block). */
static void
opt_line(FILE *out, const char *label, const char *value)
{
	if (empty(value))
		return;
	fprintf(out, "　　%s: ", label);
	put(out, value);
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
		fprintf(out, "　%s（名簿より）:\n", label_field("contact"));
		name = e->contact.name;
		org = NULL;
		phone = e->contact.phone;
		ah = e->contact.after_hours_phone;
		fax = e->contact.fax;
		mail = e->contact.email;
		hours = e->contact.hours;
		goto print;
	} else {
		fprintf(out, "　%s: %s\n", label_field("contact"), UNFILLED);
		return;
	}
	fprintf(out, "　%s:\n", label_field("contact"));
print:
	if (!empty(org) || !empty(name)) {
		fprintf(out, "　　%s: ", label_field("contact.name"));
		if (!empty(org))
			put(out, org);
		if (!empty(org) && !empty(name))
			fputc(' ', out);
		if (!empty(name))
			put(out, name);
		fputc('\n', out);
	}
	opt_line(out, label_field("contact.phone"), phone);
	opt_line(out, label_field("contact.after_hours_phone"), ah);
	opt_line(out, label_field("contact.fax"), fax);
	opt_line(out, label_field("contact.email"), mail);
	opt_line(out, label_field("contact.hours"), hours);
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

/* "name（id）" for a known entity, else the id; escaped. */
static void
entity_put(FILE *out, const struct directory *dir, const char *id)
{
	const char *name = entity_name(dir, id);

	if (name != NULL) {
		put(out, name);
		fputs("（", out);
		put(out, id);
		fputs("）", out);
	} else
		put(out, id);
}

/* A JST time of the form, or （調査中） if not known. */
static const char *
when(int64_t ms, char buf[JST_BUFLEN])
{
	return ms > 0 ? jst_form(ms, buf) : UNFILLED;
}

/* "{head}label:\n" then the text indented by indent, or （調査中）. */
static void
labelled_block(FILE *out, const char *head, const char *label,
    const char *indent, const char *s)
{
	fprintf(out, "%s%s:\n", head, label);
	text_block(out, indent, s);
}

/* Item 8's channel n: "　(n) 報道発表: 実施済（time）" and its note. */
static void
channel_lines(FILE *out, int n, const char *key,
    const Kairan__V1__ExternalChannel *c)
{
	char t[JST_BUFLEN];

	fprintf(out, "　(%d) %s: ", n, label_field(key));
	if (c == NULL) {
		fprintf(out, "%s\n", UNFILLED);
		return;
	}
	fputs(label_channel_state(c->state), out);
	if (c->at_ms > 0)
		fprintf(out, "（%s）", jst_form(c->at_ms, t));
	fputc('\n', out);
	if (!empty(c->note))
		(void)text_fputs_lines(c->note, "　　", "　　", out);
}

/* 日付, 宛先, 差出人 and the 件名 and 前文 of 報告様式1. */
static void
form_head(FILE *out, const Message *m, const IncidentReport *r,
    const struct directory *dir)
{
	char t[JST_BUFLEN];
	size_t i;

	fprintf(out, "日付: %s\n", jst_form(m->created_at_ms, t));
	fputs("宛先: ", out);
	for (i = 0; i < m->n_recipients; i++) {
		if (i > 0)
			fputs("、", out);
		entity_put(out, dir, m->recipients[i]);
	}
	if (m->n_recipients == 0)
		fputs(UNFILLED, out);
	fputs("\n差出人: ", out);
	entity_put(out, dir, m->sender);
	fputc('\n', out);
	/* The person within the signing entity (「統括情報セキュリティ責任者
	 * （C S I R T 責任者）」 on the seed form). */
	if (r->author != NULL &&
	    (!empty(r->author->role) || !empty(r->author->name))) {
		fputs("　", out);
		if (!empty(r->author->role))
			put(out, r->author->role);
		if (!empty(r->author->role) && !empty(r->author->name))
			fputs("　", out);
		if (!empty(r->author->name))
			put(out, r->author->name);
		fputc('\n', out);
	}
	fprintf(out, "\n情報セキュリティインシデント事案の発生について報告"
	    "（第%" PRIu32 "報）\n\n", r->report_no);
	fputs("このことについて、業務において", out);
	put(out, empty(r->title) ? UNFILLED : r->title);
	fputs("の事案が発生したため、下記のとおり報告いたします。\n", out);
}

/*
 * Item 1: 事案の状況, with when and how it was found under (2), and the
 * proxy-log deadline of a targeted attack (proxy_lines).
 */
static void
item1(FILE *out, const Message *m, const struct form_context *ctx)
{
	const IncidentReport *r = m->report;
	const Kairan__V1__Detection *d = r->detection;
	char t[JST_BUFLEN];
	size_t i;

	fputs("\n1. 事案の状況\n", out);
	fprintf(out, "　(1) 発生した事案の種類: %s", label_category(r->category));
	if (r->n_subtypes > 0) {
		fputs("（", out);
		for (i = 0; i < r->n_subtypes; i++) {
			if (i > 0)
				fputs("、", out);
			put(out, r->subtypes[i]);
		}
		fputs("）", out);
	}
	fputc('\n', out);
	fprintf(out, "　(2) 発生日時: %s\n", when(r->occurred_at_ms, t));
	fprintf(out, "　　　%s: %s\n", label_field("discovered_at"),
	    when(r->discovered_at_ms, t));
	proxy_lines(out, m, ctx);
	fprintf(out, "　　　%s: %s\n", label_field("detection.method"),
	    d != NULL && d->method != 0 ? label_detection_method(d->method) :
	    UNFILLED);
	line(out, "　　" "検知・発見・通報した者", d != NULL ? d->by : NULL);
	if (d != NULL && !empty(d->detail)) {
		fprintf(out, "　　　%s:\n", label_field("detection.detail"));
		text_block(out, "　　　　", d->detail);
	}
	line(out, "(3) 発生場所", r->location);
	fputs("　(4) 発生した事案の概要:\n", out);
	text_block(out, "　　", r->summary);
}

/* Item 4: 被害状況・影響範囲（損害規模等）, and for a leak what and how many. */
static void
item4(FILE *out, const IncidentReport *r)
{
	char num[40];

	fputs("\n4. 確認した被害状況・影響範囲（損害規模等）\n", out);
	fprintf(out, "　%s: %" PRIu32 "（%s）\n", label_field("level"),
	    r->level, label_level(r->level));
	labelled_block(out, "　(1) ", label_field("damage"), "　　", r->damage);
	labelled_block(out, "　(2) ", label_field("damage_scale"), "　　",
	    r->damage_scale);
	fputs("　(3) 情報漏えいの場合は、漏えいした情報の概要及び件数\n", out);
	labelled_block(out, "　　", label_field("leaked_info"), "　　　",
	    r->leaked_info);
	if (r->records_affected > 0)
		fprintf(out, "　　%s: %s件\n", label_field("records_affected"),
		    grouped(r->records_affected, num, sizeof(num)));
	else
		fprintf(out, "　　%s: %s\n", label_field("records_affected"),
		    UNFILLED);
}

/* Item 6: 初動対応 and 復旧措置 (記入要領: 「第6項は、…初動対応(…)及び復旧措置」). */
static void
item6(FILE *out, const IncidentReport *r)
{
	const Kairan__V1__Recovery *v = r->recovery;
	char num[40];

	fputs("\n6. 対応状況（初動対応、復旧措置（復旧状況及び復旧見込み、"
	    "復旧に要する金額等））\n", out);
	/* A report written before the split: its one text, as it was. */
	if (!empty(r->response))
		labelled_block(out, "　", label_field("response"), "　　",
		    r->response);
	labelled_block(out, "　(1) ", "初動対応（対応方針の検討、証拠保全、"
	    "封じ込め、根絶）", "　　", r->initial_response);
	labelled_block(out, "　(2) ", label_field("recovery"), "　　",
	    v != NULL ? v->measures : NULL);
	labelled_block(out, "　　", label_field("recovery.status"), "　　　",
	    v != NULL ? v->status : NULL);
	labelled_block(out, "　　", label_field("recovery.outlook"), "　　　",
	    v != NULL ? v->outlook : NULL);
	if (v != NULL && v->cost_known)
		fprintf(out, "　　%s: %s円\n", label_field("recovery.cost_yen"),
		    grouped(v->cost_yen, num, sizeof(num)));
	else
		fprintf(out, "　　%s: %s\n", label_field("recovery.cost_yen"),
		    UNFILLED);
}

/* Item 8: the four channels and 公表の有無. */
static void
item8(FILE *out, const IncidentReport *r)
{
	const Kairan__V1__Publication *p = r->publication;

	fputs("\n8. 対外的な対応（報道発表、住民への連絡、総務省・都道府県・"
	    "NISC・警察機関等への連絡）\n", out);
	if (!empty(r->external_response))
		labelled_block(out, "　", label_field("external_response"),
		    "　　", r->external_response);
	channel_lines(out, 1, "press_release", r->press_release);
	channel_lines(out, 2, "residents", r->residents);
	channel_lines(out, 3, "government", r->government);
	channel_lines(out, 4, "agencies", r->agencies);
	fprintf(out, "　%s: ", label_field("publication"));
	if (p == NULL)
		fputs(UNFILLED, out);
	else {
		fputs(label_publication(p->decision), out);
		if (!empty(p->approved_by)) {
			fprintf(out, "（%s: ",
			    label_field("publication.approved_by"));
			put(out, p->approved_by);
			fputs("）", out);
		}
	}
	fputc('\n', out);
}

/* ---- deadlines (node/deadline.h) ---- */

/*
 * Under 発見日時: on a 第1報 of a targeted attack the deadline for the
 * proxy logs (003 「事案発覚後6時間以内」), on any report the time it
 * says they were checked, and on a later report whether the deadline was
 * met, which needs the 第1報: the caller's ctx says (form.h).
 */
static void
proxy_lines(FILE *out, const Message *m, const struct form_context *ctx)
{
	struct deadline_report one;
	struct deadline_proxy d;
	char t[JST_BUFLEN];

	one.report_no = m->report->report_no;
	one.phase = (int)m->report->phase;
	one.created_ms = m->created_at_ms;
	one.r = m->report;
	deadline_proxy(&one, 1, 0, 0, &d);
	if (d.state != DEADLINE_PROXY_NONE)
		fprintf(out, "　　　%s: %s（事案発覚後6時間以内）\n",
		    LABEL_PROXY_DEADLINE, jst_form(d.due_ms, t));
	if (m->report->proxy_logs_checked_at_ms > 0)
		fprintf(out, "　　　%s: %s\n",
		    label_field("proxy_logs_checked_at"),
		    jst_form(m->report->proxy_logs_checked_at_ms, t));
	if (ctx != NULL && ctx->proxy != NULL && m->report->report_no > 1)
		deadline_proxy_print(out, "　　　", ctx->proxy);
}

int
form_render(FILE *out, const Message *m, const struct directory *dir)
{
	return form_render_ctx(out, m, dir, NULL);
}

int
form_render_ctx(FILE *out, const Message *m, const struct directory *dir,
    const struct form_context *ctx)
{
	char hex[KAIRAN_ID_HEXLEN + 1], dig[65];
	const IncidentReport *r;
	const Kairan__V1__Attachment *a;
	const char *b;
	size_t i;

	if (m == NULL || m->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT ||
	    (r = m->report) == NULL)
		return -1;
	b = label_status_banner(m->status);
	if (b != NULL)
		fprintf(out, "%s\n\n", b);

	form_head(out, m, r, dir);
	fputs("\n記\n", out);
	item1(out, m, ctx);

	fputs("\n2. 事案が発生したサービスの概要及びサービスへの影響並びに"
	    "システムの概要\n", out);
	labelled_block(out, "　(1) ", label_field("service_overview"), "　　",
	    r->service_overview);
	labelled_block(out, "　(2) ", label_field("service_impact"), "　　",
	    r->service_impact);
	labelled_block(out, "　(3) ", label_field("system_overview"), "　　",
	    r->system_overview);
	list_line(out, label_field("affected_services"), r->affected_services,
	    r->n_affected_services);
	list_line(out, label_field("affected_systems"), r->affected_systems,
	    r->n_affected_systems);

	fputs("\n3. 事案が発生した原因（及び原因として想定される行為）\n", out);
	labelled_block(out, "　(1) ", label_field("cause"), "　　", r->cause);
	labelled_block(out, "　(2) ", label_field("suspected_act"), "　　",
	    r->suspected_act);

	item4(out, r);

	fputs("\n5. 事案が情報セキュリティインシデントに該当するか否かの"
	    "判断結果\n", out);
	fprintf(out, "　%s\n", label_determination(r->is_incident));

	item6(out, r);

	fputs("\n7. 再発防止策（恒久対応）\n", out);
	text_block(out, "　", r->prevention);

	item8(out, r);

	fputs("\n9. その他\n", out);
	text_block(out, "　", r->other);
	contact_lines(out, r->contact, dir != NULL ?
	    directory_get(dir, m->sender) : NULL);

	fputs("\n以上\n\n対応記録等は別紙のとおり\n", out);
	if (r->n_attachments == 0)
		fputs("別紙: なし\n", out);
	else
		fputs("別紙:\n", out);
	for (i = 0; i < r->n_attachments; i++) {
		a = r->attachments[i];
		if (a->sha256.len == KAIRAN_DIGEST_LEN)
			message_hex(a->sha256.data, KAIRAN_DIGEST_LEN, dig);
		else
			snprintf(dig, sizeof(dig), "-");
		fprintf(out, "　%zu. ", i + 1);
		put(out, a->name);
		fputs("（", out);
		put(out, a->media_type);
		fprintf(out, "、%zuバイト）\n　   sha256: %s\n", a->data.len,
		    dig);
	}

	/* What kairan needs to answer (ack, show) and the form has no place for. */
	fprintf(out, "\n報告区分: %s\n", label_phase(r->phase));
	if (r->incident_id.len == KAIRAN_ID_LEN) {
		message_hex(r->incident_id.data, KAIRAN_ID_LEN, hex);
		fprintf(out, "インシデント番号: %s\n", hex);
	}
	if (m->id.len == KAIRAN_ID_LEN) {
		message_hex(m->id.data, KAIRAN_ID_LEN, hex);
		fprintf(out, "報告番号: %s\n", hex);
	}
	if (b != NULL)
		fprintf(out, "\n%s\n", b);
	if (fflush(out) == EOF || ferror(out))
		return -1;
	return 0;
}
