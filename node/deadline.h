/*
 * deadline: the deadlines of an incident as the node shows them (status,
 * sent, show; see node/README.md "Deadlines"). What they are and how they
 * are computed, pure functions of the reports and the current time, is
 * proto/deadline.c (kairan/deadline.h), which the relay's console calls
 * too; this module reads an incident's reports from the node's store for
 * it (deadline_load), and prints the results or gives them as JSON.
 */
#ifndef KAIRAN_NODE_DEADLINE_H
#define KAIRAN_NODE_DEADLINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "kairan/deadline.h"
#include "kairan/message.h"

#include "store.h"
#include "store_msg.h"

/* An incident's reports from the store, decoded, in report_no order. */
struct deadline_set {
	struct deadline_report	*v;
	Message			**m;
	struct store_msg	*sm;
	size_t			 n;
};

/*
 * Loads the reports of incident (dir: ours or received) into set (clear
 * with deadline_set_clear; a report that does not decode has r NULL).
 * Returns 0 or -1 with err.
 */
int	deadline_load(struct deadline_set *, struct store *, enum store_dir,
	    const uint8_t incident[KAIRAN_ID_LEN], char *err, size_t errlen);
void	deadline_set_clear(struct deadline_set *);

/*
 * The proxy-log verdict of incident (dir) as its report upto knows it
 * (deadline_proxy over the reports numbered up to upto), at now, into out:
 * what a report's 報告様式 says about the proxy logs, in `show --form` and
 * in the internal mail alike (deadline_form_context then makes its lines).
 * 0, or -1 with err (out is NONE then: the form lacks the verdict).
 */
int	deadline_report_proxy(struct store *, enum store_dir,
	    const uint8_t incident[KAIRAN_ID_LEN], uint32_t upto,
	    int64_t now_ms, struct deadline_proxy *out, char *err,
	    size_t errlen);

/*
 * Text lines for the sender (status, sent): prefix, then
 * "最終報告: due by DATE (収束宣言 T + 30日, 001 「1か月を目途」)",
 * "最終報告: OVERDUE since DATE ...", "最終報告: sent T"; nothing for
 * NONE. And "プロキシログ確認: 期限 T (標的型攻撃, 事案発覚後6時間以内):
 * 期限内 (確認 T, 第N報)" and the like; nothing for NONE.
 */
void	deadline_final_print(FILE *, const char *prefix,
	    const struct deadline_final *);
void	deadline_proxy_print(FILE *, const char *prefix,
	    const struct deadline_proxy *);
/*
 * {state, closed_at, due_at, final_at} / {state, label, due_at,
 * base, checked_at, checked_in, late}; JSON null for NONE. New
 * references.
 */
json_t	*deadline_final_json(const struct deadline_final *);
json_t	*deadline_proxy_json(const struct deadline_proxy *);

#endif
