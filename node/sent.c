/*
 * sent: the sender's view of what we sent: sent (our incidents, reports
 * and advisories with their counts and deadlines), status (the receipts
 * of one report or advisory, status.h; --wait until each recipient has
 * answered) and confirm (a confirmation by phone, recorded beside the
 * receipts, never signed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <getopt.h>

#include <jansson.h>

#include "kairan/entity.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "sent.h"
#include "deadline.h"
#include "status.h"
#include "store.h"
#include "store_confirm.h"
#include "store_msg.h"
#include "store_sent.h"

#define WAIT_POLL_NS		(200 * 1000 * 1000)	/* status --wait */

/* ---- sent ---- */

static void
usage_sent(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] sent [--json] [--advisories]\n"
	    "  Our incidents (latest activity first) and their reports "
	    "(newest first),\n"
	    "  with per report: delivered k/n, acknowledged k/n, rejected "
	    "k/n. A withdrawn\n"
	    "  incident (取消) is marked so, with its reason, on its first "
	    "line.\n"
	    "  Then our advisories (newest first), each with its counts and "
	    "done k/n\n"
	    "  (対応済). --advisories: only them, each with every recipient's "
	    "state\n"
	    "  (pending, delivered, 確認しました by, 対応済 by and the note); "
	    "with --json\n"
	    "  an array of status objects (status.h). Without --advisories, "
	    "--json lists\n"
	    "  the incidents only, as before.\n");
}

/*
 * The title of a stored report (else its summary; "" if it does not
 * decode) and its withdraw_reason (NULL if none), both malloc'd, raw:
 * the caller escapes them.
 */
static char *
sent_title(const struct store_msg *sm, char **reason)
{
	Message *m;
	char err[256], *t = NULL;

	*reason = NULL;
	if ((m = cli_shown_message(sm, err, sizeof(err))) == NULL)
		return strdup("");
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT) {
		t = strdup(m->report->title[0] != '\0' ? m->report->title :
		    m->report->summary);
		*reason = strdup(m->report->withdraw_reason);
	}
	message_free(m);
	return t != NULL ? t : strdup("");
}

/*
 * The deadlines of the incident of our report sm, now (none for a
 * withdrawn one). 0, or -1 (said on stderr).
 */
static int
sent_deadlines(const struct cli *c, const struct store_msg *sm,
    int withdrawn, struct deadline_final *fin, struct deadline_proxy *px)
{
	struct deadline_set set;
	char err[512];
	int64_t now = message_now_ms();

	memset(fin, 0, sizeof(*fin));
	memset(px, 0, sizeof(*px));
	if (withdrawn)
		return 0;
	if (deadline_load(&set, c->store, STORE_OUT, sm->incident, err,
	    sizeof(err)) == -1) {
		cli_err(c, "%s", err);
		return -1;
	}
	deadline_final(set.v, set.n, now, fin);
	deadline_proxy(set.v, set.n, 0, now, px);
	deadline_set_clear(&set);
	return 0;
}

/*
 * Our advisories for `sent`: a section after the incidents (counts), or
 * with full, each one's recipients (status_recipients_print) or, with
 * json, an array of status_json objects. Returns the exit code.
 */
