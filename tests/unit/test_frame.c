/*
 * Unit tests of frame: encoders, the size limit checked before parsing,
 * garbage, truncation, empty frames, frames with no kind, and the field
 * checks of every kind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/kairan.h"

#define REASON(x)	KAIRAN__V1__REFUSED__REASON__##x
#define HEAD		16

static const uint8_t ID[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
    14, 15, 16 };

/* Decodes buf and expects failure with reason and an error containing want. */
static void
expect_refused(const uint8_t *buf, size_t len, size_t max, int want_reason,
    const char *want)
{
	char err[512] = "";
	int reason = -1;
	Frame *f;

	f = frame_decode(buf, len, max, &reason, err, sizeof(err));
	if (f != NULL) {
		frame_free(f);
		fail_msg("frame unexpectedly accepted (want \"%s\")", want);
	}
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	assert_int_equal(reason, want_reason);
}

static Frame *
expect_ok(const uint8_t *buf, size_t len)
{
	char err[512] = "";
	Frame *f;

	f = frame_decode(buf, len, KAIRAN_MAX_FRAME, NULL, err, sizeof(err));
	if (f == NULL)
		fail_msg("frame unexpectedly refused: %s", err);
	return f;
}

/* Packs f with protobuf-c directly (to build frames the encoders won't). */
static uint8_t *
pack(const Frame *f, size_t *len)
{
	uint8_t *buf;

	*len = kairan__v1__frame__get_packed_size(f);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(kairan__v1__frame__pack(f, buf), *len);
	return buf;
}

static void
test_hello(void **state)
{
	uint8_t *buf;
	size_t len;
	Frame *f;

	(void)state;
	assert_int_equal(frame_encode_hello("452017", "kairan-node/0.1", 0, HEAD,
	    &buf, &len), 0);
	f = expect_ok(buf + HEAD, len);
	assert_int_equal(f->kind_case, KAIRAN__V1__FRAME__KIND_HELLO);
	assert_string_equal(f->hello->entity, "452017");
	assert_int_equal(f->hello->version, 1);
	assert_string_equal(f->hello->software, "kairan-node/0.1");
	assert_int_equal(f->hello->features, 0);
	frame_free(f);
	free(buf);
	/* the features travel; bits this side does not know are no error */
	assert_int_equal(frame_encode_hello("452017", "kairan-node/0.1",
	    KAIRAN_FEATURE_QUEUED_BATCH | 0x80000000u, 0, &buf, &len), 0);
	f = expect_ok(buf, len);
	assert_int_equal(f->hello->features,
	    KAIRAN_FEATURE_QUEUED_BATCH | 0x80000000u);
	frame_free(f);
	free(buf);
	frame_free(NULL);
}

static void
test_hello_bad_entity(void **state)
{
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(frame_encode_hello("452018", "x", 0, 0, &buf, &len), 0);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "hello.entity: 452018: bad check digit 8, expected 7 (452017)");
	free(buf);
	assert_int_equal(frame_encode_hello("", "x", 0, 0, &buf, &len), 0);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "hello.entity: empty");
	free(buf);
	assert_int_equal(frame_encode_hello("Relay-45", "x", 0, 0, &buf, &len),
	    0);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "hello.entity:");
	free(buf);
}

static void
test_hello_version(void **state)
{
	Frame f;
	Kairan__V1__Hello h;
	static char ent[] = "452017", sw[] = "x";
	uint8_t *buf;
	size_t len;

	(void)state;
	kairan__v1__frame__init(&f);
	kairan__v1__hello__init(&h);
	h.entity = ent;
	h.software = sw;
	h.version = 2;
	f.kind_case = KAIRAN__V1__FRAME__KIND_HELLO;
	f.hello = &h;
	buf = pack(&f, &len);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(VERSION),
	    "hello.version: 2 not supported");
	free(buf);
	h.version = 0;
	buf = pack(&f, &len);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(VERSION),
	    "hello.version");
	free(buf);
}

