/*
 * message: the signed payload (PROTOCOL.md §6) — ids, times, strict UTF-8
 * without the characters that could rewrite a reader's terminal, and the
 * validation of every field of a Message and its body.
 *
 * Validation works on the decoded struct, plus one pass over the wire bytes
 * (message_wire_strings) for what protobuf-c hides: a string with an
 * embedded NUL comes back truncated at the NUL, so it must be caught before
 * the struct is looked at, or a signed text could carry a hidden tail.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "kairan/entity.h"
#include "kairan/message.h"
#include "kairan/text.h"

#define MAX_ATTACHMENT	(256 * 1024)

int
message_id_new(uint8_t id[KAIRAN_ID_LEN])
{
	if (RAND_bytes(id, KAIRAN_ID_LEN) != 1)
		return -1;
	return 0;
}

int64_t
message_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
message_hex(const uint8_t *id, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
message_hex_parse(const char *hex, size_t hexlen, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (hex == NULL || hexlen != 2 * n)
		return -1;
	for (i = 0; i < n; i++)
		if (hexval(hex[2 * i]) < 0 || hexval(hex[2 * i + 1]) < 0)
			return -1;
	for (i = 0; i < n; i++) {
		hi = hexval(hex[2 * i]);
		lo = hexval(hex[2 * i + 1]);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
message_id_parse(const char *hex, uint8_t id[KAIRAN_ID_LEN])
{
	if (hex == NULL)
		return -1;
	return message_hex_parse(hex, strlen(hex), id, KAIRAN_ID_LEN);
}

int
message_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	unsigned cp;

	if (s == NULL)
		return len == 0;
	while (len > 0) {
		if ((n = text_utf8_next(p, len, &cp)) == 0 || cp == 0)
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

/*
 * What the protocol refuses in a string (PROTOCOL.md §6): a character that
 * could move a terminal's cursor, rewrite the screen (ESC, CSI, OSC) or
 * reorder what a reader sees. Returns NULL if cp may stand in a string of
 * this kind, else the name of its class for the error.
 */
static const char *
refused_char(unsigned cp, int flags)
{
	if (cp < 0x20)
		return (flags & MESSAGE_TEXT_MULTILINE) &&
		    (cp == '\n' || cp == '\t') ? NULL : "control character";
	if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return "control character";
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return "bidi override";
	return NULL;
}

int
message_check_chars(const char *field, const char *s, size_t len, int flags,
    char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *what;
	size_t at = 0, n;
	unsigned cp;

	if (s == NULL)
		return 0;
	while (at < len) {
		if ((n = text_utf8_next(p + at, len - at, &cp)) == 0) {
			snprintf(err, errlen, "%s: invalid UTF-8 at byte %zu",
			    field, at);
			return -1;
		}
		if ((what = refused_char(cp, flags)) != NULL) {
			snprintf(err, errlen, "%s: %s U+%04X at byte %zu",
			    field, what, cp, at);
			return -1;
		}
		at += n;
	}
	return 0;
}

/*
 * A string field: at most max bytes; if required, not empty; UTF-8 without
 * the characters the protocol refuses. A text (max KAIRAN_MAX_TEXT) may
 * hold \n and \t, a short string may not. NULL counts as "" (protobuf-c
 * gives "" for absent strings).
 */
static int
check_str(const char *field, const char *s, size_t max, int required,
    char *err, size_t errlen)
{
	size_t len;

	if (s == NULL)
		s = "";
	len = strlen(s);
	if (required && len == 0) {
		snprintf(err, errlen, "%s: empty", field);
		return -1;
	}
	if (len > max) {
		snprintf(err, errlen, "%s: %zu bytes, at most %zu", field, len,
		    max);
		return -1;
	}
	return message_check_chars(field, s, len, max == KAIRAN_MAX_TEXT ?
	    MESSAGE_TEXT_MULTILINE : 0, err, errlen);
}

/* A repeated string field: at most KAIRAN_MAX_LIST non-empty short strings. */
static int
check_strlist(const char *field, char **v, size_t n, char *err,
    size_t errlen)
{
	char name[64];
	size_t i;

	if (n > KAIRAN_MAX_LIST) {
		snprintf(err, errlen, "%s: %zu entries, at most %d", field, n,
		    KAIRAN_MAX_LIST);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s[%zu]", field, i);
		if (check_str(name, v[i], KAIRAN_MAX_SHORT, 1, err, errlen) ==
		    -1)
			return -1;
	}
	return 0;
}

static int
check_enum(const char *field, int v, int lo, int hi, char *err,
    size_t errlen)
{
	if (v < lo || v > hi) {
		snprintf(err, errlen, "%s: must be %d..%d, got %d", field, lo,
		    hi, v);
		return -1;
	}
	return 0;
}