static int
sent_advisories(struct cli *c, int full, int json, int after)
{
	struct store_sent *v = NULL;
	struct status_view sv;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1], t[JST_BUFLEN];
	json_t *arr = NULL;
	const char *mark;
	long n, i;
	int rc = CLI_ERROR;

	if ((n = store_sent_advisories(c->store, &v, err, sizeof(err))) ==
	    -1) {
		cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	if (json)
		arr = json_array();
	else if (n > 0 && !full)
		printf("%s注意喚起・情報提供・要請 (advisories): %ld\n",
		    after ? "\n" : "", n);
	for (i = 0; i < n; i++) {
		memset(&sv, 0, sizeof(sv));
		if (status_load(&sv, c->store, c->cfg, c->dir, v[i].msg.id, err,
		    sizeof(err)) != 1) {
			cli_err(c, "%s", err);
			goto done;
		}
		if (json) {
			json_array_append_new(arr, status_json(&sv));
			status_clear(&sv);
			continue;
		}
		message_hex(v[i].msg.id, KAIRAN_ID_LEN, hex);
		mark = label_status(sv.msg.status);
		if (full && i > 0)
			putchar('\n');
		printf("advisory %s  %s  %s%s%s  ", hex,
		    message_advisory_kind_label(sv.adv_kind),
		    jst_short(sv.msg.created_ms, t),
		    mark[0] != '\0' ? "  " : "", mark);
		(void)text_fputs(sv.adv_title, 0, stdout);
		putchar('\n');
		printf("  ");
		status_progress(stdout, &sv);
		if (sv.due_ms > 0)
			printf("  due %s%s\n", jst_rfc3339(sv.due_ms, t),
			    sv.now_ms > sv.due_ms ? ": past" : "");
		if (full)
			status_recipients_print(stdout, &sv, "  ");
		status_clear(&sv);
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	rc = CLI_OK;
done:
	json_decref(arr);
	store_sent_free(v, (size_t)n);
	return rc;
}

int
sent_verb_sent(struct cli *c, int argc, char **argv)
{
	struct store_sent *v = NULL;
	struct store_msg w;
	struct deadline_final dfinal;
	struct deadline_proxy dproxy;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1], inc[KAIRAN_ID_HEXLEN + 1];
	char t[JST_BUFLEN], *title, *reason, *wreason;
	json_t *arr = NULL, *cur = NULL, *reps = NULL, *x;
	long n = 0, i;
	int json = 0, advonly = 0, rc = CLI_ERROR, wf;
	const char *mark;
	const struct cli_opt opts[] = {
		{ "json", 'j', NULL, &json, 0 },
		{ "advisories", 'A', NULL, &advonly, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	if (!cli_args(c, argc, argv, opts, 0, NULL, usage_sent, &rc))
		return rc;
	rc = CLI_ERROR;
	if (cli_open(c, 0) == -1)
		return CLI_ERROR;
	if (advonly)
		return sent_advisories(c, 1, json, 0);
	if ((n = store_sent_list(c->store, &v, err, sizeof(err))) == -1) {
		n = 0;
		cli_err(c, "%s", err);
		goto done;
	}
	if (json)
		arr = json_array();
	for (i = 0; i < n; i++) {
		const struct store_msg *sm = &v[i].msg;

		message_hex(sm->incident, KAIRAN_ID_LEN, inc);
		message_hex(sm->id, KAIRAN_ID_LEN, hex);
		/* A new incident: its line, a withdrawal first of all. */
		if (i == 0 || memcmp(v[i - 1].msg.incident, sm->incident,
		    KAIRAN_ID_LEN) != 0) {
			if ((wf = store_msg_withdrawal(c->store, STORE_OUT,
			    sm->incident, &w, err, sizeof(err))) == -1) {
				cli_err(c, "%s", err);
				goto done;
			}
			wreason = NULL;
			if (wf == 1) {
				free(sent_title(&w, &wreason));
				store_msg_clear(&w);
			}
			title = sent_title(sm, &reason);
			free(reason);
			if (sent_deadlines(c, sm, wf == 1, &dfinal,
			    &dproxy) == -1) {
				free(title);
				free(wreason);
				goto done;
			}
			if (json) {
				cur = json_object();
				reps = json_array();
				json_object_set_new(cur, "incident",
				    json_string(inc));
				json_object_set_new(cur, "title",
				    json_string(title));
				json_object_set_new(cur, "withdrawn", wf == 1 ?
				    json_true() : json_false());
				json_object_set_new(cur, "withdraw_reason",
				    wreason != NULL ? json_string(wreason) :
				    json_null());
				json_object_set_new(cur, "final_report",
				    deadline_final_json(&dfinal));
				json_object_set_new(cur, "proxy_logs",
				    deadline_proxy_json(&dproxy));
				json_object_set(cur, "reports", reps);
				json_array_append_new(arr, cur);
				json_decref(reps);
			} else {
				if (i > 0)
					putchar('\n');
				printf("incident %s  ", inc);
				if (wf == 1) {
					printf("*** %s (withdrawn): ",
					    LABEL_WITHDRAWN);
					(void)text_fputs(wreason != NULL ?
					    wreason : "", 0, stdout);
					printf(" ***  ");
				}
				(void)text_fputs(title, 0, stdout);
				putchar('\n');
				deadline_proxy_print(stdout, "  ", &dproxy);
				deadline_final_print(stdout, "  ", &dfinal);
			}
			free(title);
			free(wreason);
		}
		mark = label_status(sm->status);
		if (json) {
			x = json_object();
			json_object_set_new(x, "id", json_string(hex));
			json_object_set_new(x, "report_no",
			    json_integer(sm->report_no));
			json_object_set_new(x, "phase", sm->phase != 0 ?
			    json_string(message_phase_name(sm->phase)) :
			    json_null());
			json_object_set_new(x, "status",
			    json_string(message_status_name(sm->status)));
			json_object_set_new(x, "created_at",
			    jst_json(sm->created_ms));
			json_object_set_new(x, "total",
			    json_integer(v[i].total));
			json_object_set_new(x, "delivered",
			    json_integer(v[i].delivered));
			json_object_set_new(x, "acknowledged",
			    json_integer(v[i].acknowledged));
			json_object_set_new(x, "rejected",
			    json_integer(v[i].rejected));
			json_object_set_new(x, "overdue",
			    json_integer(v[i].overdue));
			json_object_set_new(x, "mailed",
			    json_integer(v[i].mailed));
			json_object_set_new(x, "unconfirmed",
			    json_integer(v[i].unconfirmed));
			status_sent_imail_json(x, &v[i]);
			json_array_append_new(reps, x);
		} else {
			printf("  %s  第%u報 %s  %s%s%s  delivered %ld/%ld, "
			    "acknowledged %ld/%ld, rejected %ld/%ld", hex,
			    sm->report_no, sm->phase != 0 ?
			    label_phase(sm->phase) : "",
			    jst_short(sm->created_ms, t),
			    mark[0] != '\0' ? "  " : "", mark,
			    v[i].delivered, v[i].total, v[i].acknowledged,
			    v[i].total, v[i].rejected, v[i].total);
			/* only when there are: scripts read the line above */
			if (v[i].overdue > 0)
				printf(", overdue %ld", v[i].overdue);
			if (v[i].mailed > 0)
				printf(", mailed %ld (unconfirmed %ld)",
				    v[i].mailed, v[i].unconfirmed);
			status_sent_imail(stdout, &v[i]);
			putchar('\n');
		}
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		rc = CLI_OK;
	} else
		rc = sent_advisories(c, 0, 0, n > 0);
done:
	json_decref(arr);
	store_sent_free(v, (size_t)n);
	return rc;
}

/* ---- status ---- */

static void
usage_status(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] status ID [--json] "
	    "[--wait SECONDS]\n"
	    "  Per route: accepted or not; per recipient: pending, delivered, "
	    "acknowledged\n"
	    "  (by whom), rejected (why). ID: a report of ours, or an incident "
	    "of ours\n"
	    "  (its latest report), or an advisory of ours (also: 対応済 by "
	    "whom, with\n"
	    "  the note; its due time and who is past it).\n"
	    "  ID: its id or a unique prefix (6+ hex digits). Per route "
	    "also: connected\n"
	    "  since T, not connected since T and why, or no daemon "
	    "running.\n"
	    "  --wait  show progress (\"delivered k/n, acknowledged k/n, "
	    "rejected k/n\")\n"
	    "          until every recipient has acknowledged or been "
	    "rejected, or\n"
	    "          SECONDS pass.\n"
	    "  exit codes: 0 shown (with --wait: every recipient "
	    "acknowledged), 1 error,\n"
	    "  2 usage, 3 --wait timed out, 4 --wait ended with some "
	    "recipient rejected.\n");
}

