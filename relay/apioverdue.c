/*
 * apioverdue: GET /api/overdue (see apioverdue.h and relay/API.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/message.h"

#include "apioverdue.h"
#include "apireply.h"
#include "config.h"
#include "relay.h"
#include "view.h"

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
	    apireply_str(e->contact.name), "phone",
	    apireply_str(e->contact.phone), "after_hours_phone",
	    apireply_str(e->contact.after_hours_phone), "fax",
	    apireply_str(e->contact.fax), "email",
	    apireply_str(e->contact.email), "hours",
	    apireply_str(e->contact.hours));
}

static json_t *
mail_json(const struct view_cell *c)
{
	if (c->mail == VIEW_MAIL_NONE)
		return json_null();
	return json_pack("{s:s, s:I, s:o, s:o}", "state", mail_name(c->mail),
	    "attempts", (json_int_t)c->mail_attempts, "code", c->mail_code > 0 ?
	    json_integer(c->mail_code) : json_null(), "reply",
	    apireply_str(c->mail_reply));
}

/* One row of GET /api/overdue. */
static json_t *
overdue_json(struct server *s, const struct view_report *r,
    const struct overdue_row *o, const struct view_cell *cell)
{
	char hex[KAIRAN_ID_HEXLEN + 1], inc[KAIRAN_ID_HEXLEN + 1], label[64];

	message_hex(r->id, KAIRAN_ID_LEN, hex);
	message_hex(r->incident->id, KAIRAN_ID_LEN, inc);
	apireply_label(r, label, sizeof(label));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, "
	    "s:I, s:o, s:o, s:o}", "report", hex, "incident", inc, "label",
	    label, "title", r->title, "sender", r->incident->sender,
	    "sender_name", apireply_name(s, r->incident->sender), "status",
	    apireply_status(r->status), "recipient", o->recipient,
	    "recipient_name", apireply_name(s, o->recipient), "level",
	    (json_int_t)r->level, "deadline", (json_int_t)o->deadline,
	    "contact", contact_json(directory_get(s->dir, o->recipient)),
	    "mail", cell != NULL ? mail_json(cell) : json_null(),
	    "confirmation", cell != NULL ? apireply_confirmation(s, cell) :
	    json_null());
}

/* GET /api/overdue */
int
apioverdue_get(struct server *s, const struct api_call *c, struct api_reply *rp)
{
	struct overdue_acc a;
	const struct view_report *cur = NULL;
	struct view_cell *cells = NULL;
	json_t *list;
	char err[512];
	size_t i;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	if (apireply_refresh(s, c, rp) == -1)
		return rp->body != NULL ? 0 : -1;
	if (view_overdue(s->view, overdue_add, &a, err, sizeof(err)) == -1) {
		free(a.rows);
		return apireply_internal(rp, c, err);
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
				rc = apireply_internal(rp, c, err);
				goto done;
			}
		}
		k = view_recipient_index(r, a.rows[i].recipient);
		if (json_array_append_new(list, overdue_json(s, r, &a.rows[i],
		    k >= 0 ? &cells[k] : NULL)) == -1)
			goto nomem;
	}
	rc = apireply_json(rp, 200, json_pack("{s:o}", "overdue", list));
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
