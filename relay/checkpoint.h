/*
 * checkpoint: signed statements of how far the relay's audit log reached.
 *
 * The hash chain (audit.h) shows a row altered or removed in the middle,
 * but rows cut off its end leave a shorter chain that is still intact. So
 * the relay regularly signs the row count and the head hash and writes
 * that outside the database, into its log (journald keeps it apart from
 * the database's disk); `kairan-relay audit verify --checkpoint FILE`
 * checks the database against the last checkpoint found in FILE.
 *
 * One line:
 *   kairan-audit-checkpoint v=1 relay=ID rows=N head=HEX at=MS sig=B64
 * sig is ECDSA P-256/SHA-256 by the relay's key over the line up to, not
 * including, " sig=" (base64 of the DER signature).
 */
#ifndef KAIRAN_RELAY_CHECKPOINT_H
#define KAIRAN_RELAY_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/envelope.h"
#include "kairan/kairan.h"

#include "audit.h"

#define CHECKPOINT_TAG		"kairan-audit-checkpoint"
#define CHECKPOINT_MAX		512	/* bytes of one line */

struct checkpoint {
	char	 relay[KAIRAN_ENTITY_MAX + 1];
	int64_t	 rows;
	uint8_t	 head[AUDIT_HASH_LEN];
	int64_t	 at_ms;
};

/* Writes the signed line for c into out. Returns 0 or -1 with err. */
int	checkpoint_format(struct signer *, const struct checkpoint *c,
	    char *out, size_t outlen, char *err, size_t errlen);
/*
 * The last checkpoint line in file (a journal export, a log file),
 * parsed, with its signature verified by the key of the first certificate
 * in cert_file (the relay's chain.pem). Returns 0, or -1 with err (no
 * checkpoint in the file, a malformed one, a signature that does not
 * verify).
 */
int	checkpoint_read(const char *file, const char *cert_file,
	    struct checkpoint *c, char *err, size_t errlen);

#endif
