/*
 * apiincident: the incidents of the console's API (API.md), from the
 * view: the list, one incident's reports and the receipt matrix (a cell
 * per recipient and report), and one report laid out as the 報告様式.
 *
 *   GET  /api/incidents        the newest VIEW_INCIDENTS_MAX incidents
 *   GET  /api/incidents/ID     its reports and the receipt matrix
 *   GET  /api/reports/ID/form  the 報告様式 (proto/form.c's lines, with
 *                              the proxy-log lines of proto/deadline.c)
 *
 * The cells, the incident and report objects and the lookup of a path's
 * incident are also the drill's (apidrill.c).
 */
#ifndef KAIRAN_RELAY_APIINCIDENT_H
#define KAIRAN_RELAY_APIINCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kairan/deadline.h"
#include "kairan/kairan.h"

#include "apireply.h"
#include "view.h"

struct server;

/*
 * The most reports of one incident a form reads for its proxy-log verdict
 * (the reports numbered up to the one shown; apiincident_form). The relay
 * bounds no incident's number of reports, so the form does; far more than
 * an incident sends (one a few hours at most, for weeks).
 */
#define APIINCIDENT_FORM_REPORTS	256

/*
 * The proxy-log verdict of report id's incident as that report knows it,
 * at now, into out (deadline_proxy over the incident's reports numbered up
 * to it, at most APIINCIDENT_FORM_REPORTS read): what its 報告様式 says, in
 * the console's form and in the mail route's mail alike. The view is
 * refreshed first. A report the view does not have, an incident over the
 * bound or a store that fails give NONE (logged): the form then lacks the
 * verdict. NONE too, silently, on a relay without [console]: its view would
 * be loaded for the mail alone. Never fails.
 */
void	apiincident_proxy(struct server *s, const uint8_t id[KAIRAN_ID_LEN],
	    int64_t now, struct deadline_proxy *out);

/*
 * The cells of every report of an incident: cells[i] for in->reports[i]
 * (each of that report's nrecipients). *out is set even on failure: free
 * it with apiincident_cells_free in both cases. 0, or -1 with err.
 */
int	apiincident_cells(struct server *s, const struct view_incident *in,
	    struct view_cell ***out, char *err, size_t errlen);
void	apiincident_cells_free(const struct view_incident *in,
	    struct view_cell **cells);

/* The incident as the list shows it (API.md "GET /api/incidents"). */
json_t	*apiincident_json(struct server *s, const struct view_incident *in,
	    struct view_cell **cells);

/* One report: id, report_no, label, at, status, level. */
json_t	*apiincident_report_json(const struct view_report *r);

/*
 * The incident of the id hex (len bytes of a path), the view refreshed;
 * or NULL with a 400 or 404 in rp and *rc what the endpoint returns.
 */
struct view_incident *apiincident_find(struct server *s,
	    const struct api_call *c, struct api_reply *rp, const char *hex,
	    size_t len, int *rc);

/* GET /api/incidents, /api/incidents/ID, /api/reports/ID/form (api_handle). */
int	apiincident_list(struct server *s, const struct api_call *c,
	    struct api_reply *rp);
int	apiincident_get(struct server *s, const struct api_call *c,
	    struct api_reply *rp, const char *hex, size_t len);
int	apiincident_form(struct server *s, const struct api_call *c,
	    struct api_reply *rp, const char *hex, size_t len);

#endif
