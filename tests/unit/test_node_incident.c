/*
 * test_node_incident: the phases of an incident (node/incident.c): every
 * edge of the table, allowed or refused with a reason, the report
 * number an earlier report left in a title, and the withdrawal banner
 * (its words from labels.c, the sender's reason escaped on one line).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kairan/labels.h"
#include "kairan/message.h"

#include "incident.h"

#define N_PHASES	(INCIDENT_WITHDRAWN + 1)

/* expected[old][new]: 0 refused, 1 allowed, 2 allowed with reopen only */
static const int expected[N_PHASES][N_PHASES] = {
	/* new:       NONE INIT UPD CLO FIN WDR */
	[INCIDENT_NONE] =      { 0, 1, 0, 0, 0, 0 },
	[INCIDENT_INITIAL] =   { 0, 0, 1, 1, 0, 1 },
	[INCIDENT_UPDATE] =    { 0, 0, 1, 1, 0, 1 },
	[INCIDENT_CLOSED] =    { 0, 0, 2, 2, 1, 1 },
	[INCIDENT_FINAL] =     { 0, 0, 2, 2, 0, 1 },
	[INCIDENT_WITHDRAWN] = { 0, 0, 0, 0, 0, 0 },
};

static void
test_every_edge(void **state)
{
	char err[256];
	int o, n, reopen, got;

	(void)state;
	for (o = 0; o < N_PHASES; o++)
		for (n = INCIDENT_INITIAL; n < N_PHASES; n++)
			for (reopen = 0; reopen <= 1; reopen++) {
				err[0] = '\0';
				got = incident_transition("abc", o, n, reopen,
				    err, sizeof(err)) == 0;
				if (got != (expected[o][n] == 1 ||
				    (reopen && expected[o][n] == 2)))
					fail_msg("%s -> %s reopen=%d: got %d",
					    incident_phase_name(o),
					    incident_phase_name(n), reopen,
					    got);
				if (!got && strstr(err, "abc") == NULL)
					fail_msg("%s -> %s: no reason: \"%s\"",
					    incident_phase_name(o),
					    incident_phase_name(n), err);
			}
}

static void
test_reasons(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(incident_transition("i", INCIDENT_CLOSED,
	    INCIDENT_UPDATE, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--reopen"));
	assert_non_null(strstr(err, "収束宣言"));
	assert_int_equal(incident_transition("i", INCIDENT_UPDATE,
	    INCIDENT_FINAL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "close it first"));
	assert_int_equal(incident_transition("i", INCIDENT_WITHDRAWN,
	    INCIDENT_UPDATE, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "withdrawn"));
}

static void
test_proto_round_trip(void **state)
{
	int p;

	(void)state;
	for (p = INCIDENT_INITIAL; p < N_PHASES; p++)
		assert_int_equal(incident_phase_from_proto(
		    incident_phase_to_proto(p)), p);
	assert_int_equal(incident_phase_from_proto(0), INCIDENT_NONE);
	assert_int_equal(incident_phase_from_proto(99), INCIDENT_NONE);
	assert_string_equal(incident_phase_ja(INCIDENT_WITHDRAWN), "取消");
	assert_string_equal(incident_phase_ja(INCIDENT_FINAL), "最終報告");
	assert_string_equal(message_phase_name(
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN), "WITHDRAWN");
}

static void
test_title_clean(void **state)
{
	static const char *const cases[][2] = {
		{ "標的型攻撃メールによるマルウェア感染（第2報）",
		    "標的型攻撃メールによるマルウェア感染" },
		{ "件名（第12報） ", "件名" },
		{ "件名 (第3報)", "件名" },
		{ "件名【第1報】", "件名" },
		{ "件名　［第4報］", "件名" },
		{ "（第2報）", "" },
		/* not a report number: kept */
		{ "件名（第二報）", "件名（第二報）" },
		{ "件名（第報）", "件名（第報）" },
		{ "件名（速報）", "件名（速報）" },
		{ "第2報について", "第2報について" },
		{ "（第2報）の訂正について", "（第2報）の訂正について" },
		{ "", "" },
		{ "(", "(" },
	};
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i][0]);
		incident_title_clean(buf);
		if (strcmp(buf, cases[i][1]) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"",
			    cases[i][0], buf, cases[i][1]);
	}
	incident_title_clean(NULL);
}

/* proto/message.c: a withdrawal says why; no other report carries a reason. */
static void
test_withdraw_reason_validated(void **state)
{
	Message m = KAIRAN__V1__MESSAGE__INIT;
	IncidentReport r = KAIRAN__V1__INCIDENT_REPORT__INIT;
	uint8_t id[KAIRAN_ID_LEN] = { 1 }, inc[KAIRAN_ID_LEN] = { 2 };
	char *rcpt[] = { "450006" }, err[256];
	char reason[] = "誤送信のため取り消します", empty[] = "";

	(void)state;
	m.id.data = id;
	m.id.len = sizeof(id);
	m.sender = "452017";
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.created_at_ms = 1795307400000LL;
	m.status = KAIRAN__V1__STATUS__ACTUAL;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	r.incident_id.data = inc;
	r.incident_id.len = sizeof(inc);
	r.report_no = 2;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__OTHER;
	r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN;
	r.withdraw_reason = reason;
	if (message_validate(&m, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	r.withdraw_reason = empty;
	assert_int_equal(message_validate(&m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "report.withdraw_reason"));
	r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE;
	r.withdraw_reason = reason;
	assert_int_equal(message_validate(&m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "report.withdraw_reason"));
	r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN + 1;
	assert_int_equal(message_validate(&m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "report.phase"));
}

/* The banner as printed into memory. */
static char *
banner(int64_t at_ms, const char *reason)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	assert_non_null(fp = open_memstream(&buf, &len));
	incident_withdrawn_banner(fp, at_ms, reason);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void
test_withdrawn_banner(void **state)
{
	/* 2026-11-22T09:31:05+09:00 */
	const int64_t at = (int64_t)1795307465 * 1000;
	char *b;

	(void)state;
	b = banner(at, "誤送信のため取り消します");
	assert_string_equal(b, "*** 取消 (withdrawn) 2026-11-22T09:31:05+09:00: "
	    "誤送信のため取り消します ***\n");
	free(b);
	/* phase words from labels.c: the same on every surface */
	assert_string_equal(incident_phase_ja(INCIDENT_WITHDRAWN),
	    LABEL_WITHDRAWN);
	assert_string_equal(incident_phase_ja(INCIDENT_CLOSED), label_phase(
	    KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED));
	assert_string_equal(incident_phase_ja(INCIDENT_NONE), "");
	/* a reason from an old row or another implementation: escaped */
	b = banner(at, "誤報\x1b[2J\n*** 本件は解決 ***");
	assert_null(strchr(b, 0x1b));
	assert_non_null(strstr(b, "誤報\\x1b[2J\\x0a*** 本件は解決 *** ***\n"));
	assert_ptr_equal(strchr(b, '\n'), b + strlen(b) - 1);
	free(b);
	b = banner(at, NULL);
	assert_non_null(strstr(b, "+09:00:  ***\n"));
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_edge),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_proto_round_trip),
		cmocka_unit_test(test_title_clean),
		cmocka_unit_test(test_withdraw_reason_validated),
		cmocka_unit_test(test_withdrawn_banner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
