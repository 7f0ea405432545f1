/*
 * reportform: the 報告様式1 items added in issue 11, JSON <->
 * IncidentReport (see reportform.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kairan/jst.h"
#include "kairan/kairan.h"
#include "kairan/message.h"
#include "field.h"
#include "reportform.h"

static const char *const author_keys[] = { "name", "role", NULL };
static const char *const detection_keys[] = {
	"method", "by", "detail", NULL
};
static const char *const recovery_keys[] = {
	"measures", "status", "outlook", "cost_yen", NULL
};
static const char *const channel_keys[] = { "state", "at", "note", NULL };
static const char *const publication_keys[] = {
	"decision", "approved_by", NULL
};
/* Item 8's channels: JSON key, in the order of 報告様式1. */
static const char *const channel_names[] = {
	"press_release", "residents", "government", "agencies", NULL
};

static const struct field_enum methods[] = {
	{ "detected", KAIRAN__V1__DETECTION__METHOD__DETECTED },
	{ "found", KAIRAN__V1__DETECTION__METHOD__FOUND },
	{ "notified", KAIRAN__V1__DETECTION__METHOD__NOTIFIED },
	{ NULL, 0 }
}, channel_states[] = {
	{ "undecided", KAIRAN__V1__EXTERNAL_CHANNEL__STATE__UNDECIDED },
	{ "planned", KAIRAN__V1__EXTERNAL_CHANNEL__STATE__PLANNED },
	{ "done", KAIRAN__V1__EXTERNAL_CHANNEL__STATE__DONE },
	{ "not_needed", KAIRAN__V1__EXTERNAL_CHANNEL__STATE__NOT_NEEDED },
	{ NULL, 0 }
}, decisions[] = {
	{ "undecided", KAIRAN__V1__PUBLICATION__DECISION__UNDECIDED },
	{ "publish", KAIRAN__V1__PUBLICATION__DECISION__PUBLISH },
	{ "no_publish", KAIRAN__V1__PUBLICATION__DECISION__NO_PUBLISH },
	{ NULL, 0 }
};

/*
 * The object at obj[key] (absent or null: *out NULL), its keys checked.
 * 1 if there is one, 0 if not, -1 with err.
 */
static int
sub_object(const json_t *obj, const char *key, const char *const *keys,
    const json_t **out, char *err, size_t errlen)
{
	char where[64], g[FIELD_GOT_LEN];
	const json_t *v;

	*out = NULL;
	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return 0;
	snprintf(where, sizeof(where), "report.%s", key);
	if (!json_is_object(v)) {
		field_err(err, errlen, "%s: must be an object, got %s", where,
		    field_got(v, g, sizeof(g)));
		return -1;
	}
	if (field_check_keys(v, keys, where, err, errlen) == -1)
		return -1;
	*out = v;
	return 1;
}

