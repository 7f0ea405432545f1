/*
 * envelope: signing and verifying messages (PROTOCOL.md §5).
 *
 * The signature is ECDSA P-256 with SHA-256 over exactly the bytes of
 * Envelope.message; verification never re-serializes. A verified envelope
 * yields the decoded, validated Message, the signer's identity (from the
 * chain, checked against the trust), and the SHA-256 of the message bytes
 * (Receipt.ref_digest).
 */
#ifndef KAIRAN_ENVELOPE_H
#define KAIRAN_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "kairan/identity.h"
#include "kairan/message.h"
#include "kairan/trust.h"
#include "kairan.pb-c.h"

typedef Kairan__V1__Envelope	Envelope;

struct signer;

/*
 * Loads a signing identity: chain_file is PEM with the leaf first, then its
 * intermediate CA (the "ENTITY.chain.pem" of certs/kairan-pki); key_file the
 * P-256 private key (PEM). Refuses a key that does not match the leaf.
 * Returns a signer (free with signer_free) or NULL with err.
 */
struct signer	*signer_new(const char *chain_file, const char *key_file,
		    char *err, size_t errlen);
void		 signer_free(struct signer *);	/* NULL is a no-op */
/* The CN of the signer's certificate (its entity id). */
const char	*signer_entity(const struct signer *);

/*
 * Makes the signer's certificate chain and key the TLS identity of ctx, in
 * one step (SSL_CTX_use_cert_and_key): a signer is only made from a
 * certificate and a key that match, so a renewal caught half-way (a new
 * certificate beside the old key) never reaches ctx; the caller keeps the
 * old pair when signer_new fails. Returns 0 or -1 with err.
 */
int		 signer_use_for_tls(const struct signer *s, SSL_CTX *ctx,
		    char *err, size_t errlen);

/*
 * ECDSA P-256/SHA-256 over buf with the signer's key, DER, into sig
 * (at most KAIRAN_MAX_SIGNATURE bytes). For records of one's own that are
 * not messages (the relay's audit checkpoints). Returns 0 or -1 with err.
 */
int		 signer_sign(struct signer *s, const uint8_t *buf, size_t len,
		    uint8_t sig[KAIRAN_MAX_SIGNATURE], size_t *siglen,
		    char *err, size_t errlen);

/*
 * Serializes m, signs those bytes and packs Envelope{message, signature,
 * cert_chain} into a malloc'd buffer *out (caller frees). If digest is not
 * NULL it receives the SHA-256 of the message bytes. m->sender should be
 * signer_entity(s); this is not checked here (the verifier checks it).
 * Returns 0 or -1 with err.
 */
int	 envelope_seal(struct signer *s, const Message *m, uint8_t **out,
	    size_t *outlen, uint8_t digest[KAIRAN_DIGEST_LEN], char *err,
	    size_t errlen);

struct envelope_info {
	Message		*msg;		/* decoded and validated; owned, see envelope_info_clear */
	struct identity	 signer;	/* from the verified chain */
	uint8_t		 digest[KAIRAN_DIGEST_LEN]; /* SHA-256 of Envelope.message */
};

/*
 * Verifies an Envelope: bounds of its fields; the chain (cert_chain[0] the
 * leaf, the rest untrusted intermediates) against trust at time now_ms
 * (0 = now), with CRLs and the identity rules; the signature over the exact
 * message bytes with the leaf's key; then decodes and validates the Message
 * and requires Message.sender == the signer's entity id.
 * Returns 0 and fills info (the caller owns info->msg), or -1 with *reason a
 * KAIRAN__V1__REFUSED__REASON__* value and err saying what failed:
 * INVALID_FIELD (bounds), BAD_CERTIFICATE (unparsable certificate, chain,
 * validity, identity rules), REVOKED, NOT_AUTHORIZED (the signer's role is
 * operator: operators never sign messages), BAD_SIGNATURE, MALFORMED (message not
 * a protobuf Message), INVALID_FIELD (message validation), SENDER_MISMATCH;
 * envelope_verify_bytes adds TOO_LARGE and MALFORMED (not an Envelope).
 * Thread-safe for one trust shared by several threads.
 */
int	 envelope_verify(struct trust *t, const Envelope *env, int64_t now_ms,
	    struct envelope_info *info, int *reason, char *err, size_t errlen);
/* The same for serialized Envelope bytes (bounded by max). */
int	 envelope_verify_bytes(struct trust *t, const uint8_t *buf, size_t len,
	    size_t max, int64_t now_ms, struct envelope_info *info, int *reason,
	    char *err, size_t errlen);
/*
 * The bounds of an Envelope's own fields (message non-empty, signature
 * 1..KAIRAN_MAX_SIGNATURE bytes, 1..KAIRAN_MAX_CHAIN certificates of
 * 1..KAIRAN_MAX_CERT bytes); used by frame_decode and envelope_verify.
 * Returns 0, or -1 with err naming the field.
 */
int	 envelope_bounds(const Envelope *env, char *err, size_t errlen);

/*
 * envelope_verify remembers, for a few minutes, the Envelopes it verified
 * at the current time (now_ms == 0) with a given trust (by generation), and
 * does not check their chain and signature again (the Message is still
 * decoded and checked). Counts of cache hits and misses, for metrics.
 */
void	 envelope_cache_stats(uint64_t *hits, uint64_t *misses);
/* The same for the chains (and how many are held), for tests and benchmarks. */
void	 envelope_chain_cache_stats(uint64_t *hits, uint64_t *misses,
	    size_t *chains);

/*
 * Seeds the chain cache with a chain that t has just verified elsewhere:
 * the client certificate chain a relay checked in a TLS handshake with
 * t's store (its CRLs) and the identity rules (who: identity_from_ssl's).
 * leaf, then sent (the certificates the peer sent after it, as
 * SSL_get_peer_cert_chain gives them; a leading copy of leaf is skipped),
 * as DER, are the key: the first envelope carrying exactly those
 * certificates is then not checked again for its chain (its signature,
 * its Message and its sender always are). An operator is never seeded,
 * as envelope_verify refuses operators after their chain. The caller
 * vouches that t, not an older trust, verified the chain.
 */
void	 envelope_seed_chain(struct trust *t, X509 *leaf, STACK_OF(X509) *sent,
	    const struct identity *who);

/* Frees info->msg and zeroes info. */
void	 envelope_info_clear(struct envelope_info *);

/*
 * Reads the Message id out of env->message without verifying or unpacking
 * it (for logging and Refused.id). Returns 0, or -1 if there is no 16-byte
 * id at the top level.
 */
int	 envelope_peek_id(const Envelope *env, uint8_t id[KAIRAN_ID_LEN]);

#endif
