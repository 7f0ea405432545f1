/*
 * reportform: the items of 報告様式1 that issue 11 added to the report
 * (node/REPORT.md): author (差出人), detection (検知・発見・通報),
 * service_overview, service_impact, system_overview, suspected_act,
 * damage_scale, leaked_info, initial_response, recovery (復旧措置), the
 * four channels of item 8 (press_release, residents, government,
 * agencies) and publication (公表の有無); JSON <-> IncidentReport. A
 * sub-object with nothing filled in (the template's) is none. report.c
 * reads and writes the rest of the report around them.
 */
#ifndef KAIRAN_NODE_REPORTFORM_H
#define KAIRAN_NODE_REPORTFORM_H

#include <stddef.h>

#include <jansson.h>

#include "kairan/message.h"

/*
 * Those keys of the report object obj (already checked as a report's)
 * into r. 0, or -1 with err naming the field ("report.detection.method:
 * must be one of …"); on -1 r holds what was read, for report_free.
 */
int	reportform_from_json(const json_t *obj, IncidentReport *r, char *err,
	    size_t errlen);
/* Those keys of r set on o, in the form's order; a sub-object r lacks null. */
void	reportform_to_json(json_t *o, const IncidentReport *r);
/* The same keys, empty, set on o (the template). */
void	reportform_template(json_t *o);

#endif
