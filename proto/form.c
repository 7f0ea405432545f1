/*
 * form: one report laid out as 報告様式1 of 宮崎市's 緊急時対応計画
 * (001_497a7f08171ce70d.txt) lays it out (see kairan/form.h): 日付, 宛先,
 * 差出人, 件名 「情報セキュリティインシデント事案の発生について報告（第N報）」,
 * 前文, 記, items 1-9 in the form's own words, 以上, 「対応記録等は別紙の
 * とおり」 and the 別紙 (attachments); then the ids kairan needs (報告区分,
 * インシデント番号, 報告番号), which the paper form has no place for.
 *
 * People read this on paper and on screen in the middle of an incident, so
 * items that are not known yet are shown as （調査中） rather than left
 * out: the 記入要領 allows blanks (「判明していない部分は未記入でも可。報数を
 * 重ねていくうちに埋めていく」), the numbering stays that of the form, and
 * the next report fills them in. Exercise and test traffic carries a banner
 * at the top and at the bottom, so that no page of a drill can be taken
 * for a real incident.
 *
 * form_build makes the lines (the layout is data, so that the node's
 * terminal and the relay's console cannot drift apart); form_render prints
 * them, form_json gives them to the console. The words of the form are
 * labels.h's where a report field has one, the form's headings here.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/form.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/message.h"
#include "kairan/text.h"

#define UNFILLED	FORM_UNFILLED
/* One level of indentation: the ideographic space, as on the paper form. */
#define INDENT		"　"

typedef Kairan__V1__Contact	Contact;

/* A form being built; oom is set by the first allocation that fails. */
struct fb {
	struct form	*f;
	int		 oom;
};

/* A growing string; on failure s is freed and set to NULL (b->oom). */
struct sb {
	char	*s;
	size_t	 len, cap;
};

static int
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/*
 * Takes s (malloc'd, may be NULL after a failed allocation) into f's pool
 * and returns it; "" (and b->oom) if s is NULL or the pool cannot grow.
 */
static const char *
keep(struct fb *b, char *s)
{
	struct form *f = b->f;
	char **p;
	size_t cap;

	if (s == NULL) {
		b->oom = 1;
		return "";
	}
	if (f->npool == f->cappool) {
		cap = f->cappool == 0 ? 64 : f->cappool * 2;
		if ((p = realloc(f->pool, cap * sizeof(*p))) == NULL) {
			free(s);
			b->oom = 1;
			return "";
		}
		f->pool = p;
		f->cappool = cap;
	}
	f->pool[f->npool++] = s;
	return s;
}

/* A one-line field from the report, escaped (a newline shows as \x0a). */
static const char *
esc(struct fb *b, const char *s)
{
	return keep(b, text_escape(s, 0));
}

/* A free text, escaped with its newlines and tabs kept; （調査中） if empty. */
static const char *
escm(struct fb *b, const char *s)
{
	return empty(s) ? UNFILLED : keep(b, text_escape(s, TEXT_MULTILINE));
}

/* A one-line field, or （調査中） if empty. */
static const char *
esc_or(struct fb *b, const char *s)
{
	return empty(s) ? UNFILLED : esc(b, s);
}

static const char *fmt(struct fb *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static const char *
fmt(struct fb *b, const char *f, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, f);
	n = vasprintf(&s, f, ap);
	va_end(ap);
	return keep(b, n < 0 ? NULL : s);
}

/* Appends t (already escaped, or the form's own words) to s. */
static void
sb_add(struct fb *b, struct sb *s, const char *t)
{
	size_t n = strlen(t), cap;
	char *p;

	if (b->oom)
		return;
	if (s->len + n + 1 > s->cap) {
		cap = s->cap == 0 ? 128 : s->cap;
		while (cap < s->len + n + 1)
			cap *= 2;
		if ((p = realloc(s->s, cap)) == NULL) {
			free(s->s);
			memset(s, 0, sizeof(*s));
			b->oom = 1;
			return;
		}
		s->s = p;
		s->cap = cap;
	}
	memcpy(s->s + s->len, t, n + 1);
	s->len += n;
}

