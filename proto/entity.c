/*
 * entity: the syntax of entity ids (PROTOCOL.md §1).
 *
 * An entity id is a 6-digit 全国地方公共団体コード (its sixth digit the check
 * digit of the first five, its first two a prefecture 01..47) or a name
 * [a-z][a-z0-9-]{1,31}. Everything here is pure string checking; whether an
 * entity exists is the directory's business.
 *
 * Two name forms carry a prefecture: relay-PP (the prefecture's relay)
 * and police-PP (the prefecture's police, 都道府県警察: 000 第2条 and 002
 * 「警察及び関係機関との緊密な連携」 name them, and they have no
 * 全国地方公共団体コード of their own). A police-* name that is not
 * police-PP of a prefecture 01..47 is no entity id at all, so that no
 * national body can be called police-99 and pass for a prefecture's.
 */
#include <stdio.h>
#include <string.h>

#include "kairan/entity.h"
#include "kairan/kairan.h"

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Writes a printable, bounded rendering of an untrusted string into out
 * (at most 40 characters, non-printable bytes as \xNN), for error messages.
 */
static void
safe_copy(const char *s, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0' && i < 40 && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
			    c);
	}
	if (s[i] != '\0' && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

int
entity_checkdigit(const char *five)
{
	static const int w[5] = { 6, 5, 4, 3, 2 };
	int i, s = 0;

	if (five == NULL)
		return -1;
	for (i = 0; i < 5; i++) {
		if (!is_digit(five[i]))
			return -1;
		s += w[i] * (five[i] - '0');
	}
	return (11 - s % 11) % 10;
}

int
entity_pref_valid(const char *pp)
{
	int n;

	if (pp == NULL || !is_digit(pp[0]) || !is_digit(pp[1]) ||
	    pp[2] != '\0')
		return 0;
	n = (pp[0] - '0') * 10 + (pp[1] - '0');
	return n >= 1 && n <= 47;
}

/* 1 if the first two characters of s are a prefecture 01..47. */
static int
pref_prefix_valid(const char *s)
{
	char pp[3];

	pp[0] = s[0];
	pp[1] = pp[0] != '\0' ? s[1] : '\0';
	pp[2] = '\0';
	return entity_pref_valid(pp);
}

int
entity_is_code(const char *id)
{
	int i;

	if (id == NULL)
		return 0;
	for (i = 0; i < 6; i++)
		if (!is_digit(id[i]))
			return 0;
	if (id[6] != '\0')
		return 0;
	if (!pref_prefix_valid(id))
		return 0;
	return entity_checkdigit(id) == id[5] - '0';
}

int
entity_is_name(const char *id)
{
	size_t i;

	if (id == NULL || !(id[0] >= 'a' && id[0] <= 'z'))
		return 0;
	for (i = 1; id[i] != '\0'; i++) {
		if (i >= KAIRAN_ENTITY_MAX)
			return 0;
		if (!((id[i] >= 'a' && id[i] <= 'z') || is_digit(id[i]) ||
		    id[i] == '-'))
			return 0;
	}
	return i >= 2;
}

int
entity_valid(const char *id, char *err, size_t errlen)
{
	char safe[200];
	size_t i, len;
	int digits = 1, cd;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (id == NULL || id[0] == '\0') {
		if (err != NULL)
			snprintf(err, errlen, "empty entity id");
		return 0;
	}
	len = strnlen(id, KAIRAN_ENTITY_MAX + 1);
	for (i = 0; i < len; i++)
		if (!is_digit(id[i]))
			digits = 0;
	if (digits) {
		if (len != 6) {
			if (err != NULL) {
				safe_copy(id, safe, sizeof(safe));
				snprintf(err, errlen, "code \"%s\" does not "
				    "have 6 digits", safe);
			}
			return 0;
		}
		if (!pref_prefix_valid(id)) {
			if (err != NULL)
				snprintf(err, errlen, "code %s: no "
				    "prefecture %.2s (01..47)", id, id);
			return 0;
		}
		cd = entity_checkdigit(id);
		if (cd != id[5] - '0') {
			/* say which digit it should be: a typo is the usual cause */
			if (err != NULL)
				snprintf(err, errlen, "%s: bad check digit %c, "
				    "expected %d (%.5s%d)", id, id[5], cd, id, cd);
			return 0;
		}
		return 1;
	}
	if (strncmp(id, ENTITY_POLICE_PREFIX, strlen(ENTITY_POLICE_PREFIX)) ==
	    0 && !entity_is_police(id)) {
		if (err != NULL) {
			safe_copy(id, safe, sizeof(safe));
			snprintf(err, errlen, "\"%s\": a police id is police-PP "
			    "with PP a prefecture 01..47", safe);
		}
		return 0;
	}
	if (entity_is_name(id))
		return 1;
	if (err != NULL) {
		safe_copy(id, safe, sizeof(safe));
		if (len > KAIRAN_ENTITY_MAX)
			snprintf(err, errlen, "entity id \"%s\" longer than "
			    "%d bytes", safe, KAIRAN_ENTITY_MAX);
		else
			snprintf(err, errlen, "\"%s\" is neither a 6-digit "
			    "code nor a name [a-z][a-z0-9-]{1,31}", safe);
	}
	return 0;
}

int
entity_prefecture(const char *id, char pref[3])
{
	if (id == NULL)
		return -1;
	if (entity_is_code(id)) {
		pref[0] = id[0];
		pref[1] = id[1];
		pref[2] = '\0';
		return 0;
	}
	if (strncmp(id, "relay-", 6) == 0 && is_digit(id[6]) &&
	    is_digit(id[7]) && id[8] == '\0' && pref_prefix_valid(id + 6)) {
		pref[0] = id[6];
		pref[1] = id[7];
		pref[2] = '\0';
		return 0;
	}
	if (entity_is_police(id)) {
		pref[0] = id[7];
		pref[1] = id[8];
		pref[2] = '\0';
		return 0;
	}
	return -1;
}

int
entity_is_police(const char *id)
{
	return id != NULL && strncmp(id, ENTITY_POLICE_PREFIX, 7) == 0 &&
	    is_digit(id[7]) && is_digit(id[8]) && id[9] == '\0' &&
	    pref_prefix_valid(id + 7);
}

void
entity_police_id(const char *pp, char out[ENTITY_POLICE_LEN + 1])
{
	snprintf(out, ENTITY_POLICE_LEN + 1, "%s%.2s", ENTITY_POLICE_PREFIX, pp);
}
