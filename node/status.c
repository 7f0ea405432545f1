/*
 * status: the receipt matrix of one report of ours (see status.h).
 *
 * Strings that came from elsewhere (a relay's refusal detail, a
 * recipient's name and note, a rejection reason, the id of the relay
 * holding a report) are printed through
 * text.h, single-line: a control character shows as "\x1b" and a newline
 * cannot fake a line of the matrix. JSON carries them as they are
 * (jansson escapes them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "incident.h"
#include "lock.h"
#include "status.h"
#include "store_imail.h"
#include "store_msg.h"
#include "store_route.h"
#include "store_sent.h"
#include "store_status.h"

const char *
status_state_name(enum status_state s)
{
	switch (s) {
	case STATUS_PENDING:
		return "pending";
	case STATUS_DELIVERED:
		return "delivered";
	case STATUS_ACKNOWLEDGED:
		return "acknowledged";
	case STATUS_REJECTED:
		return "rejected";
	case STATUS_HELD:
		return "held";
	case STATUS_DONE:
		return "done";
	case STATUS_MAILED:
		return "mailed";
	default:
		fatalx("%s: state %d", __func__, (int)s);
	}
}

const char *
status_conn_name(enum status_conn_state s)
{
	switch (s) {
	case STATUS_CONN_NO_DAEMON:
		return "no_daemon";
	case STATUS_CONN_UNKNOWN:
		return "unknown";
	case STATUS_CONN_UP:
		return "connected";
	case STATUS_CONN_DOWN:
		return "not_connected";
	default:
		fatalx("%s: state %d", __func__, (int)s);
	}
}

/*
 * Each configured route's connection as the running daemon recorded it
 * (a row written by an earlier daemon, another pid, is not believed).
 */
