/*
 * report: the incident report as people write it (JSON, UTF-8, Japanese
 * first) and as the wire carries it (IncidentReport). Used by the node's
 * command line: `send`/`update` read a report file, `show --json` and
 * `inbox --json` print reports back, `template` prints an empty one.
 * node/REPORT.md documents the format for the person who writes it.
 *
 * JSON format (every key optional unless marked; unknown keys are errors):
 *   title (string), category* ("system_outage" | "cyber_attack" |
 *   "theft_loss" | "other"), subtypes ([string]), level* (0..3),
 *   occurred_at / discovered_at (RFC 3339 with offset, e.g.
 *   "2026-11-22T09:30:00+09:00"), location, summary*, affected_services
 *   ([string]), affected_systems ([string]), cause, damage,
 *   records_affected (integer >= 0), is_incident ("undetermined" |
 *   "incident" | "not_incident"), response, prevention, external_response,
 *   other, contact ({name, organization, phone, after_hours_phone, fax,
 *   email, hours}), attachments ([{name*, media_type*, path* (relative to
 *   the JSON file) | data_base64*}]).
 * 報告様式1 (issue 11): author ({name, role}), detection ({method:
 *   "detected" | "found" | "notified", by, detail}), service_overview,
 *   service_impact, system_overview, suspected_act, damage_scale,
 *   leaked_info, initial_response (texts), recovery ({measures, status,
 *   outlook, cost_yen (integer >= 0)}), press_release / residents /
 *   government / agencies ({state: "undecided" | "planned" | "done" |
 *   "not_needed", at (RFC 3339), note}), publication ({decision:
 *   "undecided" | "publish" | "no_publish", approved_by}).
 * incident_id, report_no and phase are set by the command line, not the file.
 *
 * report.c reads and writes the top-level keys; the file itself is read by
 * jsonfile.c, each value by field.c, contact by contact.c, attachments by
 * attachment.c and the 報告様式1 items by reportform.c. Advisories are
 * advisory.h.
 */
#ifndef KAIRAN_NODE_REPORT_H
#define KAIRAN_NODE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kairan/message.h"

/*
 * Reads and validates a report JSON file: UTF-8 (a byte order mark is
 * skipped), then JSON. "cannot open r.json: Permission denied" if the file
 * cannot be read, "r.json: not UTF-8 (line 3): save it as UTF-8" for a
 * Shift_JIS file, before any JSON parsing. Returns a heap IncidentReport
 * (free with report_free) with incident_id empty, report_no 0, phase
 * unspecified, or NULL with err naming the field ("report.level: must be an
 * integer 0..3, got \"high\""; "report.summary: missing";
 * "file.json:3:7: JSON syntax error: ..."). Nothing is written anywhere.
 */
IncidentReport	*report_from_file(const char *path, char *err, size_t errlen);
/* The same from a parsed JSON object; base_dir resolves attachment paths (NULL = cwd). */
IncidentReport	*report_from_json(const json_t *obj, const char *base_dir,
		    char *err, size_t errlen);
void		 report_free(IncidentReport *);	/* NULL is a no-op */

/*
 * The report as a JSON object in the same format: every key present
 * (empty strings and lists as such, unknown times and a missing contact as null, times in JST
 * "+09:00"), attachments as {name, media_type, sha256 (hex), size}. New
 * reference, or NULL if r is NULL.
 */
json_t		*report_to_json(const IncidentReport *);

/*
 * The empty report people fill in (`kairan-node template`): every key, in
 * the order of the form, strings empty, lists empty, level, times and
 * records_affected null, category "other", is_incident "undetermined".
 * Once summary and level are set, report_from_json accepts it. New
 * reference, or NULL if out of memory.
 */
json_t		*report_template(void);

/*
 * The items 1-5 of 報告様式1 that r leaves empty, which the 記入要領 asks
 * to know at triage (「トリアージの段階で、第1項～第5項までは、極力把握し
 * 報告できるようにしておく」), as "1(2) 発生日時、2(1) サービスの概要…"
 * into buf (truncated to len). Returns how many; 0 leaves buf "".
 */
size_t		 report_triage_missing(const IncidentReport *r, char *buf,
		    size_t len);

#endif
