/*
 * test_deadline: the deadlines of proto/deadline.c (kairan/deadline.h),
 * which the node and the relay's console share. The final report is due
 * 30 days after the latest 収束宣言 (due at exactly +30 d, overdue one
 * millisecond later, done once a 最終報告 follows, none when reopened or
 * withdrawn); the proxy logs of a 標的型攻撃 第1報 are due 6 hours after
 * discovery (a check at exactly +6 h is 期限内, one millisecond later
 * 期限超過), from the 第1報's own time when discovery is unknown, and only
 * the reports up to the one shown count; the verdict's words; the form
 * shows the deadline under 発見日時 on the 第1報 and, given by the caller,
 * whether a later report met it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kairan/deadline.h"
#include "kairan/form.h"
#include "kairan/labels.h"
#include "kairan/message.h"

#define INITIAL	KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL
#define UPDATE	KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE
#define CLOSED	KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED
#define FINAL	KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL
#define WITHDRAWN KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN

#define T0	1795302000000LL		/* 2026-11-22T08:00:00+09:00 */
#define HOUR	(3600LL * 1000)
#define DAY	(24 * HOUR)

static IncidentReport	reps[4];
static char		*targeted[] = { "標的型攻撃メール", "ウイルス" };
static char		*plain[] = { "ウイルス" };

static void
set(struct deadline_report *d, uint32_t no, int phase, int64_t at,
    IncidentReport *r)
{
	kairan__v1__incident_report__init(r);
	r->report_no = no;
	r->phase = phase;
	d->report_no = no;
	d->phase = phase;
	d->created_ms = at;
	d->r = r;
}

static void
test_final_edges(void **state)
{
	struct deadline_report v[4];
	struct deadline_final f;

	(void)state;
	set(&v[0], 1, INITIAL, T0, &reps[0]);
	deadline_final(v, 1, T0 + 60 * DAY, &f);
	assert_int_equal(f.state, DEADLINE_FINAL_NONE);

	set(&v[1], 2, CLOSED, T0 + DAY, &reps[1]);
	deadline_final(v, 2, T0 + DAY, &f);
	assert_int_equal(f.state, DEADLINE_FINAL_DUE);
	assert_true(f.closed_ms == T0 + DAY);
	assert_true(f.due_ms == T0 + 31 * DAY);
	/* exactly 30 days after: still due; 1 ms later: overdue */
	deadline_final(v, 2, T0 + 31 * DAY, &f);
	assert_int_equal(f.state, DEADLINE_FINAL_DUE);
	deadline_final(v, 2, T0 + 31 * DAY + 1, &f);
	assert_int_equal(f.state, DEADLINE_FINAL_OVERDUE);

	/* a final report clears it, however late */
	set(&v[2], 3, FINAL, T0 + 40 * DAY, &reps[2]);
	deadline_final(v, 3, T0 + 50 * DAY, &f);
	assert_int_equal(f.state, DEADLINE_FINAL_DONE);
	assert_true(f.final_ms == T0 + 40 * DAY);

	/* reopened after the final report and closed again: due anew */
	set(&v[2], 3, UPDATE, T0 + 2 * DAY, &reps[2]);
	deadline_final(v, 3, T0 + 50 * DAY, &f);
	assert_int_equal(f.state, DEADLINE_FINAL_NONE);
	set(&v[3], 4, CLOSED, T0 + 3 * DAY, &reps[3]);
	/* order does not matter */
	{
		struct deadline_report w[4] = { v[3], v[1], v[0], v[2] };

		deadline_final(w, 4, T0 + 4 * DAY, &f);
	}
	assert_int_equal(f.state, DEADLINE_FINAL_DUE);
	assert_true(f.due_ms == T0 + 33 * DAY);

	/* withdrawn: nothing is due */
	set(&v[3], 4, WITHDRAWN, T0 + 3 * DAY, &reps[3]);
	set(&v[2], 3, CLOSED, T0 + 2 * DAY, &reps[2]);
	deadline_final(v, 4, T0 + 90 * DAY, &f);
	assert_int_equal(f.state, DEADLINE_FINAL_NONE);
}

