/*
 * report: the incident report as people write it (JSON) and as the wire
 * carries it (IncidentReport). See report.h for the format.
 *
 * Reading is strict on purpose: a report goes to the prefecture and the
 * ministry in the middle of an incident, so a typo in a key or a level of
 * "high" must be refused at once with the field named, not sent half
 * understood. Every string ends up malloc'd inside the IncidentReport (or is
 * protobuf-c's empty default), so the protobuf-c free_unpacked walker frees
 * any partly built report on the error path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/jst.h"
#include "kairan/kairan.h"
#include "kairan/message.h"
#include "attachment.h"
#include "contact.h"
#include "field.h"
#include "jsonfile.h"
#include "report.h"
#include "reportform.h"

static const char *const top_keys[] = {
	"title", "category", "subtypes", "level", "occurred_at",
	"discovered_at", "location", "summary", "affected_services",
	"affected_systems", "cause", "damage", "records_affected",
	"is_incident", "response", "prevention", "external_response",
	"other", "contact", "attachments", "author", "detection",
	"service_overview", "service_impact", "system_overview",
	"suspected_act", "damage_scale", "leaked_info", "initial_response",
	"recovery", "press_release", "residents", "government", "agencies",
	"publication",
	"proxy_logs_checked_at",	/* node/README.md "Deadlines" */
	NULL
};

static const struct field_enum categories[] = {
	{ "system_outage", KAIRAN__V1__INCIDENT_REPORT__CATEGORY__SYSTEM_OUTAGE },
	{ "cyber_attack", KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK },
	{ "theft_loss", KAIRAN__V1__INCIDENT_REPORT__CATEGORY__THEFT_LOSS },
	{ "other", KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER },
	{ NULL, 0 }
}, determinations[] = {
	{ "undetermined",
	    KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__UNDETERMINED },
	{ "incident", KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__INCIDENT },
	{ "not_incident",
	    KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__NOT_INCIDENT },
	{ NULL, 0 }
};

