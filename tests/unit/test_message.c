/*
 * Unit tests of message: ids, hex, strict UTF-8, the characters refused in
 * every kind of string (control, DEL, C1, bidi overrides), and every validation rule
 * of Message, IncidentReport and Receipt, each broken on purpose.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/sha.h>

#include "kairan/message.h"

#define REASON(x)	KAIRAN__V1__REFUSED__REASON__##x

/* A valid report message in caller-provided storage. */
struct tmsg {
	Message			 m;
	IncidentReport		 r;
	Receipt			 rc;
	Kairan__V1__Contact	 c;
	Kairan__V1__Attachment	 a;
	Kairan__V1__Attachment	*ap[1];
	char			*recips[4];
	char			*subtypes[2];
	uint8_t			 id[16], iid[16], ref[16], dig[32];
	uint8_t			 data[5], sha[32];
};

static char S_SENDER[] = "452017";
static char S_R0[] = "450006";
static char S_R1[] = "mic";
static char S_R2[] = "452025";
static char S_SUB0[] = "標的型攻撃";
static char S_SUB1[] = "ウイルス";
static char S_SUMMARY[] = "職員端末がマルウェアに感染した可能性。ネットワークから切り離し済み。";
static char S_TITLE[] = "職員端末のウイルス感染について（第1報）";
static char S_CNAME[] = "情報政策課 宮崎 太郎";
static char S_PHONE[] = "0985-25-2111";
static char S_ANAME[] = "対応記録.txt";
static char S_AMT[] = "text/plain";

static void
tmsg_init(struct tmsg *t)
{
	memset(t, 0, sizeof(*t));
	kairan__v1__message__init(&t->m);
	kairan__v1__incident_report__init(&t->r);
	kairan__v1__receipt__init(&t->rc);
	kairan__v1__contact__init(&t->c);
	kairan__v1__attachment__init(&t->a);
	memset(t->id, 0x11, sizeof(t->id));
	memset(t->iid, 0x22, sizeof(t->iid));
	t->m.id.data = t->id;
	t->m.id.len = sizeof(t->id);
	t->m.sender = S_SENDER;
	t->recips[0] = S_R0;
	t->recips[1] = S_R1;
	t->recips[2] = S_R2;
	t->m.recipients = t->recips;
	t->m.n_recipients = 3;
	t->m.created_at_ms = 1700000000000LL;
	t->m.status = KAIRAN__V1__STATUS__EXERCISE;
	t->m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	t->m.report = &t->r;
	t->r.incident_id.data = t->iid;
	t->r.incident_id.len = sizeof(t->iid);
	t->r.report_no = 1;
	t->r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	t->r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	t->subtypes[0] = S_SUB0;
	t->subtypes[1] = S_SUB1;
	t->r.subtypes = t->subtypes;
	t->r.n_subtypes = 2;
	t->r.level = 2;
	t->r.summary = S_SUMMARY;
	t->r.title = S_TITLE;
	t->c.name = S_CNAME;
	t->c.phone = S_PHONE;
	t->r.contact = &t->c;
	memcpy(t->data, "hello", 5);
	SHA256(t->data, sizeof(t->data), t->sha);
	t->a.name = S_ANAME;
	t->a.media_type = S_AMT;
	t->a.data.data = t->data;
	t->a.data.len = sizeof(t->data);
	t->a.sha256.data = t->sha;
	t->a.sha256.len = sizeof(t->sha);
	t->ap[0] = &t->a;
	t->r.attachments = t->ap;
	t->r.n_attachments = 1;
}

/* Turns t into a valid DELIVERED receipt. */
static void
tmsg_receipt(struct tmsg *t)
{
	memset(t->ref, 0x33, sizeof(t->ref));
	memset(t->dig, 0x44, sizeof(t->dig));
	t->m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	t->m.receipt = &t->rc;
	t->m.n_recipients = 1;
	t->rc.ref_id.data = t->ref;
	t->rc.ref_id.len = sizeof(t->ref);
	t->rc.ref_digest.data = t->dig;
	t->rc.ref_digest.len = sizeof(t->dig);
	t->rc.state = KAIRAN__V1__RECEIPT__STATE__DELIVERED;
}

