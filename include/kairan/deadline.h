/*
 * deadline: the two deadlines the seed documents set for an incident,
 * as pure functions of its reports (no store, no timers), shared by the
 * node (node/deadline.c reads them from its store: status, sent, show)
 * and the relay (relay/apiincident.c, the console's 報告様式). The
 * decisions and the seed passages are in node/README.md "Deadlines":
 *
 *   最終報告 (final report): due DEADLINE_FINAL_MS (30 days) after the
 *     latest 収束宣言 (001 「1か月を目途に…最終報告書を取りまとめる」);
 *     overdue after that while no 最終報告 followed it.
 *   プロキシログ確認 (proxy logs checked): a 第1報 whose subtypes name
 *     標的型攻撃 carries a deadline of DEADLINE_PROXY_MS (6 hours) after
 *     discovery (003 「事案発覚後6時間以内に調査」); discovered_at unknown:
 *     after the 第1報's own time. A later report says when the logs were
 *     checked (IncidentReport.proxy_logs_checked_at_ms) and is shown as
 *     期限内 (at or before the deadline), 期限超過 (after it) or 未確認.
 */
#ifndef KAIRAN_DEADLINE_H
#define KAIRAN_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/form.h"
#include "kairan/message.h"

/* 30 days of 24 hours: JST has no daylight saving, so days are 24 h. */
#define DEADLINE_FINAL_MS	(30LL * 24 * 3600 * 1000)
#define DEADLINE_PROXY_MS	(6LL * 3600 * 1000)
/* Room for deadline_proxy_note's text (two RFC 3339 times and words). */
#define DEADLINE_NOTE_LEN	256
/* The subtype that carries the proxy-log deadline (a substring match). */
#define DEADLINE_TARGETED	"標的型攻撃"

/* One report of an incident, as the computations need it. */
struct deadline_report {
	uint32_t		 report_no;
	int			 phase;		/* IncidentReport.Phase */
	int64_t			 created_ms;	/* the report's time */
	const IncidentReport	*r;		/* may be NULL: undecodable */
};

enum deadline_final_state {
	DEADLINE_FINAL_NONE,	/* not closed (or reopened, or withdrawn) */
	DEADLINE_FINAL_DUE,	/* closed, 最終報告 due by due_ms */
	DEADLINE_FINAL_OVERDUE,	/* now is past due_ms, no 最終報告 */
	DEADLINE_FINAL_DONE,	/* a 最終報告 followed the 収束宣言 */
};

struct deadline_final {
	enum deadline_final_state state;
	int64_t		closed_ms;	/* the latest 収束宣言 */
	int64_t		due_ms;		/* closed_ms + DEADLINE_FINAL_MS */
	int64_t		final_ms;	/* DONE: the 最終報告's time */
};

enum deadline_proxy_state {
	DEADLINE_PROXY_NONE,	/* no deadline: not a 標的型攻撃 第1報 */
	DEADLINE_PROXY_UNCHECKED,	/* 未確認 */
	DEADLINE_PROXY_MET,	/* 期限内: checked at or before due_ms */
	DEADLINE_PROXY_MISSED,	/* 期限超過: checked after due_ms */
};

struct deadline_proxy {
	enum deadline_proxy_state state;
	int		discovered;	/* the base is discovered_at (else the
					   第1報's time) */
	int64_t		base_ms;
	int64_t		due_ms;		/* base_ms + DEADLINE_PROXY_MS */
	int64_t		checked_ms;	/* earliest check reported, 0: none */
	uint32_t	checked_in;	/* the report that said so */
	int		late;		/* UNCHECKED and now is past due_ms */
};

/* 1 if r's subtypes name a targeted attack (DEADLINE_TARGETED). */
int	deadline_targeted(const IncidentReport *r);

/*
 * The final report's deadline from reports v[0..n) in any order, at now.
 * The latest 収束宣言 counts; a later 最終報告 makes it DONE, a later
 * 続報 (reopened) or a 取消 anywhere makes it NONE.
 */
void	deadline_final(const struct deadline_report *v, size_t n,
	    int64_t now_ms, struct deadline_final *out);

/*
 * The proxy-log deadline of the incident v[0..n) as known by report
 * upto (report_no; 0: all of them): NONE unless report 1 is a 第1報
 * whose subtypes name 標的型攻撃. The check time is the earliest
 * proxy_logs_checked_at of the reports numbered up to upto; a check at
 * exactly due_ms is MET (「6時間以内」).
 */
void	deadline_proxy(const struct deadline_report *v, size_t n,
	    uint32_t upto, int64_t now_ms, struct deadline_proxy *out);

/* 期限内 / 期限超過 / 未確認 ("" for NONE). */
const char	*deadline_proxy_label(enum deadline_proxy_state);
/* "none", "unchecked", "met", "missed" / "none", "due", ... (JSON). */
const char	*deadline_proxy_name(enum deadline_proxy_state);
const char	*deadline_final_name(enum deadline_final_state);

/*
 * What follows 「プロキシログ確認: 」 ("期限内（期限 T、発見日時から6時間
 * 以内） 確認 T（第N報）", or "未確認（…） 期限を過ぎています"), into buf
 * (always NUL-terminated); "" for NONE. Returns buf.
 */
const char	*deadline_proxy_note(const struct deadline_proxy *, char *buf,
	    size_t len);
/*
 * The proxy-log lines of report m's 報告様式 (kairan/form.h), which the
 * form cannot know from the report alone: on a 第1報 of a targeted attack
 * its deadline, computed from m itself; on a later report the verdict of
 * incident (deadline_proxy up to m; NULL or NONE: none), written into
 * note (its storage, DEADLINE_NOTE_LEN). Sets every member of ctx.
 */
void	deadline_form_context(const Message *m,
	    const struct deadline_proxy *incident, char *note, size_t notelen,
	    struct form_context *ctx);

#endif