static int
load_conns(struct status_view *v, struct store *store, char *err,
    size_t errlen)
{
	struct store_route_conn rc;
	size_t i;
	int r;

	if ((v->conns = calloc(v->cfg->nroutes + 1, sizeof(*v->conns))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((r = lock_probe(v->cfg->db, &v->daemon_pid, err, errlen)) == -1)
		return -1;
	if (r == 0)
		return 0;	/* every route: STATUS_CONN_NO_DAEMON */
	for (i = 0; i < v->cfg->nroutes; i++) {
		v->conns[i].state = STATUS_CONN_UNKNOWN;
		if ((r = store_route_conn_get(store, v->cfg->routes[i].name,
		    &rc, err, errlen)) == -1)
			return -1;
		if (r == 1 && rc.pid == v->daemon_pid) {
			v->conns[i].state = rc.connected ? STATUS_CONN_UP :
			    STATUS_CONN_DOWN;
			v->conns[i].since_ms = rc.since_ms;
			v->conns[i].reason = rc.reason;
			rc.reason = NULL;
		}
		store_route_conn_clear(&rc);
	}
	return 0;
}

/* Whether the report's incident was withdrawn (取消), and why. */
static int
load_withdrawal(struct status_view *v, struct store *store, char *err,
    size_t errlen)
{
	struct store_msg w;
	Envelope *env;
	Message *m;
	int r;

	if ((r = store_msg_withdrawal(store, STORE_OUT, v->msg.incident, &w,
	    err, errlen)) != 1)
		return r;
	v->withdrawn = 1;
	v->withdrawn_ms = w.created_ms;
	memcpy(v->withdraw_id, w.id, KAIRAN_ID_LEN);
	if ((env = kairan__v1__envelope__unpack(NULL, w.envlen, w.env)) !=
	    NULL) {
		if ((m = message_decode(env->message.data, env->message.len,
		    err, errlen)) != NULL) {
			v->withdraw_reason = strdup(m->report->withdraw_reason);
			message_free(m);
		}
		kairan__v1__envelope__free_unpacked(env, NULL);
	}
	store_msg_clear(&w);
	return 1;
}

/* The incident's deadlines as of now (none for a withdrawn incident). */
static int
load_deadlines(struct status_view *v, struct store *store, char *err,
    size_t errlen)
{
	struct deadline_set set;
	int64_t now = message_now_ms();

	if (deadline_load(&set, store, STORE_OUT, v->msg.incident, err,
	    errlen) == -1)
		return -1;
	deadline_final(set.v, set.n, now, &v->final);
	if (!v->withdrawn)
		deadline_proxy(set.v, set.n, 0, now, &v->proxy);
	deadline_set_clear(&set);
	return 0;
}

/* The advisory's kind, title and due time, from its stored envelope. */
static int
load_advisory(struct status_view *v, char *err, size_t errlen)
{
	Envelope *env;
	Message *m = NULL;

	if ((env = kairan__v1__envelope__unpack(NULL, v->msg.envlen,
	    v->msg.env)) == NULL ||
	    (m = message_decode(env->message.data, env->message.len, err,
	    errlen)) == NULL ||
	    m->body_case != KAIRAN__V1__MESSAGE__BODY_ADVISORY) {
		if (env != NULL)
			kairan__v1__envelope__free_unpacked(env, NULL);
		message_free(m);
		snprintf(err, errlen, "stored advisory does not decode");
		return -1;
	}
	v->adv_kind = m->advisory->kind;
	v->due_ms = m->advisory->due_at_ms;
	v->adv_title = strdup(m->advisory->title);
	message_free(m);
	kairan__v1__envelope__free_unpacked(env, NULL);
	if (v->adv_title == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* 1 if recipient r of advisory v has not reported 対応済 by its due time. */
static int
past_due(const struct status_view *v, const struct store_rcpt_state *r)
{
	return v->msg.is_advisory && v->due_ms > 0 && v->now_ms > v->due_ms &&
	    r->done_ms == 0 && r->rejected_ms == 0;
}

int
status_settled(const struct status_view *v)
{
	return v->total > 0 && v->acknowledged + v->rejected +
	    (v->mailed - v->unconfirmed) == v->total;
}

enum status_state
status_of(const struct store_rcpt_state *r)
{
	if (r->done_ms > 0)
		return STATUS_DONE;
	if (r->acknowledged_ms > 0)
		return STATUS_ACKNOWLEDGED;
	if (r->delivered_ms > 0)
		return STATUS_DELIVERED;
	if (r->mailed_ms > 0)
		return STATUS_MAILED;
	if (r->rejected_ms > 0)
		return STATUS_REJECTED;
	if (r->held_by != NULL)
		return STATUS_HELD;
	return STATUS_PENDING;
}

int
status_load(struct status_view *v, struct store *store,
    const struct config *cfg, const struct directory *dir,
    const uint8_t id[KAIRAN_ID_LEN], char *err, size_t errlen)
{
	size_t i;
	int rc;

	memset(v, 0, sizeof(*v));
	v->cfg = cfg;
	v->dir = dir;
	if ((rc = store_msg_get(store, STORE_OUT, id, &v->msg, err,
	    errlen)) != 1)
		return rc;
	if (!v->msg.is_report && !v->msg.is_advisory) {
		store_msg_clear(&v->msg);
		return 0;
	}
	if ((rc = store_status(store, id, &v->st, err, errlen)) != 1) {
		store_msg_clear(&v->msg);
		return rc;
	}
	v->now_ms = message_now_ms();
	if (load_conns(v, store, err, errlen) == -1 ||
	    (v->msg.is_advisory ? load_advisory(v, err, errlen) :
	    load_withdrawal(v, store, err, errlen) == -1 ||
	    load_deadlines(v, store, err, errlen) == -1) == -1) {
		status_clear(v);
		return -1;
	}
	if (store_imail_list(store, id, &v->imail, &v->nimail, err,
	    errlen) == -1) {
		status_clear(v);
		return -1;
	}
	for (i = 0; i < v->nimail; i++)
		if (v->imail[i].state == STORE_IMAIL_SENT)
			v->imail_sent++;
		else if (v->imail[i].state == STORE_IMAIL_FAILED)
			v->imail_failed++;
	v->total = v->st.nrcpts;
	for (i = 0; i < v->st.nrcpts; i++) {
		if (v->st.rcpts[i].overdue_ms > 0 &&
		    v->st.rcpts[i].acknowledged_ms == 0)
			v->overdue++;
		switch (status_of(&v->st.rcpts[i])) {
		case STATUS_DONE:
			/* 対応済 was read, and delivered */
			v->done++;
			v->acknowledged++;
			v->delivered++;
			break;
		case STATUS_ACKNOWLEDGED:
			v->acknowledged++;
			v->delivered++;
			break;
		case STATUS_DELIVERED:
			v->delivered++;
			break;
		case STATUS_REJECTED:
			v->rejected++;
			break;
		case STATUS_HELD:
			v->held++;
			break;
		case STATUS_MAILED:
			v->mailed++;
			if (v->st.rcpts[i].nphones == 0)
				v->unconfirmed++;
			break;
		case STATUS_PENDING:
			break;
		default:
			fatalx("%s: state", __func__);
		}
	}
	return 1;
}

void
status_clear(struct status_view *v)
{
	size_t i;

	if (v->conns != NULL && v->cfg != NULL)
		for (i = 0; i < v->cfg->nroutes; i++)
			free(v->conns[i].reason);
	free(v->conns);
	free(v->withdraw_reason);
	free(v->adv_title);
	store_msg_clear(&v->msg);
	store_status_clear(&v->st);
	store_imail_free(v->imail, v->nimail);
	memset(v, 0, sizeof(*v));
}

/* The answer of route name, or NULL if it has not answered. */
static const struct store_route_state *
route_answer(const struct status_view *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->st.nroutes; i++)
		if (strcmp(v->st.routes[i].route, name) == 0)
			return &v->st.routes[i];
	return NULL;
}

static int
route_configured(const struct status_view *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->cfg->nroutes; i++)
		if (strcmp(v->cfg->routes[i].name, name) == 0)
			return 1;
	return 0;
}

static const char *
entity_name(const struct status_view *v, const char *id)
{
	const struct dir_entity *e;

	if (v->dir == NULL || (e = directory_get(v->dir, id)) == NULL ||
	    e->name == NULL)
		return "";
	return e->name;
}

/* s escaped on one line between quotes; "" for NULL. */
static void
quoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	(void)text_fputs(s, 0, fp);
	fputc('"', fp);
}

/* "; connected since T" and the like, after a configured route's answer. */
static void
print_conn(FILE *fp, const struct status_conn *k)
{
	char t[JST_BUFLEN];

	if (k == NULL)
		return;
	switch (k->state) {
	case STATUS_CONN_NO_DAEMON:
		fprintf(fp, "; no daemon running");
		break;
	case STATUS_CONN_UNKNOWN:
		fprintf(fp, "; daemon running, connection not known yet");
		break;
	case STATUS_CONN_UP:
		fprintf(fp, "; connected since %s",
		    jst_rfc3339(k->since_ms, t));
		break;
	case STATUS_CONN_DOWN:
		fprintf(fp, "; not connected since %s: ",
		    jst_rfc3339(k->since_ms, t));
		/* lws's reason may quote what a peer sent */
		text_fputs(k->reason != NULL ? k->reason : "?", 0, fp);
		break;
	default:
		fatalx("%s: state %d", __func__, (int)k->state);
	}
}

static void
print_route(FILE *fp, const char *name, const struct store_route_state *a,
    const struct status_conn *k)
{
	char t[JST_BUFLEN];

	fputs("route ", fp);
	(void)text_fputs(name, 0, fp);
	if (a != NULL && a->accepted_ms > 0)
		fprintf(fp, ": accepted %s", jst_rfc3339(a->accepted_ms, t));
	else if (a != NULL && a->refused_reason != 0) {
		fprintf(fp, ": refused %s ",
		    frame_reason_name(a->refused_reason));
		quoted(fp, a->refused_detail);
	} else
		fprintf(fp, ": pending");
	print_conn(fp, k);
	fputc('\n', fp);
}

/* ", internal mail sent N/M (failed K)": only when there are any. */
static void
imail_counts(FILE *fp, size_t sent, size_t total, size_t failed)
{
	if (total == 0)
		return;
	fprintf(fp, ", internal mail sent %zu/%zu", sent, total);
	if (failed > 0)
		fprintf(fp, " (failed %zu)", failed);
}

void
status_progress(FILE *fp, const struct status_view *v)
{
	fprintf(fp, "delivered %zu/%zu, acknowledged %zu/%zu, rejected "
	    "%zu/%zu", v->delivered, v->total, v->acknowledged, v->total,
	    v->rejected, v->total);
	if (v->msg.is_advisory)
		fprintf(fp, ", done %zu/%zu", v->done, v->total);
	/* only when there are: scripts read the three counts above */
	if (v->mailed > 0)
		fprintf(fp, ", mailed %zu/%zu (unconfirmed %zu)", v->mailed,
		    v->total, v->unconfirmed);
	imail_counts(fp, v->imail_sent, v->nimail, v->imail_failed);
	fputc('\n', fp);
}

void
status_sent_imail(FILE *fp, const struct store_sent *s)
{
	imail_counts(fp, (size_t)s->imail_sent, (size_t)s->imail,
	    (size_t)s->imail_failed);
}

void
status_sent_imail_json(json_t *x, const struct store_sent *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "total", json_integer(s->imail));
	json_object_set_new(o, "sent", json_integer(s->imail_sent));
	json_object_set_new(o, "failed", json_integer(s->imail_failed));
	json_object_set_new(x, "internal_mail", o);
}