static void
test_hello_software(void **state)
{
	Frame f;
	Kairan__V1__Hello h;
	static char ent[] = "452017", badsw[] = "kairan\xc0\xaf";
	char longsw[KAIRAN_MAX_SHORT + 2];
	uint8_t *buf, *p;
	size_t len;

	(void)state;
	kairan__v1__frame__init(&f);
	kairan__v1__hello__init(&h);
	h.entity = ent;
	h.version = 1;
	h.software = badsw;
	f.kind_case = KAIRAN__V1__FRAME__KIND_HELLO;
	f.hello = &h;
	buf = pack(&f, &len);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "hello.software: invalid UTF-8");
	free(buf);
	memset(longsw, 'v', sizeof(longsw) - 1);
	longsw[sizeof(longsw) - 1] = '\0';
	h.software = longsw;
	buf = pack(&f, &len);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "hello.software: 257 bytes");
	free(buf);
	/* a NUL on the wire would hide the rest of the string */
	assert_int_equal(frame_encode_hello("452017", "abcdef", 0, 0, &buf, &len),
	    0);
	p = memmem(buf, len, "abcdef", 6);
	assert_non_null(p);
	p[2] = '\0';
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "hello.software: embedded NUL");
	free(buf);
}

/* A peer's strings end up in log lines: no control characters in them. */
static void
test_frame_control_characters(void **state)
{
	static const struct {
		int		 refused;	/* 0: in Hello.software */
		const char	*s, *want;
	} bad[] = {
		{ 0, "kairan-node/0.1\naccepted id=00",
		    "hello.software: control character U+000A at byte 15" },
		{ 0, "x\x1b[2J", "hello.software: control character U+001B "
		    "at byte 1" },
		{ 0, "a\tb", "hello.software: control character U+0009 at "
		    "byte 1" },		/* a short string: no tab either */
		{ 0, "ab\xe2\x80\xae", "hello.software: bidi override U+202E "
		    "at byte 2" },
		{ 1, "kairan-node/0.1\naccepted id=00",
		    "refused.detail: control character U+000A at byte 15" },
		{ 1, "\xc2\x9b", "refused.detail: control character U+009B at "
		    "byte 0" },
		{ 1, "a\x7f", "refused.detail: control character U+007F at "
		    "byte 1" },
		{ 1, "\xe2\x81\xa6x", "refused.detail: bidi override U+2066 at "
		    "byte 0" },
	};
	static char ent[] = "452017";
	Kairan__V1__Hello h;
	Kairan__V1__Refused r;
	char str[64];
	uint8_t *buf;
	size_t len, i;
	Frame f, *d;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(str, sizeof(str), "%s", bad[i].s);
		kairan__v1__frame__init(&f);
		if (bad[i].refused) {
			kairan__v1__refused__init(&r);
			r.reason = REASON(OVERLOADED);
			r.detail = str;
			f.kind_case = KAIRAN__V1__FRAME__KIND_REFUSED;
			f.refused = &r;
		} else {
			kairan__v1__hello__init(&h);
			h.entity = ent;
			h.version = 1;
			h.software = str;
			f.kind_case = KAIRAN__V1__FRAME__KIND_HELLO;
			f.hello = &h;
		}
		buf = pack(&f, &len);
		expect_refused(buf, len, KAIRAN_MAX_FRAME,
		    REASON(INVALID_FIELD), bad[i].want);
		free(buf);
	}

	/* our own encoder escapes them, so what we send always decodes */
	assert_int_equal(frame_encode_refused(ID, 16, REASON(INVALID_FIELD),
	    "report.title: \x1b[2J\nbad\xe2\x80\xae\xff", 0, &buf, &len), 0);
	d = expect_ok(buf, len);
	assert_string_equal(d->refused->detail,
	    "report.title: \\x1b[2J\\x0abad\\u202e\\xff");
	frame_free(d);
	free(buf);
}

static void
test_accepted(void **state)
{
	uint8_t *buf;
	size_t len;
	Frame *f;

	(void)state;
	assert_int_equal(frame_encode_accepted(ID, 16, HEAD, &buf, &len), 0);
	f = expect_ok(buf + HEAD, len);
	assert_int_equal(f->kind_case, KAIRAN__V1__FRAME__KIND_ACCEPTED);
	assert_int_equal(f->accepted->id.len, 16);
	assert_memory_equal(f->accepted->id.data, ID, 16);
	frame_free(f);
	free(buf);
	assert_int_equal(frame_encode_accepted(ID, 15, 0, &buf, &len), 0);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "accepted.id: must be 16 bytes, got 15");
	free(buf);
	assert_int_equal(frame_encode_accepted(ID, 0, 0, &buf, &len), 0);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "accepted.id: must be 16 bytes, got 0");
	free(buf);
}

