/*
 * apireply: what every endpoint of the console's API (api.h) answers
 * with. The call and the reply, the JSON body, a refusal naming the field,
 * the 500 when the store or the view failed; the view refreshed before a
 * read; the ids of paths and bodies; and the values every endpoint spells
 * the same way (times, strings, status and state words, 第N報, names, a
 * phone confirmation), so that a cell reads alike in every answer.
 *
 * The endpoints (apiincident.c, apidrill.c, apioverdue.c, apiconfirm.c,
 * apiadvisory.c) include this header, never api.h: api.c routes to them.
 */
#ifndef KAIRAN_RELAY_APIREPLY_H
#define KAIRAN_RELAY_APIREPLY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kairan/kairan.h"

#include "view.h"

#define APIREPLY_JSON_TYPE	"application/json; charset=utf-8"

struct server;

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
 * Fills rp with j, compacted, and status; takes j (NULL: out of memory).
 * 0, or -1 (out of memory: rp->body NULL).
 */
int	apireply_json(struct api_reply *rp, unsigned status, json_t *j);

/*
 * {"error": "…"} with status; the text must be UTF-8 (it is ours or
 * checked), else it becomes "bad request". 0, or -1 as apireply_json.
 */
int	apireply_error(struct api_reply *rp, unsigned status, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/* The store or the view failed: err logged with the path, a 500. */
int	apireply_internal(struct api_reply *rp, const struct api_call *c,
	    const char *err);

/*
 * The view brought up to date before a read. 0, or -1 with rp filled by
 * apireply_internal (rp->body NULL if that ran out of memory too): the
 * endpoint returns rp->body != NULL ? 0 : -1.
 */
int	apireply_refresh(struct server *s, const struct api_call *c,
	    struct api_reply *rp);

/* Parses 32 lower-case hex digits (the API's ids). 0, or -1. */
int	apireply_parse_id(const char *hex, size_t len,
	    uint8_t id[KAIRAN_ID_LEN]);

/*
 * The id of a path (hex, len bytes) into id, then the view refreshed,
 * before an endpoint looks it up: 0; or -1 with rp filled (400 "FIELD:
 * expected 32 lower-case hex digits", or apireply_refresh's 500) and *rc
 * what the endpoint returns.
 */
int	apireply_path_id(struct server *s, const struct api_call *c,
	    struct api_reply *rp, const char *field, const char *hex,
	    size_t len, uint8_t id[KAIRAN_ID_LEN], int *rc);

/* A time in ms, or null for 0 (new reference). */
json_t	*apireply_time(int64_t ms);

/* s as a JSON string, or null when NULL or not UTF-8 (new reference). */
json_t	*apireply_str(const char *s);

/* A Message.status as a word: "real", "exercise", "test" (static). */
const char *apireply_status(int status);

/* A cell's state as a word: "pending", "held", … "done" (static). */
const char *apireply_state(enum view_state st);

/* 第N報, or the phase's word for 収束宣言, 最終報告 and 取消 (labels.h). */
void	apireply_label(const struct view_report *r, char *buf,
	    size_t len);

/* The directory's name of an entity, else its id. */
const char *apireply_name(struct server *s, const char *id);

/*
 * The latest phone confirmation an operator recorded in this relay's
 * console, or null (new reference; see apireply.c).
 */
json_t	*apireply_confirmation(struct server *s, const struct view_cell *c);

#endif
