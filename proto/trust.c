/*
 * trust: the federation's trust anchors and revocation lists, and the one
 * place where a certificate chain is verified outside of a TLS handshake
 * (envelope signatures). A trust is immutable once built: reloading builds
 * a new one and swaps it in, so verifications in flight stay valid.
 *
 * It remembers the intermediates it has verified (trust_ca below): the
 * federation has 48 of them and 1,790 leaves, and a leaf seen for the
 * first time under a known intermediate needs only its own signature,
 * validity and revocation checked, not the intermediate's again nor the
 * two CRLs' signatures (4-5 ECDSA verifications down to one). The
 * remembered state lives and dies with the trust, which holds the CRLs it
 * was checked against: a reload (new CRLs) is a new trust and starts empty.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "kairan/file.h"
#include "kairan/trust.h"

/*
 * An intermediate that a full verification took as the issuer of a good
 * leaf, directly under a root of the store: with it, what that
 * verification established about everything above the leaf (the
 * intermediate's signature by the root, its validity, its revocation in
 * the root's CRL, and its own CRL's signature and scope), and until when
 * that holds (the earliest notAfter / nextUpdate of the intermediate, the
 * root and both CRLs; from the latest notBefore / lastUpdate). Immutable
 * once published.
 */
struct trust_ca {
	uint8_t		 digest[SHA256_DIGEST_LENGTH];	/* of its DER */
	X509		*ca;		/* a reference */
	X509		*root;		/* a reference: ca's issuer */
	X509_CRL	*crl;		/* its CRL (in crls), NULL without CRLs */
	time_t		 from, until;
};

/* Far more than the federation's 48; beyond it, full verification. */
#define TRUST_CA_MAX	256

struct trust {
	X509_STORE		*store;
	STACK_OF(X509_CRL)	*crls;		/* for trust_cert_revoked */
	int			 ncerts;
	uint64_t		 generation;
	/*
	 * Append-only while the trust lives: readers scan the first ncas
	 * entries without a lock (the count is published with release
	 * order after the entry is written); writers take ca_lock.
	 */
	struct trust_ca		 cas[TRUST_CA_MAX];
	_Atomic size_t		 ncas;
	pthread_mutex_t		 ca_lock;
	_Atomic uint64_t	 ca_hits, ca_misses;
};

/* Generations never repeat in a process, unlike addresses of freed trusts. */
static _Atomic uint64_t trust_generations;

const char *
trust_ssl_errstr(void)
{
	static _Thread_local char buf[256];
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return "no details";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

/* 1 if the OpenSSL error queue holds only the "no more PEM blocks" error. */
static int
pem_eof(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/*
 * Adds every certificate (crl == 0) or every CRL (crl == 1) of one PEM
 * file to t. Returns 0, or -1 with err naming the file.
 */
static int
load_pem(struct trust *t, const char *file, int crl, char *err,
    size_t errlen)
{
	const char *what = crl ? "CRL" : "certificate";
	BIO *bio;
	X509_CRL *c;
	X509 *x;
	int ok;

	if ((bio = file_open_bio(file, err, errlen)) == NULL)
		return -1;
	ERR_clear_error();
	for (;;) {
		if (crl) {
			if ((c = PEM_read_bio_X509_CRL(bio, NULL, NULL,
			    NULL)) == NULL)
				break;
			/* the stack owns c; the store keeps its own reference */
			ok = X509_STORE_add_crl(t->store, c) == 1 &&
			    sk_X509_CRL_push(t->crls, c) > 0;
			if (!ok)
				X509_CRL_free(c);
		} else {
			if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) ==
			    NULL)
				break;
			if ((ok = X509_STORE_add_cert(t->store, x) == 1))
				t->ncerts++;
			X509_free(x);
		}
		if (!ok) {
			snprintf(err, errlen, "%s: cannot add %s: %s", file,
			    what, trust_ssl_errstr());
			goto fail;
		}
	}
	if (!pem_eof()) {
		snprintf(err, errlen, "%s: bad PEM %s: %s", file, what,
		    trust_ssl_errstr());
		goto fail;
	}
	ERR_clear_error();
	BIO_free(bio);
	return 0;
 fail:
	BIO_free(bio);
	return -1;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
crl_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' &&
	    (has_suffix(d->d_name, ".pem") || has_suffix(d->d_name, ".crl"));
}

