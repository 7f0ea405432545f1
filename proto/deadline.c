/*
 * deadline: the final report's and the proxy logs' deadlines of an
 * incident, computed from its reports alone (see kairan/deadline.h; the
 * decisions and the seed passages are in node/README.md "Deadlines").
 * Both daemons call these: the node on the reports of its store, the
 * relay on those of its console's view.
 *
 * Every time is written in JST (jst.h); nothing written here comes from a
 * peer except numbers and times, so no string needs text.h.
 */
#include <stdio.h>
#include <string.h>

#include "kairan/deadline.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/message.h"

#define PH_INITIAL	KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL
#define PH_CLOSED	KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED
#define PH_FINAL	KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL
#define PH_WITHDRAWN	KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN

int
deadline_targeted(const IncidentReport *r)
{
	size_t i;

	if (r == NULL)
		return 0;
	/* "標的型攻撃メール" and the like count too. */
	for (i = 0; i < r->n_subtypes; i++)
		if (r->subtypes[i] != NULL &&
		    strstr(r->subtypes[i], DEADLINE_TARGETED) != NULL)
			return 1;
	return 0;
}

void
deadline_final(const struct deadline_report *v, size_t n, int64_t now_ms,
    struct deadline_final *out)
{
	const struct deadline_report *close = NULL, *after = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		if (v[i].phase == PH_WITHDRAWN)
			return;		/* reported in error: nothing is due */
		if (v[i].phase == PH_CLOSED && (close == NULL ||
		    v[i].report_no > close->report_no))
			close = &v[i];
	}
	if (close == NULL)
		return;
	/* What came after the latest 収束宣言: the earliest report. */
	for (i = 0; i < n; i++)
		if (v[i].report_no > close->report_no && (after == NULL ||
		    v[i].report_no < after->report_no))
			after = &v[i];
	out->closed_ms = close->created_ms;
	out->due_ms = close->created_ms + DEADLINE_FINAL_MS;
	if (after != NULL && after->phase == PH_FINAL) {
		out->state = DEADLINE_FINAL_DONE;
		out->final_ms = after->created_ms;
	} else if (after != NULL)
		out->state = DEADLINE_FINAL_NONE;	/* reopened */
	else if (now_ms > out->due_ms)
		out->state = DEADLINE_FINAL_OVERDUE;
	else
		out->state = DEADLINE_FINAL_DUE;
}

void
deadline_proxy(const struct deadline_report *v, size_t n, uint32_t upto,
    int64_t now_ms, struct deadline_proxy *out)
{
	const struct deadline_report *first = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
		if (v[i].report_no == 1)
			first = &v[i];
	if (first == NULL || first->r == NULL || first->phase != PH_INITIAL ||
	    !deadline_targeted(first->r))
		return;
	out->discovered = first->r->discovered_at_ms > 0;
	out->base_ms = out->discovered ? first->r->discovered_at_ms :
	    first->created_ms;
	out->due_ms = out->base_ms + DEADLINE_PROXY_MS;
	for (i = 0; i < n; i++) {
		if (v[i].r == NULL || v[i].r->proxy_logs_checked_at_ms <= 0 ||
		    (upto != 0 && v[i].report_no > upto))
			continue;
		if (out->checked_ms == 0 ||
		    v[i].r->proxy_logs_checked_at_ms < out->checked_ms) {
			out->checked_ms = v[i].r->proxy_logs_checked_at_ms;
			out->checked_in = v[i].report_no;
		}
	}
	if (out->checked_ms == 0) {
		out->state = DEADLINE_PROXY_UNCHECKED;
		out->late = now_ms > out->due_ms;
	} else if (out->checked_ms <= out->due_ms)
		out->state = DEADLINE_PROXY_MET;
	else
		out->state = DEADLINE_PROXY_MISSED;
}

const char *
deadline_proxy_label(enum deadline_proxy_state s)
{
	switch (s) {
	case DEADLINE_PROXY_NONE:
		return "";
	case DEADLINE_PROXY_UNCHECKED:
		return LABEL_PROXY_UNCHECKED;
	case DEADLINE_PROXY_MET:
		return LABEL_PROXY_MET;
	case DEADLINE_PROXY_MISSED:
		return LABEL_PROXY_MISSED;
	default:
		fatalx("%s: state %d", __func__, (int)s);
	}
}

const char *
deadline_proxy_name(enum deadline_proxy_state s)
{
	switch (s) {
	case DEADLINE_PROXY_NONE:
		return "none";
	case DEADLINE_PROXY_UNCHECKED:
		return "unchecked";
	case DEADLINE_PROXY_MET:
		return "met";
	case DEADLINE_PROXY_MISSED:
		return "missed";
	default:
		fatalx("%s: state %d", __func__, (int)s);
	}
}

const char *
deadline_final_name(enum deadline_final_state s)
{
	switch (s) {
	case DEADLINE_FINAL_NONE:
		return "none";
	case DEADLINE_FINAL_DUE:
		return "due";
	case DEADLINE_FINAL_OVERDUE:
		return "overdue";
	case DEADLINE_FINAL_DONE:
		return "done";
	default:
		fatalx("%s: state %d", __func__, (int)s);
	}
}

const char *
deadline_proxy_note(const struct deadline_proxy *d, char *buf, size_t len)
{
	char t[JST_BUFLEN], u[JST_BUFLEN];
	size_t n;

	buf[0] = '\0';
	if (d->state == DEADLINE_PROXY_NONE)
		return buf;
	n = (size_t)snprintf(buf, len, "%s（期限 %s、%s%s）",
	    deadline_proxy_label(d->state), jst_rfc3339(d->due_ms, t),
	    d->discovered ? "発見日時から" : "第1報の時刻から", "6時間以内");
	if (n >= len)
		return buf;
	if (d->checked_ms > 0)
		snprintf(buf + n, len - n, " 確認 %s（第%u報）",
		    jst_rfc3339(d->checked_ms, u), d->checked_in);
	else if (d->late)
		snprintf(buf + n, len - n, " 期限を過ぎています");
	return buf;
}

void
deadline_form_context(const Message *m, const struct deadline_proxy *incident,
    char *note, size_t notelen, struct form_context *ctx)
{
	struct deadline_report one;
	struct deadline_proxy d;

	memset(ctx, 0, sizeof(*ctx));
	if (m == NULL || m->report == NULL)
		return;
	/* The 第1報's own deadline needs nothing but the 第1報. */
	one.report_no = m->report->report_no;
	one.phase = (int)m->report->phase;
	one.created_ms = m->created_at_ms;
	one.r = m->report;
	deadline_proxy(&one, 1, 0, 0, &d);
	if (d.state != DEADLINE_PROXY_NONE)
		ctx->proxy_due_ms = d.due_ms;
	if (incident != NULL && incident->state != DEADLINE_PROXY_NONE &&
	    m->report->report_no > 1)
		ctx->proxy_check = deadline_proxy_note(incident, note, notelen);
}
