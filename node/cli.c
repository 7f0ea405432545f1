/*
 * cli: the people's verbs of kairan-node (see cli.h and node/README.md for
 * the exact output formats, which scripts and tests rely on).
 *
 * Every verb parses its options with cli_args. What a verb prints that
 * came from elsewhere (reports, names, receipts) goes through text.h, and
 * the words around it come from labels.h and jst.h, shared with the relay.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/form.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/text.h"
#include "kairan/entity.h"
#include "kairan/frame.h"
#include "kairan/trust.h"

#include "cli.h"
#include "compose.h"
#include "config.h"
#include "daemon.h"
#include "deadline.h"
#include "incident.h"
#include "lock.h"
#include "policy.h"
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
	if ((c->store = store_open(c->cfg->db, err, sizeof(err))) == NULL ||
	    store_imail_set(c->store, c->cfg->internal, c->cfg->ninternal, err,
	    sizeof(err)) == -1) {
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

/*
 * The Message inside a stored Envelope, for showing it (inbox, show): only
 * unpacked, with the lengths the display relies on checked (ids, the
 * body) and no string cut short by a NUL, not validated field by field
 * as message_decode does. The
 * envelope was verified when it was stored; rules that came later (no
 * control characters, PROTOCOL.md) must not make an old row unreadable,
 * so what such a row holds is shown escaped instead (text.h).
 */
static Message *
shown_message(const struct store_msg *sm, char *err, size_t errlen)
{
	Envelope *env;
	Message *m;

	if ((env = kairan__v1__envelope__unpack(NULL, sm->envlen,
	    sm->env)) == NULL) {
		snprintf(err, errlen, "stored envelope does not decode");
		return NULL;
	}
	m = kairan__v1__message__unpack(NULL, env->message.len,
	    env->message.data);
	/*
	 * protobuf-c cuts a string at an embedded NUL: what is shown (or an
	 * attachment name --save uses) would not be what was signed.
	 */
	if (m != NULL && message_wire_strings(&kairan__v1__message__descriptor,
	    env->message.data, env->message.len, err, errlen) != 0) {
		message_free(m);
		kairan__v1__envelope__free_unpacked(env, NULL);
		return NULL;
	}
	kairan__v1__envelope__free_unpacked(env, NULL);
	if (m == NULL) {
		snprintf(err, errlen, "stored message does not decode");
		return NULL;
	}
	if (m->id.len != KAIRAN_ID_LEN ||
	    (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT &&
	    (m->report == NULL ||
	    m->report->incident_id.len != KAIRAN_ID_LEN)) ||
	    (m->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT &&
	    (m->receipt == NULL || m->receipt->ref_id.len != KAIRAN_ID_LEN)) ||
	    (m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY &&
	    m->advisory == NULL) ||
	    m->body_case == KAIRAN__V1__MESSAGE__BODY__NOT_SET) {
		message_free(m);
		snprintf(err, errlen, "stored message lacks its ids or body");
		return NULL;
	}
	return m;
}

/* ---- ids: 32 hex digits, or a unique prefix of 6 or more ---- */

/*
 * Whether s can name an id: 32 hex digits, or a prefix of at least
 * ID_PREFIX_MIN of them. Checked before the configuration is read, like
 * every usage error. 0, or -1 (said on stderr with the verb's usage; the
 * exit code is CLI_USAGE).
 */
static int
id_syntax(const struct cli *c, const char *s, void (*usage)(FILE *))
{
	size_t len = strlen(s), i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			break;
	if (i < len || len < ID_PREFIX_MIN || len > KAIRAN_ID_HEXLEN) {
		cli_err(c, "\"%s\": an id is 32 hex digits, or a unique prefix "
		    "of at least %d of them", s, ID_PREFIX_MIN);
		usage(stderr);
		return -1;
	}
	return 0;
}

/*
 * The id an argument names (id_syntax passed, cli_open done): 32 hex
 * digits as they are, or the one id of the kinds in `what` (STORE_ID_*)
 * in the store that starts with the prefix. Returns 0 with id, or
 * CLI_ERROR: no such id, or an ambiguous prefix (the candidates are
 * listed on stderr, each with what it is).
 */
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
	size_t i, j;
	long n;

	if (strlen(s) == KAIRAN_ID_HEXLEN && message_id_parse(s, id) == 0)
		return 0;
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

/* ---- withdrawals (取消): shown above everything about an incident ---- */

struct withdrawal {
	uint8_t	 id[KAIRAN_ID_LEN];
	int64_t	 at_ms;
	char	*reason;
};

/*
 * Whether incident (as seen in dir) was withdrawn: 1 with *w (free
 * w->reason), 0 not, -1 on a store error (said on stderr). The reason is
 * read for display (shown_message), so an old row cannot hide it.
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
	if ((m = shown_message(&sm, err, sizeof(err))) != NULL) {
		if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT)
			w->reason = strdup(m->report->withdraw_reason);
		message_free(m);
	}
	store_msg_clear(&sm);
	return 1;
}

/*
 * incident.h's banner ("*** 取消 (withdrawn) T: REASON ***") before
 * anything else is printed about a withdrawn incident (inbox, show,
 * show --form).
 */
static void
withdrawal_banner(const struct cli *c, const struct store_msg *sm)
{
	struct withdrawal w;

	if (!sm->is_report || withdrawal_get(c, sm->dir, sm->incident,
	    &w) != 1)
		return;
	incident_withdrawn_banner(stdout, w.at_ms, w.reason);
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
	json_object_set_new(o, "at", jst_json(w.at_ms));
	json_object_set_new(o, "reason", w.reason != NULL ?
	    json_string(w.reason) : json_null());
	json_object_set_new(o, "message", json_string(hex));
	free(w.reason);
	return o;
}

/* ---- options ---- */

/*
 * One option of a verb: --name (and -shortopt if not 0). A required_argument
 * option stores its argument in *arg; a flag sets *flag to 1. required: the
 * verb cannot run without it (an empty argument counts as missing).
 */
struct cli_opt {
	const char	 *name;
	int		  shortopt;
	const char	**arg;
	int		 *flag;
	int		  required;
};

#define CLI_MAXOPTS	12

/*
 * The option parsing of every verb (argv[0] is the verb): the options of
 * the table opts (ended by a NULL name) plus --help/-h, then exactly npos
 * positional arguments (0 or 1; posname names it in the error, "one
 * INCIDENT is required"). Returns 1 if the verb goes on (argv[optind] is
 * its positional argument), or 0 with *rc set: CLI_OK after --help (usage
 * on stdout), CLI_USAGE after an error (message and usage on stderr).
 */
