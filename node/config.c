/*
 * config: reads the node's INI file with libinih and checks every key.
 *
 * libinih does not tell its handler the line number, so the file is fed
 * through our own reader, which counts lines and notices section headers
 * (an empty [route x] section must be an error too, and the handler never
 * hears of sections without keys).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "kairan/conf.h"
#include "kairan/entity.h"
#include "kairan/log.h"

#include "config.h"

static const char *const config_keys[CK_NKEYS] = {
	"id", "db", "cert", "key", "ca", "crl", "directory", "max_frame",
	"log_level",
};

struct parse {
	FILE		*fp;
	struct config	*cfg;
	int		 lineno;
	int		 err_line;		/* 0: no error yet */
	char		 err[512];
	int		 seen_node;
	struct config_route *cur_route;		/* NULL: not in a route */
	int		 in_node;
	int		 in_unknown;
};

static void parse_error(struct parse *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error only: later ones are often consequences. */
static void
parse_error(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	if (p->err_line != 0)
		return;
	p->err_line = line > 0 ? line : 1;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

static int
route_name_valid(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return 0;
	return n > 0 && n < CONFIG_ROUTE_NAME_MAX;
}

/* A section header at the current line: "[node]" or "[route NAME]". */
static void
section_start(struct parse *p, const char *name)
{
	struct config *cfg = p->cfg;
	const char *rn;
	size_t i;

	p->cur_route = NULL;
	p->in_node = 0;
	p->in_unknown = 0;
	if (strcmp(name, "node") == 0) {
		if (p->seen_node)
			parse_error(p, p->lineno, "duplicate section [node]");
		p->seen_node = 1;
		p->in_node = 1;
		cfg->node_line = p->lineno;
		return;
	}
	if (strncmp(name, "route", 5) == 0 &&
	    (name[5] == ' ' || name[5] == '\t')) {
		rn = name + 5;
		while (*rn == ' ' || *rn == '\t')
			rn++;
		if (!route_name_valid(rn)) {
			parse_error(p, p->lineno, "[route %s]: route name must "
			    "be 1-%d letters, digits, '-', '_' or '.'", rn,
			    CONFIG_ROUTE_NAME_MAX - 1);
			p->in_unknown = 1;
			return;
		}
		for (i = 0; i < cfg->nroutes; i++)
			if (strcmp(cfg->routes[i].name, rn) == 0) {
				parse_error(p, p->lineno,
				    "duplicate section [route %s]", rn);
				p->in_unknown = 1;
				return;
			}
		if (cfg->nroutes == CONFIG_MAX_ROUTES) {
			parse_error(p, p->lineno, "more than %d routes",
			    CONFIG_MAX_ROUTES);
			p->in_unknown = 1;
			return;
		}
		p->cur_route = &cfg->routes[cfg->nroutes++];
		snprintf(p->cur_route->name, sizeof(p->cur_route->name), "%s",
		    rn);
		p->cur_route->line = p->lineno;
		return;
	}
	if (strcmp(name, "route") == 0)
		parse_error(p, p->lineno, "[route]: a route needs a name: "
		    "[route NAME]");
	else
		parse_error(p, p->lineno, "unknown section [%s] (expected "
		    "[node] or [route NAME])", name);
	p->in_unknown = 1;
}

/* fgets for libinih that counts lines and spots section headers. */
static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char name[256], *s, *e;
	size_t len;

	if (fgets(str, num, p->fp) == NULL)
		return NULL;
	len = strlen(str);
	/* A line longer than libinih's buffer would be split silently. */
	if (len > 0 && str[len - 1] != '\n' && !feof(p->fp)) {
		parse_error(p, p->lineno + 1, "line too long (max %d bytes)",
		    num - 2);
		while (len > 0 && str[len - 1] != '\n' &&
		    fgets(str, num, p->fp) != NULL)
			len = strlen(str);
		str[0] = '\0';
	}
	p->lineno++;
	s = str;
	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '[') {
		s++;
		e = strchr(s, ']');
		if (e == NULL)
			return str;	/* libinih reports it */
		len = (size_t)(e - s);
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, s, len);
		name[len] = '\0';
		/* trim */
		s = name;
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		section_start(p, s);
	}
	return str;
}

