/*
 * api: the console's JSON API (see api.h and relay/API.md).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/form.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "api.h"
#include "config.h"
#include "events.h"
#include "relay.h"
#include "store.h"
#include "view.h"

#define JSON_TYPE	"application/json; charset=utf-8"
#define CSV_TYPE	"text/csv; charset=utf-8"

/* A JSON reply; takes j (NULL: out of memory). 0, or -1. */
static int
reply_json(struct api_reply *rp, unsigned status, json_t *j)
{
	char *text;

	if (j == NULL)
		return -1;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		return -1;
	rp->status = status;
	rp->content_type = JSON_TYPE;
	rp->body = text;
	rp->bodylen = strlen(text);
	return 0;
}

static int
reply_error(struct api_reply *rp, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* {"error": "…"} with status; the text must be UTF-8 (it is ours or checked). */
static int
reply_error(struct api_reply *rp, unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!message_utf8_valid(msg, strlen(msg)))
		snprintf(msg, sizeof(msg), "bad request");
	return reply_json(rp, status, json_pack("{s:s}", "error", msg));
}

/* The store or the view failed: logged, 500. */
static int
internal(struct api_reply *rp, const struct api_call *c, const char *err)
{
	log_warnx("api failed path=%s addr=%s error=%s", log_str(c->path),
	    log_str(c->address), log_str(err));
	return reply_error(rp, 500, "the relay's store could not be read");
}

/* A time in ms, or null for 0. */
static json_t *
jtime(int64_t ms)
{
	return ms > 0 ? json_integer(ms) : json_null();
}

static json_t *
jstr_or_null(const char *s)
{
	return s != NULL && message_utf8_valid(s, strlen(s)) ? json_string(s) :
	    json_null();
}

static const char *
status_name(int status)
{
	switch (status) {
	case KAIRAN__V1__STATUS__EXERCISE:
		return "exercise";
	case KAIRAN__V1__STATUS__TEST:
		return "test";
	default:
		return "real";
	}
}

static const char *
state_name(enum view_state st)
{
	switch (st) {
	case VIEW_HELD:
		return "held";
	case VIEW_MAILED:
		return "mailed";
	case VIEW_DELIVERED:
		return "delivered";
	case VIEW_OVERDUE:
		return "overdue";
	case VIEW_REJECTED:
		return "rejected";
	case VIEW_ACKNOWLEDGED:
		return "acknowledged";
	case VIEW_DONE:
		return "done";
	default:
		return "pending";
	}
}

static const char *
mail_name(enum view_mail m)
{
	switch (m) {
	case VIEW_MAIL_SENT:
		return "sent";
	case VIEW_MAIL_FAILED:
		return "failed";
	case VIEW_MAIL_CANCELLED:
		return "cancelled";
	default:
		return "pending";
	}
}

/* 第N報, or the phase's word for 収束宣言, 最終報告 and 取消 (labels.h). */
static void
report_label(const struct view_report *r, char *buf, size_t len)
{
	if (r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED ||
	    r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL ||
	    r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN)
		snprintf(buf, len, "%s", label_phase(r->phase));
	else
		snprintf(buf, len, "第%u報", r->report_no);
}

static const char *
entity_name(struct server *s, const char *id)
{
	const struct dir_entity *e = directory_get(s->dir, id);

	return e != NULL && e->name != NULL ? e->name : id;
}

/* The newest report of an incident: its title, level and status are the incident's. */
static const struct view_report *
latest(const struct view_incident *in)
{
	return in->reports[in->nreports - 1];
}

static int
closed(const struct view_incident *in)
{
	int ph = latest(in)->phase;

	return ph == KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED ||
	    ph == KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL ||
	    ph == KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN;
}

/*
 * The cells of every report of an incident: cells[i] for in->reports[i]
 * (each of that report's nrecipients). Free with free_cells. 0, or -1
 * with err.
 */
static int
incident_cells(struct server *s, const struct view_incident *in,
    struct view_cell ***out, char *err, size_t errlen)
{
	struct view_cell **cells;
	size_t i;