static const char *
imail_state_name(int state)
{
	switch (state) {
	case STORE_IMAIL_PENDING:
		return "pending";
	case STORE_IMAIL_SENT:
		return "sent";
	case STORE_IMAIL_FAILED:
		return "failed";
	default:
		fatalx("%s: state %d", __func__, state);
	}
}

/*
 * "internal CISO       <ciso@…>  sent 2026-… (250, attempt 1)", one line
 * per internal mail, the role and address columns by display width.
 */
static void
imail_print(FILE *fp, const struct status_view *v)
{
	const struct store_imail *x;
	char t[JST_BUFLEN];
	size_t i, k, wr = 0, wa = 0;

	for (i = 0; i < v->nimail; i++) {
		if ((k = text_width(v->imail[i].role)) > wr)
			wr = k;
		if ((k = text_width(v->imail[i].address) + 2) > wa)
			wa = k;
	}
	for (i = 0; i < v->nimail; i++) {
		x = &v->imail[i];
		fputs("internal ", fp);
		(void)text_fpad(fp, x->role, wr);
		fputs(" <", fp);
		(void)text_fputs(x->address, 0, fp);
		fputc('>', fp);
		for (k = text_width(x->address) + 2; k < wa; k++)
			fputc(' ', fp);
		fprintf(fp, " %s", imail_state_name(x->state));
		if (x->at_ms > 0)
			fprintf(fp, " %s", jst_rfc3339(x->at_ms, t));
		if (x->attempts > 0) {
			fprintf(fp, " (");
			if (x->code > 0)
				fprintf(fp, "%ld, ", x->code);
			else
				fputs("no reply, ", fp);
			fprintf(fp, "attempt %d)", x->attempts);
		}
		if (x->state == STORE_IMAIL_FAILED && x->reply != NULL &&
		    x->reply[0] != '\0') {
			fputc(' ', fp);
			quoted(fp, x->reply);
		}
		if (x->state == STORE_IMAIL_PENDING && x->attempts > 0)
			fprintf(fp, ", next %s", jst_rfc3339(x->due_ms, t));
		fputc('\n', fp);
	}
}

