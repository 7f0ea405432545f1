/*
 * store_msg: one stored message, received (inbox) or ours (outbox), as
 * the command line reads it: by id, by incident, an incident's withdrawal,
 * ids by prefix.
 */
#ifndef KAIRAN_NODE_STORE_MSG_H
#define KAIRAN_NODE_STORE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"

struct store;
struct sqlite3_stmt;

enum store_dir { STORE_IN = 1, STORE_OUT = 2 };

struct store_msg {
	enum store_dir	 dir;
	int64_t		 seq;
	uint8_t		 id[KAIRAN_ID_LEN];
	int		 is_report;
	int		 is_advisory;		/* an advisory (outbox kind 3) */
	uint8_t		 incident[KAIRAN_ID_LEN];	/* reports */
	uint32_t	 report_no;
	int		 phase;			/* IncidentReport.phase; 0: v1 row */
	int		 status;		/* Status enum */
	char		 sender[KAIRAN_ENTITY_MAX + 1];	/* inbox */
	int64_t		 created_ms;
	int64_t		 received_ms;		/* inbox */
	char		*route;			/* inbox: first route seen */
	int64_t		 ack_ms;		/* inbox: 0 = not acknowledged */
	char		*ack_by;
	char		*ack_note;
	int64_t		 done_ms;		/* inbox advisory: 0 = not 対応済 */
	char		*done_by;
	char		*done_note;
	uint8_t		*env;
	size_t		 envlen;
	uint8_t		 digest[KAIRAN_DIGEST_LEN];
};

void	store_msg_clear(struct store_msg *);
void	store_msgs_free(struct store_msg *, size_t n);	/* NULL is a no-op */

/* One message by id in dir. Returns 1 found, 0 not, -1 error. */
int	store_msg_get(struct store *, enum store_dir,
	    const uint8_t id[KAIRAN_ID_LEN], struct store_msg *out, char *err,
	    size_t errlen);
/* Reports of an incident in dir, by report_no then seq. Returns count or -1. */
long	store_msg_incident(struct store *, enum store_dir,
	    const uint8_t incident[KAIRAN_ID_LEN], struct store_msg **out,
	    char *err, size_t errlen);

/*
 * The withdrawal (report of phase WITHDRAWN) of incident in dir, if any:
 * 1 with *out (store_msg_clear), 0 none, -1.
 */
int	store_msg_withdrawal(struct store *, enum store_dir,
	    const uint8_t incident[KAIRAN_ID_LEN], struct store_msg *out,
	    char *err, size_t errlen);

#define STORE_ID_IN_MSG		0x1	/* a received message */
#define STORE_ID_IN_INC		0x2	/* an incident we received reports of */
#define STORE_ID_OUT_MSG	0x4	/* a message of ours */
#define STORE_ID_OUT_INC	0x8	/* an incident of ours */
#define STORE_ID_ANY		0xf

/*
 * Every id of the kinds in `what` whose hex starts with prefix (hex
 * digits, either case), sorted, each with the STORE_ID_* bits it was
 * found as in (*kinds)[i]. Returns the count (arrays malloc'd, caller
 * frees both), or -1.
 */
long	store_msg_id_prefix(struct store *, const char *prefix, unsigned what,
	    uint8_t (**out)[KAIRAN_ID_LEN], unsigned **kinds, char *err,
	    size_t errlen);

/* ---- for the store modules only ---- */

/* The columns store_msg_read reads, in its order, from outbox and inbox. */
#define STORE_MSG_OUT_COLS "seq, id, kind, incident, report_no, status, " \
	"created_ms, envelope, digest, phase"
#define STORE_MSG_IN_COLS "seq, id, kind, incident, report_no, status, " \
	"created_ms, envelope, digest, sender, received_ms, route, " \
	"acknowledged_ms, acknowledged_by, ack_note, phase, done_ms, " \
	"done_by, done_note"

/*
 * The current row of s (STORE_MSG_*_COLS first) into *m (store_msg_clear
 * it). 0, or -1 out of memory.
 */
int	store_msg_read(struct sqlite3_stmt *s, enum store_dir dir,
	    struct store_msg *m);
/* Runs s (bound) and collects all rows. Returns count or -1 with err. */
long	store_msg_collect(struct store *, struct sqlite3_stmt *s,
	    enum store_dir dir, struct store_msg **out, char *err,
	    size_t errlen);

#endif
