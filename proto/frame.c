/*
 * frame: encoding and bounded, validating decoding of the unit on the wire,
 * one protobuf Frame per binary WebSocket message (PROTOCOL.md §3, §4).
 *
 * The size limit is checked before protobuf-c sees a byte; after unpacking
 * every field of the frame's kind is checked, so that the relay and the node
 * only ever see frames that make sense. The Message inside an Envelope is
 * left to envelope_verify(), which must look at the exact signed bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/entity.h"
#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/kairan.h"
#include "kairan/message.h"
#include "kairan/text.h"

#define REASON(x)	KAIRAN__V1__REFUSED__REASON__##x
#define MAX_DETAIL	(KAIRAN_MAX_SHORT * 4)

static void
set_reason(int *reason, int r)
{
	if (reason != NULL)
		*reason = r;
}

static int
check_hello(const Kairan__V1__Hello *h, int *reason, char *err,
    size_t errlen)
{
	char eerr[200];
	size_t len;

	if (!entity_valid(h->entity, eerr, sizeof(eerr))) {
		snprintf(err, errlen, "hello.entity: %s", eerr);
		return -1;
	}
	if (h->version != KAIRAN_PROTOCOL_VERSION) {
		set_reason(reason, REASON(VERSION));
		snprintf(err, errlen, "hello.version: %u not supported, want %d",
		    h->version, KAIRAN_PROTOCOL_VERSION);
		return -1;
	}
	len = h->software != NULL ? strlen(h->software) : 0;
	if (len > KAIRAN_MAX_SHORT) {
		snprintf(err, errlen, "hello.software: %zu bytes, at most %d",
		    len, KAIRAN_MAX_SHORT);
		return -1;
	}
	/* the software string ends up in the peer's log lines */
	return message_check_chars("hello.software", h->software, len, 0, err,
	    errlen);
}

static int
check_refused(const Kairan__V1__Refused *r, char *err, size_t errlen)
{
	size_t len;

	if (r->id.len != 0 && r->id.len != KAIRAN_ID_LEN) {
		snprintf(err, errlen, "refused.id: must be empty or %d bytes, "
		    "got %zu", KAIRAN_ID_LEN, r->id.len);
		return -1;
	}
	if ((int)r->reason < REASON(MALFORMED) ||
	    (int)r->reason > REASON(VERSION)) {
		snprintf(err, errlen, "refused.reason: must be %d..%d, got %d",
		    REASON(MALFORMED), REASON(VERSION), (int)r->reason);
		return -1;
	}
	len = r->detail != NULL ? strlen(r->detail) : 0;
	if (len > MAX_DETAIL) {
		snprintf(err, errlen, "refused.detail: %zu bytes, at most %d",
		    len, MAX_DETAIL);
		return -1;
	}
	return message_check_chars("refused.detail", r->detail, len, 0, err,
	    errlen);
}

Frame *
frame_decode(const uint8_t *buf, size_t len, size_t max, int *reason,
    char *err, size_t errlen)
{
	Frame *f = NULL;
	char werr[256];

	set_reason(reason, REASON(TOO_LARGE));
	if (len > max) {
		snprintf(err, errlen, "frame: %zu bytes over limit %zu", len,
		    max);
		return NULL;
	}
	set_reason(reason, REASON(MALFORMED));
	if (buf == NULL && len > 0) {
		snprintf(err, errlen, "frame: no buffer");
		return NULL;
	}
	if ((f = kairan__v1__frame__unpack(NULL, len, buf)) == NULL) {
		snprintf(err, errlen, "frame: not a valid protobuf Frame");
		return NULL;
	}
	if (f->kind_case == KAIRAN__V1__FRAME__KIND__NOT_SET) {
		snprintf(err, errlen, "frame: no kind set");
		goto fail;
	}
	set_reason(reason, REASON(INVALID_FIELD));
	switch (message_wire_strings(&kairan__v1__frame__descriptor, buf, len,
	    werr, sizeof(werr))) {
	case 0:
		break;
	case -2:
		set_reason(reason, REASON(MALFORMED));
		/* FALLTHROUGH */
	default:
		snprintf(err, errlen, "%s", werr);
		goto fail;
	}
	switch (f->kind_case) {
	case KAIRAN__V1__FRAME__KIND_HELLO:
		if (check_hello(f->hello, reason, err, errlen) == -1)
			goto fail;
		break;
	case KAIRAN__V1__FRAME__KIND_ENVELOPE:
		if (envelope_bounds(f->envelope, err, errlen) == -1)
			goto fail;
		break;
	case KAIRAN__V1__FRAME__KIND_ACCEPTED:
		if (f->accepted->id.len != KAIRAN_ID_LEN) {
			snprintf(err, errlen, "accepted.id: must be %d bytes, "
			    "got %zu", KAIRAN_ID_LEN, f->accepted->id.len);
			goto fail;
		}
		break;
	case KAIRAN__V1__FRAME__KIND_REFUSED:
		if (check_refused(f->refused, err, errlen) == -1)
			goto fail;
		break;
	default:
		set_reason(reason, REASON(MALFORMED));
		snprintf(err, errlen, "frame: unknown kind %d",
		    (int)f->kind_case);
		goto fail;
	}
	return f;
 fail:
	frame_free(f);
	return NULL;
}

