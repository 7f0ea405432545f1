/*
 * attachment: the files a report carries (添付), at most KAIRAN_MAX_LIST of
 * at most 256 KiB each, named in the report file by a path (relative to
 * the file) or given inline in base64, and signed with their SHA-256.
 */
#ifndef KAIRAN_NODE_ATTACHMENT_H
#define KAIRAN_NODE_ATTACHMENT_H

#include <stddef.h>

#include <jansson.h>

#include "kairan/message.h"

/*
 * obj.attachments ([{name*, media_type*, path* | data_base64*}]) into
 * r->attachments, each file read (path relative to base_dir unless
 * absolute; base_dir NULL: the cwd) and its SHA-256 computed. Absent,
 * null or []: none. 0, or -1 with err naming the entry
 * ("report.attachments[0].path: x.pdf: No such file or directory"); on
 * -1 r holds the entries read so far, for report_free.
 */
int	 attachment_list_from_json(const json_t *obj, const char *base_dir,
	    IncidentReport *r, char *err, size_t errlen);
/*
 * r's attachments as a new JSON array of {name, media_type, sha256 (hex,
 * or null), size}; the data itself is not shown.
 */
json_t	*attachment_list_to_json(const IncidentReport *r);

#endif
