/*
 * cli: what every verb of kairan-node uses (see cli.h; node/README.md
 * has the exact output formats, which scripts and tests rely on). The
 * verbs live in the modules of their topic, and verbs.c holds their table;
 * cli.c depends on none of them.
 *
 * Every verb parses its options with cli_args. What a verb prints that
 * came from elsewhere (reports, names, receipts) goes through text.h, and
 * the words around it come from labels.h and jst.h, shared with the relay.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "lock.h"
#include "store.h"
#include "store_imail.h"
#include "store_msg.h"

#define ID_PREFIX_MIN		6	/* hex digits of an id prefix */

void
cli_err(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kairan-node: %s: ", c->verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
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

void
cli_close(struct cli *c)
{
	signer_free(c->signer);
	directory_free(c->dir);
	store_close(c->store);
	config_free(c->cfg);
	c->signer = NULL;
	c->dir = NULL;
	c->store = NULL;
	c->cfg = NULL;
}

const char *
cli_entity_name(const struct directory *dir, const char *id)
{
	const struct dir_entity *e;

	if (dir == NULL || (e = directory_get(dir, id)) == NULL ||
	    e->name == NULL)
		return "";
	return e->name;
}

Message *
cli_shown_message(const struct store_msg *sm, char *err, size_t errlen)
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

int
cli_id_syntax(const struct cli *c, const char *s, void (*usage)(FILE *))
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

int
cli_resolve_id(const struct cli *c, const char *s, unsigned what,
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
	if ((n = store_msg_id_prefix(c->store, s, what, &v, &k, err,
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

/* ---- options ---- */

#define CLI_MAXOPTS	12	/* options of one verb, besides --help */

int
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

void
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
