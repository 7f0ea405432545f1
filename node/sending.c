/*
 * sending: the reports of incidents of ours: send (第1報), update (第N報),
 * close (収束宣言), final (最終報告), withdraw (取消). Each is numbered and
 * checked against the incident's phase inside the store's write
 * transaction (report_seal), signed (compose.h) and put in the outbox;
 * its recipients are those of the policy rules (policy.h), of --to and,
 * after the first, of the incident's earlier reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>

#include "kairan/directory.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "sending.h"
#include "compose.h"
#include "config.h"
#include "incident.h"
#include "policy.h"
#include "report.h"
#include "store.h"
#include "store_msg.h"
#include "store_outbox.h"

int
sending_merge_recipients(char **a, size_t na, char **b, size_t nb,
    const char *self, char ***out, size_t *nout)
{
	char **v;
	size_t i, j, k, n = 0;

	if ((v = calloc(na + nb + 1, sizeof(*v))) == NULL)
		return -1;
	for (k = 0; k < 2; k++) {
		char **src = k == 0 ? a : b;
		size_t ns = k == 0 ? na : nb;

		for (i = 0; i < ns; i++) {
			if (strcmp(src[i], self) == 0)
				continue;
			for (j = 0; j < n; j++)
				if (strcmp(v[j], src[i]) == 0)
					break;
			if (j < n)
				continue;
			if ((v[n] = strdup(src[i])) == NULL) {
				store_strings_free(v, n);
				return -1;
			}
			n++;
		}
	}
	/* sorted, like directory_expand's */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*out = v;
	*nout = n;
	return 0;
}

/* The report's own pointers that report_seal replaced, to put back. */
struct saved_report {
	IncidentReport			*r;
	char				*summary, *reason;
	Kairan__V1__Attachment		**att;
	size_t				 natt;
	ProtobufCBinaryData		 inc;
};

/*
 * One report of an incident of ours, numbered and checked against the
 * incident's phase inside the store's write transaction (report_seal).
 */
struct report_job {
	struct cli		*c;
	uint8_t			 inc[KAIRAN_ID_LEN];
	char			 inchex[KAIRAN_ID_HEXLEN + 1];
	enum incident_phase	 phase;
	int			 reopen;
	IncidentReport		*fresh;	/* the report's facts; NULL: the last's */
	const char		*summary;	/* if not NULL, replaces it */
	const char		*reason;	/* withdraw_reason */
	char			**rcpts;	/* send: the recipients */
	size_t			 nrcpts;
	const struct policy_result *policy;	/* send, update: whom the
						   rules require, or NULL */
	char			**add;		/* update: more recipients */
	size_t			 nadd;
	int			 status;	/* send: ACTUAL or EXERCISE */

	/* filled by report_seal, freed by job_clear */
	Message			*last;
	Message			 msg;
	uint8_t			 id[KAIRAN_ID_LEN];
	char			 sender[KAIRAN_ENTITY_MAX + 1];
	uint8_t			*env;
	size_t			 envlen;
	uint8_t			 digest[KAIRAN_DIGEST_LEN];
	char			**all;
	size_t			 nall;
	char			*sum, *why;
	uint32_t		 report_no;
	const char		**req;	/* parallel to msg.recipients: the
					   rules that required each, or NULL */
	struct saved_report	 saved;
};

static void
job_clear(struct report_job *j)
{
	IncidentReport *r;

	/* What report_seal put into the report goes back before it is freed. */
	if ((r = j->saved.r) != NULL) {
		r->summary = j->saved.summary;
		r->withdraw_reason = j->saved.reason;
		r->attachments = j->saved.att;
		r->n_attachments = j->saved.natt;
		r->incident_id = j->saved.inc;
		j->saved.r = NULL;
	}
	message_free(j->last);
	free(j->env);
	free(j->sum);
	free(j->why);
	store_strings_free(j->all, j->nall);
	free(j->req);
	j->req = NULL;
	j->last = NULL;
	j->env = NULL;
	j->sum = j->why = NULL;
	j->all = NULL;
	j->nall = 0;
}