static int
check_contact(const Kairan__V1__Contact *c, char *err, size_t errlen)
{
	if (c == NULL)
		return 0;
	if (check_str("report.contact.name", c->name, KAIRAN_MAX_SHORT, 0,
	    err, errlen) == -1 ||
	    check_str("report.contact.organization", c->organization,
	    KAIRAN_MAX_SHORT, 0, err, errlen) == -1 ||
	    check_str("report.contact.phone", c->phone, KAIRAN_MAX_SHORT, 0,
	    err, errlen) == -1 ||
	    check_str("report.contact.after_hours_phone",
	    c->after_hours_phone, KAIRAN_MAX_SHORT, 0, err, errlen) == -1 ||
	    check_str("report.contact.fax", c->fax, KAIRAN_MAX_SHORT, 0, err,
	    errlen) == -1 ||
	    check_str("report.contact.email", c->email, KAIRAN_MAX_SHORT, 0,
	    err, errlen) == -1 ||
	    check_str("report.contact.hours", c->hours, KAIRAN_MAX_SHORT, 0,
	    err, errlen) == -1)
		return -1;
	return 0;
}

static int
check_attachments(const IncidentReport *r, char *err, size_t errlen)
{
	const Kairan__V1__Attachment *a;
	uint8_t md[SHA256_DIGEST_LENGTH];
	char name[64];
	size_t i;

	if (r->n_attachments > KAIRAN_MAX_LIST) {
		snprintf(err, errlen, "report.attachments: %zu entries, at "
		    "most %d", r->n_attachments, KAIRAN_MAX_LIST);
		return -1;
	}
	for (i = 0; i < r->n_attachments; i++) {
		if ((a = r->attachments[i]) == NULL) {
			snprintf(err, errlen, "report.attachments[%zu]: "
			    "missing", i);
			return -1;
		}
		snprintf(name, sizeof(name), "report.attachments[%zu].name", i);
		if (check_str(name, a->name, KAIRAN_MAX_SHORT, 1, err,
		    errlen) == -1)
			return -1;
		snprintf(name, sizeof(name),
		    "report.attachments[%zu].media_type", i);
		if (check_str(name, a->media_type, KAIRAN_MAX_SHORT, 0, err,
		    errlen) == -1)
			return -1;
		if (a->data.len > MAX_ATTACHMENT) {
			snprintf(err, errlen, "report.attachments[%zu].data: "
			    "%zu bytes, at most %d", i, a->data.len,
			    MAX_ATTACHMENT);
			return -1;
		}
		if (a->sha256.len != SHA256_DIGEST_LENGTH) {
			snprintf(err, errlen, "report.attachments[%zu].sha256: "
			    "must be %d bytes, got %zu", i,
			    SHA256_DIGEST_LENGTH, a->sha256.len);
			return -1;
		}
		SHA256(a->data.data != NULL ? a->data.data :
		    (const uint8_t *)"", a->data.len, md);
		if (memcmp(md, a->sha256.data, sizeof(md)) != 0) {
			snprintf(err, errlen, "report.attachments[%zu].sha256: "
			    "does not match the data", i);
			return -1;
		}
	}
	return 0;
}

/* 差出人: the person and the role who issued the report. */
static int
check_author(const Kairan__V1__Author *a, char *err, size_t errlen)
{
	if (a == NULL)
		return 0;
	if (check_str("report.author.name", a->name, KAIRAN_MAX_SHORT, 0, err,
	    errlen) == -1 ||
	    check_str("report.author.role", a->role, KAIRAN_MAX_SHORT, 0, err,
	    errlen) == -1)
		return -1;
	return 0;
}

/* 検知・発見・通報: how, and by whom. */
static int
check_detection(const Kairan__V1__Detection *d, char *err, size_t errlen)
{
	if (d == NULL)
		return 0;
	if (check_enum("report.detection.method", (int)d->method,
	    KAIRAN__V1__DETECTION__METHOD__METHOD_UNSPECIFIED,
	    KAIRAN__V1__DETECTION__METHOD__NOTIFIED, err, errlen) == -1 ||
	    check_str("report.detection.by", d->by, KAIRAN_MAX_SHORT, 0, err,
	    errlen) == -1 ||
	    check_str("report.detection.detail", d->detail, KAIRAN_MAX_TEXT,
	    0, err, errlen) == -1)
		return -1;
	return 0;
}

/* 復旧措置 with its 復旧状況, 復旧見込み and 復旧に要する金額. */
static int
check_recovery(const Kairan__V1__Recovery *v, char *err, size_t errlen)
{
	if (v == NULL)
		return 0;
	if (check_str("report.recovery.measures", v->measures,
	    KAIRAN_MAX_TEXT, 0, err, errlen) == -1 ||
	    check_str("report.recovery.status", v->status, KAIRAN_MAX_TEXT, 0,
	    err, errlen) == -1 ||
	    check_str("report.recovery.outlook", v->outlook, KAIRAN_MAX_TEXT,
	    0, err, errlen) == -1)
		return -1;
	/* An amount without cost_known would be shown as unknown: refuse it. */
	if (!v->cost_known && v->cost_yen != 0) {
		snprintf(err, errlen, "report.recovery.cost_yen: set without "
		    "cost_known");
		return -1;
	}
	if (v->cost_yen > (uint64_t)INT64_MAX) {
		snprintf(err, errlen, "report.recovery.cost_yen: at most %lld",
		    (long long)INT64_MAX);
		return -1;
	}
	return 0;
}

