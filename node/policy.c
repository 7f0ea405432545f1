/*
 * policy: parses the [policy NAME] rules of the node's configuration and
 * applies them to a report (see policy.h for the syntax and what a match
 * means). Expanding a rule's recipients is the directory's job
 * (directory_expand); this module only decides which rules apply and
 * remembers, per recipient, which rules required it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/directory.h"
#include "kairan/kairan.h"
#include "kairan/text.h"

#include "policy.h"

const char *const policy_keys[PK_NKEYS] = {
	"level", "category", "subtype", "notify",
};

#define LEVELS_ALL	0xfu	/* levels 0..3 */

static const struct {
	const char	*name;
	int		 value;
} categories[] = {
	{ "system_outage", KAIRAN__V1__INCIDENT_REPORT__CATEGORY__SYSTEM_OUTAGE },
	{ "cyber_attack", KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK },
	{ "theft_loss", KAIRAN__V1__INCIDENT_REPORT__CATEGORY__THEFT_LOSS },
	{ "other", KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER },
};
#define NCATEGORIES	(sizeof(categories) / sizeof(categories[0]))

const char *
policy_category_name(int category)
{
	size_t i;

	for (i = 0; i < NCATEGORIES; i++)
		if (categories[i].value == category)
			return categories[i].name;
	return "";
}

struct policy *
policy_new(void)
{
	return calloc(1, sizeof(struct policy));
}

static void
strings_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nrules; i++) {
		strings_free(p->rules[i].subtypes, p->rules[i].nsubtypes);
		free(p->rules[i].notify);
	}
	free(p);
}

static int
name_valid(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return 0;
	return n > 0 && n < POLICY_NAME_MAX;
}

struct policy_rule *
policy_rule_add(struct policy *p, const char *name, int line, char *err,
    size_t errlen)
{
	struct policy_rule *r;
	size_t i;

	if (!name_valid(name)) {
		snprintf(err, errlen, "[policy %s]: rule name must be 1-%d "
		    "letters, digits, '-', '_' or '.'", name,
		    POLICY_NAME_MAX - 1);
		return NULL;
	}
	for (i = 0; i < p->nrules; i++)
		if (strcmp(p->rules[i].name, name) == 0) {
			snprintf(err, errlen, "duplicate section [policy %s] "
			    "(first on line %d)", name, p->rules[i].line);
			return NULL;
		}
	if (p->nrules == POLICY_MAX_RULES) {
		snprintf(err, errlen, "more than %d policy rules",
		    POLICY_MAX_RULES);
		return NULL;
	}
	r = &p->rules[p->nrules++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->line = line;
	r->levels = LEVELS_ALL;
	return r;
}

/*
 * The items of a comma-separated list, spaces around each trimmed, into
 * a malloc'd array (*out, *n). An empty item is an error. Returns 0, or
 * -1 with err "KEY: ...".
 */
static int
split_list(const char *key, const char *value, char ***out, size_t *n,
    char *err, size_t errlen)
{
	const char *s = value, *e, *end;
	char **v = NULL, **nv;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	for (;;) {
		end = strchr(s, ',');
		if (end == NULL)
			end = s + strlen(s);
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		e = end;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == s) {
			snprintf(err, errlen, "%s: empty item in \"%s\"", key,
			    value);
			goto fail;
		}
		if ((nv = realloc(v, (k + 1) * sizeof(*v))) == NULL)
			goto oom;
		v = nv;
		if ((v[k] = strndup(s, (size_t)(e - s))) == NULL)
			goto oom;
		k++;
		if (*end == '\0')
			break;
		s = end + 1;
	}
	*out = v;
	*n = k;
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", key);
fail:
	strings_free(v, k);
	return -1;
}

