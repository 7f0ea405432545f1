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

#include "kairan/archive.h"
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
	    "  certificate chain against this node's trust anchors (ca), the "
	    "identity\n"
	    "  rules, the signature over the exact bytes, every field.\n"
	    "  A kept file is checked as of the time it was signed (its "
	    "created time,\n"
	    "  covered by the signature): a certificate that has expired "
	    "since still\n"
	    "  verifies, and is reported as expired (information); a "
	    "signing time\n"
	    "  outside the certificate's validity does not verify.\n"
	    "  Revocation (crl), by date: revoked at or before the signing "
	    "time: not\n"
	    "  verified; revoked after it: verified, and the revocation is "
	    "printed;\n"
	    "  revoked for a key compromise: not verified, whatever the "
	    "signing time says.\n"
	    "  Prints: verified FILE, then the signer, the id, the signing "
	    "time, the\n"
	    "  certificate's validity and revocation, the report and its "
	    "title.\n"
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
	struct archive_info ai;
	struct trust *t = NULL, *tc = NULL;
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
	/*
	 * The chain as of the signing time without the CRLs, which
	 * archive_verify judges by revocation date (archive.h).
	 */
	if ((t = trust_new(c->cfg->ca, NULL, err, sizeof(err))) == NULL ||
	    (c->cfg->crl != NULL && (tc = trust_new(c->cfg->ca, c->cfg->crl,
	    err, sizeof(err))) == NULL)) {
		cli_err(c, "trust: %s", err);
		goto done;
	}
	if (read_bounded(file, KAIRAN_MAX_FRAME, &buf, &len, err,
	    sizeof(err)) == -1) {
		cli_err(c, "%s", err);
		goto done;
	}
	if (archive_verify(t, tc, buf, len, KAIRAN_MAX_FRAME, 0, &info, &ai,
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
	printf("  signed:  %s (the chain verified as of this time)\n",
	    jst_rfc3339(ai.signed_at, tm));
	printf("  certificate: valid %s", jst_rfc3339(ai.not_before, tm));
	printf(" to %s", jst_rfc3339(ai.not_after, tm));
	if (ai.expired)
		printf("; expired since %s (information: it was valid when "
		    "it signed)", jst_rfc3339(ai.not_after, tm));
	putchar('\n');
	if (tc == NULL)
		printf("  revocation: not checked (no crl configured)\n");
	else if (ai.revoked_at != 0)
		printf("  revocation: the %s was revoked at %s, after the "
		    "signing time (information: what it signed before stays "
		    "signed)\n", ai.revoked_depth == 0 ? "certificate" :
		    "certificate of its CA", jst_rfc3339(ai.revoked_at, tm));
	else
		printf("  revocation: not revoked (%d CRL%s of its CAs)\n",
		    ai.ncrls, ai.ncrls == 1 ? "" : "s");
	printf("  status:  %s\n", message_status_name(m->status));
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT) {
		printf("  report:  第%u報 %s level %u\n", m->report->report_no,
		    label_phase(m->report->phase), m->report->level);
		printf("  title:   ");
		(void)text_fputs(m->report->title != NULL ? m->report->title :
		    "", 0, stdout);
		putchar('\n');
	} else if (m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY) {
		printf("  advisory: %s (%s)\n",
		    message_advisory_kind_label(m->advisory->kind),
		    message_advisory_kind_name(m->advisory->kind));
		printf("  title:   ");
		(void)text_fputs(m->advisory->title != NULL ?
		    m->advisory->title : "", 0, stdout);
		putchar('\n');
	} else
		printf("  receipt: %s\n",
		    message_receipt_state_name(m->receipt->state));
	rc = CLI_OK;
done:
	envelope_info_clear(&info);
	free(buf);
	trust_free(t);
	trust_free(tc);
	return rc;
}