static json_t *
imail_json(const struct status_view *v)
{
	const struct store_imail *x;
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < v->nimail; i++) {
		x = &v->imail[i];
		o = json_object();
		json_object_set_new(o, "role", json_string(x->role));
		json_object_set_new(o, "address", json_string(x->address));
		json_object_set_new(o, "state",
		    json_string(imail_state_name(x->state)));
		json_object_set_new(o, "attempts", json_integer(x->attempts));
		json_object_set_new(o, "code", x->code >= 0 ?
		    json_integer(x->code) : json_null());
		json_object_set_new(o, "reply", x->reply != NULL ?
		    json_string(x->reply) : json_null());
		json_object_set_new(o, "at", x->at_ms > 0 ? jst_json(x->at_ms) :
		    json_null());
		json_object_set_new(o, "next_at",
		    x->state == STORE_IMAIL_PENDING ? jst_json(x->due_ms) :
		    json_null());
		json_array_append_new(a, o);
	}
	return a;
}

/*
 * "; 電話で確認（このノードで記録）: NAME, T "note" (recorded at this node,
 * ID; not a signed 受理確認)" for each phone confirmation. It is this
 * node's own record (`kairan-node confirm`), kept here only: never sent,
 * never signed, and apart from any an operator records in a relay's
 * console (node/README.md "Phone confirmations").
 */