/* "2", "2-3", "0,3", "1, 2-3" into a bit mask of levels 0..3. */
static int
parse_levels(const char *value, unsigned *out, char *err, size_t errlen)
{
	char **v = NULL;
	size_t n = 0, i;
	unsigned mask = 0, a, b;
	const char *s;

	if (split_list("level", value, &v, &n, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		s = v[i];
		if (s[0] < '0' || s[0] > '3')
			goto bad;
		a = b = (unsigned)(s[0] - '0');
		if (s[1] == '-') {
			if (s[2] < '0' || s[2] > '3' || s[3] != '\0')
				goto bad;
			b = (unsigned)(s[2] - '0');
			if (b < a)
				goto bad;
		} else if (s[1] != '\0')
			goto bad;
		for (; a <= b; a++)
			mask |= 1u << a;
	}
	strings_free(v, n);
	*out = mask;
	return 0;
bad:
	snprintf(err, errlen, "level: expected levels 0..3 as N, N-M or a "
	    "comma-separated list of them, got \"%s\"", value);
	strings_free(v, n);
	return -1;
}

static int
parse_categories(const char *value, unsigned *out, char *err, size_t errlen)
{
	char **v = NULL;
	size_t n = 0, i, j;
	unsigned mask = 0;

	if (split_list("category", value, &v, &n, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < NCATEGORIES; j++)
			if (strcmp(v[i], categories[j].name) == 0)
				break;
		if (j == NCATEGORIES) {
			snprintf(err, errlen, "category: \"%s\" is not one of "
			    "system_outage, cyber_attack, theft_loss, other",
			    v[i]);
			strings_free(v, n);
			return -1;
		}
		mask |= 1u << categories[j].value;
	}
	strings_free(v, n);
	*out = mask;
	return 0;
}

/* A subtype as a report may hold it: UTF-8, no control characters, short. */
static int
subtype_valid(const char *s, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), k;
	unsigned cp;

	if (len > KAIRAN_MAX_SHORT) {
		snprintf(err, errlen, "subtype: longer than %d bytes",
		    KAIRAN_MAX_SHORT);
		return -1;
	}
	while (len > 0) {
		if ((k = text_utf8_next(p, len, &cp)) == 0) {
			snprintf(err, errlen, "subtype: not UTF-8");
			return -1;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			snprintf(err, errlen, "subtype: holds a control "
			    "character");
			return -1;
		}
		p += k;
		len -= k;
	}
	return 0;
}