	if ((cells = calloc(in->nreports, sizeof(*cells))) == NULL)
		goto nomem;
	*out = cells;
	for (i = 0; i < in->nreports; i++) {
		const struct view_report *r = in->reports[i];

		if ((cells[i] = calloc(r->nrecipients > 0 ? r->nrecipients : 1,
		    sizeof(*cells[i]))) == NULL)
			goto nomem;
		if (view_cells(s->view, r, s->cfg->id, cells[i], err,
		    errlen) == -1)
			return -1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static void
free_cells(const struct view_incident *in, struct view_cell **cells)
{
	size_t i;

	if (cells == NULL)
		return;
	for (i = 0; i < in->nreports; i++)
		if (cells[i] != NULL) {
			view_cells_clear(cells[i], in->reports[i]->nrecipients);
			free(cells[i]);
		}
	free(cells);
}

/* The incident as the list shows it (API.md "GET /api/incidents"). */
static json_t *
incident_json(struct server *s, const struct view_incident *in,
    struct view_cell **cells)
{
	const struct view_report *last = latest(in);
	char hex[KAIRAN_ID_HEXLEN + 1];
	size_t i, j, ack = 0, overdue = 0;
	int k;

	message_hex(in->id, KAIRAN_ID_LEN, hex);
	for (j = 0; j < last->nrecipients; j++)
		if (cells[in->nreports - 1][j].state == VIEW_ACKNOWLEDGED)
			ack++;
	/* overdue: recipients past a deadline of any report, unacknowledged */
	for (j = 0; j < in->nrecipients; j++)
		for (i = 0; i < in->nreports; i++)
			if ((k = view_recipient_index(in->reports[i],
			    in->recipients[j])) >= 0 && cells[i][k].overdue) {
				overdue++;
				break;
			}
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:I, s:I, s:I, "
	    "s:I, s:I, s:I}", "id", hex, "title", last->title, "sender",
	    in->sender, "sender_name", entity_name(s, in->sender), "level",
	    (json_int_t)last->level, "status", status_name(last->status),
	    "closed", closed(in), "reports", (json_int_t)in->nreports,
	    "first_at", (json_int_t)in->first_at, "last_at",
	    (json_int_t)in->last_at, "recipients",
	    (json_int_t)in->nrecipients, "acknowledged", (json_int_t)ack,
	    "overdue", (json_int_t)overdue);
}

/*
 * The latest phone confirmation an operator recorded in this relay's
 * console: where (recorded_at "relay", relay this relay's id) and by whom
 * (operator) it was recorded, beside who was reached (name). A sender
 * node's own `kairan-node confirm` stays in that node and never shows
 * here (API.md "Phone confirmations: where each is kept").
 */
static json_t *
confirmation_json(struct server *s, const struct view_cell *c)
{
	if (!c->confirmed)
		return json_null();
	return json_pack("{s:o, s:o, s:I, s:o, s:s, s:s}", "operator",
	    jstr_or_null(c->c_operator), "name", jstr_or_null(c->c_name), "at",
	    (json_int_t)c->c_at, "note", jstr_or_null(c->c_note),
	    "recorded_at", "relay", "relay", s->cfg->id);
}

static json_t *
cell_json(struct server *s, const struct view_cell *c)
{
	json_t *j = json_pack("{s:s, s:o, s:b, s:o, s:o}", "state",
	    state_name(c->state), "at", jtime(c->at), "overdue", c->overdue,
	    "deadline", jtime(c->deadline), "confirmation",
	    confirmation_json(s, c));

	if (j == NULL)
		return NULL;
	if ((c->state == VIEW_ACKNOWLEDGED && json_object_set_new(j, "by",
	    jstr_or_null(c->by)) == -1) ||
	    (c->state == VIEW_HELD && json_object_set_new(j, "held_by",
	    json_string(c->held_by)) == -1) ||
	    ((c->state == VIEW_REJECTED || c->state == VIEW_MAILED) &&
	    json_object_set_new(j, "detail", jstr_or_null(c->detail)) == -1)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *
report_json(const struct view_report *r)
{
	char hex[KAIRAN_ID_HEXLEN + 1], label[64];

	message_hex(r->id, KAIRAN_ID_LEN, hex);
	report_label(r, label, sizeof(label));
	return json_pack("{s:s, s:I, s:s, s:I, s:s, s:I}", "id", hex,
	    "report_no", (json_int_t)r->report_no, "label", label, "at",
	    (json_int_t)r->accepted_at, "status", status_name(r->status),
	    "level", (json_int_t)r->level);
}

/* Parses 32 lower-case hex digits (the API's ids). 0, or -1. */
static int
parse_id(const char *hex, size_t len, uint8_t id[KAIRAN_ID_LEN])
{
	char buf[KAIRAN_ID_HEXLEN + 1];
	size_t i;

	if (len != KAIRAN_ID_HEXLEN)
		return -1;
	for (i = 0; i < len; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	memcpy(buf, hex, len);
	buf[len] = '\0';
	return message_id_parse(buf, id);
}

static int
refresh(struct server *s, const struct api_call *c, struct api_reply *rp)
{
	char err[512];

	if (view_refresh(s->view, err, sizeof(err)) == -1) {
		(void)internal(rp, c, err);
		return -1;
	}
	return 0;
}

/* GET /api/nodes */
static int
get_nodes(struct server *s, const struct api_call *c, struct api_reply *rp)
{
	const struct config *cfg = s->cfg;
	json_t *root, *nodes, *serves;
	size_t i, n = directory_count(s->dir);
	int64_t now = message_now_ms();

	(void)c;
	if ((root = json_object()) == NULL)
		return -1;
	if ((nodes = json_array()) == NULL || json_object_set_new(root,
	    "nodes", nodes) == -1 || (serves = json_array()) == NULL ||
	    json_object_set_new(root, "relay", json_pack("{s:s, s:o}", "id",
	    cfg->id, "serves", serves)) == -1)
		goto nomem;
	for (i = 0; i < cfg->nserve; i++)
		if (json_array_append_new(serves, json_string(cfg->serve[i])) ==
		    -1)
			goto nomem;
	if (cfg->serve_national && json_array_append_new(serves,
	    json_string("national")) == -1)
		goto nomem;
	for (i = 0; i < n; i++) {
		const struct dir_entity *e = directory_at(s->dir, i);
		const struct events_seen *seen;
		const struct peer *p;
		json_t *node, *conns;
		unsigned k;

		/* a body without a node is mailed (mailroute.h), not a node */
		if (!config_serves(cfg, e->id, e->pref) || !e->node)
			continue;
		seen = events_seen(s, e->id);
		if ((conns = json_array()) == NULL)
			goto nomem;
		for (p = s->peers; seen != NULL && seen->nconn > 0 && p != NULL;
		    p = p->next) {
			int64_t since = seen->connected_at;

			if (p->link != -1 || (p->state != PEER_OPEN &&
			    p->state != PEER_READY) ||
			    strcmp(p->who.entity, e->id) != 0)
				continue;
			for (k = 0; k < seen->nconn && k < EVENTS_CONNS_MAX;
			    k++)
				if (seen->conns[k].peer == p)
					since = seen->conns[k].since;
			if (json_array_append_new(conns, json_pack("{s:s, s:I}",
			    "address", p->addr, "since", (json_int_t)since)) ==
			    -1) {
				json_decref(conns);
				goto nomem;
			}
		}
		if (json_array_size(conns) > 0)
			node = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}",
			    "id", e->id, "name", e->name, "kind",
			    directory_kind_name(e->kind), "state", "connected",
			    "since", (json_int_t)seen->connected_at, "last_seen",
			    (json_int_t)now, "connections", conns);
		else if (seen != NULL && (seen->disconnected_at > 0 ||
		    seen->connected_at > 0)) {
			int64_t t = seen->disconnected_at > 0 ?
			    seen->disconnected_at : seen->connected_at;

			node = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}",
			    "id", e->id, "name", e->name, "kind",
			    directory_kind_name(e->kind), "state", "offline",
			    "since", (json_int_t)t, "last_seen", (json_int_t)t,
			    "connections", conns);
		} else
			node = json_pack("{s:s, s:s, s:s, s:s, s:n, s:n, s:o}",
			    "id", e->id, "name", e->name, "kind",
			    directory_kind_name(e->kind), "state", "never",
			    "since", "last_seen", "connections", conns);
		if (json_array_append_new(nodes, node) == -1)
			goto nomem;
	}
	return reply_json(rp, 200, root);
nomem:
	json_decref(root);
	return -1;
}

