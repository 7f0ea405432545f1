/*
 * identity: who a certificate says its holder is (PROTOCOL.md §2).
 *
 * The entity is the leaf's single CN, its role the single OU, and the role
 * fits the name (relay-* for relays, codes and national bodies for nodes);
 * the issuing intermediate is "01".."47" or "national", and a prefecture
 * CA may only vouch for entities of its own prefecture: its codes, its
 * relay-PP and its police-PP (the prefectural police, an entity of the
 * prefecture; 000 第2条, 002 「警察及び関係機関との緊密な連携」). These rules sit on top of the
 * X.509 chain verification (trust.c, or the TLS handshake), which they
 * assume has already succeeded.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "kairan/entity.h"
#include "kairan/identity.h"

const char *
identity_role_name(enum identity_role r)
{
	switch (r) {
	case ROLE_NODE:
		return "node";
	case ROLE_RELAY:
		return "relay";
	case ROLE_OPERATOR:
		return "operator";
	case ROLE_NONE:
	default:
		return "none";
	}
}

enum identity_role
identity_role_parse(const char *s)
{
	if (s == NULL)
		return ROLE_NONE;
	if (strcmp(s, "node") == 0)
		return ROLE_NODE;
	if (strcmp(s, "relay") == 0)
		return ROLE_RELAY;
	if (strcmp(s, "operator") == 0)
		return ROLE_OPERATOR;
	return ROLE_NONE;
}

static const char *
nid_label(int nid)
{
	switch (nid) {
	case NID_commonName:
		return "CN";
	case NID_organizationalUnitName:
		return "OU";
	default:
		return OBJ_nid2sn(nid);
	}
}

int
identity_name_field(const X509_NAME *name, int nid, char *out, size_t outlen,
    char *err, size_t errlen)
{
	const X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	int idx, len;

	if (name == NULL) {
		snprintf(err, errlen, "no subject name");
		return -1;
	}
	if ((idx = X509_NAME_get_index_by_NID(name, nid, -1)) < 0) {
		snprintf(err, errlen, "no %s", nid_label(nid));
		return -1;
	}
	if (X509_NAME_get_index_by_NID(name, nid, idx) >= 0) {
		snprintf(err, errlen, "more than one %s", nid_label(nid));
		return -1;
	}
	e = X509_NAME_get_entry(name, idx);
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (len < 0) {
		snprintf(err, errlen, "%s: not convertible to UTF-8",
		    nid_label(nid));
		return -1;
	}
	if ((size_t)len != strlen((char *)utf8)) {
		snprintf(err, errlen, "%s: embedded NUL", nid_label(nid));
		goto fail;
	}
	if ((size_t)len >= outlen) {
		snprintf(err, errlen, "%s: %d bytes, too long", nid_label(nid),
		    len);
		goto fail;
	}
	memcpy(out, utf8, (size_t)len + 1);
	OPENSSL_free(utf8);
	return 0;
 fail:
	OPENSSL_free(utf8);
	return -1;
}

/* 1 if the key is ECDSA on P-256. */
static int
key_is_p256(EVP_PKEY *k)
{
	char group[64];
	size_t glen = 0;

	if (k == NULL || !EVP_PKEY_is_a(k, "EC"))
		return 0;
	if (EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) != 1)
		return 0;
	return OBJ_sn2nid(group) == NID_X9_62_prime256v1 ||
	    EC_curve_nist2nid(group) == NID_X9_62_prime256v1;
}

/* The profile of a leaf: not a CA, keyUsage digitalSignature, P-256 key. */
static int
check_leaf_profile(X509 *leaf, const char *cn, char *err, size_t errlen)
{
	if (X509_check_ca(leaf) != 0) {
		snprintf(err, errlen, "certificate %s: is a CA, not a leaf", cn);
		return -1;
	}
	if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) == 0 ||
	    (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) == 0) {
		snprintf(err, errlen, "certificate %s: key usage lacks "
		    "digitalSignature", cn);
		return -1;
	}
	if (!key_is_p256(X509_get0_pubkey(leaf))) {
		snprintf(err, errlen, "certificate %s: key is not ECDSA P-256",
		    cn);
		return -1;
	}
	return 0;
}

/*
 * The role fits the name (PROTOCOL.md §2): a relay is called relay-*, a
 * node is a 6-digit code, police-PP or a national body's name, and an
 * operator is neither a code nor relay-* nor police-PP, so that no
 * certificate of one role can pass for an entity of another in a log
 * line, a Hello or a receipt.
 */
