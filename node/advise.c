/*
 * advise: an advisory, information or request of ours (注意喚起・情報提供・
 * 要請; node/ADVISORY.md), signed and put in the outbox. It travels and is
 * receipted like a report; `sent` and `status` show who has answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <getopt.h>

#include "kairan/directory.h"
#include "kairan/message.h"

#include "advise.h"
#include "advisory.h"
#include "compose.h"
#include "config.h"
#include "sending.h"
#include "store.h"
#include "store_outbox.h"

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

int
advise_verb_advise(struct cli *c, int argc, char **argv)
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
	if (sending_merge_recipients(extra, nextra, NULL, 0, c->cfg->id, &rcpts,
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
