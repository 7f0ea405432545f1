/*
 * advisory: an advisory (注意喚起・情報提供・要請, ADVISORY.md),
 * JSON <-> Advisory (see advisory.h). Read as strictly as a report, with the
 * same field readers (field.h), then checked against the protocol's rules.
 */
#include <stdlib.h>

#include "kairan/jst.h"
#include "kairan/kairan.h"
#include "kairan/message.h"
#include "advisory.h"
#include "contact.h"
#include "field.h"
#include "jsonfile.h"

static const char *const advisory_keys[] = {
	"kind", "title", "source", "severity", "summary", "references",
	"actions", "due_at", "contact", NULL
};

static const struct field_enum advisory_kinds[] = {
	{ "advisory", KAIRAN__V1__ADVISORY__KIND__ADVISORY },
	{ "information", KAIRAN__V1__ADVISORY__KIND__INFORMATION },
	{ "request", KAIRAN__V1__ADVISORY__KIND__REQUEST },
	{ NULL, 0 }
}, severities[] = {
	{ "low", KAIRAN__V1__ADVISORY__SEVERITY__LOW },
	{ "medium", KAIRAN__V1__ADVISORY__SEVERITY__MEDIUM },
	{ "high", KAIRAN__V1__ADVISORY__SEVERITY__HIGH },
	{ "critical", KAIRAN__V1__ADVISORY__SEVERITY__CRITICAL },
	{ NULL, 0 }
};

Advisory *
advisory_from_json(const json_t *obj, char *err, size_t errlen)
{
	static const char where[] = "advisory";
	Advisory *a;
	json_t *v;
	char e[512], *t = NULL;
	int k;

	if (!json_is_object(obj)) {
		field_err(err, errlen, "advisory: must be a JSON object, got "
		    "%s", field_type_name(obj));
		return NULL;
	}
	if (field_check_keys(obj, advisory_keys, where, err, errlen) == -1)
		return NULL;
	if ((a = malloc(sizeof(*a))) == NULL) {
		field_err(err, errlen, "advisory: out of memory");
		return NULL;
	}
	kairan__v1__advisory__init(a);
	k = 0;
	if (field_get_enum(obj, where, "kind", 1, advisory_kinds, &k, err,
	    errlen) == -1)
		goto fail;
	a->kind = k;
	k = 0;
	if (field_get_enum(obj, where, "severity", 0, severities, &k, err,
	    errlen) == -1)
		goto fail;
	a->severity = k;
	if ((v = json_object_get(obj, "title")) == NULL || json_is_null(v)) {
		field_err(err, errlen, "advisory.title: missing");
		goto fail;
	}
	if (field_string(v, "advisory.title", KAIRAN_MAX_SHORT, 1, &t, err,
	    errlen) == -1)
		goto fail;
	a->title = t;
	if ((v = json_object_get(obj, "summary")) == NULL || json_is_null(v)) {
		field_err(err, errlen, "advisory.summary: missing");
		goto fail;
	}
	if (field_string(v, "advisory.summary", KAIRAN_MAX_TEXT, 1, &t, err,
	    errlen) == -1)
		goto fail;
	a->summary = t;
	if (field_opt_string(obj, "source", where, KAIRAN_MAX_SHORT, &a->source,
	    err, errlen) == -1 ||
	    field_list(obj, where, "references", MESSAGE_MAX_URL,
	    &a->references, &a->n_references, err, errlen) == -1 ||
	    field_list(obj, where, "actions", KAIRAN_MAX_SHORT, &a->actions,
	    &a->n_actions, err, errlen) == -1 ||
	    field_opt_time(obj, where, "due_at", &a->due_at_ms, err,
	    errlen) == -1 ||
	    contact_from_json(obj, "advisory.contact", &a->contact, err,
	    errlen) == -1)
		goto fail;
	/* 004 「緊急措置の実施を要請する」: what, and by when */
	if (a->kind == KAIRAN__V1__ADVISORY__KIND__REQUEST &&
	    a->due_at_ms == 0) {
		field_err(err, errlen, "advisory.due_at: a request (要請) says "
		    "by when the measures are due: missing");
		goto fail;
	}
	if (a->kind == KAIRAN__V1__ADVISORY__KIND__REQUEST &&
	    a->n_actions == 0) {
		field_err(err, errlen, "advisory.actions: a request (要請) "
		    "names the measures asked for: empty");
		goto fail;
	}
	/* the rest of the protocol's rules (references, characters) */
	if (message_validate_advisory(a, e, sizeof(e)) == -1) {
		field_err(err, errlen, "%s", e);
		goto fail;
	}
	return a;
fail:
	advisory_free(a);
	return NULL;
}

Advisory *
advisory_from_file(const char *path, char *err, size_t errlen)
{
	Advisory *a;
	json_t *root;

	if ((root = jsonfile_load(path, err, errlen)) == NULL)
		return NULL;
	a = advisory_from_json(root, err, errlen);
	json_decref(root);
	return a;
}

void
advisory_free(Advisory *a)
{
	if (a != NULL)
		kairan__v1__advisory__free_unpacked(a, NULL);
}

json_t *
advisory_to_json(const Advisory *a)
{
	json_t *o;

	if (a == NULL)
		return NULL;
	o = json_object();
	json_object_set_new(o, "kind",
	    field_enum_json(advisory_kinds, a->kind));
	json_object_set_new(o, "title", json_string(a->title));
	json_object_set_new(o, "source", json_string(a->source));
	json_object_set_new(o, "severity",
	    field_enum_json(severities, a->severity));
	json_object_set_new(o, "summary", json_string(a->summary));
	json_object_set_new(o, "references", field_list_json(a->references,
	    a->n_references));
	json_object_set_new(o, "actions", field_list_json(a->actions,
	    a->n_actions));
	json_object_set_new(o, "due_at", jst_json(a->due_at_ms));
	json_object_set_new(o, "contact", contact_to_json(a->contact));
	return o;
}

json_t *
advisory_template(void)
{
	json_t *o;

	o = json_object();
	json_object_set_new(o, "kind", json_string("advisory"));
	json_object_set_new(o, "title", json_string(""));
	json_object_set_new(o, "source", json_string(""));
	json_object_set_new(o, "severity", json_null());
	json_object_set_new(o, "summary", json_string(""));
	json_object_set_new(o, "references", json_array());
	json_object_set_new(o, "actions", json_array());
	json_object_set_new(o, "due_at", json_null());
	json_object_set_new(o, "contact", contact_template());
	return o;
}

const char *
advisory_kind_key(int kind)
{
	const char *s = field_enum_name(advisory_kinds, kind);

	return s != NULL ? s : "unknown";
}

const char *
advisory_severity_key(int severity)
{
	return field_enum_name(severities, severity);
}