static int
load_crls(struct trust *t, const char *path, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	struct stat st;
	char file[4096];
	int i, n = 0, rc = -1;

	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (load_pem(t, path, 1, err, errlen) == -1)
			return -1;
	} else {
		if ((n = scandir(path, &names, crl_filter, name_cmp)) == -1) {
			snprintf(err, errlen, "cannot open %s: %s", path,
			    strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			snprintf(file, sizeof(file), "%s/%s", path,
			    names[i]->d_name);
			if (stat(file, &st) == 0 && !S_ISREG(st.st_mode))
				continue;
			if (load_pem(t, file, 1, err, errlen) == -1)
				goto done;
		}
	}
	if (sk_X509_CRL_num(t->crls) == 0) {
		snprintf(err, errlen, "%s: no CRL found", path);
		goto done;
	}
	rc = 0;
 done:
	if (names != NULL) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return rc;
}

struct trust *
trust_new(const char *ca_file, const char *crl_path, char *err, size_t errlen)
{
	struct trust *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "trust: out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->ca_lock, NULL);
	if ((t->store = X509_STORE_new()) == NULL ||
	    (t->crls = sk_X509_CRL_new_null()) == NULL) {
		snprintf(err, errlen, "trust: out of memory");
		goto fail;
	}
	if (ca_file == NULL) {
		snprintf(err, errlen, "trust: no CA file");
		goto fail;
	}
	if (load_pem(t, ca_file, 0, err, errlen) == -1)
		goto fail;
	if (t->ncerts == 0) {
		snprintf(err, errlen, "%s: no certificate", ca_file);
		goto fail;
	}
	if (crl_path != NULL) {
		if (load_crls(t, crl_path, err, errlen) == -1)
			goto fail;
		X509_STORE_set_flags(t->store, X509_V_FLAG_CRL_CHECK |
		    X509_V_FLAG_CRL_CHECK_ALL);
	}
	t->generation = ++trust_generations;
	return t;
 fail:
	trust_free(t);
	return NULL;
}

void
trust_free(struct trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < atomic_load(&t->ncas); i++) {
		X509_free(t->cas[i].ca);
		X509_free(t->cas[i].root);
	}
	pthread_mutex_destroy(&t->ca_lock);
	X509_STORE_free(t->store);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	free(t);
}

X509_STORE *
trust_store(struct trust *t)
{
	return t->store;
}

int
trust_ncrls(const struct trust *t)
{
	return sk_X509_CRL_num(t->crls);
}

uint64_t
trust_generation(const struct trust *t)
{
	return t->generation;
}

/* An ASN1_TIME as seconds since the epoch, or -1 if it cannot be read. */
static time_t
asn1_seconds(const ASN1_TIME *a)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return (time_t)-1;
	return timegm(&tm);
}

/* Narrows [*from, *until] to [start, end]. Returns 0, or -1 if unreadable. */
static int
narrow(time_t *from, time_t *until, const ASN1_TIME *start,
    const ASN1_TIME *end)
{
	time_t a = asn1_seconds(start), b = asn1_seconds(end);

	if (a == (time_t)-1 || b == (time_t)-1)
		return -1;
	if (a > *from)
		*from = a;
	if (b < *until)
		*until = b;
	return 0;
}

/*
 * 0 if x has none of the extensions that make X509_verify_cert check more
 * than the fast path does (name constraints, policies, unhandled critical
 * or invalid extensions, proxy certificates); such chains always take the
 * full verification.
 */
static int
plain(X509 *x)
{
	static const int nids[] = { NID_name_constraints,
	    NID_policy_constraints, NID_policy_mappings,
	    NID_inhibit_any_policy };
	size_t i;

	if (X509_get_extension_flags(x) & (EXFLAG_INVALID | EXFLAG_CRITICAL |
	    EXFLAG_PROXY | EXFLAG_INVALID_POLICY))
		return 0;
	for (i = 0; i < sizeof(nids) / sizeof(nids[0]); i++)
		if (X509_get_ext_by_NID(x, nids[i], -1) >= 0)
			return 0;
	return 1;
}

