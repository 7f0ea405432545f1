/*
 * view: the console's read-only queries on the relay's store (the SQL of
 * the console's API, api.c and its endpoints api*.c; a store module like
 * store.c, with its own statements).
 *
 * The view has its own connection to the database file, opened read-only:
 * the store is in WAL mode, so its reads never wait for the writer and
 * never take its lock, and see only what was committed.
 *
 * Reports are indexed in memory as they are committed: a Message never
 * changes once stored, so each report envelope is decoded once
 * (view_refresh reads only the rows after the last one it saw) and
 * grouped by incident (sender, incident_id). What depends on later
 * messages (receipts, deliveries, escalation, confirmations) is read from
 * the store at each question (view_cells).
 */
#ifndef KAIRAN_RELAY_VIEW_H
#define KAIRAN_RELAY_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"

#define VIEW_INCIDENTS_MAX	200	/* GET /api/incidents: the newest */
#define VIEW_OVERDUE_MAX	1000	/* GET /api/overdue: the oldest first */
#define VIEW_ADVISORIES_MAX	200	/* GET /api/advisories: the newest */

struct view_incident;

/*
 * A report as the view keeps it (decoded once); an advisory (注意喚起・
 * 情報提供・要請, PROTOCOL.md §6.3) too, with advisory set: it is no
 * incident's (incident NULL, report_no, phase and level 0) and has its
 * own list (view_advisories). Its recipients' cells are read as a
 * report's, with DONE (対応済) besides.
 */
struct view_report {
	int64_t			 seq;
	uint8_t			 id[KAIRAN_ID_LEN];
	int64_t			 accepted_at;	/* at this relay, Unix ms */
	int			 status;	/* Status */
	unsigned		 report_no;
	int			 phase;		/* IncidentReport.Phase */
	unsigned		 level;
	char			*title;
	char			**recipients;	/* sorted by id */
	size_t			 nrecipients;
	struct view_incident	*incident;
	/* an advisory's: */
	int			 advisory;
	int			 kind;		/* Advisory.Kind */
	int			 severity;	/* Advisory.Severity */
	char			*source;	/* "" if none */
	int64_t			 due_at;	/* 対応期限, Unix ms; 0: none */
	char			 sender[KAIRAN_ENTITY_MAX + 1];
};

/* The reports of one incident, by report_no (then acceptance). */
struct view_incident {
	char			 sender[KAIRAN_ENTITY_MAX + 1];
	uint8_t			 id[KAIRAN_ID_LEN];
	struct view_report	**reports;
	size_t			 nreports;
	int64_t			 first_at, last_at;	/* acceptance */
	char			**recipients;	/* of all its reports, sorted */
	size_t			 nrecipients;
};

/* A cell's state: what the signed receipts say, by rank. */
enum view_state {
	VIEW_PENDING = 0,	/* nothing known yet */
	VIEW_HELD,		/* another relay (QUEUED) holds it for the recipient */
	VIEW_MAILED,		/* no node: its home relay mailed it (MAILED) */
	VIEW_DELIVERED,		/* the recipient's node stored it */
	VIEW_OVERDUE,		/* past its deadline, no 受理確認 */
	VIEW_REJECTED,
	VIEW_ACKNOWLEDGED,	/* 受理確認 (an advisory's: 確認しました) */
	VIEW_DONE,		/* an advisory's 対応済 (DONE, with a note) */
};

/* The escalation states, as escalate.h's enum esc_state. */
enum view_mail {
	VIEW_MAIL_NONE = -1,	/* no mail step (no [smtp], or not chased) */
	VIEW_MAIL_PENDING = 0,
	VIEW_MAIL_SENT,
	VIEW_MAIL_FAILED,
	VIEW_MAIL_CANCELLED,
};

