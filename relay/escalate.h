/*
 * escalate: escalation by deadline of the reports this relay holds for
 * the recipients it serves (the home relay chases its own: a prefecture
 * relay its municipalities, the national relay the national bodies).
 *
 * When a report is committed for a recipient served here (routing says
 * ROUTING_SERVED), its steps are written in the same transaction, one
 * row per (report, recipient, step), with absolute due times counted
 * from the relay's acceptance of the report (the sender's clock is not
 * trusted, and a recipient whose node is offline must be chased all the
 * same):
 *
 *   step 0   at deadline = accepted + [escalation] levelL: the recipient
 *            is marked overdue, `overdue id=… recipient=… level=L
 *            since=…` at warning (read by the console and /metrics);
 *   step k   (1..mails, only with [smtp] url) at deadline + (k-1) *
 *            repeat: an e-mail to the recipient's point of contact of
 *            the directory, in Japanese.
 *
 * The recipient's ACKNOWLEDGED receipt for the report cancels every
 * pending step of it, in the transaction that commits the receipt; a
 * WITHDRAWN report cancels those of every report of its incident.
 * Reports of status TEST, WITHDRAWN reports and receipts are never
 * chased; a level whose deadline is "off" neither.
 *
 * The steps run from one libev timer armed at the earliest due time in
 * the store (nothing is polled), one step per timer pass: after a kill
 * -9 the first pass after the restart finds every step that fell due
 * meanwhile and runs each once. A step is marked ended only after it
 * ran: a crash in the milliseconds between a mail's final 250 and that
 * UPDATE would send it again at the restart (at least once; SMTP offers
 * no way to ask whether a mail was taken).
 *
 * Sending: through mail.c, libcurl's multi interface on the relay's
 * libev loop: a pass that finds a mail due starts it and goes on, the
 * row staying pending; the row ends only when the transfer does (its
 * callback, on the loop, with the reply code). At most
 * MAIL_MAX_INFLIGHT (4) mails are in flight; a row in flight is never
 * started twice (escalate.c keeps the set, and each pass walks past its
 * rows in the store's order); a due mail beyond the bound stays due in
 * the store until one ends (and a step 0 due behind it waits as long,
 * at most [smtp] timeout). Each attempt is bounded by [smtp] timeout
 * (connect to the last reply, default 10 s) and makes no one wait but
 * its own row, except for the one wait left inside libcurl 7.88: the
 * reply to the message's final "." (mail.h). At stop the mails in
 * flight are abandoned (`mail abandoned … reason=stopping`): their rows
 * stay pending and are sent again after the restart, so a mail whose
 * 250 was on its way may come twice (at least once, as above).
 *
 * Replies: 2xx done; 5xx (the address or the message refused for good)
 * failed, with the code and curl's text; 4xx and failures without a
 * reply (connection, timeout) are tried again after retry, doubling, at
 * most ESCALATE_ATTEMPTS times, then failed. Each mail is its own row
 * and its own SMTP transaction: one bad address never holds back the
 * others.
 */
#ifndef KAIRAN_RELAY_ESCALATE_H
#define KAIRAN_RELAY_ESCALATE_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/message.h"

struct server;

#define ESCALATE_ATTEMPTS	6	/* of one mail, before it is failed */
#define ESCALATE_MAX_SLEEP	3600.	/* s: re-read the store at least this often */
#define ESCALATE_STORE_RETRY	5.	/* s: after the store failed us */

/* Arms the timer from the store (at start). 0, or -1 with a log line. */
int	escalate_start(struct server *);
/* At stop: the timer, and the mails in flight abandoned (see above). */
void	escalate_stop(struct server *);

/*
 * Inside the open transaction: the steps of report m (stored as seq) for
 * recipient, served here, accepted at now. Returns 0 or -1 with err.
 */
int	escalate_plan(struct server *, const Message *m, int64_t seq,
	    const char *recipient, int64_t now, char *err, size_t errlen);
/*
 * Inside the open transaction: what a committed message ends — a
 * recipient's ACKNOWLEDGED cancels its steps for that report, a
 * WITHDRAWN report those of its incident. Returns 0 or -1 with err.
 */
int	escalate_cancel(struct server *, const Message *m, int64_t now,
	    char *err, size_t errlen);
/* After a commit that may have added steps: the timer to the earliest. */
void	escalate_rearm(struct server *);

/*
 * The mail of one step (for the tests too): RFC 5322 headers with the
 * subject in RFC 2047 (UTF-8, B), a text/plain; charset=UTF-8 body in
 * base64, CRLF line ends. A malloc'd NUL-terminated string, or NULL.
 * k of n: the mail's number among the mails of this step.
 */
struct dir_entity;
struct escalate_mail {
	const char		*relay;		/* this relay's id */
	const char		*from;		/* [smtp] from */
	const char		*to;		/* the point of contact's e-mail */
	const Message		*m;		/* the report */
	const struct dir_entity	*sender;	/* NULL if unknown */
	const struct dir_entity	*recipient;	/* NULL if unknown */
	int64_t			 accepted_ms;	/* when this relay took it */
	int64_t			 deadline_ms;
	int64_t			 now_ms;	/* the Date header */
	int			 k, n;
};
char	*escalate_mail_text(const struct escalate_mail *);

#endif