static int
cli_args(struct cli *c, int argc, char **argv, const struct cli_opt *opts,
    int npos, const char *posname, void (*usage)(FILE *), int *rc)
{
	struct option lo[CLI_MAXOPTS + 2];
	char shorts[3 * CLI_MAXOPTS + 2];
	size_t i, n = 0, k = 0;
	int ch, idx;

	for (n = 0; opts[n].name != NULL; n++) {
		if (n == CLI_MAXOPTS)
			fatalx("%s: too many options", __func__);
		lo[n].name = opts[n].name;
		lo[n].has_arg = opts[n].arg != NULL ? required_argument :
		    no_argument;
		lo[n].flag = NULL;
		lo[n].val = 256 + (int)n;	/* never a short option */
		if (opts[n].shortopt != 0) {
			shorts[k++] = (char)opts[n].shortopt;
			if (opts[n].arg != NULL)
				shorts[k++] = ':';
		}
	}
	shorts[k++] = 'h';
	shorts[k] = '\0';
	lo[n].name = "help";
	lo[n].has_arg = no_argument;
	lo[n].flag = NULL;
	lo[n].val = 'h';
	memset(&lo[n + 1], 0, sizeof(lo[n + 1]));
	*rc = CLI_USAGE;
	optind = 0;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			*rc = CLI_OK;
			return 0;
		}
		idx = -1;
		if (ch >= 256 && ch < 256 + (int)n)
			idx = ch - 256;
		for (i = 0; idx == -1 && i < n; i++)
			if (opts[i].shortopt != 0 && opts[i].shortopt == ch)
				idx = (int)i;
		if (idx == -1) {	/* getopt said what was wrong */
			usage(stderr);
			return 0;
		}
		if (opts[idx].arg != NULL)
			*opts[idx].arg = optarg;
		else if (opts[idx].flag != NULL)
			*opts[idx].flag = 1;
	}
	if (argc - optind != npos) {
		if (argc - optind > npos)
			cli_err(c, "unexpected argument \"%s\"",
			    argv[optind + npos]);
		else
			cli_err(c, "one %s is required", posname);
		usage(stderr);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (opts[i].required && opts[i].arg != NULL &&
		    (*opts[i].arg == NULL ||
		    (*opts[i].arg)[0] == '\0')) {
			cli_err(c, "--%s is required", opts[i].name);
			usage(stderr);
			return 0;
		}
	return 1;
}

/* ---- send / update / close / final / withdraw ---- */

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
		(void)text_fputs(entity_name(c->dir, id), 0, stderr);
		if (j->req != NULL && j->req[i] != NULL)
			fprintf(stderr, ": required by policy %s\n", j->req[i]);
		else if (listed(to, nto, id))
			fputs(": --to\n", stderr);
		else
			fputs(": earlier report\n", stderr);
	}
}

static int
verb_send(struct cli *c, int argc, char **argv)
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
	if (merge_recipients(pr.entity, pr.n, extra, nextra, c->cfg->id,
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

/* ---- advise: 注意喚起・情報提供・要請 ---- */

static void
usage_advise(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] advise --file FILE.json --to "
	    "LIST [--exercise]\n"
	    "  An advisory (注意喚起), information (情報提供) or a request for "
	    "an emergency\n"
	    "  measure (要請): signs it and puts it in the outbox. It travels "
	    "and is\n"
	    "  receipted like a report; recipients answer with ack "
	    "(確認しました) and\n"
	    "  done (対応済). `sent` and `status ID` show who has and who has "
	    "not.\n"
	    "  FILE.json: the advisory, UTF-8; its fields are in "
	    "node/ADVISORY.md.\n"
	    "        `kairan-node template --advisory` prints an empty one.\n"
	    "  LIST: comma-separated entity ids and groups (@region, "
	    "@prefecture, ...;\n"
	    "        see send).\n"
	    "  --exercise  mark it as a drill (訓練).\n"
	    "  Prints: message <32 hex>\n");
}

