/*
 * archive: verifying a signed envelope kept in a file, years later
 * (`kairan-node verify FILE`; the mail route's attachment, PROTOCOL.md
 * §5.4 "Verifying a kept envelope").
 *
 * A relay or node verifies what arrives at the present time (envelope.h).
 * A kept file is checked as of the time it says it was signed
 * (Message.created_at_ms, covered by the signature): the chain must have
 * been valid then, so a certificate that has expired since still
 * verifies, and that it has expired is reported as information. A
 * signing time outside the certificate's validity is refused.
 *
 * Revocation, by the revocation date of each CRL entry (the CRLs of the
 * configured path, each checked against its issuer's key): a certificate
 * of the chain revoked at or before the signing time fails (REVOKED); one
 * revoked after it verifies, and the revocation is reported, since what it
 * signed while it was still in good standing stays signed; except that
 * the reasons keyCompromise and cACompromise fail at any date (the
 * signing time is the signer's claim, and a stolen key can date a
 * signature before its revocation). Issuers are matched by key, not by
 * name alone, up the whole chain. A CRL's own
 * validity period is not required to cover the present (an old file is
 * checked with whatever list one has; the newest is the one to use).
 */
#ifndef KAIRAN_ARCHIVE_H
#define KAIRAN_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/envelope.h"
#include "kairan/trust.h"

/* What the check found beside the verdict (times Unix ms; 0: none). */
struct archive_info {
	int64_t		 signed_at;	/* Message.created_at_ms: verified as of then */
	int64_t		 not_before;	/* of the signer's certificate */
	int64_t		 not_after;
	int		 expired;	/* not_after is past now */
	int		 ncrls;		/* CRLs consulted (0: no revocation check) */
	int64_t		 revoked_at;	/* revoked after signing: when */
	int		 revoked_depth;	/* 0 the signer's certificate, 1 its CA */
};

/*
 * Verifies Envelope bytes buf as of their signing time: chain_trust (the
 * roots, without CRLs: revocation is judged here by date) for the chain
 * at that time, the identity rules and the signature (envelope_verify
 * with now_ms = the signing time); then the CRLs of crl_trust (NULL: no
 * revocation check) by date. now_ms is the present (0: the clock).
 * Returns 0 with info (envelope_info_clear) and ai filled, or -1 with
 * *reason (as envelope_verify_bytes, REVOKED for a revocation at or
 * before the signing time, INVALID_FIELD for a signing time missing or
 * more than 5 minutes in the future) and err saying what failed and at
 * which time it was judged.
 */
int	archive_verify(struct trust *chain_trust, struct trust *crl_trust,
	    const uint8_t *buf, size_t len, size_t max, int64_t now_ms,
	    struct envelope_info *info, struct archive_info *ai, int *reason,
	    char *err, size_t errlen);

#endif
