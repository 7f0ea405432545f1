/*
 * contact: the point of contact (連絡先) a report or an advisory may carry,
 * {name, organization, phone, after_hours_phone, fax, email, hours}, as
 * people write it (JSON) and as the wire carries it (Contact).
 */
#ifndef KAIRAN_NODE_CONTACT_H
#define KAIRAN_NODE_CONTACT_H

#include <stddef.h>

#include <jansson.h>

#include "kairan/message.h"

/*
 * obj.contact into *dst (a heap Contact, freed with the message that
 * holds it); absent, null or every key empty (the template's): *dst
 * NULL, so that the form shows the directory's point of contact. where
 * names the object in errors ("report.contact", "advisory.contact").
 * 0 or -1 with err; on -1 *dst may hold a partly read Contact.
 */
int	 contact_from_json(const json_t *obj, const char *where,
	    Kairan__V1__Contact **dst, char *err, size_t errlen);
/* k as a new JSON object, every key present; null if k is NULL. */
json_t	*contact_to_json(const Kairan__V1__Contact *k);
/* The template's contact: every key, each "". New reference. */
json_t	*contact_template(void);

#endif
