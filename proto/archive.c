/*
 * archive: verifying a kept envelope as of its signing time (see
 * include/kairan/archive.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kairan/archive.h"
#include "kairan/jst.h"
#include "kairan/message.h"

#define REASON(x)	KAIRAN__V1__REFUSED__REASON__##x
#define FUTURE_SLACK_MS	(5 * 60 * 1000)	/* clocks differ; no more */

static void
set_reason(int *reason, int r)
{
	if (reason != NULL)
		*reason = r;
}

/* An ASN1_TIME as Unix ms, or 0 if it cannot be read. */
static int64_t
asn1_ms(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

/*
 * The issuer of cert among certs[0..n): its subject is cert's issuer name
 * AND its key verifies cert's signature. By name alone, a certificate the
 * signer made up with its CA's name (an envelope may carry extra ones)
 * would be taken for the CA, and the CRL check would silently run
 * against the wrong key. NULL if none.
 */
static X509 *
issuer_of(X509 **certs, size_t n, X509 *cert)
{
	EVP_PKEY *key;
	size_t i;

	for (i = 0; i < n; i++)
		if (certs[i] != NULL && certs[i] != cert &&
		    X509_NAME_cmp(X509_get_subject_name(certs[i]),
		    X509_get_issuer_name(cert)) == 0 &&
		    (key = X509_get0_pubkey(certs[i])) != NULL &&
		    X509_verify(cert, key) == 1)
			return certs[i];
	return NULL;
}

/* A root of the store that issued cert (name and key), or NULL (borrowed). */
static X509 *
store_issuer(X509_STORE *st, X509 *cert)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);
	EVP_PKEY *key;
	int i;

	for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509_OBJECT *o = sk_X509_OBJECT_value(objs, i);
		X509 *x;

		if (X509_OBJECT_get_type(o) != X509_LU_X509)
			continue;
		x = X509_OBJECT_get0_X509(o);
		if (X509_NAME_cmp(X509_get_subject_name(x),
		    X509_get_issuer_name(cert)) == 0 &&
		    (key = X509_get0_pubkey(x)) != NULL &&
		    X509_verify(cert, key) == 1)
			return x;
	}
	return NULL;
}

/*
 * The earliest revocation date of cert in the CRLs of st issued by issuer
 * (signature checked with issuer's key; a CRL that does not verify is
 * ignored): Unix ms, 0 if not listed; *ncrls counts the CRLs consulted;
 * *compromised is set to 1 if an entry gives the reason keyCompromise or
 * cACompromise.
 */
static int64_t
revoked_at(X509_STORE *st, X509 *cert, X509 *issuer, int *ncrls,
    int *compromised)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);
	EVP_PKEY *key = X509_get0_pubkey(issuer);
	int64_t when = 0, t;
	int i;

	for (i = 0; key != NULL && i < sk_X509_OBJECT_num(objs); i++) {
		X509_OBJECT *o = sk_X509_OBJECT_value(objs, i);
		X509_REVOKED *rev = NULL;
		X509_CRL *crl;

		if (X509_OBJECT_get_type(o) != X509_LU_CRL)
			continue;
		crl = X509_OBJECT_get0_X509_CRL(o);
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
		    X509_get_subject_name(issuer)) != 0 ||
		    X509_CRL_verify(crl, key) != 1)
			continue;
		(*ncrls)++;
		if (X509_CRL_get0_by_serial(crl, &rev,
		    X509_get0_serialNumber(cert)) == 1 && rev != NULL &&
		    (t = asn1_ms(X509_REVOKED_get0_revocationDate(rev))) > 0) {
			ASN1_ENUMERATED *why = X509_REVOKED_get_ext_d2i(rev,
			    NID_crl_reason, NULL, NULL);
			long code = why != NULL ? ASN1_ENUMERATED_get(why) : 0;

			ASN1_ENUMERATED_free(why);
			if (code == CRL_REASON_KEY_COMPROMISE ||
			    code == CRL_REASON_CA_COMPROMISE)
				*compromised = 1;
			if (when == 0 || t < when)
				when = t;
		}
	}
	return when;
}