static void
print_phones(FILE *fp, const struct status_view *v,
    const struct store_rcpt_state *r)
{
	char t[JST_BUFLEN];
	size_t i;

	for (i = 0; i < r->nphones; i++) {
		fputs("; 電話で確認（このノードで記録）: ", fp);
		(void)text_fputs(r->phones[i].by != NULL ? r->phones[i].by :
		    "?", 0, fp);
		fprintf(fp, ", %s", jst_rfc3339(r->phones[i].at_ms, t));
		if (r->phones[i].note != NULL && r->phones[i].note[0] != '\0') {
			fputc(' ', fp);
			quoted(fp, r->phones[i].note);
		}
		fputs(" (recorded at this node, ", fp);
		(void)text_fputs(v->cfg != NULL ? v->cfg->id : "?", 0, fp);
		fputs("; not a signed 受理確認)", fp);
	}
}

void
status_print(FILE *fp, const struct status_view *v)
{
	char id[KAIRAN_ID_HEXLEN + 1], inc[KAIRAN_ID_HEXLEN + 1];
	char t[JST_BUFLEN];
	const char *mark;
	size_t i;

	message_hex(v->msg.id, KAIRAN_ID_LEN, id);
	message_hex(v->msg.incident, KAIRAN_ID_LEN, inc);
	/* A withdrawal comes before everything else about the incident. */
	if (v->withdrawn)
		incident_withdrawn_banner(fp, v->withdrawn_ms,
		    v->withdraw_reason);
	mark = label_status(v->msg.status);
	if (v->msg.is_advisory) {
		fprintf(fp, "message %s advisory %s%s%s  ", id,
		    message_advisory_kind_label(v->adv_kind),
		    mark[0] != '\0' ? " " : "", mark);
		(void)text_fputs(v->adv_title, 0, fp);
		fputc('\n', fp);
		if (v->due_ms > 0)
			fprintf(fp, "due %s (対応期限)%s\n",
			    jst_rfc3339(v->due_ms, t), v->now_ms > v->due_ms ?
			    ": past" : "");
	} else
		fprintf(fp, "message %s incident %s 第%u報%s%s%s%s\n", id, inc,
		    v->msg.report_no,
		    /* 収束宣言, 最終報告, 取消 are said; 第1報, 続報 need not be */
		    v->msg.phase > KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE ?
		    " " : "",
		    v->msg.phase > KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE ?
		    label_phase(v->msg.phase) : "",
		    mark[0] != '\0' ? " " : "", mark);
	for (i = 0; i < v->cfg->nroutes; i++)
		print_route(fp, v->cfg->routes[i].name,
		    route_answer(v, v->cfg->routes[i].name),
		    v->conns != NULL ? &v->conns[i] : NULL);
	for (i = 0; i < v->st.nroutes; i++)
		if (!route_configured(v, v->st.routes[i].route))
			print_route(fp, v->st.routes[i].route,
			    &v->st.routes[i], NULL);
	status_recipients_print(fp, v, "recipient ");
	imail_print(fp, v);
	/* the progress line stays last: scripts read it there */
	deadline_proxy_print(fp, "", &v->proxy);
	deadline_final_print(fp, "", &v->final);
	status_progress(fp, v);
}

