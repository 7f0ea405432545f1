/*
 * frames: the relay's handling of one whole frame from a peer (bounded and
 * reassembled by listener.c): Hello, Envelope (verified in full, receipts
 * checked against PROTOCOL.md §7, then batched), Accepted and Refused
 * (ending a delivery in flight).
 */
#ifndef KAIRAN_RELAY_FRAMES_H
#define KAIRAN_RELAY_FRAMES_H

struct peer;

/* Decodes and handles the frame in p->rx (p->rxlen bytes). */
void	frames_on_frame(struct peer *);

#endif
