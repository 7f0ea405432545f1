/*
 * frame: the unit on the wire, one protobuf Frame per binary WebSocket
 * message (PROTOCOL.md §4).
 *
 * Decoding is bounded (the length is checked against the limit before
 * protobuf-c sees a byte) and validating: a frame that comes back from
 * frame_decode has exactly one kind set and every field of it checked
 * (Hello entity syntax and version, Accepted/Refused id length, reason
 * range, UTF-8 and lengths of strings). An Envelope inside is checked only
 * for its own bounds (sizes of message, signature, chain); the signed
 * Message is decoded and checked by envelope_verify().
 *
 * Encoders write into a malloc'd buffer that starts with `headroom` spare
 * bytes (LWS_PRE for libwebsockets) followed by the frame; *outlen is the
 * length of the frame alone (send *out + headroom, *outlen bytes); the
 * caller frees the buffer (*out) with free().
 */
#ifndef KAIRAN_FRAME_H
#define KAIRAN_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "kairan.pb-c.h"

typedef Kairan__V1__Frame	Frame;

/*
 * Returns the decoded frame (free with frame_free), or NULL with err naming
 * the problem ("frame: 1048577 bytes over limit 1048576", "hello.entity:
 * 452018: bad check digit 8, expected 7 (452017)", "frame: not a valid protobuf Frame", "frame:
 * no kind set"). If reason is not NULL it is set to a
 * KAIRAN__V1__REFUSED__REASON__* value for the refusal: TOO_LARGE (over
 * max, nothing parsed), MALFORMED (not protobuf, no kind), VERSION
 * (hello.version != 1), INVALID_FIELD (any other field check).
 * Refused.reason must be 1..10 (UNSPECIFIED is refused), Refused.detail at
 * most KAIRAN_MAX_SHORT * 4 bytes; Hello.software and Refused.detail are
 * short strings: UTF-8 without control characters (\n and \t included)
 * or bidi overrides (message_check_chars: "hello.software: control
 * character U+000A at byte 6").
 */
Frame	*frame_decode(const uint8_t *buf, size_t len, size_t max,
	    int *reason, char *err, size_t errlen);
void	 frame_free(Frame *);		/* NULL is a no-op */

/* Generic: packs f. Returns 0 or -1 (out of memory). */
int	 frame_encode(const Frame *f, size_t headroom, uint8_t **out,
	    size_t *outlen);
/* features: KAIRAN_FEATURE_* bits this side takes (Hello.features). */
int	 frame_encode_hello(const char *entity, const char *software,
	    uint32_t features, size_t headroom, uint8_t **out,
	    size_t *outlen);
int	 frame_encode_accepted(const uint8_t *id, size_t idlen,
	    size_t headroom, uint8_t **out, size_t *outlen);
/*
 * detail is made what frame_decode accepts: control characters, bidi
 * overrides and invalid bytes escaped (text_escape_buf, "\x1b"), cut on a
 * character boundary to KAIRAN_MAX_SHORT * 4 bytes, ending in "...".
 */
int	 frame_encode_refused(const uint8_t *id, size_t idlen, int reason,
	    const char *detail, size_t headroom, uint8_t **out, size_t *outlen);
/*
 * Wraps already serialized Envelope bytes as Frame{envelope}, without
 * decoding them (a relay forwards what it stored, byte for byte).
 */
int	 frame_encode_envelope(const uint8_t *env, size_t envlen,
	    size_t headroom, uint8_t **out, size_t *outlen);

/* Name of a Refused.Reason value ("BAD_SIGNATURE"), "UNKNOWN" if out of range. */
const char *frame_reason_name(int reason);

#endif
