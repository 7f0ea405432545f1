/*
 * inbox: what came in and our answers to it: inbox (received reports,
 * then advisories, as aligned tables or JSON), ack (受理確認 of a report,
 * 確認しました of an advisory) and done (対応済 of an advisory), each
 * answer a signed receipt to the sender.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>

#include <jansson.h>

#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "inbox.h"
#include "compose.h"
#include "show.h"
#include "store.h"
#include "store_inbox.h"
#include "store_msg.h"
#include "table.h"

#define INBOX_RECENT		20	/* acknowledged reports shown by default */

/* s cut at max - 1 bytes (at its first newline if nl) on a UTF-8 boundary. */
static void
cut(const char *s, int nl, char *out, size_t max)
{
	size_t n = 0;

	while (s[n] != '\0' && !(nl && s[n] == '\n') && n < max - 1)
		n++;
	while (n > 0 && s[n] != '\0' && s[n] != '\n' &&
	    ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* ---- the inbox's tables: one printer over column specs ---- */

#define INBOX_COL	256	/* bytes of one cell */

/* One row of an inbox table: received message m, stored as sm. */
struct inbox_row {
	const struct cli	*c;
	const struct store_msg	*sm;
	const Message		*m;
};

/*
 * One column of an inbox table: writes its cell for row r into cell
 * (INBOX_COL bytes), raw: table_row escapes it.
 */
typedef void	inbox_cell_fn(const struct inbox_row *r, char *cell);

/* The columns of a table, left to right; the last one is not padded. */
struct inbox_spec {
	inbox_cell_fn	*const *col;
	size_t		 ncols;
};

/* Columns both tables have. ID */
static void
cell_id(const struct inbox_row *r, char *cell)
{
	message_hex(r->sm->id, KAIRAN_ID_LEN, cell);
}

/* DATE TIME of receipt (JST) */
static void
cell_received(const struct inbox_row *r, char *cell)
{
	char t[JST_BUFLEN];

	snprintf(cell, INBOX_COL, "%s", jst_short(r->sm->received_ms, t));
}

/* SENDER NAME */
static void
cell_sender(const struct inbox_row *r, char *cell)
{
	snprintf(cell, INBOX_COL, "%s %s", r->m->sender,
	    cli_entity_name(r->c->dir, r->m->sender));
}

/* A report's columns. 第N報[ 収束宣言|最終報告|取消] */
static void
cell_report_no(const struct inbox_row *r, char *cell)
{
	const IncidentReport *ir = r->m->report;

	/* 収束宣言, 最終報告, 取消: the phases a reader must not miss */
	if (ir->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED ||
	    ir->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL ||
	    ir->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN)
		snprintf(cell, INBOX_COL, "第%u報 %s", ir->report_no,
		    label_phase(ir->phase));
	else
		snprintf(cell, INBOX_COL, "第%u報", ir->report_no);
}

/* [訓練  ]未確認|確認済 BY */
static void
cell_report_state(const struct inbox_row *r, char *cell)
{
	const struct store_msg *sm = r->sm;
	const char *mark = label_status(r->m->status);

	snprintf(cell, INBOX_COL, "%s%s%s%s", mark,
	    mark[0] != '\0' ? "  " : "", sm->ack_ms > 0 ? "確認済 " : "未確認",
	    sm->ack_ms > 0 && sm->ack_by != NULL ? sm->ack_by : "");
}

/* レベルL */
static void
cell_level(const struct inbox_row *r, char *cell)
{
	snprintf(cell, INBOX_COL, "レベル%u", r->m->report->level);
}

/* CATEGORY */
static void
cell_category(const struct inbox_row *r, char *cell)
{
	snprintf(cell, INBOX_COL, "%s", label_category(r->m->report->category));
}

/* TITLE: the title, else the summary's first line */
static void
cell_report_title(const struct inbox_row *r, char *cell)
{
	const IncidentReport *ir = r->m->report;

	if (ir->title[0] != '\0')
		cut(ir->title, 0, cell, 160);
	else
		cut(ir->summary, 1, cell, 160);
}

/* An advisory's columns. 注意喚起|情報提供|要請 */
static void
cell_advisory_kind(const struct inbox_row *r, char *cell)
{
	snprintf(cell, INBOX_COL, "%s",
	    message_advisory_kind_label(r->m->advisory->kind));
}

/* [訓練  ]未確認|確認済 BY|対応済 BY */
static void
cell_advisory_state(const struct inbox_row *r, char *cell)
{
	const struct store_msg *sm = r->sm;
	const char *mark = label_status(r->m->status);

	snprintf(cell, INBOX_COL, "%s%s%s%s", mark,
	    mark[0] != '\0' ? "  " : "", sm->done_ms > 0 ? "対応済 " :
	    sm->ack_ms > 0 ? "確認済 " : "未確認",
	    sm->done_ms > 0 && sm->done_by != NULL ? sm->done_by :
	    sm->done_ms == 0 && sm->ack_ms > 0 && sm->ack_by != NULL ?
	    sm->ack_by : "");
}

/* 期限 DATE TIME | 期限なし */
static void
cell_due(const struct inbox_row *r, char *cell)
{
	char t[JST_BUFLEN];

	if (r->m->advisory->due_at_ms > 0)
		snprintf(cell, INBOX_COL, "期限 %s",
		    jst_short(r->m->advisory->due_at_ms, t));
	else
		snprintf(cell, INBOX_COL, "期限なし");
}

/* SOURCE */
static void
cell_source(const struct inbox_row *r, char *cell)
{
	cut(r->m->advisory->source, 0, cell, 80);
}

/* TITLE */
static void
cell_advisory_title(const struct inbox_row *r, char *cell)
{
	cut(r->m->advisory->title, 0, cell, 160);
}

/*
 * The reports:
 * ID  DATE TIME  SENDER NAME  第N報  [訓練  ]未確認|確認済 BY  レベルL  CATEGORY  TITLE
 */
static inbox_cell_fn *const report_cols[] = {
	cell_id, cell_received, cell_sender, cell_report_no,
	cell_report_state, cell_level, cell_category, cell_report_title,
};
static const struct inbox_spec report_table = {
	report_cols, sizeof(report_cols) / sizeof(report_cols[0])
};

/*
 * The advisories:
 * ID  DATE TIME  SENDER NAME  種別  STATE  期限  SOURCE  TITLE
 */
static inbox_cell_fn *const advisory_cols[] = {
	cell_id, cell_received, cell_sender, cell_advisory_kind,
	cell_advisory_state, cell_due, cell_source, cell_advisory_title,
};
static const struct inbox_spec advisory_table = {
	advisory_cols, sizeof(advisory_cols) / sizeof(advisory_cols[0])
};

/*
 * The rows of messages m[0..n) (v: their rows in the store; a NULL m[i]
 * is skipped) as table spec, aligned by display width (table.h), every
 * value escaped on one line so that no message can move the cursor or
 * fake a line. A report of a withdrawn incident has the withdrawal banner
 * on the line above it (outside the columns).
 */
static void
inbox_table(const struct cli *c, const struct inbox_spec *spec,
    const struct store_msg *v, Message **m, size_t n)
{
	const char *row[TABLE_MAXCOLS];
	struct inbox_row r;
	struct table t;
	char *cell;	/* n rows of spec->ncols cells of INBOX_COL bytes */
	size_t i, k;

	if (n == 0 || (cell = calloc(n * spec->ncols, INBOX_COL)) == NULL)
		return;
	table_init(&t, spec->ncols);
	for (i = 0; i < n; i++) {
		if (m[i] == NULL)
			continue;
		r.c = c;
		r.sm = &v[i];
		r.m = m[i];
		for (k = 0; k < spec->ncols; k++) {
			row[k] = cell + (i * spec->ncols + k) * INBOX_COL;
			spec->col[k](&r, cell + (i * spec->ncols + k) *
			    INBOX_COL);
		}
		table_measure(&t, row);
	}
	for (i = 0; i < n; i++) {
		if (m[i] == NULL)
			continue;
		show_withdrawal_banner(c, &v[i]);
		for (k = 0; k < spec->ncols; k++)
			row[k] = cell + (i * spec->ncols + k) * INBOX_COL;
		(void)table_row(stdout, &t, row);
	}
	free(cell);
}

static void
usage_inbox(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] inbox [--json] [--all] "
	    "[--advisories]\n"
	    "  Received reports, newest first: every unacknowledged one "
	    "(未確認) and\n"
	    "  the %d most recent acknowledged ones; --all shows every one.\n"
	    "  Advisories (注意喚起・情報提供・要請) follow in a section of "
	    "their own,\n"
	    "  with 未確認, 確認済 or 対応済 and the due time (期限).\n"
	    "  --advisories  only the advisories (with --json: an array of "
	    "them; without,\n"
	    "                --json lists the reports only, as before).\n"
	    "  Drill traffic is marked 訓練.\n", INBOX_RECENT);
}

