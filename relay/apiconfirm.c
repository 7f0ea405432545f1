/*
 * apiconfirm: POST /api/confirm, a phone confirmation (see apiconfirm.h
 * and relay/API.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "apiconfirm.h"
#include "apireply.h"
#include "config.h"
#include "events.h"
#include "relay.h"
#include "store.h"
#include "view.h"

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
int
apiconfirm_post(struct server *s, const struct api_call *c,
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
		return apireply_error(rp, 400, "body: not JSON (%s)",
		    jerr.text);
	if (!json_is_object(body)) {
		json_decref(body);
		return apireply_error(rp, 400, "body: expected an object");
	}
	json_object_foreach(body, key, v) {
		if (strcmp(key, "report") == 0 || strcmp(key, "recipient") == 0) {
			if (!json_is_string(v)) {
				rc = apireply_error(rp, 400, "%s: expected a "
				    "string", key);
				goto out;
			}
			*(key[2] == 'p' ? &report : &rcpt) =
			    json_string_value(v);
		} else if (strcmp(key, "name") == 0) {
			if (check_text("name", v, 1, APICONFIRM_NAME_MAX, 0,
			    &name, err, sizeof(err)) == -1)
				goto bad;
		} else if (strcmp(key, "note") == 0) {
			if (check_text("note", v, 0, APICONFIRM_NOTE_MAX,
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
	if (apireply_parse_id(report, strlen(report), id) == -1) {
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
	if (apireply_refresh(s, c, rp) == -1) {
		rc = rp->body != NULL ? 0 : -1;
		goto out;
	}
	if ((r = view_report(s->view, id)) == NULL) {
		rc = apireply_error(rp, 404, "report: no such report here");
		goto out;
	}
	if (view_recipient_index(r, rcpt) < 0) {
		snprintf(err, sizeof(err), "recipient: %s is not a recipient of "
		    "that report", rcpt);
		goto bad;
	}
	if ((rc = store_message_get(s->store, id, &env, &envlen, digest, err,
	    sizeof(err))) != 1) {
		rc = rc == 0 ? apireply_error(rp, 404, "report: no such report "
		    "here") : apireply_internal(rp, c, err);
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
		rc = apireply_error(rp, 503, "the confirmation could not be "
		    "recorded; try again");
		goto out;
	}
	log_info("confirm id=%s recipient=%s operator=%s name=%s "
	    "mails_cancelled=%d addr=%s", report, rcpt, log_str(c->operator),
	    log_str(name), cancelled, log_str(c->address));
	events_notify(s, "confirm");
	rc = apireply_json(rp, 200, json_pack("{s:{s:s, s:s, s:s, s:s, s:s, "
	    "s:I, s:i, s:s, s:s}}", "confirmation", "report", report,
	    "recipient", rcpt, "operator", c->operator, "name", name, "note",
	    note, "at", (json_int_t)now, "mails_cancelled", cancelled,
	    "recorded_at", "relay", "relay", s->cfg->id));
	goto out;
bad:
	rc = apireply_error(rp, 400, "%s", err);
out:
	json_decref(body);
	return rc;
}
