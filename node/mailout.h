/*
 * mailout: every report of ours mailed to the municipality's own chain,
 * its internal addressees.
 *
 * The 一斉同報 of an incident also goes up the municipality's own chain
 * to the CISO (`003_*.txt` 「当該市区町村庁内(CISOまでの連絡ルートの整備
 * を含む)」), and at level 2 and 3 also to the CSIRT責任者 and the 危機管理課
 * (`000_5cd2ed35d83a42f9.txt` 第7条). The node's [internal] section names
 * them by role and e-mail with the levels each gets (config.h); see
 * node/INTERNAL-MAIL.md.
 *
 *   - planning: the command line that writes a report (or an advisory,
 *     for an addressee marked "advisories") writes, in the same
 *     transaction, one internal_mail row per addressee whose levels take
 *     the report's level (store_imail_set, store_imail.h): a kill -9 after
 *     `send` loses no mail;
 *   - the mail: the 報告様式 in Japanese (proto/form.c, the text of `show
 *     --form`) as the body, the signed envelope attached as ID.kairan,
 *     unchanged, as the relay's mail route does (kairan/mime.h), so that
 *     `kairan-node verify ID.kairan` checks it;
 *   - sending: by the daemon, on its loop, through kairan/mail.h
 *     (libcurl's multi interface on libev), at most MAIL_MAX_INFLIGHT at
 *     once, from one timer armed at the earliest due row and at every
 *     poke of the command line. A row is claimed before its mail starts
 *     (due moved past the attempt's timeout), so it is never started
 *     twice, not even by a daemon restarted after a kill -9;
 *   - the reply: 2xx: sent; 5xx: failed, with its code; 4xx or no reply:
 *     tried again after [internal] retry, doubling (at most an hour), up
 *     to [internal] attempts, then failed. Each outcome is logged and
 *     stored (code, reply, time, attempts) for `status`;
 *   - exactly once as far as SMTP allows: a crash between the server's
 *     250 and our commit sends that mail again after the restart (SMTP
 *     cannot be asked whether a mail was taken); at stop the mails in
 *     flight are abandoned and their rows stay pending.
 */
#ifndef KAIRAN_NODE_MAILOUT_H
#define KAIRAN_NODE_MAILOUT_H

#include <stdint.h>

#include "kairan/directory.h"
#include "kairan/mime.h"

#include "config.h"
#include "store.h"

struct ev_loop;
struct form_context;
struct mailout;

#define MAILOUT_MAX_RETRY_MS	3600000	/* the doubling stops at an hour */
#define MAILOUT_MAX_SLEEP	3600.	/* s: re-read the store this often */
#define MAILOUT_STORE_RETRY	1.	/* s: after the store failed us */

/*
 * The daemon's mailer, on loop, for cfg's [smtp] (cfg, store and *dir
 * stay the caller's and outlive it; *dir may change on reload). NULL if
 * cfg has no [smtp] (nothing can be mailed; rows stay pending) or,
 * logged, if libcurl will not. Arms its timer at once.
 */
struct mailout	*mailout_new(struct ev_loop *, const struct config *cfg,
		    struct store *, struct directory *const *dir);
/* Something new may be in the store (a poke): look now. NULL: no-op. */
void		 mailout_kick(struct mailout *);
/* Abandons the mails in flight (rows stay pending) and frees. NULL: no-op. */
void		 mailout_free(struct mailout *);

/* What mailout_text needs (for the tests too). */
struct mailout_mail {
	const Message		*m;		/* the report or advisory */
	const uint8_t		*env;
	size_t			 envlen;
	const char		*node;		/* our id */
	const char		*role;		/* the addressee's */
	const char		*from;		/* [smtp] from */
	const char		*to;
	const struct directory	*dir;		/* names; may be NULL */
	/* a report's proxy-log lines, as show --form has them; NULL: none */
	const struct form_context *ctx;
	int64_t			 now_ms;
};
/*
 * The whole mail (kairan/mime.h mime_report_text): subject
 * "[【訓練】]【kairan 庁内】SENDER 第N報「TITLE」（レベルL）", a few lines
 * addressed to the role, then the 報告様式 with ctx's proxy-log lines, as
 * `kairan-node show --form` prints it (an advisory: its kind, title,
 * summary and actions), the envelope attached as ID.kairan. Malloc'd, or
 * NULL (out of memory, or m is neither a report nor an advisory).
 */
char	*mailout_text(const struct mailout_mail *);

#endif