IncidentReport *
report_from_json(const json_t *obj, const char *base_dir, char *err,
    size_t errlen)
{
	static const char where[] = "report";
	IncidentReport *r = NULL;
	char g[FIELD_GOT_LEN], *summary = NULL;
	json_t *v;
	int e;

	if (!json_is_object(obj)) {
		field_err(err, errlen, "report: must be a JSON object, got %s",
		    field_type_name(obj));
		return NULL;
	}
	if (field_check_keys(obj, top_keys, where, err, errlen) == -1)
		return NULL;
	if ((r = malloc(sizeof(*r))) == NULL) {
		field_err(err, errlen, "report: out of memory");
		return NULL;
	}
	kairan__v1__incident_report__init(r);

	if (field_opt_string(obj, "title", where, KAIRAN_MAX_SHORT, &r->title,
	    err, errlen) == -1)
		goto fail;
	e = 0;
	if (field_get_enum(obj, where, "category", 1, categories, &e, err,
	    errlen) == -1)
		goto fail;
	r->category = e;
	if (field_list(obj, where, "subtypes", KAIRAN_MAX_SHORT, &r->subtypes,
	    &r->n_subtypes, err, errlen) == -1)
		goto fail;
	if ((v = json_object_get(obj, "level")) == NULL || json_is_null(v)) {
		field_err(err, errlen, "report.level: missing");
		goto fail;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 3) {
		field_err(err, errlen, "report.level: must be an integer 0..3, "
		    "got %s", field_got(v, g, sizeof(g)));
		goto fail;
	}
	r->level = (uint32_t)json_integer_value(v);
	if (field_opt_time(obj, where, "occurred_at", &r->occurred_at_ms, err,
	    errlen) == -1 ||
	    field_opt_time(obj, where, "discovered_at", &r->discovered_at_ms,
	    err, errlen) == -1 ||
	    field_opt_time(obj, where, "proxy_logs_checked_at",
	    &r->proxy_logs_checked_at_ms, err, errlen) == -1)
		goto fail;
	if (field_opt_string(obj, "location", where, KAIRAN_MAX_TEXT,
	    &r->location, err, errlen) == -1)
		goto fail;
	if ((v = json_object_get(obj, "summary")) == NULL || json_is_null(v)) {
		field_err(err, errlen, "report.summary: missing");
		goto fail;
	}
	if (field_string(v, "report.summary", KAIRAN_MAX_TEXT, 1, &summary,
	    err, errlen) == -1)
		goto fail;
	r->summary = summary;
	if (field_list(obj, where, "affected_services", KAIRAN_MAX_SHORT,
	    &r->affected_services, &r->n_affected_services, err,
	    errlen) == -1 ||
	    field_list(obj, where, "affected_systems", KAIRAN_MAX_SHORT,
	    &r->affected_systems, &r->n_affected_systems, err,
	    errlen) == -1)
		goto fail;
	if (field_opt_string(obj, "cause", where, KAIRAN_MAX_TEXT, &r->cause,
	    err, errlen) == -1 ||
	    field_opt_string(obj, "damage", where, KAIRAN_MAX_TEXT, &r->damage,
	    err, errlen) == -1)
		goto fail;
	if ((v = json_object_get(obj, "records_affected")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			field_err(err, errlen, "report.records_affected: must "
			    "be an integer >= 0, got %s",
			    field_got(v, g, sizeof(g)));
			goto fail;
		}
		r->records_affected = (uint64_t)json_integer_value(v);
	}
	e = KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__UNDETERMINED;
	if (field_get_enum(obj, where, "is_incident", 0, determinations, &e,
	    err, errlen) == -1)
		goto fail;
	r->is_incident = e;
	if (field_opt_string(obj, "response", where, KAIRAN_MAX_TEXT,
	    &r->response, err, errlen) == -1 ||
	    field_opt_string(obj, "prevention", where, KAIRAN_MAX_TEXT,
	    &r->prevention, err, errlen) == -1 ||
	    field_opt_string(obj, "external_response", where, KAIRAN_MAX_TEXT,
	    &r->external_response, err, errlen) == -1 ||
	    field_opt_string(obj, "other", where, KAIRAN_MAX_TEXT, &r->other,
	    err, errlen) == -1)
		goto fail;
	if (contact_from_json(obj, "report.contact", &r->contact, err,
	    errlen) == -1)
		goto fail;
	if (reportform_from_json(obj, r, err, errlen) == -1)
		goto fail;
	if (attachment_list_from_json(obj, base_dir, r, err, errlen) == -1)
		goto fail;
	return r;
fail:
	report_free(r);
	return NULL;
}

