/*
 * test_node_policy: the contact route's rules (node/policy.c): each key's
 * syntax and its errors, which rules apply to which report, and whom they
 * resolve to in the real directory (宮崎市 452017 as the sender).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kairan/directory.h"

#include "policy.h"

static char tmpdir[64];
static char dirpath[128];
static struct directory *dir;

static int
group_setup(void **state)
{
	const char *data = getenv("KAIRAN_DATA");
	char codes[1024], adj[1024], err[1024];

	(void)state;
	if (data == NULL)
		data = "../shared/data";
	snprintf(codes, sizeof(codes), "%s/codes", data);
	snprintf(adj, sizeof(adj), "%s/adjacency", data);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kairan-policy-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(dirpath, sizeof(dirpath), "%s/directory.json", tmpdir);
	if (directory_import(codes, adj, "deploy/contacts-demo.csv", dirpath,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "import: %s\n", err);
		return -1;
	}
	if ((dir = directory_load(dirpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	directory_free(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A rule named name with the given keys (NULL: not given). */
static struct policy_rule *
rule(struct policy *p, const char *name, const char *level,
    const char *category, const char *subtype, const char *notify)
{
	struct policy_rule *r;
	char err[512];
	const char *v[PK_NKEYS] = { level, category, subtype, notify };
	int k;

	if ((r = policy_rule_add(p, name, 10 + (int)p->nrules, err,
	    sizeof(err))) == NULL)
		fail_msg("%s", err);
	for (k = 0; k < PK_NKEYS; k++) {
		if (v[k] == NULL)
			continue;
		r->key_line[k] = 20 + k;
		if (policy_rule_key(r, (enum policy_key)k, v[k], err,
		    sizeof(err)) == -1)
			fail_msg("%s: %s", policy_keys[k], err);
	}
	if (policy_rule_finish(r, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	return r;
}

/* Expects key k = value to be refused with an error containing what. */
static void
refused(enum policy_key k, const char *value, const char *what)
{
	struct policy *p = policy_new();
	struct policy_rule *r;
	char err[512];

	assert_non_null(p);
	assert_non_null(r = policy_rule_add(p, "x", 1, err, sizeof(err)));
	err[0] = '\0';
	if (policy_rule_key(r, k, value, err, sizeof(err)) != -1)
		fail_msg("%s = \"%s\" accepted", policy_keys[k], value);
	if (strstr(err, what) == NULL)
		fail_msg("%s = \"%s\": got \"%s\", expected \"%s\"",
		    policy_keys[k], value, err, what);
	policy_free(p);
}

static void
test_levels(void **state)
{
	struct policy *p = policy_new();

	(void)state;
	assert_int_equal(rule(p, "a", "2-3", NULL, NULL, "mic")->levels, 0xc);
	assert_int_equal(rule(p, "b", "0,3", NULL, NULL, "mic")->levels, 0x9);
	assert_int_equal(rule(p, "c", " 1 , 2-3 ", NULL, NULL, "mic")->levels,
	    0xe);
	assert_int_equal(rule(p, "d", "2", NULL, NULL, "mic")->levels, 0x4);
	/* no level key: every level */
	assert_int_equal(rule(p, "e", NULL, NULL, NULL, "mic")->levels, 0xf);
	policy_free(p);
	refused(PK_LEVEL, "4", "level: expected levels 0..3 as N, N-M");
	refused(PK_LEVEL, "3-2", "got \"3-2\"");
	refused(PK_LEVEL, "2-", "got \"2-\"");
	refused(PK_LEVEL, "high", "got \"high\"");
	refused(PK_LEVEL, "-1", "got \"-1\"");
	refused(PK_LEVEL, "", "level: empty item");
	refused(PK_LEVEL, "1,,2", "level: empty item in \"1,,2\"");
}

static void
test_categories_subtypes_notify(void **state)
{
	struct policy *p = policy_new();
	struct policy_rule *r;

	(void)state;
	r = rule(p, "a", NULL, "cyber_attack, theft_loss",
	    "標的型攻撃, 不正アクセス", "@prefecture");
	assert_int_equal(r->categories,
	    (1u << KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK) |
	    (1u << KAIRAN__V1__INCIDENT_REPORT__CATEGORY__THEFT_LOSS));
	assert_int_equal(r->nsubtypes, 2);
	assert_string_equal(r->subtypes[0], "標的型攻撃");
	assert_string_equal(r->subtypes[1], "不正アクセス");
	assert_string_equal(r->notify, "@prefecture");
	policy_free(p);
	refused(PK_CATEGORY, "cyber", "category: \"cyber\" is not one of "
	    "system_outage, cyber_attack, theft_loss, other");
	refused(PK_CATEGORY, "other,", "category: empty item");
	refused(PK_SUBTYPE, "標的型攻撃,,x", "subtype: empty item");
	refused(PK_SUBTYPE, "a\x01" "b", "subtype: holds a control character");
	refused(PK_SUBTYPE, "\xff", "subtype: not UTF-8");
	refused(PK_NOTIFY, "@prefecture,", "notify: empty item");
}

static void
test_names_and_missing_notify(void **state)
{
	struct policy *p = policy_new();
	struct policy_rule *r;
	char err[512];
	size_t i;

	(void)state;
	assert_non_null(policy_rule_add(p, "level23-prefecture", 3, err,
	    sizeof(err)));
	assert_null(policy_rule_add(p, "level23-prefecture", 9, err,
	    sizeof(err)));
	assert_string_equal(err, "duplicate section [policy "
	    "level23-prefecture] (first on line 3)");
	assert_null(policy_rule_add(p, "two words", 9, err, sizeof(err)));
	assert_non_null(strstr(err, "[policy two words]: rule name must be"));
	assert_null(policy_rule_add(p, "", 9, err, sizeof(err)));
	r = &p->rules[0];
	assert_int_equal(policy_rule_finish(r, err, sizeof(err)), -1);
	assert_string_equal(err, "[policy level23-prefecture]: missing key "
	    "\"notify\" (whom the rule requires)");
	for (i = 1; i < POLICY_MAX_RULES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "r%zu", i);
		assert_non_null(policy_rule_add(p, name, 1, err, sizeof(err)));
	}
	assert_null(policy_rule_add(p, "one-more", 1, err, sizeof(err)));
	assert_string_equal(err, "more than 64 policy rules");
	policy_free(p);
	policy_free(NULL);
}

static void
report(IncidentReport *r, uint32_t level, int category, char **subtypes,
    size_t n)
{
	kairan__v1__incident_report__init(r);
	r->level = level;
	r->category = category;
	r->subtypes = subtypes;
	r->n_subtypes = n;
}

static void
test_matches(void **state)
{
	struct policy *p = policy_new();
	const struct policy_rule *lv, *crime, *any;
	char *targeted[] = { "マルウェア等の感染", "標的型攻撃" };
	char *other[] = { "記録媒体の紛失" };
	IncidentReport r;

	(void)state;
	lv = rule(p, "level23", "2-3", NULL, NULL, "@prefecture");
	crime = rule(p, "crime", NULL, "cyber_attack", "標的型攻撃,不正アクセス",
	    "@prefecture");
	any = rule(p, "always", NULL, NULL, NULL, "mic");
	report(&r, 2, KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER, NULL, 0);
	assert_true(policy_rule_matches(lv, &r));
	assert_false(policy_rule_matches(crime, &r));
	assert_true(policy_rule_matches(any, &r));
	report(&r, 1, KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK,
	    targeted, 2);
	assert_false(policy_rule_matches(lv, &r));
	assert_true(policy_rule_matches(crime, &r));
	/* the right category, but no subtype of the list */
	report(&r, 3, KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK,
	    other, 1);
	assert_true(policy_rule_matches(lv, &r));
	assert_false(policy_rule_matches(crime, &r));
	/* the subtype, but another category */
	report(&r, 0, KAIRAN__V1__INCIDENT_REPORT__CATEGORY__THEFT_LOSS,
	    targeted, 2);
	assert_false(policy_rule_matches(crime, &r));
	assert_true(policy_rule_matches(any, &r));
	policy_free(p);
}

static void
test_resolve(void **state)
{
	struct policy *p = policy_new();
	struct policy_result res;
	char *targeted[] = { "標的型攻撃" };
	IncidentReport r;
	char err[512];

	(void)state;
	(void)rule(p, "level23-prefecture", "2-3", NULL, NULL, "@prefecture");
	(void)rule(p, "targeted", NULL, "cyber_attack", "標的型攻撃",
	    "@prefecture, mic");
	/* level 3 targeted attack: both rules, 宮崎県 by both */
	report(&r, 3, KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK,
	    targeted, 1);
	if (policy_resolve(p, &r, dir, "452017", &res, err, sizeof(err)) ==
	    -1)
		fail_msg("%s", err);
	assert_int_equal(res.n, 2);
	assert_string_equal(res.entity[0], "450006");
	assert_string_equal(res.why[0], "level23-prefecture,targeted");
	assert_string_equal(res.entity[1], "mic");
	assert_string_equal(res.why[1], "targeted");
	assert_string_equal(policy_required_by(&res, "mic"), "targeted");
	assert_null(policy_required_by(&res, "452025"));
	policy_result_clear(&res);
	/* level 1, other: no rule applies */
	report(&r, 1, KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER, NULL, 0);
	assert_int_equal(policy_resolve(p, &r, dir, "452017", &res, err,
	    sizeof(err)), 0);
	assert_int_equal(res.n, 0);
	policy_result_clear(&res);
	/* a rule whose list names nothing known */
	(void)rule(p, "bad", "1", NULL, NULL, "@prefecture,police-99");
	assert_int_equal(policy_resolve(p, &r, dir, "452017", &res, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "[policy bad]: notify: "));
	assert_non_null(strstr(err, "police-99"));
	assert_int_equal(res.n, 0);
	/* policy_check finds it whatever the report, at its notify line */
	assert_int_equal(policy_check(p, dir, "452017", "node.conf", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "node.conf:23: notify: [policy bad]: "));
	policy_free(p);
}

static void
test_check_good_and_groups(void **state)
{
	struct policy *p = policy_new();
	char err[512];

	(void)state;
	(void)rule(p, "a", NULL, NULL, NULL,
	    "@prefecture,@ministry,@neighbours,@region");
	assert_int_equal(policy_check(p, dir, "452017", "node.conf", err,
	    sizeof(err)), 0);
	/* the sender not in the directory */
	assert_int_equal(policy_check(p, dir, "999999", "node.conf", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "node.conf:23: notify: [policy a]: "));
	assert_int_equal(policy_check(NULL, dir, "452017", "node.conf", err,
	    sizeof(err)), 0);
	policy_free(p);
	assert_string_equal(policy_category_name(
	    KAIRAN__V1__INCIDENT_REPORT__CATEGORY__THEFT_LOSS), "theft_loss");
	assert_string_equal(policy_category_name(99), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_categories_subtypes_notify),
		cmocka_unit_test(test_names_and_missing_notify),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_check_good_and_groups),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