/* The string s holds, into the pool ("" if nothing was added). */
static const char *
sb_keep(struct fb *b, struct sb *s)
{
	if (s->s == NULL)
		return "";
	return keep(b, s->s);
}

/*
 * Adds a line; no, label and value are static or in the pool (NULL reads
 * as ""). Nothing once out of memory.
 */
static void
add(struct fb *b, enum form_kind kind, int depth, int gap, const char *no,
    const char *label, const char *value)
{
	struct form *f = b->f;
	struct form_line *l;
	size_t cap;

	if (b->oom)
		return;
	if (f->n == f->cap) {
		cap = f->cap == 0 ? 128 : f->cap * 2;
		if ((l = realloc(f->lines, cap * sizeof(*l))) == NULL) {
			b->oom = 1;
			return;
		}
		f->lines = l;
		f->cap = cap;
	}
	l = &f->lines[f->n++];
	l->kind = kind;
	l->depth = depth;
	l->gap = gap;
	l->no = no != NULL ? no : "";
	l->label = label != NULL ? label : "";
	l->value = value != NULL ? value : "";
}

#define ITEM(b, d, no, label, value) \
	add((b), FORM_ITEM, (d), 0, (no), (label), (value))
#define BLOCK(b, d, no, label, value) \
	add((b), FORM_BLOCK, (d), 0, (no), (label), escm((b), (value)))
#define HEADING(b, no, label) \
	add((b), FORM_HEADING, 0, 1, (no), (label), NULL)

static const char *
entity_name(const struct directory *dir, const char *id)
{
	const struct dir_entity *e;

	if (dir == NULL || (e = directory_get(dir, id)) == NULL ||
	    e->name == NULL)
		return NULL;
	return e->name;
}

/* "name（id）" for a known entity, else the id; escaped. */
static void
entity_add(struct fb *b, struct sb *s, const struct directory *dir,
    const char *id)
{
	const char *name = entity_name(dir, id);

	if (name != NULL) {
		sb_add(b, s, esc(b, name));
		sb_add(b, s, "（");
		sb_add(b, s, esc(b, id));
		sb_add(b, s, "）");
	} else
		sb_add(b, s, esc(b, id));
}

/* v[0..n) escaped and joined with 、, or （調査中）. */
static const char *
joined(struct fb *b, char **v, size_t n)
{
	struct sb s = { NULL, 0, 0 };
	size_t i;

	if (n == 0)
		return UNFILLED;
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_add(b, &s, "、");
		sb_add(b, &s, esc(b, v[i]));
	}
	return sb_keep(b, &s);
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

/* A JST time of the form, or （調査中） if not known. */
static const char *
when(struct fb *b, int64_t ms)
{
	char t[JST_BUFLEN];

	return ms > 0 ? fmt(b, "%s", jst_form(ms, t)) : UNFILLED;
}

/*
 * Item 9's 連絡先: the report's, else the sender's PoC from the directory
 * (e, may be NULL) marked （名簿より）, else （調査中）; only the parts set.
 */