/* GET /api/incidents */
static int
get_incidents(struct server *s, const struct api_call *c,
    struct api_reply *rp)
{
	struct view_incident **all;
	struct view_cell **cells = NULL;
	json_t *root, *list;
	char err[512];
	size_t i, n;

	if (refresh(s, c, rp) == -1)
		return rp->body != NULL ? 0 : -1;
	n = view_incidents(s->view, &all);
	if ((list = json_array()) == NULL)
		return -1;
	for (i = 0; i < n && i < VIEW_INCIDENTS_MAX; i++) {
		if (incident_cells(s, all[i], &cells, err, sizeof(err)) == -1) {
			free_cells(all[i], cells);
			json_decref(list);
			return internal(rp, c, err);
		}
		if (json_array_append_new(list, incident_json(s, all[i],
		    cells)) == -1) {
			free_cells(all[i], cells);
			json_decref(list);
			return -1;
		}
		free_cells(all[i], cells);
		cells = NULL;
	}
	if ((root = json_pack("{s:o}", "incidents", list)) == NULL)
		return -1;
	return reply_json(rp, 200, root);
}

/* The incident of an id in a path, or a 400/404 reply (NULL). */
static struct view_incident *
path_incident(struct server *s, const struct api_call *c,
    struct api_reply *rp, const char *hex, size_t len, int *rc)
{
	struct view_incident *in;
	uint8_t id[KAIRAN_ID_LEN];

	*rc = 0;
	if (parse_id(hex, len, id) == -1) {
		*rc = reply_error(rp, 400, "incident: expected 32 lower-case "
		    "hex digits");
		return NULL;
	}
	if (refresh(s, c, rp) == -1) {
		*rc = rp->body != NULL ? 0 : -1;
		return NULL;
	}
	if ((in = view_incident(s->view, id)) == NULL)
		*rc = reply_error(rp, 404, "incident: no such incident here");
	return in;
}

/* GET /api/incidents/ID */
static int
get_incident(struct server *s, const struct api_call *c,
    struct api_reply *rp, const char *hex, size_t len)
{
	struct view_incident *in;
	struct view_cell **cells = NULL;
	json_t *root = NULL, *reports, *rcpts, *row, *rcells;
	char err[512];
	size_t i, j;
	int rc, k;

	if ((in = path_incident(s, c, rp, hex, len, &rc)) == NULL)
		return rc;
	if (incident_cells(s, in, &cells, err, sizeof(err)) == -1) {
		free_cells(in, cells);
		return internal(rp, c, err);
	}
	if ((reports = json_array()) == NULL || (rcpts = json_array()) ==
	    NULL || (root = json_pack("{s:o, s:o, s:o}", "incident",
	    incident_json(s, in, cells), "reports", reports, "recipients",
	    rcpts)) == NULL)
		goto nomem;
	for (i = 0; i < in->nreports; i++)
		if (json_array_append_new(reports, report_json(in->reports[i])) ==
		    -1)
			goto nomem;
	for (j = 0; j < in->nrecipients; j++) {
		if ((rcells = json_array()) == NULL || (row = json_pack("{s:s, "
		    "s:s, s:o}", "id", in->recipients[j], "name", entity_name(s,
		    in->recipients[j]), "cells", rcells)) == NULL ||
		    json_array_append_new(rcpts, row) == -1)
			goto nomem;
		for (i = 0; i < in->nreports; i++) {
			k = view_recipient_index(in->reports[i],
			    in->recipients[j]);
			/* not a recipient of that report: null */
			if (json_array_append_new(rcells, k < 0 ? json_null() :
			    cell_json(s, &cells[i][k])) == -1)
				goto nomem;
		}
	}
	free_cells(in, cells);
	return reply_json(rp, 200, root);
nomem:
	free_cells(in, cells);
	json_decref(root);
	return -1;
}

/* The cells of the reports the overdue list names, computed once each. */
struct overdue_row {
	int64_t		 seq;
	char		 recipient[KAIRAN_ENTITY_MAX + 1];
	int64_t		 deadline;
};

struct overdue_acc {
	struct overdue_row	*rows;
	size_t			 n;
	int			 nomem;
};

static void
overdue_add(void *arg, int64_t seq, const char *recipient, int64_t deadline)
{
	struct overdue_acc *a = arg;
	struct overdue_row *r;

	if (a->nomem || strlen(recipient) > KAIRAN_ENTITY_MAX)
		return;
	if ((r = realloc(a->rows, (a->n + 1) * sizeof(*r))) == NULL) {
		a->nomem = 1;
		return;
	}
	a->rows = r;
	r = &a->rows[a->n++];
	r->seq = seq;
	snprintf(r->recipient, sizeof(r->recipient), "%s", recipient);
	r->deadline = deadline;
}

static json_t *
contact_json(const struct dir_entity *e)
{
	if (e == NULL)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "name",
	    jstr_or_null(e->contact.name), "phone",
	    jstr_or_null(e->contact.phone), "after_hours_phone",
	    jstr_or_null(e->contact.after_hours_phone), "fax",
	    jstr_or_null(e->contact.fax), "email",
	    jstr_or_null(e->contact.email), "hours",
	    jstr_or_null(e->contact.hours));
}