/*
 * store_outbox_report's callback: inside the write transaction, with the
 * incident's last report. Checks the phase transition, numbers the
 * report, picks its recipients and signs it.
 */
static int
report_seal(void *arg, const struct store_last *last, struct store_sealed *out,
    char *err, size_t errlen)
{
	struct report_job *j = arg;
	enum incident_phase old = INCIDENT_NONE;
	IncidentReport *r;
	char **old_rcpts = NULL;
	long nold = 0;
	size_t i;
	int rc = -1;

	if (last->found) {
		Envelope *env;

		if ((env = kairan__v1__envelope__unpack(NULL, last->envlen,
		    last->env)) == NULL) {
			snprintf(err, errlen, "incident %s: its last report "
			    "does not decode", j->inchex);
			return -1;
		}
		j->last = message_decode(env->message.data, env->message.len,
		    err, errlen);
		kairan__v1__envelope__free_unpacked(env, NULL);
		if (j->last == NULL)
			return -1;
		old = incident_phase_from_proto(j->last->report->phase);
		if (old == INCIDENT_NONE)
			old = INCIDENT_UPDATE;	/* an unknown phase: not over */
	}
	if (incident_transition(j->inchex, old, j->phase, j->reopen, err,
	    errlen) == -1)
		return -1;
	r = j->fresh != NULL ? j->fresh : j->last->report;
	if (j->saved.r == NULL) {
		j->saved.r = r;
		j->saved.summary = r->summary;
		j->saved.reason = r->withdraw_reason;
		j->saved.att = r->attachments;
		j->saved.natt = r->n_attachments;
		j->saved.inc = r->incident_id;
	}
	if (j->fresh == NULL) {
		/* The last report's facts; attachments are not repeated. */
		r->attachments = NULL;
		r->n_attachments = 0;
	}
	if (j->summary != NULL) {
		free(j->sum);
		if ((j->sum = strdup(j->summary)) == NULL)
			goto oom;
		r->summary = j->sum;
	}
	free(j->why);
	if ((j->why = strdup(j->reason != NULL ? j->reason : "")) == NULL)
		goto oom;
	r->withdraw_reason = j->why;
	/* The number is report_no's to say, not the title's. */
	incident_title_clean(r->title);
	r->incident_id.data = j->inc;
	r->incident_id.len = KAIRAN_ID_LEN;
	r->report_no = j->report_no = last->found ? last->report_no + 1 : 1;
	r->phase = incident_phase_to_proto(j->phase);

	kairan__v1__message__init(&j->msg);
	if (j->phase == INCIDENT_INITIAL) {
		j->msg.recipients = j->rcpts;
		j->msg.n_recipients = j->nrcpts;
		j->msg.status = j->status;
	} else {
		if ((nold = store_outbox_recipients(j->c->store, j->inc,
		    &old_rcpts, err, errlen)) == -1) {
			nold = 0;
			goto fail;
		}
		store_strings_free(j->all, j->nall);
		j->all = NULL;
		j->nall = 0;
		if (sending_merge_recipients(old_rcpts, (size_t)nold, j->add,
		    j->nadd, j->c->cfg->id, &j->all, &j->nall) == -1)
			goto oom;
		j->msg.recipients = j->all;
		j->msg.n_recipients = j->nall;
		j->msg.status = last->status;
	}
	/* Which rules required each recipient, stored beside it. */
	free(j->req);
	j->req = NULL;
	if (j->policy != NULL && j->policy->n > 0) {
		if ((j->req = calloc(j->msg.n_recipients + 1,
		    sizeof(*j->req))) == NULL)
			goto oom;
		for (i = 0; i < j->msg.n_recipients; i++)
			j->req[i] = policy_required_by(j->policy,
			    j->msg.recipients[i]);
	}
	j->msg.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	j->msg.report = r;
	free(j->env);
	j->env = NULL;
	if (compose_seal(j->c->signer, &j->msg, j->id, j->sender, &j->env,
	    &j->envlen, j->digest, err, errlen) == -1)
		goto fail;
	out->m = &j->msg;
	out->required = j->req;
	out->env = j->env;
	out->envlen = j->envlen;
	out->digest = j->digest;
	rc = 0;
	goto fail;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	store_strings_free(old_rcpts, (size_t)nold);
	return rc;
}

