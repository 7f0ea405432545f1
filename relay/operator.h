/*
 * operator: the console's operators — their names and their passwords,
 * hashed with argon2id (Debian's libargon2). The rows live in the store
 * (store_operator_*); this module is the name rule and the hash.
 *
 * Parameters (RFC 9106 §4, its second recommended option, for machines
 * that cannot spare 2 GiB per login): t = 3 passes, m = 64 MiB, p = 1
 * lane, a 16-byte salt from OpenSSL's RAND_bytes and a 32-byte tag. On
 * the project's 2-core machine one hash takes about 0.1-0.2 s: slow for a
 * password guesser, unnoticeable for a person logging in. The encoded
 * form ("$argon2id$v=19$m=65536,t=3,p=1$salt$tag") carries them, so they
 * can be raised later without invalidating stored hashes.
 */
#ifndef KAIRAN_RELAY_OPERATOR_H
#define KAIRAN_RELAY_OPERATOR_H

#include <stddef.h>

#define OPERATOR_NAME_MAX	32
#define OPERATOR_PASSWORD_MIN	12	/* bytes */
#define OPERATOR_PASSWORD_MAX	1024
#define OPERATOR_HASH_MAX	160	/* the encoded form */
#define OPERATOR_T_COST		3
#define OPERATOR_M_COST_KIB	65536
#define OPERATOR_LANES		1

/*
 * 1 if name is an operator name: 1..32 bytes of lower-case ASCII letters,
 * digits, '.', '-' and '_', starting with a letter (like an entity id:
 * plain ASCII, safe in a log field and a file name). Else 0 with err
 * saying what is expected.
 */
int	operator_name_valid(const char *name, char *err, size_t errlen);
/*
 * 1 if pw is acceptable as a password: OPERATOR_PASSWORD_MIN to
 * OPERATOR_PASSWORD_MAX bytes of valid UTF-8 without control characters
 * (Japanese passphrases welcome). Else 0 with err.
 */
int	operator_password_valid(const char *pw, char *err, size_t errlen);
/* Hashes pw into out (the encoded form). 0, or -1 with err. */
int	operator_hash(const char *pw, char out[OPERATOR_HASH_MAX], char *err,
	    size_t errlen);
/* 1 if pw matches the encoded hash, 0 if not (or the hash is malformed). */
int	operator_verify(const char *encoded, const char *pw);

#endif
