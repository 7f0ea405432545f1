/*
 * contact: the point of contact of a report or an advisory, JSON <->
 * Contact (see contact.h).
 */
#include <stdlib.h>

#include "kairan/kairan.h"
#include "kairan/message.h"
#include "contact.h"
#include "field.h"

typedef Kairan__V1__Contact	Contact;

static const char *const contact_keys[] = {
	"name", "organization", "phone", "after_hours_phone", "fax", "email",
	"hours", NULL
};

/* See contact.h. */
int
contact_from_json(const json_t *obj, const char *where, Contact **dst,
    char *err, size_t errlen)
{
	char g[FIELD_GOT_LEN];
	Contact *c;
	json_t *v;

	if ((v = json_object_get(obj, "contact")) == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		field_err(err, errlen, "%s: must be an object, got %s", where,
		    field_got(v, g, sizeof(g)));
		return -1;
	}
	if (field_check_keys(v, contact_keys, where, err, errlen) == -1)
		return -1;
	if ((c = malloc(sizeof(*c))) == NULL) {
		field_err(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__contact__init(c);
	*dst = c;
	if (field_opt_string(v, "name", where, KAIRAN_MAX_SHORT, &c->name,
	    err, errlen) == -1 ||
	    field_opt_string(v, "organization", where, KAIRAN_MAX_SHORT,
	    &c->organization, err, errlen) == -1 ||
	    field_opt_string(v, "phone", where, KAIRAN_MAX_SHORT, &c->phone,
	    err, errlen) == -1 ||
	    field_opt_string(v, "after_hours_phone", where, KAIRAN_MAX_SHORT,
	    &c->after_hours_phone, err, errlen) == -1 ||
	    field_opt_string(v, "fax", where, KAIRAN_MAX_SHORT, &c->fax, err,
	    errlen) == -1 ||
	    field_opt_string(v, "email", where, KAIRAN_MAX_SHORT, &c->email,
	    err, errlen) == -1 ||
	    field_opt_string(v, "hours", where, KAIRAN_MAX_SHORT, &c->hours,
	    err, errlen) == -1)
		return -1;
	/*
	 * The template's contact with nothing filled in is no contact: the
	 * form then shows the sender's point of contact from the directory.
	 */
	if (c->name[0] == '\0' && c->organization[0] == '\0' &&
	    c->phone[0] == '\0' && c->after_hours_phone[0] == '\0' &&
	    c->fax[0] == '\0' && c->email[0] == '\0' && c->hours[0] == '\0') {
		kairan__v1__contact__free_unpacked(c, NULL);
		*dst = NULL;
	}
	return 0;
}

json_t *
contact_to_json(const Contact *k)
{
	json_t *c;

	if (k == NULL)
		return json_null();
	c = json_object();
	json_object_set_new(c, "name", json_string(k->name));
	json_object_set_new(c, "organization", json_string(k->organization));
	json_object_set_new(c, "phone", json_string(k->phone));
	json_object_set_new(c, "after_hours_phone",
	    json_string(k->after_hours_phone));
	json_object_set_new(c, "fax", json_string(k->fax));
	json_object_set_new(c, "email", json_string(k->email));
	json_object_set_new(c, "hours", json_string(k->hours));
	return c;
}

json_t *
contact_template(void)
{
	json_t *c;
	size_t i;

	c = json_object();
	for (i = 0; contact_keys[i] != NULL; i++)
		json_object_set_new(c, contact_keys[i], json_string(""));
	return c;
}