/* One channel of item 8 (報道発表, 住民への連絡, ...). */
static int
check_channel(const char *key, const Kairan__V1__ExternalChannel *c,
    char *err, size_t errlen)
{
	char name[64];

	if (c == NULL)
		return 0;
	snprintf(name, sizeof(name), "report.%s.state", key);
	if (check_enum(name, (int)c->state,
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__UNDECIDED,
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__NOT_NEEDED, err, errlen) ==
	    -1)
		return -1;
	if (c->at_ms < 0) {
		snprintf(err, errlen, "report.%s.at_ms: negative", key);
		return -1;
	}
	snprintf(name, sizeof(name), "report.%s.note", key);
	return check_str(name, c->note, KAIRAN_MAX_TEXT, 0, err, errlen);
}

static int
check_publication(const Kairan__V1__Publication *p, char *err, size_t errlen)
{
	if (p == NULL)
		return 0;
	if (check_enum("report.publication.decision", (int)p->decision,
	    KAIRAN__V1__PUBLICATION__DECISION__UNDECIDED,
	    KAIRAN__V1__PUBLICATION__DECISION__NO_PUBLISH, err, errlen) == -1 ||
	    check_str("report.publication.approved_by", p->approved_by,
	    KAIRAN_MAX_SHORT, 0, err, errlen) == -1)
		return -1;
	return 0;
}

/* The fields of 報告様式1 added in issue 11 (all optional). */
static int
check_form_fields(const IncidentReport *r, char *err, size_t errlen)
{
	if (check_author(r->author, err, errlen) == -1 ||
	    check_detection(r->detection, err, errlen) == -1 ||
	    check_str("report.service_overview", r->service_overview,
	    KAIRAN_MAX_TEXT, 0, err, errlen) == -1 ||
	    check_str("report.service_impact", r->service_impact,
	    KAIRAN_MAX_TEXT, 0, err, errlen) == -1 ||
	    check_str("report.system_overview", r->system_overview,
	    KAIRAN_MAX_TEXT, 0, err, errlen) == -1 ||
	    check_str("report.suspected_act", r->suspected_act,
	    KAIRAN_MAX_TEXT, 0, err, errlen) == -1 ||
	    check_str("report.damage_scale", r->damage_scale,
	    KAIRAN_MAX_TEXT, 0, err, errlen) == -1 ||
	    check_str("report.leaked_info", r->leaked_info,
	    KAIRAN_MAX_TEXT, 0, err, errlen) == -1 ||
	    check_str("report.initial_response", r->initial_response,
	    KAIRAN_MAX_TEXT, 0, err, errlen) == -1 ||
	    check_recovery(r->recovery, err, errlen) == -1 ||
	    check_channel("press_release", r->press_release, err, errlen) ==
	    -1 ||
	    check_channel("residents", r->residents, err, errlen) == -1 ||
	    check_channel("government", r->government, err, errlen) == -1 ||
	    check_channel("agencies", r->agencies, err, errlen) == -1 ||
	    check_publication(r->publication, err, errlen) == -1)
		return -1;
	return 0;
}