static json_t *
mail_json(const struct view_cell *c)
{
	if (c->mail == VIEW_MAIL_NONE)
		return json_null();
	return json_pack("{s:s, s:I, s:o, s:o}", "state", mail_name(c->mail),
	    "attempts", (json_int_t)c->mail_attempts, "code", c->mail_code > 0 ?
	    json_integer(c->mail_code) : json_null(), "reply",
	    jstr_or_null(c->mail_reply));
}

/* One row of GET /api/overdue. */
static json_t *
overdue_json(struct server *s, const struct view_report *r,
    const struct overdue_row *o, const struct view_cell *cell)
{
	char hex[KAIRAN_ID_HEXLEN + 1], inc[KAIRAN_ID_HEXLEN + 1], label[64];

	message_hex(r->id, KAIRAN_ID_LEN, hex);
	message_hex(r->incident->id, KAIRAN_ID_LEN, inc);
	report_label(r, label, sizeof(label));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, "
	    "s:I, s:o, s:o, s:o}", "report", hex, "incident", inc, "label",
	    label, "title", r->title, "sender", r->incident->sender,
	    "sender_name", entity_name(s, r->incident->sender), "status",
	    status_name(r->status), "recipient", o->recipient,
	    "recipient_name", entity_name(s, o->recipient), "level",
	    (json_int_t)r->level, "deadline", (json_int_t)o->deadline,
	    "contact", contact_json(directory_get(s->dir, o->recipient)),
	    "mail", cell != NULL ? mail_json(cell) : json_null(),
	    "confirmation", cell != NULL ? confirmation_json(s, cell) :
	    json_null());
}

/* GET /api/overdue */
static int
get_overdue(struct server *s, const struct api_call *c, struct api_reply *rp)
{
	struct overdue_acc a;
	const struct view_report *cur = NULL;
	struct view_cell *cells = NULL;
	json_t *list;
	char err[512];
	size_t i;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	if (refresh(s, c, rp) == -1)
		return rp->body != NULL ? 0 : -1;
	if (view_overdue(s->view, overdue_add, &a, err, sizeof(err)) == -1) {
		free(a.rows);
		return internal(rp, c, err);
	}
	if (a.nomem || (list = json_array()) == NULL) {
		free(a.rows);
		return -1;
	}
	for (i = 0; i < a.n; i++) {
		const struct view_report *r = view_report_seq(s->view,
		    a.rows[i].seq);
		int k;

		if (r == NULL)
			continue;
		/* the rows come by deadline: the same report's are together */
		if (r != cur) {
			if (cur != NULL)
				view_cells_clear(cells, cur->nrecipients);
			free(cells);
			cur = NULL;
			if ((cells = calloc(r->nrecipients > 0 ?
			    r->nrecipients : 1, sizeof(*cells))) == NULL)
				goto done;
			cur = r;
			if (view_cells(s->view, r, s->cfg->id, cells, err,
			    sizeof(err)) == -1) {
				json_decref(list);
				rc = internal(rp, c, err);
				goto done;
			}
		}
		k = view_recipient_index(r, a.rows[i].recipient);
		if (json_array_append_new(list, overdue_json(s, r, &a.rows[i],
		    k >= 0 ? &cells[k] : NULL)) == -1)
			goto nomem;
	}
	rc = reply_json(rp, 200, json_pack("{s:o}", "overdue", list));
	goto done;
nomem:
	json_decref(list);
done:
	if (cur != NULL)
		view_cells_clear(cells, cur->nrecipients);
	free(cells);
	free(a.rows);
	return rc;
}

/*
 * A text field of the confirmation: a string of valid UTF-8 without the
 * controls message_check_chars refuses, of min..max characters.
 */
static int
check_text(const char *field, json_t *v, size_t min, size_t max, int flags,
    const char **out, char *err, size_t errlen)
{
	const unsigned char *p;
	size_t len, n = 0, k;
	unsigned cp;

	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: expected a string", field);
		return -1;
	}
	p = (const unsigned char *)json_string_value(v);
	len = json_string_length(v);
	if (strlen((const char *)p) != len) {
		snprintf(err, errlen, "%s: contains a NUL character", field);
		return -1;
	}
	if (message_check_chars(field, (const char *)p, len, flags, err,
	    errlen) == -1)
		return -1;
	for (k = 0; k < len; n++)
		k += text_utf8_next(p + k, len - k, &cp);
	if (n < min || n > max) {
		snprintf(err, errlen, "%s: %zu characters, expected %zu to %zu",
		    field, n, min, max);
		return -1;
	}
	*out = (const char *)p;
	return 0;
}

/* POST /api/confirm */
static int
post_confirm(struct server *s, const struct api_call *c,
    struct api_reply *rp)
{
	struct store_confirm sc;
	struct view_report *r;
	json_t *body, *v;
	json_error_t jerr;
	const char *key, *report = NULL, *rcpt = NULL, *name = NULL,
	    *note = "";
	uint8_t id[KAIRAN_ID_LEN], digest[KAIRAN_DIGEST_LEN], *env = NULL;
	size_t envlen;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	int64_t now;
	int cancelled, rc;