/* One (report, recipient): the strings are malloc'd (view_cells_clear). */
struct view_cell {
	enum view_state	 state;
	int64_t		 at;		/* of that state; 0 for pending */
	char		*by;		/* acknowledged: who signed */
	char		 held_by[KAIRAN_ENTITY_MAX + 1];
	char		*detail;	/* rejected: why */
	int		 overdue;	/* past the deadline, not acknowledged */
	int64_t		 deadline;	/* 0 if none known */
	int64_t		 delivered_at, acknowledged_at;	/* 0: not (yet) */
	/* an advisory's 対応済 (done_at 0: none); by above is the 確認しました's */
	int64_t		 done_at;
	char		*done_by, *done_note;
	/* the latest phone confirmation (confirmed 0: none) */
	int		 confirmed;
	char		*c_operator, *c_name, *c_note;
	int64_t		 c_at;
	/* the latest mail step of its escalation */
	enum view_mail	 mail;
	int		 mail_attempts;
	int		 mail_code;	/* 0: no reply */
	char		*mail_reply;
};

/* A node's last connect and disconnect as the store keeps them. */
typedef void	view_seen_fn(void *arg, const char *entity,
		    int64_t connected_ms, int64_t disconnected_ms);

struct view;

/* Opens path read-only (the relay has created and migrated it). */
struct view	*view_open(const char *path, char *err, size_t errlen);
void		 view_close(struct view *);	/* NULL is a no-op */

/*
 * Indexes the reports committed since the last call. A stored report
 * that does not decode is skipped (logged once). 0, or -1 with err.
 */
int		 view_refresh(struct view *, char *err, size_t errlen);
/* Incidents by last_at, newest first: *out borrowed until the next refresh. */
size_t		 view_incidents(struct view *, struct view_incident ***out);
/* Advisories by acceptance, oldest first: *out borrowed until the next refresh. */
size_t		 view_advisories(struct view *, struct view_report ***out);
/* An advisory by id (borrowed), or NULL (also for a report's id). */
struct view_report *view_advisory(struct view *,
		    const uint8_t id[KAIRAN_ID_LEN]);
/* By id (borrowed), or NULL. */
struct view_incident *view_incident(struct view *,
		    const uint8_t id[KAIRAN_ID_LEN]);
struct view_report *view_report(struct view *,
		    const uint8_t id[KAIRAN_ID_LEN]);
struct view_report *view_report_seq(struct view *, int64_t seq);
/* Index of recipient in r's recipients, or -1. */
int		 view_recipient_index(const struct view_report *r,
		    const char *recipient);

/*
 * The cells of report r, one per recipient, in r->recipients' order, into
 * cells (r->nrecipients of them; cleared with view_cells_clear even on
 * failure). self is this relay's id: its own QUEUED receipt is not
 * "held" (its recipients are pending here until their node takes it).
 * 0, or -1 with err.
 */
int		 view_cells(struct view *, const struct view_report *r,
		    const char *self, struct view_cell *cells, char *err,
		    size_t errlen);
void		 view_cells_clear(struct view_cell *, size_t n);

/*
 * The (report, recipient) pairs past their deadline and not acknowledged,
 * the oldest deadline first, at most VIEW_OVERDUE_MAX: fn for each (the
 * deadline: of this relay's escalation, or the time another relay's
 * OVERDUE receipt came). Their number, or -1 with err.
 */
int		 view_overdue(struct view *, void (*fn)(void *, int64_t seq,
		    const char *recipient, int64_t deadline_ms), void *arg,
		    char *err, size_t errlen);

/*
 * The stored Envelope bytes of report r: 1 with *env (malloc'd, caller
 * frees), 0 if gone, -1 with err.
 */
int		 view_envelope(struct view *, const struct view_report *r,
		    uint8_t **env, size_t *envlen, char *err, size_t errlen);

/* fn for each row of node_seen. Their number, or -1 with err. */
int		 view_seen(struct view *, view_seen_fn *fn, void *arg,
		    char *err, size_t errlen);

#endif