static int
check_report(const IncidentReport *r, char *err, size_t errlen)
{
	if (r == NULL) {
		snprintf(err, errlen, "report: missing");
		return -1;
	}
	if (r->incident_id.len != KAIRAN_ID_LEN) {
		snprintf(err, errlen, "report.incident_id: must be %d bytes, "
		    "got %zu", KAIRAN_ID_LEN, r->incident_id.len);
		return -1;
	}
	if (r->report_no < 1) {
		snprintf(err, errlen, "report.report_no: must be >= 1, got %u",
		    r->report_no);
		return -1;
	}
	if (check_enum("report.phase", (int)r->phase,
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL,
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN, err, errlen) == -1)
		return -1;
	/* A withdrawal (取消) says why; no other report carries a reason. */
	if (r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN) {
		if (check_str("report.withdraw_reason", r->withdraw_reason,
		    KAIRAN_MAX_TEXT, 1, err, errlen) == -1)
			return -1;
	} else if (r->withdraw_reason != NULL &&
	    r->withdraw_reason[0] != '\0') {
		snprintf(err, errlen, "report.withdraw_reason: only in a "
		    "WITHDRAWN report");
		return -1;
	}
	if (
	    check_enum("report.category", (int)r->category,
	    KAIRAN__V1__INCIDENT_REPORT__CATEGORY__SYSTEM_OUTAGE,
	    KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER, err, errlen) == -1 ||
	    check_enum("report.is_incident", (int)r->is_incident,
	    KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__UNDETERMINED,
	    KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__NOT_INCIDENT, err,
	    errlen) == -1)
		return -1;
	if (r->level > 3) {
		snprintf(err, errlen, "report.level: must be 0..3, got %u",
		    r->level);
		return -1;
	}
	if (r->occurred_at_ms < 0) {
		snprintf(err, errlen, "report.occurred_at_ms: negative");
		return -1;
	}
	if (r->discovered_at_ms < 0) {
		snprintf(err, errlen, "report.discovered_at_ms: negative");
		return -1;
	}
	if (r->proxy_logs_checked_at_ms < 0) {
		snprintf(err, errlen,
		    "report.proxy_logs_checked_at_ms: negative");
		return -1;
	}
	if (check_strlist("report.subtypes", r->subtypes, r->n_subtypes, err,
	    errlen) == -1 ||
	    check_strlist("report.affected_services", r->affected_services,
	    r->n_affected_services, err, errlen) == -1 ||
	    check_strlist("report.affected_systems", r->affected_systems,
	    r->n_affected_systems, err, errlen) == -1)
		return -1;
	if (check_str("report.title", r->title, KAIRAN_MAX_SHORT, 0, err,
	    errlen) == -1 ||
	    check_str("report.location", r->location, KAIRAN_MAX_TEXT, 0,
	    err, errlen) == -1 ||
	    check_str("report.summary", r->summary, KAIRAN_MAX_TEXT, 0, err,
	    errlen) == -1 ||
	    check_str("report.cause", r->cause, KAIRAN_MAX_TEXT, 0, err,
	    errlen) == -1 ||
	    check_str("report.damage", r->damage, KAIRAN_MAX_TEXT, 0, err,
	    errlen) == -1 ||
	    check_str("report.response", r->response, KAIRAN_MAX_TEXT, 0,
	    err, errlen) == -1 ||
	    check_str("report.prevention", r->prevention, KAIRAN_MAX_TEXT, 0,
	    err, errlen) == -1 ||
	    check_str("report.external_response", r->external_response,
	    KAIRAN_MAX_TEXT, 0, err, errlen) == -1 ||
	    check_str("report.other", r->other, KAIRAN_MAX_TEXT, 0, err,
	    errlen) == -1)
		return -1;
	if (check_contact(r->contact, err, errlen) == -1 ||
	    check_form_fields(r, err, errlen) == -1)
		return -1;
	return check_attachments(r, err, errlen);
}

/*
 * One entry of advisory.references: a CVE id ("CVE-" four-digit year "-"
 * at least four digits, as MITRE numbers them) or an http(s) URL of at
 * most MESSAGE_MAX_URL bytes of printable ASCII without spaces (a URL
 * with a space or a non-ASCII byte would be shown as something it does
 * not open). Returns 0, or -1 with err naming the entry.
 */
static int
check_reference(const char *field, const char *s, char *err, size_t errlen)
{
	size_t i, len, digits;

	if (check_str(field, s, MESSAGE_MAX_URL, 1, err, errlen) == -1)
		return -1;
	len = strlen(s);
	if (strncmp(s, "CVE-", 4) == 0) {
		for (i = 4; i < 8 && s[i] >= '0' && s[i] <= '9'; i++)
			;
		for (digits = 0; i == 8 && s[8] == '-' &&
		    s[9 + digits] >= '0' && s[9 + digits] <= '9'; digits++)
			;
		if (i != 8 || s[8] != '-' || digits < 4 || digits > 19 ||
		    9 + digits != len) {
			snprintf(err, errlen, "%s: \"%.40s\" is not a CVE id "
			    "(CVE-YYYY-NNNN, four or more digits)", field, s);
			return -1;
		}
		return 0;
	}
	if ((strncmp(s, "https://", 8) != 0 || len == 8) &&
	    (strncmp(s, "http://", 7) != 0 || len == 7)) {
		snprintf(err, errlen, "%s: expected a CVE id (CVE-YYYY-NNNN) or "
		    "an http:// or https:// URL", field);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
			snprintf(err, errlen, "%s: URL byte %zu is not printable "
			    "ASCII (spaces and other characters are "
			    "%%-encoded in a URL)", field, i);
			return -1;
		}
	return 0;
}