static void
contact_lines(struct fb *b, const Contact *k, const struct dir_entity *e)
{
	const char *name, *org, *phone, *ah, *fax, *mail, *hours;
	struct sb s = { NULL, 0, 0 };

	if (k != NULL) {
		add(b, FORM_GROUP, 1, 0, NULL, label_field("contact"), NULL);
		name = k->name;
		org = k->organization;
		phone = k->phone;
		ah = k->after_hours_phone;
		fax = k->fax;
		mail = k->email;
		hours = k->hours;
	} else if (e != NULL) {
		add(b, FORM_GROUP, 1, 0, NULL,
		    fmt(b, "%s（名簿より）", label_field("contact")), NULL);
		name = e->contact.name;
		org = NULL;
		phone = e->contact.phone;
		ah = e->contact.after_hours_phone;
		fax = e->contact.fax;
		mail = e->contact.email;
		hours = e->contact.hours;
	} else {
		ITEM(b, 1, NULL, label_field("contact"), UNFILLED);
		return;
	}
	if (!empty(org) || !empty(name)) {
		if (!empty(org))
			sb_add(b, &s, esc(b, org));
		if (!empty(org) && !empty(name))
			sb_add(b, &s, " ");
		if (!empty(name))
			sb_add(b, &s, esc(b, name));
		ITEM(b, 2, NULL, label_field("contact.name"), sb_keep(b, &s));
	}
	if (!empty(phone))
		ITEM(b, 2, NULL, label_field("contact.phone"), esc(b, phone));
	if (!empty(ah))
		ITEM(b, 2, NULL, label_field("contact.after_hours_phone"),
		    esc(b, ah));
	if (!empty(fax))
		ITEM(b, 2, NULL, label_field("contact.fax"), esc(b, fax));
	if (!empty(mail))
		ITEM(b, 2, NULL, label_field("contact.email"), esc(b, mail));
	if (!empty(hours))
		ITEM(b, 2, NULL, label_field("contact.hours"), esc(b, hours));
}

/* 日付, 宛先, 差出人 and the 件名 and 前文 of 報告様式1. */
static void
form_head(struct fb *b, const Message *m, const IncidentReport *r,
    const struct directory *dir, int banner)
{
	struct sb s = { NULL, 0, 0 };
	char t[JST_BUFLEN];
	size_t i;

	add(b, FORM_ITEM, 0, banner, NULL, "日付",
	    fmt(b, "%s", jst_form(m->created_at_ms, t)));
	for (i = 0; i < m->n_recipients; i++) {
		if (i > 0)
			sb_add(b, &s, "、");
		entity_add(b, &s, dir, m->recipients[i]);
	}
	ITEM(b, 0, NULL, "宛先",
	    m->n_recipients == 0 ? UNFILLED : sb_keep(b, &s));
	memset(&s, 0, sizeof(s));
	entity_add(b, &s, dir, m->sender);
	ITEM(b, 0, NULL, "差出人", sb_keep(b, &s));
	/* The person within the signing entity (「統括情報セキュリティ責任者
	 * （C S I R T 責任者）」 on the seed form). */
	if (r->author != NULL &&
	    (!empty(r->author->role) || !empty(r->author->name))) {
		memset(&s, 0, sizeof(s));
		if (!empty(r->author->role))
			sb_add(b, &s, esc(b, r->author->role));
		if (!empty(r->author->role) && !empty(r->author->name))
			sb_add(b, &s, INDENT);
		if (!empty(r->author->name))
			sb_add(b, &s, esc(b, r->author->name));
		add(b, FORM_TEXT, 1, 0, NULL, NULL, sb_keep(b, &s));
	}
	add(b, FORM_TITLE, 0, 1, NULL, fmt(b, "情報セキュリティインシデント事案の"
	    "発生について報告（第%" PRIu32 "報）", r->report_no), NULL);
	add(b, FORM_TEXT, 0, 1, NULL, NULL, fmt(b, "このことについて、業務において"
	    "%sの事案が発生したため、下記のとおり報告いたします。",
	    esc_or(b, r->title)));
}

/*
 * Under 発見日時: on a 第1報 of a targeted attack the deadline for the
 * proxy logs (003 「事案発覚後6時間以内」), on any report the time it
 * says they were checked, and on a later report whether the deadline was
 * met; the deadline and the verdict need the incident: the caller's ctx
 * says (form.h).
 */
