/*
 * show: one message or incident (all its reports, in order) as text, as
 * the report form (報告様式, form.h) or as JSON; --save is save.c's. Also
 * what inbox shows of the same messages: the JSON object of one message
 * and the withdrawal banner (取消) above everything about an incident.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>

#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/form.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "show.h"
#include "advisory.h"
#include "deadline.h"
#include "incident.h"
#include "report.h"
#include "save.h"
#include "store.h"
#include "store_msg.h"

/* ---- withdrawals (取消): shown above everything about an incident ---- */

struct withdrawal {
	uint8_t	 id[KAIRAN_ID_LEN];
	int64_t	 at_ms;
	char	*reason;
};

/*
 * Whether incident (as seen in dir) was withdrawn: 1 with *w (free
 * w->reason), 0 not, -1 on a store error (said on stderr). The reason is
 * read for display (cli_shown_message), so an old row cannot hide it.
 */
static int
withdrawal_get(const struct cli *c, enum store_dir dir,
    const uint8_t incident[KAIRAN_ID_LEN], struct withdrawal *w)
{
	struct store_msg sm;
	Message *m;
	char err[512];
	int r;

	memset(w, 0, sizeof(*w));
	if ((r = store_msg_withdrawal(c->store, dir, incident, &sm, err,
	    sizeof(err))) != 1) {
		if (r == -1)
			cli_err(c, "%s", err);
		return r;
	}
	memcpy(w->id, sm.id, KAIRAN_ID_LEN);
	w->at_ms = sm.created_ms;
	if ((m = cli_shown_message(&sm, err, sizeof(err))) != NULL) {
		if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT)
			w->reason = strdup(m->report->withdraw_reason);
		message_free(m);
	}
	store_msg_clear(&sm);
	return 1;
}

void
show_withdrawal_banner(const struct cli *c, const struct store_msg *sm)
{
	struct withdrawal w;

	if (!sm->is_report || withdrawal_get(c, sm->dir, sm->incident,
	    &w) != 1)
		return;
	incident_withdrawn_banner(stdout, w.at_ms, w.reason);
	free(w.reason);
}

/* "withdrawn": {at, reason, message} or null, for --json. */
static json_t *
withdrawal_json(const struct cli *c, const struct store_msg *sm)
{
	struct withdrawal w;
	char hex[KAIRAN_ID_HEXLEN + 1];
	json_t *o;

	if (!sm->is_report || withdrawal_get(c, sm->dir, sm->incident,
	    &w) != 1)
		return json_null();
	o = json_object();
	message_hex(w.id, KAIRAN_ID_LEN, hex);
	json_object_set_new(o, "at", jst_json(w.at_ms));
	json_object_set_new(o, "reason", w.reason != NULL ?
	    json_string(w.reason) : json_null());
	json_object_set_new(o, "message", json_string(hex));
	free(w.reason);
	return o;
}


/* ---- deadlines (deadline.h, node/README.md "Deadlines") ---- */

/*
 * The proxy-log deadline of the incident of report sm as known by that
 * report (the reports of its direction numbered up to it), at now. 0, or
 * -1 (said on stderr; nothing is shown about it then).
 */
static int
report_proxy(const struct cli *c, const struct store_msg *sm,
    struct deadline_proxy *out)
{
	char err[512];

	memset(out, 0, sizeof(*out));
	if (!sm->is_report)
		return 0;
	if (deadline_report_proxy(c->store, sm->dir, sm->incident,
	    sm->report_no, message_now_ms(), out, err, sizeof(err)) == -1) {
		cli_err(c, "%s", err);
		return -1;
	}
	return 0;
}

/*
 * The lines of show's text about the proxy logs: the
 * deadline on a 第1報 of a targeted attack, whether it was met on every
 * later report (「プロキシログ確認: 期限内 / 期限超過 / 未確認」).
 */
