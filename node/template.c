/*
 * template: the empty report (or, with --advisory, advisory) people fill
 * in for send, update and advise, as JSON on stdout (report.h, advisory.h).
 */
#include <stdio.h>

#include <jansson.h>

#include "template.h"
#include "advisory.h"
#include "report.h"

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

int
template_verb_template(struct cli *c, int argc, char **argv)
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