void
frame_free(Frame *f)
{
	if (f != NULL)
		kairan__v1__frame__free_unpacked(f, NULL);
}

int
frame_encode(const Frame *f, size_t headroom, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	size_t n;

	n = kairan__v1__frame__get_packed_size(f);
	if ((buf = malloc(headroom + n + 1)) == NULL)
		return -1;
	if (kairan__v1__frame__pack(f, buf + headroom) != n) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int
frame_encode_hello(const char *entity, const char *software,
    uint32_t features, size_t headroom, uint8_t **out, size_t *outlen)
{
	Frame f = KAIRAN__V1__FRAME__INIT;
	Kairan__V1__Hello h;

	kairan__v1__hello__init(&h);
	h.entity = (char *)(uintptr_t)entity;
	h.version = KAIRAN_PROTOCOL_VERSION;
	h.software = (char *)(uintptr_t)(software != NULL ? software : "");
	h.features = features;
	f.kind_case = KAIRAN__V1__FRAME__KIND_HELLO;
	f.hello = &h;
	return frame_encode(&f, headroom, out, outlen);
}

int
frame_encode_accepted(const uint8_t *id, size_t idlen, size_t headroom,
    uint8_t **out, size_t *outlen)
{
	Frame f = KAIRAN__V1__FRAME__INIT;
	Kairan__V1__Accepted a = KAIRAN__V1__ACCEPTED__INIT;

	a.id.data = (uint8_t *)(uintptr_t)id;
	a.id.len = idlen;
	f.kind_case = KAIRAN__V1__FRAME__KIND_ACCEPTED;
	f.accepted = &a;
	return frame_encode(&f, headroom, out, outlen);
}

int
frame_encode_refused(const uint8_t *id, size_t idlen, int reason,
    const char *detail, size_t headroom, uint8_t **out, size_t *outlen)
{
	Frame f = KAIRAN__V1__FRAME__INIT;
	Kairan__V1__Refused r;
	char buf[MAX_DETAIL + 1];

	/*
	 * The detail often quotes what the peer sent: escape what the peer's
	 * decoder would refuse (control characters, bidi overrides, invalid
	 * UTF-8) and keep it within its limit, cut on a character boundary.
	 */
	text_escape_buf(buf, sizeof(buf), detail, 0);
	kairan__v1__refused__init(&r);
	r.id.data = (uint8_t *)(uintptr_t)id;
	r.id.len = id != NULL ? idlen : 0;
	r.reason = (Kairan__V1__Refused__Reason)reason;
	r.detail = buf;
	f.kind_case = KAIRAN__V1__FRAME__KIND_REFUSED;
	f.refused = &r;
	return frame_encode(&f, headroom, out, outlen);
}

int
frame_encode_envelope(const uint8_t *env, size_t envlen, size_t headroom,
    uint8_t **out, size_t *outlen)
{
	uint8_t *buf, *p;
	size_t n, hdr, v;

	/*
	 * Frame.envelope is field 2, length-delimited: tag (2 << 3 | 2), the
	 * length as a varint, then the Envelope bytes exactly as stored.
	 */
	hdr = 1;
	v = envlen;
	do {
		hdr++;
		v >>= 7;
	} while (v != 0);
	n = hdr + envlen;
	if ((buf = malloc(headroom + n)) == NULL)
		return -1;
	p = buf + headroom;
	*p++ = 2 << 3 | 2;
	v = envlen;
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	if (envlen > 0)
		memcpy(p, env, envlen);
	*out = buf;
	*outlen = n;
	return 0;
}

const char *
frame_reason_name(int reason)
{
	switch (reason) {
	case REASON(REASON_UNSPECIFIED):
		return "REASON_UNSPECIFIED";
	case REASON(MALFORMED):
		return "MALFORMED";
	case REASON(TOO_LARGE):
		return "TOO_LARGE";
	case REASON(BAD_SIGNATURE):
		return "BAD_SIGNATURE";
	case REASON(BAD_CERTIFICATE):
		return "BAD_CERTIFICATE";
	case REASON(REVOKED):
		return "REVOKED";
	case REASON(SENDER_MISMATCH):
		return "SENDER_MISMATCH";
	case REASON(NOT_AUTHORIZED):
		return "NOT_AUTHORIZED";
	case REASON(INVALID_FIELD):
		return "INVALID_FIELD";
	case REASON(OVERLOADED):
		return "OVERLOADED";
	case REASON(VERSION):
		return "VERSION";
	default:
		return "UNKNOWN";
	}
}