static int
der_digest(X509 *x, uint8_t digest[SHA256_DIGEST_LENGTH])
{
	unsigned int n = 0;

	return X509_digest(x, EVP_sha256(), digest, &n) == 1 &&
	    n == SHA256_DIGEST_LENGTH ? 0 : -1;
}

static struct trust_ca *
ca_find(struct trust *t, const uint8_t digest[SHA256_DIGEST_LENGTH])
{
	size_t i, n = atomic_load_explicit(&t->ncas, memory_order_acquire);

	for (i = 0; i < n; i++)
		if (memcmp(t->cas[i].digest, digest, SHA256_DIGEST_LENGTH) == 0)
			return &t->cas[i];
	return NULL;
}

/*
 * After a full verification of leaf <- ca <- root succeeded: remembers ca
 * if what was checked about it holds for any leaf it issued. With CRLs,
 * that needs exactly one CRL of ca in the trust (so that X509_verify_cert
 * would pick the same one for every leaf), complete in scope (no issuing
 * distribution point, no delta), signed by ca, with a nextUpdate.
 */
static void
ca_remember(struct trust *t, X509 *ca, X509 *root,
    const uint8_t digest[SHA256_DIGEST_LENGTH])
{
	X509_CRL *c, *crl = NULL;
	X509_NAME *name = X509_get_subject_name(ca);
	time_t from = 0, until = (time_t)INT64_MAX;
	size_t n;
	int i, ncrl = 0;

	if (!plain(ca) ||
	    narrow(&from, &until, X509_get0_notBefore(ca),
	    X509_get0_notAfter(ca)) == -1 ||
	    narrow(&from, &until, X509_get0_notBefore(root),
	    X509_get0_notAfter(root)) == -1)
		return;
	for (i = 0; i < sk_X509_CRL_num(t->crls); i++) {
		c = sk_X509_CRL_value(t->crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(c), name) == 0) {
			crl = c;
			ncrl++;
		} else if (X509_NAME_cmp(X509_CRL_get_issuer(c),
		    X509_get_subject_name(root)) != 0)
			continue;
		/* ca's CRL, or the root's that ca was checked against */
		if (X509_CRL_get0_nextUpdate(c) == NULL ||
		    narrow(&from, &until, X509_CRL_get0_lastUpdate(c),
		    X509_CRL_get0_nextUpdate(c)) == -1)
			return;
	}
	if (sk_X509_CRL_num(t->crls) > 0 && (ncrl != 1 ||
	    X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point,
	    -1) >= 0 ||
	    X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0 ||
	    X509_CRL_get_ext_by_NID(crl, NID_freshest_crl, -1) >= 0 ||
	    X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1))
		return;
	if (from > until)
		return;
	pthread_mutex_lock(&t->ca_lock);
	n = atomic_load_explicit(&t->ncas, memory_order_relaxed);
	if (n < TRUST_CA_MAX && ca_find(t, digest) == NULL &&
	    X509_up_ref(ca) == 1) {
		if (X509_up_ref(root) != 1) {
			X509_free(ca);
			pthread_mutex_unlock(&t->ca_lock);
			return;
		}
		memcpy(t->cas[n].digest, digest, SHA256_DIGEST_LENGTH);
		t->cas[n].ca = ca;
		t->cas[n].root = root;
		t->cas[n].crl = crl;
		t->cas[n].from = from;
		t->cas[n].until = until;
		atomic_store_explicit(&t->ncas, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&t->ca_lock);
	ERR_clear_error();
}

/*
 * The fast path: leaf under the remembered intermediate e, at now. Checks
 * what X509_verify_cert would check of the leaf itself: issued by e->ca
 * (names, key identifiers, the CA's key usage), its signature, its
 * validity at now, its revocation in e->ca's CRL; e's own window at now.
 * Returns 1 if all hold and the identity rules pass (who filled), 0
 * otherwise: then the caller verifies in full, which refuses with the
 * same words as before (a revoked or expired leaf is rare; its error
 * message stays exactly what it was).
 */