static int
check_role_name(const char *cn, enum identity_role role, char *err,
    size_t errlen)
{
	int relay_name = strncmp(cn, "relay-", 6) == 0;

	switch (role) {
	case ROLE_RELAY:
		if (relay_name)
			return 0;
		snprintf(err, errlen, "certificate %s: role relay needs a "
		    "relay-PP name", cn);
		return -1;
	case ROLE_NODE:
		if (!relay_name)
			return 0;
		snprintf(err, errlen, "certificate %s: role node needs a "
		    "6-digit code, police-PP or a national body's name, not "
		    "relay-*", cn);
		return -1;
	case ROLE_OPERATOR:
		if (!relay_name && !entity_is_code(cn) &&
		    !entity_is_police(cn))
			return 0;
		snprintf(err, errlen, "certificate %s: role operator needs a "
		    "name of its own, not a code, relay-* or police-PP", cn);
		return -1;
	case ROLE_NONE:
	default:
		snprintf(err, errlen, "certificate %s: no role", cn);
		return -1;
	}
}

int
identity_from_cert(X509 *leaf, X509 *issuer, struct identity *out,
    char *err, size_t errlen)
{
	struct identity id;
	char ou[64], ca[256], ferr[128], eerr[200], pref[3];

	memset(&id, 0, sizeof(id));
	if (leaf == NULL || issuer == NULL) {
		snprintf(err, errlen, "certificate: missing leaf or issuer");
		return -1;
	}
	if (identity_name_field(X509_get_subject_name(leaf), NID_commonName,
	    id.entity, sizeof(id.entity), ferr, sizeof(ferr)) == -1) {
		snprintf(err, errlen, "certificate subject: %s", ferr);
		return -1;
	}
	if (!entity_valid(id.entity, eerr, sizeof(eerr))) {
		snprintf(err, errlen, "certificate CN: %s", eerr);
		return -1;
	}
	if (identity_name_field(X509_get_subject_name(leaf),
	    NID_organizationalUnitName, ou, sizeof(ou), ferr,
	    sizeof(ferr)) == -1) {
		snprintf(err, errlen, "certificate %s: %s (the role)",
		    id.entity, ferr);
		return -1;
	}
	if ((id.role = identity_role_parse(ou)) == ROLE_NONE) {
		snprintf(err, errlen, "certificate %s: OU is not a role "
		    "(node, relay, operator)", id.entity);
		return -1;
	}
	if (check_role_name(id.entity, id.role, err, errlen) == -1)
		return -1;
	if (check_leaf_profile(leaf, id.entity, err, errlen) == -1)
		return -1;
	if (X509_check_issued(issuer, leaf) != X509_V_OK) {
		snprintf(err, errlen, "certificate %s: not issued by the "
		    "given CA", id.entity);
		return -1;
	}
	if (identity_name_field(X509_get_subject_name(issuer), NID_commonName,
	    ca, sizeof(ca), ferr, sizeof(ferr)) == -1) {
		snprintf(err, errlen, "issuer of %s: %s", id.entity, ferr);
		return -1;
	}
	if (!entity_pref_valid(ca) && strcmp(ca, "national") != 0) {
		snprintf(err, errlen, "issuer of %s: CA name is neither a "
		    "prefecture 01..47 nor national", id.entity);
		return -1;
	}
	memcpy(id.ca, ca, strlen(ca) + 1);	/* at most "national" */
	if (entity_prefecture(id.entity, pref) == 0) {
		if (strcmp(pref, id.ca) != 0) {
			snprintf(err, errlen, "certificate %s: of prefecture "
			    "%s but issued by CA %s", id.entity, pref, id.ca);
			return -1;
		}
	} else if (strncmp(id.entity, "relay-", 6) == 0 &&
	    id.entity[6] >= '0' && id.entity[6] <= '9') {
		/* relay-99 and the like: a prefecture that does not exist. */
		snprintf(err, errlen, "certificate %s: no such prefecture",
		    id.entity);
		return -1;
	} else if (strcmp(id.ca, "national") != 0) {
		snprintf(err, errlen, "certificate %s: a national name must be "
		    "issued by CA national, not %s", id.entity, id.ca);
		return -1;
	}
	*out = id;
	return 0;
}

/* ssl's ex_data slot for the chain a resumed session was verified with */
static int	resumed_index = -1;

static void
resumed_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	sk_X509_pop_free(ptr, X509_free);
}