/*
 * Runs job j (c open with a signer) and prints "incident INC message ID".
 * Returns the exit code; the caller calls job_clear, then frees fresh.
 */
static int
report_commit(struct cli *c, struct report_job *j)
{
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	int rc;

	j->c = c;
	message_hex(j->inc, KAIRAN_ID_LEN, j->inchex);
	rc = store_outbox_report(c->store, j->inc, report_seal, j, err,
	    sizeof(err));
	if (rc == -1) {
		cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	cli_queued(c);
	message_hex(j->id, KAIRAN_ID_LEN, hex);
	printf("incident %s message %s\n", j->inchex, hex);
	return CLI_OK;
}

static void
usage_send(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] send --report FILE.json "
	    "[--to LIST] [--exercise]\n"
	    "  A new incident: signs its first report (第1報) and puts it in "
	    "the outbox.\n"
	    "  FILE.json: the report, UTF-8; every field, its item on the "
	    "report form\n"
	    "        (報告様式) and its limits are in node/REPORT.md. "
	    "`kairan-node template`\n"
	    "        prints an empty one: fill in at least summary and "
	    "level.\n"
	    "  LIST: comma-separated entity ids and groups @prefecture, "
	    "@ministry,\n"
	    "        @neighbours, @region, @prefectures (the 47), @all (every "
	    "local\n"
	    "        government of the country).\n"
	    "  Recipients: those the [policy NAME] rules of node.conf require "
	    "for the\n"
	    "        report's level, category and subtypes, plus those of "
	    "--to; each one\n"
	    "        and the rules that required it are listed on stderr. "
	    "Without\n"
	    "        policy rules --to is required.\n"
	    "  --exercise  mark it as a drill (訓練).\n"
	    "  Prints: incident <32 hex> message <32 hex>\n"
	    "  With no daemon running it says so on stderr (exit 0): the "
	    "report waits\n"
	    "  in the outbox and goes out when the daemon starts.\n");
}

/* 1 if the configuration has policy rules; 0 if not or if it does not load. */
static int
send_has_policy(const struct cli *c)
{
	struct config *cfg;
	char err[512];
	int has;

	if ((cfg = config_load(c->conffile, err, sizeof(err))) == NULL)
		return 0;	/* no rules known: --to is required, as before */
	has = cfg->policy->nrules > 0;
	config_free(cfg);
	return has;
}

/* 1 if id is one of v[0..n). */
static int
listed(char **v, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], id) == 0)
			return 1;
	return 0;
}

/*
 * After a report of ours was written (job j, report r, --to's recipients
 * to): when the configuration has policy rules, lists on stderr every
 * recipient and why it is one: the rules that required it, --to, or (an
 * update) an earlier report of the incident.
 */
static void
recipients_print(const struct cli *c, const IncidentReport *r,
    const struct report_job *j, char **to, size_t nto)
{
	size_t i, k = 0;

	if (c->cfg->policy->nrules == 0)
		return;
	for (i = 0; j->req != NULL && i < j->msg.n_recipients; i++)
		k += j->req[i] != NULL;
	fprintf(stderr, "kairan-node: %s: recipients for level %u, %s: %zu "
	    "(%zu required by policy)\n", c->verb, r->level,
	    policy_category_name(r->category), j->msg.n_recipients, k);
	for (i = 0; i < j->msg.n_recipients; i++) {
		const char *id = j->msg.recipients[i];

		fprintf(stderr, "kairan-node: %s:   ", c->verb);
		(void)text_fputs(id, 0, stderr);
		fputc(' ', stderr);
		(void)text_fputs(cli_entity_name(c->dir, id), 0, stderr);
		if (j->req != NULL && j->req[i] != NULL)
			fprintf(stderr, ": required by policy %s\n", j->req[i]);
		else if (listed(to, nto, id))
			fputs(": --to\n", stderr);
		else
			fputs(": earlier report\n", stderr);
	}
}

