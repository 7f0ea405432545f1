/*
 * trust: the federation's trust anchors and revocation lists.
 *
 * A trust holds an X509_STORE with the federation root CA certificate(s)
 * and every CRL found at the configured path (a PEM file with one or more
 * CRLs, or a directory whose *.pem / *.crl files are read), with
 * X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL set when CRLs are
 * configured. Reloading (SIGHUP) means building a new trust and swapping it
 * in; a trust is immutable once built, so verifications in flight are safe.
 */
#ifndef KAIRAN_TRUST_H
#define KAIRAN_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

#include "kairan/identity.h"

struct trust;

/*
 * ca_file: PEM file with the root CA certificate (more than one allowed).
 * crl_path: NULL for no CRL checking, else a file or a directory.
 * Returns a new trust, or NULL with err ("file: what is wrong").
 * Free with trust_free().
 */
struct trust	*trust_new(const char *ca_file, const char *crl_path,
		    char *err, size_t errlen);
void		 trust_free(struct trust *);		/* NULL is a no-op */
/* Borrowed store (for SSL_CTX_set1_cert_store); lives as long as the trust. */
X509_STORE	*trust_store(struct trust *);
/* Number of CRLs loaded. */
int		 trust_ncrls(const struct trust *);
/* A number unique to this trust within the process (never reused after trust_free). */
uint64_t	 trust_generation(const struct trust *);

/* Outcome of a chain verification, for Refused.reason and log lines. */
enum trust_result {
	TRUST_OK = 0,
	TRUST_BAD_CHAIN,	/* unknown CA, bad signature, wrong purpose, identity rules */
	TRUST_EXPIRED,		/* a certificate is expired or not yet valid */
	TRUST_REVOKED,
};

/*
 * Verifies leaf with untrusted intermediates against the store at time now
 * (seconds; 0 = current time), purpose SSL client or server not required
 * (digitalSignature key usage is checked instead), then applies the
 * identity rules. On TRUST_OK fills who. Otherwise err says why, including
 * OpenSSL's verification error string and depth.
 *
 * The trust remembers each intermediate (by the SHA-256 of its DER) that
 * a full verification took from untrusted[0] as a good leaf's issuer,
 * with the time window in which what was checked above the leaf holds
 * (validities, CRLs' update times). A leaf whose untrusted[0] is such an
 * intermediate is then checked alone: issued by it, its signature, its
 * validity at now, its serial in that intermediate's CRL, the identity
 * rules. Anything short of success there takes the full verification, so
 * a refusal reads exactly as before. Thread-safe.
 */
enum trust_result trust_verify(struct trust *, X509 *leaf,
		    STACK_OF(X509) *untrusted, int64_t now, struct identity *who,
		    char *err, size_t errlen);

/*
 * A TLS peer's certificate checked outside a handshake (a resumed
 * session, whose ticket carries its leaf and the intermediate it sent):
 * trust_verify at the current time, and the purpose a full handshake
 * checks, for a TLS client (server == 0: we are the server) or a TLS
 * server: X509_verify_cert's purpose and trust for it, and on the fast
 * path the purpose of the leaf and, as CAs, of the intermediate and the
 * root. Returns 0 with *chain the verified chain (leaf, intermediate,
 * root; free with sk_X509_pop_free(…, X509_free)), or -1 with err in
 * trust_verify's words ("chain: certificate revoked (error 23 at depth
 * 0)"). Thread-safe.
 */
int		 trust_verify_peer(struct trust *, X509 *leaf,
		    STACK_OF(X509) *untrusted, int server, struct identity *who,
		    STACK_OF(X509) **chain, char *err, size_t errlen);

/*
 * The last OpenSSL error of this thread's queue as text, for error messages
 * (a thread-local buffer, valid until the next call); "no details" if the
 * queue is empty. The queue is left as it is.
 */
const char	*trust_ssl_errstr(void);

/*
 * The remembered intermediate whose DER is exactly der..len, as a new
 * reference (X509_free it), or NULL. Decoding a certificate costs more
 * than verifying a signature (OpenSSL 3 decodes its key on parse): a
 * caller holding the certificates as bytes takes this one instead.
 */
X509		*trust_cached_ca(struct trust *, const uint8_t *der, size_t len);

/*
 * The intermediate cache: leaves checked by the fast path (hits), leaves
 * verified in full although an intermediate was given (misses), and how
 * many intermediates are remembered. For tests and benchmarks.
 */
void		 trust_cache_stats(struct trust *, uint64_t *hits,
		    uint64_t *misses, size_t *cas);

/* 1 if the entity's leaf certificate serial is in a loaded CRL (used to drop live connections after a reload). */
int		 trust_cert_revoked(struct trust *, X509 *cert);

#endif
