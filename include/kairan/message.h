/*
 * message: the signed payload (PROTOCOL.md §6): ids, times, and the
 * validation of every field of a Message and its body.
 */
#ifndef KAIRAN_MESSAGE_H
#define KAIRAN_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan.pb-c.h"

typedef Kairan__V1__Message		Message;
typedef Kairan__V1__IncidentReport	IncidentReport;
typedef Kairan__V1__Receipt		Receipt;
typedef Kairan__V1__Advisory		Advisory;

#define MESSAGE_MAX_URL	2048	/* one URL of advisory.references */

/* 16 bytes from the CSPRNG (RAND_bytes). Returns 0, or -1 if the CSPRNG failed. */
int	 message_id_new(uint8_t id[KAIRAN_ID_LEN]);
/* Current Unix time in milliseconds (CLOCK_REALTIME). */
int64_t	 message_now_ms(void);
/* Lowercase hex of len bytes into out (2*len+1 bytes). */
void	 message_hex(const uint8_t *id, size_t len, char *out);
/*
 * Parses exactly 2n hex digits (hexlen of them, either case) into the n
 * bytes of out. Returns 0, or -1 (out untouched) if they are not that.
 */
int	 message_hex_parse(const char *hex, size_t hexlen, uint8_t *out,
	    size_t n);
/* Parses 32 hex digits into id. Returns 0, or -1 if not exactly that. */
int	 message_id_parse(const char *hex, uint8_t id[KAIRAN_ID_LEN]);

/* 1 if s[0..len) is valid UTF-8 (no overlongs, surrogates, > U+10FFFF, NUL). */
int	 message_utf8_valid(const char *s, size_t len);

#define MESSAGE_TEXT_MULTILINE	0x1	/* a long text: \n and \t allowed */

/*
 * The characters of one string field (PROTOCOL.md §6): s[0..len) must be
 * strict UTF-8 (text_utf8_next) without C0 controls U+0000-U+001F (with
 * MESSAGE_TEXT_MULTILINE, \n and \t are allowed), DEL, C1 controls
 * U+0080-U+009F, or the bidi overrides U+202A-U+202E and U+2066-U+2069:
 * they would let a signed text rewrite a reader's terminal or reorder what
 * it shows. NULL counts as "". Returns 0, or -1 with err naming the field,
 * the character and its byte offset ("report.title: control character
 * U+001B at byte 0", "report.summary: bidi override U+202E at byte 12",
 * "hello.software: invalid UTF-8 at byte 3").
 */
int	 message_check_chars(const char *field, const char *s, size_t len,
	    int flags, char *err, size_t errlen);

/*
 * Checks every field of m: id length, sender syntax, recipients non-empty,
 * each a valid entity id and unique, at most KAIRAN_MAX_RECIPIENTS,
 * none of them the sender, created_at_ms > 0, status in range, exactly one
 * body; for a report: incident_id length, report_no >= 1, phase (1..4) and
 * category (1..4; UNSPECIFIED is refused) and is_incident in range, level
 * 0..3, times >= 0, strings valid UTF-8 within their limits and without
 * the characters message_check_chars refuses (title,
 * list entries, contact and attachment names: KAIRAN_MAX_SHORT, list
 * entries non-empty; location, summary, cause, damage, response,
 * prevention, external_response, other: KAIRAN_MAX_TEXT), lists at most
 * KAIRAN_MAX_LIST entries, attachments named, data at most 256 KiB, with a
 * 32-byte sha256 that matches data; for a receipt: ref_id and ref_digest
 * lengths, state 1..3, `by` set for ACKNOWLEDGED (short), note (text),
 * subject a valid entity id if set; state 6 (MAILED, not known here)
 * refused; DONE (対応済) with `by` and `note` set; for an advisory: kind
 * 1..3, severity 0..4, title and summary set, source short, actions a
 * list, references at most KAIRAN_MAX_LIST entries each a CVE id
 * (CVE-YYYY-NNNN, 4..19 digits) or an http(s) URL of printable ASCII
 * of at most MESSAGE_MAX_URL bytes, due_at_ms >= 0, and a REQUEST with
 * due_at_ms and at least one action (PROTOCOL.md §6.3).
 * Whether recipients exist is the directory's business, not this one's.
 * Returns 0, or -1 with err naming the field ("report.level: must be 0..3,
 * got 7"; "recipients[2]: duplicate 452017").
 */
int	 message_validate(const Message *m, char *err, size_t errlen);

/* The advisory rules of message_validate alone (a file read before it is signed). */
int	 message_validate_advisory(const Advisory *a, char *err, size_t errlen);

/* Unpacks and validates. Returns a Message (free with message_free) or NULL with err. */
Message	*message_decode(const uint8_t *buf, size_t len, char *err,
	    size_t errlen);
/*
 * The same; on NULL, *reason (if not NULL) is
 * KAIRAN__V1__REFUSED__REASON__MALFORMED when the bytes are not a protobuf
 * Message, INVALID_FIELD when a field fails validation.
 */
Message	*message_decode_reason(const uint8_t *buf, size_t len, int *reason,
	    char *err, size_t errlen);

/*
 * Walks serialized protobuf bytes of message type d and refuses a string
 * field (at any depth of known sub-messages) holding a NUL byte: protobuf-c
 * would hand it back truncated at the NUL, hiding the tail from validation.
 * Call after a successful unpack. Returns 0, -1 with err naming the field
 * ("report.summary: embedded NUL"), or -2 if the bytes are not well-formed
 * protobuf (e.g. field number 0, which protobuf-c lets through in a 2-byte
 * tag but never writes back).
 */
int	 message_wire_strings(const ProtobufCMessageDescriptor *d,
	    const uint8_t *buf, size_t len, char *err, size_t errlen);
/*
 * One field of serialized protobuf at *p (< end), for the walks above and
 * envelope_peek_id: sets *field to its number and, for a length-delimited
 * field, *data and *n to its bytes (else *data = NULL), and moves *p past
 * it. Returns 0, or -1 if the bytes are truncated or not well-formed (field
 * number 0, an unknown wire type, a varint over 64 bits).
 */
int	 message_wire_next(const uint8_t **p, const uint8_t *end,
	    uint64_t *field, const uint8_t **data, size_t *n);
void	 message_free(Message *);		/* NULL is a no-op */

/* 1 if id is one of m's recipients. */
int	 message_has_recipient(const Message *m, const char *id);

/* Packs m into a malloc'd buffer. Returns 0 or -1. */
int	 message_encode(const Message *m, uint8_t **out, size_t *outlen);

/* Names for display and JSON: "ACTUAL"/"EXERCISE"/"TEST", phase, category, receipt state ("DELIVERED"). */
const char *message_status_name(int status);
const char *message_phase_name(int phase);
const char *message_category_name(int category);
const char *message_receipt_state_name(int state);
/* Advisory.Kind: "ADVISORY"/"INFORMATION"/"REQUEST"; its label 注意喚起/情報提供/要請; severity name. */
const char *message_advisory_kind_name(int kind);
const char *message_advisory_kind_label(int kind);
const char *message_severity_name(int severity);

#endif
