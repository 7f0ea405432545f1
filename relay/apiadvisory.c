/*
 * apiadvisory: the advisories of the console's API (see apiadvisory.h
 * and relay/API.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/envelope.h"
#include "kairan/message.h"

#include "apiadvisory.h"
#include "apireply.h"
#include "config.h"
#include "relay.h"
#include "view.h"

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
	    apireply_str(a->title), "source", apireply_str(a->source),
	    "sender", a->sender, "sender_name", apireply_name(s, a->sender),
	    "status", apireply_status(a->status), "at",
	    (json_int_t)a->accepted_at, "due_at", apireply_time(a->due_at),
	    "past_due_time", a->due_at > 0 && now > a->due_at, "recipients",
	    (json_int_t)a->nrecipients,
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
int
apiadvisory_list(struct server *s, const struct api_call *c,
    struct api_reply *rp)
{
	struct view_report **all;
	struct view_cell *cells;
	json_t *list;
	char err[512];
	int64_t now = message_now_ms();
	size_t i, n;

	if (apireply_refresh(s, c, rp) == -1)
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
			return apireply_internal(rp, c, err);
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
	return apireply_json(rp, 200, json_pack("{s:o}", "advisories", list));
}

/* An advisory's cell (API.md "GET /api/advisories/ID"). */
static json_t *
advisory_cell_json(struct server *s, const struct view_report *a,
    const struct view_cell *c, int64_t now)
{
	json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:b, s:o}", "state",
	    apireply_state(c->state), "at", apireply_time(c->at),
	    "delivered_at", apireply_time(c->delivered_at), "acknowledged",
	    c->acknowledged_at != 0 ? json_pack("{s:o, s:I}", "by",
	    apireply_str(c->by), "at", (json_int_t)c->acknowledged_at) :
	    json_null(), "done",
	    c->done_at != 0 ? json_pack("{s:o, s:o, s:I}", "by",
	    apireply_str(c->done_by), "note", apireply_str(c->done_note), "at",
	    (json_int_t)c->done_at) : json_null(), "past_due",
	    past_due(a, c, now), "confirmation", apireply_confirmation(s, c));

	if (j == NULL)
		return NULL;
	if ((c->state == VIEW_HELD && json_object_set_new(j, "held_by",
	    json_string(c->held_by)) == -1) ||
	    ((c->state == VIEW_REJECTED || c->state == VIEW_MAILED) &&
	    json_object_set_new(j, "detail", apireply_str(c->detail)) == -1)) {
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
		if (json_array_append_new(a, apireply_str(v[i])) == -1) {
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
	    apireply_str(m->advisory->summary)) == -1 ||
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
int
apiadvisory_get(struct server *s, const struct api_call *c,
    struct api_reply *rp, const char *hex, size_t len)
{
	struct view_report *a;
	struct view_cell *cells;
	json_t *root = NULL, *head, *rcpts;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512];
	int64_t now = message_now_ms();
	size_t i;
	int rc;

	if (apireply_path_id(s, c, rp, "advisory", hex, len, id, &rc) == -1)
		return rc;
	if ((a = view_advisory(s->view, id)) == NULL)
		return apireply_error(rp, 404, "advisory: no such advisory "
		    "here");
	if ((cells = advisory_cells(s, a, err, sizeof(err))) == NULL)
		return apireply_internal(rp, c, err);
	if ((head = advisory_json(s, a, cells, now)) == NULL)
		goto nomem;
	if (advisory_texts(s, a, head, err, sizeof(err)) == -1) {
		json_decref(head);
		view_cells_clear(cells, a->nrecipients);
		free(cells);
		return err[0] != '\0' ? apireply_internal(rp, c, err) : -1;
	}
	if ((rcpts = json_array()) == NULL || (root = json_pack("{s:o, s:o}",
	    "advisory", head, "recipients", rcpts)) == NULL) {
		json_decref(rcpts);
		goto nomem;
	}
	for (i = 0; i < a->nrecipients; i++)
		if (json_array_append_new(rcpts, json_pack("{s:s, s:s, s:o}",
		    "id", a->recipients[i], "name", apireply_name(s,
		    a->recipients[i]), "cell", advisory_cell_json(s, a, &cells[i],
		    now))) == -1)
			goto nomem;
	view_cells_clear(cells, a->nrecipients);
	free(cells);
	return apireply_json(rp, 200, root);
nomem:
	view_cells_clear(cells, a->nrecipients);
	free(cells);
	json_decref(root);
	return -1;
}