static int
set_path(struct parse *p, char **dst, const char *key, const char *value)
{
	if (*value == '\0') {
		parse_error(p, p->lineno, "%s: empty path", key);
		return 0;
	}
	free(*dst);
	if ((*dst = conf_path(p->cfg->file, value)) == NULL) {
		parse_error(p, p->lineno, "%s: cannot resolve path \"%s\"",
		    key, value);
		return 0;
	}
	return 1;
}

static int
node_key(struct parse *p, const char *name, const char *value)
{
	struct config *cfg = p->cfg;
	char e[256];
	uint64_t sz;
	int k;

	for (k = 0; k < CK_NKEYS; k++)
		if (strcmp(name, config_keys[k]) == 0)
			break;
	if (k == CK_NKEYS) {
		parse_error(p, p->lineno, "[node]: unknown key \"%s\"", name);
		return 0;
	}
	if (cfg->line[k] != 0) {
		parse_error(p, p->lineno, "%s: duplicate key (first at line "
		    "%d)", name, cfg->line[k]);
		return 0;
	}
	cfg->line[k] = p->lineno;
	switch (k) {
	case CK_ID:
		if (!entity_valid(value, e, sizeof(e))) {
			parse_error(p, p->lineno, "id: \"%s\" is not an entity "
			    "id: %s", value, e);
			return 0;
		}
		snprintf(cfg->id, sizeof(cfg->id), "%s", value);
		return 1;
	case CK_DB:
		return set_path(p, &cfg->db, name, value);
	case CK_CERT:
		return set_path(p, &cfg->cert, name, value);
	case CK_KEY:
		return set_path(p, &cfg->key, name, value);
	case CK_CA:
		return set_path(p, &cfg->ca, name, value);
	case CK_CRL:
		return set_path(p, &cfg->crl, name, value);
	case CK_DIRECTORY:
		return set_path(p, &cfg->directory, name, value);
	case CK_MAX_FRAME:
		if (conf_size(value, 4096, 64ULL * 1024 * 1024, &sz, e,
		    sizeof(e)) == -1) {
			parse_error(p, p->lineno, "max_frame: %s", e);
			return 0;
		}
		cfg->max_frame = (size_t)sz;
		return 1;
	case CK_LOG_LEVEL:
		if (strcmp(value, "warning") == 0)
			cfg->log_level = -1;
		else if (strcmp(value, "info") == 0)
			cfg->log_level = 0;
		else if (strcmp(value, "debug") == 0)
			cfg->log_level = 1;
		else {
			parse_error(p, p->lineno, "log_level: expected "
			    "warning, info or debug, got \"%s\"", value);
			return 0;
		}
		return 1;
	default:
		fatalx("%s: key %d", __func__, k);
	}
}

int
config_parse_url(const char *url, struct config_route *r, char *err,
    size_t errlen)
{
	const char *h, *hend, *p, *path;
	char port[8];
	size_t hl, pl;
	long v;
	char *end;

	if (strncmp(url, "wss://", 6) != 0) {
		snprintf(err, errlen, "url: \"%s\": must begin with wss:// "
		    "(TLS is required)", url);
		return -1;
	}
	h = url + 6;
	path = strchr(h, '/');
	if (path == NULL)
		path = h + strlen(h);
	if (*h == '[') {
		hend = memchr(h, ']', (size_t)(path - h));
		if (hend == NULL) {
			snprintf(err, errlen, "url: \"%s\": missing ']'", url);
			return -1;
		}
		h++;
		p = hend + 1;
	} else {
		hend = memchr(h, ':', (size_t)(path - h));
		if (hend == NULL)
			hend = path;
		p = hend;
	}
	hl = (size_t)(hend - h);
	if (hl == 0 || hl >= sizeof(r->host)) {
		snprintf(err, errlen, "url: \"%s\": bad host", url);
		return -1;
	}
	memcpy(r->host, h, hl);
	r->host[hl] = '\0';
	r->port = KAIRAN_DEFAULT_PORT;
	if (p < path) {
		if (*p != ':' || path - p < 2 || path - p > 6) {
			snprintf(err, errlen, "url: \"%s\": bad port", url);
			return -1;
		}
		pl = (size_t)(path - p - 1);
		memcpy(port, p + 1, pl);
		port[pl] = '\0';
		errno = 0;
		v = strtol(port, &end, 10);
		if (*end != '\0' || !isdigit((unsigned char)port[0]) ||
		    v < 1 || v > 65535) {
			snprintf(err, errlen, "url: \"%s\": port must be "
			    "1..65535", url);
			return -1;
		}
		r->port = (int)v;
	}
	if (*path == '\0')
		path = "/";
	if (strlen(path) >= sizeof(r->path)) {
		snprintf(err, errlen, "url: \"%s\": path too long", url);
		return -1;
	}
	snprintf(r->path, sizeof(r->path), "%s", path);
	return 0;
}

