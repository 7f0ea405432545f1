/*
 * field: one value of a JSON file people write (a report, an advisory)
 * read strictly into a protobuf-c field, and back. Every error names the
 * field as the person wrote it ("report.contact.tel: unknown key",
 * "advisory.references[1]: must not be empty") and quotes at most
 * FIELD_GOT_MAX bytes of the offending value. Strings come back malloc'd,
 * so that protobuf-c's free_unpacked walker frees a partly read message.
 */
#ifndef KAIRAN_NODE_FIELD_H
#define KAIRAN_NODE_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FIELD_GOT_MAX	48	/* bytes of the offending value shown */
#define FIELD_GOT_LEN	(FIELD_GOT_MAX + 8)	/* field_got's buffer */

/* An enum's JSON name and protobuf value; tables end with { NULL, 0 }. */
struct field_enum {
	const char	*name;
	int		 value;
};

/* snprintf into err (nothing if err is NULL or errlen 0). */
void		 field_err(char *err, size_t errlen, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/*
 * The value v as compact JSON for an error message, cut at FIELD_GOT_MAX
 * bytes on a UTF-8 boundary ("..." added), into out (FIELD_GOT_LEN
 * bytes). Returns out.
 */
const char	*field_got(const json_t *v, char *out, size_t outlen);
/* "an object", "a string", "null", … for "must be a JSON object, got %s". */
const char	*field_type_name(const json_t *v);
/*
 * 0 if every key of obj is in keys (NULL-terminated), else -1 with err
 * "WHERE.KEY: unknown key"; in "report", incident_id, report_no and
 * phase are "set by the command line, not by the report file".
 */
int		 field_check_keys(const json_t *obj, const char *const *keys,
		    const char *where, char *err, size_t errlen);
/*
 * A string value within max bytes, valid UTF-8 without NUL, non-empty if
 * nonempty. On success *out is a malloc'd copy. 0 or -1 with err naming
 * field.
 */
int		 field_string(const json_t *v, const char *field, size_t max,
		    int nonempty, char **out, char *err, size_t errlen);
/*
 * The optional string obj[key] (field "WHERE.KEY") into *dst, which holds
 * protobuf-c's empty default: absent, null or "" leaves it. 0 or -1 with
 * err.
 */
int		 field_opt_string(const json_t *obj, const char *key,
		    const char *where, size_t max, char **dst, char *err,
		    size_t errlen);
/*
 * The optional list obj[key] of at most KAIRAN_MAX_LIST non-empty strings
 * of at most max bytes into *dst, *ndst (absent, null or []: left). On -1
 * (with err) *dst holds the *ndst strings read so far, for the caller's
 * free_unpacked.
 */
int		 field_list(const json_t *obj, const char *where,
		    const char *key, size_t max, char ***dst, size_t *ndst,
		    char *err, size_t errlen);
/*
 * The enum obj[key] given by its name in tab into *out; absent or null
 * leaves *out, or is "WHERE.KEY: missing" if required. Anything else is
 * "must be one of "a" | "b", got …". 0 or -1 with err.
 */
int		 field_get_enum(const json_t *obj, const char *where,
		    const char *key, int required, const struct field_enum *tab,
		    int *out, char *err, size_t errlen);
/*
 * The optional time obj[key] (RFC 3339 with offset, after 1970) into *dst
 * in Unix milliseconds; absent or null leaves it. 0 or -1 with err.
 */
int		 field_opt_time(const json_t *obj, const char *where,
		    const char *key, int64_t *dst, char *err, size_t errlen);
/*
 * An RFC 3339 date-time with an offset ("2026-11-22T09:30:00+09:00";
 * fractions of a second and "Z" allowed) into Unix milliseconds in *ms.
 * Returns 0, or -1 if s is not exactly that.
 */
int		 field_parse_time(const char *s, int64_t *ms);

/* The name of value in tab, or NULL. */
const char	*field_enum_name(const struct field_enum *tab, int value);
/* The same as a new JSON string, or null. */
json_t		*field_enum_json(const struct field_enum *tab, int value);
/* n strings as a new JSON array. */
json_t		*field_list_json(char **v, size_t n);

#endif
