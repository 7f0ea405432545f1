/*
 * status: what `kairan-node status` shows about one report of ours: per
 * route, accepted or not (or refused, why); per recipient, pending /
 * held at its home relay (which, since when) / delivered (when) /
 * acknowledged (when, by whom) / rejected (why). Built from the store,
 * printed as text (the recipients' lines aligned by display width) or as
 * the JSON object of issue 4:
 *   {id, incident, report_no, phase, status, withdrawn: null |
 *    {at, reason, message}, routes: [{name, accepted_at, refused, detail,
 *    connection: {state, since, reason}}], recipients: [{entity, name,
 *    state, delivered_at, acknowledged_at, acknowledged_by, required,
 *    required_by, reason, held_by, held_at, overdue_by, overdue_at}],
 *    delivered, acknowledged, rejected, held, overdue, total, final_report,
 *    proxy_logs}
 * plus kind ("report" | "advisory"); an advisory's object has incident,
 * report_no, phase, withdrawn, final_report and proxy_logs null, an
 * "advisory" {kind, title, due_at, past_due}, per recipient done_at,
 * done_by, done_note and past_due, and the count "done" (対応済).
 * held_by/held_at: the home relay's QUEUED receipt (null when none came),
 * kept after the recipient moved on; "held" counts those still held.
 * overdue_by/overdue_at: its OVERDUE receipt (no 受理確認 by the deadline;
 * null when none came); "overdue" counts those not acknowledged since.
 * required/required_by: whether the policy rules (policy.h) required the
 * recipient when the report was written, and which ones.
 * final_report and proxy_logs are the incident's deadlines (deadline.h:
 * deadline_final_json, deadline_proxy_json), null when it has none; the
 * text shows them as the last lines.
 * mailed_by/mailed_at/mailed_note: the MAILED receipt of the home relay of
 * a recipient without a node (state "mailed": an SMTP server took the
 * mail; nobody has confirmed reading it); "mailed" counts those not
 * delivered since, "unconfirmed" those of them without a phone
 * confirmation. phone_confirmations: [{by, note, at}], what the sender
 * recorded with `confirm` — a person's word, shown apart, never counted
 * as acknowledged.
 * internal_mail: [{role, address, state ("pending" | "sent" | "failed"),
 * attempts, code (the last SMTP reply code; null before the first
 * attempt, 0 when no reply came), reply, at (the last attempt's end),
 * next_at (pending: the next attempt)}], the mails to the municipality's
 * own chain (mailout.h); the text shows one line each, aligned by display
 * width, and the progress line adds "internal mail sent N/M" when there
 * are any.
 * A route's connection is what the daemon recorded (connected since T,
 * not connected since T and why), or no_daemon when none runs (lock.h).
 * Times are RFC 3339 in JST (+09:00), null when not (yet) known.
 */
#ifndef KAIRAN_NODE_STATUS_H
#define KAIRAN_NODE_STATUS_H

#include <stdio.h>

#include <jansson.h>

#include "kairan/directory.h"

#include "config.h"
#include "deadline.h"
#include "store.h"
#include "store_imail.h"
#include "store_msg.h"
#include "store_sent.h"
#include "store_status.h"

enum status_state {
	STATUS_PENDING,
	STATUS_DELIVERED,
	STATUS_ACKNOWLEDGED,
	STATUS_REJECTED,
	STATUS_HELD,		/* stored by its home relay (QUEUED) */
	STATUS_DONE,		/* 対応済: an advisory's DONE receipt */
	STATUS_MAILED,		/* no node: its home relay mailed it (MAILED) */
};

enum status_conn_state {
	STATUS_CONN_NO_DAEMON,	/* no daemon holds the database's lock */
	STATUS_CONN_UNKNOWN,	/* a daemon runs, nothing recorded yet */
	STATUS_CONN_UP,
	STATUS_CONN_DOWN,
};

