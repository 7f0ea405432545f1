/*
 * field: strict readers of one JSON value into a protobuf-c field, and
 * the few writers back (see field.h). Shared by the report and the
 * advisory readers, so that both name a field and quote a bad value the
 * same way.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/kairan.h"
#include "kairan/message.h"
#include "field.h"

void
field_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* See field.h. */
const char *
field_got(const json_t *v, char *out, size_t outlen)
{
	char *s;
	size_t n;

	if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) == NULL) {
		snprintf(out, outlen, "?");
		return out;
	}
	n = strlen(s);
	if (n > FIELD_GOT_MAX) {
		n = FIELD_GOT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		snprintf(out, outlen, "%.*s...", (int)n, s);
	} else
		snprintf(out, outlen, "%s", s);
	free(s);
	return out;
}

const char *
field_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	default:
		return "?";
	}
}

/* See field.h: the first unknown key in obj's order is named. */
int
field_check_keys(const json_t *obj, const char *const *keys, const char *where,
    char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)(uintptr_t)obj, k, v) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		if (keys[i] != NULL)
			continue;
		if (strcmp(where, "report") == 0 &&
		    (strcmp(k, "incident_id") == 0 ||
		    strcmp(k, "report_no") == 0 || strcmp(k, "phase") == 0)) {
			field_err(err, errlen, "%s.%s: set by the command "
			    "line, not by the report file", where, k);
			return -1;
		}
		field_err(err, errlen, "%s.%s: unknown key", where, k);
		return -1;
	}
	return 0;
}

/* See field.h. */
int
field_string(const json_t *v, const char *field, size_t max, int nonempty,
    char **out, char *err, size_t errlen)
{
	char g[FIELD_GOT_LEN];
	const char *s;
	size_t n;

	if (!json_is_string(v)) {
		field_err(err, errlen, "%s: must be a string, got %s", field,
		    field_got(v, g, sizeof(g)));
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (!message_utf8_valid(s, n)) {
		field_err(err, errlen, "%s: invalid UTF-8 or embedded NUL",
		    field);
		return -1;
	}
	if (n > max) {
		field_err(err, errlen, "%s: too long (%zu bytes, at most %zu)",
		    field, n, max);
		return -1;
	}
	if (nonempty && n == 0) {
		field_err(err, errlen, "%s: must not be empty", field);
		return -1;
	}
	if ((*out = strdup(s)) == NULL) {
		field_err(err, errlen, "%s: out of memory", field);
		return -1;
	}
	return 0;
}

/* See field.h. */
int
field_opt_string(const json_t *obj, const char *key, const char *where,
    size_t max, char **dst, char *err, size_t errlen)
{
	char field[128], *s;
	json_t *v;

	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return 0;
	snprintf(field, sizeof(field), "%s.%s", where, key);
	if (field_string(v, field, max, 0, &s, err, errlen) == -1)
		return -1;
	if (s[0] == '\0') {
		free(s);	/* keep the shared empty default */
		return 0;
	}
	*dst = s;
	return 0;
}

/* See field.h. */
int
field_list(const json_t *obj, const char *where, const char *key,
    size_t max, char ***dst, size_t *ndst, char *err, size_t errlen)
{
	char field[128], g[FIELD_GOT_LEN];
	json_t *v, *e;
	size_t i, n;

	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		field_err(err, errlen, "%s.%s: must be an array of strings, "
		    "got %s", where, key, field_got(v, g, sizeof(g)));
		return -1;
	}
	if ((n = json_array_size(v)) > KAIRAN_MAX_LIST) {
		field_err(err, errlen, "%s.%s: too many entries (%zu, at "
		    "most %d)", where, key, n, KAIRAN_MAX_LIST);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((*dst = calloc(n, sizeof(**dst))) == NULL) {
		field_err(err, errlen, "%s.%s: out of memory", where, key);
		return -1;
	}
	json_array_foreach(v, i, e) {
		snprintf(field, sizeof(field), "%s.%s[%zu]", where, key, i);
		if (field_string(e, field, max, 1, &(*dst)[i], err, errlen) ==
		    -1)
			return -1;	/* the caller frees the filled part */
		*ndst = i + 1;
	}
	return 0;
}

/* See field.h. */
int
field_get_enum(const json_t *obj, const char *where, const char *key,
    int required, const struct field_enum *tab, int *out, char *err,
    size_t errlen)
{
	char g[FIELD_GOT_LEN], names[160];
	const char *s;
	json_t *v;
	size_t i, off = 0;

	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		field_err(err, errlen, "%s.%s: missing", where, key);
		return -1;
	}
	if (json_is_string(v)) {
		s = json_string_value(v);
		for (i = 0; tab[i].name != NULL; i++)
			if (strcmp(s, tab[i].name) == 0) {
				*out = tab[i].value;
				return 0;
			}
	}
	names[0] = '\0';
	for (i = 0; tab[i].name != NULL && off < sizeof(names); i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off,
		    "%s\"%s\"", i ? " | " : "", tab[i].name);
	field_err(err, errlen, "%s.%s: must be one of %s, got %s", where, key,
	    names, field_got(v, g, sizeof(g)));
	return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* See field.h. */
int
field_parse_time(const char *s, int64_t *ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, frac = 0, nf = 0;
	const char *p;
	int64_t t;

	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
	    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++, nf++)
			if (nf < 3)
				frac = frac * 10 + (*p - '0');
		for (; nf < 3; nf++)
			frac *= 10;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		p += 6;
	} else
		return -1;
	if (*p != '\0')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0))
		return -1;
	if (sec == 60)		/* a leap second: the next second */
		sec = 59, frac = 999;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	*ms = t * 1000 + frac;
	return 0;
}

/* See field.h. */
int
field_opt_time(const json_t *obj, const char *where, const char *key,
    int64_t *dst, char *err, size_t errlen)
{
	char g[FIELD_GOT_LEN];
	json_t *v;
	int64_t ms;

	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    field_parse_time(json_string_value(v), &ms) == -1) {
		field_err(err, errlen, "%s.%s: must be an RFC 3339 time with "
		    "offset like \"2026-11-22T09:30:00+09:00\", got %s", where,
		    key, field_got(v, g, sizeof(g)));
		return -1;
	}
	if (ms <= 0) {
		field_err(err, errlen, "%s.%s: must be after 1970, got %s",
		    where, key, field_got(v, g, sizeof(g)));
		return -1;
	}
	*dst = ms;
	return 0;
}

const char *
field_enum_name(const struct field_enum *tab, int value)
{
	size_t i;

	for (i = 0; tab[i].name != NULL; i++)
		if (tab[i].value == value)
			return tab[i].name;
	return NULL;
}

json_t *
field_list_json(char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *
field_enum_json(const struct field_enum *tab, int value)
{
	const char *s = field_enum_name(tab, value);

	return s != NULL ? json_string(s) : json_null();
}