static void
show_proxy(const struct cli *c, const struct store_msg *sm)
{
	struct deadline_proxy d;
	char t[JST_BUFLEN];

	if (report_proxy(c, sm, &d) == -1 || d.state == DEADLINE_PROXY_NONE)
		return;
	if (sm->report_no == 1)
		printf("%s: %s（%s6時間以内、「事案発覚後6時間以内」）\n",
		    LABEL_PROXY_DEADLINE, jst_rfc3339(d.due_ms, t),
		    d.discovered ? "発見日時から" : "第1報の時刻から");
	if (sm->report_no > 1 || d.checked_ms > 0)
		deadline_proxy_print(stdout, "", &d);
}

/* The form of report m (stored as sm) with its proxy-log deadline. */
static int
show_form(const struct cli *c, const struct store_msg *sm, const Message *m)
{
	struct deadline_proxy d;
	struct form_context ctx;
	char note[DEADLINE_NOTE_LEN];

	if (report_proxy(c, sm, &d) == -1)
		d.state = DEADLINE_PROXY_NONE;
	deadline_form_context(m, &d, note, sizeof(note), &ctx);
	return form_print(stdout, m, c->dir, &ctx);
}

/* A stored message as JSON (see node/README.md). New reference. */
json_t *
show_msg_json(const struct cli *c, const struct store_msg *sm, const Message *m)
{
	char hex[KAIRAN_ID_HEXLEN + 1];
	const char *sender;
	json_t *o, *a, *x;
	size_t i;

	o = json_object();
	message_hex(sm->id, KAIRAN_ID_LEN, hex);
	json_object_set_new(o, "id", json_string(hex));
	json_object_set_new(o, "direction",
	    json_string(sm->dir == STORE_IN ? "in" : "out"));
	sender = m->sender;
	json_object_set_new(o, "sender", json_string(sender));
	json_object_set_new(o, "sender_name",
	    json_string(cli_entity_name(c->dir, sender)));
	a = json_array();
	for (i = 0; i < m->n_recipients; i++)
		json_array_append_new(a, json_string(m->recipients[i]));
	json_object_set_new(o, "recipients", a);
	json_object_set_new(o, "status",
	    json_string(message_status_name(m->status)));
	json_object_set_new(o, "exercise",
	    json_boolean(m->status == KAIRAN__V1__STATUS__EXERCISE));
	json_object_set_new(o, "created_at", jst_json(m->created_at_ms));
	if (sm->dir == STORE_IN) {
		json_object_set_new(o, "received_at",
		    jst_json(sm->received_ms));
		json_object_set_new(o, "acknowledged",
		    json_boolean(sm->ack_ms > 0));
		json_object_set_new(o, "acknowledged_at",
		    jst_json(sm->ack_ms));
		json_object_set_new(o, "acknowledged_by", sm->ack_by != NULL ?
		    json_string(sm->ack_by) : json_null());
	}
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT) {
		message_hex(m->report->incident_id.data, KAIRAN_ID_LEN, hex);
		json_object_set_new(o, "incident", json_string(hex));
		json_object_set_new(o, "report_no",
		    json_integer(m->report->report_no));
		json_object_set_new(o, "phase",
		    json_string(message_phase_name(m->report->phase)));
		json_object_set_new(o, "withdrawn", withdrawal_json(c, sm));
		x = report_to_json(m->report);
		json_object_set_new(o, "report", x != NULL ? x : json_null());
		{
			struct deadline_proxy d;

			(void)report_proxy(c, sm, &d);
			json_object_set_new(o, "proxy_logs",
			    deadline_proxy_json(&d));
		}
	} else if (m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY) {
		json_object_set_new(o, "kind", json_string("advisory"));
		x = advisory_to_json(m->advisory);
		json_object_set_new(o, "advisory", x != NULL ? x : json_null());
		if (sm->dir == STORE_IN) {
			json_object_set_new(o, "done", json_boolean(
			    sm->done_ms > 0));
			json_object_set_new(o, "done_at", jst_json(sm->done_ms));
			json_object_set_new(o, "done_by", sm->done_by != NULL ?
			    json_string(sm->done_by) : json_null());
			json_object_set_new(o, "done_note", sm->done_note !=
			    NULL ? json_string(sm->done_note) : json_null());
		}
	} else if (m->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT) {
		x = json_object();
		message_hex(m->receipt->ref_id.data, KAIRAN_ID_LEN, hex);
		json_object_set_new(x, "ref_id", json_string(hex));
		json_object_set_new(x, "state", json_string(
		    message_receipt_state_name(m->receipt->state)));
		json_object_set_new(x, "by", json_string(m->receipt->by));
		json_object_set_new(x, "note", json_string(m->receipt->note));
		json_object_set_new(o, "receipt", x);
	}
	return o;
}