static int
verb_advise(struct cli *c, int argc, char **argv)
{
	const char *file = NULL, *to = NULL;
	Advisory *a = NULL;
	Message m;
	char **extra = NULL, **rcpts = NULL, err[512];
	char hex[KAIRAN_ID_HEXLEN + 1], sender[KAIRAN_ENTITY_MAX + 1];
	uint8_t id[KAIRAN_ID_LEN], *env = NULL, digest[KAIRAN_DIGEST_LEN];
	size_t nextra = 0, n = 0, envlen = 0;
	int exercise = 0, rc = CLI_ERROR;
	const struct cli_opt opts[] = {
		{ "file", 'F', &file, NULL, 1 },
		{ "to", 't', &to, NULL, 1 },
		{ "exercise", 'x', NULL, &exercise, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	if (!cli_args(c, argc, argv, opts, 0, NULL, usage_advise, &rc))
		return rc;
	if (to[0] == '\0') {
		cli_err(c, "--to: empty; name the recipients (e.g. @region)");
		usage_advise(stderr);
		return CLI_USAGE;
	}
	rc = CLI_ERROR;
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((a = advisory_from_file(file, err, sizeof(err))) == NULL) {
		cli_err(c, "%s", err);
		goto done;
	}
	if (directory_expand(c->dir, c->cfg->id, to, &extra, &nextra, err,
	    sizeof(err)) == -1) {
		cli_err(c, "--to: %s", err);
		goto done;
	}
	if (merge_recipients(extra, nextra, NULL, 0, c->cfg->id, &rcpts,
	    &n) == -1) {
		cli_err(c, "out of memory");
		goto done;
	}
	if (n == 0) {
		cli_err(c, "--to: %s names nobody but ourselves", to);
		goto done;
	}
	kairan__v1__message__init(&m);
	m.recipients = rcpts;
	m.n_recipients = n;
	m.status = exercise ? KAIRAN__V1__STATUS__EXERCISE :
	    KAIRAN__V1__STATUS__ACTUAL;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_ADVISORY;
	m.advisory = a;
	if (compose_seal(c->signer, &m, id, sender, &env, &envlen, digest,
	    err, sizeof(err)) == -1 ||
	    store_outbox_add(c->store, &m, env, envlen, digest, err,
	    sizeof(err)) == -1) {
		cli_err(c, "%s", err);
		goto done;
	}
	cli_queued(c);
	message_hex(id, KAIRAN_ID_LEN, hex);
	printf("message %s\n", hex);
	fprintf(stderr, "kairan-node: advise: %s to %zu recipients\n",
	    message_advisory_kind_label(a->kind), n);
	rc = CLI_OK;
done:
	free(env);
	store_strings_free(rcpts, n);
	directory_list_free(extra, nextra);
	advisory_free(a);
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

static int
verb_update(struct cli *c, int argc, char **argv)
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
	if (id_syntax(c, argv[optind], usage_update) == -1)
		return CLI_USAGE;
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
	/* A report whose level or kind grew reaches whom the rules now ask. */
	if (policy_resolve(c->cfg->policy, r, c->dir, c->cfg->id, &pr, err,
	    sizeof(err)) == -1) {
		cli_err(c, "%s: %s", c->cfg->file, err);
		goto done;
	}
	if (merge_recipients(pr.entity, pr.n, add, nadd, c->cfg->id, &more,
	    &nmore) == -1) {
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
	if (id_syntax(c, argv[optind], usage) == -1)
		return CLI_USAGE;
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
/* ---- deadlines (deadline.h, node/README.md "Deadlines") ---- */

/*
 * The proxy-log deadline of the incident of report sm as known by that
 * report (the reports of its direction numbered up to it), at now. 0, or
 * -1 (said on stderr; nothing is shown about it then).
 */
static int
report_proxy(const struct cli *c, const struct store_msg *sm,
    struct deadline_proxy *out)
{
	struct deadline_set set;
	char err[512];

	memset(out, 0, sizeof(*out));
	if (!sm->is_report)
		return 0;
	if (deadline_load(&set, c->store, sm->dir, sm->incident, err,
	    sizeof(err)) == -1) {
		cli_err(c, "%s", err);
		return -1;
	}
	deadline_proxy(set.v, set.n, sm->report_no, message_now_ms(), out);
	deadline_set_clear(&set);
	return 0;
}

/*
 * The lines of show's text about the proxy logs: the
 * deadline on a 第1報 of a targeted attack, whether it was met on every
 * later report (「プロキシログ確認: 期限内 / 期限超過 / 未確認」).
 */
static void
show_proxy(const struct cli *c, const struct store_msg *sm)
{
	struct deadline_proxy d;
	char t[JST_BUFLEN];

	if (report_proxy(c, sm, &d) == -1 || d.state == DEADLINE_PROXY_NONE)
		return;
	if (sm->report_no == 1)
		printf("%s: %s（%s6時間以内、「事案発覚後6時間以内」）\n",
		    LABEL_PROXY_DEADLINE, jst_rfc3339(d.due_ms, t),
		    d.discovered ? "発見日時から" : "第1報の時刻から");
	if (sm->report_no > 1 || d.checked_ms > 0)
		deadline_proxy_print(stdout, "", &d);
}

/* The form of report m (stored as sm) with its proxy-log deadline. */
static int
show_form(const struct cli *c, const struct store_msg *sm, const Message *m)
{
	struct deadline_proxy d;
	struct form_context ctx;
	char note[DEADLINE_NOTE_LEN];

	if (report_proxy(c, sm, &d) == -1)
		d.state = DEADLINE_PROXY_NONE;
	deadline_form_context(m, &d, note, sizeof(note), &ctx);
	return form_print(stdout, m, c->dir, &ctx);
}

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
	json_object_set_new(o, "created_at", jst_json(m->created_at_ms));
	if (sm->dir == STORE_IN) {
		json_object_set_new(o, "received_at",
		    jst_json(sm->received_ms));
		json_object_set_new(o, "acknowledged",
		    json_boolean(sm->ack_ms > 0));
		json_object_set_new(o, "acknowledged_at",
		    jst_json(sm->ack_ms));
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
		{
			struct deadline_proxy d;

			(void)report_proxy(c, sm, &d);
			json_object_set_new(o, "proxy_logs",
			    deadline_proxy_json(&d));
		}
	} else if (m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY) {
		json_object_set_new(o, "kind", json_string("advisory"));
		x = advisory_to_json(m->advisory);
		json_object_set_new(o, "advisory", x != NULL ? x : json_null());
		if (sm->dir == STORE_IN) {
			json_object_set_new(o, "done", json_boolean(
			    sm->done_ms > 0));
			json_object_set_new(o, "done_at", jst_json(sm->done_ms));
			json_object_set_new(o, "done_by", sm->done_by != NULL ?
			    json_string(sm->done_by) : json_null());
			json_object_set_new(o, "done_note", sm->done_note !=
			    NULL ? json_string(sm->done_note) : json_null());
		}
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

/*
 * The columns of one inbox line, raw (escaped when printed):
 * SENDER NAME | 第N報[ 収束宣言|最終報告|取消] | [訓練  ]未確認|確認済 BY |
 * レベルL | CATEGORY | TITLE (the title, else the summary's first line).
 */
enum { IC_SENDER, IC_NO, IC_STATE, IC_LEVEL, IC_CATEGORY, IC_TITLE, IC_N };
#define INBOX_COL	256

static void
inbox_cols(const struct cli *c, const struct store_msg *sm, const Message *m,
    char col[IC_N][INBOX_COL])
{
	const IncidentReport *r = m->report;
	const char *mark = label_status(m->status);

	snprintf(col[IC_SENDER], INBOX_COL, "%s %s", m->sender,
	    entity_name(c->dir, m->sender));
	/* 収束宣言, 最終報告, 取消: the phases a reader must not miss */
	if (r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED ||
	    r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL ||
	    r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN)
		snprintf(col[IC_NO], INBOX_COL, "第%u報 %s", r->report_no,
		    label_phase(r->phase));
	else
		snprintf(col[IC_NO], INBOX_COL, "第%u報", r->report_no);
	snprintf(col[IC_STATE], INBOX_COL, "%s%s%s%s", mark,
	    mark[0] != '\0' ? "  " : "", sm->ack_ms > 0 ? "確認済 " : "未確認",
	    sm->ack_ms > 0 && sm->ack_by != NULL ? sm->ack_by : "");
	snprintf(col[IC_LEVEL], INBOX_COL, "レベル%u", r->level);
	snprintf(col[IC_CATEGORY], INBOX_COL, "%s", label_category(r->category));
	if (r->title[0] != '\0')
		cut(r->title, 0, col[IC_TITLE], 160);
	else
		cut(r->summary, 1, col[IC_TITLE], 160);
}

/*
 * The inbox as a table, one line per report, columns separated by two
 * spaces and aligned by display width (a kanji takes two columns), every
 * value escaped on one line (text.h) so that no report can move the
 * cursor or fake a line:
 * ID  DATE TIME  SENDER NAME  第N報  [訓練  ]未確認|確認済 BY  レベルL  CATEGORY  TITLE
 * A report of a withdrawn incident has the withdrawal banner on the line
 * above it (outside the columns).
 */
static void
inbox_table(const struct cli *c, const struct store_msg *v, Message **m,
    size_t n)
{
	char (*col)[IC_N][INBOX_COL], hex[KAIRAN_ID_HEXLEN + 1], t[JST_BUFLEN];
	size_t w[IC_N] = { 0 }, i, k, x;

	if (n == 0 || (col = calloc(n, sizeof(*col))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (m[i] == NULL)
			continue;
		inbox_cols(c, &v[i], m[i], col[i]);
		for (k = 0; k < IC_N; k++)
			if ((x = text_width(col[i][k])) > w[k])
				w[k] = x;
	}
	for (i = 0; i < n; i++) {
		if (m[i] == NULL)
			continue;
		withdrawal_banner(c, &v[i]);
		message_hex(v[i].id, KAIRAN_ID_LEN, hex);
		printf("%s  %s", hex, jst_short(v[i].received_ms, t));
		for (k = 0; k < IC_TITLE; k++) {
			fputs("  ", stdout);
			(void)text_fpad(stdout, col[i][k], w[k]);
		}
		fputs("  ", stdout);
		(void)text_fputs(col[i][IC_TITLE], 0, stdout);
		putchar('\n');
	}
	free(col);
}

/*
 * The columns of one advisory line of the inbox, raw (escaped when
 * printed): SENDER NAME | 注意喚起|情報提供|要請 | [訓練  ]未確認|確認済
 * BY|対応済 BY | 期限 DATE TIME | SOURCE | TITLE.
 */
enum { AC_SENDER, AC_KIND, AC_STATE, AC_DUE, AC_SOURCE, AC_TITLE, AC_N };

static void
advisory_cols(const struct cli *c, const struct store_msg *sm,
    const Message *m, char col[AC_N][INBOX_COL])
{
	const Advisory *a = m->advisory;
	const char *mark = label_status(m->status);
	char t[JST_BUFLEN];

	snprintf(col[AC_SENDER], INBOX_COL, "%s %s", m->sender,
	    entity_name(c->dir, m->sender));
	snprintf(col[AC_KIND], INBOX_COL, "%s",
	    message_advisory_kind_label(a->kind));
	snprintf(col[AC_STATE], INBOX_COL, "%s%s%s%s", mark,
	    mark[0] != '\0' ? "  " : "", sm->done_ms > 0 ? "対応済 " :
	    sm->ack_ms > 0 ? "確認済 " : "未確認",
	    sm->done_ms > 0 && sm->done_by != NULL ? sm->done_by :
	    sm->done_ms == 0 && sm->ack_ms > 0 && sm->ack_by != NULL ?
	    sm->ack_by : "");
	if (a->due_at_ms > 0)
		snprintf(col[AC_DUE], INBOX_COL, "期限 %s",
		    jst_short(a->due_at_ms, t));
	else
		snprintf(col[AC_DUE], INBOX_COL, "期限なし");
	cut(a->source, 0, col[AC_SOURCE], 80);
	cut(a->title, 0, col[AC_TITLE], 160);
}

/*
 * The advisories of the inbox as a table, like inbox_table:
 * ID  DATE TIME  SENDER NAME  種別  STATE  期限  SOURCE  TITLE
 */
static void
advisory_table(const struct cli *c, const struct store_msg *v, Message **m,
    size_t n)
{
	char (*col)[AC_N][INBOX_COL], hex[KAIRAN_ID_HEXLEN + 1], t[JST_BUFLEN];
	size_t w[AC_N] = { 0 }, i, k, x;

	if (n == 0 || (col = calloc(n, sizeof(*col))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (m[i] == NULL)
			continue;
		advisory_cols(c, &v[i], m[i], col[i]);
		for (k = 0; k < AC_N; k++)
			if ((x = text_width(col[i][k])) > w[k])
				w[k] = x;
	}
	for (i = 0; i < n; i++) {
		if (m[i] == NULL)
			continue;
		message_hex(v[i].id, KAIRAN_ID_LEN, hex);
		printf("%s  %s", hex, jst_short(v[i].received_ms, t));
		for (k = 0; k < AC_TITLE; k++) {
			fputs("  ", stdout);
			(void)text_fpad(stdout, col[i][k], w[k]);
		}
		fputs("  ", stdout);
		(void)text_fputs(col[i][AC_TITLE], 0, stdout);
		putchar('\n');
	}
	free(col);
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

static int
verb_inbox(struct cli *c, int argc, char **argv)
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
		if ((m = shown_message(&v[i], err, sizeof(err))) == NULL) {
			cli_err(c, "stored message: %s", err);
			continue;
		}
		if (m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY &&
		    v[i].is_advisory) {
			nadv++;
			if (json && advonly) {
				json_array_append_new(arr, msg_json(c, &v[i],
				    m));
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
			json_array_append_new(arr, msg_json(c, &v[i], m));
			message_free(m);
		} else
			ms[i] = m;
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		if (!advonly)
			inbox_table(c, v, ms, (size_t)n);
		/* advisories apart: a heading, then their own table */
		if (nadv > 0 && !advonly)
			printf("%s注意喚起・情報提供・要請 (advisories): %ld\n",
			    nrep > 0 ? "\n" : "", nadv);
		advisory_table(c, v, as, (size_t)n);
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

/*
 * "label: value" if v is set. One-line fields (flags 0) are escaped whole,
 * so a newline shows as \x0a; long texts (TEXT_MULTILINE) keep their lines,
 * each continuation indented by two spaces so that no line of a report
 * can pass for a field of its own.
 */
static void
show_field(const char *label, const char *v, int flags)
{
	if (v == NULL || v[0] == '\0')
		return;
	printf("%s: ", label);
	if (flags & TEXT_MULTILINE)
		(void)text_fputs_lines(v, "", "  ", stdout);
	else {
		(void)text_fputs(v, 0, stdout);
		putchar('\n');
	}
}

/* A report field, labelled as on the form (labels.h). */
static void
show_item(const char *key, const char *v, int flags)
{
	show_field(label_field(key), v, flags);
}

static void
show_list(const char *key, char **v, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	printf("%s: ", label_field(key));
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs("、", stdout);
		(void)text_fputs(v[i], 0, stdout);
	}
	putchar('\n');
}

/* 復旧措置 and its parts (報告様式1 item 6), each if set. */
static void
show_recovery(const Kairan__V1__Recovery *v)
{
	if (v == NULL)
		return;
	show_item("recovery.measures", v->measures, TEXT_MULTILINE);
	show_item("recovery.status", v->status, TEXT_MULTILINE);
	show_item("recovery.outlook", v->outlook, TEXT_MULTILINE);
	if (v->cost_known)
		printf("%s: %llu円\n", label_field("recovery.cost_yen"),
		    (unsigned long long)v->cost_yen);
}

/* One channel of item 8: "報道発表: 実施済 2026-11-22T10:30:00+09:00" and its note. */
static void
show_channel(const char *key, const Kairan__V1__ExternalChannel *ch)
{
	char t[JST_BUFLEN];

	if (ch == NULL)
		return;
	printf("%s: %s", label_field(key), label_channel_state(ch->state));
	if (ch->at_ms > 0)
		printf(" %s", jst_rfc3339(ch->at_ms, t));
	putchar('\n');
	if (ch->note != NULL && ch->note[0] != '\0') {
		fputs("  ", stdout);
		(void)text_fputs_lines(ch->note, "", "  ", stdout);
	}
}

/* "ID NAME" of an entity, escaped. */
static void
show_entity(const struct cli *c, const char *id)
{
	(void)text_fputs(id, 0, stdout);
	putchar(' ');
	(void)text_fputs(entity_name(c->dir, id), 0, stdout);
}

/*
 * An advisory as text, in the order a reader needs it: what kind, what,
 * from where, what to do and by when; then its 対応済 if we received it.
 */
static void
show_advisory(const struct store_msg *sm, const Advisory *a)
{
	char t[JST_BUFLEN];
	size_t i;

	printf("種別: %s (%s)\n", message_advisory_kind_label(a->kind),
	    advisory_kind_key(a->kind));
	show_field("件名", a->title, 0);
	show_field("情報源", a->source, 0);
	if (a->severity != 0)
		printf("重要度: %s\n", advisory_severity_key(a->severity));
	show_field("概要", a->summary, TEXT_MULTILINE);
	for (i = 0; i < a->n_references; i++) {
		printf("参考[%zu]: ", i + 1);
		(void)text_fputs(a->references[i], 0, stdout);
		putchar('\n');
	}
	for (i = 0; i < a->n_actions; i++) {
		printf("実施を求める対策[%zu]: ", i + 1);
		(void)text_fputs(a->actions[i], 0, stdout);
		putchar('\n');
	}
	if (a->due_at_ms > 0)
		printf("対応期限: %s\n", jst_rfc3339(a->due_at_ms, t));
	if (a->contact != NULL) {
		show_field("問合せ先", a->contact->name, 0);
		show_field("組織", a->contact->organization, 0);
		show_field("電話", a->contact->phone, 0);
		show_field("時間外", a->contact->after_hours_phone, 0);
		show_field("メール", a->contact->email, 0);
	}
	if (sm->dir == STORE_IN) {
		if (sm->done_ms > 0) {
			printf("対応済: %s ", jst_rfc3339(sm->done_ms, t));
			(void)text_fputs(sm->done_by, 0, stdout);
			putchar(' ');
			(void)text_fputs(sm->done_note != NULL ?
			    sm->done_note : "", 0, stdout);
			putchar('\n');
		} else
			printf("対応済: 未報告\n");
	}
	putchar('\n');
}

/* The plain text view of one message; every received string escaped. */
static void
show_text(const struct cli *c, const struct store_msg *sm, const Message *m)
{
	char hex[KAIRAN_ID_HEXLEN + 1], t[JST_BUFLEN];
	const IncidentReport *r;
	const Kairan__V1__Attachment *a;
	const char *mark = label_status(m->status);
	size_t i;

	message_hex(sm->id, KAIRAN_ID_LEN, hex);
	printf("message %s (%s)\n", hex, sm->dir == STORE_IN ? "受信" : "送信");
	if (mark[0] != '\0')
		printf("*** %s ***\n", mark);
	fputs("差出人: ", stdout);
	show_entity(c, m->sender);
	fputs("\n宛先: ", stdout);
	for (i = 0; i < m->n_recipients; i++) {
		if (i > 0)
			fputs("、", stdout);
		show_entity(c, m->recipients[i]);
	}
	putchar('\n');
	printf("作成: %s\n", jst_rfc3339(m->created_at_ms, t));
	if (sm->dir == STORE_IN) {
		printf("受信: %s\n", jst_rfc3339(sm->received_ms, t));
		if (sm->ack_ms > 0) {
			printf("受理確認: %s ", jst_rfc3339(sm->ack_ms, t));
			(void)text_fputs(sm->ack_by, 0, stdout);
			if (sm->ack_note != NULL) {
				putchar(' ');
				(void)text_fputs(sm->ack_note, 0, stdout);
			}
			putchar('\n');
		} else
			printf("受理確認: 未確認\n");
	}
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT) {
		message_hex(m->receipt->ref_id.data, KAIRAN_ID_LEN, hex);
		printf("受領通知: %s (%s) ref %s\n",
		    message_receipt_state_name(m->receipt->state),
		    label_receipt_state(m->receipt->state), hex);
		show_field("氏名", m->receipt->by, 0);
		show_field("備考", m->receipt->note, TEXT_MULTILINE);
		putchar('\n');
		return;
	}
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY) {
		show_advisory(sm, m->advisory);
		return;
	}
	r = m->report;
	message_hex(r->incident_id.data, KAIRAN_ID_LEN, hex);
	printf("incident %s\n", hex);
	printf("第%u報 (%s)\n", r->report_no, label_phase(r->phase));
	show_item("title", r->title, 0);
	if (r->author != NULL) {
		show_item("author.role", r->author->role, 0);
		show_item("author.name", r->author->name, 0);
	}
	printf("区分: %s\n", label_category(r->category));
	show_list("subtypes", r->subtypes, r->n_subtypes);
	printf("%s: %u（%s）\n", label_field("level"), r->level,
	    label_level(r->level));
	if (r->occurred_at_ms > 0)
		printf("%s: %s\n", label_field("occurred_at"),
		    jst_rfc3339(r->occurred_at_ms, t));
	if (r->discovered_at_ms > 0)
		printf("%s: %s\n", label_field("discovered_at"),
		    jst_rfc3339(r->discovered_at_ms, t));
	if (r->detection != NULL) {
		if (r->detection->method != 0)
			printf("%s: %s\n", label_field("detection.method"),
			    label_detection_method(r->detection->method));
		show_item("detection.by", r->detection->by, 0);
		show_item("detection.detail", r->detection->detail,
		    TEXT_MULTILINE);
	}
	if (r->proxy_logs_checked_at_ms > 0)
		printf("%s: %s\n", label_field("proxy_logs_checked_at"),
		    jst_rfc3339(r->proxy_logs_checked_at_ms, t));
	show_item("location", r->location, TEXT_MULTILINE);
	show_item("summary", r->summary, TEXT_MULTILINE);
	show_item("service_overview", r->service_overview, TEXT_MULTILINE);
	show_item("service_impact", r->service_impact, TEXT_MULTILINE);
	show_item("system_overview", r->system_overview, TEXT_MULTILINE);
	show_list("affected_services", r->affected_services,
	    r->n_affected_services);
	show_list("affected_systems", r->affected_systems,
	    r->n_affected_systems);
	show_item("cause", r->cause, TEXT_MULTILINE);
	show_item("suspected_act", r->suspected_act, TEXT_MULTILINE);
	show_item("damage", r->damage, TEXT_MULTILINE);
	show_item("damage_scale", r->damage_scale, TEXT_MULTILINE);
	show_item("leaked_info", r->leaked_info, TEXT_MULTILINE);
	if (r->records_affected > 0)
		printf("%s: %llu\n", label_field("records_affected"),
		    (unsigned long long)r->records_affected);
	show_item("response", r->response, TEXT_MULTILINE);
	show_item("initial_response", r->initial_response, TEXT_MULTILINE);
	show_recovery(r->recovery);
	show_item("prevention", r->prevention, TEXT_MULTILINE);
	show_item("external_response", r->external_response, TEXT_MULTILINE);
	show_channel("press_release", r->press_release);
	show_channel("residents", r->residents);
	show_channel("government", r->government);
	show_channel("agencies", r->agencies);
	if (r->publication != NULL) {
		printf("%s: %s\n", label_field("publication"),
		    label_publication(r->publication->decision));
		show_item("publication.approved_by",
		    r->publication->approved_by, 0);
	}
	show_item("other", r->other, TEXT_MULTILINE);
	if (r->contact != NULL) {
		show_item("contact", r->contact->name, 0);
		show_item("contact.phone", r->contact->phone, 0);
		show_item("contact.after_hours_phone",
		    r->contact->after_hours_phone, 0);
	}
	for (i = 0; i < r->n_attachments; i++) {
		a = r->attachments[i];
		printf("%s: ", label_field("attachments"));
		(void)text_fputs(a->name, 0, stdout);
		fputs(" (", stdout);
		(void)text_fputs(a->media_type, 0, stdout);
		printf(", %zu bytes)\n", a->data.len);
	}
	show_proxy(c, sm);
	putchar('\n');
}

/* ---- show --save ---- */

/*
 * Why name cannot be a file name in the folder --save writes to, or NULL
 * if it can: it must be one plain name (no "/", no "\", not "." or "..",
 * not empty), valid UTF-8 without control characters or bidi overrides
 * (anything text.h would escape), so that it can neither leave the folder
 * nor look like another name in a listing.
 */
static const char *
save_name_problem(const char *name)
{
	char *e;
	int same;

	if (name == NULL || name[0] == '\0')
		return "the name is empty";
	if (strlen(name) > KAIRAN_MAX_SHORT)
		return "the name is longer than 256 bytes";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "the name is \".\" or \"..\"";
	if (strchr(name, '/') != NULL)
		return "the name holds \"/\" (a path, not a file name)";
	if (strchr(name, '\\') != NULL)
		return "the name holds \"\\\"";
	if ((e = text_escape(name, 0)) == NULL)
		return "out of memory";
	same = strcmp(e, name) == 0;
	free(e);
	if (!same)
		return "the name holds control characters, bidi overrides or "
		    "bytes that are not UTF-8";
	return NULL;
}

/* name with "-N" before its extension ("log.txt" -> "log-1.txt"). */
static void
save_suffixed(const char *name, unsigned k, char *out, size_t outlen)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL || dot == name)
		snprintf(out, outlen, "%s-%u", name, k);
	else
		snprintf(out, outlen, "%.*s-%u%s", (int)(dot - name), name, k,
		    dot);
}

/* Writes len bytes to fd. 0, or -1 with errno. */
static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Writes attachment a into the folder dfd (named dir), as a new file:
 * under its own name, or "name-N.ext" if that exists (never over an
 * existing file; O_EXCL|O_NOFOLLOW). Prints "saved DIR/NAME (N bytes,
 * sha256 ok)", with "; NAME exists, not overwritten" when it had to
 * choose another name. CLI_OK or CLI_ERROR (a partial file is removed).
 */
static int
save_one(struct cli *c, int dfd, const char *dir,
    const Kairan__V1__Attachment *a)
{
	char fname[KAIRAN_MAX_SHORT + 32];
	unsigned k;
	int fd = -1, e;

	snprintf(fname, sizeof(fname), "%s", a->name);
	for (k = 1; k <= 999; k++) {
		fd = openat(dfd, fname, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd != -1 || errno != EEXIST)
			break;
		save_suffixed(a->name, k, fname, sizeof(fname));
	}
	if (fd == -1) {
		e = errno;
		cli_err(c, "--save: cannot create %s/%s: %s", dir, fname,
		    e == EEXIST ? "999 files of this name exist" : strerror(e));
		return CLI_ERROR;
	}
	if (write_all(fd, a->data.data, a->data.len) == -1 ||
	    fsync(fd) == -1) {
		e = errno;
		close(fd);
		(void)unlinkat(dfd, fname, 0);
		cli_err(c, "--save: %s/%s: %s (removed)", dir, fname,
		    strerror(e));
		return CLI_ERROR;
	}
	if (close(fd) == -1) {
		e = errno;
		(void)unlinkat(dfd, fname, 0);
		cli_err(c, "--save: %s/%s: %s (removed)", dir, fname,
		    strerror(e));
		return CLI_ERROR;
	}
	printf("saved %s/%s (%zu bytes, sha256 ok", dir, fname, a->data.len);
	if (strcmp(fname, a->name) != 0)
		printf("; %s exists, not overwritten", a->name);
	printf(")\n");
	return CLI_OK;
}

/*
 * show --save DIR: the attachments of the n messages v/m into the
 * existing folder dir. Every attachment is checked first (its SHA-256
 * against the report's, its name by save_name_problem); if one fails,
 * nothing is written and the error names it. CLI_OK or CLI_ERROR.
 */
static int
save_attachments(struct cli *c, const char *dir, Message **m, long n)
{
	const Kairan__V1__Attachment *a;
	uint8_t md[KAIRAN_DIGEST_LEN];
	unsigned int mdlen;
	char want[2 * KAIRAN_DIGEST_LEN + 1], have[2 * KAIRAN_DIGEST_LEN + 1];
	const char *why;
	char *ename;
	long i;
	size_t j, total = 0;
	int dfd, rc = CLI_OK;

	for (i = 0; i < n; i++) {
		if (m[i]->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT)
			continue;
		for (j = 0; j < m[i]->report->n_attachments; j++) {
			a = m[i]->report->attachments[j];
			total++;
			ename = text_escape(a->name, TEXT_QUOTE);
			if ((why = save_name_problem(a->name)) != NULL) {
				cli_err(c, "--save: attachment %zu \"%s\" of "
				    "report %u: refused, %s; nothing saved",
				    j + 1, ename != NULL ? ename : "?",
				    m[i]->report->report_no, why);
				free(ename);
				return CLI_ERROR;
			}
			mdlen = 0;
			if (EVP_Digest(a->data.data, a->data.len, md, &mdlen,
			    EVP_sha256(), NULL) != 1 ||
			    mdlen != KAIRAN_DIGEST_LEN ||
			    a->sha256.len != KAIRAN_DIGEST_LEN ||
			    memcmp(md, a->sha256.data, KAIRAN_DIGEST_LEN) != 0) {
				message_hex(md, KAIRAN_DIGEST_LEN, have);
				if (a->sha256.len == KAIRAN_DIGEST_LEN)
					message_hex(a->sha256.data,
					    KAIRAN_DIGEST_LEN, want);
				else
					snprintf(want, sizeof(want), "none");
				cli_err(c, "--save: attachment %zu \"%s\" of "
				    "report %u: SHA-256 mismatch (the report "
				    "says %s, the data is %s); nothing saved",
				    j + 1, ename != NULL ? ename : "?",
				    m[i]->report->report_no, want, have);
				free(ename);
				return CLI_ERROR;
			}
			free(ename);
		}
	}
	if (total == 0) {
		printf("no attachments\n");
		return CLI_OK;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		cli_err(c, "--save: cannot open %s: %s", dir, strerror(errno));
		return CLI_ERROR;
	}
	for (i = 0; i < n && rc == CLI_OK; i++) {
		if (m[i]->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT)
			continue;
		for (j = 0; j < m[i]->report->n_attachments && rc == CLI_OK;
		    j++)
			rc = save_one(c, dfd, dir,
			    m[i]->report->attachments[j]);
	}
	close(dfd);
	return rc;
}

static void
usage_show(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] show ID [--json | --form | "
	    "--save DIR]\n"
	    "  ID: a message id, or an incident id (all its reports, in "
	    "order), or a\n"
	    "      unique prefix of either (6+ hex digits). A withdrawn "
	    "incident (取消)\n"
	    "      shows its withdrawal and the reason first.\n"
	    "  --form      lay it out like the report form (報告様式).\n"
	    "  --save DIR  write its attachments into the folder DIR, after "
	    "checking\n"
	    "              each one's SHA-256; never over an existing file "
	    "(name-1.ext).\n"
	    "  Text from a report is shown with control characters escaped "
	    "(\\x1b).\n");
}

static int
verb_show(struct cli *c, int argc, char **argv)
{
	struct store_msg one, *v = NULL;
	Message **ms = NULL;
	uint8_t id[KAIRAN_ID_LEN];
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];
	const char *save = NULL;
	json_t *out = NULL, *arr = NULL;
	long n = 0, i;
	int json = 0, form = 0, rc = CLI_ERROR, found, incident = 0;
	const struct cli_opt opts[] = {
		{ "json", 'j', NULL, &json, 0 },
		{ "form", 'F', NULL, &form, 0 },
		{ "save", 0, &save, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};

	if (!cli_args(c, argc, argv, opts, 1, "ID", usage_show, &rc))
		return rc;
	rc = CLI_ERROR;
	if (json + form + (save != NULL) > 1) {
		cli_err(c, "--json, --form and --save exclude each other");
		usage_show(stderr);
		return CLI_USAGE;
	}
	if (save != NULL && save[0] == '\0') {
		cli_err(c, "--save: a folder is required");
		return CLI_USAGE;
	}
	if (id_syntax(c, argv[optind], usage_show) == -1)
		return CLI_USAGE;
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
	if ((ms = calloc((size_t)n, sizeof(*ms))) == NULL) {
		cli_err(c, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		if ((ms[i] = shown_message(&v[i], err, sizeof(err))) == NULL) {
			cli_err(c, "stored message: %s", err);
			goto done;
		}
	if (save != NULL) {
		rc = save_attachments(c, save, ms, n);
		goto done;
	}
	if (json)
		arr = json_array();
	else
		withdrawal_banner(c, &v[0]);	/* before anything else */
	for (i = 0; i < n; i++) {
		if (json)
			json_array_append_new(arr, msg_json(c, &v[i], ms[i]));
		else if (form && ms[i]->body_case ==
		    KAIRAN__V1__MESSAGE__BODY_REPORT) {
			if (show_form(c, &v[i], ms[i]) == -1) {
				cli_err(c, "write error");
				goto done;
			}
			putchar('\n');
		} else
			show_text(c, &v[i], ms[i]);
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
	for (i = 0; ms != NULL && i < n; i++)
		message_free(ms[i]);
	free(ms);
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

static int
verb_ack(struct cli *c, int argc, char **argv)
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
	if (id_syntax(c, argv[optind], usage_ack) == -1)
		return CLI_USAGE;
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((rc = resolve_id(c, argv[optind], STORE_ID_IN_MSG |
	    STORE_ID_IN_INC, id)) != 0)
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

static int
verb_done(struct cli *c, int argc, char **argv)
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
	if (id_syntax(c, argv[optind], usage_done) == -1)
		return CLI_USAGE;
	if (cli_open(c, 1) == -1)
		return CLI_ERROR;
	if ((r = resolve_id(c, argv[optind], STORE_ID_IN_MSG, id)) != 0)
		return r;
	memset(&sm, 0, sizeof(sm));
	if ((found = store_get(c->store, STORE_IN, id, &sm, err,
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

static int
verb_status(struct cli *c, int argc, char **argv)
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
	if (id_syntax(c, argv[optind], usage_status) == -1)
		return CLI_USAGE;
	if (cli_open(c, 0) == -1)
		return CLI_ERROR;
	if ((rc = resolve_id(c, argv[optind], STORE_ID_OUT_MSG |
	    STORE_ID_OUT_INC, id)) != 0)
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
	if ((m = shown_message(sm, err, sizeof(err))) == NULL)
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

static int
verb_sent(struct cli *c, int argc, char **argv)
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

/* ---- template ---- */

static void
usage_template(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node template [--advisory]\n"
	    "  Prints an empty report (JSON) to fill in and give to send or "
	    "update:\n"
	    "    kairan-node template > report.json\n"
	    "  --advisory  an empty advisory for advise instead (fill in kind, "
	    "title and\n"
	    "              summary; node/ADVISORY.md).\n"
	    "  Required: summary (概要) and level (被害レベル 0..3); category "
	    "is \"other\"\n"
	    "  until you choose. Every field is described in "
	    "node/REPORT.md.\n");
}

static int
verb_template(struct cli *c, int argc, char **argv)
{
	int adv = 0;
	const struct cli_opt opts[] = {
		{ "advisory", 'a', NULL, &adv, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	json_t *o;
	int rc;

	if (!cli_args(c, argc, argv, opts, 0, NULL, usage_template, &rc))
		return rc;
	if ((o = adv ? advisory_template() : report_template()) == NULL) {
		cli_err(c, "out of memory");
		return CLI_ERROR;
	}
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ==
	    0 ? CLI_OK : CLI_ERROR;
	putchar('\n');
	json_decref(o);
	return rc;
}

/* ---- verify: a .kairan file, as a mail of the mail route carries it ---- */

static void
usage_verify(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-f node.conf] verify FILE\n"
	    "  Verifies a signed envelope in FILE (the REPORT-ID.kairan a "
	    "relay attaches\n"
	    "  when it mails a report to a recipient without a node) "
	    "completely: the\n"
	    "  certificate chain against this node's trust anchors and CRLs "
	    "(ca, crl),\n"
	    "  the identity rules, the signature over the exact bytes, every "
	    "field.\n"
	    "  Prints: verified FILE, then the signer, the id, the report "
	    "and its title.\n"
	    "  exit codes: 0 verified, 1 not verified (the reason on "
	    "stderr) or error,\n"
	    "  2 usage.\n");
}

/* The whole of path, at most max bytes: 0 with *buf (malloc'd), or -1. */
static int
read_bounded(const char *path, size_t max, uint8_t **buf, size_t *len,
    char *err, size_t errlen)
{
	uint8_t *b;
	size_t n;
	FILE *fp;

	*buf = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if ((b = malloc(max + 1)) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = fread(b, 1, max + 1, fp);
	if (ferror(fp)) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (n > max) {
		snprintf(err, errlen, "%s: more than %zu bytes: not an "
		    "envelope", path, max);
		goto fail;
	}
	fclose(fp);
	*buf = b;
	*len = n;
	return 0;
fail:
	fclose(fp);
	free(b);
	return -1;
}

static int
verb_verify(struct cli *c, int argc, char **argv)
{
	const struct cli_opt opts[] = { { NULL, 0, NULL, NULL, 0 } };
	struct envelope_info info;
	struct trust *t = NULL;
	const struct dir_entity *e;
	const Message *m;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[1024], hex[KAIRAN_ID_HEXLEN + 1], d[KAIRAN_DIGEST_LEN * 2 + 1];
	char tm[JST_BUFLEN];
	int rc, reason = 0, i;
	const char *file;

	if (!cli_args(c, argc, argv, opts, 1, "FILE", usage_verify, &rc))
		return rc;
	file = argv[optind];
	memset(&info, 0, sizeof(info));
	rc = CLI_ERROR;
	if ((c->cfg = config_load(c->conffile, err, sizeof(err))) == NULL) {
		cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	/* names only: a verification never depends on the directory */
	c->dir = directory_load(c->cfg->directory, err, sizeof(err));
	if ((t = trust_new(c->cfg->ca, c->cfg->crl, err, sizeof(err))) ==
	    NULL) {
		cli_err(c, "trust: %s", err);
		goto done;
	}
	if (read_bounded(file, KAIRAN_MAX_FRAME, &buf, &len, err,
	    sizeof(err)) == -1) {
		cli_err(c, "%s", err);
		goto done;
	}
	if (envelope_verify_bytes(t, buf, len, KAIRAN_MAX_FRAME, 0, &info,
	    &reason, err, sizeof(err)) == -1) {
		cli_err(c, "%s: NOT verified: %s: %s", file,
		    frame_reason_name(reason), err);
		goto done;
	}
	m = info.msg;
	message_hex(m->id.data, m->id.len, hex);
	for (i = 0; i < KAIRAN_DIGEST_LEN; i++)
		snprintf(d + 2 * i, 3, "%02x", info.digest[i]);
	printf("verified ");
	(void)text_fputs(file, 0, stdout);
	putchar('\n');
	e = c->dir != NULL ? directory_get(c->dir, info.signer.entity) : NULL;
	printf("  signer:  %s", info.signer.entity);
	if (e != NULL) {
		putchar(' ');
		(void)text_fputs(e->name, 0, stdout);
	}
	printf(" (certificate of role %s, issued by CA %s)\n",
	    identity_role_name(info.signer.role), info.signer.ca);
	printf("  id:      %s\n", hex);
	printf("  digest:  %s\n", d);
	printf("  created: %s\n", jst_rfc3339(m->created_at_ms, tm));
	printf("  status:  %s\n", message_status_name(m->status));
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT) {
		printf("  report:  第%u報 %s level %u\n", m->report->report_no,
		    label_phase(m->report->phase), m->report->level);
		printf("  title:   ");
		(void)text_fputs(m->report->title != NULL ? m->report->title :
		    "", 0, stdout);
		putchar('\n');
	} else
		printf("  receipt: %s\n",
		    message_receipt_state_name(m->receipt->state));
	rc = CLI_OK;
done:
	envelope_info_clear(&info);
	free(buf);
	trust_free(t);
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

static int
verb_confirm(struct cli *c, int argc, char **argv)
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
	if (id_syntax(c, argv[optind], usage_confirm) == -1)
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
	if ((rc = resolve_id(c, argv[optind], STORE_ID_OUT_MSG |
	    STORE_ID_OUT_INC, id)) != 0)
		return rc;
	rc = CLI_ERROR;
	memset(&one, 0, sizeof(one));
	if ((found = store_get(c->store, STORE_OUT, id, &one, err,
	    sizeof(err))) == -1) {
		cli_err(c, "%s", err);
		return CLI_ERROR;
	}
	if (found == 0 || !one.is_report) {
		/* an incident id means its latest report, as for status */
		if ((n = store_incident(c->store, STORE_OUT, id, &v, err,
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
	{ "advise", verb_advise, "an advisory, information or request "
	    "(注意喚起・情報提供・要請)" },
	{ "sent", verb_sent, "our incidents, reports and advisories, with "
	    "receipts" },
	{ "inbox", verb_inbox, "received reports and advisories" },
	{ "show", verb_show, "one message or incident" },
	{ "ack", verb_ack, "acknowledge a received report or advisory "
	    "(受理確認)" },
	{ "done", verb_done, "report a received advisory done (対応済)" },
	{ "status", verb_status, "receipts of a report or advisory of ours" },
	{ "confirm", verb_confirm, "record a confirmation by phone "
	    "(電話で確認)" },
	{ "verify", verb_verify, "verify a signed envelope in a file "
	    "(.kairan)" },
	{ "template", verb_template, "an empty report to fill in "
	    "(node/REPORT.md)" },
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