static void
proxy_lines(struct fb *b, const IncidentReport *r,
    const struct form_context *ctx)
{
	char t[JST_BUFLEN];

	if (ctx != NULL && ctx->proxy_due_ms > 0)
		ITEM(b, 3, NULL, LABEL_PROXY_DEADLINE, fmt(b,
		    "%s（事案発覚後6時間以内）", jst_form(ctx->proxy_due_ms, t)));
	if (r->proxy_logs_checked_at_ms > 0)
		ITEM(b, 3, NULL, label_field("proxy_logs_checked_at"),
		    when(b, r->proxy_logs_checked_at_ms));
	if (ctx != NULL && !empty(ctx->proxy_check))
		ITEM(b, 3, NULL, LABEL_PROXY_CHECK, esc(b, ctx->proxy_check));
}

/*
 * Item 1: 事案の状況, with when and how it was found under (2), and the
 * proxy-log deadline of a targeted attack (proxy_lines).
 */
static void
item1(struct fb *b, const IncidentReport *r, const struct form_context *ctx)
{
	const Kairan__V1__Detection *d = r->detection;
	struct sb s = { NULL, 0, 0 };

	HEADING(b, "1", "事案の状況");
	sb_add(b, &s, label_category(r->category));
	if (r->n_subtypes > 0) {
		sb_add(b, &s, "（");
		sb_add(b, &s, joined(b, r->subtypes, r->n_subtypes));
		sb_add(b, &s, "）");
	}
	ITEM(b, 1, "1.(1)", "発生した事案の種類", sb_keep(b, &s));
	ITEM(b, 1, "1.(2)", "発生日時", when(b, r->occurred_at_ms));
	ITEM(b, 3, NULL, label_field("discovered_at"),
	    when(b, r->discovered_at_ms));
	proxy_lines(b, r, ctx);
	ITEM(b, 3, NULL, label_field("detection.method"),
	    d != NULL && d->method != 0 ? label_detection_method(d->method) :
	    UNFILLED);
	ITEM(b, 3, NULL, "検知・発見・通報した者",
	    esc_or(b, d != NULL ? d->by : NULL));
	if (d != NULL && !empty(d->detail))
		BLOCK(b, 3, NULL, label_field("detection.detail"), d->detail);
	ITEM(b, 1, "1.(3)", "発生場所", esc_or(b, r->location));
	BLOCK(b, 1, "1.(4)", "発生した事案の概要", r->summary);
}

/* Item 2: the service, its impact, the system, and the lists of both. */
static void
item2(struct fb *b, const IncidentReport *r)
{
	HEADING(b, "2", "事案が発生したサービスの概要及びサービスへの影響並びに"
	    "システムの概要");
	BLOCK(b, 1, "2.(1)", label_field("service_overview"),
	    r->service_overview);
	BLOCK(b, 1, "2.(2)", label_field("service_impact"), r->service_impact);
	BLOCK(b, 1, "2.(3)", label_field("system_overview"),
	    r->system_overview);
	ITEM(b, 1, NULL, label_field("affected_services"),
	    joined(b, r->affected_services, r->n_affected_services));
	ITEM(b, 1, NULL, label_field("affected_systems"),
	    joined(b, r->affected_systems, r->n_affected_systems));
}

/* Item 4: 被害状況・影響範囲（損害規模等）, and for a leak what and how many. */
static void
item4(struct fb *b, const IncidentReport *r)
{
	char num[40];

	HEADING(b, "4", "確認した被害状況・影響範囲（損害規模等）");
	ITEM(b, 1, NULL, label_field("level"), fmt(b, "%" PRIu32 "（%s）",
	    r->level, label_level(r->level)));
	BLOCK(b, 1, "4.(1)", label_field("damage"), r->damage);
	BLOCK(b, 1, "4.(2)", label_field("damage_scale"), r->damage_scale);
	add(b, FORM_HEADING, 1, 0, "4.(3)",
	    "情報漏えいの場合は、漏えいした情報の概要及び件数", NULL);
	BLOCK(b, 2, NULL, label_field("leaked_info"), r->leaked_info);
	ITEM(b, 2, NULL, label_field("records_affected"),
	    r->records_affected > 0 ? fmt(b, "%s件",
	    grouped(r->records_affected, num, sizeof(num))) : UNFILLED);
}