int
sending_verb_send(struct cli *c, int argc, char **argv)
{
	struct report_job j;
	struct policy_result pr;
	const char *file = NULL, *to = NULL;
	IncidentReport *r = NULL;
	char **extra = NULL, **rcpts = NULL, err[512];
	size_t nextra = 0, n = 0;
	int exercise = 0, rc = CLI_ERROR;
	const struct cli_opt opts[] = {
		{ "report", 'r', &file, NULL, 1 },
		{ "to", 't', &to, NULL, 0 },
		{ "exercise", 'x', NULL, &exercise, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	memset(&j, 0, sizeof(j));
	memset(&pr, 0, sizeof(pr));
	if (!cli_args(c, argc, argv, opts, 0, NULL, usage_send, &rc))
		return rc;
	if (to != NULL && to[0] == '\0')
		to = NULL;	/* an empty --to counts as missing, as before */
	/* Without policy rules --to stays required, exactly as before them. */
	if (to == NULL && !send_has_policy(c)) {
		cli_err(c, "--to is required");
		usage_send(stderr);
		return CLI_USAGE;
	}
	rc = CLI_ERROR;
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((r = report_from_file(file, err, sizeof(err))) == NULL) {
		cli_err(c, "%s", err);
		goto done;
	}
	if (policy_resolve(c->cfg->policy, r, c->dir, c->cfg->id, &pr, err,
	    sizeof(err)) == -1) {
		cli_err(c, "%s: %s", c->cfg->file, err);
		goto done;
	}
	if (to != NULL && directory_expand(c->dir, c->cfg->id, to, &extra,
	    &nextra, err, sizeof(err)) == -1) {
		cli_err(c, "--to: %s", err);
		goto done;
	}
	if (pr.n == 0 && nextra == 0) {
		cli_err(c, "no [policy] rule applies to this report (level %u, "
		    "category %s) and --to is not given: name its recipients "
		    "with --to", r->level, policy_category_name(r->category));
		rc = CLI_USAGE;
		goto done;
	}
	if (sending_merge_recipients(pr.entity, pr.n, extra, nextra, c->cfg->id,
	    &rcpts, &n) == -1) {
		cli_err(c, "out of memory");
		goto done;
	}
	if (message_id_new(j.inc) == -1) {
		cli_err(c, "incident id: the CSPRNG failed");
		goto done;
	}
	j.phase = INCIDENT_INITIAL;
	j.fresh = r;
	j.rcpts = rcpts;
	j.nrcpts = n;
	j.policy = &pr;
	j.status = exercise ? KAIRAN__V1__STATUS__EXERCISE :
	    KAIRAN__V1__STATUS__ACTUAL;
	if ((rc = report_commit(c, &j)) == CLI_OK)
		recipients_print(c, r, &j, extra, nextra);
	/*
	 * 報告様式1's 記入要領 asks items 1-5 at triage but allows blanks:
	 * remind, never refuse (the 第1報 is already queued).
	 */
	if (rc == CLI_OK && report_triage_missing(r, err, sizeof(err)) > 0)
		fprintf(stderr, "kairan-node: send: 第1報: items 1-5 of 報告様式1 "
		    "are asked at triage (記入要領); still empty: %s\n", err);
done:
	job_clear(&j);
	store_strings_free(rcpts, n);
	directory_list_free(extra, nextra);
	policy_result_clear(&pr);
	report_free(r);
	return rc;
}

static void
usage_update(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] update INCIDENT --report "
	    "FILE.json [--to LIST]\n"
	    "                   [--reopen]\n"
	    "  The next numbered report (第N報, 続報) of an incident of ours, "
	    "to the same\n"
	    "  recipients as before plus those of --to and those the "
	    "[policy NAME]\n"
	    "  rules of node.conf require for this report (listed on "
	    "stderr).\n"
	    "  After the incident was declared\n"
	    "  over (収束宣言, 最終報告) only with --reopen; never after a "
	    "withdrawal (取消).\n"
	    "  INCIDENT: its id, or a unique prefix of 6+ hex digits.\n"
	    "  FILE.json: as for send (node/REPORT.md).\n"
	    "  Prints: incident <32 hex> message <32 hex>\n");
}

