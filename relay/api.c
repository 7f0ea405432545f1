/*
 * api: the console's JSON API (see api.h and relay/API.md): the routes,
 * the region's nodes, the geometry, and the view's start and stop.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "api.h"
#include "apiadvisory.h"
#include "apiconfirm.h"
#include "apidrill.h"
#include "apiincident.h"
#include "apioverdue.h"
#include "apireply.h"
#include "config.h"
#include "events.h"
#include "relay.h"
#include "view.h"

/* GET /api/nodes */
static int
get_nodes(struct server *s, const struct api_call *c, struct api_reply *rp)
{
	const struct config *cfg = s->cfg;
	json_t *root, *nodes, *serves;
	size_t i, n = directory_count(s->dir);
	int64_t now = message_now_ms();

	(void)c;
	if ((root = json_object()) == NULL)
		return -1;
	if ((nodes = json_array()) == NULL || json_object_set_new(root,
	    "nodes", nodes) == -1 || (serves = json_array()) == NULL ||
	    json_object_set_new(root, "relay", json_pack("{s:s, s:o}", "id",
	    cfg->id, "serves", serves)) == -1)
		goto nomem;
	for (i = 0; i < cfg->nserve; i++)
		if (json_array_append_new(serves, json_string(cfg->serve[i])) ==
		    -1)
			goto nomem;
	if (cfg->serve_national && json_array_append_new(serves,
	    json_string("national")) == -1)
		goto nomem;
	for (i = 0; i < n; i++) {
		const struct dir_entity *e = directory_at(s->dir, i);
		const struct events_seen *seen;
		const struct peer *p;
		json_t *node, *conns;
		unsigned k;

		/* a body without a node is mailed (mailroute.h), not a node */
		if (!config_serves(cfg, e->id, e->pref) || !e->node)
			continue;
		seen = events_seen(s, e->id);
		if ((conns = json_array()) == NULL)
			goto nomem;
		for (p = s->peers; seen != NULL && seen->nconn > 0 && p != NULL;
		    p = p->next) {
			int64_t since = seen->connected_at;

			if (p->link != -1 || (p->state != PEER_OPEN &&
			    p->state != PEER_READY) ||
			    strcmp(p->who.entity, e->id) != 0)
				continue;
			for (k = 0; k < seen->nconn && k < EVENTS_CONNS_MAX;
			    k++)
				if (seen->conns[k].peer == p)
					since = seen->conns[k].since;
			if (json_array_append_new(conns, json_pack("{s:s, s:I}",
			    "address", p->addr, "since", (json_int_t)since)) ==
			    -1) {
				json_decref(conns);
				goto nomem;
			}
		}
		if (json_array_size(conns) > 0)
			node = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}",
			    "id", e->id, "name", e->name, "kind",
			    directory_kind_name(e->kind), "state", "connected",
			    "since", (json_int_t)seen->connected_at, "last_seen",
			    (json_int_t)now, "connections", conns);
		else if (seen != NULL && (seen->disconnected_at > 0 ||
		    seen->connected_at > 0)) {
			int64_t t = seen->disconnected_at > 0 ?
			    seen->disconnected_at : seen->connected_at;

			node = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}",
			    "id", e->id, "name", e->name, "kind",
			    directory_kind_name(e->kind), "state", "offline",
			    "since", (json_int_t)t, "last_seen", (json_int_t)t,
			    "connections", conns);
		} else
			node = json_pack("{s:s, s:s, s:s, s:s, s:n, s:n, s:o}",
			    "id", e->id, "name", e->name, "kind",
			    directory_kind_name(e->kind), "state", "never",
			    "since", "last_seen", "connections", conns);
		if (json_array_append_new(nodes, node) == -1)
			goto nomem;
	}
	return apireply_json(rp, 200, root);
nomem:
	json_decref(root);
	return -1;
}

/* GET /api/geometry: the file as it is. */
static int
get_geometry(struct server *s, const struct api_call *c,
    struct api_reply *rp)
{
	const char *path = s->cfg->console_geometry;
	struct stat sb;
	FILE *fp;
	char *data;
	size_t n;

