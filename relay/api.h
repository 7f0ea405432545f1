/*
 * api: the console's JSON API behind the login (relay/API.md): every
 * endpoint but /login, /logout and /api/session (the login's), for a
 * request httpd.c has bounded and the gate has let through.
 *
 *   GET  /api/nodes            the region: each entity served, its state
 *   GET  /api/incidents        the newest VIEW_INCIDENTS_MAX incidents
 *   GET  /api/incidents/ID     its reports and the receipt matrix
 *   GET  /api/overdue          past the deadline, not acknowledged
 *   POST /api/confirm          a phone confirmation (store_confirm_add)
 *   GET  /api/reports/ID/form  the 報告様式 (proto/form.c's lines)
 *   GET  /api/advisories[/ID]  advisories, apart from the incidents
 *   GET  /api/drill/ID[.csv]   訓練の結果, JSON or CSV (UTF-8, BOM)
 *   GET  /api/geometry         [console] geometry, as it is
 *
 * api.c routes each to its module (nodes and geometry are its own):
 * apiincident.c (incidents, the matrix, the form), apioverdue.c,
 * apiconfirm.c, apiadvisory.c, apidrill.c; what their answers are made
 * of, and struct api_call and api_reply, is apireply.h.
 *
 * Every input is checked before anything is read or written: ids of 32
 * lower-case hex digits, entity ids the directory knows, names and notes
 * of valid UTF-8 within their lengths, no JSON key the endpoint does not
 * know; a refusal is 400 {"error": "FIELD: what is wrong"} and changes
 * nothing. Reads go through the view's read-only connection (view.h);
 * the one write, a confirmation, through the store's writer.
 */
#ifndef KAIRAN_RELAY_API_H
#define KAIRAN_RELAY_API_H

#include <stddef.h>

#include "apireply.h"

#define API_GEOMETRY_MAX	(8 * 1024 * 1024)	/* bytes */

struct server;
struct config;

/*
 * Answers call into reply. Returns 0 (reply filled, errors included as
 * {"error": ...} with their 4xx or 5xx), -1 only when out of memory
 * (reply->body NULL then).
 */
int	api_handle(struct server *, const struct api_call *, struct api_reply *);

/*
 * At start, after the store is open: the view's connection and the live
 * side (events_start). 0, or -1 after logging why. api_stop at stop
 * (events_stop: last seen written); api_free after the lws context.
 */
int	api_start(struct server *);
void	api_stop(struct server *);
void	api_free(struct server *);

/* For -n: [console] geometry, if set, is a readable file of at most 8 MiB. */
int	api_check(const struct config *, char *err, size_t errlen);

#endif