static int
ca_leaf(const struct trust_ca *e, X509 *leaf, time_t now,
    struct identity *who)
{
	X509_REVOKED *rev;
	EVP_PKEY *k;
	char err[256];

	if (now < e->from || now > e->until || !plain(leaf) ||
	    X509_check_issued(e->ca, leaf) != X509_V_OK ||
	    X509_cmp_time(X509_get0_notBefore(leaf), &now) != -1 ||
	    X509_cmp_time(X509_get0_notAfter(leaf), &now) != 1 ||
	    (k = X509_get0_pubkey(e->ca)) == NULL || X509_verify(leaf, k) != 1 ||
	    (e->crl != NULL && X509_CRL_get0_by_cert(e->crl, &rev, leaf) != 0) ||
	    identity_from_cert(leaf, e->ca, who, err, sizeof(err)) == -1) {
		ERR_clear_error();
		return 0;
	}
	return 1;
}

X509 *
trust_cached_ca(struct trust *t, const uint8_t *der, size_t len)
{
	uint8_t digest[SHA256_DIGEST_LENGTH];
	struct trust_ca *e;

	if (t == NULL || der == NULL || len == 0 ||
	    SHA256(der, len, digest) == NULL ||
	    (e = ca_find(t, digest)) == NULL || X509_up_ref(e->ca) != 1)
		return NULL;
	return e->ca;
}

void
trust_cache_stats(struct trust *t, uint64_t *hits, uint64_t *misses,
    size_t *cas)
{
	*hits = atomic_load(&t->ca_hits);
	*misses = atomic_load(&t->ca_misses);
	*cas = atomic_load(&t->ncas);
}

/* chain := leaf, ca, root, each a new reference; 0, or -1 (nothing made). */
static int
chain_of(X509 *leaf, X509 *ca, X509 *root, STACK_OF(X509) **chain)
{
	X509 *v[3] = { leaf, ca, root };
	int i;

	if ((*chain = sk_X509_new_reserve(NULL, 3)) == NULL)
		return -1;
	for (i = 0; i < 3; i++) {
		if (X509_up_ref(v[i]) != 1) {
			sk_X509_pop_free(*chain, X509_free);
			*chain = NULL;
			return -1;
		}
		(void)sk_X509_push(*chain, v[i]);
	}
	return 0;
}

/*
 * What trust_verify and trust_verify_peer share. purpose: 0 for none (an
 * envelope: the identity rules check digitalSignature), else the
 * X509_PURPOSE_SSL_* a handshake checks: X509_verify_cert's purpose and
 * trust for it, and on the fast path the purpose of the leaf, and of the
 * intermediate and the root as CAs (the flags OpenSSL caches on each).
 * chain: NULL, or receives the verified chain (leaf, intermediate, root).
 */
