/*
 * cli: the people's verbs of kairan-node (see cli.h and node/README.md for
 * the exact output formats, which scripts and tests rely on).
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "cli.h"
#include "compose.h"
#include "config.h"
#include "daemon.h"
#include "form.h"
#include "incident.h"
#include "jst.h"
#include "lock.h"
#include "report.h"
#include "status.h"
#include "store.h"

#define INBOX_RECENT		20	/* acknowledged reports shown by default */
#define WAIT_POLL_NS		(200 * 1000 * 1000)
#define ID_PREFIX_MIN		6	/* hex digits of an id prefix */

struct cli {
	const char		*conffile;
	const char		*verb;
	struct config		*cfg;
	struct store		*store;
	struct signer		*signer;
	struct directory	*dir;
};

static void cli_err(const struct cli *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
cli_err(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kairan-node: %s: ", c->verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Loads what a verb needs; signer only for the verbs that sign. */
static int
cli_open(struct cli *c, int need_signer)
{
	char err[512];

	if ((c->cfg = config_load(c->conffile, err, sizeof(err))) == NULL) {
		cli_err(c, "%s", err);
		return -1;
	}
	if ((c->store = store_open(c->cfg->db, err, sizeof(err))) == NULL) {
		cli_err(c, "%s", err);
		return -1;
	}
	if ((c->dir = directory_load(c->cfg->directory, err, sizeof(err))) ==
	    NULL) {
		cli_err(c, "directory: %s", err);
		return -1;
	}
	if (!need_signer)
		return 0;
	if ((c->signer = signer_new(c->cfg->cert, c->cfg->key, err,
	    sizeof(err))) == NULL) {
		cli_err(c, "cert/key: %s", err);
		return -1;
	}
	if (strcmp(signer_entity(c->signer), c->cfg->id) != 0) {
		cli_err(c, "cert: certificate is for %s, not for id %s",
		    signer_entity(c->signer), c->cfg->id);
		return -1;
	}
	return 0;
}

static void
cli_close(struct cli *c)
{
	signer_free(c->signer);
	directory_free(c->dir);
	store_close(c->store);
	config_free(c->cfg);
}

static const char *
entity_name(const struct directory *dir, const char *id)
{
	const struct dir_entity *e;

	if (dir == NULL || (e = directory_get(dir, id)) == NULL ||
	    e->name == NULL)
		return "";
	return e->name;
}

static const char *
category_ja(int c)
{
	switch (c) {
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__SYSTEM_OUTAGE:
		return "情報システムの停止等";
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK:
		return "外部からのサイバー攻撃";
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__THEFT_LOSS:
		return "重要情報の盗難・紛失等";
	case KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER:
		return "その他";
	default:
		return "不明";
	}
}

static const char *
phase_ja(int p)
{
	switch (p) {
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL:
		return "第1報";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE:
		return "続報";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED:
		return "収束宣言";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL:
		return "最終報告";
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN:
		return "取消";
	default:
		return "不明";
	}
}

/* 訓練 / テスト marks; "" for real traffic. */
static const char *
status_mark(int status)
{
	switch (status) {
	case KAIRAN__V1__STATUS__EXERCISE:
		return "訓練";
	case KAIRAN__V1__STATUS__TEST:
		return "テスト";
	default:
		return "";
	}
}

static json_t *
json_time(int64_t ms)
{
	char t[JST_BUFLEN];

	if (ms <= 0)
		return json_null();
	return json_string(jst_rfc3339(ms, t));
}

/* The Message inside a stored Envelope (verified when it was stored). */
static Message *
stored_message(const struct store_msg *sm, char *err, size_t errlen)
{
	Envelope *env;
	Message *m;

	if ((env = kairan__v1__envelope__unpack(NULL, sm->envlen,
	    sm->env)) == NULL) {
		snprintf(err, errlen, "stored envelope does not decode");
		return NULL;
	}
	m = message_decode(env->message.data, env->message.len, err, errlen);
	kairan__v1__envelope__free_unpacked(env, NULL);
	return m;
}


/* Merges sorted lists a and b (unique, sorted result, without self). */
static int
merge_recipients(char **a, size_t na, char **b, size_t nb, const char *self,
    char ***out, size_t *nout)
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


/*
 * An id argument: 32 hex digits, or a unique prefix of at least
 * ID_PREFIX_MIN of them among the ids of the kinds in `what` (STORE_ID_*)
 * in the store (cli_open first). Returns 0 with id; CLI_USAGE (fewer
 * than ID_PREFIX_MIN digits, not hex); CLI_ERROR (no such id, or an
 * ambiguous prefix: the candidates are listed on stderr).
 */
/* ---- withdrawals (取消): shown above everything about an incident ---- */

struct withdrawal {
	uint8_t	 id[KAIRAN_ID_LEN];
	int64_t	 at_ms;
	char	*reason;
};

/*
 * Whether incident (as seen in dir) was withdrawn: 1 with *w (free
 * w->reason), 0 not, -1 on a store error (said on stderr).
 */
static int
withdrawal_get(const struct cli *c, enum store_dir dir,
    const uint8_t incident[KAIRAN_ID_LEN], struct withdrawal *w)
{
	struct store_msg sm;
	Message *m;
	char err[512];
	int r;

	memset(w, 0, sizeof(*w));
	if ((r = store_withdrawal(c->store, dir, incident, &sm, err,
	    sizeof(err))) != 1) {
		if (r == -1)
			cli_err(c, "%s", err);
		return r;
	}
	memcpy(w->id, sm.id, KAIRAN_ID_LEN);
	w->at_ms = sm.created_ms;
	if ((m = stored_message(&sm, err, sizeof(err))) != NULL) {
		w->reason = strdup(m->report->withdraw_reason);
		message_free(m);
	}
	store_msg_clear(&sm);
	return 1;
}

/*
 * "*** 取消 (withdrawn) T: REASON ***" before anything else is printed
 * about a withdrawn incident (inbox, show, show --form).
 */
static void
withdrawal_banner(const struct cli *c, const struct store_msg *sm)
{
	struct withdrawal w;
	char t[JST_BUFLEN];

	if (!sm->is_report || withdrawal_get(c, sm->dir, sm->incident,
	    &w) != 1)
		return;
	printf("*** 取消 (withdrawn) %s: ", jst_rfc3339(w.at_ms, t));
	text_fputs(w.reason != NULL ? w.reason : "", 0, stdout);
	printf(" ***\n");
	free(w.reason);
}

/* "withdrawn": {at, reason, message} or null, for --json. */
static json_t *
withdrawal_json(const struct cli *c, const struct store_msg *sm)
{
	struct withdrawal w;
	char hex[KAIRAN_ID_HEXLEN + 1];
	json_t *o;

	if (!sm->is_report || withdrawal_get(c, sm->dir, sm->incident,
	    &w) != 1)
		return json_null();
	o = json_object();
	message_hex(w.id, KAIRAN_ID_LEN, hex);
	json_object_set_new(o, "at", json_time(w.at_ms));
	json_object_set_new(o, "reason", w.reason != NULL ?
	    json_string(w.reason) : json_null());
	json_object_set_new(o, "message", json_string(hex));
	free(w.reason);
	return o;
}

static int
resolve_id(const struct cli *c, const char *s, unsigned what,
    uint8_t id[KAIRAN_ID_LEN])
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} kinds[] = {
		{ STORE_ID_IN_MSG, "received message" },
		{ STORE_ID_IN_INC, "received incident" },
		{ STORE_ID_OUT_MSG, "message of ours" },
		{ STORE_ID_OUT_INC, "incident of ours" },
	};
	uint8_t (*v)[KAIRAN_ID_LEN] = NULL;
	unsigned *k = NULL;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	size_t len = strlen(s), i, j;
	long n;

	if (len == KAIRAN_ID_HEXLEN && message_id_parse(s, id) == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			break;
	if (i < len || len < ID_PREFIX_MIN || len > KAIRAN_ID_HEXLEN) {
		cli_err(c, "\"%s\": an id is 32 hex digits, or a unique prefix "
		    "of at least %d of them", s, ID_PREFIX_MIN);
		return CLI_USAGE;
	}
	if ((n = store_id_prefix(c->store, s, what, &v, &k, err,
	    sizeof(err))) == -1) {
		cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	if (n == 1) {
		memcpy(id, v[0], KAIRAN_ID_LEN);
		free(v);
		free(k);
		return 0;
	}
	if (n == 0)
		cli_err(c, "%s: no id starts with these digits", s);
	else {
		cli_err(c, "%s: ambiguous: %ld ids start with these digits:", s,
		    n);
		for (i = 0; i < (size_t)n; i++) {
			message_hex(v[i], KAIRAN_ID_LEN, hex);
			fprintf(stderr, "  %s", hex);
			for (j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++)
				if (k[i] & kinds[j].bit)
					fprintf(stderr, " (%s)", kinds[j].name);
			fputc('\n', stderr);
		}
	}
	free(v);
	free(k);
	return CLI_ERROR;
}

/*
 * After a writing verb committed: pokes the daemon, or says on stderr
 * that there is none to send what was just queued (exit stays 0: the
 * outbox keeps it, and it goes out when the daemon starts).
 */
static void
cli_queued(const struct cli *c)
{
	char err[512];
	long pid = 0;

	switch (lock_probe(c->cfg->db, &pid, err, sizeof(err))) {
	case 1:
		daemon_poke(c->cfg->db);
		break;
	case 0:
		fprintf(stderr, "kairan-node: %s: queued in the outbox; the "
		    "daemon for %s is not running: it goes out when it "
		    "starts\n", c->verb, c->cfg->db);
		break;
	default:
		daemon_poke(c->cfg->db);
		cli_err(c, "cannot tell whether the daemon runs: %s", err);
		break;
	}
}

/* ---- send / update / close / final / withdraw ---- */

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
	j->last = NULL;
	j->env = NULL;
	j->sum = j->why = NULL;
	j->all = NULL;
	j->nall = 0;
}

/*
 * store_report_add's callback: inside the write transaction, with the
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
		if ((nold = store_incident_recipients(j->c->store, j->inc,
		    &old_rcpts, err, errlen)) == -1) {
			nold = 0;
			goto fail;
		}
		store_strings_free(j->all, j->nall);
		j->all = NULL;
		j->nall = 0;
		if (merge_recipients(old_rcpts, (size_t)nold, j->add, j->nadd,
		    j->c->cfg->id, &j->all, &j->nall) == -1)
			goto oom;
		j->msg.recipients = j->all;
		j->msg.n_recipients = j->nall;
		j->msg.status = last->status;
	}
	j->msg.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	j->msg.report = r;
	free(j->env);
	j->env = NULL;
	if (compose_seal(j->c->signer, &j->msg, j->id, j->sender, &j->env,
	    &j->envlen, j->digest, err, errlen) == -1)
		goto fail;
	out->m = &j->msg;
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
	rc = store_report_add(c->store, j->inc, report_seal, j, err,
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
	    "--to LIST [--exercise]\n"
	    "  A new incident: signs its first report (第1報) and puts it in "
	    "the outbox.\n"
	    "  LIST: comma-separated entity ids and groups @prefecture, "
	    "@ministry,\n"
	    "        @neighbours, @region.\n"
	    "  --exercise  mark it as a drill (訓練).\n"
	    "  Prints: incident <32 hex> message <32 hex>\n"
	    "  With no daemon running it says so on stderr (exit 0): the "
	    "report waits\n"
	    "  in the outbox and goes out when the daemon starts.\n");
}

static int
verb_send(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "report", required_argument, NULL, 'r' },
		{ "to", required_argument, NULL, 't' },
		{ "exercise", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct report_job j;
	const char *file = NULL, *to = NULL;
	IncidentReport *r = NULL;
	char **rcpts = NULL, err[512];
	size_t n = 0;
	int ch, exercise = 0, rc = CLI_ERROR;

	memset(&j, 0, sizeof(j));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "r:t:xh", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			file = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'x':
			exercise = 1;
			break;
		case 'h':
			usage_send(stdout);
			return CLI_OK;
		default:
			usage_send(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc || file == NULL || to == NULL) {
		if (optind != argc)
			cli_err(c, "unexpected argument \"%s\"", argv[optind]);
		else
			cli_err(c, "--report and --to are required");
		usage_send(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((r = report_from_file(file, err, sizeof(err))) == NULL) {
		cli_err(c, "%s", err);
		goto done;
	}
	if (directory_expand(c->dir, c->cfg->id, to, &rcpts, &n, err,
	    sizeof(err)) == -1) {
		cli_err(c, "--to: %s", err);
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
	j.status = exercise ? KAIRAN__V1__STATUS__EXERCISE :
	    KAIRAN__V1__STATUS__ACTUAL;
	rc = report_commit(c, &j);
done:
	job_clear(&j);
	directory_list_free(rcpts, n);
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
	    "  recipients as before plus those of --to. After the incident "
	    "was declared\n"
	    "  over (収束宣言, 最終報告) only with --reopen; never after a "
	    "withdrawal (取消).\n"
	    "  INCIDENT: its id, or a unique prefix of 6+ hex digits.\n"
	    "  Prints: incident <32 hex> message <32 hex>\n");
}

static int
verb_update(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "report", required_argument, NULL, 'r' },
		{ "to", required_argument, NULL, 't' },
		{ "reopen", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct report_job j;
	const char *file = NULL, *to = NULL;
	IncidentReport *r = NULL;
	char **add = NULL, err[512];
	size_t nadd = 0;
	int ch, rc = CLI_ERROR, reopen = 0;

	memset(&j, 0, sizeof(j));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "r:t:Rh", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			file = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'R':
			reopen = 1;
			break;
		case 'h':
			usage_update(stdout);
			return CLI_OK;
		default:
			usage_update(stderr);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 1 || file == NULL) {
		cli_err(c, "one INCIDENT and --report are required");
		usage_update(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((rc = resolve_id(c, argv[optind], STORE_ID_OUT_INC, j.inc)) != 0)
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
	j.phase = INCIDENT_UPDATE;
	j.reopen = reopen;
	j.fresh = r;
	j.add = add;
	j.nadd = nadd;
	rc = report_commit(c, &j);
done:
	job_clear(&j);
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

/* close, final and withdraw: a report with the last report's facts. */
static int
verb_phase(struct cli *c, int argc, char **argv, enum incident_phase phase)
{
	static const struct option opts[] = {
		{ "summary", required_argument, NULL, 's' },
		{ "report", required_argument, NULL, 'r' },
		{ "reason", required_argument, NULL, 'w' },
		{ "reopen", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	void (*usage)(FILE *);
	struct report_job j;
	const char *summary = NULL, *file = NULL, *reason = NULL;
	IncidentReport *r = NULL;
	char err[512];
	int ch, rc = CLI_ERROR, reopen = 0, bad = 0;

	switch (phase) {
	case INCIDENT_CLOSED:
		usage = usage_close;
		break;
	case INCIDENT_FINAL:
		usage = usage_final;
		break;
	case INCIDENT_WITHDRAWN:
		usage = usage_withdraw;
		break;
	default:
		fatalx("%s: phase %s", __func__, incident_phase_name(phase));
	}
	memset(&j, 0, sizeof(j));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "s:r:w:Rh", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			summary = optarg;
			bad |= phase == INCIDENT_WITHDRAWN;
			break;
		case 'r':
			file = optarg;
			bad |= phase != INCIDENT_FINAL;
			break;
		case 'w':
			reason = optarg;
			bad |= phase != INCIDENT_WITHDRAWN;
			break;
		case 'R':
			reopen = 1;
			bad |= phase != INCIDENT_CLOSED;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			usage(stderr);
			return CLI_USAGE;
		}
	}
	if (bad || (file != NULL && summary != NULL)) {
		cli_err(c, "an option this verb does not take");
		usage(stderr);
		return CLI_USAGE;
	}
	if (argc - optind != 1) {
		cli_err(c, "one INCIDENT is required");
		usage(stderr);
		return CLI_USAGE;
	}
	if (phase == INCIDENT_WITHDRAWN && (reason == NULL ||
	    reason[0] == '\0')) {
		cli_err(c, "--reason TEXT is required: why the report is "
		    "withdrawn");
		usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((rc = resolve_id(c, argv[optind], STORE_ID_OUT_INC, j.inc)) != 0)
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

static int
verb_close(struct cli *c, int argc, char **argv)
{
	return verb_phase(c, argc, argv, INCIDENT_CLOSED);
}

static int
verb_final(struct cli *c, int argc, char **argv)
{
	return verb_phase(c, argc, argv, INCIDENT_FINAL);
}

static int
verb_withdraw(struct cli *c, int argc, char **argv)
{
	return verb_phase(c, argc, argv, INCIDENT_WITHDRAWN);
}


/* ---- inbox / show ---- */


/* A stored message as JSON (see node/README.md). New reference. */
static json_t *
msg_json(const struct cli *c, const struct store_msg *sm, const Message *m)
{
	char hex[KAIRAN_ID_HEXLEN + 1];
	const char *sender;
	json_t *o, *a, *x;
	size_t i;

	o = json_object();
	message_hex(sm->id, KAIRAN_ID_LEN, hex);
	json_object_set_new(o, "id", json_string(hex));
	json_object_set_new(o, "direction",
	    json_string(sm->dir == STORE_IN ? "in" : "out"));
	sender = m->sender;
	json_object_set_new(o, "sender", json_string(sender));
	json_object_set_new(o, "sender_name",
	    json_string(entity_name(c->dir, sender)));
	a = json_array();
	for (i = 0; i < m->n_recipients; i++)
		json_array_append_new(a, json_string(m->recipients[i]));
	json_object_set_new(o, "recipients", a);
	json_object_set_new(o, "status",
	    json_string(message_status_name(m->status)));
	json_object_set_new(o, "exercise",
	    json_boolean(m->status == KAIRAN__V1__STATUS__EXERCISE));
	json_object_set_new(o, "created_at", json_time(m->created_at_ms));
	if (sm->dir == STORE_IN) {
		json_object_set_new(o, "received_at",
		    json_time(sm->received_ms));
		json_object_set_new(o, "acknowledged",
		    json_boolean(sm->ack_ms > 0));
		json_object_set_new(o, "acknowledged_at",
		    json_time(sm->ack_ms));
		json_object_set_new(o, "acknowledged_by", sm->ack_by != NULL ?
		    json_string(sm->ack_by) : json_null());
	}
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT) {
		message_hex(m->report->incident_id.data, KAIRAN_ID_LEN, hex);
		json_object_set_new(o, "incident", json_string(hex));
		json_object_set_new(o, "report_no",
		    json_integer(m->report->report_no));
		json_object_set_new(o, "phase",
		    json_string(message_phase_name(m->report->phase)));
		json_object_set_new(o, "withdrawn", withdrawal_json(c, sm));
		x = report_to_json(m->report);
		json_object_set_new(o, "report", x != NULL ? x : json_null());
	} else if (m->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT) {
		x = json_object();
		message_hex(m->receipt->ref_id.data, KAIRAN_ID_LEN, hex);
		json_object_set_new(x, "ref_id", json_string(hex));
		json_object_set_new(x, "state", json_string(
		    message_receipt_state_name(m->receipt->state)));
		json_object_set_new(x, "by", json_string(m->receipt->by));
		json_object_set_new(x, "note", json_string(m->receipt->note));
		json_object_set_new(o, "receipt", x);
	}
	return o;
}

/* First line of s, at most max bytes, cut on a UTF-8 boundary. */
static void
first_line(const char *s, char *out, size_t max)
{
	size_t n = 0;

	while (s[n] != '\0' && s[n] != '\n' && n < max - 1)
		n++;
	while (n > 0 && s[n] != '\0' && s[n] != '\n' &&
	    ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(out, s, n);
	out[n] = '\0';
}

/*
 * One inbox line, fields separated by two spaces:
 * ID  DATE TIME  SENDER NAME  第N報  [訓練  ]未確認|確認済 BY  レベルL  CATEGORY  TITLE
 */
static void
inbox_line(const struct cli *c, const struct store_msg *sm, const Message *m)
{
	char hex[KAIRAN_ID_HEXLEN + 1], t[JST_BUFLEN], title[160];
	const IncidentReport *r = m->report;
	const char *mark = status_mark(m->status);

	message_hex(sm->id, KAIRAN_ID_LEN, hex);
	first_line(r->title[0] != '\0' ? r->title : r->summary, title,
	    sizeof(title));
	printf("%s  %s  %s %s  第%u報%s%s  %s%s", hex,
	    jst_short(sm->received_ms, t), m->sender,
	    entity_name(c->dir, m->sender), r->report_no,
	    /* 収束宣言, 最終報告, 取消: the phases a reader must not miss */
	    r->phase > KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE ? " " : "",
	    r->phase > KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE ?
	    phase_ja(r->phase) : "", mark, mark[0] != '\0' ? "  " : "");
	if (sm->ack_ms > 0)
		printf("確認済 %s", sm->ack_by != NULL ? sm->ack_by : "");
	else
		printf("未確認");
	printf("  レベル%u  %s  %s\n", r->level, category_ja(r->category),
	    title);
}

static void
usage_inbox(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] inbox [--json] [--all]\n"
	    "  Received reports, newest first: every unacknowledged one "
	    "(未確認) and\n"
	    "  the %d most recent acknowledged ones; --all shows every one.\n"
	    "  Drill traffic is marked 訓練.\n", INBOX_RECENT);
}

static int
verb_inbox(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_msg *v = NULL;
	Message *m;
	json_t *arr = NULL;
	char err[512];
	long n = 0, i;
	int ch, json = 0, all = 0, rc = CLI_ERROR;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "jah", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'a':
			all = 1;
			break;
		case 'h':
			usage_inbox(stdout);
			return CLI_OK;
		default:
			usage_inbox(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		cli_err(c, "unexpected argument \"%s\"", argv[optind]);
		usage_inbox(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, 0) == -1)
		return CLI_ERROR;
	if ((n = store_inbox_list(c->store, all, INBOX_RECENT, &v, err,
	    sizeof(err))) == -1) {
		n = 0;
		cli_err(c, "%s", err);
		goto done;
	}
	if (json)
		arr = json_array();
	for (i = 0; i < n; i++) {
		if ((m = stored_message(&v[i], err, sizeof(err))) == NULL) {
			cli_err(c, "stored message: %s", err);
			continue;
		}
		if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT) {
			if (json)
				json_array_append_new(arr,
				    msg_json(c, &v[i], m));
			else {
				withdrawal_banner(c, &v[i]);
				inbox_line(c, &v[i], m);
			}
		}
		message_free(m);
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	rc = CLI_OK;
done:
	json_decref(arr);
	store_msgs_free(v, (size_t)n);
	return rc;
}

static void
show_field(const char *label, const char *v)
{
	if (v != NULL && v[0] != '\0')
		printf("%s: %s\n", label, v);
}

static void
show_list(const char *label, char **v, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	printf("%s: ", label);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? "、" : "", v[i]);
	putchar('\n');
}