int
identity_resumed_keep(SSL *ssl, STACK_OF(X509) *chain)
{
	if (resumed_index == -1 && (resumed_index = SSL_get_ex_new_index(0,
	    NULL, NULL, NULL, resumed_free)) == -1) {
		sk_X509_pop_free(chain, X509_free);
		return -1;
	}
	sk_X509_pop_free(SSL_get_ex_data(ssl, resumed_index), X509_free);
	if (SSL_set_ex_data(ssl, resumed_index, chain) != 1) {
		sk_X509_pop_free(chain, X509_free);
		return -1;
	}
	return 0;
}

int
identity_resumed_verify(SSL *ssl, X509 *leaf, STACK_OF(X509) *untrusted,
    char *err, size_t errlen)
{
	X509_STORE_CTX *x = NULL;
	X509_STORE *store;
	STACK_OF(X509) *chain;
	int rc = -1, e;

	if (resumed_index == -1 && (resumed_index = SSL_get_ex_new_index(0,
	    NULL, NULL, NULL, resumed_free)) == -1) {
		snprintf(err, errlen, "resumed session: no ex_data slot");
		return -1;
	}
	if (leaf == NULL) {
		snprintf(err, errlen, "resumed session: no peer certificate");
		return -1;
	}
	if ((store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl))) == NULL ||
	    (x = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(x, store, leaf, untrusted) != 1) {
		snprintf(err, errlen, "resumed session: cannot verify");
		goto fail;
	}
	/* what ssl_verify_cert_chain does in a full handshake */
	X509_STORE_CTX_set_default(x, SSL_is_server(ssl) ? "ssl_client" :
	    "ssl_server");
	X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(x),
	    SSL_get0_param(ssl));
	if (X509_verify_cert(x) != 1) {
		e = X509_STORE_CTX_get_error(x);
		snprintf(err, errlen, "resumed session: certificate %s",
		    X509_verify_cert_error_string(e));
		goto fail;
	}
	if ((chain = X509_STORE_CTX_get1_chain(x)) == NULL) {
		snprintf(err, errlen, "resumed session: no chain");
		goto fail;
	}
	if (identity_resumed_keep(ssl, chain) == -1) {
		snprintf(err, errlen, "resumed session: no ex_data slot");
		goto fail;
	}
	rc = 0;
 fail:
	X509_STORE_CTX_free(x);
	return rc;
}

STACK_OF(X509) *
identity_ssl_chain(SSL *ssl)
{
	STACK_OF(X509) *chain;

	if ((chain = SSL_get0_verified_chain(ssl)) != NULL &&
	    sk_X509_num(chain) > 0)
		return chain;
	return resumed_index == -1 ? NULL : SSL_get_ex_data(ssl,
	    resumed_index);
}

int
identity_from_ssl(SSL *ssl, struct identity *out, char *err, size_t errlen)
{
	STACK_OF(X509) *chain;
	X509 *peer = NULL;
	long vr;
	int rc = -1;

	if (ssl == NULL) {
		snprintf(err, errlen, "tls: no connection");
		return -1;
	}
	if ((peer = SSL_get1_peer_certificate(ssl)) == NULL) {
		snprintf(err, errlen, "tls: peer sent no certificate");
		return -1;
	}
	if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(err, errlen, "tls: peer certificate not verified: %s",
		    X509_verify_cert_error_string(vr));
		goto fail;
	}
	/*
	 * A resumed session: no chain from a handshake. Verify again what the
	 * session holds (a client keeps the server's chain with it; a server
	 * that resumed from a ticket has done it already, listener.c).
	 */
	if (SSL_session_reused(ssl) && identity_ssl_chain(ssl) == NULL &&
	    identity_resumed_verify(ssl, peer, SSL_get_peer_cert_chain(ssl),
	    err, errlen) == -1)
		goto fail;
	chain = identity_ssl_chain(ssl);
	if (chain == NULL || sk_X509_num(chain) != 3) {
		snprintf(err, errlen, "tls: verified chain has %d "
		    "certificates, want leaf, intermediate, root",
		    chain != NULL ? sk_X509_num(chain) : 0);
		goto fail;
	}
	if (X509_cmp(sk_X509_value(chain, 0), peer) != 0) {
		snprintf(err, errlen, "tls: verified chain does not start "
		    "with the peer certificate");
		goto fail;
	}
	rc = identity_from_cert(sk_X509_value(chain, 0),
	    sk_X509_value(chain, 1), out, err, errlen);
 fail:
	X509_free(peer);
	return rc;
}
