/*
 * verify: a signed envelope in a file (REPORT-ID.kairan, as a mail of the
 * relay's mail route carries it) verified completely against this node's
 * trust anchors and CRLs, then what it is, on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/message.h"
#include "kairan/text.h"
#include "kairan/trust.h"

#include "verify.h"
#include "config.h"

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

int
verify_verb_verify(struct cli *c, int argc, char **argv)
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
