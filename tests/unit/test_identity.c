/*
 * Unit tests of identity: roles and the names they fit, the single CN / OU, the leaf profile, the
 * CA names and the prefecture rule, on the fixture PKI (KAIRAN_FIXTURES)
 * and on certificates built in memory for what a CA would never issue
 * (embedded NUL, a CA as leaf, no digitalSignature); and identity_from_ssl
 * over an in-memory mutual TLS handshake.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "kairan/identity.h"

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

static X509 *
load_cert(const char *rel)
{
	FILE *fp;
	X509 *x;

	if ((fp = fopen(fx(rel), "r")) == NULL)
		fail_msg("cannot open %s", fx(rel));
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL)
		fail_msg("no certificate in %s", fx(rel));
	return x;
}

/* identity_from_cert on DIR/cert.pem and the second certificate of DIR/chain.pem. */
static int
from_dir(const char *dir, struct identity *who, char *err, size_t errlen)
{
	char rel[256];
	FILE *fp;
	X509 *leaf, *ca;
	int rc;

	snprintf(rel, sizeof(rel), "%s/cert.pem", dir);
	leaf = load_cert(rel);
	snprintf(rel, sizeof(rel), "%s/chain.pem", dir);
	if ((fp = fopen(fx(rel), "r")) == NULL)
		fail_msg("cannot open %s", fx(rel));
	X509_free(PEM_read_X509(fp, NULL, NULL, NULL));
	ca = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (ca == NULL)
		fail_msg("%s: no intermediate", rel);
	err[0] = '\0';
	rc = identity_from_cert(leaf, ca, who, err, errlen);
	X509_free(leaf);
	X509_free(ca);
	return rc;
}

static void
expect_refused(const char *dir, const char *want)
{
	struct identity who;
	char err[512];

	if (from_dir(dir, &who, err, sizeof(err)) != -1)
		fail_msg("%s: accepted as %s", dir, who.entity);
	if (strstr(err, want) == NULL)
		fail_msg("%s: error \"%s\" does not contain \"%s\"", dir, err,
		    want);
}

static void
test_roles(void **state)
{
	(void)state;
	assert_int_equal(identity_role_parse("node"), ROLE_NODE);
	assert_int_equal(identity_role_parse("relay"), ROLE_RELAY);
	assert_int_equal(identity_role_parse("operator"), ROLE_OPERATOR);
	assert_int_equal(identity_role_parse("Node"), ROLE_NONE);
	assert_int_equal(identity_role_parse("admin"), ROLE_NONE);
	assert_int_equal(identity_role_parse(""), ROLE_NONE);
	assert_int_equal(identity_role_parse(NULL), ROLE_NONE);
	assert_string_equal(identity_role_name(ROLE_NODE), "node");
	assert_string_equal(identity_role_name(ROLE_RELAY), "relay");
	assert_string_equal(identity_role_name(ROLE_OPERATOR), "operator");
}

static void
test_good(void **state)
{
	struct identity who;
	char err[512];

	(void)state;
	assert_int_equal(from_dir("entities/452017", &who, err, sizeof(err)),
	    0);
	assert_string_equal(who.entity, "452017");
	assert_int_equal(who.role, ROLE_NODE);
	assert_string_equal(who.ca, "45");
	assert_int_equal(from_dir("entities/131083", &who, err, sizeof(err)),
	    0);
	assert_string_equal(who.ca, "13");
	assert_int_equal(from_dir("entities/mic", &who, err, sizeof(err)), 0);
	assert_string_equal(who.entity, "mic");
	assert_string_equal(who.ca, "national");
	assert_int_equal(from_dir("entities/relay-45", &who, err, sizeof(err)),
	    0);
	assert_int_equal(who.role, ROLE_RELAY);
	assert_string_equal(who.ca, "45");
	assert_int_equal(from_dir("entities/ops-45", &who, err, sizeof(err)),
	    0);
	assert_int_equal(who.role, ROLE_OPERATOR);
	/* made by hand with the openssl CLI to the same profile */
	if (from_dir("bad/handmade", &who, err, sizeof(err)) != 0)
		fail_msg("handmade: %s", err);
}

static void
test_fixture_rules(void **state)
{
	(void)state;
	expect_refused("bad/pref13-by-45",
	    "of prefecture 13 but issued by CA 45");
	expect_refused("bad/relay-wrong-ca", "but issued by CA");
	expect_refused("bad/national-for-code", "issued by CA national");
	expect_refused("bad/wrong-role", "OU is not a role");
	expect_refused("bad/no-ou", "no OU");
	expect_refused("bad/two-cn", "more than one CN");
	expect_refused("bad/bad-checkdigit", "bad check digit");
}

