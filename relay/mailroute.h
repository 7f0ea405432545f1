/*
 * mailroute: the mail route, for recipients without a node.
 *
 * Not every body the seeds report to will run a kairan node (the police,
 * NISC, 警察庁, J-LIS, IPA, JPCERT/CC: `000_5cd2ed35d83a42f9.txt` 第2条,
 * `002_11656a251d31ffcc.txt` 「警察及び関係機関との緊密な連携」); the
 * directory says so per entity (`"node": false`). A delivery to such a
 * recipient would never drain, so its home relay mails the report
 * instead (`001_497a7f08171ce70d.txt` 「メールは24時間受付」: mail is a
 * real route):
 *
 *   - at commit (commit.c, routing says ROUTING_MAIL): one row per
 *     (report, recipient) in the store, written in the report's own
 *     transaction, so a kill -9 after the Accepted loses nothing. Without
 *     [smtp] url, or without an e-mail address in the directory, there is
 *     no route: a REJECTED of ours names the recipient and why, at once;
 *   - the mail: the 報告様式 in Japanese as the body (proto/form.c, the
 *     same text as `kairan-node show --form`), and the signed envelope
 *     attached, unchanged (application/octet-stream, base64, REPORT-ID.
 *     kairan), so that anyone can check it later with `kairan-node verify
 *     FILE`. Receipts are never mailed;
 *   - sending: through mail.c (libcurl's multi interface on the libev
 *     loop), at most MAIL_MAX_INFLIGHT at once, from one timer armed at
 *     the earliest due row; a row in flight is never started twice;
 *   - the reply: 2xx: the row is sent and, in the same transaction, a
 *     MAILED receipt signed by this relay names the recipient (`note`:
 *     the address and the reply), addressed to the report's sender, whose
 *     node shows "mailed (unconfirmed)": a server took the mail, nobody
 *     has confirmed reading it. 5xx: failed, and a REJECTED of ours says
 *     why (with the SMTP code). 4xx or no reply: tried again after
 *     [escalation] retry, doubling, at most MAILROUTE_ATTEMPTS times,
 *     then failed like a 5xx. Every outcome is logged with the code.
 *   - at least once: a crash between the server's 250 and the row's
 *     commit sends the mail again after the restart (SMTP cannot be
 *     asked whether a mail was taken); at stop the mails in flight are
 *     abandoned and their rows stay pending.
 *
 * No escalation is planned for such a recipient: it cannot sign a 受理確認,
 * so its confirmation is a person's, by phone (`kairan-node confirm`).
 */
#ifndef KAIRAN_RELAY_MAILROUTE_H
#define KAIRAN_RELAY_MAILROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan/message.h"

struct form_context;

struct server;
struct directory;
struct dir_entity;

#define MAILROUTE_ATTEMPTS	6	/* of one mail, before it is failed */
#define MAILROUTE_MAX_SLEEP	3600.	/* s: re-read the store at least this often */
#define MAILROUTE_STORE_RETRY	5.	/* s: after the store failed us */

/* At start: the timer from the store. 0, or -1 logged. */
int	mailroute_start(struct server *);
/* At stop: the timer; the mails in flight abandoned (rows stay pending). */
void	mailroute_stop(struct server *);
/* After a commit that may have added rows: the timer to the earliest. */
void	mailroute_rearm(struct server *);

/*
 * Inside the open transaction: report m (stored as seq, its digest) for
 * recipient, served here, who runs no node, accepted at now: its mail
 * row, or, where it cannot be mailed (no [smtp] url, no address), a
 * REJECTED of ours naming it. Returns 0 or -1 with err.
 */
int	mailroute_plan(struct server *, const Message *m, int64_t seq,
	    const uint8_t digest[KAIRAN_DIGEST_LEN], const char *recipient,
	    int64_t now, char *err, size_t errlen);

/*
 * The mail (for the tests too): RFC 5322 headers (the subject in RFC 2047,
 * UTF-8, B), a multipart/mixed body of two parts, CRLF line ends: the
 * text/plain; charset=UTF-8 part in base64 (a few lines of how and why,
 * then the 報告様式 of form_build/form_render with ctx's proxy-log lines,
 * as `show --form` prints it), and the envelope bytes as
 * application/octet-stream in base64, named ID.kairan. A malloc'd
 * NUL-terminated string, or NULL (out of memory, or m not a report).
 */
struct mailroute_mail {
	const char		*relay;		/* this relay's id */
	const char		*from;		/* [smtp] from */
	const char		*to;		/* the point of contact's e-mail */
	const Message		*m;		/* the report */
	const uint8_t		*env;		/* its Envelope bytes */
	size_t			 envlen;
	const struct directory	*dir;		/* names in the form; may be NULL */
	const struct dir_entity	*recipient;	/* NULL if unknown */
	/* the form's proxy-log lines, as show --form has them; NULL: none */
	const struct form_context *ctx;
	int64_t			 now_ms;	/* the Date header */
};
char	*mailroute_text(const struct mailroute_mail *);

#endif
