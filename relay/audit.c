/*
 * audit: the hash of the relay's hash-chained audit log (see audit.h).
 */
#include <string.h>

#include <openssl/evp.h>

#include "audit.h"

static int
put_u64(EVP_MD_CTX *c, int64_t v)
{
	uint8_t b[8];
	uint64_t u = (uint64_t)v;
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = u & 0xff;
		u >>= 8;
	}
	return EVP_DigestUpdate(c, b, sizeof(b));
}

/* A string with its terminating NUL, so that fields cannot run together. */
static int
put_str(EVP_MD_CTX *c, const char *s)
{
	if (s == NULL)
		s = "";
	return EVP_DigestUpdate(c, s, strlen(s) + 1);
}

int
audit_hash(const uint8_t prev[AUDIT_HASH_LEN], const struct audit_row *r,
    uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MD_CTX *c;
	unsigned int n = 0;
	int rc = -1;

	if ((c = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (!EVP_DigestInit_ex(c, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c, prev, AUDIT_HASH_LEN) ||
	    !put_u64(c, r->seq) || !put_u64(c, r->at) ||
	    !put_str(c, r->event) ||
	    !EVP_DigestUpdate(c, r->message_id, 16) ||
	    !put_str(c, r->entity) ||
	    !EVP_DigestUpdate(c, r->digest, 32) ||
	    !put_str(c, r->detail) ||
	    !EVP_DigestFinal_ex(c, out, &n) || n != AUDIT_HASH_LEN)
		goto fail;
	rc = 0;
fail:
	EVP_MD_CTX_free(c);
	return rc;
}
