/*
 * frames: the relay's handling of one whole frame from a peer (bounded and
 * reassembled by listener.c): Hello, Envelope (verified in full, receipts
 * checked against PROTOCOL.md §7, then batched), Accepted and Refused
 * (ending a delivery in flight).
 */
#ifndef KAIRAN_RELAY_FRAMES_H
#define KAIRAN_RELAY_FRAMES_H

#include <stddef.h>
#include <stdint.h>

struct peer;

/*
 * Decodes and handles one whole frame of p's, len bytes at buf: p's
 * reassembly buffer, or lws's own for a message that came in one piece.
 * Only read during the call: nothing keeps a pointer into buf.
 */
void	frames_on_frame(struct peer *, const uint8_t *buf, size_t len);

#endif
