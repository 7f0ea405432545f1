/*
 * apireply: the call, the reply and the values every endpoint of the
 * console's API spells alike (see apireply.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "apireply.h"
#include "config.h"
#include "relay.h"
#include "view.h"

/* A JSON reply; takes j (NULL: out of memory). 0, or -1. */
int
apireply_json(struct api_reply *rp, unsigned status, json_t *j)
{
	char *text;

	if (j == NULL)
		return -1;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		return -1;
	rp->status = status;
	rp->content_type = APIREPLY_JSON_TYPE;
	rp->body = text;
	rp->bodylen = strlen(text);
	return 0;
}

/* {"error": "…"} with status; the text must be UTF-8 (it is ours or checked). */
int
apireply_error(struct api_reply *rp, unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!message_utf8_valid(msg, strlen(msg)))
		snprintf(msg, sizeof(msg), "bad request");
	return apireply_json(rp, status, json_pack("{s:s}", "error", msg));
}

/* The store or the view failed: logged, 500. */
int
apireply_internal(struct api_reply *rp, const struct api_call *c,
    const char *err)
{
	log_warnx("api failed path=%s addr=%s error=%s", log_str(c->path),
	    log_str(c->address), log_str(err));
	return apireply_error(rp, 500, "the relay's store could not be "
	    "read");
}

/* A time in ms, or null for 0. */
json_t *
apireply_time(int64_t ms)
{
	return ms > 0 ? json_integer(ms) : json_null();
}

json_t *
apireply_str(const char *s)
{
	return s != NULL && message_utf8_valid(s, strlen(s)) ? json_string(s) :
	    json_null();
}

const char *
apireply_status(int status)
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

const char *
apireply_state(enum view_state st)
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

/* 第N報, or the phase's word for 収束宣言, 最終報告 and 取消 (labels.h). */
void
apireply_label(const struct view_report *r, char *buf, size_t len)
{
	if (r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED ||
	    r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL ||
	    r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN)
		snprintf(buf, len, "%s", label_phase(r->phase));
	else
		snprintf(buf, len, "第%u報", r->report_no);
}

const char *
apireply_name(struct server *s, const char *id)
{
	const struct dir_entity *e = directory_get(s->dir, id);

	return e != NULL && e->name != NULL ? e->name : id;
}

/*
 * The latest phone confirmation an operator recorded in this relay's
 * console: where (recorded_at "relay", relay this relay's id) and by whom
 * (operator) it was recorded, beside who was reached (name). A sender
 * node's own `kairan-node confirm` stays in that node and never shows
 * here (API.md "Phone confirmations: where each is kept").
 */
json_t *
apireply_confirmation(struct server *s, const struct view_cell *c)
{
	if (!c->confirmed)
		return json_null();
	return json_pack("{s:o, s:o, s:I, s:o, s:s, s:s}", "operator",
	    apireply_str(c->c_operator), "name", apireply_str(c->c_name), "at",
	    (json_int_t)c->c_at, "note", apireply_str(c->c_note),
	    "recorded_at", "relay", "relay", s->cfg->id);
}

/* Parses 32 lower-case hex digits (the API's ids). 0, or -1. */
int
apireply_parse_id(const char *hex, size_t len, uint8_t id[KAIRAN_ID_LEN])
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

int
apireply_path_id(struct server *s, const struct api_call *c,
    struct api_reply *rp, const char *field, const char *hex, size_t len,
    uint8_t id[KAIRAN_ID_LEN], int *rc)
{
	*rc = 0;
	if (apireply_parse_id(hex, len, id) == -1) {
		*rc = apireply_error(rp, 400, "%s: expected 32 lower-case hex "
		    "digits", field);
		return -1;
	}
	if (apireply_refresh(s, c, rp) == -1) {
		*rc = rp->body != NULL ? 0 : -1;
		return -1;
	}
	return 0;
}

int
apireply_refresh(struct server *s, const struct api_call *c,
    struct api_reply *rp)
{
	char err[512];

	if (view_refresh(s->view, err, sizeof(err)) == -1) {
		(void)apireply_internal(rp, c, err);
		return -1;
	}
	return 0;
}
