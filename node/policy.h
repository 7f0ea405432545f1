/*
 * policy: the municipality's contact route as rules, read from the node's
 * configuration: who must be told of a report, by its level, its category
 * and its subtypes (issue 11, "Routes by policy"; node/README.md,
 * "Routes by policy", quotes the seeds each example rule comes from).
 *
 *   [policy NAME]
 *   level    = 2-3                  levels (0..3): N, N-M, lists of them;
 *                                   absent: every level
 *   category = cyber_attack         system_outage | cyber_attack |
 *                                   theft_loss | other, a list; absent: any
 *   subtype  = 標的型攻撃, 不正アクセス  any of these (exact text of the
 *                                   report's subtypes); absent: any
 *   notify   = @prefecture,@ministry  required: entity ids and groups, as
 *                                   for --to (directory_expand)
 *
 * A rule applies to a report when every condition it has holds; the
 * recipients a report must reach are the union of the notify lists of the
 * rules that apply. The module parses and matches; config.c feeds it keys
 * with their line numbers, the command line asks it whom a report needs.
 */
#ifndef KAIRAN_NODE_POLICY_H
#define KAIRAN_NODE_POLICY_H

#include <stddef.h>

#include "kairan/directory.h"
#include "kairan/message.h"

#define POLICY_NAME_MAX		64
#define POLICY_MAX_RULES	64

enum policy_key { PK_LEVEL, PK_CATEGORY, PK_SUBTYPE, PK_NOTIFY, PK_NKEYS };

/* The key names, in enum policy_key's order (for conf_ini_key). */
extern const char *const policy_keys[PK_NKEYS];

struct policy_rule {
	char		 name[POLICY_NAME_MAX];
	int		 line;			/* of the [policy NAME] header */
	int		 key_line[PK_NKEYS];	/* 0: key not given */
	unsigned	 levels;	/* bit l for level l (all four if no key) */
	unsigned	 categories;	/* bit c for Category c; 0: any */
	char		**subtypes;	/* any of these; none: any */
	size_t		 nsubtypes;
	char		*notify;	/* as written */
};

struct policy {
	struct policy_rule	rules[POLICY_MAX_RULES];
	size_t			nrules;
};

/* An empty policy (no rules), or NULL if out of memory. */
struct policy	*policy_new(void);
void		 policy_free(struct policy *);	/* NULL is a no-op */

/*
 * A new rule named name (letters, digits, '-', '_', '.'; unique) whose
 * header is at line. Returns it, or NULL with err ("[policy x y]: rule
 * name must be ...", "duplicate section [policy x]", "more than 64
 * policy rules").
 */
struct policy_rule *policy_rule_add(struct policy *, const char *name,
		    int line, char *err, size_t errlen);
/*
 * Sets key k of rule from value. Returns 0, or -1 with err naming the key
 * and what was expected ("level: expected levels 0..3 as N, N-M or a
 * comma-separated list of them, got \"4\"").
 */
int		 policy_rule_key(struct policy_rule *, enum policy_key k,
		    const char *value, char *err, size_t errlen);
/* After the rule's last key: 0, or -1 with err ("[policy x]: missing key \"notify\""). */
int		 policy_rule_finish(const struct policy_rule *, char *err,
		    size_t errlen);

/*
 * Checks that every rule's notify list expands for sender in dir (every
 * id and group known, the result not empty). Returns 0, or -1 with err
 * "file:line: notify: [policy x]: what is wrong" (line of the notify key).
 */
int		 policy_check(const struct policy *, const struct directory *,
		    const char *sender, const char *file, char *err,
		    size_t errlen);

/* 1 if rule applies to report r, 0 if not. */
int		 policy_rule_matches(const struct policy_rule *,
		    const IncidentReport *r);

/*
 * Whom a report must reach: entity[i] (sorted, unique, never the sender)
 * required by the rules named in why[i] ("level23-prefecture,ministry",
 * in the configuration's order).
 */
struct policy_result {
	char	**entity;
	char	**why;
	size_t	  n;
};

/*
 * Applies every rule to report r for sender. Returns 0 with *out (n may be
 * 0: no rule applies; clear with policy_result_clear), or -1 with err
 * ("[policy x]: notify: unknown entity or group \"452999\"").
 */
int		 policy_resolve(const struct policy *, const IncidentReport *r,
		    const struct directory *, const char *sender,
		    struct policy_result *out, char *err, size_t errlen);
void		 policy_result_clear(struct policy_result *);
/* The rules that required entity ("a,b"), or NULL if none did. */
const char	*policy_required_by(const struct policy_result *,
		    const char *entity);

/* "system_outage" ... for a Category value; "" for one it does not know. */
const char	*policy_category_name(int category);

#endif