int
sending_verb_update(struct cli *c, int argc, char **argv)
{
	struct report_job j;
	struct policy_result pr;
	const char *file = NULL, *to = NULL;
	IncidentReport *r = NULL;
	char **add = NULL, **more = NULL, err[512];
	size_t nadd = 0, nmore = 0;
	int rc = CLI_ERROR, reopen = 0;
	const struct cli_opt opts[] = {
		{ "report", 'r', &file, NULL, 1 },
		{ "to", 't', &to, NULL, 0 },
		{ "reopen", 'R', NULL, &reopen, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	memset(&j, 0, sizeof(j));
	memset(&pr, 0, sizeof(pr));
	if (!cli_args(c, argc, argv, opts, 1, "INCIDENT", usage_update, &rc))
		return rc;
	if (cli_id_syntax(c, argv[optind], usage_update) == -1)
		return CLI_USAGE;
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((rc = cli_resolve_id(c, argv[optind], STORE_ID_OUT_INC,
	    j.inc)) != 0)
		return rc;
	rc = CLI_ERROR;
	if ((r = report_from_file(file, err, sizeof(err))) == NULL) {
		cli_err(c, "%s", err);
		goto done;
	}
	if (to != NULL && directory_expand(c->dir, c->cfg->id, to, &add,
	    &nadd, err, sizeof(err)) == -1) {
		cli_err(c, "--to: %s", err);
		goto done;
	}
	/* A report whose level or kind grew reaches whom the rules now ask. */
	if (policy_resolve(c->cfg->policy, r, c->dir, c->cfg->id, &pr, err,
	    sizeof(err)) == -1) {
		cli_err(c, "%s: %s", c->cfg->file, err);
		goto done;
	}
	if (sending_merge_recipients(pr.entity, pr.n, add, nadd, c->cfg->id,
	    &more, &nmore) == -1) {
		cli_err(c, "out of memory");
		goto done;
	}
	j.phase = INCIDENT_UPDATE;
	j.reopen = reopen;
	j.fresh = r;
	j.add = more;
	j.nadd = nmore;
	j.policy = &pr;
	if ((rc = report_commit(c, &j)) == CLI_OK)
		recipients_print(c, r, &j, add, nadd);
done:
	job_clear(&j);
	store_strings_free(more, nmore);
	policy_result_clear(&pr);
	directory_list_free(add, nadd);
	report_free(r);
	return rc;
}

static void
usage_close(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] close INCIDENT "
	    "[--summary TEXT] [--reopen]\n"
	    "  The declaration that the incident is over (収束宣言): the next "
	    "numbered\n"
	    "  report, phase CLOSED, the last report's facts with summary "
	    "TEXT\n"
	    "  (default \"収束宣言\"), to every recipient of the incident. A "
	    "second close\n"
	    "  only with --reopen. INCIDENT: its id or a unique prefix (6+ "
	    "hex digits).\n"
	    "  Prints: incident <32 hex> message <32 hex>\n");
}

