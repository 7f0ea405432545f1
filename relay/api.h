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
 *   GET  /api/drill/ID[.csv]   訓練の結果, JSON or CSV (UTF-8, BOM)
 *   GET  /api/geometry         [console] geometry, as it is
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
#include <stdint.h>

#define API_NAME_MAX		64	/* characters of a confirmation's name */
#define API_NOTE_MAX		500	/* ... of its note */
#define API_GEOMETRY_MAX	(8 * 1024 * 1024)	/* bytes */

struct server;
struct config;

struct api_call {
	const char	*method;	/* "GET" | "POST" */
	const char	*path;		/* "/api/nodes", no query */
	const char	*query;		/* after '?', or "" */
	const uint8_t	*body;		/* POST, bounded by HTTPD_BODY_MAX */
	size_t		 bodylen;
	const char	*operator;	/* authenticated name */
	const char	*address;	/* client, for the log */
};

struct api_reply {
	unsigned	 status;
	const char	*content_type;	/* static */
	char		*body;		/* malloc'd; the caller frees */
	size_t		 bodylen;
	char		 disposition[128];	/* "" or a Content-Disposition */
};

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
