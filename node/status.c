/*
 * status: the receipt matrix of one report of ours (see status.h).
 *
 * Strings that came from elsewhere (a relay's refusal detail, a
 * recipient's name and note, a rejection reason) are printed through
 * text.h, single-line: a control character shows as "\x1b" and a newline
 * cannot fake a line of the matrix. JSON carries them as they are
 * (jansson escapes them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/frame.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "status.h"

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
	default:
		fatalx("%s: state %d", __func__, (int)s);
	}
}

enum status_state
status_of(const struct store_rcpt_state *r)
{
	if (r->acknowledged_ms > 0)
		return STATUS_ACKNOWLEDGED;
	if (r->delivered_ms > 0)
		return STATUS_DELIVERED;
	if (r->rejected_ms > 0)
		return STATUS_REJECTED;
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
	if ((rc = store_get(store, STORE_OUT, id, &v->msg, err, errlen)) != 1)
		return rc;
	if (!v->msg.is_report) {
		store_msg_clear(&v->msg);
		return 0;
	}
	if ((rc = store_status(store, id, &v->st, err, errlen)) != 1) {
		store_msg_clear(&v->msg);
		return rc;
	}
	v->total = v->st.nrcpts;
	for (i = 0; i < v->st.nrcpts; i++) {
		switch (status_of(&v->st.rcpts[i])) {
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
	store_msg_clear(&v->msg);
	store_status_clear(&v->st);
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

static void
print_route(FILE *fp, const char *name, const struct store_route_state *a)
{
	char t[JST_BUFLEN];

	fputs("route ", fp);
	(void)text_fputs(name, 0, fp);
	if (a != NULL && a->accepted_ms > 0)
		fprintf(fp, ": accepted %s\n", jst_rfc3339(a->accepted_ms, t));
	else if (a != NULL && a->refused_reason != 0) {
		fprintf(fp, ": refused %s ",
		    frame_reason_name(a->refused_reason));
		quoted(fp, a->refused_detail);
		fputc('\n', fp);
	} else
		fprintf(fp, ": pending\n");
}

void
status_progress(FILE *fp, const struct status_view *v)
{
	fprintf(fp, "delivered %zu/%zu, acknowledged %zu/%zu\n", v->delivered,
	    v->total, v->acknowledged, v->total);
}

void
status_print(FILE *fp, const struct status_view *v)
{
	char id[KAIRAN_ID_HEXLEN + 1], inc[KAIRAN_ID_HEXLEN + 1];
	char t[JST_BUFLEN];
	const struct store_rcpt_state *r;
	const char *mark;
	size_t i;

	message_hex(v->msg.id, KAIRAN_ID_LEN, id);
	message_hex(v->msg.incident, KAIRAN_ID_LEN, inc);
	mark = label_status(v->msg.status);
	fprintf(fp, "message %s incident %s 第%u報%s%s\n", id, inc,
	    v->msg.report_no, mark[0] != '\0' ? " " : "", mark);
	for (i = 0; i < v->cfg->nroutes; i++)
		print_route(fp, v->cfg->routes[i].name,
		    route_answer(v, v->cfg->routes[i].name));
	for (i = 0; i < v->st.nroutes; i++)
		if (!route_configured(v, v->st.routes[i].route))
			print_route(fp, v->st.routes[i].route,
			    &v->st.routes[i]);
	for (i = 0; i < v->st.nrcpts; i++) {
		r = &v->st.rcpts[i];
		fputs("recipient ", fp);
		(void)text_fputs(r->entity, 0, fp);
		fputc(' ', fp);
		(void)text_fputs(entity_name(v, r->entity), 0, fp);
		fputs(": ", fp);
		switch (status_of(r)) {
		case STATUS_ACKNOWLEDGED:
			fprintf(fp, "acknowledged %s by ",
			    jst_rfc3339(r->acknowledged_ms, t));
			(void)text_fputs(r->acknowledged_by != NULL ?
			    r->acknowledged_by : "?", 0, fp);
			if (r->ack_note != NULL && r->ack_note[0] != '\0') {
				fputc(' ', fp);
				quoted(fp, r->ack_note);
			}
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
		case STATUS_PENDING:
			fprintf(fp, "pending");
			break;
		default:
			fatalx("%s: state", __func__);
		}
		fputc('\n', fp);
	}
	status_progress(fp, v);
}

static json_t *
json_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
route_json(const char *name, const struct store_route_state *a)
{
	json_t *o = json_object();

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
	json_object_set_new(o, "incident", json_string(inc));
	json_object_set_new(o, "report_no", json_integer(v->msg.report_no));
	json_object_set_new(o, "status",
	    json_string(message_status_name(v->msg.status)));
	json_object_set_new(o, "created_at", jst_json(v->msg.created_ms));
	routes = json_array();
	for (i = 0; i < v->cfg->nroutes; i++)
		json_array_append_new(routes, route_json(v->cfg->routes[i].name,
		    route_answer(v, v->cfg->routes[i].name)));
	for (i = 0; i < v->st.nroutes; i++)
		if (!route_configured(v, v->st.routes[i].route))
			json_array_append_new(routes, route_json(
			    v->st.routes[i].route, &v->st.routes[i]));
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
		json_object_set_new(x, "reason", r->rejected_ms > 0 ?
		    json_str_or_null(r->rejected_reason) : json_null());
		json_array_append_new(rcpts, x);
	}
	json_object_set_new(o, "recipients", rcpts);
	json_object_set_new(o, "delivered", json_integer((json_int_t)v->delivered));
	json_object_set_new(o, "acknowledged",
	    json_integer((json_int_t)v->acknowledged));
	json_object_set_new(o, "total", json_integer((json_int_t)v->total));
	return o;
}