static void
test_refused(void **state)
{
	uint8_t *buf;
	size_t len;
	Frame *f;
	char detail[2000];

	(void)state;
	assert_int_equal(frame_encode_refused(ID, 16, REASON(BAD_SIGNATURE),
	    "envelope.signature: does not verify", HEAD, &buf, &len), 0);
	f = expect_ok(buf + HEAD, len);
	assert_int_equal(f->kind_case, KAIRAN__V1__FRAME__KIND_REFUSED);
	assert_int_equal(f->refused->reason, REASON(BAD_SIGNATURE));
	assert_string_equal(f->refused->detail,
	    "envelope.signature: does not verify");
	frame_free(f);
	free(buf);
	/* empty id: the message id could not be read */
	assert_int_equal(frame_encode_refused(NULL, 0, REASON(MALFORMED),
	    "frame: not a valid protobuf Frame", 0, &buf, &len), 0);
	f = expect_ok(buf, len);
	assert_int_equal(f->refused->id.len, 0);
	frame_free(f);
	free(buf);
	/* id neither empty nor 16 bytes */
	assert_int_equal(frame_encode_refused(ID, 5, REASON(MALFORMED), "x", 0,
	    &buf, &len), 0);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "refused.id: must be empty or 16 bytes, got 5");
	free(buf);
	/* reasons out of range */
	assert_int_equal(frame_encode_refused(ID, 16, 11, "x", 0, &buf, &len),
	    0);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "refused.reason: must be 1..10, got 11");
	free(buf);
	assert_int_equal(frame_encode_refused(ID, 16, 0, "x", 0, &buf, &len),
	    0);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "refused.reason: must be 1..10, got 0");
	free(buf);
	/* a long detail (Japanese, cut on a character boundary) still decodes */
	memset(detail, 0, sizeof(detail));
	while (strlen(detail) + 3 < sizeof(detail))
		strcat(detail, "宮");
	assert_int_equal(frame_encode_refused(ID, 16, REASON(INVALID_FIELD),
	    detail, 0, &buf, &len), 0);
	f = expect_ok(buf, len);
	assert_true(strlen(f->refused->detail) <= KAIRAN_MAX_SHORT * 4);
	assert_true(strlen(f->refused->detail) >= KAIRAN_MAX_SHORT * 4 - 3);
	frame_free(f);
	free(buf);
}

static void
test_refused_detail_checks(void **state)
{
	Frame f;
	Kairan__V1__Refused r;
	char detail[KAIRAN_MAX_SHORT * 4 + 2];
	static char bad[] = "bad \xed\xa0\x80";
	uint8_t *buf;
	size_t len;

	(void)state;
	kairan__v1__frame__init(&f);
	kairan__v1__refused__init(&r);
	r.reason = REASON(OVERLOADED);
	memset(detail, 'd', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	r.detail = detail;
	f.kind_case = KAIRAN__V1__FRAME__KIND_REFUSED;
	f.refused = &r;
	buf = pack(&f, &len);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "refused.detail: 1025 bytes, at most 1024");
	free(buf);
	detail[KAIRAN_MAX_SHORT * 4] = '\0';
	buf = pack(&f, &len);
	frame_free(expect_ok(buf, len));	/* 1024 bytes are fine */
	free(buf);
	r.detail = bad;
	buf = pack(&f, &len);
	expect_refused(buf, len, KAIRAN_MAX_FRAME, REASON(INVALID_FIELD),
	    "refused.detail: invalid UTF-8");
	free(buf);
}

static void
test_empty_and_no_kind(void **state)
{
	static const uint8_t unknown_only[] = { 9 << 3 | 0, 1 };

	(void)state;
	expect_refused((const uint8_t *)"", 0, KAIRAN_MAX_FRAME,
	    REASON(MALFORMED), "frame: no kind set");
	expect_refused(NULL, 0, KAIRAN_MAX_FRAME, REASON(MALFORMED),
	    "frame: no kind set");
	/* only a field this version does not know */
	expect_refused(unknown_only, sizeof(unknown_only), KAIRAN_MAX_FRAME,
	    REASON(MALFORMED), "frame: no kind set");
}

