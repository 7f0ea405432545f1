/*
 * identity: who a certificate says its holder is (PROTOCOL.md §2).
 *
 * A leaf certificate names one entity: exactly one CN, the entity id, and
 * one OU, the role ("node", "relay", "operator"). Intermediate CAs have a
 * CN of "01".."47" (a prefecture CA) or "national". A prefecture CA may only
 * vouch for its own prefecture: a leaf whose CN is a 6-digit code,
 * "relay-PP" or "police-PP" (the prefecture's police) must be issued by
 * CA "PP"; every other name by "national".
 * X.509 name constraints cannot say this, so every verifier checks it here.
 * The role must fit the name: only relay-* may be a relay, and a relay-*
 * name may be nothing else.
 */
#ifndef KAIRAN_IDENTITY_H
#define KAIRAN_IDENTITY_H

#include <stddef.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "kairan/kairan.h"

enum identity_role {
	ROLE_NONE = 0,
	ROLE_NODE,
	ROLE_RELAY,
	ROLE_OPERATOR,
};

struct identity {
	char			entity[KAIRAN_ENTITY_MAX + 1];
	enum identity_role	role;
	char			ca[16];		/* issuing CA's CN: "45" or "national" */
};

const char	*identity_role_name(enum identity_role);
/* "node" -> ROLE_NODE ...; ROLE_NONE if unknown. */
enum identity_role identity_role_parse(const char *);

/*
 * The single CN (or OU, with nid NID_organizationalUnitName) of a name as
 * UTF-8 into out. Returns 0, or -1 if there is none, more than one, it holds
 * a NUL, or it does not fit; err says which.
 */
int	identity_name_field(const X509_NAME *name, int nid, char *out,
	    size_t outlen, char *err, size_t errlen);

/*
 * Applies the identity rules to a leaf and the intermediate CA that issued
 * it (both already chain-verified by the caller): CN syntax, OU role, the
 * role fitting the name (relay: "relay-*"; node: a 6-digit code,
 * police-PP or a national body's name, not "relay-*"; operator: neither a
 * code nor "relay-*" nor police-PP), CA name, and the prefecture rule. Fills out. Returns 0, or
 * -1 with err ("certificate 452017: role relay needs a relay-PP name").
 */
int	identity_from_cert(X509 *leaf, X509 *issuer, struct identity *out,
	    char *err, size_t errlen);

/*
 * For a TLS peer: requires SSL_get_verify_result() == X509_V_OK and a peer
 * certificate, takes leaf and issuer from the verified chain
 * (identity_ssl_chain) and applies identity_from_cert. A resumed session
 * whose chain was not verified again yet (identity_resumed_verify) is
 * verified here, with the certificates the session holds. Returns 0, or
 * -1 with err naming why the peer is refused.
 */
int	identity_from_ssl(SSL *ssl, struct identity *out, char *err,
	    size_t errlen);

/*
 * A resumed TLS session (a ticket) has no verified chain: OpenSSL checks
 * certificates in full handshakes only, and the certificate it resumes
 * may have been revoked since. This verifies leaf (with the untrusted
 * intermediates, may be NULL) now, against the store of ssl's SSL_CTX
 * (today's trust and CRLs) with ssl's verification parameters (host name,
 * for a client), for the purpose a full handshake would check, and keeps
 * the verified chain with ssl for identity_ssl_chain. Returns 0, or -1
 * with err ("resumed session: certificate revoked", ...).
 */
int	identity_resumed_verify(SSL *ssl, X509 *leaf, STACK_OF(X509) *untrusted,
	    char *err, size_t errlen);

/*
 * Keeps chain (leaf, intermediate, root), verified by the caller for ssl's
 * resumed session as identity_resumed_verify would (trust_verify_peer),
 * for identity_ssl_chain. Takes chain: freed here on error too. Returns 0,
 * or -1 (no ex_data slot).
 */
int	identity_resumed_keep(SSL *ssl, STACK_OF(X509) *chain);

/*
 * The verified chain of ssl's peer (leaf first): the handshake's, or the
 * one identity_resumed_verify or identity_resumed_keep kept for a resumed
 * session; NULL if none.
 * Borrowed: valid as long as ssl.
 */
STACK_OF(X509) *identity_ssl_chain(SSL *ssl);

#endif
