/*
 * apiincident: the incident list, one incident's receipt matrix and a
 * report's 報告様式 (see apiincident.h and relay/API.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/deadline.h"
#include "kairan/envelope.h"
#include "kairan/form.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "apiincident.h"
#include "apireply.h"
#include "config.h"
#include "relay.h"
#include "view.h"

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
 * (each of that report's nrecipients). Free with apiincident_cells_free.
 * 0, or -1 with err.
 */
int
apiincident_cells(struct server *s, const struct view_incident *in,
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

void
apiincident_cells_free(const struct view_incident *in, struct view_cell **cells)
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
json_t *
apiincident_json(struct server *s, const struct view_incident *in,
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
	    in->sender, "sender_name", apireply_name(s, in->sender), "level",
	    (json_int_t)last->level, "status", apireply_status(last->status),
	    "closed", closed(in), "reports", (json_int_t)in->nreports,
	    "first_at", (json_int_t)in->first_at, "last_at",
	    (json_int_t)in->last_at, "recipients",
	    (json_int_t)in->nrecipients, "acknowledged", (json_int_t)ack,
	    "overdue", (json_int_t)overdue);
}

static json_t *
cell_json(struct server *s, const struct view_cell *c)
{
	json_t *j = json_pack("{s:s, s:o, s:b, s:o, s:o}", "state",
	    apireply_state(c->state), "at", apireply_time(c->at), "overdue",
	    c->overdue, "deadline", apireply_time(c->deadline), "confirmation",
	    apireply_confirmation(s, c));

	if (j == NULL)
		return NULL;
	if ((c->state == VIEW_ACKNOWLEDGED && json_object_set_new(j, "by",
	    apireply_str(c->by)) == -1) ||
	    (c->state == VIEW_HELD && json_object_set_new(j, "held_by",
	    json_string(c->held_by)) == -1) ||
	    ((c->state == VIEW_REJECTED || c->state == VIEW_MAILED) &&
	    json_object_set_new(j, "detail", apireply_str(c->detail)) == -1)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *
apiincident_report_json(const struct view_report *r)
{
	char hex[KAIRAN_ID_HEXLEN + 1], label[64];

	message_hex(r->id, KAIRAN_ID_LEN, hex);
	apireply_label(r, label, sizeof(label));
	return json_pack("{s:s, s:I, s:s, s:I, s:s, s:I}", "id", hex,
	    "report_no", (json_int_t)r->report_no, "label", label, "at",
	    (json_int_t)r->accepted_at, "status", apireply_status(r->status),
	    "level", (json_int_t)r->level);
}

/* GET /api/incidents */
int
apiincident_list(struct server *s, const struct api_call *c,
    struct api_reply *rp)
{
	struct view_incident **all;
	struct view_cell **cells = NULL;
	json_t *root, *list;
	char err[512];
	size_t i, n;

	if (apireply_refresh(s, c, rp) == -1)
		return rp->body != NULL ? 0 : -1;
	n = view_incidents(s->view, &all);
	if ((list = json_array()) == NULL)
		return -1;
	for (i = 0; i < n && i < VIEW_INCIDENTS_MAX; i++) {
		if (apiincident_cells(s, all[i], &cells, err,
		    sizeof(err)) == -1) {
			apiincident_cells_free(all[i], cells);
			json_decref(list);
			return apireply_internal(rp, c, err);
		}
		if (json_array_append_new(list, apiincident_json(s, all[i],
		    cells)) == -1) {
			apiincident_cells_free(all[i], cells);
			json_decref(list);
			return -1;
		}
		apiincident_cells_free(all[i], cells);
		cells = NULL;
	}
	if ((root = json_pack("{s:o}", "incidents", list)) == NULL)
		return -1;
	return apireply_json(rp, 200, root);
}

/* The incident of an id in a path, or a 400/404 reply (NULL). */
struct view_incident *
apiincident_find(struct server *s, const struct api_call *c,
    struct api_reply *rp, const char *hex, size_t len, int *rc)
{
	struct view_incident *in;
	uint8_t id[KAIRAN_ID_LEN];

	if (apireply_path_id(s, c, rp, "incident", hex, len, id, rc) == -1)
		return NULL;
	if ((in = view_incident(s->view, id)) == NULL)
		*rc = apireply_error(rp, 404, "incident: no such incident "
		    "here");
	return in;
}

/* GET /api/incidents/ID */
int
apiincident_get(struct server *s, const struct api_call *c,
    struct api_reply *rp, const char *hex, size_t len)
{
	struct view_incident *in;
	struct view_cell **cells = NULL;
	json_t *root = NULL, *reports, *rcpts, *row, *rcells;
	char err[512];
	size_t i, j;
	int rc, k;

	if ((in = apiincident_find(s, c, rp, hex, len, &rc)) == NULL)
		return rc;
	if (apiincident_cells(s, in, &cells, err, sizeof(err)) == -1) {
		apiincident_cells_free(in, cells);
		return apireply_internal(rp, c, err);
	}
	if ((reports = json_array()) == NULL || (rcpts = json_array()) ==
	    NULL || (root = json_pack("{s:o, s:o, s:o}", "incident",
	    apiincident_json(s, in, cells), "reports", reports, "recipients",
	    rcpts)) == NULL)
		goto nomem;
	for (i = 0; i < in->nreports; i++)
		if (json_array_append_new(reports,
		    apiincident_report_json(in->reports[i])) == -1)
			goto nomem;
	for (j = 0; j < in->nrecipients; j++) {
		if ((rcells = json_array()) == NULL || (row = json_pack("{s:s, "
		    "s:s, s:o}", "id", in->recipients[j], "name",
		    apireply_name(s, in->recipients[j]), "cells", rcells)) ==
		    NULL ||
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
	apiincident_cells_free(in, cells);
	return apireply_json(rp, 200, root);
nomem:
	apiincident_cells_free(in, cells);
	json_decref(root);
	return -1;
}

/*
 * The Message of report r as stored, decoded and validated: 1 with *out
 * (free with message_free); 0 if its envelope is gone (*gone 1) or does
 * not decode (*gone 0; err says why); -1 with err if the store failed.
 */
static int
stored_message(struct server *s, const struct view_report *r, Message **out,
    int *gone, char *err, size_t errlen)
{
	Envelope *e;
	uint8_t *env = NULL;
	size_t envlen;
	int rc;

	*out = NULL;
	*gone = 0;
	if ((rc = view_envelope(s->view, r, &env, &envlen, err, errlen)) != 1) {
		*gone = rc == 0;
		return rc;
	}
	if ((e = kairan__v1__envelope__unpack(NULL, envlen, env)) == NULL)
		snprintf(err, errlen, "envelope does not decode");
	else {
		*out = message_decode(e->message.data, e->message.len, err,
		    errlen);
		kairan__v1__envelope__free_unpacked(e, NULL);
	}
	free(env);
	if (*out != NULL && (*out)->body_case !=
	    KAIRAN__V1__MESSAGE__BODY_REPORT) {
		snprintf(err, errlen, "not a report");
		message_free(*out);
		*out = NULL;
	}
	return *out != NULL;
}

/*
 * The proxy-log verdict of r's incident as r knows it, at now, into out:
 * proto/deadline.c's deadline_proxy over the incident's reports numbered
 * up to r's (the view keeps them in report_no order, so they are a prefix
 * of in->reports), as `kairan-node show --form` does over its store. A
 * report whose stored envelope is gone or does not decode is left out, as
 * the node leaves out one that does not decode (neither can be report 1
 * nor carry a check time). At most APIINCIDENT_FORM_REPORTS of them are
 * read; an incident with more, or a store that fails, gives NONE (the form
 * then lacks the verdict rather than say one from part of the incident),
 * logged. Never fails.
 */
static void
incident_proxy(struct server *s, const struct view_report *r, int64_t now,
    struct deadline_proxy *out)
{
	const struct view_incident *in = r->incident;
	struct deadline_report *v = NULL;
	Message **m = NULL;
	char err[512];
	size_t i, k = 0, n = 0;

	memset(out, 0, sizeof(*out));
	if (in == NULL)
		return;
	while (k < in->nreports && in->reports[k]->report_no <= r->report_no)
		k++;
	if (k > APIINCIDENT_FORM_REPORTS) {
		log_warnx("console: form report_no=%u: %zu reports up to it, "
		    "over %d: no proxy-log verdict", r->report_no, k,
		    APIINCIDENT_FORM_REPORTS);
		return;
	}
	if (k == 0 || (v = calloc(k, sizeof(*v))) == NULL ||
	    (m = calloc(k, sizeof(*m))) == NULL)
		goto done;
	for (i = 0; i < k; i++) {
		int gone, rc = stored_message(s, in->reports[i], &m[n], &gone,
		    err, sizeof(err));

		if (rc == -1) {
			log_warnx("console: form report_no=%u: %s: no "
			    "proxy-log verdict", r->report_no, err);
			goto done;
		}
		if (rc == 0)
			continue;
		v[n].report_no = m[n]->report->report_no;
		v[n].phase = (int)m[n]->report->phase;
		v[n].created_ms = m[n]->created_at_ms;
		v[n].r = m[n]->report;
		n++;
	}
	deadline_proxy(v, n, r->report_no, now, out);
done:
	for (i = 0; m != NULL && i < n; i++)
		message_free(m[i]);
	free(m);
	free(v);
}

void
apiincident_proxy(struct server *s, const uint8_t id[KAIRAN_ID_LEN],
    int64_t now, struct deadline_proxy *out)
{
	struct view_report *r;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];

	memset(out, 0, sizeof(*out));
	/*
	 * Only where the console runs: its view is then loaded anyway. On a
	 * relay without one, the first mail would read and decode the whole
	 * store into a view nobody looks at, on the loop (the verdict is left
	 * out there; the 第1報's own deadline needs no incident).
	 */
	if (s->view == NULL || !s->cfg->console)
		return;
	idhex(id, KAIRAN_ID_LEN, hex);
	/* the report was committed before its mail: the view catches up */
	if (view_refresh(s->view, err, sizeof(err)) == -1) {
		log_warnx("form id=%s proxy_verdict=none error=%s", hex,
		    log_str(err));
		return;
	}
	if ((r = view_report(s->view, id)) == NULL) {
		log_warnx("form id=%s proxy_verdict=none error=%s", hex,
		    log_str("not in the console's view"));
		return;
	}
	incident_proxy(s, r, now, out);
}

/*
 * GET /api/reports/ID/form: the report laid out by proto/form.c, the
 * lines of `kairan-node show --form`, with its proxy-log lines
 * (proto/deadline.c's deadline_form_context, as the node: the deadline on
 * a 標的型攻撃 第1報, the incident's verdict on a later report).
 */
int
apiincident_form(struct server *s, const struct api_call *c,
    struct api_reply *rp, const char *hex, size_t len)
{
	struct view_report *r;
	struct form *f = NULL;
	struct form_context ctx;
	struct deadline_proxy d;
	Message *m = NULL;
	json_t *j = NULL;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512], note[DEADLINE_NOTE_LEN];
	int rc, gone;

	if (apireply_path_id(s, c, rp, "report", hex, len, id, &rc) == -1)
		return rc;
	if ((r = view_report(s->view, id)) == NULL)
		return apireply_error(rp, 404, "report: no such report here");
	if ((rc = stored_message(s, r, &m, &gone, err, sizeof(err))) != 1) {
		if (rc == -1)
			return apireply_internal(rp, c, err);
		return gone ? apireply_error(rp, 404, "report: no such report "
		    "here") : apireply_internal(rp, c, "the stored report "
		    "cannot be read");
	}
	incident_proxy(s, r, message_now_ms(), &d);
	deadline_form_context(m, &d, note, sizeof(note), &ctx);
	rc = -1;
	if (form_build(m, s->dir, &ctx, &f) == -1 ||
	    (j = form_json(f)) == NULL ||
	    json_object_set_new(j, "report", json_stringn(hex, len)) == -1 ||
	    json_object_set_new(j, "status",
	    json_string(apireply_status(r->status))) == -1)
		goto done;
	rc = apireply_json(rp, 200, j);
	j = NULL;
done:
	json_decref(j);
	form_free(f);
	message_free(m);
	return rc;
}