int
sent_verb_status(struct cli *c, int argc, char **argv)
{
	struct status_view sv;
	struct store_msg *v = NULL;
	struct timespec now, deadline, pause = { 0, WAIT_POLL_NS };
	uint8_t id[KAIRAN_ID_LEN];
	char err[512], *end;
	const char *waits = NULL;
	double wait = -1;
	long n = 0;
	long long dv, last_dv = -2;
	size_t last_d = (size_t)-1, last_a = (size_t)-1, last_r = (size_t)-1;
	int json = 0, rc = CLI_ERROR, r, done = 0;
	json_t *o;
	const struct cli_opt opts[] = {
		{ "json", 'j', NULL, &json, 0 },
		{ "wait", 'w', &waits, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	if (!cli_args(c, argc, argv, opts, 1, "ID", usage_status, &rc))
		return rc;
	rc = CLI_ERROR;
	if (waits != NULL) {
		errno = 0;
		wait = strtod(waits, &end);
		if (errno != 0 || *end != '\0' || end == waits || wait < 0 ||
		    wait > 86400 * 30) {
			cli_err(c, "--wait: \"%s\" is not a number of seconds",
			    waits);
			usage_status(stderr);
			return CLI_USAGE;
		}
	}
	if (cli_id_syntax(c, argv[optind], usage_status) == -1)
		return CLI_USAGE;
	if (cli_open(c, 0) == -1)
		return CLI_ERROR;
	if ((rc = cli_resolve_id(c, argv[optind], STORE_ID_OUT_MSG |
	    STORE_ID_OUT_INC, id)) != 0)
		return rc;
	rc = CLI_ERROR;
	memset(&sv, 0, sizeof(sv));
	if ((r = status_load(&sv, c->store, c->cfg, c->dir, id, err,
	    sizeof(err))) == 0) {
		/* Not a report id: an incident id means its latest report. */
		if ((n = store_msg_incident(c->store, STORE_OUT, id, &v, err,
		    sizeof(err))) > 0) {
			memcpy(id, v[n - 1].id, KAIRAN_ID_LEN);
			r = status_load(&sv, c->store, c->cfg, c->dir, id, err,
			    sizeof(err));
		} else if (n == -1)
			r = -1;
	}
	store_msgs_free(v, n > 0 ? (size_t)n : 0);
	if (r == -1) {
		cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	if (r == 0) {
		cli_err(c, "%s: no report, incident or advisory of ours with "
		    "this id", argv[optind]);
		return CLI_ERROR;
	}
	if (wait >= 0) {
		/*
		 * A person waits for other people here: polling the store
		 * every 200 ms is cheap (a few indexed reads, skipped when
		 * PRAGMA data_version says nothing was committed) and far
		 * simpler than a notification channel from the daemon.
		 */
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += (time_t)wait;
		deadline.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		for (;;) {
			dv = store_data_version(c->store);
			if (dv != last_dv) {
				last_dv = dv;
				status_clear(&sv);
				if ((r = status_load(&sv, c->store, c->cfg,
				    c->dir, id, err, sizeof(err))) != 1) {
					if (r == 0)
						cli_err(c, "%s: the report is "
						    "gone from the store",
						    argv[optind]);
					else
						cli_err(c, "%s", err);
					status_clear(&sv);
					return CLI_ERROR;
				}
				if (sv.delivered != last_d ||
				    sv.acknowledged != last_a ||
				    sv.rejected != last_r) {
					status_progress(json ? stderr : stdout,
					    &sv);
					fflush(stdout);
					last_d = sv.delivered;
					last_a = sv.acknowledged;
					last_r = sv.rejected;
				}
			}
			/* Nothing more can come once each one has answered. */
			if (status_settled(&sv)) {
				done = 1;
				break;
			}
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > deadline.tv_sec ||
			    (now.tv_sec == deadline.tv_sec &&
			    now.tv_nsec >= deadline.tv_nsec))
				break;
			nanosleep(&pause, NULL);
		}
	}
	if (json) {
		o = status_json(&sv);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else
		status_print(stdout, &sv);
	rc = CLI_OK;
	if (wait >= 0 && !done)
		rc = CLI_TIMEOUT;
	else if (wait >= 0 && sv.rejected > 0)
		rc = CLI_REJECTED;
	status_clear(&sv);
	return rc;
}

/* ---- confirm: a phone confirmation, recorded, never signed ---- */

static void
usage_confirm(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] confirm ID RECIPIENT --by NAME "
	    "[--note TEXT]\n"
	    "  Records that a person of RECIPIENT confirmed report ID by "
	    "phone (電話で\n"
	    "  確認), e.g. a body without a node that was mailed the report. "
	    "Stored here\n"
	    "  only; status shows it apart from the signed receipts, never "
	    "as acknowledged.\n"
	    "  ID: a report of ours, or an incident of ours (its latest "
	    "report), or a\n"
	    "  unique prefix of either (6+ hex digits). --by: who "
	    "confirmed (required).\n"
	    "  Prints: confirmed <report id> <recipient> by phone\n");
}

int
sent_verb_confirm(struct cli *c, int argc, char **argv)
{
	const char *by = NULL, *note = NULL, *who;
	struct store_msg *v = NULL;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	long n = 0;
	int rc, r, found;
	struct store_msg one;
	const struct cli_opt opts[] = {
		{ "by", 'b', &by, NULL, 1 },
		{ "note", 'n', &note, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	if (!cli_args(c, argc, argv, opts, 2, "ID RECIPIENT", usage_confirm,
	    &rc))
		return rc;
	if (cli_id_syntax(c, argv[optind], usage_confirm) == -1)
		return CLI_USAGE;
	who = argv[optind + 1];
	if (!entity_valid(who, err, sizeof(err))) {
		cli_err(c, "RECIPIENT: %s", err);
		usage_confirm(stderr);
		return CLI_USAGE;
	}
	/* the rules of a signed string (PROTOCOL.md §6), though it is not */
	if (*by == '\0' || strlen(by) > KAIRAN_MAX_SHORT ||
	    message_check_chars("--by", by, strlen(by), 0, err,
	    sizeof(err)) == -1) {
		if (*by == '\0' || strlen(by) > KAIRAN_MAX_SHORT)
			snprintf(err, sizeof(err), "--by: expected a name of "
			    "1..%d bytes", KAIRAN_MAX_SHORT);
		cli_err(c, "%s", err);
		return CLI_USAGE;
	}
	if (note != NULL && (strlen(note) > KAIRAN_MAX_TEXT ||
	    message_check_chars("--note", note, strlen(note),
	    MESSAGE_TEXT_MULTILINE, err, sizeof(err)) == -1)) {
		if (strlen(note) > KAIRAN_MAX_TEXT)
			snprintf(err, sizeof(err), "--note: longer than %d "
			    "bytes", KAIRAN_MAX_TEXT);
		cli_err(c, "%s", err);
		return CLI_USAGE;
	}
	if (cli_open(c, 0) == -1)
		return CLI_ERROR;
	if ((rc = cli_resolve_id(c, argv[optind], STORE_ID_OUT_MSG |
	    STORE_ID_OUT_INC, id)) != 0)
		return rc;
	rc = CLI_ERROR;
	memset(&one, 0, sizeof(one));
	if ((found = store_msg_get(c->store, STORE_OUT, id, &one, err,
	    sizeof(err))) == -1) {
		cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	if (found == 0 || !one.is_report) {
		/* an incident id means its latest report, as for status */
		if ((n = store_msg_incident(c->store, STORE_OUT, id, &v, err,
		    sizeof(err))) > 0)
			memcpy(id, v[n - 1].id, KAIRAN_ID_LEN);
		else if (n == -1) {
			cli_err(c, "%s", err);
			store_msg_clear(&one);
			return CLI_ERROR;
		}
		store_msgs_free(v, n > 0 ? (size_t)n : 0);
	}
	store_msg_clear(&one);
	if ((r = store_confirm_add(c->store, id, who, by, note,
	    message_now_ms(), err, sizeof(err))) != 1) {
		cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	message_hex(id, KAIRAN_ID_LEN, hex);
	printf("confirmed %s %s by phone\n", hex, who);
	return CLI_OK;
}
