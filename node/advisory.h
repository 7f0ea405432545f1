/*
 * advisory: the advisory (注意喚起・情報提供・要請) as people write it
 * (JSON, UTF-8; node/ADVISORY.md has the format) and as the wire carries
 * it (Advisory). Used by `advise` (the file), `show` (JSON and text) and
 * `template --advisory`.
 *
 * JSON format (every key optional unless marked; unknown keys are errors):
 *   kind* ("advisory" 注意喚起 | "information" 情報提供 | "request" 要請),
 *   title*, source, severity ("low" | "medium" | "high" | "critical"),
 *   summary*, references ([CVE id or http(s) URL]), actions ([string]),
 *   due_at (RFC 3339; required, like actions, for a request), contact
 *   ({name, organization, phone, after_hours_phone, fax, email, hours}).
 */
#ifndef KAIRAN_NODE_ADVISORY_H
#define KAIRAN_NODE_ADVISORY_H

#include <stddef.h>

#include <jansson.h>

#include "kairan/message.h"

/*
 * advisory_from_file reads the file as report_from_file does (jsonfile.h)
 * and checks every rule of the protocol (message_validate), so that a bad
 * file is refused before anything is signed, with the field named
 * ("advisory.references[1]: "CVE-2024-12" is not a CVE id ...";
 * "advisory.due_at: a request (要請) says by when ...: missing").
 * Returns a heap Advisory (advisory_free) or NULL with err.
 */
Advisory	*advisory_from_file(const char *path, char *err, size_t errlen);
Advisory	*advisory_from_json(const json_t *obj, char *err, size_t errlen);
void		 advisory_free(Advisory *);	/* NULL is a no-op */
/* The advisory in the same format, every key present (due_at null if none). */
json_t		*advisory_to_json(const Advisory *);
/* The empty advisory of `kairan-node template --advisory`. */
json_t		*advisory_template(void);
/* The JSON names: "advisory"/"information"/"request"; "low".."critical" or NULL. */
const char	*advisory_kind_key(int kind);
const char	*advisory_severity_key(int severity);

#endif
