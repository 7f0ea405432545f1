/*
 * store_confirm: the phone confirmations the sender records (`confirm`)
 * for a recipient of a report of ours (table phone_confirm).
 */
#ifndef KAIRAN_NODE_STORE_CONFIRM_H
#define KAIRAN_NODE_STORE_CONFIRM_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"

struct store;

/*
 * A phone confirmation of report id of ours by recipient entity (`kairan-
 * node confirm`): by and note as the sender wrote them, at now_ms; its
 * own transaction. Returns 1 recorded, 0 with err if id is no report of
 * ours or entity is not one of its recipients (nothing written), -1.
 */
int	store_confirm_add(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *entity, const char *by, const char *note,
	    int64_t now_ms, char *err, size_t errlen);

#endif