int
archive_verify(struct trust *chain_trust, struct trust *crl_trust,
    const uint8_t *buf, size_t len, size_t max, int64_t now_ms,
    struct envelope_info *info, struct archive_info *ai, int *reason,
    char *err, size_t errlen)
{
	Envelope *env = NULL;
	Message *m = NULL;
	X509 *certs[KAIRAN_MAX_CHAIN] = { NULL };
	X509 *cert, *issuer = NULL;
	const unsigned char *p;
	char terr[768], tm[JST_BUFLEN], tm2[JST_BUFLEN];
	size_t i, n = 0;
	int64_t at;
	int rc = -1, r, depth, from_store = 0;

	memset(info, 0, sizeof(*info));
	memset(ai, 0, sizeof(*ai));
	if (now_ms == 0)
		now_ms = message_now_ms();
	if (len > max) {
		set_reason(reason, REASON(TOO_LARGE));
		snprintf(err, errlen, "envelope: %zu bytes over limit %zu", len,
		    max);
		return -1;
	}
	if ((buf == NULL && len > 0) ||
	    (env = kairan__v1__envelope__unpack(NULL, len, buf)) == NULL) {
		set_reason(reason, REASON(MALFORMED));
		snprintf(err, errlen, "envelope: not a valid protobuf Envelope");
		return -1;
	}
	set_reason(reason, REASON(INVALID_FIELD));
	if (envelope_bounds(env, err, errlen) == -1)
		goto done;
	/*
	 * The signing time is read before the signature is checked (it says
	 * as of when to check); envelope_verify then proves these very
	 * bytes were signed, so a forged time fails with the signature.
	 */
	if ((m = message_decode_reason(env->message.data, env->message.len,
	    &r, terr, sizeof(terr))) == NULL) {
		set_reason(reason, r);
		snprintf(err, errlen, "message: %s", terr);
		goto done;
	}
	at = m->created_at_ms;
	message_free(m);
	m = NULL;
	if (at <= 0) {
		snprintf(err, errlen, "message.created_at_ms: no signing time "
		    "to verify the certificate at");
		goto done;
	}
	if (at > now_ms + FUTURE_SLACK_MS) {
		snprintf(err, errlen, "message.created_at_ms: signed at %s, "
		    "in the future", jst_rfc3339(at, tm));
		goto done;
	}
	ai->signed_at = at;
	if (envelope_verify(chain_trust, env, at, info, reason, terr,
	    sizeof(terr)) == -1) {
		snprintf(err, errlen, "%s (as of the signing time %s)", terr,
		    jst_rfc3339(at, tm));
		goto done;
	}
	for (i = 0; i < env->n_cert_chain; i++) {
		p = env->cert_chain[i].data;
		if ((certs[i] = d2i_X509(NULL, &p,
		    (long)env->cert_chain[i].len)) == NULL)
			break;	/* verified just now: cannot happen */
		n = i + 1;
	}
	if (n == 0) {
		set_reason(reason, REASON(BAD_CERTIFICATE));
		snprintf(err, errlen, "envelope.cert_chain[0]: not a DER "
		    "certificate");
		goto fail;
	}
	ai->not_before = asn1_ms(X509_get0_notBefore(certs[0]));
	ai->not_after = asn1_ms(X509_get0_notAfter(certs[0]));
	ai->expired = ai->not_after != 0 && ai->not_after < now_ms;
	/*
	 * Every certificate of the chain up to the root, each by its issuer's
	 * CRL. The issuer is the certificate whose key verifies it (never a
	 * name alone). The signing time is the signer's own claim: a key
	 * revoked for compromise could sign "before" its revocation at any
	 * time, so that reason refuses whatever the date.
	 */
	for (cert = certs[0], depth = 0; crl_trust != NULL && cert != NULL &&
	    depth < KAIRAN_MAX_CHAIN; cert = from_store ? NULL : issuer,
	    depth++) {
		int64_t t;
		int compromised = 0;

		from_store = 0;
		if ((issuer = issuer_of(certs, n, cert)) == NULL) {
			issuer = store_issuer(trust_store(crl_trust), cert);
			from_store = 1;
		}
		if (issuer == NULL)
			break;
		if ((t = revoked_at(trust_store(crl_trust), cert, issuer,
		    &ai->ncrls, &compromised)) == 0)
			continue;
		if (t <= at || compromised) {
			set_reason(reason, REASON(REVOKED));
			if (compromised)
				snprintf(err, errlen, "envelope.cert_chain[%d]: "
				    "the %s was revoked at %s for a key "
				    "compromise, which refuses whatever the "
				    "signing time (%s) says", depth, depth == 0 ?
				    "signer's certificate" :
				    "signer's CA certificate",
				    jst_rfc3339(t, tm), jst_rfc3339(at, tm2));
			else
				snprintf(err, errlen, "envelope.cert_chain[%d]: "
				    "the %s was revoked at %s, before the signing "
				    "time %s", depth, depth == 0 ?
				    "signer's certificate" :
				    "signer's CA certificate",
				    jst_rfc3339(t, tm), jst_rfc3339(at, tm2));
			goto fail;
		}
		if (ai->revoked_at == 0 || t < ai->revoked_at) {
			ai->revoked_at = t;
			ai->revoked_depth = depth;
		}
	}
	set_reason(reason, REASON(REASON_UNSPECIFIED));
	rc = 0;
	goto done;
fail:
	envelope_info_clear(info);
done:
	for (i = 0; i < n; i++)
		X509_free(certs[i]);
	message_free(m);
	kairan__v1__envelope__free_unpacked(env, NULL);
	ERR_clear_error();
	return rc;
}