/* 注意喚起・情報提供・要請 (PROTOCOL.md §6.3). */
int
message_validate_advisory(const Advisory *a, char *err, size_t errlen)
{
	const Kairan__V1__Contact *c;
	char name[64];
	size_t i;

	if (a == NULL) {
		snprintf(err, errlen, "advisory: missing");
		return -1;
	}
	if (check_enum("advisory.kind", (int)a->kind,
	    KAIRAN__V1__ADVISORY__KIND__ADVISORY,
	    KAIRAN__V1__ADVISORY__KIND__REQUEST, err, errlen) == -1 ||
	    check_enum("advisory.severity", (int)a->severity,
	    KAIRAN__V1__ADVISORY__SEVERITY__SEVERITY_UNSPECIFIED,
	    KAIRAN__V1__ADVISORY__SEVERITY__CRITICAL, err, errlen) == -1 ||
	    check_str("advisory.title", a->title, KAIRAN_MAX_SHORT, 1, err,
	    errlen) == -1 ||
	    check_str("advisory.source", a->source, KAIRAN_MAX_SHORT, 0, err,
	    errlen) == -1 ||
	    check_str("advisory.summary", a->summary, KAIRAN_MAX_TEXT, 1, err,
	    errlen) == -1 ||
	    check_strlist("advisory.actions", a->actions, a->n_actions, err,
	    errlen) == -1)
		return -1;
	if (a->n_references > KAIRAN_MAX_LIST) {
		snprintf(err, errlen, "advisory.references: %zu entries, at "
		    "most %d", a->n_references, KAIRAN_MAX_LIST);
		return -1;
	}
	for (i = 0; i < a->n_references; i++) {
		snprintf(name, sizeof(name), "advisory.references[%zu]", i);
		if (check_reference(name, a->references[i], err, errlen) == -1)
			return -1;
	}
	if (a->due_at_ms < 0) {
		snprintf(err, errlen, "advisory.due_at_ms: negative");
		return -1;
	}
	/* 004 「緊急措置の実施を要請する」: a request says by when */
	if (a->kind == KAIRAN__V1__ADVISORY__KIND__REQUEST &&
	    a->due_at_ms == 0) {
		snprintf(err, errlen, "advisory.due_at_ms: a REQUEST (要請) "
		    "says by when; missing");
		return -1;
	}
	if (a->kind == KAIRAN__V1__ADVISORY__KIND__REQUEST &&
	    a->n_actions == 0) {
		snprintf(err, errlen, "advisory.actions: a REQUEST (要請) names "
		    "the measures asked for; empty");
		return -1;
	}
	if ((c = a->contact) != NULL &&
	    (check_str("advisory.contact.name", c->name, KAIRAN_MAX_SHORT, 0,
	    err, errlen) == -1 ||
	    check_str("advisory.contact.organization", c->organization,
	    KAIRAN_MAX_SHORT, 0, err, errlen) == -1 ||
	    check_str("advisory.contact.phone", c->phone, KAIRAN_MAX_SHORT, 0,
	    err, errlen) == -1 ||
	    check_str("advisory.contact.after_hours_phone",
	    c->after_hours_phone, KAIRAN_MAX_SHORT, 0, err, errlen) == -1 ||
	    check_str("advisory.contact.fax", c->fax, KAIRAN_MAX_SHORT, 0, err,
	    errlen) == -1 ||
	    check_str("advisory.contact.email", c->email, KAIRAN_MAX_SHORT, 0,
	    err, errlen) == -1 ||
	    check_str("advisory.contact.hours", c->hours, KAIRAN_MAX_SHORT, 0,
	    err, errlen) == -1))
		return -1;
	return 0;
}

/* A QUEUED receipt's held list (field names it): 1..max valid entities. */
static int
check_held(const char *field, char *const *held, size_t n, char *err,
    size_t errlen)
{
	char eerr[200];
	size_t i;

	if (n == 0 || n > KAIRAN_MAX_RECIPIENTS) {
		snprintf(err, errlen, "%s: a QUEUED receipt names 1..%d "
		    "recipients, got %zu", field, KAIRAN_MAX_RECIPIENTS, n);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!entity_valid(held[i], eerr, sizeof(eerr))) {
			snprintf(err, errlen, "%s[%zu]: %s", field, i, eerr);
			return -1;
		}
	return 0;
}