static void
test_proxy_edges(void **state)
{
	struct deadline_report v[3];
	struct deadline_proxy p;

	(void)state;
	set(&v[0], 1, INITIAL, T0 + 2 * HOUR, &reps[0]);
	reps[0].subtypes = targeted;
	reps[0].n_subtypes = 2;
	reps[0].discovered_at_ms = T0;
	deadline_proxy(v, 1, 0, T0 + HOUR, &p);
	assert_int_equal(p.state, DEADLINE_PROXY_UNCHECKED);
	assert_true(p.discovered);
	assert_true(p.due_ms == T0 + 6 * HOUR);
	assert_false(p.late);
	deadline_proxy(v, 1, 0, T0 + 6 * HOUR + 1, &p);
	assert_true(p.late);
	assert_string_equal(deadline_proxy_label(p.state), "未確認");

	/* exactly 6 hours: 期限内 (「6時間以内」) */
	set(&v[1], 2, UPDATE, T0 + 7 * HOUR, &reps[1]);
	reps[1].proxy_logs_checked_at_ms = T0 + 6 * HOUR;
	deadline_proxy(v, 2, 0, T0 + 8 * HOUR, &p);
	assert_int_equal(p.state, DEADLINE_PROXY_MET);
	assert_true(p.checked_ms == T0 + 6 * HOUR);
	assert_int_equal(p.checked_in, 2);
	assert_string_equal(deadline_proxy_label(p.state), "期限内");
	/* one millisecond later: 期限超過 */
	reps[1].proxy_logs_checked_at_ms = T0 + 6 * HOUR + 1;
	deadline_proxy(v, 2, 0, T0 + 8 * HOUR, &p);
	assert_int_equal(p.state, DEADLINE_PROXY_MISSED);
	assert_string_equal(deadline_proxy_label(p.state), "期限超過");
	/* as the 第1報 knew it: not yet checked */
	deadline_proxy(v, 2, 1, T0 + 8 * HOUR, &p);
	assert_int_equal(p.state, DEADLINE_PROXY_UNCHECKED);
	/* the earliest check counts */
	set(&v[2], 3, UPDATE, T0 + 9 * HOUR, &reps[2]);
	reps[2].proxy_logs_checked_at_ms = T0 + 5 * HOUR;
	deadline_proxy(v, 3, 0, T0 + 9 * HOUR, &p);
	assert_int_equal(p.state, DEADLINE_PROXY_MET);
	assert_true(p.checked_ms == T0 + 5 * HOUR);
	assert_int_equal(p.checked_in, 3);
	reps[2].proxy_logs_checked_at_ms = 0;

	/* discovery unknown: from the 第1報's own time */
	reps[0].discovered_at_ms = 0;
	deadline_proxy(v, 2, 0, T0, &p);
	assert_false(p.discovered);
	assert_true(p.base_ms == T0 + 2 * HOUR);
	assert_true(p.due_ms == T0 + 8 * HOUR);
	assert_int_equal(p.state, DEADLINE_PROXY_MET);

	/* not a targeted attack, or the 第1報 unknown: no deadline */
	reps[0].subtypes = plain;
	reps[0].n_subtypes = 1;
	deadline_proxy(v, 2, 0, T0, &p);
	assert_int_equal(p.state, DEADLINE_PROXY_NONE);
	assert_string_equal(deadline_proxy_label(p.state), "");
	reps[0].subtypes = targeted;
	reps[0].n_subtypes = 2;
	deadline_proxy(&v[1], 1, 0, T0, &p);
	assert_int_equal(p.state, DEADLINE_PROXY_NONE);
	v[0].r = NULL;
	deadline_proxy(v, 2, 0, T0, &p);
	assert_int_equal(p.state, DEADLINE_PROXY_NONE);
}

