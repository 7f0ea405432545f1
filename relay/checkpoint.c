/*
 * checkpoint: signing and checking the audit log's checkpoints (see
 * checkpoint.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kairan/entity.h"
#include "kairan/file.h"
#include "kairan/message.h"

#include "checkpoint.h"

/* The signed part of the line. */
static int
body(const struct checkpoint *c, char *out, size_t outlen)
{
	char head[2 * AUDIT_HASH_LEN + 1];
	int n;

	message_hex(c->head, AUDIT_HASH_LEN, head);
	n = snprintf(out, outlen, "%s v=1 relay=%s rows=%" PRId64 " head=%s "
	    "at=%" PRId64, CHECKPOINT_TAG, c->relay, c->rows, head, c->at_ms);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

int
checkpoint_format(struct signer *sg, const struct checkpoint *c, char *out,
    size_t outlen, char *err, size_t errlen)
{
	uint8_t sig[KAIRAN_MAX_SIGNATURE];
	char b64[4 * ((KAIRAN_MAX_SIGNATURE + 2) / 3) + 1];
	size_t siglen;
	int n;

	if ((n = body(c, out, outlen)) == -1) {
		snprintf(err, errlen, "checkpoint: line too long");
		return -1;
	}
	if (signer_sign(sg, (const uint8_t *)out, (size_t)n, sig, &siglen, err,
	    errlen) == -1)
		return -1;
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	if ((size_t)n + 5 + strlen(b64) >= outlen) {
		snprintf(err, errlen, "checkpoint: line too long");
		return -1;
	}
	snprintf(out + n, outlen - (size_t)n, " sig=%s", b64);
	return 0;
}

/* Parses "key=value" fields of a line into c; the signature into sig. */
static int
parse(const char *line, struct checkpoint *c, uint8_t *sig, size_t *siglen,
    char *err, size_t errlen)
{
	char relay[KAIRAN_ENTITY_MAX + 1], head[2 * AUDIT_HASH_LEN + 2], b64[160];
	unsigned char dec[sizeof(b64)];
	long long rows, at;
	size_t len;
	int v, n;

	if (sscanf(line, CHECKPOINT_TAG " v=%d relay=%32s rows=%lld "
	    "head=%65s at=%lld sig=%159s", &v, relay, &rows, head, &at,
	    b64) != 6 || v != 1) {
		snprintf(err, errlen, "checkpoint: malformed line");
		return -1;
	}
	if (!entity_valid(relay, NULL, 0) || rows < 0 || at <= 0 ||
	    strlen(head) != 2 * AUDIT_HASH_LEN) {
		snprintf(err, errlen, "checkpoint: malformed fields");
		return -1;
	}
	snprintf(c->relay, sizeof(c->relay), "%s", relay);
	c->rows = rows;
	c->at_ms = at;
	for (n = 0; n < AUDIT_HASH_LEN; n++) {
		unsigned x;

		if (sscanf(head + 2 * n, "%2x", &x) != 1) {
			snprintf(err, errlen, "checkpoint: head is not hex");
			return -1;
		}
		c->head[n] = (uint8_t)x;
	}
	len = strlen(b64);
	if ((n = EVP_DecodeBlock(dec, (const unsigned char *)b64,
	    (int)len)) < 0) {
		snprintf(err, errlen, "checkpoint: sig is not base64");
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	while (len > 0 && b64[--len] == '=' && n > 0)
		n--;
	if ((size_t)n > KAIRAN_MAX_SIGNATURE) {
		snprintf(err, errlen, "checkpoint: sig too long");
		return -1;
	}
	memcpy(sig, dec, (size_t)n);
	*siglen = (size_t)n;
	return 0;
}

static int
verify(const char *cert_file, const char *text, size_t len,
    const uint8_t *sig, size_t siglen, char *err, size_t errlen)
{
	EVP_MD_CTX *ctx = NULL;
	X509 *x = NULL;
	FILE *fp;
	char ferr[256];
	int rc = -1;

	if ((fp = file_open_read(cert_file, ferr, sizeof(ferr))) == NULL) {
		snprintf(err, errlen, "%s", ferr);
		return -1;
	}
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL) {
		snprintf(err, errlen, "%s: no certificate", cert_file);
		return -1;
	}
	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(x)) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)text,
	    len) == 1)
		rc = 0;
	else
		snprintf(err, errlen, "checkpoint: signature does not verify "
		    "with the key of %s (forged, altered, or signed before a "
		    "key change)", cert_file);
	EVP_MD_CTX_free(ctx);
	X509_free(x);
	return rc;
}

int
checkpoint_read(const char *file, const char *cert_file, struct checkpoint *c,
    char *err, size_t errlen)
{
	char line[4096], last[CHECKPOINT_MAX] = "", ferr[256];
	uint8_t sig[KAIRAN_MAX_SIGNATURE];
	const char *at, *s;
	size_t siglen;
	FILE *fp;

	if ((fp = file_open_read(file, ferr, sizeof(ferr))) == NULL) {
		snprintf(err, errlen, "%s", ferr);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL)
		if ((at = strstr(line, CHECKPOINT_TAG " v=")) != NULL &&
		    strlen(at) < sizeof(last)) {
			snprintf(last, sizeof(last), "%s", at);
			last[strcspn(last, "\r\n")] = '\0';
		}
	fclose(fp);
	if (last[0] == '\0') {
		snprintf(err, errlen, "%s: no audit checkpoint in it", file);
		return -1;
	}
	if (parse(last, c, sig, &siglen, err, errlen) == -1)
		return -1;
	if ((s = strstr(last, " sig=")) == NULL) {
		snprintf(err, errlen, "checkpoint: no sig");
		return -1;
	}
	return verify(cert_file, last, (size_t)(s - last), sig, siglen, err,
	    errlen);
}