IncidentReport *
report_from_file(const char *path, char *err, size_t errlen)
{
	IncidentReport *r;
	json_t *root;
	char *dir, *slash;

	if ((root = jsonfile_load(path, err, errlen)) == NULL)
		return NULL;
	if ((dir = strdup(path)) == NULL) {
		json_decref(root);
		field_err(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = NULL;		/* relative to the cwd */
	} else if (slash == dir)
		slash[1] = '\0';	/* "/x.json": the root */
	else
		*slash = '\0';
	r = report_from_json(root, dir, err, errlen);
	free(dir);
	json_decref(root);
	return r;
}

void
report_free(IncidentReport *r)
{
	if (r == NULL)
		return;
	kairan__v1__incident_report__free_unpacked(r, NULL);
}

json_t *
report_to_json(const IncidentReport *r)
{
	json_t *o;

	if (r == NULL || (o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "title", json_string(r->title));
	json_object_set_new(o, "category",
	    field_enum_json(categories, r->category));
	json_object_set_new(o, "subtypes", field_list_json(r->subtypes,
	    r->n_subtypes));
	json_object_set_new(o, "level", json_integer(r->level));
	json_object_set_new(o, "occurred_at", jst_json(r->occurred_at_ms));
	json_object_set_new(o, "discovered_at",
	    jst_json(r->discovered_at_ms));
	json_object_set_new(o, "location", json_string(r->location));
	json_object_set_new(o, "summary", json_string(r->summary));
	json_object_set_new(o, "affected_services",
	    field_list_json(r->affected_services, r->n_affected_services));
	json_object_set_new(o, "affected_systems",
	    field_list_json(r->affected_systems, r->n_affected_systems));
	json_object_set_new(o, "cause", json_string(r->cause));
	json_object_set_new(o, "damage", json_string(r->damage));
	json_object_set_new(o, "records_affected",
	    json_integer((json_int_t)r->records_affected));
	json_object_set_new(o, "is_incident",
	    field_enum_json(determinations, r->is_incident));
	json_object_set_new(o, "response", json_string(r->response));
	json_object_set_new(o, "prevention", json_string(r->prevention));
	json_object_set_new(o, "external_response",
	    json_string(r->external_response));
	json_object_set_new(o, "other", json_string(r->other));
	json_object_set_new(o, "contact", contact_to_json(r->contact));
	reportform_to_json(o, r);
	json_object_set_new(o, "attachments", attachment_list_to_json(r));
	json_object_set_new(o, "proxy_logs_checked_at",
	    jst_json(r->proxy_logs_checked_at_ms));
	return o;
}

json_t *
report_template(void)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "title", json_string(""));
	json_object_set_new(o, "category", json_string("other"));
	json_object_set_new(o, "subtypes", json_array());
	json_object_set_new(o, "level", json_null());
	json_object_set_new(o, "occurred_at", json_null());
	json_object_set_new(o, "discovered_at", json_null());
	json_object_set_new(o, "location", json_string(""));
	json_object_set_new(o, "summary", json_string(""));
	json_object_set_new(o, "affected_services", json_array());
	json_object_set_new(o, "affected_systems", json_array());
	json_object_set_new(o, "cause", json_string(""));
	json_object_set_new(o, "damage", json_string(""));
	json_object_set_new(o, "records_affected", json_null());
	json_object_set_new(o, "is_incident", json_string("undetermined"));
	json_object_set_new(o, "response", json_string(""));
	json_object_set_new(o, "prevention", json_string(""));
	json_object_set_new(o, "external_response", json_string(""));
	json_object_set_new(o, "other", json_string(""));
	json_object_set_new(o, "contact", contact_template());
	reportform_template(o);
	json_object_set_new(o, "attachments", json_array());
	json_object_set_new(o, "proxy_logs_checked_at", json_null());
	return o;
}

/* See report.h. */
size_t
report_triage_missing(const IncidentReport *r, char *buf, size_t len)
{
	struct {
		int		 missing;
		const char	*item;
	} v[16];
	size_t i, n = 0, k = 0, off = 0;
	int leak;

	if (len > 0)
		buf[0] = '\0';
	if (r == NULL)
		return 0;
#define MISSING(cond, what) do {					\
	v[k].missing = (cond);						\
	v[k].item = (what);						\
	k++;								\
} while (0)
#define EMPTY(s)	((s) == NULL || (s)[0] == '\0')
	MISSING(r->occurred_at_ms <= 0, "1(2) 発生日時");
	MISSING(EMPTY(r->location), "1(3) 発生場所");
	MISSING(EMPTY(r->summary), "1(4) 発生した事案の概要");
	MISSING(EMPTY(r->service_overview), "2(1) サービスの概要");
	MISSING(EMPTY(r->service_impact), "2(2) サービスへの影響");
	MISSING(EMPTY(r->system_overview), "2(3) システムの概要");
	MISSING(EMPTY(r->cause), "3(1) 原因");
	MISSING(EMPTY(r->suspected_act), "3(2) 原因として想定される行為");
	MISSING(EMPTY(r->damage), "4(1) 被害状況・影響範囲");
	MISSING(EMPTY(r->damage_scale), "4(2) 損害規模");
	/* 「情報漏えいの場合は」: only asked of a theft or loss, or a count. */
	leak = r->category == KAIRAN__V1__INCIDENT_REPORT__CATEGORY__THEFT_LOSS ||
	    r->records_affected > 0;
	MISSING(leak && EMPTY(r->leaked_info), "4(3) 漏えいした情報の概要");
	MISSING(leak && r->records_affected == 0, "4(3) 漏えい件数");
	MISSING(r->is_incident ==
	    KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__UNDETERMINED,
	    "5 インシデントに該当するか否かの判断結果");
#undef EMPTY
#undef MISSING
	for (i = 0; i < k; i++) {
		if (!v[i].missing)
			continue;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    n > 0 ? "、" : "", v[i].item);
		n++;
	}
	return n;
}