static int
route_key(struct parse *p, const char *name, const char *value)
{
	struct config_route *r = p->cur_route;
	char e[512];

	if (strcmp(name, "url") != 0) {
		parse_error(p, p->lineno, "[route %s]: unknown key \"%s\"",
		    r->name, name);
		return 0;
	}
	if (r->url != NULL) {
		parse_error(p, p->lineno, "url: duplicate key");
		return 0;
	}
	if (config_parse_url(value, r, e, sizeof(e)) == -1) {
		parse_error(p, p->lineno, "%s", e);
		return 0;
	}
	if ((r->url = strdup(value)) == NULL) {
		parse_error(p, p->lineno, "out of memory");
		return 0;
	}
	r->line = p->lineno;
	return 1;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	(void)section;	/* tracked by the reader */
	if (p->in_unknown)
		return 1;	/* already reported */
	if (p->in_node)
		return node_key(p, name, value);
	if (p->cur_route != NULL)
		return route_key(p, name, value);
	parse_error(p, p->lineno, "%s: key outside a section", name);
	return 0;
}

struct config *
config_load(const char *file, char *err, size_t errlen)
{
	struct config *cfg;
	struct parse p;
	size_t i;
	int rc;
	static const enum config_key required[] = {
		CK_ID, CK_DB, CK_CERT, CK_KEY, CK_CA, CK_DIRECTORY
	};

	memset(&p, 0, sizeof(p));
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		return NULL;
	}
	cfg->max_frame = KAIRAN_MAX_FRAME;
	if ((cfg->file = strdup(file)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto fail;
	}
	if ((p.fp = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		goto fail;
	}
	p.cfg = cfg;
	rc = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	if (rc != 0 && p.err_line == 0)
		parse_error(&p, rc > 0 ? rc : p.lineno, "syntax error "
		    "(expected [section], key = value, or a ; comment)");
	if (p.err_line == 0) {
		if (!p.seen_node)
			parse_error(&p, p.lineno, "missing section [node]");
		for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
			if (p.seen_node && cfg->line[required[i]] == 0)
				parse_error(&p, cfg->node_line, "[node]: "
				    "missing key \"%s\"",
				    config_keys[required[i]]);
		if (cfg->nroutes == 0)
			parse_error(&p, p.lineno, "no [route NAME] section: "
			    "at least one route is needed");
		for (i = 0; i < cfg->nroutes; i++)
			if (cfg->routes[i].url == NULL)
				parse_error(&p, cfg->routes[i].line,
				    "[route %s]: missing key \"url\"",
				    cfg->routes[i].name);
	}
	if (p.err_line != 0) {
		snprintf(err, errlen, "%s:%d: %s", file, p.err_line, p.err);
		goto fail;
	}
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nroutes; i++)
		free(cfg->routes[i].url);
	free(cfg->file);
	free(cfg->db);
	free(cfg->cert);
	free(cfg->key);
	free(cfg->ca);
	free(cfg->crl);
	free(cfg->directory);
	free(cfg);
}
