/*
 * operator: names and argon2id password hashes of the console's
 * operators (see operator.h for the parameters and why).
 */
#include <string.h>
#include <stdio.h>

#include <argon2.h>
#include <openssl/rand.h>

#include "kairan/text.h"

#include "operator.h"

#define SALT_LEN	16
#define TAG_LEN		32

int
operator_name_valid(const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > OPERATOR_NAME_MAX || name[0] < 'a' ||
	    name[0] > 'z')
		goto bad;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_'))
			goto bad;
	}
	return 1;
bad:
	snprintf(err, errlen, "operator name: expected 1..%d of a-z, 0-9, "
	    "'.', '-', '_', starting with a letter", OPERATOR_NAME_MAX);
	return 0;
}

int
operator_password_valid(const char *pw, char *err, size_t errlen)
{
	size_t n = strlen(pw), i, k;
	const unsigned char *p = (const unsigned char *)pw;
	unsigned cp;

	if (n < OPERATOR_PASSWORD_MIN || n > OPERATOR_PASSWORD_MAX) {
		snprintf(err, errlen, "password: expected %d to %d bytes, got "
		    "%zu", OPERATOR_PASSWORD_MIN, OPERATOR_PASSWORD_MAX, n);
		return 0;
	}
	for (i = 0; i < n; i += k) {
		if ((k = text_utf8_next(p + i, n - i, &cp)) == 0) {
			snprintf(err, errlen, "password: not valid UTF-8");
			return 0;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			snprintf(err, errlen, "password: control characters "
			    "are not allowed");
			return 0;
		}
	}
	return 1;
}

int
operator_hash(const char *pw, char out[OPERATOR_HASH_MAX], char *err,
    size_t errlen)
{
	uint8_t salt[SALT_LEN];
	int rc;

	if (RAND_bytes(salt, sizeof(salt)) != 1) {
		snprintf(err, errlen, "password hash: no random bytes");
		return -1;
	}
	if ((rc = argon2id_hash_encoded(OPERATOR_T_COST, OPERATOR_M_COST_KIB,
	    OPERATOR_LANES, pw, strlen(pw), salt, sizeof(salt), TAG_LEN, out,
	    OPERATOR_HASH_MAX)) != ARGON2_OK) {
		snprintf(err, errlen, "password hash: %s",
		    argon2_error_message(rc));
		return -1;
	}
	return 0;
}

int
operator_verify(const char *encoded, const char *pw)
{
	/* only argon2id: a hash of another kind is not ours */
	if (strncmp(encoded, "$argon2id$", 10) != 0)
		return 0;
	return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
}
