/*
 * jsonfile: the JSON file a person writes (a report, an advisory) read as
 * text first, so that the person hears what is wrong with the file (where
 * it is, that it is Shift_JIS) rather than what jansson thinks of its
 * bytes.
 */
#ifndef KAIRAN_NODE_JSONFILE_H
#define KAIRAN_NODE_JSONFILE_H

#include <stddef.h>

#include <jansson.h>

/*
 * The JSON of the file at path: read whole (at most 32 MiB), a UTF-8 byte
 * order mark (which Windows editors write) skipped, UTF-8 checked line by
 * line before any JSON parsing, duplicate keys refused. A new reference,
 * or NULL with err: "cannot open r.json: Permission denied", "r.json: not
 * UTF-8 (line 3): save it as UTF-8", "r.json:3:7: JSON syntax error: …".
 */
json_t	*jsonfile_load(const char *path, char *err, size_t errlen);

#endif
