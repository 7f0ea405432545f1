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
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kairan/jst.h"
#include "kairan/kairan.h"
#include "kairan/message.h"
#include "kairan/text.h"
#include "report.h"

#define REPORT_MAX_ATTACHMENT	(256 * 1024)
/*
 * A report file: 64 attachments of 256 KiB in base64 (4/3) are ~22 MiB,
 * plus the texts; anything larger is not a report.
 */
#define REPORT_MAX_FILE		(32 * 1024 * 1024)
#define GOT_MAX			48	/* bytes of the offending value shown */

typedef Kairan__V1__Contact	Contact;
typedef Kairan__V1__Attachment	Attachment;

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
static const char *const contact_keys[] = {
	"name", "organization", "phone", "after_hours_phone", "fax", "email",
	"hours", NULL
};
static const char *const attachment_keys[] = {
	"name", "media_type", "path", "data_base64", NULL
};

struct enum_name {
	const char	*name;
	int		 value;
};

static const struct enum_name categories[] = {
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
}, methods[] = {
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

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * The offending value as compact JSON for an error message, cut at
 * GOT_MAX bytes on a UTF-8 boundary. Writes into out (GOT_MAX + 8 bytes).
 */
static const char *
got(const json_t *v, char *out, size_t outlen)
{
	char *s;
	size_t n;

	if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) == NULL) {
		snprintf(out, outlen, "?");
		return out;
	}
	n = strlen(s);
	if (n > GOT_MAX) {
		n = GOT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		snprintf(out, outlen, "%.*s...", (int)n, s);
	} else
		snprintf(out, outlen, "%s", s);
	free(s);
	return out;
}

static const char *
type_name(const json_t *v)
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

/* 0 if every key of obj is in keys, else -1 naming the first unknown one. */
static int
check_keys(const json_t *obj, const char *const *keys, const char *where,
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
			seterr(err, errlen, "%s.%s: set by the command line, "
			    "not by the report file", where, k);
			return -1;
		}
		seterr(err, errlen, "%s.%s: unknown key", where, k);
		return -1;
	}
	return 0;
}

/*
 * A string value within max bytes, valid UTF-8 without NUL, non-empty if
 * nonempty. On success *out is a malloc'd copy. 0 or -1 with err.
 */