static enum trust_result
verify(struct trust *t, X509 *leaf, STACK_OF(X509) *untrusted, int64_t now,
    int purpose, struct identity *who, STACK_OF(X509) **chain, char *err,
    size_t errlen)
{
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *got;
	struct trust_ca *ca = NULL;
	uint8_t digest[SHA256_DIGEST_LENGTH];
	enum trust_result res = TRUST_BAD_CHAIN;
	int e, depth, known = 0;

	if (chain != NULL)
		*chain = NULL;
	if (t == NULL || leaf == NULL) {
		snprintf(err, errlen, "chain: no trust or no certificate");
		return TRUST_BAD_CHAIN;
	}
	/* the leaf's issuer comes first among the intermediates we are given */
	if (sk_X509_num(untrusted) > 0 &&
	    der_digest(sk_X509_value(untrusted, 0), digest) == 0) {
		known = 1;
		if ((ca = ca_find(t, digest)) != NULL &&
		    (purpose == 0 || (X509_check_purpose(leaf, purpose, 0) ==
		    1 && X509_check_purpose(ca->ca, purpose, 1) == 1 &&
		    X509_check_purpose(ca->root, purpose, 1) == 1)) &&
		    ca_leaf(ca, leaf, now != 0 ? (time_t)now : time(NULL),
		    who)) {
			if (chain != NULL && chain_of(leaf, ca->ca, ca->root,
			    chain) == -1) {
				snprintf(err, errlen, "chain: out of memory");
				return TRUST_BAD_CHAIN;
			}
			atomic_fetch_add(&t->ca_hits, 1);
			return TRUST_OK;
		}
		ERR_clear_error();
		atomic_fetch_add(&t->ca_misses, 1);
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, t->store, leaf, untrusted) != 1 ||
	    (purpose != 0 && X509_STORE_CTX_set_default(ctx,
	    purpose == X509_PURPOSE_SSL_SERVER ? "ssl_server" :
	    "ssl_client") != 1)) {
		snprintf(err, errlen, "chain: %s", trust_ssl_errstr());
		goto done;
	}
	if (now != 0)
		X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		e = X509_STORE_CTX_get_error(ctx);
		depth = X509_STORE_CTX_get_error_depth(ctx);
		switch (e) {
		case X509_V_ERR_CERT_REVOKED:
			res = TRUST_REVOKED;
			break;
		case X509_V_ERR_CERT_HAS_EXPIRED:
		case X509_V_ERR_CERT_NOT_YET_VALID:
		case X509_V_ERR_CRL_HAS_EXPIRED:
		case X509_V_ERR_CRL_NOT_YET_VALID:
			res = TRUST_EXPIRED;
			break;
		default:
			res = TRUST_BAD_CHAIN;
			break;
		}
		snprintf(err, errlen, "chain: %s (error %d at depth %d)",
		    X509_verify_cert_error_string(e), e, depth);
		goto done;
	}
	got = X509_STORE_CTX_get0_chain(ctx);
	if (sk_X509_num(got) != 3) {
		snprintf(err, errlen, "chain: %d certificates, want leaf, "
		    "intermediate, root", sk_X509_num(got));
		res = TRUST_BAD_CHAIN;
		goto done;
	}
	if (identity_from_cert(sk_X509_value(got, 0),
	    sk_X509_value(got, 1), who, err, errlen) == -1) {
		res = TRUST_BAD_CHAIN;
		goto done;
	}
	if (chain != NULL && (*chain = X509_STORE_CTX_get1_chain(ctx)) ==
	    NULL) {
		snprintf(err, errlen, "chain: out of memory");
		res = TRUST_BAD_CHAIN;
		goto done;
	}
	/* the issuer was the one we were given, not one of the store's */
	if (known && ca == NULL &&
	    X509_cmp(sk_X509_value(got, 1), sk_X509_value(untrusted, 0)) == 0)
		ca_remember(t, sk_X509_value(got, 1), sk_X509_value(got, 2),
		    digest);
	res = TRUST_OK;
 done:
	X509_STORE_CTX_free(ctx);
	return res;
}

enum trust_result
trust_verify(struct trust *t, X509 *leaf, STACK_OF(X509) *untrusted,
    int64_t now, struct identity *who, char *err, size_t errlen)
{
	return verify(t, leaf, untrusted, now, 0, who, NULL, err, errlen);
}

int
trust_verify_peer(struct trust *t, X509 *leaf, STACK_OF(X509) *untrusted,
    int server, struct identity *who, STACK_OF(X509) **chain, char *err,
    size_t errlen)
{
	return verify(t, leaf, untrusted, 0, server ? X509_PURPOSE_SSL_SERVER :
	    X509_PURPOSE_SSL_CLIENT, who, chain, err, errlen) == TRUST_OK ?
	    0 : -1;
}

int
trust_cert_revoked(struct trust *t, X509 *cert)
{
	X509_REVOKED *rev;
	X509_CRL *c;
	int i;

	if (t == NULL || cert == NULL)
		return 0;
	for (i = 0; i < sk_X509_CRL_num(t->crls); i++) {
		c = sk_X509_CRL_value(t->crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(c),
		    X509_get_issuer_name(cert)) != 0)
			continue;
		if (X509_CRL_get0_by_cert(c, &rev, cert) == 1)
			return 1;
	}
	return 0;
}