/* Item 6: 初動対応 and 復旧措置 (記入要領: 「第6項は、…初動対応(…)及び復旧措置」). */
static void
item6(struct fb *b, const IncidentReport *r)
{
	const Kairan__V1__Recovery *v = r->recovery;
	char num[40];

	HEADING(b, "6", "対応状況（初動対応、復旧措置（復旧状況及び復旧見込み、"
	    "復旧に要する金額等））");
	/* A report written before the split: its one text, as it was. */
	if (!empty(r->response))
		BLOCK(b, 1, NULL, label_field("response"), r->response);
	BLOCK(b, 1, "6.(1)", "初動対応（対応方針の検討、証拠保全、封じ込め、根絶）",
	    r->initial_response);
	BLOCK(b, 1, "6.(2)", label_field("recovery"),
	    v != NULL ? v->measures : NULL);
	BLOCK(b, 2, NULL, label_field("recovery.status"),
	    v != NULL ? v->status : NULL);
	BLOCK(b, 2, NULL, label_field("recovery.outlook"),
	    v != NULL ? v->outlook : NULL);
	ITEM(b, 2, NULL, label_field("recovery.cost_yen"),
	    v != NULL && v->cost_known ? fmt(b, "%s円",
	    grouped(v->cost_yen, num, sizeof(num))) : UNFILLED);
}

/* Item 8's channel: "(n) 報道発表: 実施済（time）" and its note. */
static void
channel_lines(struct fb *b, const char *no, const char *key,
    const Kairan__V1__ExternalChannel *c)
{
	char t[JST_BUFLEN];

	if (c == NULL) {
		ITEM(b, 1, no, label_field(key), UNFILLED);
		return;
	}
	if (c->at_ms > 0)
		ITEM(b, 1, no, label_field(key), fmt(b, "%s（%s）",
		    label_channel_state(c->state), jst_form(c->at_ms, t)));
	else
		ITEM(b, 1, no, label_field(key), label_channel_state(c->state));
	if (!empty(c->note))
		add(b, FORM_TEXT, 2, 0, NULL, NULL, escm(b, c->note));
}

/* Item 8: the four channels and 公表の有無. */
static void
item8(struct fb *b, const IncidentReport *r)
{
	const Kairan__V1__Publication *p = r->publication;
	const char *v;

	HEADING(b, "8", "対外的な対応（報道発表、住民への連絡、総務省・都道府県・"
	    "NISC・警察機関等への連絡）");
	if (!empty(r->external_response))
		BLOCK(b, 1, NULL, label_field("external_response"),
		    r->external_response);
	channel_lines(b, "8.(1)", "press_release", r->press_release);
	channel_lines(b, "8.(2)", "residents", r->residents);
	channel_lines(b, "8.(3)", "government", r->government);
	channel_lines(b, "8.(4)", "agencies", r->agencies);
	if (p == NULL)
		v = UNFILLED;
	else if (!empty(p->approved_by))
		v = fmt(b, "%s（%s: %s）", label_publication(p->decision),
		    label_field("publication.approved_by"),
		    esc(b, p->approved_by));
	else
		v = label_publication(p->decision);
	ITEM(b, 1, NULL, label_field("publication"), v);
}