static int
get_string(const json_t *v, const char *field, size_t max, int nonempty,
    char **out, char *err, size_t errlen)
{
	char g[GOT_MAX + 8];
	const char *s;
	size_t n;

	if (!json_is_string(v)) {
		seterr(err, errlen, "%s: must be a string, got %s", field,
		    got(v, g, sizeof(g)));
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (!message_utf8_valid(s, n)) {
		seterr(err, errlen, "%s: invalid UTF-8 or embedded NUL",
		    field);
		return -1;
	}
	if (n > max) {
		seterr(err, errlen, "%s: too long (%zu bytes, at most %zu)",
		    field, n, max);
		return -1;
	}
	if (nonempty && n == 0) {
		seterr(err, errlen, "%s: must not be empty", field);
		return -1;
	}
	if ((*out = strdup(s)) == NULL) {
		seterr(err, errlen, "%s: out of memory", field);
		return -1;
	}
	return 0;
}

/*
 * An optional string key of obj into *dst (which holds protobuf-c's empty
 * default): absent or null leaves it. 0 or -1 with err.
 */
static int
opt_string(const json_t *obj, const char *key, const char *where,
    size_t max, char **dst, char *err, size_t errlen)
{
	char field[128], *s;
	json_t *v;

	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return 0;
	snprintf(field, sizeof(field), "%s.%s", where, key);
	if (get_string(v, field, max, 0, &s, err, errlen) == -1)
		return -1;
	if (s[0] == '\0') {
		free(s);	/* keep the shared empty default */
		return 0;
	}
	*dst = s;
	return 0;
}

/* A list of non-empty short strings. 0 or -1 with err. */
static int
opt_list(const json_t *obj, const char *key, char ***dst, size_t *ndst,
    char *err, size_t errlen)
{
	char field[128], g[GOT_MAX + 8];
	json_t *v, *e;
	size_t i, n;

	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		seterr(err, errlen, "report.%s: must be an array of strings, "
		    "got %s", key, got(v, g, sizeof(g)));
		return -1;
	}
	if ((n = json_array_size(v)) > KAIRAN_MAX_LIST) {
		seterr(err, errlen, "report.%s: too many entries (%zu, at "
		    "most %d)", key, n, KAIRAN_MAX_LIST);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((*dst = calloc(n, sizeof(**dst))) == NULL) {
		seterr(err, errlen, "report.%s: out of memory", key);
		return -1;
	}
	json_array_foreach(v, i, e) {
		snprintf(field, sizeof(field), "report.%s[%zu]", key, i);
		if (get_string(e, field, KAIRAN_MAX_SHORT, 1, &(*dst)[i], err,
		    errlen) == -1)
			return -1;	/* the caller frees the filled part */
		*ndst = i + 1;
	}
	return 0;
}

/* An enum given by name. *out set on success. 0 or -1 with err. */
static int
get_enum_at(const json_t *obj, const char *where, const char *key,
    int required, const struct enum_name *tab, int *out, char *err,
    size_t errlen);

static int
get_enum(const json_t *obj, const char *key, int required,
    const struct enum_name *tab, int *out, char *err,
    size_t errlen)
{
	return get_enum_at(obj, "report", key, required, tab, out, err,
	    errlen);
}

/* An enum given by name, in the object named where. 0 or -1 with err. */
static int
get_enum_at(const json_t *obj, const char *where, const char *key,
    int required, const struct enum_name *tab, int *out, char *err,
    size_t errlen)
{
	char g[GOT_MAX + 8], names[160];
	const char *s;
	json_t *v;
	size_t i, off = 0;

	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		seterr(err, errlen, "%s.%s: missing", where, key);
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
	seterr(err, errlen, "%s.%s: must be one of %s, got %s", where, key,
	    names, got(v, g, sizeof(g)));
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

/* See report.h. */
int
report_parse_time(const char *s, int64_t *ms)
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

static int
opt_time_at(const json_t *obj, const char *where, const char *key,
    int64_t *dst, char *err, size_t errlen);

static int
opt_time(const json_t *obj, const char *key, int64_t *dst, char *err,
    size_t errlen)
{
	return opt_time_at(obj, "report", key, dst, err, errlen);
}

static int
opt_time_at(const json_t *obj, const char *where, const char *key,
    int64_t *dst, char *err, size_t errlen)
{
	char g[GOT_MAX + 8];
	json_t *v;
	int64_t ms;

	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    report_parse_time(json_string_value(v), &ms) == -1) {
		seterr(err, errlen, "%s.%s: must be an RFC 3339 time with "
		    "offset like \"2026-11-22T09:30:00+09:00\", got %s", where,
		    key, got(v, g, sizeof(g)));
		return -1;
	}
	if (ms <= 0) {
		seterr(err, errlen, "%s.%s: must be after 1970, got %s",
		    where, key, got(v, g, sizeof(g)));
		return -1;
	}
	*dst = ms;
	return 0;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Standard base64 (padding optional, no whitespace) into a malloc'd buffer
 * of at most max bytes. 0, -1 if malformed, -2 if too large, -3 on ENOMEM.
 */
static int
b64_decode(const char *s, size_t len, size_t max, uint8_t **out,
    size_t *outlen)
{
	uint8_t *buf;
	uint32_t acc = 0;
	size_t i, n = 0, bits = 0;
	int v;

	while (len > 0 && s[len - 1] == '=' )
		len--;
	if (len % 4 == 1 || (len * 3) / 4 > max)
		return len % 4 == 1 ? -1 : -2;
	if ((buf = malloc(len * 3 / 4 + 1)) == NULL)
		return -3;
	for (i = 0; i < len; i++) {
		if ((v = b64val((unsigned char)s[i])) == -1) {
			free(buf);
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
		}
	}
	*out = buf;
	*outlen = n;
	return 0;
}

/*
 * Reads path (relative to base_dir unless absolute), a regular file of at
 * most REPORT_MAX_ATTACHMENT bytes, into a malloc'd buffer. 0 or -1 with
 * err naming field.
 */
static int
read_attachment(const char *base_dir, const char *path, const char *field,
    uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	char full[PATH_MAX];
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd = -1;

	if (path[0] == '/' || base_dir == NULL)
		snprintf(full, sizeof(full), "%s", path);
	else if ((size_t)snprintf(full, sizeof(full), "%s/%s", base_dir,
	    path) >= sizeof(full)) {
		seterr(err, errlen, "%s: path too long", field);
		return -1;
	}
	if ((fd = open(full, O_RDONLY | O_CLOEXEC)) == -1) {
		seterr(err, errlen, "%s: %s: %s", field, full,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: %s: not a regular file", field, full);
		goto fail;
	}
	if (st.st_size > REPORT_MAX_ATTACHMENT) {
		seterr(err, errlen, "%s: %s: larger than 256 KiB (%lld bytes)",
		    field, full, (long long)st.st_size);
		goto fail;
	}
	/* One byte more than allowed, to notice a file that grew. */
	if ((buf = malloc(REPORT_MAX_ATTACHMENT + 1)) == NULL) {
		seterr(err, errlen, "%s: out of memory", field);
		goto fail;
	}
	for (;;) {
		r = read(fd, buf + n, REPORT_MAX_ATTACHMENT + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			seterr(err, errlen, "%s: %s: %s", field, full,
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > REPORT_MAX_ATTACHMENT) {
			seterr(err, errlen, "%s: %s: larger than 256 KiB",
			    field, full);
			goto fail;
		}
	}
	close(fd);
	*out = buf;
	*outlen = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

static int
sha256(const uint8_t *data, size_t len, uint8_t md[KAIRAN_DIGEST_LEN])
{
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != KAIRAN_DIGEST_LEN)
		return -1;
	return 0;
}

/* One attachment object into a (initialised). 0 or -1 with err. */
static int
parse_attachment(const json_t *o, size_t idx, const char *base_dir,
    Attachment *a, char *err, size_t errlen)
{
	char where[64], field[96], g[GOT_MAX + 8], *path = NULL;
	const json_t *p, *d;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	snprintf(where, sizeof(where), "report.attachments[%zu]", idx);
	if (!json_is_object(o)) {
		seterr(err, errlen, "%s: must be an object {name, media_type, "
		    "path | data_base64}, got %s", where, got(o, g, sizeof(g)));
		return -1;
	}
	if (check_keys(o, attachment_keys, where, err, errlen) == -1)
		return -1;
	snprintf(field, sizeof(field), "%s.name", where);
	if (json_object_get(o, "name") == NULL) {
		seterr(err, errlen, "%s: missing", field);
		return -1;
	}
	if (get_string(json_object_get(o, "name"), field, KAIRAN_MAX_SHORT, 1,
	    &a->name, err, errlen) == -1)
		return -1;
	snprintf(field, sizeof(field), "%s.media_type", where);
	if (json_object_get(o, "media_type") == NULL) {
		seterr(err, errlen, "%s: missing", field);
		return -1;
	}
	if (get_string(json_object_get(o, "media_type"), field,
	    KAIRAN_MAX_SHORT, 1, &a->media_type, err, errlen) == -1)
		return -1;
	if (strchr(a->media_type, '/') == NULL) {
		seterr(err, errlen, "%s: must be a media type like "
		    "\"application/pdf\", got \"%s\"", field, a->media_type);
		return -1;
	}
	p = json_object_get(o, "path");
	d = json_object_get(o, "data_base64");
	if ((p == NULL) == (d == NULL)) {
		seterr(err, errlen, "%s: exactly one of path and data_base64 "
		    "is required", where);
		return -1;
	}
	if (p != NULL) {
		snprintf(field, sizeof(field), "%s.path", where);
		if (get_string(p, field, PATH_MAX, 1, &path, err, errlen) ==
		    -1)
			return -1;
		rc = read_attachment(base_dir, path, field, &data, &len, err,
		    errlen);
		free(path);
		if (rc == -1)
			return -1;
	} else {
		snprintf(field, sizeof(field), "%s.data_base64", where);
		if (!json_is_string(d)) {
			seterr(err, errlen, "%s: must be a base64 string, got "
			    "%s", field, got(d, g, sizeof(g)));
			return -1;
		}
		switch (b64_decode(json_string_value(d), json_string_length(d),
		    REPORT_MAX_ATTACHMENT, &data, &len)) {
		case 0:
			break;
		case -2:
			seterr(err, errlen, "%s: larger than 256 KiB", field);
			return -1;
		case -3:
			seterr(err, errlen, "%s: out of memory", field);
			return -1;
		default:
			seterr(err, errlen, "%s: not valid base64", field);
			return -1;
		}
	}
	a->data.data = data;
	a->data.len = len;
	if ((a->sha256.data = malloc(KAIRAN_DIGEST_LEN)) == NULL ||
	    sha256(data, len, a->sha256.data) == -1) {
		seterr(err, errlen, "%s: SHA-256 failed", where);
		return -1;
	}
	a->sha256.len = KAIRAN_DIGEST_LEN;
	return 0;
}

static int
parse_attachments(const json_t *obj, const char *base_dir, IncidentReport *r,
    char *err, size_t errlen)
{
	char g[GOT_MAX + 8];
	json_t *v, *e;
	size_t i, n;

	if ((v = json_object_get(obj, "attachments")) == NULL ||
	    json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		seterr(err, errlen, "report.attachments: must be an array of "
		    "objects, got %s", got(v, g, sizeof(g)));
		return -1;
	}
	if ((n = json_array_size(v)) > KAIRAN_MAX_LIST) {
		seterr(err, errlen, "report.attachments: too many entries "
		    "(%zu, at most %d)", n, KAIRAN_MAX_LIST);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((r->attachments = calloc(n, sizeof(*r->attachments))) == NULL) {
		seterr(err, errlen, "report.attachments: out of memory");
		return -1;
	}
	json_array_foreach(v, i, e) {
		if ((r->attachments[i] = malloc(sizeof(Attachment))) == NULL) {
			seterr(err, errlen, "report.attachments: out of "
			    "memory");
			return -1;
		}
		kairan__v1__attachment__init(r->attachments[i]);
		r->n_attachments = i + 1;
		if (parse_attachment(e, i, base_dir, r->attachments[i], err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

static int
parse_contact_at(const json_t *obj, const char *where, Contact **dst,
    char *err, size_t errlen);

static int
parse_contact(const json_t *obj, IncidentReport *r, char *err, size_t errlen)
{
	return parse_contact_at(obj, "report.contact", &r->contact, err,
	    errlen);
}

/* obj.contact (in the object named where) into *dst; absent: NULL. */
static int
parse_contact_at(const json_t *obj, const char *where, Contact **dst,
    char *err, size_t errlen)
{
	char g[GOT_MAX + 8];
	Contact *c;
	json_t *v;

	if ((v = json_object_get(obj, "contact")) == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		seterr(err, errlen, "%s: must be an object, got %s", where,
		    got(v, g, sizeof(g)));
		return -1;
	}
	if (check_keys(v, contact_keys, where, err, errlen) == -1)
		return -1;
	if ((c = malloc(sizeof(*c))) == NULL) {
		seterr(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__contact__init(c);
	*dst = c;
	if (opt_string(v, "name", where, KAIRAN_MAX_SHORT, &c->name, err,
	    errlen) == -1 ||
	    opt_string(v, "organization", where, KAIRAN_MAX_SHORT,
	    &c->organization, err, errlen) == -1 ||
	    opt_string(v, "phone", where, KAIRAN_MAX_SHORT, &c->phone, err,
	    errlen) == -1 ||
	    opt_string(v, "after_hours_phone", where, KAIRAN_MAX_SHORT,
	    &c->after_hours_phone, err, errlen) == -1 ||
	    opt_string(v, "fax", where, KAIRAN_MAX_SHORT, &c->fax, err,
	    errlen) == -1 ||
	    opt_string(v, "email", where, KAIRAN_MAX_SHORT, &c->email, err,
	    errlen) == -1 ||
	    opt_string(v, "hours", where, KAIRAN_MAX_SHORT, &c->hours, err,
	    errlen) == -1)
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

/*
 * The object at obj[key] (absent or null: *out NULL), its keys checked.
 * 1 if there is one, 0 if not, -1 with err.
 */
static int
sub_object(const json_t *obj, const char *key, const char *const *keys,
    const json_t **out, char *err, size_t errlen)
{
	char where[64], g[GOT_MAX + 8];
	const json_t *v;

	*out = NULL;
	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return 0;
	snprintf(where, sizeof(where), "report.%s", key);
	if (!json_is_object(v)) {
		seterr(err, errlen, "%s: must be an object, got %s", where,
		    got(v, g, sizeof(g)));
		return -1;
	}
	if (check_keys(v, keys, where, err, errlen) == -1)
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
		seterr(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__author__init(a);
	r->author = a;
	if (opt_string(v, "name", where, KAIRAN_MAX_SHORT, &a->name, err,
	    errlen) == -1 ||
	    opt_string(v, "role", where, KAIRAN_MAX_SHORT, &a->role, err,
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
		seterr(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__detection__init(d);
	r->detection = d;
	if (get_enum_at(v, where, "method", 0, methods, &e, err, errlen) == -1)
		return -1;
	d->method = e;
	if (opt_string(v, "by", where, KAIRAN_MAX_SHORT, &d->by, err,
	    errlen) == -1 ||
	    opt_string(v, "detail", where, KAIRAN_MAX_TEXT, &d->detail, err,
	    errlen) == -1)
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
	char g[GOT_MAX + 8];
	Kairan__V1__Recovery *k;
	const json_t *v, *c;
	int n;

	if ((n = sub_object(obj, "recovery", recovery_keys, &v, err,
	    errlen)) <= 0)
		return n;
	if ((k = malloc(sizeof(*k))) == NULL) {
		seterr(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__recovery__init(k);
	r->recovery = k;
	if (opt_string(v, "measures", where, KAIRAN_MAX_TEXT, &k->measures,
	    err, errlen) == -1 ||
	    opt_string(v, "status", where, KAIRAN_MAX_TEXT, &k->status, err,
	    errlen) == -1 ||
	    opt_string(v, "outlook", where, KAIRAN_MAX_TEXT, &k->outlook, err,
	    errlen) == -1)
		return -1;
	if ((c = json_object_get(v, "cost_yen")) != NULL && !json_is_null(c)) {
		if (!json_is_integer(c) || json_integer_value(c) < 0) {
			seterr(err, errlen, "%s.cost_yen: must be an integer "
			    "number of yen >= 0, got %s", where,
			    got(c, g, sizeof(g)));
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
		seterr(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__external_channel__init(c);
	*dst = c;
	if (get_enum_at(v, where, "state", 0, channel_states, &e, err,
	    errlen) == -1)
		return -1;
	c->state = e;
	if (opt_time_at(v, where, "at", &c->at_ms, err, errlen) == -1 ||
	    opt_string(v, "note", where, KAIRAN_MAX_TEXT, &c->note, err,
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
		seterr(err, errlen, "%s: out of memory", where);
		return -1;
	}
	kairan__v1__publication__init(p);
	r->publication = p;
	if (get_enum_at(v, where, "decision", 0, decisions, &e, err, errlen) ==
	    -1)
		return -1;
	p->decision = e;
	if (opt_string(v, "approved_by", where, KAIRAN_MAX_SHORT,
	    &p->approved_by, err, errlen) == -1)
		return -1;
	d = json_object_get(v, "decision");
	if ((d == NULL || json_is_null(d)) && p->approved_by[0] == '\0') {
		kairan__v1__publication__free_unpacked(p, NULL);
		r->publication = NULL;
	}
	return 0;
}

/* The fields of 報告様式1 added in issue 11. 0 or -1 with err. */
static int
parse_form_fields(const json_t *obj, IncidentReport *r, char *err,
    size_t errlen)
{
	static const char where[] = "report";

	if (parse_author(obj, r, err, errlen) == -1 ||
	    parse_detection(obj, r, err, errlen) == -1 ||
	    opt_string(obj, "service_overview", where, KAIRAN_MAX_TEXT,
	    &r->service_overview, err, errlen) == -1 ||
	    opt_string(obj, "service_impact", where, KAIRAN_MAX_TEXT,
	    &r->service_impact, err, errlen) == -1 ||
	    opt_string(obj, "system_overview", where, KAIRAN_MAX_TEXT,
	    &r->system_overview, err, errlen) == -1 ||
	    opt_string(obj, "suspected_act", where, KAIRAN_MAX_TEXT,
	    &r->suspected_act, err, errlen) == -1 ||
	    opt_string(obj, "damage_scale", where, KAIRAN_MAX_TEXT,
	    &r->damage_scale, err, errlen) == -1 ||
	    opt_string(obj, "leaked_info", where, KAIRAN_MAX_TEXT,
	    &r->leaked_info, err, errlen) == -1 ||
	    opt_string(obj, "initial_response", where, KAIRAN_MAX_TEXT,
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

IncidentReport *
report_from_json(const json_t *obj, const char *base_dir, char *err,
    size_t errlen)
{
	static const char where[] = "report";
	IncidentReport *r = NULL;
	char g[GOT_MAX + 8], *summary = NULL;
	json_t *v;
	int e;

	if (!json_is_object(obj)) {
		seterr(err, errlen, "report: must be a JSON object, got %s",
		    type_name(obj));
		return NULL;
	}
	if (check_keys(obj, top_keys, where, err, errlen) == -1)
		return NULL;
	if ((r = malloc(sizeof(*r))) == NULL) {
		seterr(err, errlen, "report: out of memory");
		return NULL;
	}
	kairan__v1__incident_report__init(r);

	if (opt_string(obj, "title", where, KAIRAN_MAX_SHORT, &r->title, err,
	    errlen) == -1)
		goto fail;
	e = 0;
	if (get_enum(obj, "category", 1, categories, &e, err, errlen) == -1)
		goto fail;
	r->category = e;
	if (opt_list(obj, "subtypes", &r->subtypes, &r->n_subtypes, err,
	    errlen) == -1)
		goto fail;
	if ((v = json_object_get(obj, "level")) == NULL || json_is_null(v)) {
		seterr(err, errlen, "report.level: missing");
		goto fail;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 3) {
		seterr(err, errlen, "report.level: must be an integer 0..3, "
		    "got %s", got(v, g, sizeof(g)));
		goto fail;
	}
	r->level = (uint32_t)json_integer_value(v);
	if (opt_time(obj, "occurred_at", &r->occurred_at_ms, err, errlen) ==
	    -1 ||
	    opt_time(obj, "discovered_at", &r->discovered_at_ms, err,
	    errlen) == -1 ||
	    opt_time(obj, "proxy_logs_checked_at",
	    &r->proxy_logs_checked_at_ms, err, errlen) == -1)
		goto fail;
	if (opt_string(obj, "location", where, KAIRAN_MAX_TEXT, &r->location,
	    err, errlen) == -1)
		goto fail;
	if ((v = json_object_get(obj, "summary")) == NULL || json_is_null(v)) {
		seterr(err, errlen, "report.summary: missing");
		goto fail;
	}
	if (get_string(v, "report.summary", KAIRAN_MAX_TEXT, 1, &summary, err,
	    errlen) == -1)
		goto fail;
	r->summary = summary;
	if (opt_list(obj, "affected_services", &r->affected_services,
	    &r->n_affected_services, err, errlen) == -1 ||
	    opt_list(obj, "affected_systems", &r->affected_systems,
	    &r->n_affected_systems, err, errlen) == -1)
		goto fail;
	if (opt_string(obj, "cause", where, KAIRAN_MAX_TEXT, &r->cause, err,
	    errlen) == -1 ||
	    opt_string(obj, "damage", where, KAIRAN_MAX_TEXT, &r->damage, err,
	    errlen) == -1)
		goto fail;
	if ((v = json_object_get(obj, "records_affected")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			seterr(err, errlen, "report.records_affected: must be "
			    "an integer >= 0, got %s", got(v, g, sizeof(g)));
			goto fail;
		}
		r->records_affected = (uint64_t)json_integer_value(v);
	}
	e = KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__UNDETERMINED;
	if (get_enum(obj, "is_incident", 0, determinations, &e, err, errlen) ==
	    -1)
		goto fail;
	r->is_incident = e;
	if (opt_string(obj, "response", where, KAIRAN_MAX_TEXT, &r->response,
	    err, errlen) == -1 ||
	    opt_string(obj, "prevention", where, KAIRAN_MAX_TEXT,
	    &r->prevention, err, errlen) == -1 ||
	    opt_string(obj, "external_response", where, KAIRAN_MAX_TEXT,
	    &r->external_response, err, errlen) == -1 ||
	    opt_string(obj, "other", where, KAIRAN_MAX_TEXT, &r->other, err,
	    errlen) == -1)
		goto fail;
	if (parse_contact(obj, r, err, errlen) == -1)
		goto fail;
	if (parse_form_fields(obj, r, err, errlen) == -1)
		goto fail;
	if (parse_attachments(obj, base_dir, r, err, errlen) == -1)
		goto fail;
	return r;
fail:
	report_free(r);
	return NULL;
}

/*
 * The bytes of a report file, read whole into a malloc'd buffer (NUL
 * added) of at most REPORT_MAX_FILE bytes. A file that cannot be opened
 * or read gives "cannot open r.json: Permission denied" (the path as
 * given, the reason from errno). 0 or -1 with err.
 */
static int
read_report_file(const char *path, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		seterr(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		seterr(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "cannot read %s: %s", path,
		    strerror(EISDIR));
		goto fail;
	}
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= REPORT_MAX_FILE + 1) {
				seterr(err, errlen, "%s: larger than %d MiB",
				    path, REPORT_MAX_FILE / (1024 * 1024));
				goto fail;
			}
			cap = cap == 0 ? 64 * 1024 : cap * 2;
			if (cap > REPORT_MAX_FILE + 1)
				cap = REPORT_MAX_FILE + 1;
			if ((nb = realloc(buf, cap)) == NULL) {
				seterr(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			seterr(err, errlen, "cannot read %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

/*
 * The line (from 1) of the first byte of buf[0..len) that is not strict
 * UTF-8 (or is a NUL, which no JSON text holds), or 0 if all of it is.
 * Shift_JIS, EUC-JP and UTF-16 files all fail here, on the line of their
 * first non-ASCII character.
 */
static size_t
not_utf8_line(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0, k, line = 1;
	unsigned cp;

	while (i < len) {
		if (p[i] == '\0')
			return line;
		if (p[i] < 0x80) {
			if (p[i] == '\n')
				line++;
			i++;
			continue;
		}
		if ((k = text_utf8_next(p + i, len - i, &cp)) == 0)
			return line;
		i += k;
	}
	return 0;
}

/*
 * See report.h. The file is read and checked as text before JSON parsing,
 * so that a person hears what is wrong with the file (where it is, that
 * it is Shift_JIS) rather than what jansson thinks of its bytes. A UTF-8
 * byte order mark, which Windows editors write, is skipped.
 */
/*
 * The JSON of a report or advisory file: read whole, a byte order mark
 * skipped, UTF-8 checked line by line before any JSON parsing. A new
 * reference, or NULL with err.
 */
static json_t *
load_json_file(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	char *buf = NULL, *text;
	size_t len, bad;

	if (read_report_file(path, &buf, &len, err, errlen) == -1)
		return NULL;
	text = buf;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if ((bad = not_utf8_line(text, len)) != 0) {
		seterr(err, errlen, "%s: not UTF-8 (line %zu): save it as "
		    "UTF-8", path, bad);
		free(buf);
		return NULL;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (root == NULL)
		seterr(err, errlen, "%s:%d:%d: JSON syntax error: %s", path,
		    je.line, je.column, je.text);
	return root;
}

IncidentReport *
report_from_file(const char *path, char *err, size_t errlen)
{
	IncidentReport *r;
	json_t *root;
	char *dir, *slash;

	if ((root = load_json_file(path, err, errlen)) == NULL)
		return NULL;
	if ((dir = strdup(path)) == NULL) {
		json_decref(root);
		seterr(err, errlen, "%s: out of memory", path);
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

static const char *
enum_name(const struct enum_name *tab, int value)
{
	size_t i;

	for (i = 0; tab[i].name != NULL; i++)
		if (tab[i].value == value)
			return tab[i].name;
	return NULL;
}

static json_t *
list_json(char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *
enum_json(const struct enum_name *tab, int value)
{
	const char *s = enum_name(tab, value);

	return s != NULL ? json_string(s) : json_null();
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
 * The fields of 報告様式1 added in issue 11, with the keys of the report
 * file; a sub-object an older report lacks is null.
 */
static void
form_fields_json(json_t *o, const IncidentReport *r)
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
		json_object_set_new(x, "method", enum_json(methods,
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
		json_object_set_new(x, "state", enum_json(channel_states,
		    ch->state));
		json_object_set_new(x, "at", jst_json(ch->at_ms));
		json_object_set_new(x, "note", json_string(ch->note));
		json_object_set_new(o, channel_names[i], x);
	}
	if (r->publication != NULL) {
		x = json_object();
		json_object_set_new(x, "decision", enum_json(decisions,
		    r->publication->decision));
		json_object_set_new(x, "approved_by",
		    json_string(r->publication->approved_by));
		json_object_set_new(o, "publication", x);
	} else
		json_object_set_new(o, "publication", json_null());
}

json_t *
report_to_json(const IncidentReport *r)
{
	char hex[2 * KAIRAN_DIGEST_LEN + 1];
	json_t *o, *c, *a, *x;
	const Contact *k;
	size_t i;

	if (r == NULL || (o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "title", json_string(r->title));
	json_object_set_new(o, "category", enum_json(categories, r->category));
	json_object_set_new(o, "subtypes", list_json(r->subtypes,
	    r->n_subtypes));
	json_object_set_new(o, "level", json_integer(r->level));
	json_object_set_new(o, "occurred_at", jst_json(r->occurred_at_ms));
	json_object_set_new(o, "discovered_at",
	    jst_json(r->discovered_at_ms));
	json_object_set_new(o, "location", json_string(r->location));
	json_object_set_new(o, "summary", json_string(r->summary));
	json_object_set_new(o, "affected_services",
	    list_json(r->affected_services, r->n_affected_services));
	json_object_set_new(o, "affected_systems",
	    list_json(r->affected_systems, r->n_affected_systems));
	json_object_set_new(o, "cause", json_string(r->cause));
	json_object_set_new(o, "damage", json_string(r->damage));
	json_object_set_new(o, "records_affected",
	    json_integer((json_int_t)r->records_affected));
	json_object_set_new(o, "is_incident",
	    enum_json(determinations, r->is_incident));
	json_object_set_new(o, "response", json_string(r->response));
	json_object_set_new(o, "prevention", json_string(r->prevention));
	json_object_set_new(o, "external_response",
	    json_string(r->external_response));
	json_object_set_new(o, "other", json_string(r->other));
	if ((k = r->contact) != NULL) {
		c = json_object();
		json_object_set_new(c, "name", json_string(k->name));
		json_object_set_new(c, "organization",
		    json_string(k->organization));
		json_object_set_new(c, "phone", json_string(k->phone));
		json_object_set_new(c, "after_hours_phone",
		    json_string(k->after_hours_phone));
		json_object_set_new(c, "fax", json_string(k->fax));
		json_object_set_new(c, "email", json_string(k->email));
		json_object_set_new(c, "hours", json_string(k->hours));
		json_object_set_new(o, "contact", c);
	} else
		json_object_set_new(o, "contact", json_null());
	form_fields_json(o, r);
	a = json_array();
	for (i = 0; i < r->n_attachments; i++) {
		const Attachment *at = r->attachments[i];

		x = json_object();
		json_object_set_new(x, "name", json_string(at->name));
		json_object_set_new(x, "media_type",
		    json_string(at->media_type));
		if (at->sha256.len == KAIRAN_DIGEST_LEN) {
			message_hex(at->sha256.data, KAIRAN_DIGEST_LEN, hex);
			json_object_set_new(x, "sha256", json_string(hex));
		} else
			json_object_set_new(x, "sha256", json_null());
		json_object_set_new(x, "size",
		    json_integer((json_int_t)at->data.len));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "attachments", a);
	json_object_set_new(o, "proxy_logs_checked_at",
	    jst_json(r->proxy_logs_checked_at_ms));
	return o;
}

json_t *
report_template(void)
{
	json_t *o, *c;
	size_t i;

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
	c = json_object();
	for (i = 0; contact_keys[i] != NULL; i++)
		json_object_set_new(c, contact_keys[i], json_string(""));
	json_object_set_new(o, "contact", c);
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

/* ---- advisories (注意喚起・情報提供・要請, node/ADVISORY.md) ---- */

static const char *const advisory_keys[] = {
	"kind", "title", "source", "severity", "summary", "references",
	"actions", "due_at", "contact", NULL
};

static const struct enum_name advisory_kinds[] = {
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

/* advisory.KEY: a list of at most KAIRAN_MAX_LIST strings of max bytes. */
static int
advisory_list(const json_t *obj, const char *key, size_t max, char ***dst,
    size_t *ndst, char *err, size_t errlen)
{
	char field[128], g[GOT_MAX + 8];
	json_t *v, *e;
	size_t i, n;

	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		seterr(err, errlen, "advisory.%s: must be an array of strings, "
		    "got %s", key, got(v, g, sizeof(g)));
		return -1;
	}
	if ((n = json_array_size(v)) > KAIRAN_MAX_LIST) {
		seterr(err, errlen, "advisory.%s: too many entries (%zu, at "
		    "most %d)", key, n, KAIRAN_MAX_LIST);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((*dst = calloc(n, sizeof(**dst))) == NULL) {
		seterr(err, errlen, "advisory.%s: out of memory", key);
		return -1;
	}
	json_array_foreach(v, i, e) {
		snprintf(field, sizeof(field), "advisory.%s[%zu]", key, i);
		if (get_string(e, field, max, 1, &(*dst)[i], err, errlen) == -1)
			return -1;	/* the caller frees the filled part */
		*ndst = i + 1;
	}
	return 0;
}

Advisory *
advisory_from_json(const json_t *obj, char *err, size_t errlen)
{
	static const char where[] = "advisory";
	Advisory *a;
	json_t *v;
	char e[512], *t = NULL;
	int k;

	if (!json_is_object(obj)) {
		seterr(err, errlen, "advisory: must be a JSON object, got %s",
		    type_name(obj));
		return NULL;
	}
	if (check_keys(obj, advisory_keys, where, err, errlen) == -1)
		return NULL;
	if ((a = malloc(sizeof(*a))) == NULL) {
		seterr(err, errlen, "advisory: out of memory");
		return NULL;
	}
	kairan__v1__advisory__init(a);
	k = 0;
	if (get_enum_at(obj, where, "kind", 1, advisory_kinds, &k, err,
	    errlen) == -1)
		goto fail;
	a->kind = k;
	k = 0;
	if (get_enum_at(obj, where, "severity", 0, severities, &k, err,
	    errlen) == -1)
		goto fail;
	a->severity = k;
	if ((v = json_object_get(obj, "title")) == NULL || json_is_null(v)) {
		seterr(err, errlen, "advisory.title: missing");
		goto fail;
	}
	if (get_string(v, "advisory.title", KAIRAN_MAX_SHORT, 1, &t, err,
	    errlen) == -1)
		goto fail;
	a->title = t;
	if ((v = json_object_get(obj, "summary")) == NULL || json_is_null(v)) {
		seterr(err, errlen, "advisory.summary: missing");
		goto fail;
	}
	if (get_string(v, "advisory.summary", KAIRAN_MAX_TEXT, 1, &t, err,
	    errlen) == -1)
		goto fail;
	a->summary = t;
	if (opt_string(obj, "source", where, KAIRAN_MAX_SHORT, &a->source,
	    err, errlen) == -1 ||
	    advisory_list(obj, "references", MESSAGE_MAX_URL, &a->references,
	    &a->n_references, err, errlen) == -1 ||
	    advisory_list(obj, "actions", KAIRAN_MAX_SHORT, &a->actions,
	    &a->n_actions, err, errlen) == -1 ||
	    opt_time_at(obj, where, "due_at", &a->due_at_ms, err,
	    errlen) == -1 ||
	    parse_contact_at(obj, "advisory.contact", &a->contact, err,
	    errlen) == -1)
		goto fail;
	/* 004 「緊急措置の実施を要請する」: what, and by when */
	if (a->kind == KAIRAN__V1__ADVISORY__KIND__REQUEST &&
	    a->due_at_ms == 0) {
		seterr(err, errlen, "advisory.due_at: a request (要請) says by "
		    "when the measures are due: missing");
		goto fail;
	}
	if (a->kind == KAIRAN__V1__ADVISORY__KIND__REQUEST &&
	    a->n_actions == 0) {
		seterr(err, errlen, "advisory.actions: a request (要請) names "
		    "the measures asked for: empty");
		goto fail;
	}
	/* the rest of the protocol's rules (references, characters) */
	if (message_validate_advisory(a, e, sizeof(e)) == -1) {
		seterr(err, errlen, "%s", e);
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

	if ((root = load_json_file(path, err, errlen)) == NULL)
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

static json_t *
contact_json(const Contact *k)
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
advisory_to_json(const Advisory *a)
{
	json_t *o;

	if (a == NULL)
		return NULL;
	o = json_object();
	json_object_set_new(o, "kind", enum_json(advisory_kinds, a->kind));
	json_object_set_new(o, "title", json_string(a->title));
	json_object_set_new(o, "source", json_string(a->source));
	json_object_set_new(o, "severity", enum_json(severities, a->severity));
	json_object_set_new(o, "summary", json_string(a->summary));
	json_object_set_new(o, "references", list_json(a->references,
	    a->n_references));
	json_object_set_new(o, "actions", list_json(a->actions,
	    a->n_actions));
	json_object_set_new(o, "due_at", jst_json(a->due_at_ms));
	json_object_set_new(o, "contact", contact_json(a->contact));
	return o;
}

json_t *
advisory_template(void)
{
	json_t *o, *c;
	size_t i;

	o = json_object();
	json_object_set_new(o, "kind", json_string("advisory"));
	json_object_set_new(o, "title", json_string(""));
	json_object_set_new(o, "source", json_string(""));
	json_object_set_new(o, "severity", json_null());
	json_object_set_new(o, "summary", json_string(""));
	json_object_set_new(o, "references", json_array());
	json_object_set_new(o, "actions", json_array());
	json_object_set_new(o, "due_at", json_null());
	c = json_object();
	for (i = 0; contact_keys[i] != NULL; i++)
		json_object_set_new(c, contact_keys[i], json_string(""));
	json_object_set_new(o, "contact", c);
	return o;
}

const char *
advisory_kind_key(int kind)
{
	const char *s = enum_name(advisory_kinds, kind);

	return s != NULL ? s : "unknown";
}

const char *
advisory_severity_key(int severity)
{
	return enum_name(severities, severity);
}
