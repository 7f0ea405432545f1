/*
 * incident: the life of one incident of ours, in one place. Each report
 * (第N報) moves the incident from the phase of its latest report to the
 * phase of the new one:
 *
 *   NONE -> INITIAL (send, 第1報)
 *   INITIAL, UPDATE -> UPDATE (update, 続報) | CLOSED (close, 収束宣言)
 *   CLOSED -> FINAL (final, 最終報告)
 *   CLOSED, FINAL -> UPDATE | CLOSED (update, close with --reopen only)
 *   any but WITHDRAWN -> WITHDRAWN (withdraw, 取消)
 *   WITHDRAWN -> nothing: a withdrawn incident is over for good.
 *
 * The report number is not decided here: store_outbox_report takes it in
 * the same write transaction as the outbox row (see store_outbox.h), and
 * calls back into incident_transition with the phase it read there.
 *
 * The deadlines that follow from the phases (最終報告 30 days after the
 * 収束宣言, the proxy logs of a 標的型攻撃 第1報 within 6 hours of
 * discovery) are computed from the stored reports by deadline.h.
 */
#ifndef KAIRAN_NODE_INCIDENT_H
#define KAIRAN_NODE_INCIDENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum incident_phase {
	INCIDENT_NONE,		/* no report yet */
	INCIDENT_INITIAL,	/* 第1報 */
	INCIDENT_UPDATE,	/* 続報 */
	INCIDENT_CLOSED,	/* 収束宣言 */
	INCIDENT_FINAL,		/* 最終報告 */
	INCIDENT_WITHDRAWN,	/* 取消 */
};

/* "none", "initial", ... (for logs). */
const char		*incident_phase_name(enum incident_phase);
/* 第1報, 続報, 収束宣言, 最終報告, 取消 ("" for NONE): label_phase's. */
const char		*incident_phase_ja(enum incident_phase);
/* From / to IncidentReport.phase; an unknown wire value is NONE. */
enum incident_phase	 incident_phase_from_proto(int);
int			 incident_phase_to_proto(enum incident_phase);

/*
 * The one place an incident changes phase: checks old -> new against the
 * table above (reopen allows the --reopen edges) and logs it at debug
 * level with the incident (hex). Returns 0, or -1 with err saying why not
 * and what to do ("incident X was declared over (収束宣言): use --reopen
 * to report on it again").
 */
int	incident_transition(const char *incident, enum incident_phase old,
	    enum incident_phase new, int reopen, char *err, size_t errlen);

/*
 * The line that stands above everything else about a withdrawn incident
 * on every surface of the command line (inbox, show, show --form,
 * status): "*** 取消 (withdrawn) T: REASON ***\n", T in JST (RFC 3339),
 * REASON escaped on one line (text.h): it comes from the sender's
 * report.
 */
void	incident_withdrawn_banner(FILE *, int64_t at_ms, const char *reason);

/*
 * A title without a trailing report number that an earlier report put
 * into it (「（第2報）」, "(第2報)", "【第2報】"): the number of a report is
 * report_no, shown beside the title by every surface. Cuts s in place.
 */
void	incident_title_clean(char *s);

#endif