struct status_conn {
	enum status_conn_state	 state;
	int64_t			 since_ms;
	char			*reason;	/* DOWN: why */
};

struct status_view {
	struct store_msg	 msg;	/* the report or advisory (outbox) */
	/* an advisory (msg.is_advisory): its kind, title and due time */
	int			 adv_kind;	/* Advisory.Kind */
	char			*adv_title;
	int64_t			 due_ms;	/* 0: none */
	int64_t			 now_ms;	/* when loaded: past due or not */
	struct status_conn	*conns;	/* one per cfg->routes[] */
	long			 daemon_pid;	/* 0: none */
	int			 withdrawn;	/* the incident was withdrawn */
	int64_t			 withdrawn_ms;
	char			*withdraw_reason;
	uint8_t			 withdraw_id[KAIRAN_ID_LEN];
	struct store_status	 st;
	const struct config	*cfg;
	const struct directory	*dir;	/* may be NULL */
	size_t			 delivered;	/* delivered or acknowledged */
	size_t			 acknowledged;
	size_t			 rejected;
	size_t			 held;		/* held, not yet further */
	size_t			 overdue;	/* past the deadline, not acknowledged */
	size_t			 done;		/* 対応済 (advisories) */
	size_t			 mailed;	/* mailed, not delivered since */
	size_t			 unconfirmed;	/* of those, not confirmed by phone */
	size_t			 total;
	/* the internal addressees' mails (mailout.h) */
	struct store_imail	*imail;
	size_t			 nimail;
	size_t			 imail_sent, imail_failed;
	/* the incident's deadlines now (deadline.h), for its sender */
	struct deadline_final	 final;
	struct deadline_proxy	 proxy;
};

/*
 * `sent`'s line of report sv, after its counts: ", internal mail sent N/M
 * (failed K)" when it has internal mails; and its JSON fields
 * internal_mail {total, sent, failed} set on x.
 */
void			 status_sent_imail(FILE *, const struct store_sent *);
void			 status_sent_imail_json(json_t *x,
			    const struct store_sent *);
const char		*status_state_name(enum status_state);
const char		*status_conn_name(enum status_conn_state);
/*
 * State of one recipient. A recipient reached by one route and rejected by
 * another relay (multiplexing) is delivered: done (対応済, advisories) >
 * acknowledged > delivered > mailed > rejected > held > pending. A hold
 * (QUEUED) is the stage before delivered; it never hides a later or a
 * final answer. Mailed (a recipient without a node, MAILED) is as far as
 * such a recipient goes: never acknowledged, whatever a phone
 * confirmation says.
 */
enum status_state	 status_of(const struct store_rcpt_state *);

/*
 * Loads the view of outbox report or advisory id. 1, 0 (no such message
 * of ours), -1. An advisory has no incident, withdrawal or deadlines of
 * an incident; its due time (要請) is shown instead, and a recipient not
 * 対応済 after it is "past due".
 */
int	status_load(struct status_view *, struct store *, const struct config *,
	    const struct directory *, const uint8_t id[KAIRAN_ID_LEN],
	    char *err, size_t errlen);
void	status_clear(struct status_view *);

void	status_print(FILE *, const struct status_view *);
/*
 * The recipient lines of status_print, each starting with prefix, the
 * id and name columns aligned by display width (text_fpad): "ID NAME:
 * pending | delivered T | acknowledged T by NAME | done T by NAME \"note\"
 * (対応済) | ...", then ", past due (対応期限超過)" for an advisory.
 */
void	status_recipients_print(FILE *, const struct status_view *,
	    const char *prefix);
json_t	*status_json(const struct status_view *);
/*
 * 1 when every recipient has acknowledged, been finally rejected, or was
 * mailed and confirmed by phone (nothing more can come), 0 otherwise.
 */
int	status_settled(const struct status_view *);

/* "delivered k/n, acknowledged k/n, rejected k/n" (an advisory: ", done k/n") */
void	status_progress(FILE *, const struct status_view *);

#endif
