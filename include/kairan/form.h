/*
 * form: one report laid out as the municipal report form (報告様式: 日付,
 * 宛先, 差出人, 件名 「…報告（第N報）」, 記, items 1-9, 以上, 別紙), as data:
 * an ordered list of lines that every surface shares. `kairan-node show
 * --form` prints them (form_render), the relay's console gets them as JSON
 * (form_json, relay/API.md "GET /api/reports/ID/form"), so that both show
 * the same items with the same words (labels.h) in the same order.
 *
 * Every string that came with the report is escaped once, when the form is
 * built (text.h): a control character, a bidi override or a bad byte shows
 * as a visible escape ("\x1b", "\u202e") on the terminal and in the
 * browser alike; free texts keep their newlines and tabs, one-line fields
 * (a title, a name) do not, so they cannot start a line of their own. So
 * every value is valid UTF-8. A field the report leaves empty reads
 * （調査中） (FORM_UNFILLED), as on the paper form's later reports.
 */
#ifndef KAIRAN_FORM_H
#define KAIRAN_FORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/message.h"

#define FORM_UNFILLED	"（調査中）"

/*
 * What a line is; the text form prints each kind as shown (I: depth × the
 * ideographic space U+3000; N: the item's own number, "(3) " of "1.(3)",
 * "1. " of "1"; V: the value, each further line of it indented again):
 *
 *   BANNER      label                   【訓練】… これは訓練です。…
 *   TITLE       label                   the 件名 「…報告（第2報）」
 *   HEADING     I N label               記, "1. 事案の状況", "(3) 情報漏えいの…"
 *   GROUP       I N label ":"           "連絡先:", its items one deeper
 *   ITEM        I N label ": " V        "(3) 発生場所: 本庁舎"
 *   BLOCK       I N label ":", then V one level deeper, on lines of its own
 *   TEXT        I V                     a value without a label
 *   END         label                   以上
 *   ATTACHMENT  I N label "（" V "）"   "1. memo.txt（text/plain、6バイト）"
 *   DIGEST      I "   " label ": " V    "   sha256: …" under its attachment
 */
enum form_kind {
	FORM_BANNER,
	FORM_TITLE,
	FORM_HEADING,
	FORM_GROUP,
	FORM_ITEM,
	FORM_BLOCK,
	FORM_TEXT,
	FORM_END,
	FORM_ATTACHMENT,
	FORM_DIGEST,
};

/* One line; every string is UTF-8, "" when the kind has none. */
struct form_line {
	enum form_kind	 kind;
	int		 depth;	/* indentation, 0 at the margin */
	int		 gap;	/* a blank line before it */
	const char	*no;	/* the form's number: "1", "1.(3)", "8.(1)" */
	const char	*label;	/* the form's words (labels.h) */
	const char	*value;	/* what the report says, escaped; （調査中） */
};

struct form {
	struct form_line	*lines;
	size_t			 n;
	/* private: every string the lines point at that is not static */
	char			**pool;
	size_t			 npool, cappool, cap;
};

/*
 * What the form of one report cannot know from the report alone; each
 * member 0 / NULL for none. The caller that holds the incident computes
 * them with deadline_form_context (kairan/deadline.h): kairan-node from
 * its store, the relay's console from its view (relay/apiincident.c):
 *   proxy_due_ms  on a 第1報 of a targeted attack, the proxy-log deadline,
 *                 shown under 1.(2) 発見日時 as 「プロキシログ確認期限: T
 *                 （事案発覚後6時間以内）」;
 *   proxy_check   on a later report, whether it was met as of this report
 *                 ("期限内（期限 …）確認 …"), shown there as
 *                 「プロキシログ確認: …」 (escaped like the report's text).
 */
struct form_context {
	int64_t		 proxy_due_ms;
	const char	*proxy_check;
};

/*
 * Lays out report m (m->report must be set; ctx and dir may be NULL):
 * the 訓練 or テスト banner first and last if m->status is EXERCISE or
 * TEST, 日付 and times in JST ("2026年11月22日 09時30分"), 宛先 and 差出人
 * as "name（id）" when dir knows them (else the id), the author, 件名,
 * 前文, 記, items 1-9 with the form's numbers, 以上, 別紙, then what
 * kairan needs and the paper form has no place for (報告区分, インシデント
 * 番号, 報告番号). Returns 0 with *out set (free with form_free), or -1 if m
 * is not a report or out of memory (*out NULL).
 */
int	form_build(const Message *m, const struct directory *dir,
	    const struct form_context *ctx, struct form **out);
/* Frees f and its strings; NULL is a no-op. */
void	form_free(struct form *f);

/*
 * Writes f as text (the layout above, one line per line, a newline after
 * each). Returns 0, or -1 on a write error (checked with fflush/ferror).
 */
int	form_render(FILE *out, const struct form *f);

/*
 * {"lines": [{"kind": "item", "no": "1.(3)", "label": "発生場所",
 * "value": "本庁舎", "depth": 1, "gap": false}, …]}; kind is the enum's
 * name in lower case ("banner", "title", "heading", "group", "item",
 * "block", "text", "end", "attachment", "digest"). A new reference, or
 * NULL if out of memory.
 */
json_t	*form_json(const struct form *f);

/* form_build, form_render and form_free in one: 0, or -1 (as they say). */
int	form_print(FILE *out, const Message *m, const struct directory *dir,
	    const struct form_context *ctx);

#endif