/* 以上, 「対応記録等は別紙のとおり」 and the 別紙: each attachment and its digest. */
static void
attachments(struct fb *b, const IncidentReport *r)
{
	const Kairan__V1__Attachment *a;
	char dig[65];
	size_t i;

	add(b, FORM_END, 0, 1, NULL, "以上", NULL);
	add(b, FORM_TEXT, 0, 1, NULL, NULL, "対応記録等は別紙のとおり");
	if (r->n_attachments == 0)
		ITEM(b, 0, NULL, "別紙", "なし");
	else
		add(b, FORM_GROUP, 0, 0, NULL, "別紙", NULL);
	for (i = 0; i < r->n_attachments; i++) {
		a = r->attachments[i];
		add(b, FORM_ATTACHMENT, 1, 0, fmt(b, "%zu", i + 1), NULL,
		    fmt(b, "%s（%s、%zuバイト）", esc(b, a->name),
		    esc(b, a->media_type), a->data.len));
		if (a->sha256.len == KAIRAN_DIGEST_LEN)
			message_hex(a->sha256.data, KAIRAN_DIGEST_LEN, dig);
		else
			snprintf(dig, sizeof(dig), "-");
		add(b, FORM_DIGEST, 1, 0, NULL, "sha256", fmt(b, "%s", dig));
	}
}

int
form_build(const Message *m, const struct directory *dir,
    const struct form_context *ctx, struct form **out)
{
	char hex[KAIRAN_ID_HEXLEN + 1];
	const IncidentReport *r;
	const char *banner;
	struct fb b;

	*out = NULL;
	if (m == NULL || m->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT ||
	    (r = m->report) == NULL)
		return -1;
	if ((b.f = calloc(1, sizeof(*b.f))) == NULL)
		return -1;
	b.oom = 0;
	banner = label_status_banner(m->status);
	if (banner != NULL)
		add(&b, FORM_BANNER, 0, 0, NULL, banner, NULL);

	form_head(&b, m, r, dir, banner != NULL);
	add(&b, FORM_HEADING, 0, 1, NULL, "記", NULL);
	item1(&b, r, ctx);
	item2(&b, r);

	HEADING(&b, "3", "事案が発生した原因（及び原因として想定される行為）");
	BLOCK(&b, 1, "3.(1)", label_field("cause"), r->cause);
	BLOCK(&b, 1, "3.(2)", label_field("suspected_act"), r->suspected_act);

	item4(&b, r);

	HEADING(&b, "5", "事案が情報セキュリティインシデントに該当するか否かの"
	    "判断結果");
	add(&b, FORM_TEXT, 1, 0, NULL, NULL,
	    label_determination(r->is_incident));

	item6(&b, r);

	HEADING(&b, "7", "再発防止策（恒久対応）");
	add(&b, FORM_TEXT, 1, 0, NULL, NULL, escm(&b, r->prevention));

	item8(&b, r);

	HEADING(&b, "9", "その他");
	add(&b, FORM_TEXT, 1, 0, NULL, NULL, escm(&b, r->other));
	contact_lines(&b, r->contact, dir != NULL ?
	    directory_get(dir, m->sender) : NULL);

	attachments(&b, r);

	/* What kairan needs to answer (ack, show) and the form has no place for. */
	add(&b, FORM_ITEM, 0, 1, NULL, "報告区分", label_phase(r->phase));
	if (r->incident_id.len == KAIRAN_ID_LEN) {
		message_hex(r->incident_id.data, KAIRAN_ID_LEN, hex);
		ITEM(&b, 0, NULL, "インシデント番号", fmt(&b, "%s", hex));
	}
	if (m->id.len == KAIRAN_ID_LEN) {
		message_hex(m->id.data, KAIRAN_ID_LEN, hex);
		ITEM(&b, 0, NULL, "報告番号", fmt(&b, "%s", hex));
	}
	if (banner != NULL)
		add(&b, FORM_BANNER, 0, 1, NULL, banner, NULL);
	if (b.oom) {
		form_free(b.f);
		return -1;
	}
	*out = b.f;
	return 0;
}

void
form_free(struct form *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->npool; i++)
		free(f->pool[i]);
	free(f->pool);
	free(f->lines);
	free(f);
}

static void
indent(FILE *out, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		fputs(INDENT, out);
}

