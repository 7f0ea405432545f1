/*
 * tickets: the keys of the relay's TLS session tickets, kept in its state
 * so that a restart does not cost every node a full handshake.
 *
 * A session ticket is the TLS session, encrypted and authenticated by the
 * relay with a key only it holds; a node that offers it back resumes
 * without a certificate exchange. Keys that die with the process make
 * every ticket useless after a restart, exactly when 1,789 nodes come
 * back at once (the reconnect storm). So the keys live in a file beside
 * the store (session_tickets, default db + "-tickets"):
 *
 * - created at first start (random, RAND_bytes), mode 0600, written
 *   whole and renamed into place (never half a key); a file whose mode
 *   lets anyone else read it, or that does not parse, is refused with a
 *   message naming it, and the relay does not start;
 * - one key issues tickets for ticket_rotation (12h), then a new one
 *   does and the old one is still accepted for ticket_rotation more (a
 *   resumed session on it gets a ticket of the new key); after that its
 *   tickets are not accepted (full handshake);
 * - the keys never appear in a log: only the generation count does.
 *
 * What a ticket resumes is checked again (listener.c): the certificate in
 * the session is verified against today's trust and CRLs, and the
 * identity rules run on it, as for a full handshake.
 *
 * File format (text, newest first, at most two lines that are not
 * comments):  CREATED NAME AES HMAC
 * CREATED: Unix seconds; NAME: 16 bytes, AES and HMAC: 32 bytes each, hex.
 */
#ifndef KAIRAN_RELAY_TICKETS_H
#define KAIRAN_RELAY_TICKETS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define TICKET_NAME_LEN	16
#define TICKET_KEY_LEN	32

struct ticket_key {
	int64_t	 created;		/* Unix seconds */
	uint8_t	 name[TICKET_NAME_LEN];
	uint8_t	 aes[TICKET_KEY_LEN];	/* AES-256-CBC */
	uint8_t	 hmac[TICKET_KEY_LEN];	/* HMAC-SHA256 */
};

struct tickets;

/*
 * Opens the key file at path (creating it with a fresh key if it does not
 * exist) and rotates at once what is due at now (a relay down longer
 * than the rotation comes back with a new key). Returns the keys, or NULL
 * with err naming the file and the problem ("...: mode 0644, want 0600
 * (it holds secret keys)", "...:3: expected CREATED NAME AES HMAC", ...).
 */
struct tickets	*tickets_open(const char *path, unsigned rotation_s,
		    int64_t now, char *err, size_t errlen);
void		 tickets_free(struct tickets *);	/* NULL is a no-op */

/*
 * Rotates if the current key has issued for rotation_s (a new current,
 * the old one kept as previous) and drops a previous key older than twice
 * that, writing the file. Returns 1 if anything changed, 0 if nothing was
 * due, -1 with err if the file could not be written (the keys in memory
 * are changed anyway: the next rotation writes again).
 */
int		 tickets_rotate(struct tickets *, int64_t now, char *err,
		    size_t errlen);
/* When tickets_rotate next has something to do (Unix seconds). */
int64_t		 tickets_next(const struct tickets *);
/* Rotations since tickets_open (for the log: never a key). */
unsigned	 tickets_generation(const struct tickets *);

/* The key that issues tickets now. */
const struct ticket_key *tickets_current(const struct tickets *);
/*
 * The key named name, if its tickets are still accepted at now; *renew
 * is set to 1 if it is the previous key (the session gets a new ticket).
 */
const struct ticket_key *tickets_find(const struct tickets *,
		    const uint8_t name[TICKET_NAME_LEN], int64_t now,
		    int *renew);

/*
 * Makes ctx issue and accept tickets of these keys (its ticket key
 * callback, and a ticket lifetime of twice the rotation). The keys must
 * outlive ctx's use of them.
 */
int		 tickets_install(struct tickets *, SSL_CTX *ctx);

#endif
