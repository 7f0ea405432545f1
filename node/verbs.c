/*
 * verbs: the table of kairan-node's verbs and the one run of a verb
 * (verbs.h). It is the only module that knows every verb's module, so
 * that the verbs depend on cli.c and cli.c on none of them.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "advise.h"
#include "inbox.h"
#include "sending.h"
#include "sent.h"
#include "show.h"
#include "template.h"
#include "verify.h"
#include "verbs.h"

/* ---- dispatch: every verb, in the order of the usage text ---- */

static const struct {
	const char	*name;
	cli_verb_fn	*fn;
	const char	*what;
} verbs[] = {
	{ "send", sending_verb_send, "a new incident (第1報)" },
	{ "update", sending_verb_update, "the next report of an incident "
	    "(第N報)" },
	{ "close", sending_verb_close, "declare an incident over (収束宣言)" },
	{ "final", sending_verb_final, "the final report of a closed incident "
	    "(最終報告)" },
	{ "withdraw", sending_verb_withdraw, "withdraw an incident sent in "
	    "error (取消)" },
	{ "advise", advise_verb_advise, "an advisory, information or request "
	    "(注意喚起・情報提供・要請)" },
	{ "sent", sent_verb_sent, "our incidents, reports and advisories, with "
	    "receipts" },
	{ "inbox", inbox_verb_inbox, "received reports and advisories" },
	{ "show", show_verb_show, "one message or incident" },
	{ "ack", inbox_verb_ack, "acknowledge a received report or advisory "
	    "(受理確認)" },
	{ "done", inbox_verb_done, "report a received advisory done (対応済)" },
	{ "status", sent_verb_status, "receipts of a report or advisory of "
	    "ours" },
	{ "confirm", sent_verb_confirm, "record a confirmation by phone "
	    "(電話で確認)" },
	{ "verify", verify_verb_verify, "verify a signed envelope in a file "
	    "(.kairan)" },
	{ "template", template_verb_template, "an empty report to fill in "
	    "(node/REPORT.md)" },
};

int
verbs_is_verb(const char *verb)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, verb) == 0)
			return 1;
	return 0;
}

void
verbs_usage(FILE *fp)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(fp, "  %-8s %s\n", verbs[i].name, verbs[i].what);
}

int
verbs_run(const char *conffile, int verbose, int argc, char **argv)
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