	if (path == NULL)
		return apireply_error(rp, 404, "geometry: none configured "
		    "([console] geometry)");
	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &sb) == -1 ||
	    !S_ISREG(sb.st_mode) || sb.st_size > API_GEOMETRY_MAX) {
		char e[256];

		snprintf(e, sizeof(e), "%s: %s", path, fp == NULL ?
		    strerror(errno) : "not a file of at most 8 MiB");
		if (fp != NULL)
			fclose(fp);
		log_warnx("api geometry path=%s addr=%s error=%s",
		    log_str(c->path), log_str(c->address), log_str(e));
		return apireply_error(rp, 500, "geometry: the file cannot be "
		    "read");
	}
	if ((data = malloc((size_t)sb.st_size + 1)) == NULL) {
		fclose(fp);
		return -1;
	}
	n = fread(data, 1, (size_t)sb.st_size, fp);
	fclose(fp);
	rp->status = 200;
	rp->content_type = APIREPLY_JSON_TYPE;
	rp->body = data;
	rp->bodylen = n;
	return 0;
}

/* Whether path is prefix + 32 hex + suffix: the hex's start, else NULL. */
static const char *
path_id(const char *path, const char *prefix, const char *suffix,
    size_t *len)
{
	size_t n = strlen(path), p = strlen(prefix), sfx = strlen(suffix);

	if (n <= p + sfx || strncmp(path, prefix, p) != 0 ||
	    strcmp(path + n - sfx, suffix) != 0)
		return NULL;
	*len = n - p - sfx;
	if (memchr(path + p, '/', *len) != NULL)
		return NULL;
	return path + p;
}

int
api_handle(struct server *s, const struct api_call *c, struct api_reply *rp)
{
	int get = strcmp(c->method, "GET") == 0;
	int post = strcmp(c->method, "POST") == 0;
	const char *id;
	size_t len;

	memset(rp, 0, sizeof(*rp));
	if (s->view == NULL)
		return apireply_error(rp, 503, "the console's view is not "
		    "open");
	if (strcmp(c->path, "/api/confirm") == 0)
		return post ? apiconfirm_post(s, c, rp) : apireply_error(rp,
		    405, "POST only");
	if (!get)
		return apireply_error(rp, post ? 405 : 405, "GET only");
	if (strcmp(c->path, "/api/nodes") == 0)
		return get_nodes(s, c, rp);
	if (strcmp(c->path, "/api/incidents") == 0)
		return apiincident_list(s, c, rp);
	if (strcmp(c->path, "/api/overdue") == 0)
		return apioverdue_get(s, c, rp);
	if (strcmp(c->path, "/api/advisories") == 0)
		return apiadvisory_list(s, c, rp);
	if ((id = path_id(c->path, "/api/advisories/", "", &len)) != NULL)
		return apiadvisory_get(s, c, rp, id, len);
	if (strcmp(c->path, "/api/geometry") == 0)
		return get_geometry(s, c, rp);
	if ((id = path_id(c->path, "/api/incidents/", "", &len)) != NULL)
		return apiincident_get(s, c, rp, id, len);
	if ((id = path_id(c->path, "/api/drill/", ".csv", &len)) != NULL)
		return apidrill_get(s, c, rp, id, len, 1);
	if ((id = path_id(c->path, "/api/drill/", "", &len)) != NULL)
		return apidrill_get(s, c, rp, id, len, 0);
	if ((id = path_id(c->path, "/api/reports/", "/form", &len)) != NULL)
		return apiincident_form(s, c, rp, id, len);
	return apireply_error(rp, 404, "no such endpoint");
}

int
api_start(struct server *s)
{
	char err[512];

	if ((s->view = view_open(s->cfg->db, err, sizeof(err))) == NULL) {
		log_warnx("console view: %s", log_str(err));
		return -1;
	}
	return events_start(s);
}

void
api_stop(struct server *s)
{
	events_stop(s);
}

void
api_free(struct server *s)
{
	events_free(s);
	view_close(s->view);
	s->view = NULL;
}

int
api_check(const struct config *cfg, char *err, size_t errlen)
{
	struct stat sb;
	FILE *fp;

	if (cfg->console_geometry == NULL)
		return 0;
	if ((fp = fopen(cfg->console_geometry, "rb")) == NULL) {
		snprintf(err, errlen, "[console] geometry %s: %s",
		    cfg->console_geometry, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > API_GEOMETRY_MAX) {
		snprintf(err, errlen, "[console] geometry %s: not a file of at "
		    "most 8 MiB", cfg->console_geometry);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}
