/*
 * form: lays an incident out like the municipal report form (報告様式:
 * 第N報, 1. 事案の状況 ...), in Japanese, for `kairan-node show --form`.
 */
#ifndef KAIRAN_NODE_FORM_H
#define KAIRAN_NODE_FORM_H

#include <stdio.h>

#include "kairan/directory.h"
#include "kairan/message.h"

/*
 * Writes one report (m->report must be set) as a form to out: header
 * (訓練 banner first if m->status is EXERCISE, テスト if TEST), 第N報,
 * sender name from dir (may be NULL: the id is shown), times in JST
 * (Asia/Tokyo, "2026年11月22日 09時30分"), then the numbered items of the
 * form. Returns 0 or -1 on write error.
 */
int	form_render(FILE *out, const Message *m, const struct directory *dir);

/*
 * What the form of one report cannot know from the report alone (each
 * member may be NULL): proxy, the proxy-log deadline of the incident as
 * of this report (deadline.h), shown under 1.(3) 発見日時 on reports
 * after the 第1報 as 「プロキシログ確認: 期限内 / 期限超過 / 未確認」.
 */
struct deadline_proxy;
struct form_context {
	const struct deadline_proxy	*proxy;
};

/* form_render with ctx (NULL: as form_render). */
int	form_render_ctx(FILE *out, const Message *m,
	    const struct directory *dir, const struct form_context *ctx);

#endif