static void
usage_final(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] final INCIDENT "
	    "[--report FILE.json | --summary TEXT]\n"
	    "  The final report (最終報告) of an incident declared over "
	    "(収束宣言): the next\n"
	    "  numbered report, phase FINAL, with the facts of FILE.json, or "
	    "else the last\n"
	    "  report's with summary TEXT (default \"最終報告\"), to every "
	    "recipient.\n"
	    "  INCIDENT: its id or a unique prefix (6+ hex digits).\n"
	    "  Prints: incident <32 hex> message <32 hex>\n");
}

static void
usage_withdraw(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] withdraw INCIDENT --reason "
	    "TEXT\n"
	    "  Withdraws (取消) an incident reported in error: a signed report "
	    "of its own\n"
	    "  (phase WITHDRAWN, the reason in withdraw_reason) to every "
	    "recipient of the\n"
	    "  incident. Every surface then shows the incident as withdrawn, "
	    "with the\n"
	    "  reason, first; nothing can follow a withdrawal.\n"
	    "  INCIDENT: its id or a unique prefix (6+ hex digits).\n"
	    "  Prints: incident <32 hex> message <32 hex>\n");
}

/*
 * close, final and withdraw: a report with the last report's facts (or,
 * for final, those of --report), each verb with its own options.
 */
static int
verb_phase(struct cli *c, int argc, char **argv, enum incident_phase phase)
{
	void (*usage)(FILE *);
	const struct cli_opt *opts;
	struct report_job j;
	const char *summary = NULL, *file = NULL, *reason = NULL;
	IncidentReport *r = NULL;
	char err[512];
	int rc = CLI_ERROR, reopen = 0;
	const struct cli_opt close_opts[] = {
		{ "summary", 's', &summary, NULL, 0 },
		{ "reopen", 'R', NULL, &reopen, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	const struct cli_opt final_opts[] = {
		{ "report", 'r', &file, NULL, 0 },
		{ "summary", 's', &summary, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	const struct cli_opt withdraw_opts[] = {
		{ "reason", 'w', &reason, NULL, 1 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	switch (phase) {
	case INCIDENT_CLOSED:
		usage = usage_close;
		opts = close_opts;
		break;
	case INCIDENT_FINAL:
		usage = usage_final;
		opts = final_opts;
		break;
	case INCIDENT_WITHDRAWN:
		usage = usage_withdraw;
		opts = withdraw_opts;
		break;
	default:
		fatalx("%s: phase %s", __func__, incident_phase_name(phase));
	}
	memset(&j, 0, sizeof(j));
	if (!cli_args(c, argc, argv, opts, 1, "INCIDENT", usage, &rc))
		return rc;
	if (file != NULL && summary != NULL) {
		cli_err(c, "--report and --summary exclude each other");
		usage(stderr);
		return CLI_USAGE;
	}
	if (cli_id_syntax(c, argv[optind], usage) == -1)
		return CLI_USAGE;
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((rc = cli_resolve_id(c, argv[optind], STORE_ID_OUT_INC,
	    j.inc)) != 0)
		return rc;
	rc = CLI_ERROR;
	if (file != NULL && (r = report_from_file(file, err,
	    sizeof(err))) == NULL) {
		cli_err(c, "%s", err);
		goto done;
	}
	if (summary == NULL && r == NULL)
		summary = phase == INCIDENT_CLOSED ? "収束宣言" :
		    phase == INCIDENT_FINAL ? "最終報告" : NULL;
	j.phase = phase;
	j.reopen = reopen;
	j.fresh = r;
	j.summary = summary;
	j.reason = reason;
	rc = report_commit(c, &j);
done:
	job_clear(&j);
	report_free(r);
	return rc;
}

int
sending_verb_close(struct cli *c, int argc, char **argv)
{
	return verb_phase(c, argc, argv, INCIDENT_CLOSED);
}

int
sending_verb_final(struct cli *c, int argc, char **argv)
{
	return verb_phase(c, argc, argv, INCIDENT_FINAL);
}

int
sending_verb_withdraw(struct cli *c, int argc, char **argv)
{
	return verb_phase(c, argc, argv, INCIDENT_WITHDRAWN);
}