static void
test_proxy_note(void **state)
{
	struct deadline_proxy p;
	char buf[DEADLINE_NOTE_LEN];

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_string_equal(deadline_proxy_note(&p, buf, sizeof(buf)), "");
	p.state = DEADLINE_PROXY_MET;
	p.discovered = 1;
	p.base_ms = T0;
	p.due_ms = T0 + 6 * HOUR;
	p.checked_ms = T0 + 5 * HOUR;
	p.checked_in = 3;
	assert_string_equal(deadline_proxy_note(&p, buf, sizeof(buf)),
	    "期限内（期限 2026-11-22T14:00:00+09:00、発見日時から6時間以内） "
	    "確認 2026-11-22T13:00:00+09:00（第3報）");
	/* unchecked, past the deadline, from the 第1報's time */
	p.state = DEADLINE_PROXY_UNCHECKED;
	p.discovered = 0;
	p.checked_ms = 0;
	p.checked_in = 0;
	p.late = 1;
	assert_string_equal(deadline_proxy_note(&p, buf, sizeof(buf)),
	    "未確認（期限 2026-11-22T14:00:00+09:00、第1報の時刻から6時間以内） "
	    "期限を過ぎています");
	/* a short buffer is cut, still terminated */
	deadline_proxy_note(&p, buf, 8);
	assert_true(strlen(buf) < 8);
	assert_string_equal(deadline_proxy_name(p.state), "unchecked");
	assert_string_equal(deadline_final_name(DEADLINE_FINAL_OVERDUE),
	    "overdue");
}

/*
 * The form of r (report_no and phase set) at T0 + 2 h, with the context
 * deadline_form_context gives it from r and the incident's verdict
 * (NULL: none), as `show --form` does.
 */
static char *
form_of(IncidentReport *r, const struct deadline_proxy *incident)
{
	struct form_context ctx;
	char note[DEADLINE_NOTE_LEN];
	static uint8_t id[KAIRAN_ID_LEN], inc[KAIRAN_ID_LEN];
	static char *rcpts[] = { "450006" };
	Message m = KAIRAN__V1__MESSAGE__INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	r->incident_id.data = inc;
	r->incident_id.len = sizeof(inc);
	m.id.data = id;
	m.id.len = sizeof(id);
	m.sender = "452017";
	m.recipients = rcpts;
	m.n_recipients = 1;
	m.created_at_ms = T0 + 2 * HOUR;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = r;
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	deadline_form_context(&m, incident, note, sizeof(note), &ctx);
	assert_int_equal(form_print(fp, &m, NULL, &ctx), 0);
	fclose(fp);
	return buf;
}

static void
test_form_lines(void **state)
{
	struct deadline_report v[2];
	struct deadline_proxy p;
	char *s;

	(void)state;
	set(&v[0], 1, INITIAL, T0 + 2 * HOUR, &reps[0]);
	reps[0].subtypes = targeted;
	reps[0].n_subtypes = 2;
	reps[0].discovered_at_ms = T0;
	reps[0].summary = "概要";
	s = form_of(&reps[0], NULL);
	/* under 発見日時 (1.(2)), from the 第1報 alone */
	assert_non_null(strstr(s, "　　　発見日時: 2026年11月22日 08時00分\n"
	    "　　　プロキシログ確認期限: 2026年11月22日 14時00分"
	    "（事案発覚後6時間以内）\n"));
	assert_null(strstr(s, "プロキシログ確認:"));
	free(s);
	/* unknown discovery: from the report's own time */
	reps[0].discovered_at_ms = 0;
	s = form_of(&reps[0], NULL);
	assert_non_null(strstr(s, "プロキシログ確認期限: 2026年11月22日 16時00分"));
	free(s);
	reps[0].discovered_at_ms = T0;

	/* a 第2報 with the check time, the state from the caller */
	set(&v[1], 2, UPDATE, T0 + 7 * HOUR, &reps[1]);
	reps[1].summary = "続報";
	reps[1].proxy_logs_checked_at_ms = T0 + 7 * HOUR;
	deadline_proxy(v, 2, 2, T0 + 8 * HOUR, &p);
	s = form_of(&reps[1], &p);
	assert_non_null(strstr(s, "　　　プロキシログ確認日時: 2026年11月22日 "
	    "15時00分\n　　　プロキシログ確認: 期限超過（期限 "
	    "2026-11-22T14:00:00+09:00、発見日時から6時間以内） 確認 "
	    "2026-11-22T15:00:00+09:00（第2報）\n"));
	assert_null(strstr(s, "プロキシログ確認期限"));
	free(s);
	/* without the caller's word: only what the report itself says */
	s = form_of(&reps[1], NULL);
	assert_non_null(strstr(s, "プロキシログ確認日時:"));
	assert_null(strstr(s, "期限超過"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_final_edges),
		cmocka_unit_test(test_proxy_edges),
		cmocka_unit_test(test_proxy_note),
		cmocka_unit_test(test_form_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
