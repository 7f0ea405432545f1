/*
 * incident: the phases of an incident of ours and the one function that
 * moves between them (see incident.h for the table).
 */
#include <stdio.h>
#include <string.h>

#include "kairan/jst.h"
#include "kairan/kairan.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "incident.h"

const char *
incident_phase_name(enum incident_phase p)
{
	switch (p) {
	case INCIDENT_NONE:
		return "none";
	case INCIDENT_INITIAL:
		return "initial";
	case INCIDENT_UPDATE:
		return "update";
	case INCIDENT_CLOSED:
		return "closed";
	case INCIDENT_FINAL:
		return "final";
	case INCIDENT_WITHDRAWN:
		return "withdrawn";
	default:
		fatalx("%s: phase %d", __func__, (int)p);
	}
}

/* The words are labels.c's, so that every surface says the same. */
const char *
incident_phase_ja(enum incident_phase p)
{
	if (p == INCIDENT_NONE)
		return "";
	return label_phase(incident_phase_to_proto(p));
}

void
incident_withdrawn_banner(FILE *fp, int64_t at_ms, const char *reason)
{
	char t[JST_BUFLEN];

	fprintf(fp, "*** %s (withdrawn) %s: ", LABEL_WITHDRAWN,
	    jst_rfc3339(at_ms, t));
	(void)text_fputs(reason != NULL ? reason : "", 0, fp);
	fputs(" ***\n", fp);
}

enum incident_phase
incident_phase_from_proto(int p)
{
	switch (p) {
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL:
		return INCIDENT_INITIAL;
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE:
		return INCIDENT_UPDATE;
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED:
		return INCIDENT_CLOSED;
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL:
		return INCIDENT_FINAL;
	case KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN:
		return INCIDENT_WITHDRAWN;
	default:
		/* Wire input: validated messages never get here. */
		return INCIDENT_NONE;
	}
}

int
incident_phase_to_proto(enum incident_phase p)
{
	switch (p) {
	case INCIDENT_INITIAL:
		return KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	case INCIDENT_UPDATE:
		return KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE;
	case INCIDENT_CLOSED:
		return KAIRAN__V1__INCIDENT_REPORT__PHASE__CLOSED;
	case INCIDENT_FINAL:
		return KAIRAN__V1__INCIDENT_REPORT__PHASE__FINAL;
	case INCIDENT_WITHDRAWN:
		return KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN;
	case INCIDENT_NONE:
	default:
		fatalx("%s: phase %d", __func__, (int)p);
	}
}

int
incident_transition(const char *inc, enum incident_phase old,
    enum incident_phase new, int reopen, char *err, size_t errlen)
{
	int ok = 0;

	switch (new) {
	case INCIDENT_INITIAL:
		ok = old == INCIDENT_NONE;
		break;
	case INCIDENT_UPDATE:
	case INCIDENT_CLOSED:
		ok = old == INCIDENT_INITIAL || old == INCIDENT_UPDATE ||
		    (reopen && (old == INCIDENT_CLOSED ||
		    old == INCIDENT_FINAL));
		break;
	case INCIDENT_FINAL:
		ok = old == INCIDENT_CLOSED;
		break;
	case INCIDENT_WITHDRAWN:
		ok = old != INCIDENT_NONE && old != INCIDENT_WITHDRAWN;
		break;
	case INCIDENT_NONE:
	default:
		fatalx("%s: phase %d", __func__, (int)new);
	}
	if (ok) {
		log_debug("incident=%s %s -> %s%s", inc,
		    incident_phase_name(old), incident_phase_name(new),
		    reopen ? " reopen" : "");
		return 0;
	}
	switch (old) {
	case INCIDENT_NONE:
		snprintf(err, errlen, "incident %s: no report of ours yet",
		    inc);
		break;
	case INCIDENT_WITHDRAWN:
		snprintf(err, errlen, "incident %s was withdrawn (取消): "
		    "nothing can follow a withdrawal", inc);
		break;
	case INCIDENT_CLOSED:
	case INCIDENT_FINAL:
		snprintf(err, errlen, "incident %s was declared over (%s): "
		    "use --reopen to report on it again", inc,
		    incident_phase_ja(old));
		break;
	case INCIDENT_INITIAL:
	case INCIDENT_UPDATE:
		if (new == INCIDENT_FINAL)
			snprintf(err, errlen, "incident %s: the final report "
			    "(最終報告) follows the declaration that it is "
			    "over (収束宣言): close it first", inc);
		else
			snprintf(err, errlen, "incident %s: %s after %s is "
			    "not a step of an incident", inc,
			    incident_phase_ja(new), incident_phase_ja(old));
		break;
	default:
		fatalx("%s: phase %d", __func__, (int)old);
	}
	log_debug("incident=%s %s -> %s refused", inc,
	    incident_phase_name(old), incident_phase_name(new));
	return -1;
}

/* 1 if s[0..len) is "第" digits "報". */
static int
is_report_no(const char *s, size_t len)
{
	static const char dai[] = "第", ho[] = "報";
	size_t i, a = sizeof(dai) - 1, b = sizeof(ho) - 1;

	if (len <= a + b || memcmp(s, dai, a) != 0 ||
	    memcmp(s + len - b, ho, b) != 0)
		return 0;
	for (i = a; i < len - b; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

void
incident_title_clean(char *s)
{
	static const char *const pairs[][2] = {
		{ "（", "）" }, { "(", ")" }, { "【", "】" }, { "［", "］" },
		{ "[", "]" },
	};
	size_t len, i, o, c, j;

	if (s == NULL)
		return;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		o = strlen(pairs[i][0]);
		c = strlen(pairs[i][1]);
		if (len < o + c || memcmp(s + len - c, pairs[i][1], c) != 0)
			continue;
		/* the opening bracket nearest to the end */
		for (j = len - c; j-- > 0;)
			if (j + o <= len - c && memcmp(s + j, pairs[i][0], o) ==
			    0)
				break;
		if (j == (size_t)-1 || !is_report_no(s + j + o,
		    len - c - j - o))
			continue;
		len = j;
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		/* "　" (U+3000) before the bracket goes too */
		while (len >= 3 && memcmp(s + len - 3, "\xe3\x80\x80", 3) == 0)
			len -= 3;
		s[len] = '\0';
		return;
	}
}
