/*
 * Unit tests of trust: loading roots and CRLs, chain verification with
 * CRLs and times (the fixture's expired / not-yet-valid certificates and the
 * `now` parameter), and the identity rules applied on top, against the test
 * PKI of tests/unit/mkpki.sh (KAIRAN_FIXTURES); the cache of verified
 * intermediates (a hit, and every refusal unchanged behind it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <pthread.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kairan/trust.h"

#ifndef KAIRAN_FIXTURES
#error KAIRAN_FIXTURES must name the directory made by tests/unit/mkpki.sh
#endif

static const char *
fx(const char *rel)
{
	static char buf[8][1024];
	static int n;

	n = (n + 1) % 8;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", KAIRAN_FIXTURES, rel);
	return buf[n];
}

/* All certificates of a PEM file, in order. */
static STACK_OF(X509) *
load_pem_certs(const char *path)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	FILE *fp;
	X509 *x;

	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL)
		sk_X509_push(sk, x);
	fclose(fp);
	if (sk_X509_num(sk) == 0)
		fail_msg("no certificate in %s", path);
	return sk;
}

/*
 * Verifies DIR/chain.pem (leaf + intermediates) with t at now; returns the
 * result and fills who and err.
 */
static enum trust_result
verify_dir(struct trust *t, const char *dir, int64_t now,
    struct identity *who, char *err, size_t errlen)
{
	STACK_OF(X509) *sk;
	X509 *leaf;
	char rel[512];
	enum trust_result r;

	snprintf(rel, sizeof(rel), "%s/chain.pem", dir);
	sk = load_pem_certs(fx(rel));
	leaf = sk_X509_shift(sk);
	memset(who, 0, sizeof(*who));
	err[0] = '\0';
	r = trust_verify(t, leaf, sk, now, who, err, errlen);
	X509_free(leaf);
	sk_X509_pop_free(sk, X509_free);
	return r;
}

static void
expect_result(struct trust *t, const char *dir, int64_t now,
    enum trust_result want, const char *want_err)
{
	struct identity who;
	char err[1024];
	enum trust_result r;

	r = verify_dir(t, dir, now, &who, err, sizeof(err));
	if (r != want)
		fail_msg("%s: result %d, want %d (%s)", dir, r, want, err);
	if (want_err != NULL && strstr(err, want_err) == NULL)
		fail_msg("%s: error \"%s\" does not contain \"%s\"", dir, err,
		    want_err);
}

static struct trust *
trust_fixture(const char *crl)
{
	struct trust *t;
	char err[512];

	t = trust_new(fx("root/ca.pem"), crl != NULL ? fx(crl) : NULL, err,
	    sizeof(err));
	if (t == NULL)
		fail_msg("trust_new: %s", err);
	return t;
}

static void
test_load(void **state)
{
	struct trust *a, *b, *c;

	(void)state;
	a = trust_fixture("crl.pem");
	b = trust_fixture("crl");
	c = trust_fixture(NULL);
	/* one CRL per CA at least: root, 45, 13, national */
	assert_true(trust_ncrls(a) >= 4);
	assert_int_equal(trust_ncrls(a), trust_ncrls(b));
	assert_int_equal(trust_ncrls(c), 0);
	assert_non_null(trust_store(a));
	trust_free(a);
	trust_free(b);
	trust_free(c);
	trust_free(NULL);
}