int
policy_rule_key(struct policy_rule *r, enum policy_key k, const char *value,
    char *err, size_t errlen)
{
	char **v = NULL;
	size_t n = 0, i;

	switch (k) {
	case PK_LEVEL:
		return parse_levels(value, &r->levels, err, errlen);
	case PK_CATEGORY:
		return parse_categories(value, &r->categories, err, errlen);
	case PK_SUBTYPE:
		if (split_list("subtype", value, &v, &n, err, errlen) == -1)
			return -1;
		if (n > KAIRAN_MAX_LIST) {
			snprintf(err, errlen, "subtype: more than %d items",
			    KAIRAN_MAX_LIST);
			strings_free(v, n);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (subtype_valid(v[i], err, errlen) == -1) {
				strings_free(v, n);
				return -1;
			}
		strings_free(r->subtypes, r->nsubtypes);
		r->subtypes = v;
		r->nsubtypes = n;
		return 0;
	case PK_NOTIFY:
		/* Syntax only here; policy_check expands it (needs the directory). */
		if (split_list("notify", value, &v, &n, err, errlen) == -1)
			return -1;
		strings_free(v, n);
		free(r->notify);
		if ((r->notify = strdup(value)) == NULL) {
			snprintf(err, errlen, "notify: out of memory");
			return -1;
		}
		return 0;
	default:
		snprintf(err, errlen, "unknown policy key %d", (int)k);
		return -1;
	}
}

int
policy_rule_finish(const struct policy_rule *r, char *err, size_t errlen)
{
	if (r->notify == NULL) {
		snprintf(err, errlen, "[policy %s]: missing key \"notify\" "
		    "(whom the rule requires)", r->name);
		return -1;
	}
	return 0;
}

int
policy_check(const struct policy *p, const struct directory *dir,
    const char *sender, const char *file, char *err, size_t errlen)
{
	const struct policy_rule *r;
	char **v = NULL, e[512];
	size_t i, n = 0;

	for (i = 0; p != NULL && i < p->nrules; i++) {
		r = &p->rules[i];
		if (directory_expand(dir, sender, r->notify, &v, &n, e,
		    sizeof(e)) == -1) {
			snprintf(err, errlen, "%s:%d: notify: [policy %s]: %s",
			    file, r->key_line[PK_NOTIFY], r->name, e);
			return -1;
		}
		directory_list_free(v, n);
		v = NULL;
		n = 0;
	}
	return 0;
}

int
policy_rule_matches(const struct policy_rule *r, const IncidentReport *rep)
{
	size_t i, j;

	if (rep->level > 3 || (r->levels & (1u << rep->level)) == 0)
		return 0;
	if (r->categories != 0 && ((int)rep->category < 0 ||
	    (int)rep->category > 31 ||
	    (r->categories & (1u << rep->category)) == 0))
		return 0;
	if (r->nsubtypes == 0)
		return 1;
	for (i = 0; i < r->nsubtypes; i++)
		for (j = 0; j < rep->n_subtypes; j++)
			if (strcmp(r->subtypes[i], rep->subtypes[j]) == 0)
				return 1;
	return 0;
}

void
policy_result_clear(struct policy_result *res)
{
	if (res == NULL)
		return;
	strings_free(res->entity, res->n);
	strings_free(res->why, res->n);
	memset(res, 0, sizeof(*res));
}

/* Adds rule to entity's reasons (or entity with it), keeping entity sorted. */
static int
result_add(struct policy_result *res, const char *entity, const char *rule)
{
	char **ne, **nw, *w;
	size_t i, k;

	for (i = 0; i < res->n; i++)
		if (strcmp(res->entity[i], entity) >= 0)
			break;
	if (i < res->n && strcmp(res->entity[i], entity) == 0) {
		if (asprintf(&w, "%s,%s", res->why[i], rule) == -1)
			return -1;
		free(res->why[i]);
		res->why[i] = w;
		return 0;
	}
	if ((ne = realloc(res->entity, (res->n + 1) * sizeof(*ne))) == NULL)
		return -1;
	res->entity = ne;
	if ((nw = realloc(res->why, (res->n + 1) * sizeof(*nw))) == NULL)
		return -1;
	res->why = nw;
	for (k = res->n; k > i; k--) {
		res->entity[k] = res->entity[k - 1];
		res->why[k] = res->why[k - 1];
	}
	res->entity[i] = strdup(entity);
	res->why[i] = strdup(rule);
	res->n++;
	if (res->entity[i] == NULL || res->why[i] == NULL)
		return -1;
	return 0;
}

int
policy_resolve(const struct policy *p, const IncidentReport *rep,
    const struct directory *dir, const char *sender,
    struct policy_result *out, char *err, size_t errlen)
{
	const struct policy_rule *r;
	char **v = NULL, e[512];
	size_t i, j, n = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; p != NULL && i < p->nrules; i++) {
		r = &p->rules[i];
		if (!policy_rule_matches(r, rep))
			continue;
		if (directory_expand(dir, sender, r->notify, &v, &n, e,
		    sizeof(e)) == -1) {
			snprintf(err, errlen, "[policy %s]: notify: %s",
			    r->name, e);
			goto fail;
		}
		for (j = 0; j < n; j++)
			if (result_add(out, v[j], r->name) == -1) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
		directory_list_free(v, n);
		v = NULL;
		n = 0;
	}
	return 0;
fail:
	directory_list_free(v, n);
	policy_result_clear(out);
	return -1;
}

const char *
policy_required_by(const struct policy_result *res, const char *entity)
{
	size_t i;

	for (i = 0; res != NULL && i < res->n; i++)
		if (strcmp(res->entity[i], entity) == 0)
			return res->why[i];
	return NULL;
}