/* Asserts that m fails validation with an error containing want. */
static void
expect_invalid(const Message *m, const char *want)
{
	char err[512] = "";

	assert_int_equal(message_validate(m, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void
expect_valid(const Message *m)
{
	char err[512] = "";

	if (message_validate(m, err, sizeof(err)) != 0)
		fail_msg("unexpectedly invalid: %s", err);
}

static void
test_valid_report_japanese(void **state)
{
	struct tmsg t;
	uint8_t *buf;
	size_t len;
	char err[256];
	Message *m;

	(void)state;
	tmsg_init(&t);
	expect_valid(&t.m);
	assert_int_equal(message_encode(&t.m, &buf, &len), 0);
	m = message_decode(buf, len, err, sizeof(err));
	assert_non_null(m);
	assert_string_equal(m->sender, "452017");
	assert_int_equal(m->n_recipients, 3);
	assert_string_equal(m->recipients[1], "mic");
	assert_int_equal(m->status, KAIRAN__V1__STATUS__EXERCISE);
	assert_int_equal(m->body_case, KAIRAN__V1__MESSAGE__BODY_REPORT);
	assert_string_equal(m->report->summary, S_SUMMARY);
	assert_string_equal(m->report->title, S_TITLE);
	assert_string_equal(m->report->subtypes[0], "標的型攻撃");
	assert_string_equal(m->report->contact->name, S_CNAME);
	assert_memory_equal(m->report->attachments[0]->data.data, "hello", 5);
	message_free(m);
	free(buf);
	message_free(NULL);
}

static void
test_valid_receipts(void **state)
{
	struct tmsg t;
	static char by[] = "宮崎 花子", subj[] = "131083";

	(void)state;
	tmsg_init(&t);
	tmsg_receipt(&t);
	expect_valid(&t.m);
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED;
	expect_invalid(&t.m, "receipt.by: empty");
	t.rc.by = by;
	expect_valid(&t.m);
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__REJECTED;
	t.rc.subject = subj;
	expect_valid(&t.m);
}

static void
test_id_and_sender(void **state)
{
	struct tmsg t;
	static char bad[] = "452018", empty[] = "";

	(void)state;
	tmsg_init(&t);
	t.m.id.len = 15;
	expect_invalid(&t.m, "id: must be 16 bytes, got 15");
	t.m.id.len = 0;
	expect_invalid(&t.m, "id: must be 16 bytes, got 0");
	tmsg_init(&t);
	t.m.sender = bad;
	expect_invalid(&t.m, "sender: 452018: bad check digit 8, expected 7 (452017)");
	t.m.sender = empty;
	expect_invalid(&t.m, "sender: empty");
}

static void
test_recipients(void **state)
{
	struct tmsg t;
	static char bad[] = "45201", dup[] = "450006", self[] = "452017";
	static char upper[] = "MIC";
	char **many;
	size_t i;

	(void)state;
	tmsg_init(&t);
	t.m.n_recipients = 0;
	expect_invalid(&t.m, "recipients: empty");

	tmsg_init(&t);
	t.recips[1] = bad;
	expect_invalid(&t.m, "recipients[1]: code \"45201\" does not have 6");
	t.recips[1] = upper;
	expect_invalid(&t.m, "recipients[1]:");

	tmsg_init(&t);
	t.recips[2] = dup;	/* recipients[0] is 450006 too */
	expect_invalid(&t.m, "recipients[2]: duplicate 450006");

	tmsg_init(&t);
	t.recips[3] = dup;
	t.m.n_recipients = 4;
	expect_invalid(&t.m, "recipients[3]: duplicate 450006");

	tmsg_init(&t);
	t.recips[1] = self;
	expect_invalid(&t.m, "recipients[1]: the sender itself");

	/* 4096 distinct recipients are fine, 4097 are not */
	many = calloc(4097, sizeof(*many));
	assert_non_null(many);
	for (i = 0; i < 4097; i++) {
		many[i] = malloc(16);
		snprintf(many[i], 16, "r%zu", i);
	}
	tmsg_init(&t);
	t.m.recipients = many;
	t.m.n_recipients = 4096;
	expect_valid(&t.m);
	t.m.n_recipients = 4097;
	expect_invalid(&t.m, "recipients: 4097 entries, at most 4096");
	/* a duplicate far apart is still found */
	strcpy(many[4000], "r17");
	t.m.n_recipients = 4096;
	expect_invalid(&t.m, "recipients[4000]: duplicate r17");
	for (i = 0; i < 4097; i++)
		free(many[i]);
	free(many);
}

static void
test_time_status_body(void **state)
{
	struct tmsg t;

	(void)state;
	tmsg_init(&t);
	t.m.created_at_ms = 0;
	expect_invalid(&t.m, "created_at_ms: must be > 0");
	t.m.created_at_ms = -5;
	expect_invalid(&t.m, "created_at_ms");

	tmsg_init(&t);
	t.m.status = KAIRAN__V1__STATUS__ACTUAL;
	expect_valid(&t.m);
	t.m.status = KAIRAN__V1__STATUS__TEST;
	expect_valid(&t.m);
	t.m.status = (Kairan__V1__Status)3;
	expect_invalid(&t.m, "status: must be 0..2, got 3");
	t.m.status = (Kairan__V1__Status)-1;
	expect_invalid(&t.m, "status:");

	tmsg_init(&t);
	t.m.body_case = KAIRAN__V1__MESSAGE__BODY__NOT_SET;
	expect_invalid(&t.m, "body:");
}

static void
test_report_fields(void **state)
{
	struct tmsg t;
	unsigned lv;

	(void)state;
	tmsg_init(&t);
	t.r.incident_id.len = 0;
	expect_invalid(&t.m, "report.incident_id: must be 16 bytes");
	tmsg_init(&t);
	t.r.report_no = 0;
	expect_invalid(&t.m, "report.report_no: must be >= 1");
	tmsg_init(&t);
	t.r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__PHASE_UNSPECIFIED;
	expect_invalid(&t.m, "report.phase: must be 1..5, got 0");
	t.r.phase = (Kairan__V1__IncidentReport__Phase)6;
	expect_invalid(&t.m, "report.phase: must be 1..5, got 6");
	t.r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL;
	expect_valid(&t.m);
	tmsg_init(&t);
	t.r.category = (Kairan__V1__IncidentReport__Category)5;
	expect_invalid(&t.m, "report.category: must be 1..4, got 5");
	t.r.category = (Kairan__V1__IncidentReport__Category)0;
	expect_invalid(&t.m, "report.category");
	tmsg_init(&t);
	t.r.is_incident = (Kairan__V1__IncidentReport__Determination)3;
	expect_invalid(&t.m, "report.is_incident: must be 0..2, got 3");
	tmsg_init(&t);
	for (lv = 0; lv <= 3; lv++) {
		t.r.level = lv;
		expect_valid(&t.m);
	}
	t.r.level = 4;
	expect_invalid(&t.m, "report.level: must be 0..3, got 4");
	t.r.level = 7;
	expect_invalid(&t.m, "report.level: must be 0..3, got 7");
	tmsg_init(&t);
	t.r.occurred_at_ms = -1;
	expect_invalid(&t.m, "report.occurred_at_ms");
	tmsg_init(&t);
	t.r.discovered_at_ms = -1;
	expect_invalid(&t.m, "report.discovered_at_ms");
	tmsg_init(&t);
	t.r.proxy_logs_checked_at_ms = -1;
	expect_invalid(&t.m, "report.proxy_logs_checked_at_ms: negative");
	tmsg_init(&t);
	t.r.proxy_logs_checked_at_ms = 1795324200000LL;
	expect_valid(&t.m);
	tmsg_init(&t);
	t.r.contact = NULL;		/* optional */
	expect_valid(&t.m);
}

static void
test_string_limits(void **state)
{
	struct tmsg t;
	char *s;
	char *list[65];
	static char item[] = "x", empty[] = "";
	size_t i;

	(void)state;
	s = malloc(KAIRAN_MAX_TEXT + 2);
	assert_non_null(s);
	/* short: 256 bytes fine, 257 not */
	tmsg_init(&t);
	memset(s, 'a', KAIRAN_MAX_SHORT);
	s[KAIRAN_MAX_SHORT] = '\0';
	t.r.title = s;
	expect_valid(&t.m);
	s[KAIRAN_MAX_SHORT] = 'a';
	s[KAIRAN_MAX_SHORT + 1] = '\0';
	expect_invalid(&t.m, "report.title: 257 bytes, at most 256");
	t.c.phone = s;
	t.r.title = S_TITLE;
	expect_invalid(&t.m, "report.contact.phone: 257 bytes");
	/* text: 65536 fine, 65537 not */
	tmsg_init(&t);
	memset(s, 'a', KAIRAN_MAX_TEXT);
	s[KAIRAN_MAX_TEXT] = '\0';
	t.r.summary = s;
	expect_valid(&t.m);
	s[KAIRAN_MAX_TEXT] = 'a';
	s[KAIRAN_MAX_TEXT + 1] = '\0';
	expect_invalid(&t.m, "report.summary: 65537 bytes, at most 65536");
	t.r.summary = S_SUMMARY;
	t.r.damage = s;
	expect_invalid(&t.m, "report.damage: 65537 bytes");
	free(s);
	/* lists: 64 entries fine, 65 not; no empty entries */
	tmsg_init(&t);
	for (i = 0; i < 65; i++)
		list[i] = item;
	t.r.affected_services = list;
	t.r.n_affected_services = 64;
	expect_valid(&t.m);
	t.r.n_affected_services = 65;
	expect_invalid(&t.m, "report.affected_services: 65 entries, at most 64");
	t.r.n_affected_services = 3;
	list[2] = empty;
	expect_invalid(&t.m, "report.affected_services[2]: empty");
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(message_utf8_valid("", 0));
	assert_true(message_utf8_valid("ascii", 5));
	assert_true(message_utf8_valid("宮崎市", strlen("宮崎市")));
	assert_true(message_utf8_valid("\xc2\x80", 2));		/* U+0080 */
	assert_true(message_utf8_valid("\xef\xbf\xbf", 3));	/* U+FFFF */
	assert_true(message_utf8_valid("\xf0\x9f\x93\xa8", 4));	/* emoji */
	assert_true(message_utf8_valid("\xf4\x8f\xbf\xbf", 4));	/* U+10FFFF */
	/* overlongs */
	assert_false(message_utf8_valid("\xc0\xaf", 2));
	assert_false(message_utf8_valid("\xc1\xbf", 2));
	assert_false(message_utf8_valid("\xe0\x80\xaf", 3));
	assert_false(message_utf8_valid("\xe0\x9f\xbf", 3));
	assert_false(message_utf8_valid("\xf0\x80\x80\xaf", 4));
	assert_false(message_utf8_valid("\xf0\x8f\xbf\xbf", 4));
	/* surrogates */
	assert_false(message_utf8_valid("\xed\xa0\x80", 3));	/* U+D800 */
	assert_false(message_utf8_valid("\xed\xbf\xbf", 3));	/* U+DFFF */
	assert_true(message_utf8_valid("\xed\x9f\xbf", 3));	/* U+D7FF */
	/* above U+10FFFF */
	assert_false(message_utf8_valid("\xf4\x90\x80\x80", 4));
	assert_false(message_utf8_valid("\xf5\x80\x80\x80", 4));
	assert_false(message_utf8_valid("\xff", 1));
	/* truncated sequences */
	assert_false(message_utf8_valid("\xe5\xae", 2));
	assert_false(message_utf8_valid("a\xe5", 2));
	assert_false(message_utf8_valid("\xf0\x9f\x93", 3));
	/* stray continuation, bad continuation */
	assert_false(message_utf8_valid("\x80", 1));
	assert_false(message_utf8_valid("\xe5\x41\x41", 3));
	/* NUL */
	assert_false(message_utf8_valid("a\0b", 3));
}

static void
test_invalid_utf8_fields(void **state)
{
	struct tmsg t;
	static char overlong[] = "a\xc0\xafz", surrogate[] = "\xed\xa0\x80";
	static char trunc[] = "宮\xe5\xae", big[] = "\xf4\x90\x80\x80";

	(void)state;
	tmsg_init(&t);
	t.r.summary = overlong;
	expect_invalid(&t.m, "report.summary: invalid UTF-8 at byte 1");
	tmsg_init(&t);
	t.r.location = surrogate;
	expect_invalid(&t.m, "report.location: invalid UTF-8 at byte 0");
	tmsg_init(&t);
	t.subtypes[1] = trunc;
	expect_invalid(&t.m, "report.subtypes[1]: invalid UTF-8 at byte 3");
	tmsg_init(&t);
	t.c.hours = big;
	expect_invalid(&t.m, "report.contact.hours: invalid UTF-8");
	tmsg_init(&t);
	tmsg_receipt(&t);
	t.rc.note = overlong;
	expect_invalid(&t.m, "receipt.note: invalid UTF-8");
}

/*
 * One character of every class the protocol refuses, as it stands in a
 * string ("ab" before it, so the offset is 2), with the error it must give.
 */
static const struct {
	const char	*s;
	const char	*want;		/* after "FIELD: " */
} refused[] = {
	{ "ab\x1b[2J", "control character U+001B at byte 2" },	/* ESC: CSI */
	{ "ab\x07", "control character U+0007 at byte 2" },	/* BEL */
	{ "ab\r", "control character U+000D at byte 2" },	/* CR */
	{ "ab\x1f", "control character U+001F at byte 2" },
	{ "ab\x7f", "control character U+007F at byte 2" },	/* DEL */
	{ "ab\xc2\x80", "control character U+0080 at byte 2" },	/* C1 */
	{ "ab\xc2\x9b" "2J", "control character U+009B at byte 2" },	/* CSI */
	{ "ab\xc2\x9d", "control character U+009D at byte 2" },	/* OSC */
	{ "ab\xc2\x9f", "control character U+009F at byte 2" },
	{ "ab\xe2\x80\xaa", "bidi override U+202A at byte 2" },
	{ "ab\xe2\x80\xae", "bidi override U+202E at byte 2" },	/* RLO */
	{ "ab\xe2\x81\xa6", "bidi override U+2066 at byte 2" },
	{ "ab\xe2\x81\xa9", "bidi override U+2069 at byte 2" },
};

/*
 * Puts every refused character into *slot (field `field` of t's message)
 * and expects the error naming field and character; \n and \t are refused
 * too unless the field is a long text. Restores *slot.
 */
static void
expect_chars_refused(struct tmsg *t, char **slot, const char *field,
    int text)
{
	char *saved = *slot, want[256], s[32];
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(s, sizeof(s), "%s", refused[i].s);
		*slot = s;
		snprintf(want, sizeof(want), "%s: %s", field, refused[i].want);
		expect_invalid(&t->m, want);
	}
	snprintf(s, sizeof(s), "line 1\nline 2\tend");
	*slot = s;
	if (text)
		expect_valid(&t->m);
	else {
		snprintf(want, sizeof(want), "%s: control character U+000A at "
		    "byte 6", field);
		expect_invalid(&t->m, want);
		snprintf(s, sizeof(s), "tab\there");
		snprintf(want, sizeof(want), "%s: control character U+0009 at "
		    "byte 3", field);
		expect_invalid(&t->m, want);
	}
	*slot = saved;
	expect_valid(&t->m);
}

static void
test_control_characters(void **state)
{
	struct tmsg t;
	static char *list[2];
	static char item[] = "x";

	(void)state;
	/* short strings: names, titles, phones, list entries */
	tmsg_init(&t);
	expect_chars_refused(&t, &t.r.title, "report.title", 0);
	expect_chars_refused(&t, &t.c.name, "report.contact.name", 0);
	expect_chars_refused(&t, &t.c.organization,
	    "report.contact.organization", 0);
	expect_chars_refused(&t, &t.c.phone, "report.contact.phone", 0);
	expect_chars_refused(&t, &t.c.after_hours_phone,
	    "report.contact.after_hours_phone", 0);
	expect_chars_refused(&t, &t.c.fax, "report.contact.fax", 0);
	expect_chars_refused(&t, &t.c.email, "report.contact.email", 0);
	expect_chars_refused(&t, &t.c.hours, "report.contact.hours", 0);
	expect_chars_refused(&t, &t.subtypes[1], "report.subtypes[1]", 0);
	list[0] = item;
	list[1] = item;
	t.r.affected_services = list;
	t.r.n_affected_services = 2;
	expect_chars_refused(&t, &list[1], "report.affected_services[1]", 0);
	t.r.affected_services = NULL;
	t.r.n_affected_services = 0;
	t.r.affected_systems = list;
	t.r.n_affected_systems = 2;
	expect_chars_refused(&t, &list[0], "report.affected_systems[0]", 0);
	t.r.affected_systems = NULL;
	t.r.n_affected_systems = 0;
	expect_chars_refused(&t, &t.a.name, "report.attachments[0].name", 0);
	expect_chars_refused(&t, &t.a.media_type,
	    "report.attachments[0].media_type", 0);
	/* sender and recipients: refused for the character, not the syntax */
	expect_chars_refused(&t, &t.m.sender, "sender", 0);
	expect_chars_refused(&t, &t.recips[2], "recipients[2]", 0);
	/* long texts: \n and \t are fine, the rest is not */
	expect_chars_refused(&t, &t.r.summary, "report.summary", 1);
	expect_chars_refused(&t, &t.r.location, "report.location", 1);
	expect_chars_refused(&t, &t.r.cause, "report.cause", 1);
	expect_chars_refused(&t, &t.r.damage, "report.damage", 1);
	expect_chars_refused(&t, &t.r.response, "report.response", 1);
	expect_chars_refused(&t, &t.r.prevention, "report.prevention", 1);
	expect_chars_refused(&t, &t.r.external_response,
	    "report.external_response", 1);
	expect_chars_refused(&t, &t.r.other, "report.other", 1);
	/* receipts: by is short, note a text, subject an entity id */
	tmsg_init(&t);
	tmsg_receipt(&t);
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED;
	t.rc.by = S_CNAME;
	expect_chars_refused(&t, &t.rc.by, "receipt.by", 0);
	expect_chars_refused(&t, &t.rc.note, "receipt.note", 1);
	expect_chars_refused(&t, &t.rc.subject, "receipt.subject", 0);
}

/* The 報告様式1 fields of issue 11, every one set, in caller storage. */
struct tform {
	Kairan__V1__Author		au;
	Kairan__V1__Detection		de;
	Kairan__V1__Recovery		rv;
	Kairan__V1__ExternalChannel	ch[4];
	Kairan__V1__Publication		pu;
};

static char F_ROLE[] = "統括情報セキュリティ責任者（CSIRT責任者）";
static char F_NAME[] = "日向 一郎";
static char F_TEXT[] = "一行目\n二行目";

static void
tform_init(struct tmsg *t, struct tform *f)
{
	size_t i;

	kairan__v1__author__init(&f->au);
	kairan__v1__detection__init(&f->de);
	kairan__v1__recovery__init(&f->rv);
	kairan__v1__publication__init(&f->pu);
	f->au.name = F_NAME;
	f->au.role = F_ROLE;
	f->de.method = KAIRAN__V1__DETECTION__METHOD__NOTIFIED;
	f->de.by = F_NAME;
	f->de.detail = F_TEXT;
	f->rv.measures = F_TEXT;
	f->rv.status = F_TEXT;
	f->rv.outlook = F_TEXT;
	f->rv.cost_yen = 1650000;
	f->rv.cost_known = 1;
	for (i = 0; i < 4; i++) {
		kairan__v1__external_channel__init(&f->ch[i]);
		f->ch[i].state = KAIRAN__V1__EXTERNAL_CHANNEL__STATE__DONE;
		f->ch[i].at_ms = 1795307400000LL;
		f->ch[i].note = F_TEXT;
	}
	f->pu.decision = KAIRAN__V1__PUBLICATION__DECISION__PUBLISH;
	f->pu.approved_by = F_NAME;
	t->r.author = &f->au;
	t->r.detection = &f->de;
	t->r.recovery = &f->rv;
	t->r.press_release = &f->ch[0];
	t->r.residents = &f->ch[1];
	t->r.government = &f->ch[2];
	t->r.agencies = &f->ch[3];
	t->r.publication = &f->pu;
	t->r.service_overview = F_TEXT;
	t->r.service_impact = F_TEXT;
	t->r.system_overview = F_TEXT;
	t->r.suspected_act = F_TEXT;
	t->r.damage_scale = F_TEXT;
	t->r.leaked_info = F_TEXT;
	t->r.initial_response = F_TEXT;
}

/* Each new field: valid set or absent; its enum, time, limit and characters. */
static void
test_form_fields(void **state)
{
	static const char *chan[] = {
		"report.press_release", "report.residents", "report.government",
		"report.agencies"
	};
	struct tmsg t;
	struct tform f;
	char name[64], *s;
	size_t i;

	(void)state;
	tmsg_init(&t);
	expect_valid(&t.m);		/* none of them: an older report */
	tform_init(&t, &f);
	expect_valid(&t.m);
	/* enums */
	f.de.method = (Kairan__V1__Detection__Method)4;
	expect_invalid(&t.m, "report.detection.method: must be 0..3, got 4");
	f.de.method = KAIRAN__V1__DETECTION__METHOD__METHOD_UNSPECIFIED;
	expect_valid(&t.m);
	f.pu.decision = (Kairan__V1__Publication__Decision)3;
	expect_invalid(&t.m, "report.publication.decision: must be 0..2, "
	    "got 3");
	f.pu.decision = KAIRAN__V1__PUBLICATION__DECISION__NO_PUBLISH;
	for (i = 0; i < 4; i++) {
		f.ch[i].state = (Kairan__V1__ExternalChannel__State)4;
		snprintf(name, sizeof(name), "%s.state: must be 0..3, got 4",
		    chan[i]);
		expect_invalid(&t.m, name);
		f.ch[i].state = KAIRAN__V1__EXTERNAL_CHANNEL__STATE__NOT_NEEDED;
		f.ch[i].at_ms = -1;
		snprintf(name, sizeof(name), "%s.at_ms: negative", chan[i]);
		expect_invalid(&t.m, name);
		f.ch[i].at_ms = 0;
		expect_valid(&t.m);
	}
	/* the amount: 0 円 is an amount when known; never one without it */
	f.rv.cost_yen = 0;
	expect_valid(&t.m);
	f.rv.cost_known = 0;
	expect_valid(&t.m);
	f.rv.cost_yen = 5;
	expect_invalid(&t.m, "report.recovery.cost_yen: set without "
	    "cost_known");
	f.rv.cost_known = 1;
	f.rv.cost_yen = (uint64_t)INT64_MAX + 1;
	expect_invalid(&t.m, "report.recovery.cost_yen: at most");
	f.rv.cost_yen = 1;
	expect_valid(&t.m);
	/* limits: short 256 bytes, text 64 KiB */
	s = malloc(KAIRAN_MAX_TEXT + 2);
	assert_non_null(s);
	memset(s, 'a', KAIRAN_MAX_SHORT + 1);
	s[KAIRAN_MAX_SHORT + 1] = '\0';
	f.au.role = s;
	expect_invalid(&t.m, "report.author.role: 257 bytes, at most 256");
	f.au.role = F_ROLE;
	f.pu.approved_by = s;
	expect_invalid(&t.m, "report.publication.approved_by: 257 bytes");
	f.pu.approved_by = F_NAME;
	f.de.by = s;
	expect_invalid(&t.m, "report.detection.by: 257 bytes");
	f.de.by = F_NAME;
	memset(s, 'a', KAIRAN_MAX_TEXT + 1);
	s[KAIRAN_MAX_TEXT + 1] = '\0';
	t.r.leaked_info = s;
	expect_invalid(&t.m, "report.leaked_info: 65537 bytes, at most 65536");
	t.r.leaked_info = F_TEXT;
	f.rv.outlook = s;
	expect_invalid(&t.m, "report.recovery.outlook: 65537 bytes");
	f.rv.outlook = F_TEXT;
	f.ch[2].note = s;
	expect_invalid(&t.m, "report.government.note: 65537 bytes");
	f.ch[2].note = F_TEXT;
	s[KAIRAN_MAX_TEXT] = '\0';
	t.r.initial_response = s;
	expect_valid(&t.m);
	t.r.initial_response = F_TEXT;
	free(s);
	/* characters: short strings one line, texts keep \n and \t */
	expect_chars_refused(&t, &f.au.name, "report.author.name", 0);
	expect_chars_refused(&t, &f.au.role, "report.author.role", 0);
	expect_chars_refused(&t, &f.de.by, "report.detection.by", 0);
	expect_chars_refused(&t, &f.de.detail, "report.detection.detail", 1);
	expect_chars_refused(&t, &t.r.service_overview,
	    "report.service_overview", 1);
	expect_chars_refused(&t, &t.r.service_impact,
	    "report.service_impact", 1);
	expect_chars_refused(&t, &t.r.system_overview,
	    "report.system_overview", 1);
	expect_chars_refused(&t, &t.r.suspected_act, "report.suspected_act",
	    1);
	expect_chars_refused(&t, &t.r.damage_scale, "report.damage_scale", 1);
	expect_chars_refused(&t, &t.r.leaked_info, "report.leaked_info", 1);
	expect_chars_refused(&t, &t.r.initial_response,
	    "report.initial_response", 1);
	expect_chars_refused(&t, &f.rv.measures, "report.recovery.measures",
	    1);
	expect_chars_refused(&t, &f.rv.status, "report.recovery.status", 1);
	expect_chars_refused(&t, &f.rv.outlook, "report.recovery.outlook", 1);
	expect_chars_refused(&t, &f.ch[0].note, "report.press_release.note",
	    1);
	expect_chars_refused(&t, &f.ch[1].note, "report.residents.note", 1);
	expect_chars_refused(&t, &f.ch[2].note, "report.government.note", 1);
	expect_chars_refused(&t, &f.ch[3].note, "report.agencies.note", 1);
	expect_chars_refused(&t, &f.pu.approved_by,
	    "report.publication.approved_by", 0);
}

/* Through the wire: every new field survives encode and decode. */
static void
test_form_fields_wire(void **state)
{
	struct tmsg t;
	struct tform f;
	uint8_t *buf;
	size_t len;
	Message *m;
	char err[256];

	(void)state;
	tmsg_init(&t);
	tform_init(&t, &f);
	assert_int_equal(message_encode(&t.m, &buf, &len), 0);
	m = message_decode(buf, len, err, sizeof(err));
	if (m == NULL)
		fail_msg("%s", err);
	assert_string_equal(m->report->author->role, F_ROLE);
	assert_int_equal(m->report->detection->method,
	    KAIRAN__V1__DETECTION__METHOD__NOTIFIED);
	assert_true(m->report->recovery->cost_known);
	assert_int_equal(m->report->recovery->cost_yen, 1650000);
	assert_int_equal(m->report->agencies->state,
	    KAIRAN__V1__EXTERNAL_CHANNEL__STATE__DONE);
	assert_int_equal(m->report->government->at_ms, 1795307400000LL);
	assert_int_equal(m->report->publication->decision,
	    KAIRAN__V1__PUBLICATION__DECISION__PUBLISH);
	assert_string_equal(m->report->leaked_info, F_TEXT);
	message_free(m);
	free(buf);
}

/* Next to the refused ones: what is still allowed, and the exact offsets. */
static void
test_control_character_edges(void **state)
{
	struct tmsg t;
	static char ok[] = "a b\xc2\xa0" "c\xe2\x80\xaf" "d\xe2\x81\xa5"
	    "e\xe2\x80\xa9" "宮崎市～①";		/* U+00A0, U+202F, U+2065 */
	static char late[] = "宮崎市の職員端末\xe2\x80\xae";
	static char first[] = "\x1b]0;title\x07";
	static char summary[] = "第1報\n\n1. 概要\n\t端末が感染。\n";
	char err[256];

	(void)state;
	tmsg_init(&t);
	t.r.title = ok;
	expect_valid(&t.m);
	t.r.title = first;
	expect_invalid(&t.m, "report.title: control character U+001B at "
	    "byte 0");
	t.r.title = S_TITLE;
	t.r.summary = late;	/* 8 characters of 3 bytes each before it */
	expect_invalid(&t.m, "report.summary: bidi override U+202E at byte 24");
	t.r.summary = summary;
	expect_valid(&t.m);
	/* the function itself, on a length with a NUL inside */
	assert_int_equal(message_check_chars("f", "a\0b", 3, 0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "f: control character U+0000 at byte 1");
	assert_int_equal(message_check_chars("f", "a\0b", 3,
	    MESSAGE_TEXT_MULTILINE, err, sizeof(err)), -1);
	assert_int_equal(message_check_chars("f", "a\xc0\xaf", 3, 0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "f: invalid UTF-8 at byte 1");
	assert_int_equal(message_check_chars("f", NULL, 0, 0, err,
	    sizeof(err)), 0);
}

/* The rule holds for what arrives on the wire, with INVALID_FIELD. */
static void
test_control_characters_decoded(void **state)
{
	struct tmsg t;
	static char esc[] = "\x1b[2J【訂正】本件は誤報です";
	uint8_t *buf;
	size_t len;
	int reason = 0;
	char err[256];

	(void)state;
	tmsg_init(&t);
	t.r.summary = esc;
	assert_int_equal(message_encode(&t.m, &buf, &len), 0);
	assert_null(message_decode_reason(buf, len, &reason, err,
	    sizeof(err)));
	assert_int_equal(reason, REASON(INVALID_FIELD));
	assert_string_equal(err, "report.summary: control character U+001B "
	    "at byte 0");
	free(buf);
}

/* A NUL inside a string on the wire is refused, not silently truncated. */
static void
test_embedded_nul_on_wire(void **state)
{
	struct tmsg t;
	static char marker[] = "NULHERE";
	uint8_t *buf, *p;
	size_t len;
	char err[256];
	int reason;

	(void)state;
	tmsg_init(&t);
	t.r.cause = marker;
	assert_int_equal(message_encode(&t.m, &buf, &len), 0);
	p = memmem(buf, len, "NULHERE", 7);
	assert_non_null(p);
	p[3] = '\0';
	assert_null(message_decode_reason(buf, len, &reason, err,
	    sizeof(err)));
	assert_int_equal(reason, REASON(INVALID_FIELD));
	assert_non_null(strstr(err, "report.cause: embedded NUL"));
	free(buf);
}

static void
test_attachments(void **state)
{
	struct tmsg t;
	uint8_t *big;
	uint8_t sha[32];
	static char empty[] = "";

	(void)state;
	tmsg_init(&t);
	t.sha[0] ^= 1;
	expect_invalid(&t.m, "report.attachments[0].sha256: does not match");
	tmsg_init(&t);
	t.a.sha256.len = 31;
	expect_invalid(&t.m, "report.attachments[0].sha256: must be 32 bytes");
	tmsg_init(&t);
	t.a.name = empty;
	expect_invalid(&t.m, "report.attachments[0].name: empty");
	tmsg_init(&t);
	big = calloc(1, 256 * 1024 + 1);
	assert_non_null(big);
	SHA256(big, 256 * 1024, sha);
	t.a.data.data = big;
	t.a.data.len = 256 * 1024;
	t.a.sha256.data = sha;
	expect_valid(&t.m);
	SHA256(big, 256 * 1024 + 1, sha);
	t.a.data.len = 256 * 1024 + 1;
	expect_invalid(&t.m, "report.attachments[0].data: 262145 bytes");
	free(big);
}

static void
test_receipt_fields(void **state)
{
	struct tmsg t;
	static char badsubj[] = "452018", h1[] = "462012", h2[] = "mic";
	char *held[] = { h1, h2, badsubj };

	(void)state;
	tmsg_init(&t);
	tmsg_receipt(&t);
	t.rc.ref_id.len = 15;
	expect_invalid(&t.m, "receipt.ref_id: must be 16 bytes, got 15");
	tmsg_init(&t);
	tmsg_receipt(&t);
	t.rc.ref_digest.len = 31;
	expect_invalid(&t.m, "receipt.ref_digest: must be 32 bytes, got 31");
	tmsg_init(&t);
	tmsg_receipt(&t);
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__STATE_UNSPECIFIED;
	expect_invalid(&t.m, "receipt.state: must be 1..7, got 0");
	t.rc.state = (Kairan__V1__Receipt__State)8;
	expect_invalid(&t.m, "receipt.state: must be 1..7, got 8");
	/* MAILED names the recipient mailed (PROTOCOL.md §7.6) */
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__MAILED;
	expect_invalid(&t.m, "receipt.subject: a MAILED receipt names the "
	    "recipient the report was mailed to");
	t.rc.subject = h1;
	expect_valid(&t.m);
	assert_string_equal(message_receipt_state_name(t.rc.state), "MAILED");
	t.rc.subject = NULL;
	/* OVERDUE names the recipient concerned */
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__OVERDUE;
	expect_invalid(&t.m, "receipt.subject: an OVERDUE receipt names the "
	    "recipient");
	t.rc.subject = h1;
	expect_valid(&t.m);
	t.rc.subject = NULL;
	/* QUEUED names the recipients held, and only QUEUED does */
	tmsg_init(&t);
	tmsg_receipt(&t);
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__QUEUED;
	expect_invalid(&t.m, "receipt.held: a QUEUED receipt names 1..4096 "
	    "recipients, got 0");
	t.rc.held = held;
	t.rc.n_held = 2;
	expect_valid(&t.m);
	t.rc.n_held = 3;
	expect_invalid(&t.m, "receipt.held[2]: 452018: bad check digit");
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__DELIVERED;
	t.rc.n_held = 1;
	expect_invalid(&t.m, "receipt.held: only a QUEUED receipt names held "
	    "recipients");
	tmsg_init(&t);
	tmsg_receipt(&t);
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__REJECTED;
	t.rc.subject = badsubj;
	expect_invalid(&t.m, "receipt.subject: 452018: bad check digit 8, expected 7 (452017)");
}

/* A batched QUEUED (Receipt.more, PROTOCOL.md §7.4): only QUEUED, bounded,
 * each part with its id, digest and held list, no message twice. */
static void
test_receipt_more(void **state)
{
	struct tmsg t;
	static char h1[] = "462012", bad[] = "452018";
	char *held[] = { h1 }, *badheld[] = { bad };
	uint8_t ids[3][KAIRAN_ID_LEN], dig[KAIRAN_DIGEST_LEN];
	Kairan__V1__HeldRef refs[3], *more[KAIRAN_MAX_QUEUED_BATCH];
	size_t i;

	(void)state;
	memset(dig, 0x55, sizeof(dig));
	for (i = 0; i < 3; i++) {
		memset(ids[i], 0x60 + (int)i, KAIRAN_ID_LEN);
		kairan__v1__held_ref__init(&refs[i]);
		refs[i].ref_id.data = ids[i];
		refs[i].ref_id.len = KAIRAN_ID_LEN;
		refs[i].ref_digest.data = dig;
		refs[i].ref_digest.len = KAIRAN_DIGEST_LEN;
		refs[i].held = held;
		refs[i].n_held = 1;
		more[i] = &refs[i];
	}
	tmsg_init(&t);
	tmsg_receipt(&t);
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__QUEUED;
	t.rc.held = held;
	t.rc.n_held = 1;
	t.rc.more = more;
	t.rc.n_more = 3;
	expect_valid(&t.m);
	/* only a QUEUED names further messages */
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__DELIVERED;
	t.rc.n_held = 0;
	expect_invalid(&t.m, "receipt.more: only a QUEUED receipt names "
	    "further messages");
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__QUEUED;
	t.rc.n_held = 1;
	refs[1].ref_id.len = 15;
	expect_invalid(&t.m, "receipt.more[1].ref_id: must be 16 bytes, got 15");
	refs[1].ref_id.len = KAIRAN_ID_LEN;
	refs[2].ref_digest.len = 0;
	expect_invalid(&t.m, "receipt.more[2].ref_digest: must be 32 bytes, "
	    "got 0");
	refs[2].ref_digest.len = KAIRAN_DIGEST_LEN;
	refs[0].n_held = 0;
	expect_invalid(&t.m, "receipt.more[0].held: a QUEUED receipt names "
	    "1..4096 recipients, got 0");
	refs[0].held = badheld;
	refs[0].n_held = 1;
	expect_invalid(&t.m, "receipt.more[0].held[0]: 452018: bad check digit");
	refs[0].held = held;
	/* every message once: not the first again, not twice in more */
	memcpy(ids[1], t.ref, KAIRAN_ID_LEN);
	expect_invalid(&t.m, "receipt.more[1].ref_id: the receipt's own "
	    "ref_id again");
	memcpy(ids[1], ids[0], KAIRAN_ID_LEN);
	expect_invalid(&t.m, "receipt.more[1].ref_id: the same as "
	    "receipt.more[0]");
	memset(ids[1], 0x61, KAIRAN_ID_LEN);
	expect_valid(&t.m);
	/* at most KAIRAN_MAX_QUEUED_BATCH messages in all */
	for (i = 3; i < KAIRAN_MAX_QUEUED_BATCH; i++)
		more[i] = &refs[0];
	t.rc.n_more = KAIRAN_MAX_QUEUED_BATCH;
	expect_invalid(&t.m, "receipt.more: at most 255 further messages, "
	    "got 256");
}


/* Turns t into a valid advisory (注意喚起) from the prefecture. */
static char A_TITLE[] = "VPN装置の脆弱性に関する注意喚起";
static char A_SOURCE[] = "JPCERT/CC";
static char A_SUMMARY[] = "VPN装置の脆弱性を悪用する攻撃が確認されています。\n早急に対策を。";
static char A_REF0[] = "CVE-2024-21887";
static char A_REF1[] = "https://www.jpcert.or.jp/at/2024/at240002.html";
static char A_ACT0[] = "該当装置のファームウェアを更新する";

struct tadv {
	struct tmsg	 t;
	Advisory	 a;
	char		*refs[3];
	char		*acts[1];
};

static void
tadv_init(struct tadv *v)
{
	tmsg_init(&v->t);
	kairan__v1__advisory__init(&v->a);
	v->t.m.sender = S_R0;		/* 450006, the prefecture */
	v->t.recips[0] = S_SENDER;
	v->t.m.body_case = KAIRAN__V1__MESSAGE__BODY_ADVISORY;
	v->t.m.advisory = &v->a;
	v->a.kind = KAIRAN__V1__ADVISORY__KIND__ADVISORY;
	v->a.title = A_TITLE;
	v->a.source = A_SOURCE;
	v->a.summary = A_SUMMARY;
	v->refs[0] = A_REF0;
	v->refs[1] = A_REF1;
	v->a.references = v->refs;
	v->a.n_references = 2;
	v->acts[0] = A_ACT0;
	v->a.actions = v->acts;
	v->a.n_actions = 1;
	v->a.severity = KAIRAN__V1__ADVISORY__SEVERITY__HIGH;
}

static void
test_advisory_fields(void **state)
{
	struct tadv v;
	static char empty[] = "", esc[] = "件名\x1b[2J";
	static char *bad_refs[] = {
		"CVE-24-1234", "CVE-2024-123", "CVE-2024-12345x", "cve-2024-1234",
		"ftp://example.jp/x", "https://", "https://example.jp/a b",
		"https://例え.jp/", "javascript:alert(1)",
	};
	static char *good_refs[] = {
		"CVE-2024-1234", "CVE-2021-1234567", "http://jvn.jp/vu/JVNVU9",
		"https://jvn.jp/jp/JVN12345678/?a=1&b=%E3%81%82",
	};
	char buf[MESSAGE_MAX_URL + 16];
	size_t i;

	(void)state;
	tadv_init(&v);
	expect_valid(&v.t.m);
	v.a.kind = KAIRAN__V1__ADVISORY__KIND__INFORMATION;
	expect_valid(&v.t.m);
	v.a.kind = KAIRAN__V1__ADVISORY__KIND__KIND_UNSPECIFIED;
	expect_invalid(&v.t.m, "advisory.kind: must be 1..3, got 0");
	v.a.kind = (Kairan__V1__Advisory__Kind)4;
	expect_invalid(&v.t.m, "advisory.kind: must be 1..3, got 4");
	tadv_init(&v);
	v.a.severity = (Kairan__V1__Advisory__Severity)5;
	expect_invalid(&v.t.m, "advisory.severity: must be 0..4, got 5");
	tadv_init(&v);
	v.a.title = empty;
	expect_invalid(&v.t.m, "advisory.title: empty");
	v.a.title = esc;
	expect_invalid(&v.t.m, "advisory.title: control character U+001B");
	tadv_init(&v);
	v.a.summary = NULL;
	expect_invalid(&v.t.m, "advisory.summary: empty");
	tadv_init(&v);
	v.acts[0] = empty;
	expect_invalid(&v.t.m, "advisory.actions[0]: empty");
	tadv_init(&v);
	v.a.due_at_ms = -1;
	expect_invalid(&v.t.m, "advisory.due_at_ms: negative");
	for (i = 0; i < sizeof(bad_refs) / sizeof(bad_refs[0]); i++) {
		tadv_init(&v);
		v.refs[1] = bad_refs[i];
		expect_invalid(&v.t.m, "advisory.references[1]: ");
	}
	for (i = 0; i < sizeof(good_refs) / sizeof(good_refs[0]); i++) {
		tadv_init(&v);
		v.refs[1] = good_refs[i];
		expect_valid(&v.t.m);
	}
	tadv_init(&v);
	v.refs[0] = bad_refs[1];
	expect_invalid(&v.t.m, "advisory.references[0]: \"CVE-2024-123\" is "
	    "not a CVE id");
	v.refs[0] = bad_refs[4];
	expect_invalid(&v.t.m, "advisory.references[0]: expected a CVE id "
	    "(CVE-YYYY-NNNN) or an http:// or https:// URL");
	/* a URL is bounded */
	tadv_init(&v);
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	memcpy(buf, "https://", 8);
	buf[MESSAGE_MAX_URL] = '\0';
	v.refs[0] = buf;
	expect_valid(&v.t.m);
	buf[MESSAGE_MAX_URL] = 'a';
	buf[MESSAGE_MAX_URL + 1] = '\0';
	expect_invalid(&v.t.m, "advisory.references[0]: 2049 bytes, at most "
	    "2048");
	/* a request (要請) says by when and what */
	tadv_init(&v);
	v.a.kind = KAIRAN__V1__ADVISORY__KIND__REQUEST;
	expect_invalid(&v.t.m, "advisory.due_at_ms: a REQUEST (要請) says by "
	    "when; missing");
	v.a.due_at_ms = 1700100000000LL;
	expect_valid(&v.t.m);
	v.a.n_actions = 0;
	expect_invalid(&v.t.m, "advisory.actions: a REQUEST (要請) names the "
	    "measures asked for; empty");
	/* the body must be there */
	tadv_init(&v);
	v.t.m.advisory = NULL;
	expect_invalid(&v.t.m, "advisory: missing");
}

/* 対応済 (DONE): by and note set. */
static void
test_receipt_done(void **state)
{
	struct tmsg t;
	static char by[] = "宮崎 花子", note[] = "全装置を更新済み";

	(void)state;
	tmsg_init(&t);
	tmsg_receipt(&t);
	t.rc.state = KAIRAN__V1__RECEIPT__STATE__DONE;
	expect_invalid(&t.m, "receipt.by: empty");
	t.rc.by = by;
	expect_invalid(&t.m, "receipt.note: empty");
	t.rc.note = note;
	expect_valid(&t.m);
	assert_string_equal(message_receipt_state_name(t.rc.state), "DONE");
}

/* An advisory through the wire: encodes, decodes, NUL and unknown kinds refused. */
static void
test_advisory_wire(void **state)
{
	struct tadv v;
	Message *m;
	uint8_t *buf;
	size_t len, i;
	char err[256];

	(void)state;
	tadv_init(&v);
	assert_int_equal(message_encode(&v.t.m, &buf, &len), 0);
	m = message_decode(buf, len, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(m->body_case, KAIRAN__V1__MESSAGE__BODY_ADVISORY);
	assert_string_equal(m->advisory->title, A_TITLE);
	assert_string_equal(m->advisory->references[0], A_REF0);
	message_free(m);
	/* a NUL in the title's bytes: refused with its field's name */
	for (i = 0; i + 3 < len; i++)
		if (memcmp(buf + i, "VPN", 3) == 0)
			break;
	assert_true(i + 3 < len);
	buf[i + 1] = '\0';
	assert_null(message_decode(buf, len, err, sizeof(err)));
	assert_non_null(strstr(err, "advisory.title: embedded NUL"));
	free(buf);
	assert_string_equal(message_advisory_kind_name(3), "REQUEST");
	assert_string_equal(message_advisory_kind_label(1), "注意喚起");
	assert_string_equal(message_severity_name(4), "CRITICAL");
}

/* protobuf-c keeps enum numbers it does not know: they must be refused. */
static void
test_unknown_enum_on_wire(void **state)
{
	struct tmsg t;
	uint8_t *buf, *nbuf;
	size_t len;
	char err[256];
	int reason;
	Message *m;

	(void)state;
	tmsg_init(&t);
	assert_int_equal(message_encode(&t.m, &buf, &len), 0);
	/* Append status = 7 (field 5, varint): the last value wins. */
	nbuf = malloc(len + 2);
	memcpy(nbuf, buf, len);
	nbuf[len] = 5 << 3 | 0;
	nbuf[len + 1] = 7;
	m = message_decode_reason(nbuf, len + 2, &reason, err, sizeof(err));
	assert_null(m);
	assert_int_equal(reason, REASON(INVALID_FIELD));
	assert_non_null(strstr(err, "status: must be 0..2, got 7"));
	free(nbuf);
	free(buf);
}

static void
test_decode_garbage(void **state)
{
	struct tmsg t;
	uint8_t *buf;
	size_t len, i;
	char err[256];
	int reason;
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };

	(void)state;
	assert_null(message_decode_reason(junk, sizeof(junk), &reason, err,
	    sizeof(err)));
	assert_int_equal(reason, REASON(MALFORMED));
	assert_non_null(strstr(err, "not a valid protobuf Message"));
	/* the empty buffer is a valid empty protobuf, but no valid Message */
	assert_null(message_decode_reason((const uint8_t *)"", 0, &reason, err,
	    sizeof(err)));
	assert_int_equal(reason, REASON(INVALID_FIELD));
	assert_non_null(strstr(err, "id:"));
	/* every proper prefix of a valid message is refused */
	tmsg_init(&t);
	assert_int_equal(message_encode(&t.m, &buf, &len), 0);
	for (i = 0; i < len; i++)
		assert_null(message_decode(buf, i, err, sizeof(err)));
	free(buf);
}

static void
test_ids_and_hex(void **state)
{
	uint8_t a[16], b[16], c[16], zero[16] = { 0 };
	char hex[33];

	(void)state;
	assert_int_equal(message_id_new(a), 0);
	assert_int_equal(message_id_new(b), 0);
	assert_memory_not_equal(a, b, 16);
	assert_memory_not_equal(a, zero, 16);
	message_hex(a, 16, hex);
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(message_id_parse(hex, c), 0);
	assert_memory_equal(a, c, 16);
	assert_int_equal(message_id_parse("00112233445566778899AABBCCDDEEFF",
	    c), 0);
	message_hex(c, 16, hex);
	assert_string_equal(hex, "00112233445566778899aabbccddeeff");
	assert_int_equal(message_id_parse("00112233445566778899aabbccddeef",
	    c), -1);
	assert_int_equal(message_id_parse("00112233445566778899aabbccddeeff0",
	    c), -1);
	assert_int_equal(message_id_parse("g0112233445566778899aabbccddeeff",
	    c), -1);
	assert_int_equal(message_id_parse("", c), -1);
	assert_true(message_now_ms() > 1600000000000LL);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(message_status_name(1), "EXERCISE");
	assert_string_equal(message_status_name(0), "ACTUAL");
	assert_string_equal(message_status_name(9), "UNKNOWN");
	assert_string_equal(message_phase_name(3), "CLOSED");
	assert_string_equal(message_category_name(3), "THEFT_LOSS");
	assert_string_equal(message_receipt_state_name(2), "ACKNOWLEDGED");
	assert_string_equal(message_receipt_state_name(0), "UNKNOWN");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_report_japanese),
		cmocka_unit_test(test_valid_receipts),
		cmocka_unit_test(test_advisory_fields),
		cmocka_unit_test(test_advisory_wire),
		cmocka_unit_test(test_receipt_done),
		cmocka_unit_test(test_id_and_sender),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_time_status_body),
		cmocka_unit_test(test_report_fields),
		cmocka_unit_test(test_form_fields),
		cmocka_unit_test(test_form_fields_wire),
		cmocka_unit_test(test_string_limits),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_invalid_utf8_fields),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_control_character_edges),
		cmocka_unit_test(test_control_characters_decoded),
		cmocka_unit_test(test_embedded_nul_on_wire),
		cmocka_unit_test(test_attachments),
		cmocka_unit_test(test_receipt_fields),
		cmocka_unit_test(test_receipt_more),
		cmocka_unit_test(test_unknown_enum_on_wire),
		cmocka_unit_test(test_decode_garbage),
		cmocka_unit_test(test_ids_and_hex),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