	if ((body = json_loadb(c->body != NULL ? (const char *)c->body : "",
	    c->bodylen, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return reply_error(rp, 400, "body: not JSON (%s)", jerr.text);
	if (!json_is_object(body)) {
		json_decref(body);
		return reply_error(rp, 400, "body: expected an object");
	}
	json_object_foreach(body, key, v) {
		if (strcmp(key, "report") == 0 || strcmp(key, "recipient") == 0) {
			if (!json_is_string(v)) {
				rc = reply_error(rp, 400, "%s: expected a "
				    "string", key);
				goto out;
			}
			*(key[2] == 'p' ? &report : &rcpt) =
			    json_string_value(v);
		} else if (strcmp(key, "name") == 0) {
			if (check_text("name", v, 1, API_NAME_MAX, 0, &name, err,
			    sizeof(err)) == -1)
				goto bad;
		} else if (strcmp(key, "note") == 0) {
			if (check_text("note", v, 0, API_NOTE_MAX,
			    MESSAGE_TEXT_MULTILINE, &note, err,
			    sizeof(err)) == -1)
				goto bad;
		} else {
			/* the key is the client's: named only if it is text */
			snprintf(err, sizeof(err), "%s: unknown key (expected "
			    "report, recipient, name, note)",
			    message_utf8_valid(key, strlen(key)) &&
			    strlen(key) <= 64 && message_check_chars("k", key,
			    strlen(key), 0, hex, sizeof(hex)) == 0 ? key :
			    "body");
			goto bad;
		}
	}
	if (report == NULL || rcpt == NULL || name == NULL) {
		snprintf(err, sizeof(err), "%s: missing", report == NULL ?
		    "report" : rcpt == NULL ? "recipient" : "name");
		goto bad;
	}
	if (parse_id(report, strlen(report), id) == -1) {
		snprintf(err, sizeof(err), "report: expected 32 lower-case hex "
		    "digits");
		goto bad;
	}
	if (strlen(rcpt) > KAIRAN_ENTITY_MAX || directory_get(s->dir,
	    rcpt) == NULL) {
		snprintf(err, sizeof(err), "recipient: not an entity of the "
		    "directory");
		goto bad;
	}
	if (refresh(s, c, rp) == -1) {
		rc = rp->body != NULL ? 0 : -1;
		goto out;
	}
	if ((r = view_report(s->view, id)) == NULL) {
		rc = reply_error(rp, 404, "report: no such report here");
		goto out;
	}
	if (view_recipient_index(r, rcpt) < 0) {
		snprintf(err, sizeof(err), "recipient: %s is not a recipient of "
		    "that report", rcpt);
		goto bad;
	}
	if ((rc = store_message_get(s->store, id, &env, &envlen, digest, err,
	    sizeof(err))) != 1) {
		rc = rc == 0 ? reply_error(rp, 404, "report: no such report "
		    "here") : internal(rp, c, err);
		goto out;
	}
	free(env);
	memset(&sc, 0, sizeof(sc));
	sc.seq = r->seq;
	sc.id = id;
	sc.digest = digest;
	sc.recipient = rcpt;
	sc.operator_name = c->operator;
	sc.name = name;
	sc.note = note;
	now = message_now_ms();
	if (store_confirm_add(s->store, &sc, now, &cancelled, err,
	    sizeof(err)) == -1) {
		log_warnx("confirm failed id=%s recipient=%s operator=%s "
		    "error=%s", report, rcpt, log_str(c->operator),
		    log_str(err));
		rc = reply_error(rp, 503, "the confirmation could not be "
		    "recorded; try again");
		goto out;
	}
	log_info("confirm id=%s recipient=%s operator=%s name=%s "
	    "mails_cancelled=%d addr=%s", report, rcpt, log_str(c->operator),
	    log_str(name), cancelled, log_str(c->address));
	events_notify(s, "confirm");
	rc = reply_json(rp, 200, json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:I, "
	    "s:i, s:s, s:s}}", "confirmation", "report", report, "recipient",
	    rcpt, "operator", c->operator, "name", name, "note", note, "at",
	    (json_int_t)now, "mails_cancelled", cancelled, "recorded_at",
	    "relay", "relay", s->cfg->id));
	goto out;
bad:
	rc = reply_error(rp, 400, "%s", err);
out:
	json_decref(body);
	return rc;
}

/* ---- advisories (注意喚起・情報提供・要請, PROTOCOL.md §6.3) ---- */

/* Advisory.Kind and Severity as the advisory file spells them (ADVISORY.md). */
static const char *
adv_kind(int kind)
{
	switch (kind) {
	case KAIRAN__V1__ADVISORY__KIND__INFORMATION:
		return "information";
	case KAIRAN__V1__ADVISORY__KIND__REQUEST:
		return "request";
	default:
		return "advisory";
	}
}

static json_t *
adv_severity(int severity)
{
	switch (severity) {
	case KAIRAN__V1__ADVISORY__SEVERITY__LOW:
		return json_string("low");
	case KAIRAN__V1__ADVISORY__SEVERITY__MEDIUM:
		return json_string("medium");
	case KAIRAN__V1__ADVISORY__SEVERITY__HIGH:
		return json_string("high");
	case KAIRAN__V1__ADVISORY__SEVERITY__CRITICAL:
		return json_string("critical");
	default:
		return json_null();
	}
}

/*
 * Past the asked-by time (対応期限) without a 対応済: what the sender
 * follows up (the relay's escalation does not chase advisories).
 */
static int
past_due(const struct view_report *a, const struct view_cell *c,
    int64_t now)
{
	return a->due_at > 0 && now > a->due_at && c->state != VIEW_DONE;
}

/*
 * The advisory as the list shows it (API.md "GET /api/advisories"): the
 * counts are cumulative, each answer counting for those before it
 * (対応済 was also delivered and read).
 */
static json_t *
advisory_json(struct server *s, const struct view_report *a,
    const struct view_cell *cells, int64_t now)
{
	char hex[KAIRAN_ID_HEXLEN + 1];
	size_t i, delivered = 0, ack = 0, done = 0, late = 0;

	message_hex(a->id, KAIRAN_ID_LEN, hex);
	for (i = 0; i < a->nrecipients; i++) {
		const struct view_cell *c = &cells[i];

		if (c->delivered_at != 0 || c->state == VIEW_ACKNOWLEDGED ||
		    c->state == VIEW_DONE)
			delivered++;
		if (c->acknowledged_at != 0 || c->state == VIEW_DONE)
			ack++;
		if (c->state == VIEW_DONE)
			done++;
		if (past_due(a, c, now))
			late++;
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:I, s:o, "
	    "s:b, s:I, s:I, s:I, s:I, s:I}", "id", hex, "kind",
	    adv_kind(a->kind), "kind_label",
	    message_advisory_kind_label(a->kind), "title",
	    jstr_or_null(a->title), "source", jstr_or_null(a->source),
	    "sender", a->sender, "sender_name", entity_name(s, a->sender),
	    "status", status_name(a->status), "at", (json_int_t)a->accepted_at,
	    "due_at", jtime(a->due_at), "past_due_time", a->due_at > 0 &&
	    now > a->due_at, "recipients", (json_int_t)a->nrecipients,
	    "delivered", (json_int_t)delivered, "acknowledged", (json_int_t)ack,
	    "done", (json_int_t)done, "past_due", (json_int_t)late);
}

/* The cells of advisory a (a->nrecipients, malloc'd; view_cells_clear, free). */
static struct view_cell *
advisory_cells(struct server *s, const struct view_report *a, char *err,
    size_t errlen)
{
	struct view_cell *cells;

	if ((cells = calloc(a->nrecipients > 0 ? a->nrecipients : 1,
	    sizeof(*cells))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (view_cells(s->view, a, s->cfg->id, cells, err, errlen) == -1) {
		view_cells_clear(cells, a->nrecipients);
		free(cells);
		return NULL;
	}
	return cells;
}

/* GET /api/advisories */
static int
get_advisories(struct server *s, const struct api_call *c,
    struct api_reply *rp)
{
	struct view_report **all;
	struct view_cell *cells;
	json_t *list;
	char err[512];
	int64_t now = message_now_ms();
	size_t i, n;

	if (refresh(s, c, rp) == -1)
		return rp->body != NULL ? 0 : -1;
	n = view_advisories(s->view, &all);
	if ((list = json_array()) == NULL)
		return -1;
	/* newest first */
	for (i = n; i > 0 && n - i < VIEW_ADVISORIES_MAX; i--) {
		const struct view_report *a = all[i - 1];
		int bad;

		if ((cells = advisory_cells(s, a, err, sizeof(err))) == NULL) {
			json_decref(list);
			return internal(rp, c, err);
		}
		bad = json_array_append_new(list, advisory_json(s, a, cells,
		    now)) == -1;
		view_cells_clear(cells, a->nrecipients);
		free(cells);
		if (bad) {
			json_decref(list);
			return -1;
		}
	}
	return reply_json(rp, 200, json_pack("{s:o}", "advisories", list));
}

/* An advisory's cell (API.md "GET /api/advisories/ID"). */
static json_t *
advisory_cell_json(struct server *s, const struct view_report *a,
    const struct view_cell *c, int64_t now)
{
	json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:b, s:o}", "state",
	    state_name(c->state), "at", jtime(c->at), "delivered_at",
	    jtime(c->delivered_at), "acknowledged", c->acknowledged_at != 0 ?
	    json_pack("{s:o, s:I}", "by", jstr_or_null(c->by), "at",
	    (json_int_t)c->acknowledged_at) : json_null(), "done",
	    c->done_at != 0 ? json_pack("{s:o, s:o, s:I}", "by",
	    jstr_or_null(c->done_by), "note", jstr_or_null(c->done_note), "at",
	    (json_int_t)c->done_at) : json_null(), "past_due",
	    past_due(a, c, now), "confirmation", confirmation_json(s, c));

	if (j == NULL)
		return NULL;
	if ((c->state == VIEW_HELD && json_object_set_new(j, "held_by",
	    json_string(c->held_by)) == -1) ||
	    ((c->state == VIEW_REJECTED || c->state == VIEW_MAILED) &&
	    json_object_set_new(j, "detail", jstr_or_null(c->detail)) == -1)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A list of strings of the stored advisory, as JSON (text checked on the wire). */
static json_t *
strings_json(char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, jstr_or_null(v[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/*
 * The texts only the stored envelope has (summary, actions, references):
 * set into j. 0, or -1 (err set, or memory with err empty).
 */
static int
advisory_texts(struct server *s, const struct view_report *a, json_t *j,
    char *err, size_t errlen)
{
	Envelope *e = NULL;
	Message *m = NULL;
	uint8_t *env = NULL;
	size_t envlen;
	int rc = -1;

	err[0] = '\0';
	if (view_envelope(s->view, a, &env, &envlen, err, errlen) != 1) {
		if (err[0] == '\0')
			snprintf(err, errlen, "the stored advisory is gone");
		return -1;
	}
	if ((e = kairan__v1__envelope__unpack(NULL, envlen, env)) == NULL ||
	    (m = message_decode(e->message.data, e->message.len, err,
	    errlen)) == NULL || m->body_case !=
	    KAIRAN__V1__MESSAGE__BODY_ADVISORY) {
		snprintf(err, errlen, "the stored advisory cannot be read");
		goto done;
	}
	err[0] = '\0';
	if (json_object_set_new(j, "summary",
	    jstr_or_null(m->advisory->summary)) == -1 ||
	    json_object_set_new(j, "actions", strings_json(m->advisory->actions,
	    m->advisory->n_actions)) == -1 ||
	    json_object_set_new(j, "references",
	    strings_json(m->advisory->references,
	    m->advisory->n_references)) == -1 ||
	    json_object_set_new(j, "severity",
	    adv_severity(m->advisory->severity)) == -1)
		goto done;
	rc = 0;
done:
	message_free(m);
	if (e != NULL)
		kairan__v1__envelope__free_unpacked(e, NULL);
	free(env);
	return rc;
}

/* GET /api/advisories/ID */
static int
get_advisory(struct server *s, const struct api_call *c,
    struct api_reply *rp, const char *hex, size_t len)
{
	struct view_report *a;
	struct view_cell *cells;
	json_t *root = NULL, *head, *rcpts;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512];
	int64_t now = message_now_ms();
	size_t i;

	if (parse_id(hex, len, id) == -1)
		return reply_error(rp, 400, "advisory: expected 32 lower-case "
		    "hex digits");
	if (refresh(s, c, rp) == -1)
		return rp->body != NULL ? 0 : -1;
	if ((a = view_advisory(s->view, id)) == NULL)
		return reply_error(rp, 404, "advisory: no such advisory here");
	if ((cells = advisory_cells(s, a, err, sizeof(err))) == NULL)
		return internal(rp, c, err);
	if ((head = advisory_json(s, a, cells, now)) == NULL)
		goto nomem;
	if (advisory_texts(s, a, head, err, sizeof(err)) == -1) {
		json_decref(head);
		view_cells_clear(cells, a->nrecipients);
		free(cells);
		return err[0] != '\0' ? internal(rp, c, err) : -1;
	}
	if ((rcpts = json_array()) == NULL || (root = json_pack("{s:o, s:o}",
	    "advisory", head, "recipients", rcpts)) == NULL) {
		json_decref(rcpts);
		goto nomem;
	}
	for (i = 0; i < a->nrecipients; i++)
		if (json_array_append_new(rcpts, json_pack("{s:s, s:s, s:o}",
		    "id", a->recipients[i], "name", entity_name(s,
		    a->recipients[i]), "cell", advisory_cell_json(s, a, &cells[i],
		    now))) == -1)
			goto nomem;
	view_cells_clear(cells, a->nrecipients);
	free(cells);
	return reply_json(rp, 200, root);
nomem:
	view_cells_clear(cells, a->nrecipients);
	free(cells);
	json_decref(root);
	return -1;
}

/* The report the drill is measured from: the 第1報, else the first. */
static size_t
drill_base(const struct view_incident *in)
{
	size_t i;

	for (i = 0; i < in->nreports; i++)
		if (in->reports[i]->report_no == 1)
			return i;
	return 0;
}

static void
csv_field(FILE *fp, const char *s)
{
	/* a cell Excel would run as a formula is quoted as text */
	fputc('"', fp);
	if (strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		fputc('\'', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* GET /api/drill/ID and /api/drill/ID.csv */
static int
get_drill(struct server *s, const struct api_call *c, struct api_reply *rp,
    const char *hex, size_t len, int csv)
{
	struct view_incident *in;
	struct view_cell **cells = NULL;
	const struct view_report *base;
	json_t *root = NULL, *rcpts = NULL;
	char err[512], *text = NULL, ihex[KAIRAN_ID_HEXLEN + 1];
	size_t i, b, textlen = 0;
	FILE *fp = NULL;
	int rc;

	if ((in = path_incident(s, c, rp, hex, len, &rc)) == NULL)
		return rc;
	if (incident_cells(s, in, &cells, err, sizeof(err)) == -1) {
		free_cells(in, cells);
		return internal(rp, c, err);
	}
	b = drill_base(in);
	base = in->reports[b];
	if (csv) {
		if ((fp = open_memstream(&text, &textlen)) == NULL)
			goto nomem;
		fputs("\xef\xbb\xbf宛先ID,宛先,配送まで(秒),受理確認まで(秒),応答\r\n",
		    fp);
	} else if ((rcpts = json_array()) == NULL || (root = json_pack("{s:o, "
	    "s:o, s:o}", "incident", incident_json(s, in, cells), "base",
	    report_json(base), "recipients", rcpts)) == NULL)
		goto nomem;
	for (i = 0; i < base->nrecipients; i++) {
		const struct view_cell *cl = &cells[b][i];
		const char *id = base->recipients[i];
		double td = cl->delivered_at > 0 ? (double)(cl->delivered_at -
		    base->accepted_at) / 1e3 : -1;
		double ta = cl->acknowledged_at > 0 ?
		    (double)(cl->acknowledged_at - base->accepted_at) / 1e3 : -1;

		if (csv) {
			fprintf(fp, "%s,", id);
			csv_field(fp, entity_name(s, id));
			if (td >= 0)
				fprintf(fp, ",%.1f", td);
			else
				fputc(',', fp);
			if (ta >= 0)
				fprintf(fp, ",%.1f", ta);
			else
				fputc(',', fp);
			fprintf(fp, ",%s\r\n", ta >= 0 ? "あり" : "なし");
			continue;
		}
		if (json_array_append_new(rcpts, json_pack("{s:s, s:s, s:o, s:o, "
		    "s:o, s:o, s:b}", "id", id, "name", entity_name(s, id),
		    "delivered_at", jtime(cl->delivered_at), "acknowledged_at",
		    jtime(cl->acknowledged_at), "to_delivery_s", td >= 0 ?
		    json_real(td) : json_null(), "to_ack_s", ta >= 0 ?
		    json_real(ta) : json_null(), "answered", ta >= 0)) == -1)
			goto nomem;
	}
	free_cells(in, cells);
	cells = NULL;
	if (!csv)
		return reply_json(rp, 200, root);
	if (fclose(fp) != 0) {
		free(text);
		return -1;
	}
	message_hex(in->id, KAIRAN_ID_LEN, ihex);
	snprintf(rp->disposition, sizeof(rp->disposition),
	    "attachment; filename=\"drill-%s.csv\"", ihex);
	rp->status = 200;
	rp->content_type = CSV_TYPE;
	rp->body = text;
	rp->bodylen = textlen;
	return 0;
nomem:
	free_cells(in, cells);
	json_decref(root);
	if (fp != NULL) {
		fclose(fp);
		free(text);
	}
	return -1;
}

/* GET /api/geometry: the file as it is. */
static int
get_geometry(struct server *s, const struct api_call *c,
    struct api_reply *rp)
{
	const char *path = s->cfg->console_geometry;
	struct stat sb;
	FILE *fp;
	char *data;
	size_t n;

	if (path == NULL)
		return reply_error(rp, 404, "geometry: none configured ([console] "
		    "geometry)");
	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &sb) == -1 ||
	    !S_ISREG(sb.st_mode) || sb.st_size > API_GEOMETRY_MAX) {
		char e[256];

		snprintf(e, sizeof(e), "%s: %s", path, fp == NULL ?
		    strerror(errno) : "not a file of at most 8 MiB");
		if (fp != NULL)
			fclose(fp);
		log_warnx("api geometry path=%s addr=%s error=%s",
		    log_str(c->path), log_str(c->address), log_str(e));
		return reply_error(rp, 500, "geometry: the file cannot be read");
	}
	if ((data = malloc((size_t)sb.st_size + 1)) == NULL) {
		fclose(fp);
		return -1;
	}
	n = fread(data, 1, (size_t)sb.st_size, fp);
	fclose(fp);
	rp->status = 200;
	rp->content_type = JSON_TYPE;
	rp->body = data;
	rp->bodylen = n;
	return 0;
}

/*
 * GET /api/reports/ID/form: the report laid out by proto/form.c, the
 * lines of `kairan-node show --form` (without the proxy-log lines that
 * need the whole incident: no form_context here).
 */
static int
get_form(struct server *s, const struct api_call *c, struct api_reply *rp,
    const char *hex, size_t len)
{
	struct view_report *r;
	struct form *f = NULL;
	Envelope *e = NULL;
	Message *m = NULL;
	json_t *j = NULL;
	uint8_t id[KAIRAN_ID_LEN], *env = NULL;
	size_t envlen;
	char err[512];
	int rc;

	if (parse_id(hex, len, id) == -1)
		return reply_error(rp, 400, "report: expected 32 lower-case hex "
		    "digits");
	if (refresh(s, c, rp) == -1)
		return rp->body != NULL ? 0 : -1;
	if ((r = view_report(s->view, id)) == NULL)
		return reply_error(rp, 404, "report: no such report here");
	if ((rc = view_envelope(s->view, r, &env, &envlen, err,
	    sizeof(err))) != 1)
		return rc == 0 ? reply_error(rp, 404, "report: no such report "
		    "here") : internal(rp, c, err);
	if ((e = kairan__v1__envelope__unpack(NULL, envlen, env)) == NULL ||
	    (m = message_decode(e->message.data, e->message.len, err,
	    sizeof(err))) == NULL) {
		rc = internal(rp, c, "the stored report cannot be read");
		goto done;
	}
	rc = -1;
	if (form_build(m, s->dir, NULL, &f) == -1 ||
	    (j = form_json(f)) == NULL ||
	    json_object_set_new(j, "report", json_stringn(hex, len)) == -1 ||
	    json_object_set_new(j, "status",
	    json_string(status_name(r->status))) == -1)
		goto done;
	rc = reply_json(rp, 200, j);
	j = NULL;
done:
	json_decref(j);
	form_free(f);
	message_free(m);
	if (e != NULL)
		kairan__v1__envelope__free_unpacked(e, NULL);
	free(env);
	return rc;
}

/* Whether path is prefix + 32 hex + suffix: the hex's start, else NULL. */
static const char *
path_id(const char *path, const char *prefix, const char *suffix,
    size_t *len)
{
	size_t n = strlen(path), p = strlen(prefix), sfx = strlen(suffix);

	if (n <= p + sfx || strncmp(path, prefix, p) != 0 ||
	    strcmp(path + n - sfx, suffix) != 0)
		return NULL;
	*len = n - p - sfx;
	if (memchr(path + p, '/', *len) != NULL)
		return NULL;
	return path + p;
}

int
api_handle(struct server *s, const struct api_call *c, struct api_reply *rp)
{
	int get = strcmp(c->method, "GET") == 0;
	int post = strcmp(c->method, "POST") == 0;
	const char *id;
	size_t len;

	memset(rp, 0, sizeof(*rp));
	if (s->view == NULL)
		return reply_error(rp, 503, "the console's view is not open");
	if (strcmp(c->path, "/api/confirm") == 0)
		return post ? post_confirm(s, c, rp) : reply_error(rp, 405,
		    "POST only");
	if (!get)
		return reply_error(rp, post ? 405 : 405, "GET only");
	if (strcmp(c->path, "/api/nodes") == 0)
		return get_nodes(s, c, rp);
	if (strcmp(c->path, "/api/incidents") == 0)
		return get_incidents(s, c, rp);
	if (strcmp(c->path, "/api/overdue") == 0)
		return get_overdue(s, c, rp);
	if (strcmp(c->path, "/api/advisories") == 0)
		return get_advisories(s, c, rp);
	if ((id = path_id(c->path, "/api/advisories/", "", &len)) != NULL)
		return get_advisory(s, c, rp, id, len);
	if (strcmp(c->path, "/api/geometry") == 0)
		return get_geometry(s, c, rp);
	if ((id = path_id(c->path, "/api/incidents/", "", &len)) != NULL)
		return get_incident(s, c, rp, id, len);
	if ((id = path_id(c->path, "/api/drill/", ".csv", &len)) != NULL)
		return get_drill(s, c, rp, id, len, 1);
	if ((id = path_id(c->path, "/api/drill/", "", &len)) != NULL)
		return get_drill(s, c, rp, id, len, 0);
	if ((id = path_id(c->path, "/api/reports/", "/form", &len)) != NULL)
		return get_form(s, c, rp, id, len);
	return reply_error(rp, 404, "no such endpoint");
}

int
api_start(struct server *s)
{
	char err[512];

	if ((s->view = view_open(s->cfg->db, err, sizeof(err))) == NULL) {
		log_warnx("console view: %s", log_str(err));
		return -1;
	}
	return events_start(s);
}

void
api_stop(struct server *s)
{
	events_stop(s);
}

void
api_free(struct server *s)
{
	events_free(s);
	view_close(s->view);
	s->view = NULL;
}

int
api_check(const struct config *cfg, char *err, size_t errlen)
{
	struct stat sb;
	FILE *fp;

	if (cfg->console_geometry == NULL)
		return 0;
	if ((fp = fopen(cfg->console_geometry, "rb")) == NULL) {
		snprintf(err, errlen, "[console] geometry %s: %s",
		    cfg->console_geometry, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > API_GEOMETRY_MAX) {
		snprintf(err, errlen, "[console] geometry %s: not a file of at "
		    "most 8 MiB", cfg->console_geometry);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}