/* The plain text view of one message. */
static void
show_text(const struct cli *c, const struct store_msg *sm, const Message *m)
{
	char hex[KAIRAN_ID_HEXLEN + 1], t[JST_BUFLEN];
	const IncidentReport *r;
	const char *mark = status_mark(m->status);
	size_t i;

	message_hex(sm->id, KAIRAN_ID_LEN, hex);
	printf("message %s (%s)\n", hex, sm->dir == STORE_IN ? "受信" : "送信");
	if (mark[0] != '\0')
		printf("*** %s ***\n", mark);
	printf("差出人: %s %s\n", m->sender, entity_name(c->dir, m->sender));
	printf("宛先: ");
	for (i = 0; i < m->n_recipients; i++)
		printf("%s%s %s", i ? "、" : "", m->recipients[i],
		    entity_name(c->dir, m->recipients[i]));
	putchar('\n');
	printf("作成: %s\n", jst_rfc3339(m->created_at_ms, t));
	if (sm->dir == STORE_IN) {
		printf("受信: %s\n", jst_rfc3339(sm->received_ms, t));
		if (sm->ack_ms > 0)
			printf("受理確認: %s %s%s%s\n",
			    jst_rfc3339(sm->ack_ms, t),
			    sm->ack_by != NULL ? sm->ack_by : "",
			    sm->ack_note != NULL ? " " : "",
			    sm->ack_note != NULL ? sm->ack_note : "");
		else
			printf("受理確認: 未確認\n");
	}
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT) {
		message_hex(m->receipt->ref_id.data, KAIRAN_ID_LEN, hex);
		printf("受領通知: %s ref %s\n",
		    message_receipt_state_name(m->receipt->state), hex);
		show_field("氏名", m->receipt->by);
		show_field("備考", m->receipt->note);
		putchar('\n');
		return;
	}
	r = m->report;
	message_hex(r->incident_id.data, KAIRAN_ID_LEN, hex);
	printf("incident %s\n", hex);
	printf("第%u報 (%s)\n", r->report_no, phase_ja(r->phase));
	show_field("件名", r->title);
	printf("区分: %s\n", category_ja(r->category));
	show_list("種別", r->subtypes, r->n_subtypes);
	printf("被害レベル: %u\n", r->level);
	if (r->occurred_at_ms > 0)
		printf("発生日時: %s\n", jst_rfc3339(r->occurred_at_ms, t));
	if (r->discovered_at_ms > 0)
		printf("発見日時: %s\n", jst_rfc3339(r->discovered_at_ms, t));
	show_field("発生場所", r->location);
	show_field("概要", r->summary);
	show_list("影響を受けたサービス", r->affected_services,
	    r->n_affected_services);
	show_list("影響を受けたシステム", r->affected_systems,
	    r->n_affected_systems);
	show_field("原因", r->cause);
	show_field("被害状況・影響範囲", r->damage);
	if (r->records_affected > 0)
		printf("漏えい件数: %llu\n",
		    (unsigned long long)r->records_affected);
	show_field("対応状況", r->response);
	show_field("再発防止策", r->prevention);
	show_field("外部対応", r->external_response);
	show_field("その他", r->other);
	if (r->contact != NULL) {
		show_field("連絡先", r->contact->name);
		show_field("電話", r->contact->phone);
		show_field("時間外電話", r->contact->after_hours_phone);
	}
	for (i = 0; i < r->n_attachments; i++)
		printf("添付: %s (%s, %zu bytes)\n", r->attachments[i]->name,
		    r->attachments[i]->media_type,
		    r->attachments[i]->data.len);
	putchar('\n');
}