static void
test_garbage(void **state)
{
	static const uint8_t junk1[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t junk2[] = { 0x0a, 0x7f, 0x01 };	/* len past end */
	static const uint8_t junk3[] = { 0x07 };		/* wire type 7 */
	static const uint8_t junk4[] = "GET / HTTP/1.1\r\n";

	(void)state;
	expect_refused(junk1, sizeof(junk1), KAIRAN_MAX_FRAME,
	    REASON(MALFORMED), "frame: not a valid protobuf Frame");
	expect_refused(junk2, sizeof(junk2), KAIRAN_MAX_FRAME,
	    REASON(MALFORMED), "frame: not a valid protobuf Frame");
	expect_refused(junk3, sizeof(junk3), KAIRAN_MAX_FRAME,
	    REASON(MALFORMED), "frame: not a valid protobuf Frame");
	expect_refused(junk4, sizeof(junk4) - 1, KAIRAN_MAX_FRAME,
	    REASON(MALFORMED), "frame:");
}

/* Field number 0 is illegal; protobuf-c lets it through in a 2-byte tag. */
static void
test_field_zero(void **state)
{
	uint8_t *buf, *bad;
	size_t len;

	(void)state;
	assert_int_equal(frame_encode_accepted(ID, 16, 0, &buf, &len), 0);
	bad = malloc(len + 10);
	memcpy(bad, buf, len);
	bad[len] = 0x81;		/* tag: field 0, wire type 1 (fixed64) */
	bad[len + 1] = 0x00;
	memset(bad + len + 2, 0x60, 8);
	expect_refused(bad, len + 10, KAIRAN_MAX_FRAME, REASON(MALFORMED),
	    "malformed protobuf");
	free(bad);
	free(buf);
}

static void
test_truncated(void **state)
{
	uint8_t *buf;
	size_t len, i;
	char err[256];
	Frame *f;

	(void)state;
	assert_int_equal(frame_encode_hello("452017", "kairan-node/0.1", 0, 0,
	    &buf, &len), 0);
	for (i = 0; i < len; i++) {
		f = frame_decode(buf, i, KAIRAN_MAX_FRAME, NULL, err,
		    sizeof(err));
		assert_null(f);
	}
	free(buf);
	assert_int_equal(frame_encode_accepted(ID, 16, 0, &buf, &len), 0);
	for (i = 0; i < len; i++)
		assert_null(frame_decode(buf, i, KAIRAN_MAX_FRAME, NULL, err,
		    sizeof(err)));
	free(buf);
}

/* A serialized Envelope whose message part has mlen bytes. */
static uint8_t *
make_envelope(size_t mlen, size_t siglen, size_t ncerts, size_t certlen,
    size_t *outlen)
{
	Envelope e;
	ProtobufCBinaryData certs[8];
	uint8_t *msg, *sig, *cert, *out;
	size_t i;

	kairan__v1__envelope__init(&e);
	msg = malloc(mlen + 1);
	sig = malloc(siglen + 1);
	cert = malloc(certlen + 1);
	memset(msg, 'm', mlen);
	memset(sig, 's', siglen);
	memset(cert, 'c', certlen);
	e.message.data = msg;
	e.message.len = mlen;
	e.signature.data = sig;
	e.signature.len = siglen;
	for (i = 0; i < ncerts; i++) {
		certs[i].data = cert;
		certs[i].len = certlen;
	}
	e.cert_chain = certs;
	e.n_cert_chain = ncerts;
	*outlen = kairan__v1__envelope__get_packed_size(&e);
	out = malloc(*outlen);
	kairan__v1__envelope__pack(&e, out);
	free(msg);
	free(sig);
	free(cert);
	return out;
}

static void
test_envelope_wrap_identical(void **state)
{
	static const size_t sizes[] = { 1, 100, 127, 128, 300, 16383, 16384,
	    70000 };
	Frame f;
	Envelope *e;
	uint8_t *env, *a, *b;
	size_t envlen, alen, blen, i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		env = make_envelope(sizes[i], 70, 2, 400, &envlen);
		assert_int_equal(frame_encode_envelope(env, envlen, HEAD, &a,
		    &alen), 0);
		/* the same through protobuf-c's own encoder */
		e = kairan__v1__envelope__unpack(NULL, envlen, env);
		assert_non_null(e);
		kairan__v1__frame__init(&f);
		f.kind_case = KAIRAN__V1__FRAME__KIND_ENVELOPE;
		f.envelope = e;
		assert_int_equal(frame_encode(&f, 0, &b, &blen), 0);
		assert_int_equal(alen, blen);
		assert_memory_equal(a + HEAD, b, blen);
		kairan__v1__envelope__free_unpacked(e, NULL);
		free(a);
		free(b);
		free(env);
	}
}