int
inbox_verb_inbox(struct cli *c, int argc, char **argv)
{
	struct store_msg *v = NULL;
	Message *m, **ms = NULL, **as = NULL;
	json_t *arr = NULL;
	char err[512];
	long n = 0, i, nadv = 0, nrep = 0;
	int json = 0, all = 0, advonly = 0, rc = CLI_ERROR;
	const struct cli_opt opts[] = {
		{ "json", 'j', NULL, &json, 0 },
		{ "all", 'a', NULL, &all, 0 },
		{ "advisories", 'A', NULL, &advonly, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	if (!cli_args(c, argc, argv, opts, 0, NULL, usage_inbox, &rc))
		return rc;
	rc = CLI_ERROR;
	if (cli_open(c, 0) == -1)
		return CLI_ERROR;
	if ((n = store_inbox_list(c->store, all, INBOX_RECENT, &v, err,
	    sizeof(err))) == -1) {
		n = 0;
		cli_err(c, "%s", err);
		goto done;
	}
	if ((ms = calloc(n > 0 ? (size_t)n : 1, sizeof(*ms))) == NULL ||
	    (as = calloc(n > 0 ? (size_t)n : 1, sizeof(*as))) == NULL) {
		cli_err(c, "out of memory");
		goto done;
	}
	if (json)
		arr = json_array();
	/* reports in ms[], advisories in as[], each at its row's index */
	for (i = 0; i < n; i++) {
		if ((m = cli_shown_message(&v[i], err, sizeof(err))) == NULL) {
			cli_err(c, "stored message: %s", err);
			continue;
		}
		if (m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY &&
		    v[i].is_advisory) {
			nadv++;
			if (json && advonly) {
				json_array_append_new(arr, show_msg_json(c,
				    &v[i], m));
				message_free(m);
			} else
				as[i] = m;
			continue;
		}
		if (m->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT) {
			message_free(m);
			continue;
		}
		nrep++;
		if (json && !advonly) {
			json_array_append_new(arr, show_msg_json(c, &v[i], m));
			message_free(m);
		} else
			ms[i] = m;
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		if (!advonly)
			inbox_table(c, &report_table, v, ms, (size_t)n);
		/* advisories apart: a heading, then their own table */
		if (nadv > 0 && !advonly)
			printf("%s注意喚起・情報提供・要請 (advisories): %ld\n",
			    nrep > 0 ? "\n" : "", nadv);
		inbox_table(c, &advisory_table, v, as, (size_t)n);
	}
	rc = CLI_OK;
done:
	for (i = 0; ms != NULL && i < n; i++)
		message_free(ms[i]);
	for (i = 0; as != NULL && i < n; i++)
		message_free(as[i]);
	free(ms);
	free(as);
	json_decref(arr);
	store_msgs_free(v, (size_t)n);
	return rc;
}

/* ---- ack ---- */

static void
usage_ack(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] ack ID --by NAME "
	    "[--note TEXT]\n"
	    "  A person's acknowledgement (受理確認) of a received report, "
	    "signed and\n"
	    "  sent to its sender; for an advisory, its 確認しました. ID: a "
	    "message id,\n"
	    "  or an incident id (every unacknowledged report of it), or a "
	    "unique\n"
	    "  prefix of either (6+ hex digits).\n"
	    "  Prints: acknowledged <message id> receipt <receipt id>\n"
	    "  With no daemon running it says so on stderr (exit 0): the "
	    "receipt waits\n"
	    "  in the outbox.\n");
}