/*
 * "label: value" if v is set. One-line fields (flags 0) are escaped whole,
 * so a newline shows as \x0a; long texts (TEXT_MULTILINE) keep their lines,
 * each continuation indented by two spaces so that no line of a report
 * can pass for a field of its own.
 */
static void
show_field(const char *label, const char *v, int flags)
{
	if (v == NULL || v[0] == '\0')
		return;
	printf("%s: ", label);
	if (flags & TEXT_MULTILINE)
		(void)text_fputs_lines(v, "", "  ", stdout);
	else {
		(void)text_fputs(v, 0, stdout);
		putchar('\n');
	}
}

/* A report field, labelled as on the form (labels.h). */
static void
show_item(const char *key, const char *v, int flags)
{
	show_field(label_field(key), v, flags);
}

static void
show_list(const char *key, char **v, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	printf("%s: ", label_field(key));
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs("、", stdout);
		(void)text_fputs(v[i], 0, stdout);
	}
	putchar('\n');
}

/* 復旧措置 and its parts (報告様式1 item 6), each if set. */
static void
show_recovery(const Kairan__V1__Recovery *v)
{
	if (v == NULL)
		return;
	show_item("recovery.measures", v->measures, TEXT_MULTILINE);
	show_item("recovery.status", v->status, TEXT_MULTILINE);
	show_item("recovery.outlook", v->outlook, TEXT_MULTILINE);
	if (v->cost_known)
		printf("%s: %llu円\n", label_field("recovery.cost_yen"),
		    (unsigned long long)v->cost_yen);
}

/* One channel of item 8: "報道発表: 実施済 2026-11-22T10:30:00+09:00" and its note. */
static void
show_channel(const char *key, const Kairan__V1__ExternalChannel *ch)
{
	char t[JST_BUFLEN];

	if (ch == NULL)
		return;
	printf("%s: %s", label_field(key), label_channel_state(ch->state));
	if (ch->at_ms > 0)
		printf(" %s", jst_rfc3339(ch->at_ms, t));
	putchar('\n');
	if (ch->note != NULL && ch->note[0] != '\0') {
		fputs("  ", stdout);
		(void)text_fputs_lines(ch->note, "", "  ", stdout);
	}
}

/* "ID NAME" of an entity, escaped. */
static void
show_entity(const struct cli *c, const char *id)
{
	(void)text_fputs(id, 0, stdout);
	putchar(' ');
	(void)text_fputs(cli_entity_name(c->dir, id), 0, stdout);
}

/*
 * An advisory as text, in the order a reader needs it: what kind, what,
 * from where, what to do and by when; then its 対応済 if we received it.
 */