static int
check_receipt(const Receipt *r, char *err, size_t errlen)
{
	char eerr[200];
	size_t i;

	if (r == NULL) {
		snprintf(err, errlen, "receipt: missing");
		return -1;
	}
	if (r->ref_id.len != KAIRAN_ID_LEN) {
		snprintf(err, errlen, "receipt.ref_id: must be %d bytes, got "
		    "%zu", KAIRAN_ID_LEN, r->ref_id.len);
		return -1;
	}
	if (r->ref_digest.len != KAIRAN_DIGEST_LEN) {
		snprintf(err, errlen, "receipt.ref_digest: must be %d bytes, "
		    "got %zu", KAIRAN_DIGEST_LEN, r->ref_digest.len);
		return -1;
	}
	if (check_enum("receipt.state", (int)r->state,
	    KAIRAN__V1__RECEIPT__STATE__DELIVERED,
	    KAIRAN__V1__RECEIPT__STATE__DONE, err, errlen) == -1)
		return -1;
	/* 受理確認 names who read it; 対応済 also says what was done */
	if (check_str("receipt.by", r->by, KAIRAN_MAX_SHORT,
	    r->state == KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED ||
	    r->state == KAIRAN__V1__RECEIPT__STATE__DONE, err,
	    errlen) == -1 ||
	    check_str("receipt.note", r->note, KAIRAN_MAX_TEXT,
	    r->state == KAIRAN__V1__RECEIPT__STATE__DONE, err,
	    errlen) == -1)
		return -1;
	if (check_str("receipt.subject", r->subject, KAIRAN_MAX_SHORT, 0, err,
	    errlen) == -1)
		return -1;
	if (r->subject != NULL && r->subject[0] != '\0' &&
	    !entity_valid(r->subject, eerr, sizeof(eerr))) {
		snprintf(err, errlen, "receipt.subject: %s", eerr);
		return -1;
	}
	if (r->state == KAIRAN__V1__RECEIPT__STATE__OVERDUE &&
	    (r->subject == NULL || r->subject[0] == '\0')) {
		snprintf(err, errlen, "receipt.subject: an OVERDUE receipt names "
		    "the recipient that has not acknowledged");
		return -1;
	}
	if (r->state == KAIRAN__V1__RECEIPT__STATE__MAILED &&
	    (r->subject == NULL || r->subject[0] == '\0')) {
		snprintf(err, errlen, "receipt.subject: a MAILED receipt names "
		    "the recipient the report was mailed to");
		return -1;
	}
	if (r->state != KAIRAN__V1__RECEIPT__STATE__QUEUED) {
		if (r->n_held != 0) {
			snprintf(err, errlen, "receipt.held: only a QUEUED "
			    "receipt names held recipients");
			return -1;
		}
		if (r->n_more != 0) {
			snprintf(err, errlen, "receipt.more: only a QUEUED "
			    "receipt names further messages");
			return -1;
		}
		return 0;
	}
	if (check_held("receipt.held", r->held, r->n_held, err, errlen) == -1)
		return -1;
	if (r->n_more > KAIRAN_MAX_QUEUED_BATCH - 1) {
		snprintf(err, errlen, "receipt.more: at most %d further "
		    "messages, got %zu", KAIRAN_MAX_QUEUED_BATCH - 1, r->n_more);
		return -1;
	}
	for (i = 0; i < r->n_more; i++) {
		const Kairan__V1__HeldRef *h = r->more[i];
		char f[64];
		size_t j;

		if (h->ref_id.len != KAIRAN_ID_LEN) {
			snprintf(err, errlen, "receipt.more[%zu].ref_id: must "
			    "be %d bytes, got %zu", i, KAIRAN_ID_LEN,
			    h->ref_id.len);
			return -1;
		}
		if (h->ref_digest.len != KAIRAN_DIGEST_LEN) {
			snprintf(err, errlen, "receipt.more[%zu].ref_digest: "
			    "must be %d bytes, got %zu", i, KAIRAN_DIGEST_LEN,
			    h->ref_digest.len);
			return -1;
		}
		/* each message once: the first in ref_id, the rest here */
		if (memcmp(h->ref_id.data, r->ref_id.data,
		    KAIRAN_ID_LEN) == 0) {
			snprintf(err, errlen, "receipt.more[%zu].ref_id: the "
			    "receipt's own ref_id again", i);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (memcmp(h->ref_id.data, r->more[j]->ref_id.data,
			    KAIRAN_ID_LEN) == 0) {
				snprintf(err, errlen, "receipt.more[%zu]."
				    "ref_id: the same as receipt.more[%zu]", i,
				    j);
				return -1;
			}
		snprintf(f, sizeof(f), "receipt.more[%zu].held", i);
		if (check_held(f, h->held, h->n_held, err, errlen) == -1)
			return -1;
	}
	return 0;
}

struct ridx {
	const char	*s;
	size_t		 i;
};

static int
ridx_cmp(const void *a, const void *b)
{
	const struct ridx *x = a, *y = b;
	int c;

	if ((c = strcmp(x->s, y->s)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Recipients: 1..KAIRAN_MAX_RECIPIENTS valid ids, unique, not the sender. */
static int
check_recipients(const Message *m, char *err, size_t errlen)
{
	struct ridx *v = NULL;
	char eerr[200], name[48];
	size_t i, dup = 0;
	int found = 0;

	if (m->n_recipients == 0) {
		snprintf(err, errlen, "recipients: empty");
		return -1;
	}
	if (m->n_recipients > KAIRAN_MAX_RECIPIENTS) {
		snprintf(err, errlen, "recipients: %zu entries, at most %d",
		    m->n_recipients, KAIRAN_MAX_RECIPIENTS);
		return -1;
	}
	for (i = 0; i < m->n_recipients; i++) {
		snprintf(name, sizeof(name), "recipients[%zu]", i);
		if (check_str(name, m->recipients[i], KAIRAN_MAX_SHORT, 0, err,
		    errlen) == -1)
			return -1;
		if (!entity_valid(m->recipients[i], eerr, sizeof(eerr))) {
			snprintf(err, errlen, "recipients[%zu]: %s", i, eerr);
			return -1;
		}
		if (strcmp(m->recipients[i], m->sender) == 0) {
			snprintf(err, errlen, "recipients[%zu]: the sender "
			    "itself", i);
			return -1;
		}
	}
	/* Sorted copy: duplicates are neighbours (O(n log n) for 4096). */
	if ((v = calloc(m->n_recipients, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "recipients: out of memory");
		return -1;
	}
	for (i = 0; i < m->n_recipients; i++) {
		v[i].s = m->recipients[i];
		v[i].i = i;
	}
	qsort(v, m->n_recipients, sizeof(*v), ridx_cmp);
	for (i = 1; i < m->n_recipients; i++) {
		if (strcmp(v[i - 1].s, v[i].s) == 0 &&
		    (!found || v[i].i < dup)) {
			dup = v[i].i;
			found = 1;
		}
	}
	if (found) {
		snprintf(err, errlen, "recipients[%zu]: duplicate %s", dup,
		    m->recipients[dup]);
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

int
message_validate(const Message *m, char *err, size_t errlen)
{
	char eerr[200];

	if (m == NULL) {
		snprintf(err, errlen, "message: missing");
		return -1;
	}
	if (m->id.len != KAIRAN_ID_LEN) {
		snprintf(err, errlen, "id: must be %d bytes, got %zu",
		    KAIRAN_ID_LEN, m->id.len);
		return -1;
	}
	if (check_str("sender", m->sender, KAIRAN_MAX_SHORT, 0, err,
	    errlen) == -1)
		return -1;
	if (!entity_valid(m->sender, eerr, sizeof(eerr))) {
		snprintf(err, errlen, "sender: %s", eerr);
		return -1;
	}
	if (check_recipients(m, err, errlen) == -1)
		return -1;
	if (m->created_at_ms <= 0) {
		snprintf(err, errlen, "created_at_ms: must be > 0, got %lld",
		    (long long)m->created_at_ms);
		return -1;
	}
	if (check_enum("status", (int)m->status, KAIRAN__V1__STATUS__ACTUAL,
	    KAIRAN__V1__STATUS__TEST, err, errlen) == -1)
		return -1;
	switch (m->body_case) {
	case KAIRAN__V1__MESSAGE__BODY_REPORT:
		return check_report(m->report, err, errlen);
	case KAIRAN__V1__MESSAGE__BODY_RECEIPT:
		return check_receipt(m->receipt, err, errlen);
	case KAIRAN__V1__MESSAGE__BODY_ADVISORY:
		return message_validate_advisory(m->advisory, err, errlen);
	case KAIRAN__V1__MESSAGE__BODY__NOT_SET:
		snprintf(err, errlen, "body: none of report, receipt, "
		    "advisory");
		return -1;
	default:
		snprintf(err, errlen, "body: unknown case %d",
		    (int)m->body_case);
		return -1;
	}
}

/* Reads a varint at *p (< end). Returns 0, or -1 if truncated or too long. */
static int
wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		uint8_t b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return 0;
		shift += 7;
	}
	return -1;
}

int
message_wire_next(const uint8_t **p, const uint8_t *end, uint64_t *field,
    const uint8_t **data, size_t *n)
{
	uint64_t key, v;

	*data = NULL;
	*n = 0;
	/* field number 0 is illegal; protobuf-c lets a 2-byte tag of 0 pass */
	if (wire_varint(p, end, &key) == -1 || (key >> 3) == 0)
		return -1;
	*field = key >> 3;
	switch (key & 7) {
	case 0:
		return wire_varint(p, end, &v);
	case 1:
		if (end - *p < 8)
			return -1;
		*p += 8;
		return 0;
	case 5:
		if (end - *p < 4)
			return -1;
		*p += 4;
		return 0;
	case 2:
		if (wire_varint(p, end, &v) == -1 || v > (uint64_t)(end - *p))
			return -1;
		*data = *p;
		*n = (size_t)v;
		*p += v;
		return 0;
	default:
		return -1;
	}
}

static int
wire_walk(const ProtobufCMessageDescriptor *d, const uint8_t *buf,
    size_t len, const char *path, int depth, char *err, size_t errlen)
{
	const ProtobufCFieldDescriptor *f;
	const uint8_t *p = buf, *end = buf + len, *data;
	uint64_t field;
	size_t n;
	char sub[128];
	int rc;

	if (depth > 8) {
		snprintf(err, errlen, "%s: nested too deep", path);
		return -1;
	}
	while (p < end) {
		if (message_wire_next(&p, end, &field, &data, &n) == -1)
			goto bad;
		if (data == NULL)
			continue;	/* not length-delimited */
		f = field <= UINT32_MAX ?
		    protobuf_c_message_descriptor_get_field(d,
		    (unsigned)field) : NULL;
		if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING &&
		    memchr(data, 0, n) != NULL) {
			snprintf(err, errlen, "%s%s%s: embedded NUL", path,
			    path[0] != '\0' ? "." : "", f->name);
			return -1;
		}
		if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
			snprintf(sub, sizeof(sub), "%s%s%s", path,
			    path[0] != '\0' ? "." : "", f->name);
			if ((rc = wire_walk(f->descriptor, data, n, sub,
			    depth + 1, err, errlen)) != 0)
				return rc;
		}
	}
	return 0;
 bad:
	snprintf(err, errlen, "%s: malformed protobuf", path[0] != '\0' ?
	    path : d->short_name);
	return -2;
}

int
message_wire_strings(const ProtobufCMessageDescriptor *d, const uint8_t *buf,
    size_t len, char *err, size_t errlen)
{
	return wire_walk(d, buf, len, "", 0, err, errlen);
}

Message *
message_decode_reason(const uint8_t *buf, size_t len, int *reason, char *err,
    size_t errlen)
{
	Message *m;
	char werr[256];

	if (reason != NULL)
		*reason = KAIRAN__V1__REFUSED__REASON__MALFORMED;
	if (buf == NULL && len > 0) {
		snprintf(err, errlen, "message: no buffer");
		return NULL;
	}
	m = kairan__v1__message__unpack(NULL, len, buf);
	if (m == NULL) {
		snprintf(err, errlen, "message: not a valid protobuf Message");
		return NULL;
	}
	if (reason != NULL)
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
	switch (message_wire_strings(&kairan__v1__message__descriptor, buf,
	    len, werr, sizeof(werr))) {
	case 0:
		break;
	case -2:
		if (reason != NULL)
			*reason = KAIRAN__V1__REFUSED__REASON__MALFORMED;
		/* FALLTHROUGH */
	default:
		snprintf(err, errlen, "%s", werr);
		goto fail;
	}
	if (message_validate(m, err, errlen) == -1)
		goto fail;
	return m;
 fail:
	message_free(m);
	return NULL;
}

Message *
message_decode(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	return message_decode_reason(buf, len, NULL, err, errlen);
}

void
message_free(Message *m)
{
	if (m != NULL)
		kairan__v1__message__free_unpacked(m, NULL);
}

int
message_encode(const Message *m, uint8_t **out, size_t *outlen)
{
	size_t n;
	uint8_t *buf;

	n = kairan__v1__message__get_packed_size(m);
	if ((buf = malloc(n > 0 ? n : 1)) == NULL)
		return -1;
	if (kairan__v1__message__pack(m, buf) != n) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

const char *
message_status_name(int status)
{
	switch (status) {
	case KAIRAN__V1__STATUS__ACTUAL:
		return "ACTUAL";
	case KAIRAN__V1__STATUS__EXERCISE:
		return "EXERCISE";
	case KAIRAN__V1__STATUS__TEST:
		return "TEST";
	default:
		return "UNKNOWN";
	}
}

const char *
message_phase_name(int phase)
{
	switch (phase) {
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL:
		return "INITIAL";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE:
		return "UPDATE";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED:
		return "CLOSED";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL:
		return "FINAL";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN:
		return "WITHDRAWN";
	default:
		return "UNKNOWN";
	}
}

const char *
message_category_name(int category)
{
	switch (category) {
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__SYSTEM_OUTAGE:
		return "SYSTEM_OUTAGE";
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK:
		return "CYBER_ATTACK";
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__THEFT_LOSS:
		return "THEFT_LOSS";
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER:
		return "OTHER";
	default:
		return "UNKNOWN";
	}
}

const char *
message_receipt_state_name(int state)
{
	switch (state) {
	case KAIRAN__V1__RECEIPT__STATE__DELIVERED:
		return "DELIVERED";
	case KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED:
		return "ACKNOWLEDGED";
	case KAIRAN__V1__RECEIPT__STATE__REJECTED:
		return "REJECTED";
	case KAIRAN__V1__RECEIPT__STATE__QUEUED:
		return "QUEUED";
	case KAIRAN__V1__RECEIPT__STATE__OVERDUE:
		return "OVERDUE";
	case KAIRAN__V1__RECEIPT__STATE__MAILED:
		return "MAILED";
	case KAIRAN__V1__RECEIPT__STATE__DONE:
		return "DONE";
	default:
		return "UNKNOWN";
	}
}

const char *
message_advisory_kind_name(int kind)
{
	switch (kind) {
	case KAIRAN__V1__ADVISORY__KIND__ADVISORY:
		return "ADVISORY";
	case KAIRAN__V1__ADVISORY__KIND__INFORMATION:
		return "INFORMATION";
	case KAIRAN__V1__ADVISORY__KIND__REQUEST:
		return "REQUEST";
	default:
		return "UNKNOWN";
	}
}

const char *
message_advisory_kind_label(int kind)
{
	switch (kind) {
	case KAIRAN__V1__ADVISORY__KIND__ADVISORY:
		return "注意喚起";
	case KAIRAN__V1__ADVISORY__KIND__INFORMATION:
		return "情報提供";
	case KAIRAN__V1__ADVISORY__KIND__REQUEST:
		return "要請";
	default:
		return "不明";
	}
}

const char *
message_severity_name(int severity)
{
	switch (severity) {
	case KAIRAN__V1__ADVISORY__SEVERITY__SEVERITY_UNSPECIFIED:
		return "UNSPECIFIED";
	case KAIRAN__V1__ADVISORY__SEVERITY__LOW:
		return "LOW";
	case KAIRAN__V1__ADVISORY__SEVERITY__MEDIUM:
		return "MEDIUM";
	case KAIRAN__V1__ADVISORY__SEVERITY__HIGH:
		return "HIGH";
	case KAIRAN__V1__ADVISORY__SEVERITY__CRITICAL:
		return "CRITICAL";
	default:
		return "UNKNOWN";
	}
}

int
message_has_recipient(const Message *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->n_recipients; i++)
		if (strcmp(m->recipients[i], id) == 0)
			return 1;
	return 0;
}