static int
ack_one(struct cli *c, const struct store_msg *sm, const char *by,
    const char *note)
{
	struct composed rc;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1], rhex[KAIRAN_ID_HEXLEN + 1];
	char t[JST_BUFLEN];
	int already = 0;

	message_hex(sm->id, KAIRAN_ID_LEN, hex);
	if (sm->ack_ms > 0) {
		printf("already acknowledged %s by ", hex);
		(void)text_fputs(sm->ack_by != NULL ? sm->ack_by : "?", 0,
		    stdout);
		printf(" at %s\n", jst_rfc3339(sm->ack_ms, t));
		return CLI_OK;
	}
	if (compose_receipt(&rc, c->signer, sm->sender, sm->id, sm->digest,
	    sm->status, KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED, by, note,
	    err, sizeof(err)) == -1) {
		cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	if (store_inbox_ack(c->store, sm->id, by, note, message_now_ms(),
	    &rc.msg, rc.env, rc.envlen, rc.digest, &already, err,
	    sizeof(err)) == -1) {
		compose_clear(&rc);
		cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	message_hex(rc.id, KAIRAN_ID_LEN, rhex);
	compose_clear(&rc);
	if (already)
		printf("already acknowledged %s\n", hex);
	else
		printf("acknowledged %s receipt %s\n", hex, rhex);
	return CLI_OK;
}

int
inbox_verb_ack(struct cli *c, int argc, char **argv)
{
	const char *by = NULL, *note = NULL;
	struct store_msg one, *v = NULL;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512];
	long n = 0, i;
	int found, rc = CLI_ERROR, r, any = 0;
	const struct cli_opt opts[] = {
		{ "by", 'b', &by, NULL, 1 },
		{ "note", 'n', &note, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	if (!cli_args(c, argc, argv, opts, 1, "ID", usage_ack, &rc))
		return rc;
	rc = CLI_ERROR;
	if (cli_id_syntax(c, argv[optind], usage_ack) == -1)
		return CLI_USAGE;
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((rc = cli_resolve_id(c, argv[optind], STORE_ID_IN_MSG |
	    STORE_ID_IN_INC, id)) != 0)
		return rc;
	rc = CLI_ERROR;
	memset(&one, 0, sizeof(one));
	if ((found = store_msg_get(c->store, STORE_IN, id, &one, err,
	    sizeof(err))) == -1) {
		cli_err(c, "%s", err);
		goto done;
	}
	if (found == 1) {
		any = one.ack_ms == 0;
		rc = ack_one(c, &one, by, note);
		store_msg_clear(&one);
		goto poke;
	}
	if ((n = store_msg_incident(c->store, STORE_IN, id, &v, err,
	    sizeof(err))) <= 0) {
		if (n == -1)
			cli_err(c, "%s", err);
		else
			cli_err(c, "%s: no received message or incident with "
			    "this id", argv[optind]);
		n = 0;
		goto done;
	}
	rc = CLI_OK;
	for (i = 0; i < n; i++) {
		if (v[i].ack_ms > 0)
			continue;
		any = 1;
		if ((r = ack_one(c, &v[i], by, note)) != CLI_OK)
			rc = r;
	}
	if (!any)
		printf("already acknowledged: every report of this incident\n");
poke:
	if (any && rc == CLI_OK)
		cli_queued(c);
done:
	store_msgs_free(v, (size_t)n);
	return rc;
}

/* ---- done: 対応済 of an advisory ---- */

static void
usage_done(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] done ID --by NAME --note TEXT\n"
	    "  Reports a received advisory done (対応済): a signed receipt "
	    "to its sender\n"
	    "  with who and what was done. Only for an advisory; a report is "
	    "acknowledged\n"
	    "  with ack. ID: its id or a unique prefix (6+ hex digits).\n"
	    "  Prints: done <message id> receipt <receipt id>\n");
}