/* 差出人 {name, role}; one with neither is none. */
static int
parse_author(const json_t *obj, IncidentReport *r, char *err, size_t errlen)
{
	static const char where[] = "report.author";
	Kairan__V1__Author *a;
	const json_t *v;
	int n;

	if ((n = sub_object(obj, "author", author_keys, &v, err, errlen)) <= 0)
		return n;
	if ((a = malloc(sizeof(*a))) == NULL) {
		field_err(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__author__init(a);
	r->author = a;
	if (field_opt_string(v, "name", where, KAIRAN_MAX_SHORT, &a->name, err,
	    errlen) == -1 ||
	    field_opt_string(v, "role", where, KAIRAN_MAX_SHORT, &a->role, err,
	    errlen) == -1)
		return -1;
	if (a->name[0] == '\0' && a->role[0] == '\0') {
		kairan__v1__author__free_unpacked(a, NULL);
		r->author = NULL;
	}
	return 0;
}

/* 検知・発見・通報 {method, by, detail}. */
static int
parse_detection(const json_t *obj, IncidentReport *r, char *err,
    size_t errlen)
{
	static const char where[] = "report.detection";
	Kairan__V1__Detection *d;
	const json_t *v;
	int n, e = 0;

	if ((n = sub_object(obj, "detection", detection_keys, &v, err,
	    errlen)) <= 0)
		return n;
	if ((d = malloc(sizeof(*d))) == NULL) {
		field_err(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__detection__init(d);
	r->detection = d;
	if (field_get_enum(v, where, "method", 0, methods, &e, err,
	    errlen) == -1)
		return -1;
	d->method = e;
	if (field_opt_string(v, "by", where, KAIRAN_MAX_SHORT, &d->by, err,
	    errlen) == -1 ||
	    field_opt_string(v, "detail", where, KAIRAN_MAX_TEXT, &d->detail,
	    err, errlen) == -1)
		return -1;
	if (d->method == 0 && d->by[0] == '\0' && d->detail[0] == '\0') {
		kairan__v1__detection__free_unpacked(d, NULL);
		r->detection = NULL;
	}
	return 0;
}

/* 復旧措置 {measures, status, outlook, cost_yen}. */
static int
parse_recovery(const json_t *obj, IncidentReport *r, char *err,
    size_t errlen)
{
	static const char where[] = "report.recovery";
	char g[FIELD_GOT_LEN];
	Kairan__V1__Recovery *k;
	const json_t *v, *c;
	int n;

	if ((n = sub_object(obj, "recovery", recovery_keys, &v, err,
	    errlen)) <= 0)
		return n;
	if ((k = malloc(sizeof(*k))) == NULL) {
		field_err(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__recovery__init(k);
	r->recovery = k;
	if (field_opt_string(v, "measures", where, KAIRAN_MAX_TEXT,
	    &k->measures, err, errlen) == -1 ||
	    field_opt_string(v, "status", where, KAIRAN_MAX_TEXT, &k->status,
	    err, errlen) == -1 ||
	    field_opt_string(v, "outlook", where, KAIRAN_MAX_TEXT, &k->outlook,
	    err, errlen) == -1)
		return -1;
	if ((c = json_object_get(v, "cost_yen")) != NULL && !json_is_null(c)) {
		if (!json_is_integer(c) || json_integer_value(c) < 0) {
			field_err(err, errlen, "%s.cost_yen: must be an "
			    "integer number of yen >= 0, got %s", where,
			    field_got(c, g, sizeof(g)));
			return -1;
		}
		k->cost_yen = (uint64_t)json_integer_value(c);
		k->cost_known = 1;
	}
	if (k->measures[0] == '\0' && k->status[0] == '\0' &&
	    k->outlook[0] == '\0' && !k->cost_known) {
		kairan__v1__recovery__free_unpacked(k, NULL);
		r->recovery = NULL;
	}
	return 0;
}

/* One channel of item 8 {state, at, note} into *dst. */
static int
parse_channel(const json_t *obj, const char *key,
    Kairan__V1__ExternalChannel **dst, char *err, size_t errlen)
{
	char where[64];
	Kairan__V1__ExternalChannel *c;
	const json_t *v, *st;
	int n, e = 0;

	if ((n = sub_object(obj, key, channel_keys, &v, err, errlen)) <= 0)
		return n;
	snprintf(where, sizeof(where), "report.%s", key);
	if ((c = malloc(sizeof(*c))) == NULL) {
		field_err(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__external_channel__init(c);
	*dst = c;
	if (field_get_enum(v, where, "state", 0, channel_states, &e, err,
	    errlen) == -1)
		return -1;
	c->state = e;
	if (field_opt_time(v, where, "at", &c->at_ms, err, errlen) == -1 ||
	    field_opt_string(v, "note", where, KAIRAN_MAX_TEXT, &c->note, err,
	    errlen) == -1)
		return -1;
	/* The template's channel (state null, nothing else) is no channel. */
	st = json_object_get(v, "state");
	if ((st == NULL || json_is_null(st)) && c->at_ms == 0 &&
	    c->note[0] == '\0') {
		kairan__v1__external_channel__free_unpacked(c, NULL);
		*dst = NULL;
	}
	return 0;
}

/* 公表の有無 {decision, approved_by}. */
static int
parse_publication(const json_t *obj, IncidentReport *r, char *err,
    size_t errlen)
{
	static const char where[] = "report.publication";
	Kairan__V1__Publication *p;
	const json_t *v, *d;
	int n, e = 0;

	if ((n = sub_object(obj, "publication", publication_keys, &v, err,
	    errlen)) <= 0)
		return n;
	if ((p = malloc(sizeof(*p))) == NULL) {
		field_err(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__publication__init(p);
	r->publication = p;
	if (field_get_enum(v, where, "decision", 0, decisions, &e, err,
	    errlen) == -1)
		return -1;
	p->decision = e;
	if (field_opt_string(v, "approved_by", where, KAIRAN_MAX_SHORT,
	    &p->approved_by, err, errlen) == -1)
		return -1;
	d = json_object_get(v, "decision");
	if ((d == NULL || json_is_null(d)) && p->approved_by[0] == '\0') {
		kairan__v1__publication__free_unpacked(p, NULL);
		r->publication = NULL;
	}
	return 0;
}

/* See reportform.h. */
int
reportform_from_json(const json_t *obj, IncidentReport *r, char *err,
    size_t errlen)
{
	static const char where[] = "report";

	if (parse_author(obj, r, err, errlen) == -1 ||
	    parse_detection(obj, r, err, errlen) == -1 ||
	    field_opt_string(obj, "service_overview", where, KAIRAN_MAX_TEXT,
	    &r->service_overview, err, errlen) == -1 ||
	    field_opt_string(obj, "service_impact", where, KAIRAN_MAX_TEXT,
	    &r->service_impact, err, errlen) == -1 ||
	    field_opt_string(obj, "system_overview", where, KAIRAN_MAX_TEXT,
	    &r->system_overview, err, errlen) == -1 ||
	    field_opt_string(obj, "suspected_act", where, KAIRAN_MAX_TEXT,
	    &r->suspected_act, err, errlen) == -1 ||
	    field_opt_string(obj, "damage_scale", where, KAIRAN_MAX_TEXT,
	    &r->damage_scale, err, errlen) == -1 ||
	    field_opt_string(obj, "leaked_info", where, KAIRAN_MAX_TEXT,
	    &r->leaked_info, err, errlen) == -1 ||
	    field_opt_string(obj, "initial_response", where, KAIRAN_MAX_TEXT,
	    &r->initial_response, err, errlen) == -1 ||
	    parse_recovery(obj, r, err, errlen) == -1 ||
	    parse_channel(obj, "press_release", &r->press_release, err,
	    errlen) == -1 ||
	    parse_channel(obj, "residents", &r->residents, err, errlen) ==
	    -1 ||
	    parse_channel(obj, "government", &r->government, err, errlen) ==
	    -1 ||
	    parse_channel(obj, "agencies", &r->agencies, err, errlen) == -1 ||
	    parse_publication(obj, r, err, errlen) == -1)
		return -1;
	return 0;
}

static const Kairan__V1__ExternalChannel *
channel_of(const IncidentReport *r, size_t i)
{
	switch (i) {
	case 0:
		return r->press_release;
	case 1:
		return r->residents;
	case 2:
		return r->government;
	default:
		return r->agencies;
	}
}

/*
 * See reportform.h: the keys of the report file; a sub-object an older
 * report lacks is null.
 */
void
reportform_to_json(json_t *o, const IncidentReport *r)
{
	const Kairan__V1__ExternalChannel *ch;
	json_t *x;
	size_t i;

	if (r->author != NULL) {
		x = json_object();
		json_object_set_new(x, "name", json_string(r->author->name));
		json_object_set_new(x, "role", json_string(r->author->role));
		json_object_set_new(o, "author", x);
	} else
		json_object_set_new(o, "author", json_null());
	if (r->detection != NULL) {
		x = json_object();
		json_object_set_new(x, "method", field_enum_json(methods,
		    r->detection->method));
		json_object_set_new(x, "by", json_string(r->detection->by));
		json_object_set_new(x, "detail",
		    json_string(r->detection->detail));
		json_object_set_new(o, "detection", x);
	} else
		json_object_set_new(o, "detection", json_null());
	json_object_set_new(o, "service_overview",
	    json_string(r->service_overview));
	json_object_set_new(o, "service_impact",
	    json_string(r->service_impact));
	json_object_set_new(o, "system_overview",
	    json_string(r->system_overview));
	json_object_set_new(o, "suspected_act", json_string(r->suspected_act));
	json_object_set_new(o, "damage_scale", json_string(r->damage_scale));
	json_object_set_new(o, "leaked_info", json_string(r->leaked_info));
	json_object_set_new(o, "initial_response",
	    json_string(r->initial_response));
	if (r->recovery != NULL) {
		x = json_object();
		json_object_set_new(x, "measures",
		    json_string(r->recovery->measures));
		json_object_set_new(x, "status",
		    json_string(r->recovery->status));
		json_object_set_new(x, "outlook",
		    json_string(r->recovery->outlook));
		json_object_set_new(x, "cost_yen", r->recovery->cost_known ?
		    json_integer((json_int_t)r->recovery->cost_yen) :
		    json_null());
		json_object_set_new(o, "recovery", x);
	} else
		json_object_set_new(o, "recovery", json_null());
	for (i = 0; channel_names[i] != NULL; i++) {
		if ((ch = channel_of(r, i)) == NULL) {
			json_object_set_new(o, channel_names[i], json_null());
			continue;
		}
		x = json_object();
		json_object_set_new(x, "state", field_enum_json(channel_states,
		    ch->state));
		json_object_set_new(x, "at", jst_json(ch->at_ms));
		json_object_set_new(x, "note", json_string(ch->note));
		json_object_set_new(o, channel_names[i], x);
	}
	if (r->publication != NULL) {
		x = json_object();
		json_object_set_new(x, "decision", field_enum_json(decisions,
		    r->publication->decision));
		json_object_set_new(x, "approved_by",
		    json_string(r->publication->approved_by));
		json_object_set_new(o, "publication", x);
	} else
		json_object_set_new(o, "publication", json_null());
}

/* See reportform.h. */
void
reportform_template(json_t *o)
{
	json_t *c;
	size_t i;

	c = json_object();
	json_object_set_new(c, "name", json_string(""));
	json_object_set_new(c, "role", json_string(""));
	json_object_set_new(o, "author", c);
	c = json_object();
	json_object_set_new(c, "method", json_null());
	json_object_set_new(c, "by", json_string(""));
	json_object_set_new(c, "detail", json_string(""));
	json_object_set_new(o, "detection", c);
	json_object_set_new(o, "service_overview", json_string(""));
	json_object_set_new(o, "service_impact", json_string(""));
	json_object_set_new(o, "system_overview", json_string(""));
	json_object_set_new(o, "suspected_act", json_string(""));
	json_object_set_new(o, "damage_scale", json_string(""));
	json_object_set_new(o, "leaked_info", json_string(""));
	json_object_set_new(o, "initial_response", json_string(""));
	c = json_object();
	json_object_set_new(c, "measures", json_string(""));
	json_object_set_new(c, "status", json_string(""));
	json_object_set_new(c, "outlook", json_string(""));
	json_object_set_new(c, "cost_yen", json_null());
	json_object_set_new(o, "recovery", c);
	for (i = 0; channel_names[i] != NULL; i++) {
		c = json_object();
		json_object_set_new(c, "state", json_null());
		json_object_set_new(c, "at", json_null());
		json_object_set_new(c, "note", json_string(""));
		json_object_set_new(o, channel_names[i], c);
	}
	c = json_object();
	json_object_set_new(c, "decision", json_null());
	json_object_set_new(c, "approved_by", json_string(""));
	json_object_set_new(o, "publication", c);
}
