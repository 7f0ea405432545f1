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

#define UNFILLED	"（未記入）"

typedef Kairan__V1__Contact	Contact;

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
 * controls escaped); （未記入） if empty.
 */
static void
text_block(FILE *out, const char *indent, const char *s)
{
	if (empty(s))
		fprintf(out, "%s%s\n", indent, UNFILLED);
	else
		(void)text_fputs_lines(s, indent, indent, out);
}

/* "label: value" or "label: （未記入）". */
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

/* A list joined with 、, or （未記入）. */
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

/* "　label: value\n" if value is set (an item of the contact block). */
static void
opt_line(FILE *out, const char *label, const char *value)
{
	if (empty(value))
		return;
	fprintf(out, "　%s: ", label);
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
		fprintf(out, "%s（名簿より）:\n", label_field("contact"));
		name = e->contact.name;
		org = NULL;
		phone = e->contact.phone;
		ah = e->contact.after_hours_phone;
		fax = e->contact.fax;
		mail = e->contact.email;
		hours = e->contact.hours;
		goto print;
	} else {
		fprintf(out, "%s: %s\n", label_field("contact"), UNFILLED);
		return;
	}
	fprintf(out, "%s:\n", label_field("contact"));
print:
	if (!empty(org) || !empty(name)) {
		fprintf(out, "　%s: ", label_field("contact.name"));
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
		fprintf(out, "　　%s: %s（事案発覚後6時間以内）\n",
		    LABEL_PROXY_DEADLINE, jst_form(d.due_ms, t));
	if (m->report->proxy_logs_checked_at_ms > 0)
		fprintf(out, "　　%s: %s\n",
		    label_field("proxy_logs_checked_at"),
		    jst_form(m->report->proxy_logs_checked_at_ms, t));
	if (ctx != NULL && ctx->proxy != NULL && m->report->report_no > 1)
		deadline_proxy_print(out, "　　", ctx->proxy);
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
	char t[JST_BUFLEN], hex[KAIRAN_ID_HEXLEN + 1], num[40], dig[65];
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

	fprintf(out, "情報セキュリティインシデント報告（第%" PRIu32 "報）\n"
	    "報告区分: %s\n", r->report_no, label_phase(r->phase));
	if (!empty(r->title)) {
		fprintf(out, "%s: ", label_field("title"));
		put(out, r->title);
		fputc('\n', out);
	}
	if (r->incident_id.len == KAIRAN_ID_LEN) {
		message_hex(r->incident_id.data, KAIRAN_ID_LEN, hex);
		fprintf(out, "インシデント番号: %s\n", hex);
	}
	if (m->id.len == KAIRAN_ID_LEN) {
		message_hex(m->id.data, KAIRAN_ID_LEN, hex);
		fprintf(out, "報告番号: %s\n", hex);
	}
	fprintf(out, "報告日時: %s\n", jst_form(m->created_at_ms, t));
	fputs("報告者: ", out);
	entity_put(out, dir, m->sender);
	fputs("\n宛先: ", out);
	for (i = 0; i < m->n_recipients; i++) {
		if (i > 0)
			fputs("、", out);
		entity_put(out, dir, m->recipients[i]);
	}
	fputc('\n', out);
	contact_lines(out, r->contact, dir != NULL ?
	    directory_get(dir, m->sender) : NULL);

	fprintf(out, "\n記\n\n1. 事案の状況\n");
	fprintf(out, "　(1) %s: %s", label_field("category"),
	    label_category(r->category));
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
	fprintf(out, "　(2) %s: %s\n", label_field("occurred_at"),
	    jst_form(r->occurred_at_ms, t));
	fprintf(out, "　(3) %s: %s\n", label_field("discovered_at"),
	    jst_form(r->discovered_at_ms, t));
	proxy_lines(out, m, ctx);
	line(out, "(4) 発生場所", r->location);
	fprintf(out, "　(5) %s:\n", label_field("summary"));
	text_block(out, "　　", r->summary);

	fprintf(out, "\n2. 被害の状況\n");
	fprintf(out, "　(1) レベル: %" PRIu32 "（%s）\n", r->level,
	    label_level(r->level));
	fprintf(out, "　(2) 影響を受けたサービス・システム:\n");
	list_line(out, "　サービス", r->affected_services,
	    r->n_affected_services);
	list_line(out, "　システム", r->affected_systems,
	    r->n_affected_systems);
	fprintf(out, "　(3) %s:\n", label_field("damage"));
	text_block(out, "　　", r->damage);
	if (r->records_affected > 0)
		fprintf(out, "　(4) %s: %s件\n", label_field("records_affected"),
		    grouped(r->records_affected, num, sizeof(num)));
	else
		fprintf(out, "　(4) %s: なし（または不明）\n",
		    label_field("records_affected"));

	fprintf(out, "\n3. %s\n", label_field("cause"));
	text_block(out, "　", r->cause);
	fprintf(out, "\n4. %s\n　%s\n", label_field("is_incident"),
	    label_determination(r->is_incident));
	fprintf(out, "\n5. 対応状況（封じ込め・復旧）\n");
	text_block(out, "　", r->response);
	fprintf(out, "\n6. %s\n", label_field("prevention"));
	text_block(out, "　", r->prevention);
	fprintf(out, "\n7. 外部対応（報道・住民・総務省・都道府県・NISC・警察）\n");
	text_block(out, "　", r->external_response);
	fprintf(out, "\n8. %s\n", label_field("other"));
	text_block(out, "　", r->other);

	if (r->n_attachments == 0)
		fprintf(out, "\n%s: なし\n", label_field("attachments"));
	else
		fprintf(out, "\n%s:\n", label_field("attachments"));
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
	fprintf(out, "\n以上\n");
	if (b != NULL)
		fprintf(out, "\n%s\n", b);
	if (fflush(out) == EOF || ferror(out))
		return -1;
	return 0;
}