void
status_recipients_print(FILE *fp, const struct status_view *v,
    const char *prefix)
{
	char t[JST_BUFLEN];
	const struct store_rcpt_state *r;
	const char *name;
	size_t i, x, we = 0, wn = 0;

	/* the id and "name:" columns, by display width (a kanji takes two) */
	for (i = 0; i < v->st.nrcpts; i++) {
		r = &v->st.rcpts[i];
		if ((x = text_width(r->entity)) > we)
			we = x;
		if ((x = text_width(entity_name(v, r->entity)) + 1) > wn)
			wn = x;
	}
	for (i = 0; i < v->st.nrcpts; i++) {
		r = &v->st.rcpts[i];
		name = entity_name(v, r->entity);
		fputs(prefix, fp);
		(void)text_fpad(fp, r->entity, we);
		fputc(' ', fp);
		(void)text_fputs(name, 0, fp);
		fputc(':', fp);
		for (x = text_width(name) + 1; x < wn; x++)
			fputc(' ', fp);
		fputc(' ', fp);
		switch (status_of(r)) {
		case STATUS_DONE:
			fprintf(fp, "done %s by ", jst_rfc3339(r->done_ms, t));
			(void)text_fputs(r->done_by != NULL ? r->done_by : "?",
			    0, fp);
			fputc(' ', fp);
			quoted(fp, r->done_note);
			fputs(" (対応済)", fp);
			break;
		case STATUS_ACKNOWLEDGED:
			fprintf(fp, "acknowledged %s by ",
			    jst_rfc3339(r->acknowledged_ms, t));
			(void)text_fputs(r->acknowledged_by != NULL ?
			    r->acknowledged_by : "?", 0, fp);
			if (r->ack_note != NULL && r->ack_note[0] != '\0') {
				fputc(' ', fp);
				quoted(fp, r->ack_note);
			}
			if (v->msg.is_advisory)
				fputs(" (確認しました)", fp);
			break;
		case STATUS_DELIVERED:
			fprintf(fp, "delivered %s",
			    jst_rfc3339(r->delivered_ms, t));
			break;
		case STATUS_REJECTED:
			fputs("rejected ", fp);
			quoted(fp, r->rejected_reason);
			fputs(" (by ", fp);
			(void)text_fputs(r->rejected_by != NULL ?
			    r->rejected_by : "?", 0, fp);
			fputc(')', fp);
			break;
		case STATUS_HELD:
			fputs("held at ", fp);
			(void)text_fputs(r->held_by, 0, fp);
			fprintf(fp, " since %s", jst_rfc3339(r->held_ms, t));
			break;
		case STATUS_MAILED:
			/* a server took the mail; no one has said they read it */
			fprintf(fp, "mailed%s %s by ", r->nphones == 0 ?
			    " (unconfirmed)" : "",
			    jst_rfc3339(r->mailed_ms, t));
			(void)text_fputs(r->mailed_by != NULL ? r->mailed_by :
			    "?", 0, fp);
			if (r->mailed_note != NULL && r->mailed_note[0] != '\0') {
				fputc(' ', fp);
				quoted(fp, r->mailed_note);
			}
			break;
		case STATUS_PENDING:
			fprintf(fp, "pending");
			break;
		default:
			fatalx("%s: state", __func__);
		}
		print_phones(fp, v, r);
		/* past its deadline, said its home relay: until it acknowledges */
		if (r->overdue_ms > 0 && r->acknowledged_ms == 0) {
			fprintf(fp, ", overdue since %s (no 受理確認 by the "
			    "deadline, says ", jst_rfc3339(r->overdue_ms, t));
			(void)text_fputs(r->overdue_by != NULL ? r->overdue_by :
			    "?", 0, fp);
			fputc(')', fp);
		}
		if (past_due(v, r))
			fputs(", past due (対応期限超過)", fp);
		/* Rule names are [A-Za-z0-9._-] (policy.h), escaped anyway. */
		if (r->required != NULL) {
			fputs(" [required: ", fp);
			(void)text_fputs(r->required, 0, fp);
			fputc(']', fp);
		}
		fputc('\n', fp);
	}
}

static json_t *
json_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* "a,b" (the rules that required a recipient) as ["a", "b"]; NULL: []. */
static json_t *
required_json(const char *rules)
{
	json_t *a = json_array();
	const char *s = rules, *e;

	while (a != NULL && s != NULL && *s != '\0') {
		if ((e = strchr(s, ',')) == NULL)
			e = s + strlen(s);
		json_array_append_new(a, json_stringn(s, (size_t)(e - s)));
		s = *e == ',' ? e + 1 : e;
	}
	return a;
}