static void
test_load_errors(void **state)
{
	char err[512], dir[] = "/tmp/kairan-test-trust-XXXXXX", path[600];
	FILE *fp;

	(void)state;
	assert_null(trust_new("/nonexistent/ca.pem", NULL, err, sizeof(err)));
	assert_string_equal(err, "cannot open /nonexistent/ca.pem: No such "
	    "file or directory");
	/* a CA file without certificates (a CRL file) */
	assert_null(trust_new(fx("crl.pem"), NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no certificate"));
	assert_null(trust_new(fx("root/ca.pem"), "/nonexistent/crl", err,
	    sizeof(err)));
	assert_string_equal(err, "cannot open /nonexistent/crl: No such file "
	    "or directory");
	/* a directory where the CA file should be (root reads any mode) */
	assert_non_null(mkdtemp(dir));
	assert_null(trust_new(dir, NULL, err, sizeof(err)));
	snprintf(path, sizeof(path), "cannot open %s: Is a directory", dir);
	assert_string_equal(err, path);
	/* a CRL path that yields no CRL is refused, file or directory */
	assert_null(trust_new(fx("root/ca.pem"), dir, err, sizeof(err)));
	assert_non_null(strstr(err, "no CRL found"));
	snprintf(path, sizeof(path), "%s/empty.pem", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_null(trust_new(fx("root/ca.pem"), path, err, sizeof(err)));
	assert_non_null(strstr(err, "no CRL found"));
	assert_null(trust_new(fx("root/ca.pem"), dir, err, sizeof(err)));
	/* a certificate is not a CRL */
	assert_null(trust_new(fx("root/ca.pem"), fx("root/ca.pem"), err,
	    sizeof(err)));
	unlink(path);
	rmdir(dir);
}

static void
test_good_entities(void **state)
{
	static const struct {
		const char		*id;
		enum identity_role	 role;
		const char		*ca;
	} ok[] = {
		{ "452017", ROLE_NODE, "45" },
		{ "450006", ROLE_NODE, "45" },
		{ "452025", ROLE_NODE, "45" },
		{ "131083", ROLE_NODE, "13" },
		{ "131024", ROLE_NODE, "13" },
		{ "mic", ROLE_NODE, "national" },
		{ "nisc", ROLE_NODE, "national" },
		{ "relay-45", ROLE_RELAY, "45" },
		{ "relay-13", ROLE_RELAY, "13" },
	};
	struct trust *t;
	struct identity who;
	char dir[128], err[1024];
	size_t i, k;
	static const char *crls[] = { "crl.pem", "crl", NULL };

	(void)state;
	for (k = 0; k < 3; k++) {
		t = trust_fixture(crls[k]);
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			snprintf(dir, sizeof(dir), "entities/%s", ok[i].id);
			if (verify_dir(t, dir, 0, &who, err, sizeof(err)) !=
			    TRUST_OK)
				fail_msg("%s: %s", ok[i].id, err);
			assert_string_equal(who.entity, ok[i].id);
			assert_int_equal(who.role, ok[i].role);
			assert_string_equal(who.ca, ok[i].ca);
		}
		assert_int_equal(verify_dir(t, "entities/ops-45", 0, &who, err,
		    sizeof(err)), TRUST_OK);
		assert_int_equal(who.role, ROLE_OPERATOR);
		trust_free(t);
	}
}

static void
test_revoked(void **state)
{
	struct trust *t;
	STACK_OF(X509) *sk;

	(void)state;
	t = trust_fixture("crl.pem");
	expect_result(t, "bad/revoked", 0, TRUST_REVOKED, "revoked");
	sk = load_pem_certs(fx("bad/revoked/cert.pem"));
	assert_int_equal(trust_cert_revoked(t, sk_X509_value(sk, 0)), 1);
	sk_X509_pop_free(sk, X509_free);
	sk = load_pem_certs(fx("entities/452017/cert.pem"));
	assert_int_equal(trust_cert_revoked(t, sk_X509_value(sk, 0)), 0);
	sk_X509_pop_free(sk, X509_free);
	trust_free(t);
	/* the CRL directory catches it too */
	t = trust_fixture("crl");
	expect_result(t, "bad/revoked", 0, TRUST_REVOKED, NULL);
	trust_free(t);
	/* without CRLs nothing says it is revoked: CRLs do the work */
	t = trust_fixture(NULL);
	expect_result(t, "bad/revoked", 0, TRUST_OK, NULL);
	trust_free(t);
}

static void
test_expired_notyet_fixture(void **state)
{
	struct trust *t;

	(void)state;
	t = trust_fixture("crl.pem");
	expect_result(t, "bad/expired", 0, TRUST_EXPIRED, "expired");
	expect_result(t, "bad/notyet", 0, TRUST_EXPIRED, "not yet valid");
	trust_free(t);
}

static time_t
asn1_to_time(const ASN1_TIME *a)
{
	struct tm tm;

	assert_int_equal(ASN1_TIME_to_tm(a, &tm), 1);
	return timegm(&tm);
}

/* 1 if every certificate of DIR/chain.pem and the root is valid at t. */
static int
chain_valid_at(const char *dir, time_t t)
{
	STACK_OF(X509) *sk, *root;
	char rel[256];
	int i, ok = 1;

	snprintf(rel, sizeof(rel), "%s/chain.pem", dir);
	sk = load_pem_certs(fx(rel));
	root = load_pem_certs(fx("root/ca.pem"));
	sk_X509_push(sk, sk_X509_shift(root));
	sk_X509_pop_free(root, X509_free);
	for (i = 0; i < sk_X509_num(sk); i++) {
		X509 *x = sk_X509_value(sk, i);

		if (asn1_to_time(X509_get0_notBefore(x)) > t ||
		    asn1_to_time(X509_get0_notAfter(x)) < t)
			ok = 0;
	}
	sk_X509_pop_free(sk, X509_free);
	return ok;
}

/* The `now` parameter is honoured both ways. */
static void
test_now_parameter(void **state)
{
	struct trust *t;
	STACK_OF(X509) *sk;
	time_t nb, na;

	(void)state;
	t = trust_fixture(NULL);
	expect_result(t, "entities/452017", 0, TRUST_OK, NULL);
	expect_result(t, "entities/452017", (int64_t)time(NULL), TRUST_OK,
	    NULL);
	expect_result(t, "entities/452017", 946684800, TRUST_EXPIRED,
	    "not yet valid");			/* 2000-01-01 */
	expect_result(t, "entities/452017", 4102444800LL, TRUST_EXPIRED,
	    "expired");				/* 2100-01-01 */
	/* the not-yet-valid certificate is fine once its time has come */
	/* (if its CAs are still valid then) */
	sk = load_pem_certs(fx("bad/notyet/cert.pem"));
	nb = asn1_to_time(X509_get0_notBefore(sk_X509_value(sk, 0)));
	sk_X509_pop_free(sk, X509_free);
	if (chain_valid_at("bad/notyet", nb + 60))
		expect_result(t, "bad/notyet", (int64_t)nb + 60, TRUST_OK,
		    NULL);
	/* the expired one was fine before it expired (if its CAs existed) */
	sk = load_pem_certs(fx("bad/expired/cert.pem"));
	na = asn1_to_time(X509_get0_notAfter(sk_X509_value(sk, 0)));
	sk_X509_pop_free(sk, X509_free);
	if (chain_valid_at("bad/expired", na - 60))
		expect_result(t, "bad/expired", (int64_t)na - 60, TRUST_OK,
		    NULL);
	/* a good certificate checked as of a minute before it expires */
	sk = load_pem_certs(fx("entities/452017/cert.pem"));
	na = asn1_to_time(X509_get0_notAfter(sk_X509_value(sk, 0)));
	sk_X509_pop_free(sk, X509_free);
	assert_true(chain_valid_at("entities/452017", na - 60));
	expect_result(t, "entities/452017", (int64_t)na - 60, TRUST_OK, NULL);
	expect_result(t, "entities/452017", (int64_t)na + 60, TRUST_EXPIRED,
	    "expired");
	/* and any certificate is refused at a time its chain is invalid */
	assert_false(chain_valid_at("entities/452017", 946684800));
	trust_free(t);
	/* with CRLs, a time before their lastUpdate is an EXPIRED as well */
	t = trust_fixture("crl.pem");
	expect_result(t, "entities/452017", 4102444800LL, TRUST_EXPIRED, NULL);
	trust_free(t);
}

static void
test_unknown_root(void **state)
{
	struct trust *t;
	struct identity who;
	char err[512];

	(void)state;
	t = trust_fixture("crl.pem");
	expect_result(t, "bad/unknown-root", 0, TRUST_BAD_CHAIN, "depth");
	trust_free(t);
	/* a leaf without its intermediate does not chain either */
	t = trust_fixture(NULL);
	{
		STACK_OF(X509) *sk = load_pem_certs(
		    fx("entities/452017/cert.pem"));

		assert_int_equal(trust_verify(t, sk_X509_value(sk, 0), NULL,
		    0, &who, err, sizeof(err)), TRUST_BAD_CHAIN);
		assert_non_null(strstr(err, "issuer"));
		sk_X509_pop_free(sk, X509_free);
	}
	trust_free(t);
}

/* Chains are exactly leaf, intermediate, root. */
static void
test_chain_length(void **state)
{
	struct trust *t;
	char err[512];

	(void)state;
	/* The intermediate as a trust anchor makes a chain of two. */
	t = trust_new(fx("ca-45/ca.pem"), NULL, err, sizeof(err));
	assert_non_null(t);
	X509_STORE_set_flags(trust_store(t), X509_V_FLAG_PARTIAL_CHAIN);
	expect_result(t, "entities/452017", 0, TRUST_BAD_CHAIN,
	    "2 certificates");
	trust_free(t);
}

static void
test_identity_rules(void **state)
{
	struct trust *t;

	(void)state;
	t = trust_fixture("crl.pem");
	expect_result(t, "bad/pref13-by-45", 0, TRUST_BAD_CHAIN,
	    "of prefecture 13 but issued by CA 45");
	expect_result(t, "bad/relay-wrong-ca", 0, TRUST_BAD_CHAIN,
	    "issued by CA");
	expect_result(t, "bad/national-for-code", 0, TRUST_BAD_CHAIN,
	    "issued by CA national");
	expect_result(t, "bad/wrong-role", 0, TRUST_BAD_CHAIN,
	    "OU is not a role");
	expect_result(t, "bad/no-ou", 0, TRUST_BAD_CHAIN, "no OU");
	expect_result(t, "bad/two-cn", 0, TRUST_BAD_CHAIN, "more than one CN");
	expect_result(t, "bad/bad-checkdigit", 0, TRUST_BAD_CHAIN,
	    "bad check digit");
	expect_result(t, "bad/handmade", 0, TRUST_OK, NULL);
	trust_free(t);
}

static void
expect_stats(struct trust *t, uint64_t hits, uint64_t misses, size_t cas)
{
	uint64_t h, m;
	size_t n;

	trust_cache_stats(t, &h, &m, &n);
	if (h != hits || m != misses || n != cas)
		fail_msg("cache: hits %llu misses %llu intermediates %zu, want "
		    "%llu %llu %zu", (unsigned long long)h,
		    (unsigned long long)m, n, (unsigned long long)hits,
		    (unsigned long long)misses, cas);
}

/* A new leaf under an intermediate verified before is a hit. */
static void
test_ca_cache_hit(void **state)
{
	static const char *crls[] = { "crl.pem", NULL };
	struct trust *t;
	struct identity who;
	char err[1024];
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		t = trust_fixture(crls[k]);
		expect_stats(t, 0, 0, 0);
		expect_result(t, "entities/452017", 0, TRUST_OK, NULL);
		expect_stats(t, 0, 1, 1);
		/* another leaf of CA 45: checked under the cached intermediate */
		assert_int_equal(verify_dir(t, "entities/452025", 0, &who, err,
		    sizeof(err)), TRUST_OK);
		assert_string_equal(who.entity, "452025");
		assert_int_equal(who.role, ROLE_NODE);
		assert_string_equal(who.ca, "45");
		expect_stats(t, 1, 1, 1);
		/* CA 13 is another intermediate: verified in full once */
		expect_result(t, "entities/131083", 0, TRUST_OK, NULL);
		expect_stats(t, 1, 2, 2);
		expect_result(t, "entities/131024", 0, TRUST_OK, NULL);
		expect_result(t, "entities/relay-45", 0, TRUST_OK, NULL);
		expect_stats(t, 3, 2, 2);
		/* an explicit time inside every validity hits too */
		expect_result(t, "entities/450006", (int64_t)time(NULL) + 60,
		    TRUST_OK, NULL);
		expect_stats(t, 4, 2, 2);
		trust_free(t);
	}
}

/*
 * Behind a cached intermediate every refusal is what it was: a revoked
 * leaf, an expired or not yet valid one, an identity rule, a leaf that
 * names the intermediate but was signed by another key, a time outside
 * the intermediate's or the CRLs' validity.
 */
static void
test_ca_cache_refusals(void **state)
{
	struct trust *t;
	struct identity who;
	STACK_OF(X509) *forged, *real;
	X509 *leaf;
	char err[1024];
	time_t later;

	(void)state;
	t = trust_fixture("crl.pem");
	expect_result(t, "entities/452017", 0, TRUST_OK, NULL);
	expect_stats(t, 0, 1, 1);
	expect_result(t, "bad/revoked", 0, TRUST_REVOKED,
	    "certificate revoked (error 23 at depth 0)");
	expect_result(t, "bad/expired", 0, TRUST_EXPIRED, "expired");
	expect_result(t, "bad/notyet", 0, TRUST_EXPIRED, "not yet valid");
	expect_result(t, "bad/pref13-by-45", 0, TRUST_BAD_CHAIN,
	    "of prefecture 13 but issued by CA 45");
	expect_result(t, "bad/two-cn", 0, TRUST_BAD_CHAIN, "more than one CN");
	expect_result(t, "entities/450006", 0, TRUST_OK, NULL);
	/* none of those was taken by the fast path; 450006, good, was */
	expect_stats(t, 1, 6, 1);
	/* the evil root's 452017 beside the real CA 45, whose name it bears */
	forged = load_pem_certs(fx("bad/unknown-root/chain.pem"));
	real = load_pem_certs(fx("entities/452017/chain.pem"));
	leaf = sk_X509_value(forged, 0);
	X509_free(sk_X509_shift(real));
	assert_int_equal(trust_verify(t, leaf, real, 0, &who, err,
	    sizeof(err)), TRUST_BAD_CHAIN);
	/* ten years on: the intermediate and the CRLs have run out */
	later = time(NULL) + 10L * 366 * 86400;
	expect_result(t, "entities/452025", (int64_t)later, TRUST_EXPIRED,
	    NULL);
	expect_stats(t, 1, 8, 1);
	sk_X509_pop_free(forged, X509_free);
	sk_X509_pop_free(real, X509_free);
	trust_free(t);
}

static void
copy_file(const char *from, const char *to)
{
	char buf[8192];
	FILE *in, *out;
	size_t n;

	if ((in = fopen(from, "r")) == NULL || (out = fopen(to, "w")) == NULL)
		fail_msg("copy %s to %s", from, to);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

/*
 * dir (made here): the fixture's CRLs, but CA 45's an older one that
 * revokes nothing yet (signed here with CA 45's key).
 */
static void
crl_dir_before_revocation(char *dir)
{
	static const char *keep[] = { "root", "13", "national" };
	char from[600], to[600];
	X509_CRL *crl;
	X509 *ca;
	EVP_PKEY *key;
	FILE *fp;
	size_t i;

	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "crl/%s.crl.pem", keep[i]);
		snprintf(to, sizeof(to), "%s/%s.crl.pem", dir, keep[i]);
		copy_file(fx(from), to);
	}
	assert_non_null(fp = fopen(fx("ca-45/ca.pem"), "r"));
	assert_non_null(ca = PEM_read_X509(fp, NULL, NULL, NULL));
	fclose(fp);
	assert_non_null(fp = fopen(fx("ca-45/ca.key"), "r"));
	assert_non_null(key = PEM_read_PrivateKey(fp, NULL, NULL, NULL));
	fclose(fp);
	assert_non_null(crl = X509_CRL_new());
	assert_int_equal(X509_CRL_set_version(crl, X509_CRL_VERSION_2), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(ca)), 1);
	{
		ASN1_TIME *a = ASN1_TIME_adj(NULL, time(NULL), 0, -3600);
		ASN1_TIME *b = ASN1_TIME_adj(NULL, time(NULL), 30, 0);

		assert_int_equal(X509_CRL_set1_lastUpdate(crl, a), 1);
		assert_int_equal(X509_CRL_set1_nextUpdate(crl, b), 1);
		ASN1_TIME_free(a);
		ASN1_TIME_free(b);
	}
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	snprintf(to, sizeof(to), "%s/45.crl.pem", dir);
	assert_non_null(fp = fopen(to, "w"));
	assert_int_equal(PEM_write_X509_CRL(fp, crl), 1);
	fclose(fp);
	X509_CRL_free(crl);
	X509_free(ca);
	EVP_PKEY_free(key);
}