static void
usage_show(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] show ID [--json | --form]\n"
	    "  ID: a message id, or an incident id (all its reports, in "
	    "order).\n"
	    "  --form  lay it out like the report form (報告様式).\n");
}

static int
verb_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "form", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_msg one, *v = NULL;
	Message *m;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	json_t *out = NULL, *arr = NULL;
	long n = 0, i;
	int ch, json = 0, form = 0, rc = CLI_ERROR, found, incident = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "jFh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'F':
			form = 1;
			break;
		case 'h':
			usage_show(stdout);
			return CLI_OK;
		default:
			usage_show(stderr);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 1 || (json && form)) {
		cli_err(c, json && form ? "--json and --form exclude each other"
		    : "one ID is required");
		usage_show(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, 0) == -1)
		return CLI_ERROR;
	if ((rc = resolve_id(c, argv[optind], STORE_ID_ANY, id)) != 0)
		return rc;
	rc = CLI_ERROR;
	memset(&one, 0, sizeof(one));
	/* A message id (received, then sent), else an incident id. */
	if ((found = store_get(c->store, STORE_IN, id, &one, err,
	    sizeof(err))) == 0)
		found = store_get(c->store, STORE_OUT, id, &one, err,
		    sizeof(err));
	if (found == -1) {
		cli_err(c, "%s", err);
		goto done;
	}
	if (found == 1) {
		if ((v = malloc(sizeof(*v))) == NULL) {
			store_msg_clear(&one);
			goto done;
		}
		v[0] = one;
		n = 1;
	} else {
		incident = 1;
		if ((n = store_incident(c->store, STORE_IN, id, &v, err,
		    sizeof(err))) == 0)
			n = store_incident(c->store, STORE_OUT, id, &v, err,
			    sizeof(err));
		if (n == -1) {
			n = 0;
			cli_err(c, "%s", err);
			goto done;
		}
		if (n == 0) {
			cli_err(c, "%s: no message or incident with this id",
			    argv[optind]);
			goto done;
		}
	}
	if (json)
		arr = json_array();
	else if (n > 0)
		withdrawal_banner(c, &v[0]);
	for (i = 0; i < n; i++) {
		if ((m = stored_message(&v[i], err, sizeof(err))) == NULL) {
			cli_err(c, "stored message: %s", err);
			goto done;
		}
		if (json)
			json_array_append_new(arr, msg_json(c, &v[i], m));
		else if (form && m->body_case ==
		    KAIRAN__V1__MESSAGE__BODY_REPORT) {
			if (form_render(stdout, m, c->dir) == -1) {
				message_free(m);
				cli_err(c, "write error");
				goto done;
			}
			putchar('\n');
		} else
			show_text(c, &v[i], m);
		message_free(m);
	}
	if (json) {
		if (incident) {
			out = json_object();
			message_hex(id, KAIRAN_ID_LEN, hex);
			json_object_set_new(out, "incident", json_string(hex));
			json_object_set(out, "reports", arr);
		} else
			out = json_incref(json_array_get(arr, 0));
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_ERROR;
done:
	json_decref(out);
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
	    "  sent to its sender. ID: a message id, or an incident id (every "
	    "unacknowledged\n"
	    "  report of it), or a unique prefix of either (6+ hex digits).\n"
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
		printf("already acknowledged %s by %s at %s\n", hex,
		    sm->ack_by != NULL ? sm->ack_by : "?",
		    jst_rfc3339(sm->ack_ms, t));
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

static int
verb_ack(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "note", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *by = NULL, *note = NULL;
	struct store_msg one, *v = NULL;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512];
	long n = 0, i;
	int ch, found, rc = CLI_ERROR, r, any = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "b:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			by = optarg;
			break;
		case 'n':
			note = optarg;
			break;
		case 'h':
			usage_ack(stdout);
			return CLI_OK;
		default:
			usage_ack(stderr);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 1 || by == NULL || by[0] == '\0') {
		cli_err(c, "one ID and --by NAME are required");
		usage_ack(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((rc = resolve_id(c, argv[optind], STORE_ID_IN_MSG | STORE_ID_IN_INC, id)) != 0)
		return rc;
	rc = CLI_ERROR;
	memset(&one, 0, sizeof(one));
	if ((found = store_get(c->store, STORE_IN, id, &one, err,
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
	if ((n = store_incident(c->store, STORE_IN, id, &v, err,
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
	    "  (its latest report).\n"
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

static int
verb_status(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct status_view sv;
	struct store_msg *v = NULL;
	struct timespec now, deadline, pause = { 0, WAIT_POLL_NS };
	uint8_t id[KAIRAN_ID_LEN];
	char err[512], *end;
	double wait = -1;
	long n = 0;
	long long dv, last_dv = -2;
	size_t last_d = (size_t)-1, last_a = (size_t)-1, last_r = (size_t)-1;
	int ch, json = 0, rc = CLI_ERROR, r, done = 0;
	json_t *o;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "jw:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'w':
			errno = 0;
			wait = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    wait < 0 || wait > 86400 * 30) {
				cli_err(c, "--wait: \"%s\" is not a number of "
				    "seconds", optarg);
				return CLI_USAGE;
			}
			break;
		case 'h':
			usage_status(stdout);
			return CLI_OK;
		default:
			usage_status(stderr);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_err(c, "one ID is required");
		usage_status(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, 0) == -1)
		return CLI_ERROR;
	if ((rc = resolve_id(c, argv[optind], STORE_ID_OUT_MSG | STORE_ID_OUT_INC, id)) != 0)
		return rc;
	rc = CLI_ERROR;
	memset(&sv, 0, sizeof(sv));
	if ((r = status_load(&sv, c->store, c->cfg, c->dir, id, err,
	    sizeof(err))) == 0) {
		/* Not a report id: an incident id means its latest report. */
		if ((n = store_incident(c->store, STORE_OUT, id, &v, err,
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
		cli_err(c, "%s: no report or incident of ours with this id",
		    argv[optind]);
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

/* ---- sent ---- */

static void
usage_sent(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] sent [--json]\n"
	    "  Our incidents (latest activity first) and their reports "
	    "(newest first),\n"
	    "  with per report: delivered k/n, acknowledged k/n, rejected "
	    "k/n. A withdrawn\n"
	    "  incident (取消) is marked so, with its reason, on its first "
	    "line.\n");
}

/* The title of a stored report ("" if it does not decode). */
static char *
sent_title(const struct store_msg *sm, char **reason)
{
	Message *m;
	char err[256], *t = NULL;

	*reason = NULL;
	if ((m = stored_message(sm, err, sizeof(err))) == NULL)
		return strdup("");
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT) {
		t = strdup(m->report->title[0] != '\0' ? m->report->title :
		    m->report->summary);
		*reason = strdup(m->report->withdraw_reason);
	}
	message_free(m);
	return t != NULL ? t : strdup("");
}

static int
verb_sent(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_sent *v = NULL;
	struct store_msg w;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1], inc[KAIRAN_ID_HEXLEN + 1];
	char t[JST_BUFLEN], *title, *reason, *wreason;
	json_t *arr = NULL, *cur = NULL, *reps = NULL, *x;
	long n = 0, i;
	int ch, json = 0, rc = CLI_ERROR, wf;
	const char *mark;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage_sent(stdout);
			return CLI_OK;
		default:
			usage_sent(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		cli_err(c, "unexpected argument \"%s\"", argv[optind]);
		usage_sent(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, 0) == -1)
		return CLI_ERROR;
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
			if ((wf = store_withdrawal(c->store, STORE_OUT,
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
				json_object_set(cur, "reports", reps);
				json_array_append_new(arr, cur);
				json_decref(reps);
			} else {
				if (i > 0)
					putchar('\n');
				printf("incident %s  ", inc);
				if (wf == 1) {
					printf("*** 取消 (withdrawn): ");
					text_fputs(wreason != NULL ? wreason :
					    "", 0, stdout);
					printf(" ***  ");
				}
				text_fputs(title, 0, stdout);
				putchar('\n');
			}
			free(title);
			free(wreason);
		}
		mark = status_mark(sm->status);
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
			    json_time(sm->created_ms));
			json_object_set_new(x, "total",
			    json_integer(v[i].total));
			json_object_set_new(x, "delivered",
			    json_integer(v[i].delivered));
			json_object_set_new(x, "acknowledged",
			    json_integer(v[i].acknowledged));
			json_object_set_new(x, "rejected",
			    json_integer(v[i].rejected));
			json_array_append_new(reps, x);
		} else
			printf("  %s  第%u報 %s  %s%s%s  delivered %ld/%ld, "
			    "acknowledged %ld/%ld, rejected %ld/%ld\n", hex,
			    sm->report_no, sm->phase != 0 ?
			    incident_phase_ja(incident_phase_from_proto(
			    sm->phase)) : "", jst_short(sm->created_ms, t),
			    mark[0] != '\0' ? "  " : "", mark,
			    v[i].delivered, v[i].total, v[i].acknowledged,
			    v[i].total, v[i].rejected, v[i].total);
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

/* ---- dispatch ---- */

static const struct {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
	const char	*what;
} verbs[] = {
	{ "send", verb_send, "a new incident (第1報)" },
	{ "update", verb_update, "the next report of an incident (第N報)" },
	{ "close", verb_close, "declare an incident over (収束宣言)" },
	{ "final", verb_final, "the final report of a closed incident "
	    "(最終報告)" },
	{ "withdraw", verb_withdraw, "withdraw an incident sent in error "
	    "(取消)" },
	{ "sent", verb_sent, "our incidents and reports, with receipts" },
	{ "inbox", verb_inbox, "received reports" },
	{ "show", verb_show, "one message or incident" },
	{ "ack", verb_ack, "acknowledge a received report (受理確認)" },
	{ "status", verb_status, "receipts of a report of ours" },
};

int
cli_is_verb(const char *verb)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, verb) == 0)
			return 1;
	return 0;
}

void
cli_usage_verbs(FILE *fp)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(fp, "  %-8s %s\n", verbs[i].name, verbs[i].what);
}

int
cli_run(const char *conffile, int verbose, int argc, char **argv)
{
	struct cli c;
	size_t i;
	int rc = CLI_USAGE;

	(void)verbose;
	memset(&c, 0, sizeof(c));
	c.conffile = conffile;
	c.verb = argv[0];
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, argv[0]) == 0) {
			rc = verbs[i].fn(&c, argc, argv);
			break;
		}
	cli_close(&c);
	if (fflush(stdout) != 0 && rc == CLI_OK)
		rc = CLI_ERROR;
	return rc;
}