int
inbox_verb_done(struct cli *c, int argc, char **argv)
{
	const char *by = NULL, *note = NULL;
	struct store_msg sm;
	struct composed rc;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512], hex[KAIRAN_ID_HEXLEN + 1], rhex[KAIRAN_ID_HEXLEN + 1];
	char t[JST_BUFLEN];
	int found, already = 0, r = CLI_ERROR;
	const struct cli_opt opts[] = {
		{ "by", 'b', &by, NULL, 1 },
		{ "note", 'n', &note, NULL, 1 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	if (!cli_args(c, argc, argv, opts, 1, "ID", usage_done, &r))
		return r;
	if (by[0] == '\0' || note[0] == '\0') {
		cli_err(c, "%s: empty; 対応済 says who and what was done",
		    by[0] == '\0' ? "--by" : "--note");
		usage_done(stderr);
		return CLI_USAGE;
	}
	if (cli_id_syntax(c, argv[optind], usage_done) == -1)
		return CLI_USAGE;
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((r = cli_resolve_id(c, argv[optind], STORE_ID_IN_MSG, id)) != 0)
		return r;
	memset(&sm, 0, sizeof(sm));
	if ((found = store_msg_get(c->store, STORE_IN, id, &sm, err,
	    sizeof(err))) != 1) {
		if (found == 0)
			cli_err(c, "%s: no received message with this id",
			    argv[optind]);
		else
			cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	r = CLI_ERROR;
	message_hex(sm.id, KAIRAN_ID_LEN, hex);
	if (!sm.is_advisory) {
		cli_err(c, "%s: 対応済 (done) is only for an advisory; this is "
		    "an incident report: acknowledge it with ack", hex);
		goto out;
	}
	if (sm.done_ms > 0) {
		printf("already done %s by ", hex);
		(void)text_fputs(sm.done_by != NULL ? sm.done_by : "?", 0,
		    stdout);
		printf(" at %s\n", jst_rfc3339(sm.done_ms, t));
		r = CLI_OK;
		goto out;
	}
	if (compose_receipt(&rc, c->signer, sm.sender, sm.id, sm.digest,
	    sm.status, KAIRAN__V1__RECEIPT__STATE__DONE, by, note, err,
	    sizeof(err)) == -1) {
		cli_err(c, "%s", err);
		goto out;
	}
	if (store_inbox_done(c->store, sm.id, by, note, message_now_ms(),
	    &rc.msg, rc.env, rc.envlen, rc.digest, &already, err,
	    sizeof(err)) == -1) {
		compose_clear(&rc);
		cli_err(c, "%s", err);
		goto out;
	}
	message_hex(rc.id, KAIRAN_ID_LEN, rhex);
	compose_clear(&rc);
	if (already)
		printf("already done %s\n", hex);
	else {
		printf("done %s receipt %s\n", hex, rhex);
		cli_queued(c);
	}
	r = CLI_OK;
out:
	store_msg_clear(&sm);
	return r;
}
