/*
 * seeds: the starting inputs the fuzz harnesses write in seed mode
 * (KAIRAN_FUZZ_SEED_DIR), shared so that the three corpora grow from the
 * same messages: reports of every phase, category, level and status, with
 * every optional field; receipts of every state; and messages one step
 * past a rule (a control character, a bad check digit, a duplicate
 * recipient, ...), so that the fuzzer starts next to each refusal.
 */
#ifndef KAIRAN_FUZZ_SEEDS_H
#define KAIRAN_FUZZ_SEEDS_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/message.h"

/* Called once per seed message; name is a file name ("report-final"). */
typedef void (*seed_fn)(const char *name, const Message *m, void *arg);

/*
 * Builds every seed message with sender as Message.sender (the envelope
 * harness passes its signer) and calls fn for each.
 */
void	seed_messages(const char *sender, seed_fn fn, void *arg);

/* Writes len bytes to dir/name; returns 0 or -1 (reported on stderr). */
int	seed_write(const char *dir, const char *name, const uint8_t *buf,
	    size_t len);

#endif