static void
show_advisory(const struct store_msg *sm, const Advisory *a)
{
	char t[JST_BUFLEN];
	size_t i;

	printf("種別: %s (%s)\n", message_advisory_kind_label(a->kind),
	    advisory_kind_key(a->kind));
	show_field("件名", a->title, 0);
	show_field("情報源", a->source, 0);
	if (a->severity != 0)
		printf("重要度: %s\n", advisory_severity_key(a->severity));
	show_field("概要", a->summary, TEXT_MULTILINE);
	for (i = 0; i < a->n_references; i++) {
		printf("参考[%zu]: ", i + 1);
		(void)text_fputs(a->references[i], 0, stdout);
		putchar('\n');
	}
	for (i = 0; i < a->n_actions; i++) {
		printf("実施を求める対策[%zu]: ", i + 1);
		(void)text_fputs(a->actions[i], 0, stdout);
		putchar('\n');
	}
	if (a->due_at_ms > 0)
		printf("対応期限: %s\n", jst_rfc3339(a->due_at_ms, t));
	if (a->contact != NULL) {
		show_field("問合せ先", a->contact->name, 0);
		show_field("組織", a->contact->organization, 0);
		show_field("電話", a->contact->phone, 0);
		show_field("時間外", a->contact->after_hours_phone, 0);
		show_field("メール", a->contact->email, 0);
	}
	if (sm->dir == STORE_IN) {
		if (sm->done_ms > 0) {
			printf("対応済: %s ", jst_rfc3339(sm->done_ms, t));
			(void)text_fputs(sm->done_by, 0, stdout);
			putchar(' ');
			(void)text_fputs(sm->done_note != NULL ?
			    sm->done_note : "", 0, stdout);
			putchar('\n');
		} else
			printf("対応済: 未報告\n");
	}
	putchar('\n');
}