/* The item's own number as the form prints it: "(3) " of "1.(3)", "1. ". */
static void
number(FILE *out, const char *no)
{
	const char *p;

	if (no[0] == '\0')
		return;
	if ((p = strchr(no, '(')) != NULL)
		fprintf(out, "%s ", p);
	else
		fprintf(out, "%s. ", no);
}

/* v, every line after its first indented by depth, then a newline. */
static void
value(FILE *out, const char *v, int depth)
{
	const char *nl;

	while ((nl = strchr(v, '\n')) != NULL) {
		fwrite(v, 1, (size_t)(nl - v), out);
		fputc('\n', out);
		indent(out, depth);
		v = nl + 1;
	}
	fputs(v, out);
	fputc('\n', out);
}

int
form_render(FILE *out, const struct form *f)
{
	const struct form_line *l;
	size_t i;

	for (i = 0; i < f->n; i++) {
		l = &f->lines[i];
		if (l->gap)
			fputc('\n', out);
		switch (l->kind) {
		case FORM_BANNER:
		case FORM_TITLE:
		case FORM_END:
			fprintf(out, "%s\n", l->label);
			break;
		case FORM_HEADING:
			indent(out, l->depth);
			number(out, l->no);
			fprintf(out, "%s\n", l->label);
			break;
		case FORM_GROUP:
			indent(out, l->depth);
			number(out, l->no);
			fprintf(out, "%s:\n", l->label);
			break;
		case FORM_ITEM:
			indent(out, l->depth);
			number(out, l->no);
			fprintf(out, "%s: ", l->label);
			value(out, l->value, l->depth + 1);
			break;
		case FORM_BLOCK:
			indent(out, l->depth);
			number(out, l->no);
			fprintf(out, "%s:\n", l->label);
			indent(out, l->depth + 1);
			value(out, l->value, l->depth + 1);
			break;
		case FORM_TEXT:
			indent(out, l->depth);
			value(out, l->value, l->depth);
			break;
		case FORM_ATTACHMENT:
			indent(out, l->depth);
			number(out, l->no);
			value(out, l->value, l->depth + 1);
			break;
		case FORM_DIGEST:
			indent(out, l->depth);
			fprintf(out, "   %s: ", l->label);
			value(out, l->value, l->depth + 1);
			break;
		}
	}
	if (fflush(out) == EOF || ferror(out))
		return -1;
	return 0;
}

static const char *
kind_name(enum form_kind k)
{
	switch (k) {
	case FORM_BANNER:
		return "banner";
	case FORM_TITLE:
		return "title";
	case FORM_HEADING:
		return "heading";
	case FORM_GROUP:
		return "group";
	case FORM_ITEM:
		return "item";
	case FORM_BLOCK:
		return "block";
	case FORM_TEXT:
		return "text";
	case FORM_END:
		return "end";
	case FORM_ATTACHMENT:
		return "attachment";
	case FORM_DIGEST:
		return "digest";
	}
	return "text";
}

json_t *
form_json(const struct form *f)
{
	const struct form_line *l;
	json_t *o, *a, *x;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((a = json_array()) == NULL || json_object_set_new(o, "lines", a))
		goto fail;
	for (i = 0; i < f->n; i++) {
		l = &f->lines[i];
		/* Every string is valid UTF-8 (escaped), so json_pack cannot
		 * fail on one; only memory can. */
		x = json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}",
		    "kind", kind_name(l->kind), "no", l->no, "label", l->label,
		    "value", l->value, "depth", l->depth, "gap", l->gap);
		if (x == NULL || json_array_append_new(a, x) == -1)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

int
form_print(FILE *out, const Message *m, const struct directory *dir,
    const struct form_context *ctx)
{
	struct form *f;
	int rc;

	if (form_build(m, dir, ctx, &f) == -1)
		return -1;
	rc = form_render(out, f);
	form_free(f);
	return rc;
}
