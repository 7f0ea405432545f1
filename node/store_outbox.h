/*
 * store_outbox: what we signed (tables outbox and recipient, see
 * store.h): a report of ours numbered and written in one transaction, any
 * other message of ours, what each route has still to send.
 */
#ifndef KAIRAN_NODE_STORE_OUTBOX_H
#define KAIRAN_NODE_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan/message.h"

struct store;

/*
 * What a seal callback is told about the incident, inside the write
 * transaction: its highest-numbered report so far (found 0: none), whose
 * envelope stays valid during the callback only.
 */
struct store_last {
	int		 found;
	uint32_t	 report_no;
	int		 status;
	const uint8_t	*env;
	size_t		 envlen;
};

/*
 * A message the callback signed: it stays the callback's to free.
 * required (reports; may be NULL) runs parallel to m->recipients: the
 * policy rules that required each recipient ("a,b"), NULL for one that
 * none did (policy.h).
 */
struct store_sealed {
	const Message	*m;
	const uint8_t	*env;
	size_t		 envlen;
	const uint8_t	*digest;
	const char *const *required;
};

/*
 * Called inside a write transaction (last is NULL for store_inbox_add):
 * signs the message to insert and describes it in *out. Returns 0, or -1
 * with err: then nothing is written.
 */
typedef int	(*store_seal_fn)(void *arg, const struct store_last *last,
		    struct store_sealed *out, char *err, size_t errlen);

/*
 * The next report of an incident of ours, numbered in the same write
 * transaction: reads the incident's last report, calls seal (which picks
 * report_no = last.report_no + 1, checks the phase transition and signs),
 * inserts it like store_outbox_add and commits. Two processes never get
 * the same number: the second waits for the first's commit (BEGIN
 * IMMEDIATE) and UNIQUE(incident, report_no) backs it up.
 */
int	store_outbox_report(struct store *,
	    const uint8_t incident[KAIRAN_ID_LEN], store_seal_fn seal, void *arg,
	    char *err, size_t errlen);

/*
 * Adds a sealed message of ours: m (already validated, report or receipt),
 * its Envelope bytes and digest. For a report, one recipient row per
 * m->recipients. Same id twice: error. One transaction.
 */
int	store_outbox_add(struct store *, const Message *m, const uint8_t *env,
	    size_t envlen, const uint8_t digest[KAIRAN_DIGEST_LEN], char *err,
	    size_t errlen);

/*
 * For the sender of route: the first outbox message after seq `after` that
 * route has neither accepted nor finally refused. Returns 1 with *seq, id,
 * *env (malloc'd, caller frees) and *envlen; 0 if there is none; -1.
 */
int	store_outbox_next(struct store *, const char *route, int64_t after,
	    int64_t *seq, uint8_t id[KAIRAN_ID_LEN], uint8_t **env,
	    size_t *envlen, char *err, size_t errlen);
/* Number of outbox messages route has not answered (for logs). -1 on error. */
long long store_outbox_unanswered(struct store *, const char *route);

/*
 * Distinct recipients of every report of an incident of ours, sorted.
 * Returns count (array of malloc'd strings, free with
 * directory_list_free-style store_strings_free) or -1.
 */
long	store_outbox_recipients(struct store *,
	    const uint8_t incident[KAIRAN_ID_LEN], char ***out, char *err,
	    size_t errlen);

/* ---- for the store modules only ---- */

/*
 * Inserts the outbox row of m (and a report's or advisory's recipients,
 * required parallel to m->recipients or NULL, and its internal mail rows,
 * store_imail_plan) inside the caller's transaction. 0, or -1 with err.
 */
int	store_outbox_insert(struct store *, const Message *m,
	    const uint8_t *env, size_t envlen,
	    const uint8_t digest[KAIRAN_DIGEST_LEN],
	    const char *const *required, char *err, size_t errlen);

#endif