/*
 * [{by, note, at, recorded_at, recorded_by}]: the phone confirmations this
 * node recorded (`confirm`), never receipts; recorded_at "node" and
 * recorded_by this node's id say where, as the console says "relay".
 */
static json_t *
phones_json(const struct status_view *v, const struct store_rcpt_state *r)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a != NULL && i < r->nphones; i++) {
		o = json_object();
		json_object_set_new(o, "by", json_str_or_null(r->phones[i].by));
		json_object_set_new(o, "note",
		    json_str_or_null(r->phones[i].note));
		json_object_set_new(o, "at", jst_json(r->phones[i].at_ms));
		json_object_set_new(o, "recorded_at", json_string("node"));
		json_object_set_new(o, "recorded_by", v->cfg != NULL ?
		    json_string(v->cfg->id) : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
route_json(const char *name, const struct store_route_state *a,
    const struct status_conn *k)
{
	json_t *o = json_object(), *x;

	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "accepted_at", jst_json(a != NULL ?
	    a->accepted_ms : 0));
	if (a != NULL && a->refused_reason != 0) {
		json_object_set_new(o, "refused",
		    json_string(frame_reason_name(a->refused_reason)));
		json_object_set_new(o, "detail",
		    json_str_or_null(a->refused_detail));
	} else {
		json_object_set_new(o, "refused", json_null());
		json_object_set_new(o, "detail", json_null());
	}
	if (k != NULL) {
		x = json_object();
		json_object_set_new(x, "state",
		    json_string(status_conn_name(k->state)));
		json_object_set_new(x, "since", jst_json(k->since_ms));
		json_object_set_new(x, "reason", k->state == STATUS_CONN_DOWN ?
		    json_str_or_null(k->reason) : json_null());
		json_object_set_new(o, "connection", x);
	} else
		json_object_set_new(o, "connection", json_null());
	return o;
}

json_t *
status_json(const struct status_view *v)
{
	char id[KAIRAN_ID_HEXLEN + 1], inc[KAIRAN_ID_HEXLEN + 1];
	const struct store_rcpt_state *r;
	json_t *o, *routes, *rcpts, *x;
	const char *name;
	enum status_state s;
	size_t i;

	message_hex(v->msg.id, KAIRAN_ID_LEN, id);
	message_hex(v->msg.incident, KAIRAN_ID_LEN, inc);
	o = json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "kind", json_string(v->msg.is_advisory ?
	    "advisory" : "report"));
	if (v->msg.is_advisory) {
		x = json_object();
		json_object_set_new(x, "kind", json_string(
		    message_advisory_kind_name(v->adv_kind)));
		json_object_set_new(x, "title", json_str_or_null(v->adv_title));
		json_object_set_new(x, "due_at", jst_json(v->due_ms));
		json_object_set_new(x, "past_due", json_boolean(v->due_ms > 0 &&
		    v->now_ms > v->due_ms));
		json_object_set_new(o, "advisory", x);
		json_object_set_new(o, "incident", json_null());
		json_object_set_new(o, "report_no", json_null());
	} else {
		json_object_set_new(o, "incident", json_string(inc));
		json_object_set_new(o, "report_no",
		    json_integer(v->msg.report_no));
	}
	json_object_set_new(o, "phase", v->msg.phase != 0 ?
	    json_string(message_phase_name(v->msg.phase)) : json_null());
	if (v->withdrawn) {
		x = json_object();
		message_hex(v->withdraw_id, KAIRAN_ID_LEN, id);
		json_object_set_new(x, "at", jst_json(v->withdrawn_ms));
		json_object_set_new(x, "reason",
		    json_str_or_null(v->withdraw_reason));
		json_object_set_new(x, "message", json_string(id));
		json_object_set_new(o, "withdrawn", x);
		message_hex(v->msg.id, KAIRAN_ID_LEN, id);
	} else
		json_object_set_new(o, "withdrawn", json_null());
	json_object_set_new(o, "status",
	    json_string(message_status_name(v->msg.status)));
	json_object_set_new(o, "created_at", jst_json(v->msg.created_ms));
	routes = json_array();
	for (i = 0; i < v->cfg->nroutes; i++)
		json_array_append_new(routes, route_json(v->cfg->routes[i].name,
		    route_answer(v, v->cfg->routes[i].name),
		    v->conns != NULL ? &v->conns[i] : NULL));
	for (i = 0; i < v->st.nroutes; i++)
		if (!route_configured(v, v->st.routes[i].route))
			json_array_append_new(routes, route_json(
			    v->st.routes[i].route, &v->st.routes[i], NULL));
	json_object_set_new(o, "routes", routes);
	rcpts = json_array();
	for (i = 0; i < v->st.nrcpts; i++) {
		r = &v->st.rcpts[i];
		s = status_of(r);
		x = json_object();
		json_object_set_new(x, "entity", json_string(r->entity));
		name = entity_name(v, r->entity);
		json_object_set_new(x, "name", name[0] != '\0' ?
		    json_string(name) : json_null());
		json_object_set_new(x, "state",
		    json_string(status_state_name(s)));
		json_object_set_new(x, "delivered_at",
		    jst_json(r->delivered_ms));
		json_object_set_new(x, "acknowledged_at",
		    jst_json(r->acknowledged_ms));
		json_object_set_new(x, "acknowledged_by",
		    json_str_or_null(r->acknowledged_by));
		json_object_set_new(x, "note", json_str_or_null(r->ack_note));
		json_object_set_new(x, "required", json_boolean(r->required !=
		    NULL));
		json_object_set_new(x, "required_by", required_json(r->required));
		json_object_set_new(x, "reason", r->rejected_ms > 0 ?
		    json_str_or_null(r->rejected_reason) : json_null());
		json_object_set_new(x, "held_by", json_str_or_null(r->held_by));
		json_object_set_new(x, "held_at", r->held_by != NULL ?
		    jst_json(r->held_ms) : json_null());
		json_object_set_new(x, "overdue_by",
		    json_str_or_null(r->overdue_by));
		json_object_set_new(x, "overdue_at", r->overdue_ms > 0 ?
		    jst_json(r->overdue_ms) : json_null());
		if (v->msg.is_advisory) {
			json_object_set_new(x, "done_at", jst_json(r->done_ms));
			json_object_set_new(x, "done_by",
			    json_str_or_null(r->done_by));
			json_object_set_new(x, "done_note",
			    json_str_or_null(r->done_note));
			json_object_set_new(x, "past_due",
			    json_boolean(past_due(v, r)));
		}
		json_object_set_new(x, "mailed_by",
		    json_str_or_null(r->mailed_by));
		json_object_set_new(x, "mailed_at", r->mailed_ms > 0 ?
		    jst_json(r->mailed_ms) : json_null());
		json_object_set_new(x, "mailed_note", r->mailed_ms > 0 ?
		    json_str_or_null(r->mailed_note) : json_null());
		json_object_set_new(x, "phone_confirmations",
		    phones_json(v, r));
		json_array_append_new(rcpts, x);
	}
	json_object_set_new(o, "recipients", rcpts);
	json_object_set_new(o, "delivered", json_integer((json_int_t)v->delivered));
	json_object_set_new(o, "acknowledged",
	    json_integer((json_int_t)v->acknowledged));
	json_object_set_new(o, "rejected",
	    json_integer((json_int_t)v->rejected));
	json_object_set_new(o, "held", json_integer((json_int_t)v->held));
	json_object_set_new(o, "overdue", json_integer((json_int_t)v->overdue));
	json_object_set_new(o, "mailed", json_integer((json_int_t)v->mailed));
	json_object_set_new(o, "unconfirmed",
	    json_integer((json_int_t)v->unconfirmed));
	json_object_set_new(o, "total", json_integer((json_int_t)v->total));
	json_object_set_new(o, "internal_mail", imail_json(v));
	if (v->msg.is_advisory) {
		json_object_set_new(o, "done", json_integer((json_int_t)v->done));
		json_object_set_new(o, "final_report", json_null());
		json_object_set_new(o, "proxy_logs", json_null());
	} else {
		json_object_set_new(o, "final_report",
		    deadline_final_json(&v->final));
		json_object_set_new(o, "proxy_logs",
		    deadline_proxy_json(&v->proxy));
	}
	return o;
}
