/*
 * deadline: the final report's and the proxy logs' deadlines of an
 * incident as the node shows them: its reports read from the store for
 * the computations of proto/deadline.c (kairan/deadline.h), then printed
 * or as JSON (see deadline.h; the decisions and the seed passages are in
 * node/README.md "Deadlines").
 *
 * Every time is printed in JST (jst.h); nothing printed here comes from a
 * peer except numbers and times, so no string needs text.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/envelope.h"
#include "kairan/jst.h"
#include "kairan/kairan.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "deadline.h"
#include "store_msg.h"

#define PH_CLOSED	KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED

/* The validated Message of a stored row, or NULL. */
static Message *
decode(const struct store_msg *sm)
{
	Envelope *env;
	Message *m = NULL;
	char err[256];

	if ((env = kairan__v1__envelope__unpack(NULL, sm->envlen,
	    sm->env)) == NULL)
		return NULL;
	m = message_decode(env->message.data, env->message.len, err,
	    sizeof(err));
	kairan__v1__envelope__free_unpacked(env, NULL);
	if (m != NULL && m->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT) {
		message_free(m);
		m = NULL;
	}
	return m;
}

int
deadline_load(struct deadline_set *set, struct store *store,
    enum store_dir dir, const uint8_t incident[KAIRAN_ID_LEN], char *err,
    size_t errlen)
{
	long n;
	size_t i;

	memset(set, 0, sizeof(*set));
	if ((n = store_msg_incident(store, dir, incident, &set->sm, err,
	    errlen)) == -1)
		return -1;
	set->n = (size_t)n;
	if (n == 0)
		return 0;
	if ((set->v = calloc(set->n, sizeof(*set->v))) == NULL ||
	    (set->m = calloc(set->n, sizeof(*set->m))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < set->n; i++) {
		set->m[i] = decode(&set->sm[i]);
		set->v[i].report_no = set->sm[i].report_no;
		set->v[i].created_ms = set->sm[i].created_ms;
		set->v[i].r = set->m[i] != NULL ? set->m[i]->report : NULL;
		/* a version 1 row has no phase column: the report says */
		set->v[i].phase = set->v[i].r != NULL ?
		    (int)set->v[i].r->phase : set->sm[i].phase;
	}
	return 0;
fail:
	deadline_set_clear(set);
	return -1;
}

void
deadline_set_clear(struct deadline_set *set)
{
	size_t i;

	for (i = 0; set->m != NULL && i < set->n; i++)
		message_free(set->m[i]);
	free(set->m);
	free(set->v);
	store_msgs_free(set->sm, set->n);
	memset(set, 0, sizeof(*set));
}

int
deadline_report_proxy(struct store *store, enum store_dir dir,
    const uint8_t incident[KAIRAN_ID_LEN], uint32_t upto, int64_t now_ms,
    struct deadline_proxy *out, char *err, size_t errlen)
{
	struct deadline_set set;

	memset(out, 0, sizeof(*out));
	if (deadline_load(&set, store, dir, incident, err, errlen) == -1)
		return -1;
	deadline_proxy(set.v, set.n, upto, now_ms, out);
	deadline_set_clear(&set);
	return 0;
}

void
deadline_final_print(FILE *fp, const char *prefix,
    const struct deadline_final *d)
{
	char t[JST_BUFLEN], u[JST_BUFLEN];

	switch (d->state) {
	case DEADLINE_FINAL_NONE:
		return;
	case DEADLINE_FINAL_DUE:
		fprintf(fp, "%s%s: due by %s (%s %s + 30日, 「1か月を目途」)\n",
		    prefix, LABEL_FINAL_REPORT, jst_rfc3339(d->due_ms, t),
		    label_phase(PH_CLOSED), jst_rfc3339(d->closed_ms, u));
		break;
	case DEADLINE_FINAL_OVERDUE:
		fprintf(fp, "%s%s: OVERDUE since %s (%s %s + 30日, "
		    "「1か月を目途」): send it with `final`\n", prefix,
		    LABEL_FINAL_REPORT, jst_rfc3339(d->due_ms, t),
		    label_phase(PH_CLOSED), jst_rfc3339(d->closed_ms, u));
		break;
	case DEADLINE_FINAL_DONE:
		fprintf(fp, "%s%s: sent %s\n", prefix, LABEL_FINAL_REPORT,
		    jst_rfc3339(d->final_ms, t));
		break;
	default:
		fatalx("%s: state %d", __func__, (int)d->state);
	}
}

void
deadline_proxy_print(FILE *fp, const char *prefix,
    const struct deadline_proxy *d)
{
	char note[DEADLINE_NOTE_LEN];

	if (d->state == DEADLINE_PROXY_NONE)
		return;
	fprintf(fp, "%s%s: %s\n", prefix, LABEL_PROXY_CHECK,
	    deadline_proxy_note(d, note, sizeof(note)));
}

json_t *
deadline_final_json(const struct deadline_final *d)
{
	json_t *o;

	if (d->state == DEADLINE_FINAL_NONE)
		return json_null();
	o = json_object();
	json_object_set_new(o, "state",
	    json_string(deadline_final_name(d->state)));
	json_object_set_new(o, "closed_at", jst_json(d->closed_ms));
	json_object_set_new(o, "due_at", jst_json(d->due_ms));
	json_object_set_new(o, "final_at", jst_json(d->final_ms));
	return o;
}

json_t *
deadline_proxy_json(const struct deadline_proxy *d)
{
	json_t *o;

	if (d->state == DEADLINE_PROXY_NONE)
		return json_null();
	o = json_object();
	json_object_set_new(o, "state",
	    json_string(deadline_proxy_name(d->state)));
	json_object_set_new(o, "label",
	    json_string(deadline_proxy_label(d->state)));
	json_object_set_new(o, "due_at", jst_json(d->due_ms));
	json_object_set_new(o, "base", json_string(d->discovered ?
	    "discovered_at" : "report"));
	json_object_set_new(o, "checked_at", jst_json(d->checked_ms));
	json_object_set_new(o, "checked_in", d->checked_in > 0 ?
	    json_integer(d->checked_in) : json_null());
	json_object_set_new(o, "late", json_boolean(d->late));
	return o;
}