static void
test_envelope_bounds(void **state)
{
	uint8_t *env, *fr;
	size_t envlen, frlen;
	Frame *f;

	(void)state;
	env = make_envelope(100, 72, 2, 500, &envlen);
	assert_int_equal(frame_encode_envelope(env, envlen, 0, &fr, &frlen), 0);
	f = expect_ok(fr, frlen);
	assert_int_equal(f->kind_case, KAIRAN__V1__FRAME__KIND_ENVELOPE);
	assert_int_equal(f->envelope->message.len, 100);
	frame_free(f);
	free(fr);
	free(env);

#define BAD_ENV(m, s, n, c, want) do {					\
	env = make_envelope(m, s, n, c, &envlen);			\
	assert_int_equal(frame_encode_envelope(env, envlen, 0, &fr,	\
	    &frlen), 0);						\
	expect_refused(fr, frlen, KAIRAN_MAX_FRAME,			\
	    REASON(INVALID_FIELD), want);				\
	free(fr);							\
	free(env);							\
} while (0)
	BAD_ENV(0, 72, 2, 500, "envelope.message: empty");
	BAD_ENV(100, 0, 2, 500, "envelope.signature: 0 bytes, want 1..80");
	BAD_ENV(100, 81, 2, 500, "envelope.signature: 81 bytes, want 1..80");
	BAD_ENV(100, 72, 0, 500, "envelope.cert_chain: 0 certificates");
	BAD_ENV(100, 72, 5, 500, "envelope.cert_chain: 5 certificates");
	BAD_ENV(100, 72, 2, 0, "envelope.cert_chain[0]: 0 bytes");
	BAD_ENV(100, 72, 2, KAIRAN_MAX_CERT + 1,
	    "envelope.cert_chain[0]: 8193 bytes");
#undef BAD_ENV
	/* the limits themselves are fine */
	env = make_envelope(1, 80, 4, KAIRAN_MAX_CERT, &envlen);
	assert_int_equal(frame_encode_envelope(env, envlen, 0, &fr, &frlen), 0);
	frame_free(expect_ok(fr, frlen));
	free(fr);
	free(env);
}

/* Limit accepted, limit + 1 refused as TOO_LARGE without parsing. */
static void
test_size_limit(void **state)
{
	uint8_t *env, *fr, *junk;
	size_t envlen, frlen, mlen = KAIRAN_MAX_FRAME - 200;
	char err[256];
	int reason;
	Frame *f;

	(void)state;
	for (;;) {
		env = make_envelope(mlen, 72, 1, 10, &envlen);
		assert_int_equal(frame_encode_envelope(env, envlen, 0, &fr,
		    &frlen), 0);
		if (frlen == KAIRAN_MAX_FRAME)
			break;
		assert_true(frlen < KAIRAN_MAX_FRAME);
		mlen += KAIRAN_MAX_FRAME - frlen;
		free(fr);
		free(env);
	}
	f = frame_decode(fr, frlen, KAIRAN_MAX_FRAME, &reason, err,
	    sizeof(err));
	assert_non_null(f);
	frame_free(f);
	/* the same frame with a limit one byte lower */
	f = frame_decode(fr, frlen, KAIRAN_MAX_FRAME - 1, &reason, err,
	    sizeof(err));
	assert_null(f);
	assert_int_equal(reason, REASON(TOO_LARGE));
	assert_string_equal(err, "frame: 1048576 bytes over limit 1048575");
	free(fr);
	free(env);
	/*
	 * Garbage of limit + 1 bytes is TOO_LARGE, not MALFORMED: the size is
	 * checked before a byte is parsed.
	 */
	junk = malloc(KAIRAN_MAX_FRAME + 1);
	memset(junk, 0xff, KAIRAN_MAX_FRAME + 1);
	expect_refused(junk, KAIRAN_MAX_FRAME + 1, KAIRAN_MAX_FRAME,
	    REASON(TOO_LARGE), "frame: 1048577 bytes over limit 1048576");
	free(junk);
}

static void
test_headroom_and_names(void **state)
{
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(frame_encode_accepted(ID, 16, 4096, &buf, &len), 0);
	assert_int_equal(len, 20);	/* tag, length, Accepted{tag, length, id} */
	assert_int_equal(buf[4096], 3 << 3 | 2);
	free(buf);
	assert_string_equal(frame_reason_name(REASON(BAD_SIGNATURE)),
	    "BAD_SIGNATURE");
	assert_string_equal(frame_reason_name(REASON(OVERLOADED)),
	    "OVERLOADED");
	assert_string_equal(frame_reason_name(REASON(VERSION)), "VERSION");
	assert_string_equal(frame_reason_name(42), "UNKNOWN");
	assert_string_equal(frame_reason_name(-1), "UNKNOWN");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_hello_bad_entity),
		cmocka_unit_test(test_hello_version),
		cmocka_unit_test(test_hello_software),
		cmocka_unit_test(test_frame_control_characters),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_refused_detail_checks),
		cmocka_unit_test(test_empty_and_no_kind),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_field_zero),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_envelope_wrap_identical),
		cmocka_unit_test(test_envelope_bounds),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_headroom_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