/* The plain text view of one message; every received string escaped. */
static void
show_text(const struct cli *c, const struct store_msg *sm, const Message *m)
{
	char hex[KAIRAN_ID_HEXLEN + 1], t[JST_BUFLEN];
	const IncidentReport *r;
	const Kairan__V1__Attachment *a;
	const char *mark = label_status(m->status);
	size_t i;

	message_hex(sm->id, KAIRAN_ID_LEN, hex);
	printf("message %s (%s)\n", hex, sm->dir == STORE_IN ? "受信" : "送信");
	if (mark[0] != '\0')
		printf("*** %s ***\n", mark);
	fputs("差出人: ", stdout);
	show_entity(c, m->sender);
	fputs("\n宛先: ", stdout);
	for (i = 0; i < m->n_recipients; i++) {
		if (i > 0)
			fputs("、", stdout);
		show_entity(c, m->recipients[i]);
	}
	putchar('\n');
	printf("作成: %s\n", jst_rfc3339(m->created_at_ms, t));
	if (sm->dir == STORE_IN) {
		printf("受信: %s\n", jst_rfc3339(sm->received_ms, t));
		if (sm->ack_ms > 0) {
			printf("受理確認: %s ", jst_rfc3339(sm->ack_ms, t));
			(void)text_fputs(sm->ack_by, 0, stdout);
			if (sm->ack_note != NULL) {
				putchar(' ');
				(void)text_fputs(sm->ack_note, 0, stdout);
			}
			putchar('\n');
		} else
			printf("受理確認: 未確認\n");
	}
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT) {
		message_hex(m->receipt->ref_id.data, KAIRAN_ID_LEN, hex);
		printf("受領通知: %s (%s) ref %s\n",
		    message_receipt_state_name(m->receipt->state),
		    label_receipt_state(m->receipt->state), hex);
		show_field("氏名", m->receipt->by, 0);
		show_field("備考", m->receipt->note, TEXT_MULTILINE);
		putchar('\n');
		return;
	}
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY) {
		show_advisory(sm, m->advisory);
		return;
	}
	r = m->report;
	message_hex(r->incident_id.data, KAIRAN_ID_LEN, hex);
	printf("incident %s\n", hex);
	printf("第%u報 (%s)\n", r->report_no, label_phase(r->phase));
	show_item("title", r->title, 0);
	if (r->author != NULL) {
		show_item("author.role", r->author->role, 0);
		show_item("author.name", r->author->name, 0);
	}
	printf("区分: %s\n", label_category(r->category));
	show_list("subtypes", r->subtypes, r->n_subtypes);
	printf("%s: %u（%s）\n", label_field("level"), r->level,
	    label_level(r->level));
	if (r->occurred_at_ms > 0)
		printf("%s: %s\n", label_field("occurred_at"),
		    jst_rfc3339(r->occurred_at_ms, t));
	if (r->discovered_at_ms > 0)
		printf("%s: %s\n", label_field("discovered_at"),
		    jst_rfc3339(r->discovered_at_ms, t));
	if (r->detection != NULL) {
		if (r->detection->method != 0)
			printf("%s: %s\n", label_field("detection.method"),
			    label_detection_method(r->detection->method));
		show_item("detection.by", r->detection->by, 0);
		show_item("detection.detail", r->detection->detail,
		    TEXT_MULTILINE);
	}
	if (r->proxy_logs_checked_at_ms > 0)
		printf("%s: %s\n", label_field("proxy_logs_checked_at"),
		    jst_rfc3339(r->proxy_logs_checked_at_ms, t));
	show_item("location", r->location, TEXT_MULTILINE);
	show_item("summary", r->summary, TEXT_MULTILINE);
	show_item("service_overview", r->service_overview, TEXT_MULTILINE);
	show_item("service_impact", r->service_impact, TEXT_MULTILINE);
	show_item("system_overview", r->system_overview, TEXT_MULTILINE);
	show_list("affected_services", r->affected_services,
	    r->n_affected_services);
	show_list("affected_systems", r->affected_systems,
	    r->n_affected_systems);
	show_item("cause", r->cause, TEXT_MULTILINE);
	show_item("suspected_act", r->suspected_act, TEXT_MULTILINE);
	show_item("damage", r->damage, TEXT_MULTILINE);
	show_item("damage_scale", r->damage_scale, TEXT_MULTILINE);
	show_item("leaked_info", r->leaked_info, TEXT_MULTILINE);
	if (r->records_affected > 0)
		printf("%s: %llu\n", label_field("records_affected"),
		    (unsigned long long)r->records_affected);
	show_item("response", r->response, TEXT_MULTILINE);
	show_item("initial_response", r->initial_response, TEXT_MULTILINE);
	show_recovery(r->recovery);
	show_item("prevention", r->prevention, TEXT_MULTILINE);
	show_item("external_response", r->external_response, TEXT_MULTILINE);
	show_channel("press_release", r->press_release);
	show_channel("residents", r->residents);
	show_channel("government", r->government);
	show_channel("agencies", r->agencies);
	if (r->publication != NULL) {
		printf("%s: %s\n", label_field("publication"),
		    label_publication(r->publication->decision));
		show_item("publication.approved_by",
		    r->publication->approved_by, 0);
	}
	show_item("other", r->other, TEXT_MULTILINE);
	if (r->contact != NULL) {
		show_item("contact", r->contact->name, 0);
		show_item("contact.phone", r->contact->phone, 0);
		show_item("contact.after_hours_phone",
		    r->contact->after_hours_phone, 0);
	}
	for (i = 0; i < r->n_attachments; i++) {
		a = r->attachments[i];
		printf("%s: ", label_field("attachments"));
		(void)text_fputs(a->name, 0, stdout);
		fputs(" (", stdout);
		(void)text_fputs(a->media_type, 0, stdout);
		printf(", %zu bytes)\n", a->data.len);
	}
	show_proxy(c, sm);
	putchar('\n');
}

static void
usage_show(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] show ID [--json | --form | "
	    "--save DIR]\n"
	    "  ID: a message id, or an incident id (all its reports, in "
	    "order), or a\n"
	    "      unique prefix of either (6+ hex digits). A withdrawn "
	    "incident (取消)\n"
	    "      shows its withdrawal and the reason first.\n"
	    "  --form      lay it out like the report form (報告様式).\n"
	    "  --save DIR  write its attachments into the folder DIR, after "
	    "checking\n"
	    "              each one's SHA-256; never over an existing file "
	    "(name-1.ext).\n"
	    "  Text from a report is shown with control characters escaped "
	    "(\\x1b).\n");
}