static void
rm_crl_dir(const char *dir)
{
	static const char *names[] = { "root", "13", "national", "45" };
	char path[600];
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s.crl.pem", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/*
 * What was remembered holds only for the CRLs it was checked against: a
 * reload with CA 45's newer CRL, which revokes 452033, refuses it at
 * once, though the intermediate was cached with the older one.
 */
static void
test_ca_cache_crl_change(void **state)
{
	char dir[] = "/tmp/kairan-test-trust-XXXXXX", err[512];
	struct trust *old, *t;

	(void)state;
	crl_dir_before_revocation(dir);
	if ((old = trust_new(fx("root/ca.pem"), dir, err, sizeof(err))) ==
	    NULL)
		fail_msg("trust_new: %s", err);
	expect_result(old, "entities/452017", 0, TRUST_OK, NULL);
	/* not revoked yet, and taken under the cached intermediate */
	expect_result(old, "bad/revoked", 0, TRUST_OK, NULL);
	expect_stats(old, 1, 1, 1);
	/* the reload: a new trust with the newer CRL */
	t = trust_fixture("crl");
	expect_result(t, "entities/452017", 0, TRUST_OK, NULL);
	expect_result(t, "bad/revoked", 0, TRUST_REVOKED, "revoked");
	expect_stats(t, 0, 2, 1);
	/* and again, with its intermediate now cached */
	expect_result(t, "bad/revoked", 0, TRUST_REVOKED, "revoked");
	expect_result(t, "entities/452025", 0, TRUST_OK, NULL);
	expect_stats(t, 1, 3, 1);
	trust_free(old);
	trust_free(t);
	rm_crl_dir(dir);
}

#define NWORK	5

struct worker {
	struct trust	*t;
	X509		*leaf[NWORK];	/* this thread's own copies */
	STACK_OF(X509)	*rest[NWORK];
	int		 bad;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct identity who;
	char err[1024];
	enum trust_result want;
	int i;

	for (i = 0; i < 200; i++) {
		/* the last one is bad/revoked */
		want = i % NWORK == NWORK - 1 ? TRUST_REVOKED : TRUST_OK;
		if (trust_verify(w->t, w->leaf[i % NWORK], w->rest[i % NWORK],
		    0, &who, err, sizeof(err)) != want)
			w->bad++;
	}
	return NULL;
}

/* Four threads on one trust, the cache filling as they go (TSan: clean). */
static void
test_ca_cache_threads(void **state)
{
	static const char *dirs[NWORK] = { "entities/452017/chain.pem",
	    "entities/452025/chain.pem", "entities/131083/chain.pem",
	    "entities/mic/chain.pem", "bad/revoked/chain.pem" };
	struct worker w[4];
	pthread_t th[4];
	struct trust *t;
	uint64_t h, m;
	size_t i, k, n;

	(void)state;
	t = trust_fixture("crl.pem");
	for (i = 0; i < 4; i++) {
		w[i].t = t;
		w[i].bad = 0;
		for (k = 0; k < NWORK; k++) {
			w[i].rest[k] = load_pem_certs(fx(dirs[k]));
			w[i].leaf[k] = sk_X509_shift(w[i].rest[k]);
		}
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker_run,
		    &w[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
		for (k = 0; k < NWORK; k++) {
			X509_free(w[i].leaf[k]);
			sk_X509_pop_free(w[i].rest[k], X509_free);
		}
	}
	trust_cache_stats(t, &h, &m, &n);
	assert_int_equal(n, 3);		/* 45, 13, national */
	/* 3 of 5 are hits, but for the first of each intermediate per thread */
	assert_true(h >= 4 * 200 * 3 / 5 - 12);
	trust_free(t);
}

/*
 * trust_verify_peer on DIR/chain.pem as a TLS client's certificate: the
 * result, and on success the chain it returns checked to be leaf, the
 * intermediate that was sent, the fixture's root.
 */
static int
verify_peer_dir(struct trust *t, const char *dir, struct identity *who,
    char *err, size_t errlen)
{
	STACK_OF(X509) *sk, *chain = NULL, *root;
	X509 *leaf;
	char rel[512];
	int rc;

	snprintf(rel, sizeof(rel), "%s/chain.pem", dir);
	sk = load_pem_certs(fx(rel));
	leaf = sk_X509_shift(sk);
	memset(who, 0, sizeof(*who));
	err[0] = '\0';
	rc = trust_verify_peer(t, leaf, sk, 0, who, &chain, err, errlen);
	if (rc == 0) {
		root = load_pem_certs(fx("root/ca.pem"));
		assert_int_equal(sk_X509_num(chain), 3);
		assert_int_equal(X509_cmp(sk_X509_value(chain, 0), leaf), 0);
		assert_int_equal(X509_cmp(sk_X509_value(chain, 1),
		    sk_X509_value(sk, 0)), 0);
		assert_int_equal(X509_cmp(sk_X509_value(chain, 2),
		    sk_X509_value(root, 0)), 0);
		sk_X509_pop_free(root, X509_free);
	} else
		assert_null(chain);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

/*
 * A resumed session's certificate (trust_verify_peer): verified in full
 * the first time, then under the remembered intermediate, with the same
 * chain either way; a revoked leaf is refused in the words of the
 * handshake, behind a cached intermediate too; a leaf without clientAuth
 * is refused as a client although trust_verify (an envelope, no TLS
 * purpose) accepts it; the identity rules still apply.
 */
static void
test_verify_peer(void **state)
{
	struct trust *t;
	struct identity who;
	char err[1024];

	(void)state;
	t = trust_fixture("crl.pem");
	assert_int_equal(verify_peer_dir(t, "entities/452017", &who, err,
	    sizeof(err)), 0);
	assert_string_equal(who.entity, "452017");
	assert_int_equal(who.role, ROLE_NODE);
	expect_stats(t, 0, 1, 1);	/* remembered from the full check */
	assert_int_equal(verify_peer_dir(t, "entities/452025", &who, err,
	    sizeof(err)), 0);
	assert_string_equal(who.entity, "452025");
	expect_stats(t, 1, 1, 1);	/* the fast path */
	assert_int_equal(verify_peer_dir(t, "bad/revoked", &who, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "chain: certificate revoked (error 23 at "
	    "depth 0)");
	assert_int_equal(verify_peer_dir(t, "bad/server-only", &who, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "chain: unsuitable certificate purpose "
	    "(error 26 at depth 0)");
	expect_result(t, "bad/server-only", 0, TRUST_OK, NULL);
	assert_int_equal(verify_peer_dir(t, "bad/pref13-by-45", &who, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "of prefecture 13 but issued by CA 45"));
	assert_int_equal(verify_peer_dir(t, "bad/unknown-root", &who, err,
	    sizeof(err)), -1);
	trust_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_good_entities),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_expired_notyet_fixture),
		cmocka_unit_test(test_now_parameter),
		cmocka_unit_test(test_unknown_root),
		cmocka_unit_test(test_chain_length),
		cmocka_unit_test(test_identity_rules),
		cmocka_unit_test(test_ca_cache_hit),
		cmocka_unit_test(test_ca_cache_refusals),
		cmocka_unit_test(test_ca_cache_crl_change),
		cmocka_unit_test(test_ca_cache_threads),
		cmocka_unit_test(test_verify_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
