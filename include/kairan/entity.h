/*
 * entity: the syntax of entity ids (PROTOCOL.md §1).
 *
 * An entity id is either a 6-digit 全国地方公共団体コード whose last digit is
 * the check digit of the first five, or a name matching [a-z][a-z0-9-]{1,31}
 * (national bodies "mic", "nisc", relays "relay-45", "relay-national").
 * Prefecture codes are PP0006-style codes of the form PP000C. A
 * prefecture's police is "police-PP" (police-45: 宮崎県警察), an entity of
 * that prefecture like relay-PP; any other "police-*" name is invalid.
 */
#ifndef KAIRAN_ENTITY_H
#define KAIRAN_ENTITY_H

#include <stddef.h>

/* Check digit for five ASCII digits: s = 6d1+5d2+4d3+3d4+2d5, (11 - s%11)%10. Returns -1 if not digits. */
int	entity_checkdigit(const char *five);
/* 1 if id is a 6-digit code with a correct check digit and a prefecture 01..47 as its first two digits. */
int	entity_is_code(const char *id);
/* 1 if id is a name [a-z][a-z0-9-]{1,31}. */
int	entity_is_name(const char *id);
/*
 * 1 if id is valid (code or name); 0 otherwise, with why in err if err !=
 * NULL: a wrong check digit names the right one ("452018: bad check digit
 * 8, expected 7 (452017)").
 */
int	entity_valid(const char *id, char *err, size_t errlen);
/*
 * The two-digit prefecture ("01".."47") that an entity belongs to: the first
 * two digits of a code, PP of "relay-PP" or "police-PP"; into pref[3].
 * Returns 0, or -1 if the entity belongs to no prefecture (national names).
 */
int	entity_prefecture(const char *id, char pref[3]);
/* 1 if pp is "01".."47". */
int	entity_pref_valid(const char *pp);

#define ENTITY_POLICE_PREFIX	"police-"
#define ENTITY_POLICE_LEN	9	/* "police-45" */
/* 1 if id is police-PP with PP 01..47: a prefecture's police. */
int	entity_is_police(const char *id);
/* "police-PP" of prefecture pp ("45") into out. */
void	entity_police_id(const char *pp, char out[ENTITY_POLICE_LEN + 1]);

#endif