int
show_verb_show(struct cli *c, int argc, char **argv)
{
	struct store_msg one, *v = NULL;
	Message **ms = NULL;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	const char *save = NULL;
	json_t *out = NULL, *arr = NULL;
	long n = 0, i;
	int json = 0, form = 0, rc = CLI_ERROR, found, incident = 0;
	const struct cli_opt opts[] = {
		{ "json", 'j', NULL, &json, 0 },
		{ "form", 'F', NULL, &form, 0 },
		{ "save", 0, &save, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	if (!cli_args(c, argc, argv, opts, 1, "ID", usage_show, &rc))
		return rc;
	rc = CLI_ERROR;
	if (json + form + (save != NULL) > 1) {
		cli_err(c, "--json, --form and --save exclude each other");
		usage_show(stderr);
		return CLI_USAGE;
	}
	if (save != NULL && save[0] == '\0') {
		cli_err(c, "--save: a folder is required");
		return CLI_USAGE;
	}
	if (cli_id_syntax(c, argv[optind], usage_show) == -1)
		return CLI_USAGE;
	if (cli_open(c, 0) == -1)
		return CLI_ERROR;
	if ((rc = cli_resolve_id(c, argv[optind], STORE_ID_ANY, id)) != 0)
		return rc;
	rc = CLI_ERROR;
	memset(&one, 0, sizeof(one));
	/* A message id (received, then sent), else an incident id. */
	if ((found = store_msg_get(c->store, STORE_IN, id, &one, err,
	    sizeof(err))) == 0)
		found = store_msg_get(c->store, STORE_OUT, id, &one, err,
		    sizeof(err));
	if (found == -1) {
		cli_err(c, "%s", err);
		goto done;
	}
	if (found == 1) {
		if ((v = malloc(sizeof(*v))) == NULL) {
			store_msg_clear(&one);
			goto done;
		}
		v[0] = one;
		n = 1;
	} else {
		incident = 1;
		if ((n = store_msg_incident(c->store, STORE_IN, id, &v, err,
		    sizeof(err))) == 0)
			n = store_msg_incident(c->store, STORE_OUT, id, &v, err,
			    sizeof(err));
		if (n == -1) {
			n = 0;
			cli_err(c, "%s", err);
			goto done;
		}
		if (n == 0) {
			cli_err(c, "%s: no message or incident with this id",
			    argv[optind]);
			goto done;
		}
	}
	if ((ms = calloc((size_t)n, sizeof(*ms))) == NULL) {
		cli_err(c, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		if ((ms[i] = cli_shown_message(&v[i], err,
		    sizeof(err))) == NULL) {
			cli_err(c, "stored message: %s", err);
			goto done;
		}
	if (save != NULL) {
		rc = save_attachments(c, save, ms, n);
		goto done;
	}
	if (json)
		arr = json_array();
	else
		show_withdrawal_banner(c, &v[0]);	/* before anything else */
	for (i = 0; i < n; i++) {
		if (json)
			json_array_append_new(arr, show_msg_json(c, &v[i],
			    ms[i]));
		else if (form && ms[i]->body_case ==
		    KAIRAN__V1__MESSAGE__BODY_REPORT) {
			if (show_form(c, &v[i], ms[i]) == -1) {
				cli_err(c, "write error");
				goto done;
			}
			putchar('\n');
		} else
			show_text(c, &v[i], ms[i]);
	}
	if (json) {
		if (incident) {
			out = json_object();
			message_hex(id, KAIRAN_ID_LEN, hex);
			json_object_set_new(out, "incident", json_string(hex));
			json_object_set(out, "reports", arr);
		} else
			out = json_incref(json_array_get(arr, 0));
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_ERROR;
done:
	for (i = 0; ms != NULL && i < n; i++)
		message_free(ms[i]);
	free(ms);
	json_decref(out);
	json_decref(arr);
	store_msgs_free(v, (size_t)n);
	return rc;
}