static void
test_name_field(void **state)
{
	X509 *x;
	char out[64], err[256];

	(void)state;
	x = load_cert("entities/452017/cert.pem");
	assert_int_equal(identity_name_field(X509_get_subject_name(x),
	    NID_commonName, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "452017");
	assert_int_equal(identity_name_field(X509_get_subject_name(x),
	    NID_organizationalUnitName, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "node");
	/* does not fit */
	assert_int_equal(identity_name_field(X509_get_subject_name(x),
	    NID_commonName, out, 6, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	X509_free(x);
	x = load_cert("bad/two-cn/cert.pem");
	assert_int_equal(identity_name_field(X509_get_subject_name(x),
	    NID_commonName, out, sizeof(out), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than one CN"));
	X509_free(x);
	x = load_cert("bad/no-ou/cert.pem");
	assert_int_equal(identity_name_field(X509_get_subject_name(x),
	    NID_organizationalUnitName, out, sizeof(out), err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "no OU"));
	X509_free(x);
}

/*
 * A leaf "issued" (by name; identity_from_cert does not check signatures)
 * by ca, with cn (cnlen bytes), OU node, and the given extensions.
 */
static X509 *
make_leaf_ou(X509 *ca, const char *cn, int cnlen, const char *ou,
    const char *bc, const char *ku, EVP_PKEY **keyp)
{
	X509 *x;
	X509_NAME *n;
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	EVP_PKEY *k;

	k = EVP_EC_gen("P-256");
	assert_non_null(k);
	x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8,
	    (const unsigned char *)ou, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, cnlen, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	if (bc != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
		    bc);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (ku != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_sign(x, k, EVP_sha256());	/* self-signed: only names matter */
	if (keyp != NULL)
		*keyp = k;
	else
		EVP_PKEY_free(k);
	return x;
}

static X509 *
make_leaf(X509 *ca, const char *cn, int cnlen, const char *bc,
    const char *ku, EVP_PKEY **keyp)
{
	return make_leaf_ou(ca, cn, cnlen, "node", bc, ku, keyp);
}

/* A leaf of the right profile with the given CN and role. */
static X509 *
make_leaf_role(X509 *ca, const char *cn, const char *ou)
{
	return make_leaf_ou(ca, cn, -1, ou, "critical,CA:FALSE",
	    "critical,digitalSignature", NULL);
}

static void
test_built_leaves(void **state)
{
	struct identity who;
	X509 *ca, *x;
	char err[512], out[64];

	(void)state;
	ca = load_cert("ca-45/ca.pem");
	/* control: the same construction with a sane profile passes */
	x = make_leaf(ca, "452017", -1, "critical,CA:FALSE",
	    "critical,digitalSignature", NULL);
	if (identity_from_cert(x, ca, &who, err, sizeof(err)) != 0)
		fail_msg("control leaf refused: %s", err);
	assert_string_equal(who.entity, "452017");
	X509_free(x);
	/* an embedded NUL in the CN: "452017\0evil" */
	x = make_leaf(ca, "452017\0evil", 11, "critical,CA:FALSE",
	    "critical,digitalSignature", NULL);
	assert_int_equal(identity_name_field(X509_get_subject_name(x),
	    NID_commonName, out, sizeof(out), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "embedded NUL"));
	assert_int_equal(identity_from_cert(x, ca, &who, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "embedded NUL"));
	X509_free(x);
	/* a CA is no leaf */
	x = make_leaf(ca, "452017", -1, "critical,CA:TRUE",
	    "critical,digitalSignature,keyCertSign", NULL);
	assert_int_equal(identity_from_cert(x, ca, &who, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "is a CA"));
	X509_free(x);
	/* key usage without digitalSignature, or none at all */
	x = make_leaf(ca, "452017", -1, "critical,CA:FALSE",
	    "critical,keyEncipherment", NULL);
	assert_int_equal(identity_from_cert(x, ca, &who, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "digitalSignature"));
	X509_free(x);
	x = make_leaf(ca, "452017", -1, "critical,CA:FALSE", NULL, NULL);
	assert_int_equal(identity_from_cert(x, ca, &who, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "digitalSignature"));
	X509_free(x);
	/* a relay of a prefecture that does not exist */
	x = make_leaf_role(ca, "relay-99", "relay");
	assert_int_equal(identity_from_cert(x, ca, &who, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "no such prefecture"));
	X509_free(x);
	/* a national name from a prefecture CA */
	x = make_leaf(ca, "mic", -1, "critical,CA:FALSE",
	    "critical,digitalSignature", NULL);
	assert_int_equal(identity_from_cert(x, ca, &who, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "must be issued by CA national"));
	X509_free(x);
	/* issuer argument that did not issue the leaf */
	{
		X509 *other = load_cert("ca-13/ca.pem");

		x = make_leaf(ca, "452017", -1, "critical,CA:FALSE",
		    "critical,digitalSignature", NULL);
		assert_int_equal(identity_from_cert(x, other, &who, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "not issued by"));
		X509_free(x);
		X509_free(other);
	}
	/* the root is not a federation CA name */
	{
		X509 *root = load_cert("root/ca.pem");

		x = make_leaf(root, "452017", -1, "critical,CA:FALSE",
		    "critical,digitalSignature", NULL);
		assert_int_equal(identity_from_cert(x, root, &who, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "neither a prefecture"));
		X509_free(x);
		X509_free(root);
	}
	X509_free(ca);
}

/* The role fits the name: relay only for relay-*, node never for relay-*. */
static void
test_role_fits_name(void **state)
{
	struct identity who;
	X509 *ca, *x;
	char err[512];

	(void)state;
	expect_refused("bad/relay-role-code",
	    "certificate 452017: role relay needs a relay-PP name");
	expect_refused("bad/relay-role-national",
	    "certificate nisc: role relay needs a relay-PP name");
	expect_refused("bad/node-role-relay-name",
	    "certificate relay-45: role node needs a 6-digit code, police-PP "
	    "or a national body's name, not relay-*");
	expect_refused("bad/operator-role-code",
	    "certificate 452017: role operator needs a name of its own, not a "
	    "code, relay-* or police-PP");
	/* the good ones of each role still pass */
	assert_int_equal(from_dir("entities/relay-13", &who, err,
	    sizeof(err)), 0);
	assert_int_equal(who.role, ROLE_RELAY);
	assert_int_equal(from_dir("entities/nisc", &who, err, sizeof(err)), 0);
	assert_int_equal(who.role, ROLE_NODE);
	assert_int_equal(from_dir("entities/ops-45", &who, err, sizeof(err)),
	    0);
	assert_int_equal(who.role, ROLE_OPERATOR);
	/* the national relay is a relay-* name issued by national */
	ca = load_cert("ca-national/ca.pem");
	x = make_leaf_role(ca, "relay-mic", "relay");
	if (identity_from_cert(x, ca, &who, err, sizeof(err)) != 0)
		fail_msg("relay-mic refused: %s", err);
	assert_int_equal(who.role, ROLE_RELAY);
	X509_free(x);
	x = make_leaf_role(ca, "mic", "relay");
	assert_int_equal(identity_from_cert(x, ca, &who, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "certificate mic: role relay needs a "
	    "relay-PP name");
	X509_free(x);
	X509_free(ca);
}

/*
 * A prefecture's police (police-PP) is an entity of its prefecture: only
 * that prefecture's CA may vouch for it (000 第2条, 002 「警察及び関係機関
 * との緊密な連携」), as a node, never as a relay or an operator.
 */
static void
test_police(void **state)
{
	struct identity who;
	X509 *ca45, *ca13, *nat, *x;
	char err[512];

	(void)state;
	/* issued by certs/kairan-pki (mkpki.sh), through CA 45 */
	if (from_dir("entities/police-45", &who, err, sizeof(err)) != 0)
		fail_msg("police-45: %s", err);
	assert_string_equal(who.entity, "police-45");
	assert_int_equal(who.role, ROLE_NODE);
	assert_string_equal(who.ca, "45");
	ca45 = load_cert("ca-45/ca.pem");
	ca13 = load_cert("ca-13/ca.pem");
	nat = load_cert("ca-national/ca.pem");
	x = make_leaf_role(nat, "police-45", "node");
	assert_int_equal(identity_from_cert(x, nat, &who, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "certificate police-45: of prefecture 45 but "
	    "issued by CA national");
	X509_free(x);
	x = make_leaf_role(ca13, "police-45", "node");
	assert_int_equal(identity_from_cert(x, ca13, &who, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "certificate police-45: of prefecture 45 but "
	    "issued by CA 13");
	X509_free(x);
	x = make_leaf_role(ca45, "police-45", "operator");
	assert_int_equal(identity_from_cert(x, ca45, &who, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "certificate police-45: role operator needs "
	    "a name of its own, not a code, relay-* or police-PP");
	X509_free(x);
	x = make_leaf_role(ca45, "police-45", "relay");
	assert_int_equal(identity_from_cert(x, ca45, &who, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "certificate police-45: role relay needs a "
	    "relay-PP name");
	X509_free(x);
	/* police-99 is no entity id at all, whoever signs it */
	x = make_leaf_role(nat, "police-99", "node");
	assert_int_equal(identity_from_cert(x, nat, &who, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "certificate CN: \"police-99\": a police "
	    "id is police-PP"));
	X509_free(x);
	/* the national police agency is a national body */
	x = make_leaf_role(nat, "npa", "node");
	if (identity_from_cert(x, nat, &who, err, sizeof(err)) != 0)
		fail_msg("npa: %s", err);
	assert_string_equal(who.ca, "national");
	X509_free(x);
	X509_free(ca45);
	X509_free(ca13);
	X509_free(nat);
}

/* --- identity_from_ssl over an in-memory handshake --- */

static int
accept_all(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;	/* let the handshake finish; verify_result keeps the error */
}

static SSL_CTX *
tls_ctx(int server, const char *dir, int (*cb)(int, X509_STORE_CTX *))
{
	SSL_CTX *c;
	char rel[256];

	c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	assert_non_null(c);
	SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
	snprintf(rel, sizeof(rel), "%s/chain.pem", dir);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(c, fx(rel)), 1);
	snprintf(rel, sizeof(rel), "%s/key.pem", dir);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(c, fx(rel),
	    SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_load_verify_locations(c, fx("root/ca.pem"),
	    NULL), 1);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, cb);
	return c;
}

/* Runs a handshake between a server (sdir) and a client (cdir). */
static void
handshake(const char *sdir, const char *cdir, SSL_CTX **sc, SSL_CTX **cc,
    SSL **s, SSL **c)
{
	BIO *b1, *b2;
	int i, rs = 0, rc = 0;

	*sc = tls_ctx(1, sdir, accept_all);
	*cc = tls_ctx(0, cdir, accept_all);
	*s = SSL_new(*sc);
	*c = SSL_new(*cc);
	assert_int_equal(BIO_new_bio_pair(&b1, 0, &b2, 0), 1);
	SSL_set_bio(*s, b1, b1);
	SSL_set_bio(*c, b2, b2);
	SSL_set_accept_state(*s);
	SSL_set_connect_state(*c);
	for (i = 0; i < 100 && (rs != 1 || rc != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(*c);
		if (rs != 1)
			rs = SSL_do_handshake(*s);
	}
	assert_int_equal(rs, 1);
	assert_int_equal(rc, 1);
	/* TLS 1.3: the server sees the client certificate now */
}

static void
tls_free(SSL_CTX *sc, SSL_CTX *cc, SSL *s, SSL *c)
{
	SSL_free(s);
	SSL_free(c);
	SSL_CTX_free(sc);
	SSL_CTX_free(cc);
}

static void
test_from_ssl(void **state)
{
	SSL_CTX *sc, *cc;
	SSL *s, *c;
	struct identity who;
	char err[512];

	(void)state;
	handshake("entities/relay-45", "entities/452017", &sc, &cc, &s, &c);
	if (identity_from_ssl(s, &who, err, sizeof(err)) != 0)
		fail_msg("server side: %s", err);
	assert_string_equal(who.entity, "452017");
	assert_int_equal(who.role, ROLE_NODE);
	assert_string_equal(who.ca, "45");
	if (identity_from_ssl(c, &who, err, sizeof(err)) != 0)
		fail_msg("client side: %s", err);
	assert_string_equal(who.entity, "relay-45");
	assert_int_equal(who.role, ROLE_RELAY);
	tls_free(sc, cc, s, c);

	/* a client from an unknown root: the handshake was let through, but
	 * the verification result refuses it */
	handshake("entities/relay-45", "bad/unknown-root", &sc, &cc, &s, &c);
	assert_int_equal(identity_from_ssl(s, &who, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not verified"));
	tls_free(sc, cc, s, c);

	/* the identity rules apply to TLS peers too */
	handshake("entities/relay-45", "bad/pref13-by-45", &sc, &cc, &s, &c);
	assert_int_equal(identity_from_ssl(s, &who, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "of prefecture 13 but issued by CA 45"));
	tls_free(sc, cc, s, c);

	assert_int_equal(identity_from_ssl(NULL, &who, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_fixture_rules),
		cmocka_unit_test(test_role_fits_name),
		cmocka_unit_test(test_police),
		cmocka_unit_test(test_name_field),
		cmocka_unit_test(test_built_leaves),
		cmocka_unit_test(test_from_ssl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
